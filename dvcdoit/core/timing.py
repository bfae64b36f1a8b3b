"""Debug lines with timings for ``-v``: :class:`Timed` logs ``<what> in 0.123 s``.

The lower layers only log (``logging``, at DEBUG, under ``dvcdoit.*``); the CLI decides
whether and where the records go (``dvcdoit -v``: stderr, DVC's ``%(asctime)s DEBUG:``
lines). With no handler enabled for DEBUG a :class:`Timed` block costs two clock reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import final


@final
class Timed:
    """``with Timed("dvcdoit.storage", "pushed 3 objects"):`` logs the block's duration.

    ``what`` may be changed inside the block, once the counts are known, to a string or a
    function that makes it (called only when the line is logged); a block that raises logs
    ``… failed after 0.1 s``.
    """

    def __init__(self, logger: str, what: str | Callable[[], str]) -> None:
        self.logger = logger
        self.what = what
        self.start = 0.0

    def __enter__(self) -> Timed:
        self.start = time.perf_counter()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        log = logging.getLogger(self.logger)
        if log.isEnabledFor(logging.DEBUG):
            spent = time.perf_counter() - self.start
            verb = "failed after" if kind is not None else "in"
            what = self.what if isinstance(self.what, str) else self.what()
            log.debug("%s %s %.3f s", what, verb, spent)


def debug(logger: str, message: str | Callable[[], str]) -> None:
    """One debug line (no timing) under ``logger``; a function making ``message`` is called
    only when the line is logged (hot paths pass one)."""
    log = logging.getLogger(logger)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(message if isinstance(message, str) else message())


__all__ = ["Timed", "debug"]
