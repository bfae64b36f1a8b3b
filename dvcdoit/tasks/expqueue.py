"""The experiment queue as doit tasks: ``exp_queue:<name>``, one per queued experiment.

``dvcdoit queue start -j N`` and ``dvcdoit exp run --run-all -j N`` run them through doit's
parallel runner (``-n N -P thread``: each action only waits for a child process). A user's
``dodo.py`` gets the same tasks with ``from dvcdoit.tasks import *`` (``task_exp_queue``), so
a report task can have ``task_dep: ["exp_queue"]``; ``doit -n 2 -P thread exp_queue`` runs them.

Each action, for one experiment:

1. marks it ``Running`` (with this process's pid: :func:`dvcdoit.verbs.expqueue.reap` marks it
   ``Failed`` if this process dies);
2. makes an isolated workspace, ``git worktree add --detach .dvc/tmp/exps/dvcdoit/wt/<id>
   <baseline>`` (with the workspace's uncommitted changes as queued read in, when it had
   any), whose ``.dvc/config.local`` points ``cache.dir`` at the repo's cache (one
   cache for all: outputs land there, and the run-cache restores a param set seen before);
3. runs ``dvcdoit checkout`` then ``dvcdoit exp run -S … -n NAME`` there, output to the log;
   that run makes the experiment commit in the worktree and its ref (refs are shared);
4. removes the worktree, and marks the entry ``Success`` or ``Failed``.

SIGINT (:meth:`QueueRun.interrupt`) stops the children (each runs in its own process group,
and an ``exp run`` creates its ref last, in one ``update-ref``: a stopped run leaves none),
marks them ``Failed`` and leaves the experiments not started ``Queued``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from doit.exceptions import TaskFailed

from dvcdoit.repo.exprefs import ExpRef
from dvcdoit.repo.project import Project
from dvcdoit.verbs import expqueue as store
from dvcdoit.verbs.expcommit import ref_sha

BASENAME = "exp_queue"


class QueueRun:
    """The experiments one process runs: the live children, and whether it was interrupted."""

    def __init__(self, root: Path, cache_dir: Path) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._children: dict[int, subprocess.Popen[bytes]] = {}
        self.done: list[store.Entry] = []

    def interrupt(self, *_: Any) -> None:
        """Stop: no new experiment starts; the running ones are stopped (and marked failed)."""
        self.stopped.set()
        with self._lock:
            for pid in list(self._children):
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGTERM)

    def _spawn(self, argv: list[str], cwd: Path, log: Any, entry: store.Entry) -> int:
        with self._lock:
            if self.stopped.is_set() or store.kill_requested(self.root, entry):
                return -1
            child = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
            self._children[child.pid] = child
        store.update(self.root, entry, child=child.pid)  # NOTE: for `queue kill` and reap
        if store.kill_requested(self.root, entry):  # NOTE: after the pid: see request_kill
            store.stop(child.pid)
        try:
            return child.wait()
        finally:
            with self._lock:
                self._children.pop(child.pid, None)

    def _prepare(self, entry: store.Entry) -> Path:
        wt = store.worktree(self.root, entry)
        wt.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(self.root), "worktree", "add", "--detach", "-q",
                        str(wt), entry.baseline], capture_output=True, check=True)
        if entry.stash:  # NOTE: the workspace as queued; HEAD stays the baseline
            subprocess.run(["git", "-C", str(wt), "read-tree", "-u", "--reset", entry.stash],
                           capture_output=True, check=True)
        (wt / ".dvc" / "tmp").mkdir(parents=True, exist_ok=True)
        (wt / ".dvc" / "config.local").write_text(f"[cache]\n    dir = {self.cache_dir}\n")
        return wt

    def run_entry(self, entry_id: str) -> bool | TaskFailed:
        """Run one queued experiment in its own worktree (see the module docstring)."""
        entry = next((e for e in store.entries(self.root) if e.id == entry_id), None)
        if entry is None or entry.status != store.QUEUED or self.stopped.is_set():
            return True  # NOTE: removed, run by another, or the queue was stopped
        entry = store.update(self.root, entry, status=store.RUNNING, runner=os.getpid())
        ref = ExpRef(entry.baseline, entry.name).ref
        before = ref_sha(self.root, ref)
        code = -1
        log_file = store.log_path(self.root, entry)
        log_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            wt = self._prepare(entry)
            with log_file.open("wb") as log:
                cli = [sys.executable, "-m", "dvcdoit"]
                code = self._spawn([*cli, "-q", "checkout"], wt, log, entry)
                sets = [f"{path}:{item}" for path, items in entry.overrides.items()
                        for item in items]
                argv = [*cli, "exp", "run", "-n", entry.name, *[a for s in sets
                                                                for a in ("-S", s)],
                        *(["-m", entry.message] if entry.message else []), *entry.targets]
                if code == 0:
                    code = self._spawn(argv, wt, log, entry)
        except (OSError, subprocess.CalledProcessError) as exc:
            with log_file.open("ab") as log:
                log.write(f"ERROR: {exc}\n".encode())
        finally:
            store.remove_worktree(self.root, entry)
        after = ref_sha(self.root, ref)
        ok = code == 0 or (after is not None and after != before)
        entry = next((e for e in store.entries(self.root) if e.id == entry.id), entry)
        entry = store.update(self.root, entry, status=store.SUCCESS if ok else store.FAILED)
        self.done.append(entry)
        return True if ok else TaskFailed(f"experiment '{entry.name}' failed; see "
                                          f"'dvcdoit queue logs {entry.name}'")

    def task_dicts(self) -> Iterator[dict[str, Any]]:
        """The group task and one ``exp_queue:<name>`` task per queued experiment."""
        yield {"name": None, "doc": "Run the queued experiments (dvcdoit exp run --queue)"}
        queued = [e for e in store.entries(self.root) if e.status == store.QUEUED]
        names = [e.name for e in queued]
        for entry in queued:
            name = entry.name if names.count(entry.name) == 1 else f"{entry.name}-{entry.id[:7]}"
            yield {"name": name, "actions": [(self.run_entry, [entry.id])],
                   "uptodate": [False], "verbosity": 0,
                   "doc": f"experiment {entry.name} on {entry.baseline[:7]}"}


def queue_tasks(project: Project) -> Iterator[dict[str, Any]]:
    """The ``exp_queue`` tasks of ``project`` (the loader's route)."""
    store.reap(project.root)
    yield from QueueRun(project.root, project.cache.root.resolve()).task_dicts()


def task_exp_queue() -> Iterator[dict[str, Any]]:
    """Run the queued experiments, each in its own worktree (``doit -n N -P thread``)."""
    yield from queue_tasks(Project.find())


__all__ = ["BASENAME", "QueueRun", "queue_tasks", "task_exp_queue"]
