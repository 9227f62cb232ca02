"""Language models through Python, on SmolLM2-135M (fetched into $VECSPACE_HOME once): generation
equals the CLI's, control vectors survive a file and do arithmetic as arrays do, steering changes
the text, activations are the vectors' own, long calls let other threads run, and errors are the
exceptions a notebook expects."""

import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import vecspace
import vecspace.lm
from threads import ticks_during

ROOT = Path(__file__).resolve().parents[2]
PAIRS = ROOT / "data" / "steering" / "love-hate.jsonl"
DAY = "I think that my day was"


@pytest.fixture(scope="session")
def lm():
    return vecspace.lm.load("smollm2-135m")


@pytest.fixture(scope="session")
def love(lm):
    """CAA over the eight love/hate pairs the CLI's steering test uses."""
    return lm.control_vector(pairs=str(PAIRS))


def cli():
    """The `vecspace` binary: $VECSPACE_CLI, or the debug build CI makes before these tests."""
    path = Path(os.environ.get("VECSPACE_CLI", ROOT / "target" / "debug" / "vecspace"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the CLI first (cargo build), or set VECSPACE_CLI")
    return path


def cli_generate(*args):
    done = subprocess.run([str(cli()), "lm", "generate", *args], capture_output=True, text=True, env=os.environ, timeout=120)
    assert done.returncode == 0, done.stderr
    # The CLI ends the text with a newline of its own.
    assert done.stdout.endswith("\n")
    return done.stdout[:-1]


def test_the_model_describes_itself(lm):
    assert lm.name == "smollm2-135m"
    assert (lm.layers, lm.width, lm.vocab_size, lm.architecture) == (30, 576, 49152, "llama")
    assert lm.context == 8192
    assert Path(lm.path).name == "smollm2-135m.gguf"
    assert "30 layers × 576" in lm.description and "30 layers × 576" in repr(lm)
    assert lm.preset == {"layers": [6, 6], "coefficient": 2.0, "normalize": False}
    ids = lm.tokenize("Hello world")
    assert ids == [19556, 905]
    assert lm.detokenize(ids) == "Hello world"
    assert lm.token_texts(ids) == ["Hello", "Ġworld"]


def test_greedy_generation_equals_the_cli(lm):
    prompt = "The capital of France is"
    text = lm.generate(prompt, max_tokens=12)
    # llama.cpp's greedy text for the same file and prompt begins the same way (the CLI's test).
    assert text.startswith(" Paris.\n\nThe United States"), repr(text)
    assert text == cli_generate("--prompt", prompt, "--max-tokens", "12")
    pieces = list(lm.generate(prompt, max_tokens=12, stream=True))
    assert len(pieces) > 5 and "".join(pieces) == text, pieces


def test_sampling_is_reproducible_and_equals_the_cli(lm):
    args = dict(max_tokens=16, temperature=1.0, top_p=0.95)
    sampled = lm.generate("Once upon a time", seed=3, **args)
    assert sampled == lm.generate("Once upon a time", seed=3, **args)
    assert sampled != lm.generate("Once upon a time", seed=4, **args)
    assert sampled == "".join(lm.generate("Once upon a time", seed=3, stream=True, **args))
    flags = ["--max-tokens", "16", "--temperature", "1.0", "--top-p", "0.95", "--seed", "3"]
    assert sampled == cli_generate("--prompt", "Once upon a time", *flags)


def test_a_control_vector_survives_its_file(lm, love, tmp_path):
    assert love.layers == list(range(1, 30))
    assert love.width == 576 and love.model_hint == "llama"
    assert love.model == lm.description
    assert "29 layers (1–29) × 576" in repr(love)
    path = tmp_path / "love.gguf"
    love.save(path)
    back = vecspace.lm.ControlVector.load(path)
    assert back == love
    assert (back.model, back.model_hint, back.layers) == (love.model, "llama", love.layers)
    for layer, direction in love.directions.items():
        assert direction.dtype == np.float32 and direction.shape == (576,)
        np.testing.assert_array_equal(back.directions[layer], direction)
    np.testing.assert_array_equal(back.to_array(), np.stack([love.directions[n] for n in love.layers]))
    # The CLI reads the file as its own.
    shown = subprocess.run([str(cli()), "lm", "vector", "show", str(path)], capture_output=True, text=True, env=os.environ)
    assert shown.stdout.startswith("29 layers, width 576"), shown
    with pytest.raises(FileExistsError):
        love.save(path, overwrite=False)
    # A vector made from arrays, and its hint given when saving.
    made = vecspace.lm.ControlVector({3: [1.0, 2.0, 2.0], 5: np.array([0.0, -1.0, 0.5])})
    with pytest.raises(ValueError, match="model_hint"):
        made.save(tmp_path / "made.gguf")
    made.save(tmp_path / "made.gguf", model_hint="llama")
    assert vecspace.lm.ControlVector.load(tmp_path / "made.gguf") == made
    np.testing.assert_allclose(made.normalized().directions[3], [1 / 3, 2 / 3, 2 / 3], rtol=1e-6)


def test_arithmetic_is_per_layer_arithmetic_on_the_arrays(lm, love):
    other = lm.control_vector(positive=["Calm", "Peace"], negative=["Storm", "War"], method="pca-diff", layers=range(6, 13))
    assert other.layers == list(range(6, 13))
    a, b = love.directions, other.directions
    cases = {
        "a + b": (love + other, {n: a[n] + b[n] if n in b else a[n] for n in a}),
        "a - b": (love - other, {n: a[n] - b[n] if n in b else a[n] for n in a}),
        "b - a": (other - love, {n: b[n] - a[n] if n in b else -a[n] for n in a}),
        "-a": (-love, {n: -a[n] for n in a}),
        "2.5 * a": (2.5 * love, {n: 2.5 * a[n] for n in a}),
        "a * -3": (love * -3, {n: a[n] * -3 for n in a}),
        "a / 3": (love / 3, {n: a[n] / 3 for n in a}),
        "np.float32(2) * b": (np.float32(2) * other, {n: np.float32(2) * b[n] for n in b}),
    }
    for name, (vector, expected) in cases.items():
        assert isinstance(vector, vecspace.lm.ControlVector), name
        assert vector.layers == sorted(expected), name
        for layer, values in expected.items():
            np.testing.assert_array_equal(vector.directions[layer], values, err_msg=f"{name}, layer {layer}")
    assert (love + other).model == love.model and (love * 2).model_hint == "llama"
    assert love * 2 == love + love and love - love != love
    with pytest.raises(ZeroDivisionError):
        love / 0
    with pytest.raises(TypeError):
        love * love
    with pytest.raises(TypeError):
        love + 1.0
    with pytest.raises(ValueError, match="differ in width"):
        love + vecspace.lm.ControlVector({3: np.ones(100)})
    with pytest.raises(ValueError, match="NaN or infinite"):
        love * 3e38 * 3e38


def test_steering_changes_the_text_as_the_cli_does(lm, love, tmp_path):
    plain = lm.generate(DAY, max_tokens=16)
    steered = lm.generate(DAY, max_tokens=16, steer=[(love, 2.0)], layers=6)
    assert steered != plain
    assert lm.generate(DAY, max_tokens=16, steer=(love, 2.0), layers=range(6, 7)) == steered
    assert lm.generate(DAY, max_tokens=16, steer=2 * love, layers=6) == steered
    assert lm.generate(DAY, max_tokens=16, steer=[(love, -2.0)], layers=6) not in (plain, steered)
    assert lm.generate(DAY, max_tokens=16, steer=(love, 2.0), layers=6, generated_only=True) != plain
    path = tmp_path / "love.gguf"
    love.save(path)
    assert steered == cli_generate("--prompt", DAY, "--max-tokens", "16", "--steer", f"{path}:2", "--layers", "6")
    assert steered == "".join(lm.generate(DAY, max_tokens=16, steer=[(love, 2.0)], layers=6, stream=True))
    # Steering this gently leaves neutral text about as predictable; steering hard does not.
    text = (ROOT / "data" / "steering" / "neutral-text.txt").read_text()
    base, gentle = lm.perplexity(text), lm.perplexity(text, steer=(love, 2.0), layers=6)
    assert abs(gentle - base) < 0.3 * base and gentle != base
    assert lm.perplexity(text, steer=(love, 40.0)) > 2 * base
    args = ["lm", "perplexity", "--json", "--text", text, "--steer", f"{path}:2", "--layers", "6"]
    report = json.loads(subprocess.run([str(cli()), *args], capture_output=True, text=True, env=os.environ, check=True).stdout)
    assert abs(report["perplexity"] - base) < 1e-9 * base and abs(report["steered_perplexity"] - gentle) < 1e-9 * base
    ends = lm.nearest_tokens(love, 20, k=10)
    assert len(ends["embeddings"]["negative"]) == 10 and set(ends) == {"lens", "embeddings"}
    assert ends["lens"]["positive"][0][1] >= ends["lens"]["positive"][-1][1]
    assert any(w in token for token, _ in ends["embeddings"]["negative"] for w in ["foul", "worse", "ugly", "attacks"])


def test_activations_are_what_vectors_are_built_from(lm):
    acts = lm.activations(["Love", "Hate"])
    assert acts.shape == (2, 30, 576) and acts.dtype == np.float32
    assert np.isfinite(acts).all()
    vector = lm.control_vector(positive="Love", negative="Hate")
    # direction.N is read at the output of block N − 1 (llama.cpp's numbering).
    for layer in (1, 6, 29):
        np.testing.assert_array_equal(vector.directions[layer], acts[0, layer - 1] - acts[1, layer - 1])
    one = lm.activations("Hello there", layers=range(3, 6), position="last")
    assert one.shape == (3, 576)
    np.testing.assert_array_equal(one, lm.activations(["Hello there"], position="last")[0, 3:6])
    first = lm.activations("Hello there", layers=4, position=0)
    assert first.shape == (1, 576) and not np.array_equal(first[0], one[1])
    mean = lm.activations("Hello there", layers=4)
    np.testing.assert_allclose(mean[0], (first[0] + lm.activations("Hello there", layers=4, position=1)[0]) / 2, rtol=1e-5, atol=1e-4)


def test_streaming_yields_pieces_as_they_come(lm):
    started = time.perf_counter()
    stream = lm.generate(DAY, max_tokens=48, stream=True)
    first = next(stream)
    at_first = time.perf_counter() - started
    rest = list(stream)
    total = time.perf_counter() - started
    assert first and rest and at_first < total / 2, (at_first, total)
    assert first + "".join(rest) == lm.generate(DAY, max_tokens=48)
    assert next(stream, None) is None
    closed = lm.generate(DAY, max_tokens=48, stream=True)
    next(closed)
    closed.close()
    assert list(closed) == []


def test_a_long_call_lets_other_threads_run(lm):
    events = []

    def calls():
        lm.control_vector(pairs=str(PAIRS), method="pca-diff", progress=lambda *e: events.append(e))
        lm.generate(DAY, max_tokens=32)

    seconds, ticks = ticks_during(calls)
    # Holding the GIL, the calls would leave the counter no tick at all until they returned.
    assert seconds > 0.2
    assert ticks > 50, f"{ticks} ticks in {seconds:.2f} s"
    assert events[-1] == ("reading activations", 8, 8, "it", True), events

    def broken(*_):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        lm.control_vector(positive="Love", negative="Hate", progress=broken)


def test_errors_are_the_exceptions_a_notebook_expects(lm, love, tmp_path):
    with pytest.raises(ValueError, match='unknown language model "gpt-5"'):
        vecspace.lm.load("gpt-5")
    with pytest.raises(FileNotFoundError):
        vecspace.lm.load(str(tmp_path / "missing.gguf"))
    with pytest.raises(FileNotFoundError):
        vecspace.lm.ControlVector.load(tmp_path / "missing.gguf")
    with pytest.raises(FileNotFoundError):
        love.save(tmp_path / "no" / "such" / "dir.gguf")
    with pytest.raises(ValueError, match="not a control vector"):
        vecspace.lm.ControlVector.load(lm.path)
    # Vectors that do not fit the model: the library refuses them, naming both models.
    narrow = vecspace.lm.ControlVector({3: np.ones(100, dtype=np.float32)}, model="a narrow model")
    with pytest.raises(ValueError, match="has 100 values; this model's width is 576.*a narrow model"):
        lm.generate("x", steer=narrow)
    with pytest.raises(ValueError, match="this model steers layers 1 to 29"):
        lm.generate("x", steer=vecspace.lm.ControlVector({40: np.ones(576)}))
    with pytest.raises(ValueError, match="has 100 values"):
        lm.nearest_tokens(narrow, 3)
    with pytest.raises(ValueError, match="no layer 40"):
        lm.nearest_tokens(love, 40)
    with pytest.raises(ValueError, match="out of range"):
        lm.generate("x", steer=love, layers=range(0, 41))
    with pytest.raises(ValueError, match="no layer in 6..6"):
        lm.generate("x", steer=vecspace.lm.ControlVector({3: np.ones(576)}), layers=6)
    with pytest.raises(ValueError, match="give vectors with steer="):
        lm.generate("x", layers=6)
    with pytest.raises(TypeError, match="steer="):
        lm.generate("x", steer="love.gguf")
    with pytest.raises(ValueError, match="not finite"):
        lm.generate("x", steer=(love, float("nan")))
    # Coefficients whose activations single precision cannot hold: an error, streamed or not.
    ones = vecspace.lm.ControlVector({3: np.ones(576), 4: np.ones(576)})
    with pytest.raises(ValueError, match="after block 4 holds infinite or NaN values"):
        lm.generate("x", steer=(ones, 3e38))
    pieces = lm.generate("x", steer=(ones, 3e38), stream=True)
    with pytest.raises(ValueError, match="after block 4 holds infinite or NaN values"):
        next(pieces)
    with pytest.raises(ValueError, match="overflow"):
        lm.generate("x", steer=[(ones, 3e38), (ones, 3e38)])
    # Building.
    with pytest.raises(ValueError, match="unknown method"):
        lm.control_vector(positive="Love", negative="Hate", method="ica")
    with pytest.raises(ValueError, match="at least two pairs"):
        lm.control_vector(positive="Love", negative="Hate", method="pca-diff")
    with pytest.raises(ValueError, match="give the same activations"):
        lm.control_vector(positive="Same", negative="Same")
    with pytest.raises(ValueError, match="as many of each"):
        lm.control_vector(positive=["a", "b"], negative=["c"])
    with pytest.raises(ValueError, match="pairs="):
        lm.control_vector(positive="Love")
    with pytest.raises(FileNotFoundError):
        lm.control_vector(pairs=str(tmp_path / "missing.jsonl"))
    with pytest.raises(ValueError, match="out of range"):
        lm.control_vector(positive="Love", negative="Hate", layers=range(0, 5))
    # Reading and generating.
    with pytest.raises(ValueError, match="the prompt is empty"):
        lm.generate("")
    with pytest.raises(ValueError, match="exceeds the context of 8192"):
        lm.generate("word " * 9000)
    with pytest.raises(ValueError, match="temperature"):
        lm.generate("x", temperature=-1)
    with pytest.raises(ValueError, match="top_p"):
        lm.generate("x", top_p=1.5)
    with pytest.raises(ValueError, match="max_tokens"):
        lm.generate("x", max_tokens=0)
    with pytest.raises(ValueError, match="position 9999 is past the prompt's end"):
        lm.activations("Hello there", position=9999)
    with pytest.raises(ValueError, match="unknown position"):
        lm.activations("Hello there", position="middle")
    with pytest.raises(ValueError, match="out of range"):
        lm.activations("Hello there", layers=range(0, 31))
    with pytest.raises(ValueError, match="step 1"):
        lm.activations("Hello there", layers=range(0, 10, 2))
    with pytest.raises(ValueError, match="layers are numbered from 1|layer 0"):
        vecspace.lm.ControlVector({0: np.ones(576)})
    with pytest.raises(ValueError, match="differ in length"):
        vecspace.lm.ControlVector({1: np.ones(576), 2: np.ones(5)})
    with pytest.raises(ValueError, match="NaN or infinite"):
        vecspace.lm.ControlVector({1: [1.0, float("inf")]})
