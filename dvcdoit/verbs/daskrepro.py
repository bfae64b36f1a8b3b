"""``repro --executor dask``: the commands of the stages that must run go to a Dask cluster.

doit keeps the scheduling (``dvcdoit repro`` runs doit's thread runner, ``-n`` the cluster's
threads), and each stage's action is the local one (:func:`dvcdoit.pipeline.stage.run`): the
deps are hashed here, the stage is restored here from ``dvc.lock`` or the run-cache when it
can be, the outputs are committed here and the lock entry goes back to doit's main process,
which writes ``dvc.lock``. Only the commands of a stage that must run are sent:
:meth:`DaskStages.execute` (an :data:`~dvcdoit.pipeline.stage.Execute`) puts the deps on the
DVC remote (git-tracked files too, as md5 objects), submits ONE Dask task that runs
:func:`dvcdoit.verbs.daskstage.run_stage` on a worker, waits for it (the thread waits, the
cluster works), fetches the outputs it pushed (verified) and checks them out.

A stage stays here (:func:`runs_here`) when its dvc.yaml entry says ``meta: {dvcdoit:
{executor: local}}`` (DVC accepts any ``meta``; a key ``executor:`` would make DVC refuse
dvc.yaml), or has a persist output (its old content lives here). ``distributed`` is
imported lazily, through :mod:`dvcdoit.verbs.daskqueue`.
"""

from __future__ import annotations

import secrets
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, final

from dvcdoit.core.errors import StageError
from dvcdoit.core.hashing import MD5, HashInfo
from dvcdoit.formats.pipeline import StageDef
from dvcdoit.pipeline.stage import Log
from dvcdoit.repo.project import Project
from dvcdoit.repo.workspace import Workspace
from dvcdoit.storage import transfer
from dvcdoit.verbs import cloud
from dvcdoit.verbs.daskqueue import (
    DaskError,
    _cancelled,
    _check_address,
    _connect,
    _distributed,
    git_url,
    scheduler_address,
)
from dvcdoit.verbs.daskstage import (
    Placed,
    StageJob,
    StageOutcome,
    executables,
    make_executable,
    problem,
    run_stage,
)

DEFAULT_THREADS = 8


class WorkerStageError(StageError):
    """A stage failed on a worker (its command, its data or the worker's death); the
    message is the last lines of its output."""

    def __init__(self, worker: str, tail: str) -> None:
        super().__init__(tail)
        self.worker = worker


def runs_here(stage: StageDef) -> bool:
    """True for a stage the cluster does not take (see the module docstring)."""
    ours = stage.meta.get("dvcdoit") if isinstance(stage.meta, dict) else None
    if isinstance(ours, dict) and ours.get("executor") == "local":
        return True
    return any(o.persist for o in stage.outs)


EVENT_TOPIC = "dvcdoit-stage"
"""The Dask event topic each stage task logs as it starts (``client.get_events(...)``):
``{"stage": name, "git_url": url, "commit": sha}``, so a cluster's log says what ran."""


def _on_worker(job: StageJob, key: str) -> StageOutcome:
    """The Dask task: run ``job`` here (stopping once the submitter cancels it)."""
    distributed = _distributed()
    worker = distributed.get_worker()
    address = worker.address
    worker.log_event(EVENT_TOPIC, {"stage": job.stage, "git_url": job.git_url,
                                   "commit": job.commit})
    cancelled = distributed.Event(_cancelled(key))
    outcome = run_stage(job, cancelled.is_set)
    return StageOutcome(outcome.ok, outcome.outs, outcome.log, address)


def _head(root: Path) -> str:
    out = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
                         capture_output=True, check=False)
    if out.returncode != 0:
        msg = "the dask workers check out this repo's HEAD commit: make a commit first"
        raise DaskError(msg)
    return out.stdout.decode().strip()


