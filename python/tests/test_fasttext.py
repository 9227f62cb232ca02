"""fastText models from Python answer as gensim's FastTextKeyedVectors does: unknown words get
vectors from their character n-grams in every call that takes a word, on the same file read by
gensim in the same process."""

import warnings

import numpy as np
import pytest

import vecspace

UNKNOWN = ["kingdomz", "naïveté", "Привет", "🙂word"]


@pytest.fixture(scope="module")
def pair(datapath):
    from gensim.models.fasttext import load_facebook_vectors

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = load_facebook_vectors(datapath("lee_fasttext_new.bin"))
    return vecspace.load(datapath("lee_fasttext_new.bin")), theirs


def test_the_registered_model_is_the_file_gensim_ships(pair, datapath):
    ours, _ = pair
    registered = vecspace.load("fasttext-lee-new")
    assert registered.index_to_key == ours.index_to_key
    np.testing.assert_array_equal(registered["kingdomz"], ours["kingdomz"])


def test_unknown_words_have_gensims_vectors_and_are_in_the_space(pair):
    ours, theirs = pair
    for word in UNKNOWN:
        assert word in ours and word in theirs
        assert not ours.has_index_for(word)
        np.testing.assert_allclose(ours[word], theirs[word], rtol=0, atol=1e-6)
        np.testing.assert_allclose(ours.get_vector(word, norm=True), theirs.get_vector(word, norm=True), atol=1e-6)
    np.testing.assert_allclose(ours[UNKNOWN], np.vstack([theirs[w] for w in UNKNOWN]), atol=1e-6)
    with pytest.raises(KeyError):
        ours.get_index("kingdomz")


def test_calls_taking_words_take_unknown_words_as_gensim_does(pair):
    ours, theirs = pair
    for positive, negative in [(["kingdomz"], []), (["Привет", "the"], ["naïveté"])]:
        found = ours.most_similar(positive=positive, negative=negative, topn=10)
        expected = theirs.most_similar(positive=positive, negative=negative, topn=10)
        assert [w for w, _ in found] == [w for w, _ in expected]
        np.testing.assert_allclose([s for _, s in found], [s for _, s in expected], atol=1e-5)
    found = ours.most_similar_cosmul(positive=["kingdomz", "the"], negative=["hundred"], topn=5)
    expected = theirs.most_similar_cosmul(positive=["kingdomz", "the"], negative=["hundred"], topn=5)
    assert [w for w, _ in found] == [w for w, _ in expected]
    assert ours.similarity("kingdomz", "the") == pytest.approx(theirs.similarity("kingdomz", "the"), abs=1e-6)
    words = (["kingdomz", "the"], ["Привет", "followed"])
    assert ours.n_similarity(*words) == pytest.approx(theirs.n_similarity(*words), abs=1e-6)
    candidates = ["the", "to", "of", "kingdomz", "🙂word"]
    assert ours.doesnt_match(candidates) == theirs.doesnt_match(candidates)
