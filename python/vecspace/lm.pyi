"""Type stubs for vecspace.lm: language models, control vectors and streamed generation."""

from os import PathLike
from typing import Callable, Iterator, Literal, Mapping, Optional, Sequence, Tuple, TypedDict, Union, overload

import numpy as np
import numpy.typing as npt

ProgressCallback = Callable[[str, int, Optional[int], str, bool], None]
"""Receives ``(label, done, total, unit, finished)``; ``unit`` is ``"B"`` or ``"it"``."""
Progress = Union[None, bool, ProgressCallback]
Layers = Union[int, range]
"""One layer, or a ``range`` with step 1 (its stop left out, as always in Python)."""
Position = Union[Literal["mean", "last"], int]
Steer = Union["ControlVector", Tuple["ControlVector", float], Sequence[Union["ControlVector", Tuple["ControlVector", float]]]]
"""A vector (coefficient 1), a (vector, coefficient) pair, or a list of those (summed)."""
RankedTokens = list[Tuple[str, float]]

class Preset(TypedDict):
    layers: list[int]
    coefficient: float
    normalize: bool

class TokenEnds(TypedDict):
    positive: RankedTokens
    negative: RankedTokens

class NearestTokens(TypedDict):
    lens: TokenEnds
    embeddings: TokenEnds

def load(model: Union[str, PathLike[str]] = "smollm2-135m", *, progress: Progress = None) -> LanguageModel:
    """Fetches (on first use) and loads a language model: a registered name or a GGUF file.

    Raises ``ValueError`` for a name that is neither registered nor a path (a GGUF path ends in
    ``.gguf`` or holds a ``/``), ``FileNotFoundError`` for a missing file, and
    ``vecspace.UnavailableError`` for a download or a model file that fails.
    """

class ControlVector:
    """A steering vector: one direction per layer (llama.cpp's numbering, 1 … blocks − 1).

    Vectors add, subtract, negate, and multiply or divide by numbers layer by layer (a layer only
    one of two vectors has counts as zeros in the other), as repeng's ``ControlVector`` does.
    """

    def __init__(
        self,
        directions: Mapping[int, npt.ArrayLike],
        model: Optional[str] = None,
        model_hint: Optional[str] = None,
    ) -> None:
        """From a dict of layer (1 or more) -> array, all of one length."""
    @staticmethod
    def load(path: Union[str, PathLike[str]]) -> ControlVector:
        """Reads llama.cpp's control-vector GGUF, strictly."""
    def save(self, path: Union[str, PathLike[str]], *, overwrite: bool = True, model_hint: Optional[str] = None) -> None:
        """Writes llama.cpp's control-vector GGUF (``model_hint`` defaults to the model's architecture)."""
    @property
    def model(self) -> Optional[str]:
        """The model it was built on (its description), when known."""
    @property
    def model_hint(self) -> Optional[str]:
        """The architecture the file names (``controlvector.model_hint``), when known."""
    @property
    def layers(self) -> list[int]: ...
    @property
    def width(self) -> int: ...
    @property
    def directions(self) -> dict[int, npt.NDArray[np.float32]]:
        """Layer -> direction, new float32 arrays."""
    def to_array(self) -> npt.NDArray[np.float32]:
        """Shape (layers, width), in the order of ``layers``."""
    def normalized(self) -> ControlVector:
        """Each layer scaled to unit length."""
    def __eq__(self, other: object) -> bool: ...
    def __add__(self, other: ControlVector) -> ControlVector: ...
    def __sub__(self, other: ControlVector) -> ControlVector: ...
    def __neg__(self) -> ControlVector: ...
    def __pos__(self) -> ControlVector: ...
    def __mul__(self, coefficient: float) -> ControlVector: ...
    def __rmul__(self, coefficient: float) -> ControlVector: ...
    def __truediv__(self, divisor: float) -> ControlVector: ...

class GenerationStream(Iterator[str]):
    """The pieces of a streamed generation, as they are written."""

    def __iter__(self) -> GenerationStream: ...
    def __next__(self) -> str: ...
    def close(self) -> None:
        """Stops the generation."""

class LanguageModel:
    """A language model run on the CPU (SmolLM2, Llama 3, Qwen 2.5/3, Gemma 3 GGUF files)."""

    @property
    def name(self) -> str: ...
    @property
    def path(self) -> PathLike[str]: ...
    @property
    def description(self) -> str: ...
    @property
    def architecture(self) -> Literal["llama", "qwen2", "qwen3", "gemma3"]: ...
    @property
    def layers(self) -> int:
        """Transformer blocks."""
    @property
    def width(self) -> int: ...
    @property
    def vocab_size(self) -> int: ...
    @property
    def context(self) -> int: ...
    @property
    def preset(self) -> Optional[Preset]:
        """The steering measured to work on this registered model, if any."""
    def tokenize(self, text: str) -> list[int]: ...
    def detokenize(self, ids: Sequence[int]) -> str: ...
    def token_texts(self, ids: Sequence[int]) -> list[str]: ...
    def control_vector(
        self,
        positive: Union[None, str, Sequence[str]] = None,
        negative: Union[None, str, Sequence[str]] = None,
        *,
        pairs: Union[None, str, PathLike[str], Sequence[Tuple[str, str]]] = None,
        method: Literal["mean-diff", "pca-diff"] = "mean-diff",
        position: Position = "mean",
        normalize: bool = False,
        layers: Optional[Layers] = None,
        progress: Progress = None,
    ) -> ControlVector:
        """Builds a control vector from contrasting prompts (the CLI's ``lm vector build``)."""
    @overload
    def generate(
        self,
        prompt: str,
        *,
        steer: Optional[Steer] = None,
        layers: Optional[Layers] = None,
        generated_only: bool = False,
        max_tokens: int = 64,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        chat: bool = False,
        stream: Literal[False] = False,
    ) -> str: ...
    @overload
    def generate(
        self,
        prompt: str,
        *,
        steer: Optional[Steer] = None,
        layers: Optional[Layers] = None,
        generated_only: bool = False,
        max_tokens: int = 64,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        chat: bool = False,
        stream: Literal[True],
    ) -> GenerationStream: ...
    @overload
    def activations(
        self, texts: str, *, layers: Optional[Layers] = None, position: Position = "mean", progress: Progress = None
    ) -> npt.NDArray[np.float32]:
        """Shape (blocks read, width)."""
    @overload
    def activations(
        self,
        texts: Sequence[str],
        *,
        layers: Optional[Layers] = None,
        position: Position = "mean",
        progress: Progress = None,
    ) -> npt.NDArray[np.float32]:
        """Shape (len(texts), blocks read, width)."""
    def perplexity(self, text: str, *, steer: Optional[Steer] = None, layers: Optional[Layers] = None) -> float: ...
    def nearest_tokens(self, vector: ControlVector, layer: int, k: int = 10) -> NearestTokens: ...