@final
class DaskStages:
    """The cluster side of one ``repro`` run; a context manager holding the Dask client.

    Leaving it with an exception (Ctrl-C) cancels every task still running and tells the
    workers to stop their commands.
    """

    def __init__(self, project: Project, scheduler: str | None, url: str | None) -> None:
        self._dist = _distributed()
        self.scheduler = _check_address(self._dist, scheduler_address(scheduler))
        self.url = git_url(project.root, url)
        self.commit = _head(project.root)
        self.project = project
        cloud.open_named(project, None)  # NOTE: no default remote: one line, before any run
        self._client: Any = None
        self._pending: dict[str, Any] = {}
        self._stopped: set[str] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> DaskStages:
        self._client = _connect(self._dist, self.scheduler)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if kind is not None:
                self.cancel()
        finally:
            self._client.close()

    def threads(self) -> int:
        """How many tasks the cluster runs at once (its workers' threads), or 8."""
        return sum(self._client.nthreads().values()) or DEFAULT_THREADS

    def cancel(self) -> None:
        """Cancel the tasks still running; their workers stop the commands."""
        with self._lock:
            pending = dict(self._pending)
            self._stopped.update(pending)
        try:
            for key in pending:
                self._dist.Event(_cancelled(key), client=self._client).set()
            self._client.cancel(list(pending.values()))
        except (OSError, RuntimeError, TimeoutError):
            pass  # NOTE: the scheduler is gone too

    def execute(self, ws: Workspace, stage: StageDef, log: Log, capture: bool) -> None:
        """Run ``stage``'s commands on a worker and check its outputs out here; a failure is
        :class:`WorkerStageError` (``capture`` does not matter: the output comes back whole)."""
        deps = self._send_deps(ws, stage)
        job = StageJob(stage.addressing, self.commit, self.url, stage.wdir, stage.commands,
                       deps, [stage.repo_path(o.path) for o in stage.outs])
        name = "".join(c if c.isalnum() else "-" for c in stage.addressing)
        key = f"dvcdoit-stage-{name}-{secrets.token_hex(4)}"
        future = self._client.submit(_on_worker, job, key, key=key, pure=False)
        with self._lock:
            self._pending[key] = future
        outcome = self._outcome(future)  # NOTE: Ctrl-C here (-j 1) leaves it to cancel()
        with self._lock:
            self._pending.pop(key, None)
            cancelled = key in self._stopped
        if cancelled:  # NOTE: its event stays: the worker polls it to stop the command
            raise WorkerStageError(outcome.worker, outcome.tail)
        self._dist.Event(_cancelled(key), client=self._client).clear()
        if outcome.log:
            log(outcome.log.removesuffix("\n"))
        if not outcome.ok:
            raise WorkerStageError(outcome.worker, outcome.tail)
        self._land(ws, outcome.outs)

    def _outcome(self, future: Any) -> StageOutcome:
        """The task's outcome; a dead worker or an error in the task is a failed one."""
        try:
            result: StageOutcome = future.result()
        except self._dist.KilledWorker as exc:
            worker = getattr(exc.last_worker, "address", str(exc.last_worker))
            return StageOutcome(False, log=f"ERROR: the Dask worker {worker} died while "
                                "running this stage\n", worker=worker)
        except self._dist.CancelledError:
            return StageOutcome(False, log="ERROR: the Dask task was cancelled\n")
        except Exception as exc:  # noqa: BLE001  NOTE: a remote error is data, not a crash here
            return StageOutcome(False, log=f"ERROR: {type(exc).__name__}: {exc}\n")
        return result

    def _send_deps(self, ws: Workspace, stage: StageDef) -> list[Placed]:
        """Every dep and params file as it is here, its objects in the cache and on the
        default remote (a git-tracked file is stored as an md5 object, as DVC would)."""
        paths = dict.fromkeys([stage.repo_path(d) for d in stage.deps]
                              + [stage.params_path(p) for p in stage.params])
        placed: list[Placed] = []
        for rel in paths:
            if rel.startswith(("/", "../")) or "://" in rel:
                msg = (f"dependency '{rel}' is outside the repo: the workers cannot get it "
                       "(mark the stage 'meta: {dvcdoit: {executor: local}}')")
                raise StageError(msg)
            path = ws.root / rel
            hashed = ws.hash(path, MD5)
            if not ws.in_cache(hashed.hi):
                _store(ws, path, hashed.hi)
            placed.append(Placed(rel, hashed.hi, hashed.isexec,
                                 executables(ws, path) if hashed.hi.isdir else ()))
        _, rem = cloud.open_named(self.project, None)
        why = problem(transfer.push(ws.cache, rem, [(p.path, p.hi) for p in placed]))
        if why:
            msg = f"sending the dependencies to the DVC remote: {why}"
            raise StageError(msg)
        return placed

    def _land(self, ws: Workspace, outs: list[Placed]) -> None:
        """Fetch the outputs a worker pushed (verified) and check them out here."""
        _, rem = cloud.open_named(self.project, None)
        why = problem(transfer.fetch(ws.cache, rem, [(o.path, o.hi) for o in outs]))
        if why:
            msg = f"fetching the outputs from the DVC remote: {why}"
            raise StageError(msg)
        for out in outs:
            dest = ws.root / out.path
            dest.parent.mkdir(parents=True, exist_ok=True)
            ws.checkout(dest, out.hi, out.isexec, force=True)
            if ws.links.copies(dest):  # NOTE: as a local run leaves them; links lose the bit
                make_executable(ws.root, out)


def _store(ws: Workspace, path: Path, hi: HashInfo) -> None:
    """Copy ``path`` (hashing to ``hi``) into the cache; the workspace is left as it is."""
    if not hi.isdir:
        ws.cache.add_file(path, hi)
        return
    entries = ws.hasher.members(path, hi.name)
    for e in entries:
        ws.cache.add_file(path / e.relpath, HashInfo(hi.name, e.md5))
    ws.cache.add_manifest(entries, hi.name)


__all__ = ["EVENT_TOPIC", "DaskStages", "WorkerStageError", "runs_here"]
