"""Progress bars in DVC's layout, on the real terminal's stderr, or nothing when it is not a TTY.

The only tqdm import (used by the CLI and the doit tasks). A bar starts without a total when
the work is not known yet; the layer that learns it (the hasher from its file list, a
transfer after its existence check, a checkout from its manifest) calls :func:`expect`, and
from then on the bar shows a percentage, ``done/total`` and an ETA, as DVC's bars do::

     45%|████▌     |Adding data                              9.06k/20.0k [00:01<00:01, 5.58kfile/s]

Before that, a counter: ``Adding data|8.12k file [00:01, 8.07kfile/s]``. tqdm redraws at most
every 0.1 s (``mininterval``), so a bar never writes more than about 10 updates a second.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

MIN_WORK = 200  # NOTE: below this many items a bar is noise
WITH_TOTAL = ("{percentage:3.0f}%|{bar:10}|{desc}{n_fmt}/{total_fmt}"
              " [{elapsed}<{remaining}, {rate_fmt:>11}]")  # NOTE: DVC 3.67.1's layout
NO_TOTAL = "{desc}|{n_fmt} {unit} [{elapsed}, {rate_fmt:>11}]"
RIGHT = 40  # NOTE: room for the numbers right of the description, as measured in DVC's bars

Advance = Callable[[int], None]


class Meter:
    """A drawn bar: ``meter(n)`` advances it, ``meter.expect(n)`` adds ``n`` to its total."""

    def __init__(self, bar: Any, desc: str) -> None:
        self._bar = bar
        self._desc = desc
        self._total = 0

    def __call__(self, n: int) -> None:
        self._bar.update(n)

    def expect(self, n: int) -> None:
        """``n`` more items are coming: show the total, the percentage and the ETA."""
        self._total += n
        self._bar.total = max(self._total, self._bar.n)
        self._bar.bar_format = WITH_TOTAL
        self._bar.set_description_str(_padded(self._desc, self._bar.ncols), refresh=False)
        self._bar.refresh()


def expect(progress: Advance | None, n: int) -> None:
    """Tell ``progress`` (a :class:`Meter`, a plain callback or None) that ``n`` items are due."""
    if isinstance(progress, Meter):
        progress.expect(n)


def _padded(desc: str, ncols: int | None) -> str:
    """``desc`` padded so the numbers line up on the right, as DVC lays its bars out."""
    width = max(len(desc) + 1, (ncols or 80) - 18 - RIGHT)
    return desc.ljust(width)


@contextlib.contextmanager
def bar(total: int | None, desc: str, unit: str = "file",
        min_work: int = MIN_WORK) -> Iterator[Meter | None]:
    """Yield a :class:`Meter` drawing a bar, or None when no bar is wanted.

    Bars go to ``sys.__stderr__`` so they reach the terminal even when doit captures
    output; they are skipped when that stream is not a TTY or the (known) work is small.
    ``total=None`` starts a counter for work whose size is not known up front.
    """
    stream = sys.__stderr__
    if stream is None or not stream.isatty() or (total is not None and total < min_work):
        yield None
        return
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # NOTE: no monitor thread, so fanout may still fork
    with tqdm(total=None, desc=desc, unit=unit, file=stream, leave=False, mininterval=0.1,
              unit_scale=True, bar_format=NO_TOTAL, dynamic_ncols=True) as t:
        if not t.ncols or t.ncols < 0:  # NOTE: a terminal that reports no size (a bare pty)
            t.dynamic_ncols, t.ncols, t.nrows = None, 80, 24
        meter = Meter(t, desc)
        if total is not None:
            meter.expect(total)
        yield meter


__all__ = ["MIN_WORK", "Advance", "Meter", "bar", "expect"]
