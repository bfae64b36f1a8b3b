"""The experiment queue run on a Dask cluster: ``exp run --run-all --executor dask``.

The submitter's side, and the only module that imports ``distributed`` (inside functions:
dvcdoit without the ``dask`` extra never loads it). Each queued experiment becomes one Dask
task, :func:`_on_worker`, which runs :func:`dvcdoit.verbs.daskworker.run_experiment` on a
worker: a fresh clone from a git URL every worker can reach, the DVC remote for the data and
the run-cache, and a git bundle of the experiment ref back. As each task ends, the bundle is
fetched into this repo (``git fetch <bundle> <ref>:<ref>``: one ref, created in one step,
never replacing another) and the queue entry is marked ``Success`` or ``Failed``, its log
being the worker's output, so ``queue status`` and ``queue logs`` show Dask runs as local
ones.

A worker that dies marks its experiment ``Failed`` (Dask's ``KilledWorker``; how many
deaths a task may see first is the scheduler's ``distributed.scheduler.allowed-failures``);
the rest go on. Ctrl-C cancels the futures and stops the workers' runs, marks ``Failed`` the
experiments a worker had begun, leaves the others ``Queued``, and writes no ref. ``queue
kill NAME`` stops that one run on its worker (it ends ``Failed``).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.verbs import expqueue as store
from dvcdoit.verbs.daskworker import Job, Outcome, run_experiment
from dvcdoit.verbs.expcommit import ref_sha

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
CONNECT_TIMEOUT = 10
_IDENT = re.compile(r"(.*) <(.*)> \d+ [+-]\d{4}")
POLL_SECONDS = 0.5


class DaskError(DvcDoitError):
    """The Dask executor cannot start: no extra installed, no scheduler, no git URL."""


@dataclass(frozen=True)
class Result:
    """How one queued experiment ended on the cluster."""

    entry: store.Entry
    ok: bool
    worker: str
    tail: str
    """the last lines of its output (see :attr:`Outcome.tail`)"""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        msg = "the dask executor needs the 'dask' extra: pip install 'dvcdoit[dask]'"
        raise DaskError(msg) from None
    return distributed


def scheduler_address(given: str | None, env: Mapping[str, str] | None = None) -> str:
    """``--scheduler``, else ``$DASK_SCHEDULER_ADDRESS``; :class:`DaskError` if neither."""
    address = given or (os.environ if env is None else env).get(SCHEDULER_ENV, "")
    if not address:
        msg = ("the dask executor needs a scheduler: pass --scheduler tcp://HOST:8786 or set "
               f"{SCHEDULER_ENV}")
        raise DaskError(msg)
    return address


def _git(root: Path, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    return out.stdout.decode().strip() if out.returncode == 0 else ""


def git_url(root: Path, given: str | None) -> str:
    """``--git-url``, else the ``origin`` remote's URL; a local path is made absolute."""
    url = given or _git(root, "remote", "get-url", "origin")
    if not url:
        msg = ("the dask workers clone the project from git: pass --git-url URL, or add an "
               "'origin' remote that every worker can reach")
        raise DaskError(msg)
    if "://" not in url and not _scp_like(url):
        url = str((root / url).resolve())
    return url


def _scp_like(url: str) -> bool:
    """True for git's ``host:path`` form (a colon before any slash)."""
    head, colon, _ = url.partition(":")
    return bool(colon) and "/" not in head and len(head) > 1


def _job(root: Path, entry: store.Entry, url: str) -> Job:
    return Job(entry.name, entry.baseline, entry.overrides, url, list(entry.targets),
               _git_identity(root), entry.message, entry.stash, _stash_bundle(root, entry))


def _stash_bundle(root: Path, entry: store.Entry) -> bytes:
    """A git bundle of ``entry``'s workspace commit (its baseline a prerequisite), or b""."""
    if not entry.stash:
        return b""
    with tempfile.TemporaryDirectory(prefix="dvcdoit-bundle-") as tmp:
        path = Path(tmp) / "stash.bundle"
        proc = subprocess.run(["git", "-C", str(root), "bundle", "create", "-q", str(path),
                               store.STASH_REFS + entry.id, f"^{entry.baseline}"],
                              capture_output=True, check=False)
        if proc.returncode != 0:
            msg = (f"cannot bundle the workspace changes queued with '{entry.name}': "
                   f"{proc.stderr.decode(errors='replace').strip()}")
            raise DaskError(msg)
        return path.read_bytes()


