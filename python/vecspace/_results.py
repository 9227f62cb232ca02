"""Result types shaped as the libraries people know return them."""

from typing import NamedTuple


class Correlation(NamedTuple):
    """A correlation and its two-sided p-value, indexable as SciPy's results are."""

    statistic: float
    pvalue: float

    @property
    def correlation(self) -> float:
        """The statistic, under the name older SciPy results use."""
        return self.statistic
