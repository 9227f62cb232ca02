"""vecspace: vector arithmetic in embedding spaces, over the vecspace Rust engine.

    >>> import vecspace
    >>> kv = vecspace.load("glove-6b-50d")
    >>> kv.most_similar(positive=["king", "woman"], negative=["man"], topn=1)
    [('queen', 0.852...)]

Word spaces answer gensim's ``KeyedVectors`` calls with gensim's numbers, plus vecspace's own
expressions (``kv.query("king - man + woman")``).
"""

from vecspace._native import (
    Direction,
    ExpressionError,
    KeyedVectors,
    Picture,
    UnavailableError,
    UnknownDirectionError,
    UnknownWordError,
    __version__,
    cache_dir,
)
from vecspace._native import load
from vecspace import faces, lm
from vecspace._results import Correlation

__all__ = [
    "Correlation",
    "Direction",
    "ExpressionError",
    "KeyedVectors",
    "Picture",
    "UnavailableError",
    "UnknownDirectionError",
    "UnknownWordError",
    "__version__",
    "cache_dir",
    "faces",
    "lm",
    "load",
]
