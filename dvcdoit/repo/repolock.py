"""The repo lock ``.dvc/tmp/lock``: the flock DVC's zc.lockfile takes, held by one process."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from dvcdoit.core.errors import RepoLockedError


def flock_pid(path: Path, stamp: str) -> tuple[int | None, str]:
    """Take an exclusive ``flock`` on ``path`` without waiting and write ``stamp`` (our pid,
    in the format DVC's lock file has) into it: ``(fd, "")``, or ``(None, holder's pid)``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        return None, holder
    os.ftruncate(fd, 0)
    os.pwrite(fd, stamp.encode(), 0)
    return fd, ""

class RepoLock:
    """``.dvc/tmp/lock`` as this process holds it: re-entrant, and shared with forked children.

    A forked child (a doit ``-n`` worker, a ``fanout`` worker) inherits the open file and its
    flock, so it is already holding the lock when its copy of this object says so.
    """

    def __init__(self, tmp_dir: Path) -> None:
        self.path = tmp_dir / "lock"
        self._fd: int | None = None
        self._depth = 0

    @property
    def held(self) -> bool:
        """True while this process (or the parent it was forked from) holds the lock."""
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock (again, if held: one level deeper)."""
        if self._fd is not None:
            self._depth += 1
            return
        fd, holder = flock_pid(self.path, f" {os.getpid()}\n")
        if fd is None:
            msg = (f"'.dvc/tmp/lock' is held by another dvc or dvcdoit process (pid {holder}); "
                   "wait for it to finish")
            raise RepoLockedError(msg)
        self._fd, self._depth = fd, 1

    def release(self) -> None:
        """Give up one level; the last one closes the file, which drops the flock."""
        if self._fd is None:
            return
        self._depth -= 1
        if self._depth > 0:
            return
        fd, self._fd = self._fd, None
        os.close(fd)

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the duration of the ``with`` block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def hold_to_exit(self) -> None:
        """Take the lock until this process exits (a doit run: held across all tasks)."""
        if self._fd is None:
            self.acquire()
