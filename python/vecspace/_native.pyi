"""Type stubs for the compiled half of vecspace (word spaces)."""

from os import PathLike
from typing import Callable, Literal, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

from vecspace._results import Correlation

__version__: str

ProgressCallback = Callable[[str, int, Optional[int], str, bool], None]
"""Receives ``(label, done, total, unit, finished)``; ``unit`` is ``"B"`` or ``"it"``."""
Progress = Union[None, bool, ProgressCallback]
Key = Union[str, int]
Term = Union[Key, npt.NDArray[np.floating], Tuple[Union[Key, npt.NDArray[np.floating]], float]]
Terms = Union[None, Key, npt.NDArray[np.floating], Sequence[Term]]

class UnknownWordError(KeyError):
    """A word the space does not hold; the message names the nearest spellings."""

class UnknownDirectionError(KeyError):
    """A saved direction (``@name``) that does not exist."""

class ExpressionError(ValueError):
    """An expression that does not parse or evaluate; the message points at the place."""

class UnavailableError(RuntimeError):
    """Something outside the call failed: a download, a model file, a database server."""

def cache_dir() -> PathLike[str]:
    """Where fetched data and saved directions are kept: ``$VECSPACE_HOME``, else ``~/.cache/vecspace``."""

def load(
    space: str = "glove-6b-50d",
    *,
    index: Literal["exact", "f16", "int8", "hnsw"] = "exact",
    ef: Optional[int] = None,
    backend: Optional[Literal["local", "pgvector", "milvus"]] = None,
    uri: Optional[str] = None,
    collection: Optional[str] = None,
    verify: bool = False,
    format: Optional[str] = None,
    vocab: Optional[Union[str, PathLike[str]]] = None,
    candidates: Optional[Union[str, PathLike[str]]] = None,
    progress: Progress = None,
) -> KeyedVectors:
    """Opens a word space: a registered name, a file, or ``MODEL:embeddings``; a sentence
    encoder (``"minilm-l6"``) with ``candidates=`` a file of texts, one per line."""

class Direction:
    """A direction in a space, with its provenance."""

    @property
    def vector(self) -> npt.NDArray[np.float32]: ...
    @property
    def name(self) -> Optional[str]:
        """The name it is saved under (``@name`` in expressions)."""
    @property
    def info(self) -> dict:
        """space, method, examples, positive, created, accuracy."""
    def __len__(self) -> int: ...
    def save(self, name: str, overwrite: bool = False) -> PathLike[str]: ...
    def along(
        self, words: Optional[Sequence[str]] = None, top: Optional[int] = None, restrict_vocab: int = 50000
    ) -> list[Tuple[str, float]]: ...

class Picture:
    """A picture of words; shows inline in a notebook."""

    @property
    def title(self) -> str: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def points(self) -> npt.NDArray[np.float64]: ...
    @property
    def axes(self) -> list[str]: ...
    @property
    def svg(self) -> str: ...
    def _repr_svg_(self) -> str: ...
    def save(self, path: Union[str, PathLike[str]]) -> None:
        """SVG, or PNG when the name ends in ``.png``."""

Pair = Union[str, Tuple[str, str]]

