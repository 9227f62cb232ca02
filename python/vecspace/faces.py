"""Faces from image-generator latents (DCGAN face generators).

    >>> from vecspace import faces
    >>> g = faces.load("face-dcgan-celeba")
    >>> g.render("seed:7").shape
    (1, 64, 64, 3)
"""

from vecspace._native import Generator
from vecspace._native import load_generator as load

__all__ = ["Generator", "load"]
