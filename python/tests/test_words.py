"""Word spaces through Python: gensim's KeyedVectors calls give gensim's numbers (gensim runs in
the same process, over the same rows), the rows are a view of the memory map, long calls let
other threads run, and errors are the exceptions a notebook expects."""

import re

import numpy as np
import pytest

import vecspace
from threads import ticks_during

MOST_SIMILAR = [
    dict(positive=["king", "woman"], negative=["man"], topn=10),
    dict(positive=["paris", "germany"], negative=["france"], topn=10),
    dict(positive=["walking", "swam"], negative=["walked"], topn=5),
    dict(positive=["computer"], topn=10),
    dict(positive="computer", topn=3),
    dict(positive=["good"], negative=["bad"], topn=5),
    dict(negative=["good"], topn=5),
    dict(positive=[("king", 2.0), "woman"], negative=[("man", -0.5)], topn=10),
    dict(positive=["king", "woman"], negative=["man"], topn=10, restrict_vocab=20000),
    dict(positive=["tokyo", "france"], negative=["japan"], topn=20, restrict_vocab=5000),
]

COSMUL = [
    dict(positive=["king", "woman"], negative=["man"], topn=10),
    dict(positive=["paris", "germany"], negative=["france"], topn=5),
    dict(positive=["king", "woman", "crown"], negative=["man", "sword"], topn=10),
    dict(positive=["computer"], topn=5),
]


def assert_same_answers(ours, theirs, context):
    assert [w for w, _ in ours] == [w for w, _ in theirs], context
    for (word, score), (_, expected) in zip(ours, theirs):
        assert abs(score - expected) < 1e-5, f"{context}: {word} {score} vs {expected}"


@pytest.mark.parametrize("query", MOST_SIMILAR, ids=str)
def test_most_similar_equals_gensim(kv, gensim_kv, query):
    assert_same_answers(kv.most_similar(**query), gensim_kv.most_similar(**query), query)


@pytest.mark.parametrize("query", COSMUL, ids=str)
def test_most_similar_cosmul_equals_gensim(kv, gensim_kv, query):
    assert_same_answers(kv.most_similar_cosmul(**query), gensim_kv.most_similar_cosmul(**query), query)


def test_vectors_as_terms_equal_gensim(kv, gensim_kv):
    offset = kv["king"] - kv["man"]
    query = dict(positive=[offset, "woman"], topn=10)
    assert_same_answers(kv.most_similar(**query), gensim_kv.most_similar(**query), "vector term")
    assert_same_answers(kv.similar_by_vector(offset, topn=5), gensim_kv.similar_by_vector(offset, topn=5), "by vector")
    assert_same_answers(kv.similar_by_word("frog", topn=5), gensim_kv.similar_by_word("frog", topn=5), "by word")
    cosmul = dict(positive=[kv.get_vector("woman", norm=True), "king"], negative=["man"], topn=5)
    assert_same_answers(kv.most_similar_cosmul(**cosmul), gensim_kv.most_similar_cosmul(**cosmul), "cosmul vector")


def test_every_score_at_once_equals_gensim(kv, gensim_kv):
    ours = kv.most_similar(positive=["king"], negative=["man"], topn=None)
    theirs = gensim_kv.most_similar(positive=["king"], negative=["man"], topn=None)
    assert ours.shape == theirs.shape == (len(kv),)
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    restricted = kv.most_similar(positive=["king"], topn=None, restrict_vocab=1000)
    np.testing.assert_allclose(restricted, gensim_kv.most_similar(positive=["king"], topn=None, restrict_vocab=1000), atol=1e-5)
    cosmul = kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=None)
    np.testing.assert_allclose(cosmul, gensim_kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=None), atol=1e-5)
    assert kv.most_similar("king", topn=0) == gensim_kv.most_similar("king", topn=0) == []


