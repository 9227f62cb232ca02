"""Directions, WEAT, debiasing and pictures of words through Python, against NumPy computations
on the same rows and the recorded reference (tests/golden)."""

import json
from pathlib import Path

import numpy as np
import pytest

import vecspace

pytestmark = pytest.mark.usefixtures("own_direction_store")
GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "golden"
PAIRS = [("he", "she"), ("man", "woman"), "king:queen", ("father", "mother")]


def unit(v):
    return v / np.linalg.norm(v)


def test_a_mean_difference_direction_equals_numpy(kv):
    direction = kv.direction(PAIRS)
    pairs = [p if isinstance(p, tuple) else tuple(p.split(":")) for p in PAIRS]
    expected = np.mean([unit(kv[b]) - unit(kv[a]) for a, b in pairs], axis=0)
    np.testing.assert_allclose(direction.vector, expected, atol=1e-6)
    assert direction.info["space"] == "glove-6b-50d" and "mean-diff" in direction.info["method"]
    assert direction.name is None and len(direction) == 50


def test_a_saved_direction_is_an_expression_name(kv):
    direction = kv.direction(PAIRS, method="pca", name="gender")
    assert direction.name == "gender" and "@gender" in repr(direction)
    np.testing.assert_allclose(kv.vector("@gender", unit=False), kv.load_direction("gender").vector, atol=1e-7)
    assert kv.query("king + @gender", k=1)[0][0] == kv.query("king + @gender")[0][0]
    with pytest.raises(FileExistsError):
        kv.direction(PAIRS, name="gender")
    kv.direction(PAIRS, name="gender", overwrite=True)
    with pytest.raises(vecspace.UnknownDirectionError):
        kv.load_direction("no_such_direction")


def test_words_are_placed_along_a_direction_by_projection(kv):
    direction = kv.direction(PAIRS)
    words = ["nurse", "engineer", "dancer", "soldier", "teacher"]
    placed = direction.along(words)
    axis = unit(direction.vector)
    expected = sorted(((w, float(unit(kv[w]) @ axis)) for w in words), key=lambda p: -p[1])
    assert [w for w, _ in placed] == [w for w, _ in expected]
    for (_, found), (_, wanted) in zip(placed, expected):
        assert abs(found - wanted) < 1e-5
    assert kv.along(direction, words) == placed
    ends = direction.along(top=3, restrict_vocab=10_000)
    assert len(ends) == 6 and ends[0][1] >= ends[-1][1]


def test_classifier_and_centroid_directions_from_word_sets(kv):
    positive, negative = ["she", "her", "woman", "girl"], ["he", "him", "man", "boy"]
    centroid = kv.direction(positive=positive, negative=negative, method="centroid")
    expected = np.mean([unit(kv[w]) for w in positive], axis=0) - np.mean([unit(kv[w]) for w in negative], axis=0)
    np.testing.assert_allclose(unit(centroid.vector), unit(expected), atol=1e-5)
    classifier = kv.direction(positive=positive, negative=negative, method="classifier")
    assert classifier.info["accuracy"] is not None
    with pytest.raises(ValueError, match="unknown method"):
        kv.direction(PAIRS, method="lda")
    with pytest.raises(ValueError, match="length 2"):
        kv.direction([("he", "she", "it")])


def test_weat_equals_the_recorded_reference(kv):
    golden = {t["test"]: t for t in json.loads((GOLDEN / "glove-6b-50d.weat.json").read_text())["tests"]}
    result = kv.weat(test=1)
    assert result["names"] == golden[1]["names"] and result["used"] == golden[1]["used"]
    assert abs(result["effect_size"] - golden[1]["effect_size"]) < 1e-6
    assert abs(result["statistic"] - golden[1]["statistic"]) < 1e-6
    assert 0.0 <= result["p_value"] < 0.01
    every = kv.weat(test="all", samples=2000)
    assert [r["test"] for r in every] == list(range(1, 11))
    for found in every:
        assert abs(found["effect_size"] - golden[found["test"]]["effect_size"]) < 1e-6
    own = kv.weat(targets=(["rose", "tulip", "daisy"], ["ant", "wasp", "flea"]),
                  attributes=(["love", "peace", "joy"], ["hatred", "war", "agony"]))
    assert own["effect_size"] > 0 and own["exact"] and own["names"] == ["X", "Y", "A", "B"]
    with pytest.raises(ValueError, match="1 to 10"):
        kv.weat(test=11)
    with pytest.raises(ValueError, match="targets"):
        kv.weat(targets=(["rose"], ["ant"]))


def test_debiasing_removes_the_direction_from_neutral_words(kv):
    direction = kv.direction(PAIRS, name="gender")
    neutral = ["nurse", "engineer", "doctor", "receptionist", "programmer"]
    debiased, report = kv.debias("gender", neutral, equalize_pairs=[("he", "she")])
    assert report["neutralized"] == 5 and report["equalized"] == 1
    assert report["direct_bias_after"] < 1e-6 < report["direct_bias_before"]
    axis = unit(direction.vector)
    for word in neutral:
        assert abs(unit(debiased[word]) @ axis) < 1e-5
    assert abs(unit(debiased["he"]) @ axis + unit(debiased["she"]) @ axis) < 1e-5
    assert len(debiased) == len(kv) and "debiased" in debiased.name
    # The original space is untouched.
    assert abs(unit(kv["nurse"]) @ axis) > 0.01


def test_plots_lay_out_words_and_save_svg_and_png(kv, tmp_path):
    words = ["king", "queen", "man", "woman", "paris", "france", "rome", "italy"]
    picture = kv.plot(words, analogy=[("man", "woman"), ("king", "queen")])
    assert picture.labels[:4] == ["man", "woman", "king", "queen"] and set(picture.labels) == set(words)
    assert picture.points.shape == (8, 2) and np.isfinite(picture.points).all()
    assert picture.svg.startswith("<svg") and picture._repr_svg_() == picture.svg
    assert all(f">{w}<" in picture.svg for w in words)
    picture.save(tmp_path / "words.png")
    assert (tmp_path / "words.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture.save(tmp_path / "words.svg")
    assert (tmp_path / "words.svg").read_text() == picture.svg
    on_axes = kv.plot(words, axes=("he - she", "paris - france"))
    expected_x = [float(unit(kv[w]) @ unit(kv.vector("he - she"))) for w in on_axes.labels]
    np.testing.assert_allclose(on_axes.points[:, 0], expected_x, atol=1e-5)
    assert kv.plot(words, method="tsne", seed=3).points.shape == (8, 2)
    with pytest.raises(ValueError, match="at least 3 words"):
        kv.plot(["king", "queen"])
    with pytest.raises(ValueError, match="unknown layout"):
        kv.plot(words, method="umap")
