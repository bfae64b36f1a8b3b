"""tqdm progress bars (the only tqdm import; used by the CLI and the doit tasks) on the real terminal's stderr, or nothing when it is not a TTY."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

MIN_WORK = 200  # NOTE: below this many items a bar is noise


@contextlib.contextmanager
def bar(total: int | None, desc: str, unit: str = "file",
        min_work: int = MIN_WORK) -> Iterator[Callable[[int], None] | None]:
    """Yield an ``advance(n)`` callback drawing a bar, or None when no bar is wanted.

    Bars go to ``sys.__stderr__`` so they reach the terminal even when doit captures
    output; they are skipped when that stream is not a TTY or the (known) work is small.
    ``total=None`` draws a counter for work whose size is not known up front.
    """
    stream = sys.__stderr__
    if stream is None or not stream.isatty() or (total is not None and total < min_work):
        yield None
        return
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # NOTE: no monitor thread, so fanout may still fork
    with tqdm(total=total, desc=desc, unit=unit, file=stream, leave=False,
              unit_scale=unit == "B") as t:
        yield t.update