def test_word_calls_equal_gensim(kv, gensim_kv):
    for a, b in [("woman", "man"), ("king", "queen"), ("cat", "dog"), ("sun", "car")]:
        assert abs(kv.similarity(a, b) - gensim_kv.similarity(a, b)) < 1e-6
        assert abs(kv.distance(a, b) - gensim_kv.distance(a, b)) < 1e-6
    for a, b in [("king", "queen"), ("cat", "dog"), ("france", "paris")]:
        assert kv.rank(a, b) == gensim_kv.rank(a, b)
    for words in [["breakfast", "cereal", "dinner", "lunch"], ["france", "germany", "italy", "banana"]]:
        assert kv.doesnt_match(words) == gensim_kv.doesnt_match(words)
    with pytest.warns(UserWarning, match="qxzvbnq"):
        assert kv.doesnt_match(["france", "germany", "banana", "qxzvbnq"]) == "banana"
    ws1, ws2 = ["sushi", "shop"], ["japanese", "restaurant"]
    assert abs(kv.n_similarity(ws1, ws2) - gensim_kv.n_similarity(ws1, ws2)) < 1e-6
    assert kv.get_index("king") == gensim_kv.get_index("king")
    assert kv.get_index("qxzvbnq", default=-1) == -1
    assert "king" in kv and "qxzvbnq" not in kv and kv.has_index_for("queen")
    assert len(kv) == len(gensim_kv) == 400_000 and kv.vector_size == 50
    assert kv.index_to_key[:5] == gensim_kv.index_to_key[:5]
    assert kv.key_to_index["king"] == gensim_kv.key_to_index["king"]
    np.testing.assert_array_equal(kv["king"], gensim_kv["king"])
    np.testing.assert_array_equal(kv[["king", "queen"]], gensim_kv[["king", "queen"]])
    np.testing.assert_allclose(kv.get_vector("king", norm=True), gensim_kv.get_vector("king", norm=True), atol=1e-7)


def test_word_analogies_equal_gensim_on_the_google_set(kv, gensim_kv, datapath):
    path = datapath("questions-words.txt")
    ours = kv.evaluate_word_analogies(path)
    theirs = gensim_kv.evaluate_word_analogies(path)
    assert ours[0] == theirs[0]
    assert ours[1] == theirs[1]
    assert ours[1][-1]["section"] == "Total accuracy"


def test_word_pairs_equal_gensim(kv, gensim_kv, datapath):
    for options in [dict(), dict(restrict_vocab=5000), dict(restrict_vocab=5000, dummy4unknown=True)]:
        ours = kv.evaluate_word_pairs(datapath("wordsim353.tsv"), **options)
        theirs = gensim_kv.evaluate_word_pairs(datapath("wordsim353.tsv"), **options)
        for mine, reference in zip(ours[:2], theirs[:2]):
            assert abs(mine.statistic - reference.statistic) < 1e-6, options
            assert mine.pvalue == pytest.approx(reference.pvalue, rel=1e-4), options
            assert mine[0] == mine.statistic and mine.correlation == mine.statistic
        assert ours[2] == pytest.approx(theirs[2], abs=1e-12), options


def test_expressions_answer_as_the_engine_does(kv):
    answers = kv.query("king - man + woman", k=3)
    assert answers[0][0] == "queen" and len(answers) == 3
    assert answers == kv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert isinstance(kv.query("cos(king, queen)"), float)
    np.testing.assert_allclose(kv.vector("king", unit=False), kv["king"])


