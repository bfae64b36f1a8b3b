"""The one temp-file naming scheme: names dvcdoit recognises as its own, and stale-temp sweeping.

Every temp file dvcdoit creates (cache, remote, workspace, metadata) is named
``.dvcdoit-<pid>-<tag>.tmp``: ``<pid>`` is the decimal pid of the process that created it and
``<tag>`` is 1-32 characters of ``[0-9a-z]`` that make the name unique (a random part, plus a
per-object counter where names are made in a hot loop). Such a file is *stale* when the
process that created it is gone:

* ``os.kill(pid, 0)`` raises :class:`ProcessLookupError` (a :class:`PermissionError` means the
  pid belongs to another user's live process: alive);
* or, on Linux, the pid is alive but was started after the file's ``ctime`` (less
  :data:`REUSE_SLACK` seconds): the pid was reused by a newer process, so the writer is gone.
  ``ctime`` rather than ``mtime``, because a hardlinked temp keeps its object's old mtime
  while making the link sets the ctime.

A stale temp is removed by the next run that lists its directory anyway (:func:`sweep`), and
a walk never counts such a name as user data (:func:`is_ours`). A temp of a live process is
left alone: it may be an ``add`` running next to us.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
from collections.abc import Iterable
from pathlib import Path

PREFIX = ".dvcdoit-"
SUFFIX = ".tmp"
REUSE_SLACK = 2.0
"""Seconds of doubt between a file's ctime and its owner's start time (``btime`` has 1 s steps)."""
_NAME = re.compile(r"\.dvcdoit-([1-9][0-9]{0,9})-[0-9a-z]{1,32}\.tmp")


def name(tag: str | None = None) -> str:
    """A temp file name for this process: ``.dvcdoit-<pid>-<tag>.tmp``.

    Without ``tag``, 48 random bits (no syscall: :mod:`random`, which a fork copies, but the
    pid then differs). Callers making many names pass a random prefix plus a counter.
    """
    if tag is None:
        tag = f"{random.getrandbits(48):012x}"
    return f"{PREFIX}{os.getpid()}-{tag}{SUFFIX}"


def beside(path: str | os.PathLike[str]) -> str:
    """A fresh temp path in the same directory as ``path`` (for an atomic ``os.replace``)."""
    return os.path.join(os.path.dirname(os.fspath(path)), name())


def owner_pid(filename: str) -> int | None:
    """The pid in one of our temp names (a base name), or None for any other name."""
    if not (filename.startswith(PREFIX) and filename.endswith(SUFFIX)):
        return None
    m = _NAME.fullmatch(filename)
    return int(m.group(1)) if m else None


def is_ours(filename: str) -> bool:
    """True if base name ``filename`` is a dvcdoit temp name (live or stale)."""
    return owner_pid(filename) is not None


def pid_alive(pid: int) -> bool:
    """True while process ``pid`` exists; a zombie (dead, not yet reaped) counts as gone."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # NOTE: e.g. a pid beyond the system's range: no such process
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def _started_at(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), from ``/proc``; None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open("/proc/stat", "rb") as f:
            btime = next(int(line.split()[1]) for line in f if line.startswith(b"btime "))
        return btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def is_stale(path: str | os.PathLike[str], ctime: float | None = None) -> bool:
    """True if ``path`` is one of our temp names whose creating process is gone (see the module).

    ``ctime`` is the file's ``st_ctime`` when the caller has it (else it is stat-ed, and a
    file that vanished meanwhile is not stale: there is nothing left to remove).
    """
    pid = owner_pid(os.path.basename(os.fspath(path)))
    if pid is None:
        return False
    if not pid_alive(pid):
        return True
    if pid == os.getpid():
        return False
    started = _started_at(pid)
    if started is None:
        return False
    if ctime is None:
        try:
            ctime = os.lstat(path).st_ctime
        except OSError:
            return False
    return ctime < started - REUSE_SLACK


def sweep(directory: str | os.PathLike[str], names: Iterable[str] | None = None) -> int:
    """Remove the stale temp files in ``directory``; return how many were removed.

    ``names`` are the directory's entries when the caller listed it already (a walk, an
    existence check): then the sweep costs nothing unless one of them is a temp name. Without
    ``names`` the directory is listed (a missing directory has nothing to sweep). Errors while
    removing are ignored: a temp another sweeper removed first, or a read-only directory, is
    no reason to fail the run that happened to look.
    """
    base = os.fspath(directory)
    if names is None:
        try:
            names = os.listdir(base)
        except OSError:
            return 0
    removed = 0
    for n in names:
        if n.startswith(PREFIX) and is_stale(os.path.join(base, n)):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(base, n))
                removed += 1
    return removed
