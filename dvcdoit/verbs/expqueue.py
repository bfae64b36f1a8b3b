"""The experiment queue of ``exp run --queue``: dvcdoit's own store, not DVC's celery stash.

One JSON file per queued experiment under ``.dvc/tmp/exps/dvcdoit/queue/<id>.json`` (its
baseline, name, ``-S`` overrides, creation time, status, the pids running it), its output
in ``…/logs/<id>.log``, its isolated workspace in ``…/wt/<id>`` while it runs. Why not DVC's
``refs/exps/celery/stash``: each of its entries carries ``.dvc/tmp/repro.dat``, a pickle of
DVC's own Python objects, which only DVC can write; and its statuses live in celery's
message files. See docs/experiments.md. Finished experiments are the refs DVC reads, so
``dvc exp show`` lists what the queue ran either way.

A status is one of ``Queued``, ``Running``, ``Success``, ``Failed`` (DVC's words). An entry
left ``Running`` by a runner that is gone (``kill -9``) is marked ``Failed`` by :func:`reap`,
which every reader of the queue calls first.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import DvcDoitError
from dvcdoit.core.tempname import pid_alive
from dvcdoit.repo.repolock import flock_pid

QUEUED, RUNNING, SUCCESS, FAILED = "Queued", "Running", "Success", "Failed"
STASH_REFS = "refs/dvcdoit/queue/"
"""Where a queued entry's workspace commit is kept (outside ``refs/exps/``, which DVC reads)."""
LOCK_FD_ENV = "DVCDOIT_QUEUE_LOCK_FD"
_ORDER = (RUNNING, QUEUED, FAILED, SUCCESS)  # NOTE: DVC's status lists active first


class QueueError(DvcDoitError):
    """A queue operation that cannot be done (busy runner, unknown name)."""


@dataclass(frozen=True)
class Entry:
    """One queued experiment."""

    id: str
    name: str
    baseline: str
    overrides: dict[str, list[str]]
    created: float
    status: str = QUEUED
    runner: int = 0
    """pid of the process running the queue (``queue start``/``exp run --run-all``)"""
    child: int = 0
    """pid of the ``dvcdoit exp run`` running this experiment in its worktree"""
    targets: list[str] = field(default_factory=list)
    message: str = ""
    """``exp run -m``: the experiment commit's message (DVC's own when empty)"""
    stash: str = ""
    """the commit of the workspace's uncommitted changes to tracked files when it was queued
    (on the baseline; kept alive by :data:`STASH_REFS`), or empty: the run starts from it"""


def base(root: Path) -> Path:
    """The queue's directory, ``.dvc/tmp/exps/dvcdoit``."""
    return root / ".dvc" / "tmp" / "exps" / "dvcdoit"


def log_path(root: Path, entry: Entry) -> Path:
    """Where the output of ``entry``'s run goes."""
    return base(root) / "logs" / f"{entry.id}.log"


def worktree(root: Path, entry: Entry) -> Path:
    """The isolated workspace ``entry`` runs in."""
    return base(root) / "wt" / entry.id


def _path(root: Path, entry_id: str) -> Path:
    return base(root) / "queue" / f"{entry_id}.json"


def save(root: Path, entry: Entry) -> Entry:
    """Write ``entry`` (atomically: a reader never sees half a file)."""
    path = _path(root, entry.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write_text(path, json.dumps(asdict(entry), sort_keys=True) + "\n")
    return entry


def add(root: Path, baseline: str, name: str, overrides: dict[str, list[str]],
        targets: list[str] | None = None, message: str = "") -> Entry:
    """Queue one experiment."""
    entry = Entry(secrets.token_hex(20), name, baseline, overrides, time.time(),
                  targets=list(targets or []), message=message)
    return save(root, entry)


def update(root: Path, entry: Entry, **changes: object) -> Entry:
    """``entry`` with ``changes``, written."""
    return save(root, replace(entry, **changes))  # type: ignore[arg-type]


def _load(path: Path) -> Entry | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        known = {f.name for f in fields(Entry)}  # NOTE: a newer dvcdoit's extra keys are kept out
        return Entry(**{k: v for k, v in raw.items() if k in known})
    except (OSError, ValueError, TypeError, AttributeError):
        return None  # NOTE: removed meanwhile, or not ours


def entries(root: Path) -> list[Entry]:
    """Every entry, oldest first."""
    folder = base(root) / "queue"
    found = [e for p in (folder.glob("*.json") if folder.is_dir() else []) if (e := _load(p))]
    return sorted(found, key=lambda e: (e.created, e.id))


def listing(root: Path) -> list[Entry]:
    """The entries in DVC's ``queue status`` order: running, queued, failed, done."""
    return sorted(entries(root), key=lambda e: _ORDER.index(e.status))


def alive(pid: int) -> bool:
    """True while process ``pid`` exists (a zombie counts as gone)."""
    return pid_alive(pid)


def remove_worktree(root: Path, entry: Entry) -> None:
    """Remove ``entry``'s worktree (and git's record of it), if there is one."""
    path = worktree(root, entry)
    if path.exists():
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(path)],
                       capture_output=True, check=False)
        shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "-C", str(root), "worktree", "prune"], capture_output=True,
                   check=False)