class KeyedVectors:
    """A word space, called as gensim's ``KeyedVectors``."""

    @classmethod
    def load_word2vec_format(
        cls,
        fname: Union[str, PathLike[str]],
        fvocab: None = None,
        binary: bool = False,
        encoding: str = "utf8",
        unicode_errors: str = "strict",
        limit: Optional[int] = None,
        datatype: object = None,
        no_header: bool = False,
    ) -> KeyedVectors:
        """gensim's reader: word2vec text or binary, or GloVe text with ``no_header=True``."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> PathLike[str]: ...
    @property
    def index(self) -> str:
        """The search engine: exact, f16, int8, hnsw, pgvector or milvus."""
    @property
    def warnings(self) -> list[str]: ...
    @property
    def vector_size(self) -> int: ...
    @property
    def vectors(self) -> npt.NDArray[np.float32]:
        """Every row, shape (words, dimensions): a read-only view of the mapped file."""
    @property
    def norms(self) -> npt.NDArray[np.float32]: ...
    @property
    def index_to_key(self) -> list[str]: ...
    @property
    def key_to_index(self) -> dict[str, int]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: Key) -> bool: ...
    @overload
    def __getitem__(self, key: Key) -> npt.NDArray[np.float32]: ...
    @overload
    def __getitem__(self, key: Sequence[Key]) -> npt.NDArray[np.float32]: ...
    def has_index_for(self, key: Key) -> bool: ...
    def get_index(self, key: Key, default: Optional[object] = None) -> int: ...
    def get_vector(self, key: Key, norm: bool = False) -> npt.NDArray[np.float32]: ...
    def query(self, expression: str, k: int = 10) -> Union[list[Tuple[str, float]], float]:
        """Neighbours of an expression such as ``"king - man + woman"``, or its value."""
    def vector(self, expression: str, unit: bool = True) -> npt.NDArray[np.float32]: ...
    @overload
    def most_similar(
        self, positive: Terms = None, negative: Terms = None, topn: int = 10, restrict_vocab: Optional[int] = None
    ) -> list[Tuple[str, float]]: ...
    @overload
    def most_similar(
        self, positive: Terms, negative: Terms, topn: None, restrict_vocab: Optional[int] = None
    ) -> npt.NDArray[np.float32]: ...
    def most_similar_cosmul(
        self, positive: Terms = None, negative: Terms = None, topn: Optional[int] = 10, restrict_vocab: Optional[int] = None
    ) -> Union[list[Tuple[str, float]], npt.NDArray[np.float32]]: ...
    def similar_by_word(self, word: Key, topn: Optional[int] = 10, restrict_vocab: Optional[int] = None) -> list[Tuple[str, float]]: ...
    def similar_by_key(self, key: Key, topn: Optional[int] = 10, restrict_vocab: Optional[int] = None) -> list[Tuple[str, float]]: ...
    def similar_by_vector(
        self, vector: npt.NDArray[np.floating], topn: Optional[int] = 10, restrict_vocab: Optional[int] = None
    ) -> list[Tuple[str, float]]: ...
    def similarity(self, w1: Key, w2: Key) -> float: ...
    def distance(self, w1: Key, w2: Key) -> float: ...
    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float: ...
    def doesnt_match(self, words: Sequence[str]) -> str: ...
    def rank(self, key1: Key, key2: Key) -> int: ...
    def evaluate_word_analogies(
        self,
        analogies: Union[str, PathLike[str]],
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
        similarity_function: Literal["most_similar", "most_similar_cosmul"] = "most_similar",
        progress: Progress = None,
    ) -> Tuple[float, list[dict]]: ...
    def evaluate_word_pairs(
        self,
        pairs: Union[str, PathLike[str]],
        delimiter: str = "\t",
        encoding: str = "utf8",
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
    ) -> Tuple[Correlation, Correlation, float]: ...
    def direction(
        self,
        pairs: Optional[Sequence[Pair]] = None,
        *,
        positive: Optional[Sequence[str]] = None,
        negative: Optional[Sequence[str]] = None,
        method: Literal["mean-diff", "pca", "centroid", "classifier"] = "mean-diff",
        raw: bool = False,
        name: Optional[str] = None,
        overwrite: bool = False,
    ) -> Direction: ...
    def load_direction(self, name: str) -> Direction: ...
    def along(
        self,
        direction: Union[Direction, str],
        words: Optional[Sequence[str]] = None,
        top: Optional[int] = None,
        restrict_vocab: int = 50000,
    ) -> list[Tuple[str, float]]: ...
    def weat(
        self,
        targets: Optional[Tuple[Sequence[str], Sequence[str]]] = None,
        attributes: Optional[Tuple[Sequence[str], Sequence[str]]] = None,
        *,
        names: Optional[Sequence[str]] = None,
        test: Union[None, int, Literal["all"]] = None,
        exact_limit: int = 1000000,
        samples: int = 100000,
        seed: int = 0,
        progress: Progress = None,
    ) -> Union[dict, list[dict]]: ...
    def debias(
        self,
        direction: Union[Direction, str],
        neutral_words: Union[str, Sequence[str]],
        equalize_pairs: Union[None, str, Sequence[Pair]] = None,
        progress: Progress = None,
    ) -> Tuple[KeyedVectors, dict]: ...
    def plot(
        self,
        words: Optional[Sequence[str]] = None,
        *,
        method: Literal["pca", "tsne"] = "pca",
        axes: Optional[Tuple[str, str]] = None,
        analogy: Optional[Sequence[Pair]] = None,
        seed: int = 0,
        perplexity: float = 30.0,
        raw: bool = False,
    ) -> Picture: ...
