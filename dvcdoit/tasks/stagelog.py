"""What a stage action prints: why the stage runs, DVC's lines, the commands' own output.

Run by itself (``doit`` or ``-n 1``, in doit's main thread, with a real stdout behind doit's
stream), a stage streams: each line as it comes, and its commands write straight to the
terminal. In a doit worker (``-n 2``, process or thread) or when doit captures the task's
output (``-v 0``/``-v 1``, ``--reporter json``) a stage's lines and its commands' output are
collected and written in one write when the stage ends, so under ``doit -n N`` each stage
comes out as one block and doit's reporters get it as the task's output.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import sys
import threading
from collections.abc import Sequence

from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.status import stage_status


def buffered() -> bool:
    """True when this action must print its stage as one block (see the module docstring)."""
    if multiprocessing.parent_process() is not None:
        return True
    if threading.current_thread() is not threading.main_thread():
        return True
    try:
        sys.stdout.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return True
    return False


def _write(text: str) -> None:
    """One write per piece: a line and its newline are never split by doit's own lines."""
    sys.stdout.write(text)
    sys.stdout.flush()


class StageLog:
    """A stage's log: streamed line by line, or (``block``) kept and written once by
    :meth:`flush`. Call it with one line, or with a command's whole output."""

    def __init__(self, block: bool) -> None:
        self.block = block
        self.lines: list[str] = []

    def __call__(self, msg: str) -> None:
        """Print ``msg`` now, or keep it for the block."""
        if self.block:
            self.lines.append(msg)
        else:
            _write(msg + "\n")

    def flush(self) -> None:
        """Write the kept lines as one block."""
        if self.lines:
            text, self.lines = "".join(f"{line}\n" for line in self.lines), []
            with contextlib.suppress(BrokenPipeError):
                _write(text)


def run_reasons(index: Index, name: str, forced: bool) -> list[str]:
    """Why stage ``name`` runs now, in DVC's words (``changed deps: modified: x``).

    ``forced`` (``repro -f``) comes first; a stage that doit runs although it matches
    ``dvc.lock`` was forced by ``doit -a``, or misses a file that a user task needs from
    inside its output (doit runs a task whose target is missing).
    """
    reasons = stage_status(index, name).reasons()
    if forced:
        reasons.insert(0, "forced")
    return reasons or ["forced (doit -a) or a doit target inside its outputs is missing"]


def reason_line(name: str, reasons: Sequence[str]) -> str:
    """``Reason for stage 'x': changed deps: modified: a; changed command``."""
    return f"Reason for stage '{name}': {'; '.join(reasons)}"


def skip_line(name: str) -> str:
    """DVC's line for a stage that did not change."""
    return f"Stage '{name}' didn't change, skipping"
