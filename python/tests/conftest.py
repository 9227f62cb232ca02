"""Shared fixtures: the real GloVe space (fetched into $VECSPACE_HOME once, as the Rust tests do)
and gensim's KeyedVectors over the same rows, in the same process."""

from pathlib import Path

import numpy as np
import pytest

import vecspace


@pytest.fixture(scope="session")
def kv():
    return vecspace.load("glove-6b-50d")


@pytest.fixture(scope="session")
def gensim_kv(kv):
    from gensim.models import KeyedVectors

    reference = KeyedVectors(vector_size=kv.vector_size, dtype=np.float32)
    reference.add_vectors(list(kv.index_to_key), np.array(kv.vectors))
    return reference


@pytest.fixture(scope="session")
def datapath():
    from gensim.test.utils import datapath

    return datapath


@pytest.fixture
def own_direction_store(tmp_path, monkeypatch):
    """A cache of the test's own for saved directions, sharing the fetched data of the real one."""
    home = Path(vecspace.cache_dir())
    for entry in home.iterdir():
        if entry.name != "directions":
            (tmp_path / entry.name).symlink_to(entry)
    monkeypatch.setenv("VECSPACE_HOME", str(tmp_path))
