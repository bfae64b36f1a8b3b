"""A stdout that a closed pipe silences instead of crashing (``dvcdoit status | head``).

Python ignores SIGPIPE, so writing to a pipe whose reader has gone raises BrokenPipeError
wherever the write happens: in our own ``print``, or deep inside doit's reporter (which
catches it and prints a traceback). :class:`PipeGuard` stands in for ``sys.stdout`` while a
command runs: the first broken write points file descriptor 1 at ``/dev/null`` (so the flush
at exit cannot fail again), later writes are dropped, and the CLI exits 141 as a shell
reports for git, which SIGPIPE kills, and as DVC returns. The command itself runs to its
end, so a ``repro | head`` still completes its stages and their lock entries.
"""

from __future__ import annotations

import os
from typing import Any, TextIO


class PipeGuard:
    """Wraps a text stream; a BrokenPipeError on write or flush sets :attr:`broken`."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        """Write ``text``; after the pipe broke, drop it (and still report it written)."""
        if not self.broken:
            try:
                return self.stream.write(text)
            except BrokenPipeError:
                self.silence()
        return len(text)

    def flush(self) -> None:
        """Flush the stream unless the pipe broke (then there is nobody to flush to)."""
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self.silence()

    def silence(self) -> None:
        """Remember the broken pipe and point fd 1 at /dev/null, once."""
        if self.broken:
            return
        self.broken = True
        try:
            fd = self.stream.fileno()
        except (AttributeError, OSError, ValueError):  # NOTE: not a real file (tests' capture)
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)
