"""A sentence space from Python: the texts of a file embedded with all-MiniLM-L6-v2, quoted texts
in expressions and texts outside the corpus embedded on the spot, equal to the CLI's."""

import os
import subprocess

import numpy as np
import pytest

import vecspace

TEXTS = [
    "a photo of a happy dog",
    "a photo of a sad dog",
    "a photo of a sad cat",
    "a dog running on the beach",
    "the stock market fell sharply today",
    "a crying puppy",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("texts") / "texts.txt"
    path.write_text("\n".join(TEXTS + [f"written by test {os.getpid()}"]) + "\n")
    kv = vecspace.load("minilm-l6", candidates=path)
    yield path, kv
    os.remove(kv.path)  # the cached corpus is this test's own


def test_sentence_arithmetic_and_texts_outside_the_corpus(corpus):
    _, kv = corpus
    assert len(kv) == 7 and kv.vector_size == 384
    answer = kv.query('"a photo of a happy dog" - "happy" + "sad"', k=2)
    assert answer[0][0] == "a photo of a sad dog"
    outside = kv["a dog on the moon"]
    assert outside.shape == (384,) and abs(np.linalg.norm(outside) - 1) < 1e-6
    assert "a dog on the moon" in kv and not kv.has_index_for("a dog on the moon")
    found = kv.most_similar("a sad puppy", topn=1)
    assert found[0][0] == "a crying puppy"
    # A stored text's row is what the encoder makes of it.
    np.testing.assert_allclose(kv["a crying puppy"], kv.vector('"a crying puppy"'), atol=1e-6)


def test_the_same_answer_as_the_cli(corpus):
    path, kv = corpus
    cli = os.environ.get("VECSPACE_CLI", "target/debug/vecspace")
    if not os.path.exists(cli):
        pytest.fail(f"the CLI is not built at {cli}: cargo build, or set VECSPACE_CLI")
    out = subprocess.run(
        [cli, "--space", "minilm-l6", "--candidates", str(path), "query", '"a sad puppy"', "--top", "3", "--json"],
        capture_output=True, text=True, check=True,
    )
    import json

    theirs = [(r["word"], r["score"]) for r in json.loads(out.stdout)["results"]]
    ours = kv.query('"a sad puppy"', k=3)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-6)


def test_bad_texts_are_errors(tmp_path, corpus):
    _, kv = corpus
    with pytest.raises(vecspace.ExpressionError, match="has no tokens"):
        kv.query('"\x07"')
    blank = tmp_path / "blank.txt"
    blank.write_text("a dog\n\na cat\n")
    with pytest.raises(ValueError, match="line 2 is empty"):
        vecspace.load("minilm-l6", candidates=blank)
