"""Type stubs for vecspace.faces."""

from typing import Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from vecspace._native import Direction, Progress

Latents = Union[str, Sequence[str], npt.NDArray[np.floating]]
Latent = Union[str, npt.NDArray[np.floating]]
Output = Literal["uint8", "float"]

def load(name: str = "face-dcgan-celeba", *, progress: Progress = None) -> Generator:
    """Opens a registered face generator, fetched on first use."""

class Generator:
    """A DCGAN face generator: 100-dimensional latents to 64 × 64 RGB faces."""

    @property
    def name(self) -> str: ...
    @property
    def latent_dims(self) -> int: ...
    @property
    def image_size(self) -> int: ...
    def latent(self, expression: Latent, *, given: Optional[npt.NDArray[np.floating]] = None) -> npt.NDArray[np.float32]: ...
    def render(
        self, latents: Latents, *, given: Optional[npt.NDArray[np.floating]] = None, output: Output = "uint8"
    ) -> npt.NDArray:
        """Faces of shape (n, 64, 64, 3): uint8, or float32 in [-1, 1]."""
    def interpolate(
        self,
        start: Latent,
        end: Latent,
        steps: int = 8,
        *,
        method: Literal["slerp", "lerp"] = "slerp",
        given: Optional[npt.NDArray[np.floating]] = None,
        output: Output = "uint8",
    ) -> npt.NDArray: ...
    def edit(
        self,
        latent: Latent,
        direction: Union[Direction, str],
        *,
        low: float = -3.0,
        high: float = 3.0,
        steps: int = 7,
        keep: Optional[Sequence[Union[Direction, str]]] = None,
        given: Optional[npt.NDArray[np.floating]] = None,
        output: Output = "uint8",
    ) -> npt.NDArray: ...
    def analogy(
        self,
        a: Latent,
        b: Latent,
        c: Latent,
        *,
        variants: int = 0,
        noise: float = 0.3,
        seed: int = 0,
        given: Optional[npt.NDArray[np.floating]] = None,
        output: Output = "uint8",
    ) -> npt.NDArray: ...
    def direction(
        self,
        *,
        positive: Optional[Sequence[str]] = None,
        negative: Optional[Sequence[str]] = None,
        pairs: Optional[Sequence[Tuple[str, str]]] = None,
        method: Literal["mean-diff", "pca", "centroid", "classifier"] = "mean-diff",
        name: Optional[str] = None,
        overwrite: bool = False,
        given: Optional[npt.NDArray[np.floating]] = None,
    ) -> Direction: ...
    def scores(
        self,
        latents: Latents,
        *,
        attributes: Optional[Sequence[str]] = None,
        given: Optional[npt.NDArray[np.floating]] = None,
        progress: Progress = None,
    ) -> dict[str, npt.NDArray[np.float64]]: ...
    @staticmethod
    def attributes() -> list[Tuple[str, str]]: ...

class Sheet:
    """A sheet of faces as a PNG; shows inline in a notebook."""

    @property
    def png(self) -> bytes: ...
    def _repr_png_(self) -> bytes: ...
    def save(self, path: str) -> None: ...

def sheet(
    images: npt.NDArray[np.uint8],
    *,
    captions: Optional[Sequence[str]] = None,
    columns: int = 8,
    scale: int = 2,
    title: Optional[str] = None,
) -> Sheet:
    """Faces of shape (n, height, width, 3) in rows of ``columns``: a PNG sheet."""