def mapped_files(address):
    """The files mapped at `address` in this process."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= address < end and len(fields) > 5:
                yield fields[5]


def test_rows_are_a_read_only_view_of_the_memory_map(kv):
    rows = kv.vectors
    assert rows.shape == (400_000, 50) and rows.dtype == np.float32
    assert not rows.flags.writeable and not rows.flags.owndata and rows.base is kv
    # The array's memory is the cached space file itself, mapped, not a copy.
    assert any(path == str(kv.path) for path in mapped_files(rows.ctypes.data))
    assert np.shares_memory(rows, kv["the"]) and kv["the"].ctypes.data == rows.ctypes.data
    with pytest.raises(ValueError, match="read-only"):
        rows[0, 0] = 1.0
    # The view keeps the space alive after the last name for it is gone.
    view = vecspace.load("glove-6b-50d").vectors
    np.testing.assert_array_equal(view[123], rows[123])


def test_a_long_call_lets_other_threads_run(kv, datapath):
    seconds, ticks = ticks_during(
        lambda: kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=100_000)
    )
    # Holding the GIL, the call would leave the counter no tick at all until it returned.
    assert seconds > 0.2
    assert ticks > 50, f"{ticks} ticks in {seconds:.2f} s"


def test_progress_reaches_a_callable(kv, datapath):
    events = []
    kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=10_000, progress=lambda *e: events.append(e))
    labels = {label for label, *_ in events}
    assert labels, "no progress was reported"
    last = events[-1]
    assert last[4] is True and last[1] == last[2], last

    def broken(*_):
        raise RuntimeError("from the callback")

    with pytest.raises(RuntimeError, match="from the callback"):
        kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=10_000, progress=broken)
    with pytest.raises(TypeError):
        kv.evaluate_word_analogies(datapath("questions-words.txt"), progress="yes")


def test_errors_are_the_exceptions_a_notebook_expects(kv, tmp_path):
    with pytest.raises(KeyError, match=r'unknown word "kingxq"; did you mean "king"'):
        kv["kingxq"]
    with pytest.raises(vecspace.UnknownWordError):
        kv.most_similar(positive=["king", "kingxq"])
    with pytest.raises(ValueError) as caught:
        kv.query("king - ")
    assert isinstance(caught.value, vecspace.ExpressionError)
    assert re.search(r"king - \n +\^", str(caught.value)), str(caught.value)
    with pytest.raises(vecspace.UnknownDirectionError):
        kv.query("king + @no_such_direction")
    with pytest.raises(FileNotFoundError, match="neither a registered space"):
        vecspace.load(str(tmp_path / "missing.txt"))
    with pytest.raises(FileNotFoundError):
        kv.evaluate_word_pairs(str(tmp_path / "missing.tsv"))
    with pytest.raises(ValueError, match="unknown index"):
        vecspace.load("glove-6b-50d", index="fast")
    with pytest.raises(ValueError, match="no input"):
        kv.most_similar()
    with pytest.raises(ValueError, match="50"):
        kv.most_similar(positive=[np.ones(3, dtype=np.float32)])
    with pytest.raises(ValueError, match="NaN"):
        kv.similar_by_vector(np.full(50, np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="similarity_function"):
        kv.evaluate_word_analogies("google-analogies", similarity_function="nearest")
    with pytest.raises(TypeError):
        kv[3.5]
    with pytest.raises(IndexError):
        kv[400_000]
    bad = tmp_path / "bad.txt"
    bad.write_text("king 1 2\nqueen 1\n")
    with pytest.raises(ValueError):
        vecspace.load(str(bad))
    with pytest.raises(vecspace.UnavailableError):
        vecspace.load("glove-6b-50d", backend="pgvector", uri="postgresql://vecspace@127.0.0.1:9/none")


def test_a_gensim_notebook_loads_word2vec_files_through_the_same_call(kv, gensim_kv, tmp_path):
    from gensim.models import KeyedVectors as GensimKeyedVectors

    small = GensimKeyedVectors(vector_size=50, dtype=np.float32)
    small.add_vectors(gensim_kv.index_to_key[:5000], gensim_kv.vectors[:5000])
    text, binary = tmp_path / "small.txt", tmp_path / "small.bin"
    small.save_word2vec_format(str(text))
    small.save_word2vec_format(str(binary), binary=True)
    glove = tmp_path / "small.glove.txt"
    glove.write_text("".join(line for line in text.read_text().splitlines(keepends=True)[1:]))
    for path, options in [(text, {}), (binary, dict(binary=True)), (glove, dict(no_header=True))]:
        # Only the import differs from a gensim notebook.
        ours = vecspace.KeyedVectors.load_word2vec_format(str(path), **options)
        theirs = GensimKeyedVectors.load_word2vec_format(str(path), **options)
        assert len(ours) == len(theirs) == 5000, path
        assert_same_answers(ours.most_similar("king", topn=5), theirs.most_similar("king", topn=5), path)
    limited = vecspace.KeyedVectors.load_word2vec_format(str(binary), binary=True, limit=100)
    assert len(limited) == 100 and limited.index_to_key == small.index_to_key[:100]
    with pytest.raises(ValueError, match="UTF-8"):
        vecspace.KeyedVectors.load_word2vec_format(str(text), encoding="latin1")
    with pytest.raises(ValueError, match="float32"):
        vecspace.KeyedVectors.load_word2vec_format(str(text), datatype=np.float16)


def test_a_compact_engine_answers_as_the_exact_scan(kv):
    compact = vecspace.load("glove-6b-50d", index="int8")
    assert compact.index == "int8" and kv.index == "exact"
    for query in MOST_SIMILAR[:4]:
        assert_same_answers(compact.most_similar(**query), kv.most_similar(**query), query)
    assert compact.query("king - man + woman", k=5) == kv.query("king - man + woman", k=5)