def reap(root: Path) -> list[Entry]:
    """Mark ``Failed`` every ``Running`` entry whose runner is gone; the entries marked.

    Its run is stopped (if its ``exp run`` still lives) and its worktree removed. The
    ``exp show`` side calls this before it lists the queue.
    """
    reaped: list[Entry] = []
    for entry in entries(root):
        if entry.status != RUNNING or alive(entry.runner):
            continue
        if alive(entry.child):
            with contextlib.suppress(OSError):
                os.killpg(entry.child, 9)
        remove_worktree(root, entry)
        reaped.append(update(root, entry, status=FAILED))
    return reaped


def _kill_mark(root: Path, entry: Entry) -> Path:
    return base(root) / "kill" / entry.id


def request_kill(root: Path, entry: Entry) -> None:
    """Mark ``entry`` to be stopped, then stop its current child, if any.

    The mark closes the race with a runner between two children (``checkout``, then ``exp
    run``): the runner writes each child's pid before it reads the mark, and this writes the
    mark before it reads the pid, so one of the two sides always stops the child.
    """
    mark = _kill_mark(root, entry)
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()
    current = next((e for e in entries(root) if e.id == entry.id), entry)
    if current.child:
        stop(current.child)


def kill_requested(root: Path, entry: Entry) -> bool:
    """True once ``queue kill`` has named ``entry``."""
    return _kill_mark(root, entry).exists()


def stop(child: int) -> None:
    """SIGTERM the process group of ``child`` (gone already is fine)."""
    with contextlib.suppress(OSError):
        os.killpg(child, signal.SIGTERM)


def keep_stash(root: Path, entry: Entry, sha: str) -> Entry:
    """Record ``sha`` as ``entry``'s workspace commit, under a ref git will not collect."""
    subprocess.run(["git", "-C", str(root), "update-ref", STASH_REFS + entry.id, sha],
                   capture_output=True, check=True)
    return update(root, entry, stash=sha)


def drop(root: Path, entry: Entry) -> None:
    """Forget ``entry`` (its file, log, kill mark and workspace commit's ref)."""
    if entry.stash:
        subprocess.run(["git", "-C", str(root), "update-ref", "-d", STASH_REFS + entry.id],
                       capture_output=True, check=False)
    _path(root, entry.id).unlink(missing_ok=True)
    log_path(root, entry).unlink(missing_ok=True)
    _kill_mark(root, entry).unlink(missing_ok=True)


@contextlib.contextmanager
def runner_lock(root: Path) -> Iterator[None]:
    """Held while a process runs the queue; a second one gets one line, and runs nothing."""
    inherited = os.environ.pop(LOCK_FD_ENV, "")
    if inherited.isdigit():  # NOTE: `queue start` took it and handed it to us, its runner
        fd = int(inherited)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.close(fd)
        return
    fd = take_runner_lock(root)
    try:
        yield
    finally:
        os.close(fd)


def take_runner_lock(root: Path) -> int:
    """The runner lock's file, locked (for a runner to inherit); :class:`QueueError` if busy."""
    fd, holder = flock_pid(base(root) / "runner.lock", f"{os.getpid()}\n")
    if fd is None:
        msg = (f"the experiment queue is already running (pid {holder}); wait for it, "
               "or stop it with 'dvcdoit queue kill'")
        raise QueueError(msg)
    return fd


__all__ = [
    "FAILED",
    "QUEUED",
    "RUNNING",
    "STASH_REFS",
    "SUCCESS",
    "Entry",
    "QueueError",
    "add",
    "alive",
    "base",
    "drop",
    "entries",
    "keep_stash",
    "kill_requested",
    "listing",
    "log_path",
    "reap",
    "remove_worktree",
    "request_kill",
    "runner_lock",
    "save",
    "stop",
    "take_runner_lock",
    "update",
    "worktree",
]
