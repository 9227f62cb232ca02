"""Faces from image-generator latents (DCGAN face generators).

    >>> from vecspace import faces
    >>> g = faces.load("face-dcgan-celeba")
    >>> g.render("seed:7").shape
    (1, 64, 64, 3)
    >>> faces.sheet(g.interpolate("seed:1", "seed:2"))   # shows inline in a notebook
"""

from vecspace._native import Generator, Sheet, sheet
from vecspace._native import load_generator as load

__all__ = ["Generator", "Sheet", "load", "sheet"]
