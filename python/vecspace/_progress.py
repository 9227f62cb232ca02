"""Progress bars for long calls: a tqdm bar when tqdm is installed (its notebook widget inside
Jupyter), else a plain line on standard error."""

import sys


def resolve(progress):
    """The callable a long call reports to: None for none, a bar for True, or the user's own."""
    if progress is None or progress is False:
        return None
    if progress is True:
        return Bar()
    if callable(progress):
        return progress
    raise TypeError("progress is True, False, None or a callable (label, done, total, unit, finished)")


class Bar:
    """One bar per phase of the work, as the calls report them."""

    def __init__(self):
        self._bar = None
        self._label = None
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        self._tqdm = tqdm

    def __call__(self, label, done, total, unit, finished):
        if label != self._label:
            self._close()
            self._label = label
            if self._tqdm is not None:
                scale = unit == "B"
                self._bar = self._tqdm(total=total, desc=label, unit=unit, unit_scale=scale, unit_divisor=1024)
        if self._bar is not None:
            self._bar.update(done - self._bar.n)
        else:
            shown = f"{done}/{total}" if total else f"{done}"
            print(f"\r{label}: {shown} {unit}", end="", file=sys.stderr, flush=True)
        if finished:
            self._close()

    def _close(self):
        if self._bar is not None:
            self._bar.close()
        elif self._label is not None:
            print(file=sys.stderr)
        self._bar = None
        self._label = None