def _git_identity(root: Path) -> dict[str, str]:
    """The author and committer a commit made here would have (``git var``: the env vars,
    then the config), as the ``GIT_*`` variables; empty for one git does not know."""
    env: dict[str, str] = {}
    for who in ("AUTHOR", "COMMITTER"):
        match = _IDENT.fullmatch(_git(root, "var", f"GIT_{who}_IDENT"))
        if match:
            env[f"GIT_{who}_NAME"], env[f"GIT_{who}_EMAIL"] = match.group(1), match.group(2)
    return env


def _started(key: str) -> str:
    """The name of the Dask event a task sets as it starts (Ctrl-C asks which did)."""
    return f"{key}-started"


def _cancelled(key: str) -> str:
    """The name of the Dask event Ctrl-C sets for a task: its worker stops the run.

    Dask's own ``cancel`` cannot interrupt a running task: without this the worker would
    go on with an experiment nobody waits for.
    """
    return f"{key}-cancelled"


def _forget(distributed: Any, client: Any, key: str) -> None:
    """Drop a finished task's two events from the scheduler (a cleared event is deleted)."""
    for name in (_started(key), _cancelled(key)):
        distributed.Event(name, client=client).clear()


def _on_worker(job: Job, key: str) -> Outcome:
    """The Dask task: say it started, run ``job`` here (stopping if cancelled), and say
    which worker did."""
    distributed = _distributed()
    distributed.Event(_started(key)).set()
    address = distributed.get_worker().address
    cancelled = distributed.Event(_cancelled(key))
    outcome = run_experiment(job, cancelled.is_set)
    head = f"Dask worker {address}: {job.git_url} at {job.baseline}\n"
    return Outcome(outcome.ok, outcome.bundle, head + outcome.log, address)


def _store_ref(root: Path, job: Job, bundle: bytes) -> str:
    """Fetch the experiment ref from ``bundle``; git's complaint, or ``""`` when stored."""
    tmp_dir = store.base(root)
    fd, path = tempfile.mkstemp(prefix="exp-", suffix=".bundle", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(bundle)
        out = subprocess.run(["git", "-C", str(root), "fetch", "-q", path,
                              f"{job.ref}:{job.ref}"], capture_output=True, check=False)
    finally:
        os.unlink(path)
    return "" if out.returncode == 0 else out.stderr.decode(errors="replace").strip()


def _outcome(future: Any, distributed: Any) -> Outcome:
    """The task's :class:`Outcome`; a dead worker or an error in the task is a failed one."""
    try:
        result: Outcome = future.result()
    except distributed.KilledWorker as exc:
        worker = getattr(exc.last_worker, "address", str(exc.last_worker))
        return Outcome(False, b"", f"ERROR: the Dask worker {worker} died while running this "
                       "experiment\n", worker)
    except Exception as exc:  # noqa: BLE001  NOTE: a remote error is data, not a crash here
        return Outcome(False, b"", f"ERROR: {type(exc).__name__}: {exc}\n", "")
    return result


def _finish(root: Path, entry: store.Entry, job: Job, outcome: Outcome) -> Result:
    """Store the ref (when ok), the log and the status of one finished task."""
    log = outcome.log
    ok = outcome.ok
    if ok:
        complaint = _store_ref(root, job, outcome.bundle)
        if complaint:
            ok = False
            log += f"ERROR: storing {job.ref}: {complaint}\n"
    path = store.log_path(root, entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(log, encoding="utf-8")
    done = store.update(root, entry, status=store.SUCCESS if ok else store.FAILED, child=0)
    return Result(done, ok, outcome.worker, Outcome(ok, log=log).tail)


def _interrupt(root: Path, client: Any, pending: dict[Any, tuple[store.Entry, Job]],
               distributed: Any) -> None:
    """Ctrl-C: cancel what is left; ``Failed`` for what a worker began, ``Queued`` for the
    rest (as the local runner leaves them)."""
    started: set[Any] = set(pending)
    try:
        for future in pending:
            distributed.Event(_cancelled(str(future.key)), client=client).set()
        client.cancel(list(pending))
        started = {f for f in pending
                   if distributed.Event(_started(str(f.key)), client=client).is_set()}
        for future in pending:  # NOTE: not the cancel events: the workers still poll them
            distributed.Event(_started(str(future.key)), client=client).clear()
    except (OSError, RuntimeError, TimeoutError):
        pass  # NOTE: the scheduler is gone too: every pending one counts as started
    for future, (entry, job) in pending.items():
        ran = future in started
        if ref_sha(root, job.ref) is not None:
            store.update(root, entry, status=store.SUCCESS, child=0)
        else:
            store.update(root, entry, status=store.FAILED if ran else store.QUEUED, child=0)


def _check_address(distributed: Any, scheduler: str) -> str:
    """``scheduler`` if Dask can parse it; else a one-line :class:`DaskError` (checked before
    any Client: one that fails on a bad address hangs 20 s in its ``__del__``)."""
    try:
        distributed.comm.get_address_host_port(scheduler)
    except ValueError as exc:
        msg = f"'{scheduler}' is not a Dask scheduler address (tcp://HOST:PORT): {exc}"
        raise DaskError(msg) from None
    return scheduler


def _connect(distributed: Any, scheduler: str) -> Any:
    """A client of the scheduler at ``scheduler``; one-line :class:`DaskError` if it does not
    answer within :data:`CONNECT_TIMEOUT` seconds."""
    try:
        return distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        msg = f"cannot reach the Dask scheduler at {scheduler}: {exc}"
        raise DaskError(msg) from None


def _collect(root: Path, client: Any, pending: dict[Any, tuple[store.Entry, Job]],
             distributed: Any) -> list[Result]:
    """Store each task's outcome as it ends (taking it out of ``pending``); meanwhile pass
    each ``queue kill NAME`` on to the worker running it."""
    results: list[Result] = []
    ended = distributed.as_completed(list(pending), loop=client.loop)
    killed: set[Any] = set()
    while not ended.is_empty():
        batch = ended.next_batch(block=False)
        for future in batch:
            entry, job = pending[future]
            results.append(_finish(root, entry, job, _outcome(future, distributed)))
            del pending[future]  # NOTE: after: a Ctrl-C inside _finish still marks the entry
            _forget(distributed, client, str(future.key))
        if batch:
            continue
        for future, (entry, _job) in pending.items():
            if future not in killed and store.kill_requested(root, entry):
                distributed.Event(_cancelled(str(future.key)), client=client).set()
                killed.add(future)
        time.sleep(POLL_SECONDS)
    return results


def run_queue(root: Path, scheduler: str | None, url: str | None) -> list[Result]:
    """Run every ``Queued`` experiment of the repo at ``root`` on the Dask cluster at
    ``scheduler`` (see :func:`scheduler_address`), the workers cloning ``url`` (see
    :func:`git_url`); the results in the order they ended.

    The caller holds the queue's runner lock. Ctrl-C (``KeyboardInterrupt``) is re-raised
    once the futures are cancelled and the entries marked.
    """
    distributed = _distributed()
    scheduler = _check_address(distributed, scheduler_address(scheduler))
    url = git_url(root, url)
    queued = [e for e in store.entries(root) if e.status == store.QUEUED]
    results: list[Result] = []
    if not queued:
        return results
    with _connect(distributed, scheduler) as client:
        pending: dict[Any, tuple[store.Entry, Job]] = {}
        for entry in queued:
            job = _job(root, entry, url)
            entry = store.update(root, entry, status=store.RUNNING, runner=os.getpid())
            # NOTE: a fresh key per run: the scheduler hands back a finished key's old result
            key = f"dvcdoit-exp-{entry.name}-{entry.id[:7]}-{secrets.token_hex(4)}"
            future = client.submit(_on_worker, job, key, key=key, pure=False)
            pending[future] = (entry, job)
        try:
            results = _collect(root, client, pending, distributed)
        except KeyboardInterrupt:
            _interrupt(root, client, pending, distributed)
            raise
    return results


__all__ = ["SCHEDULER_ENV", "DaskError", "Result", "git_url", "run_queue", "scheduler_address"]
