"""One queued experiment, run where a Dask worker runs it: a fresh clone, and back a bundle.

:func:`run_experiment` is a plain function (no Dask import: Dask pickles it by reference, so
the worker needs dvcdoit installed, not this module's caller). For one :class:`Job` it

1. clones the project from ``job.git_url`` into a temp dir and checks out the baseline;
2. writes the experiment's params; ``dvcdoit pull --run-cache --allow-missing``: the
   baseline's data (verified, as every pull) and the remote's run-cache entries; then the
   outputs of the entries of this pipeline's stages with these params
   (:func:`sync_run_outputs`), so a param set run before, anywhere, is restored instead of
   run;
3. ``dvcdoit exp run -n NAME -S …`` (the experiment commit and its ref, in the clone);
4. ``dvcdoit push --run-cache``, and the run-cache entries' uncached outputs: the outputs
   and the new entries go to the remote, so the experiment's data is somewhere other than a
   temp dir that is about to go, and the next worker can restore instead of run;
5. ``git bundle create`` of the experiment ref (the baseline is the prerequisite: the
   submitter has it), returned as bytes in an :class:`Outcome` with the steps' output.

A step that fails ends the run: the outcome says not ok and carries the output so far. The
temp dir is removed in every case but the worker's own death.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats.pipeline import StageDef
from dvcdoit.pipeline.session import Session
from dvcdoit.pipeline.stage import read_params
from dvcdoit.repo.exprefs import ExpRef
from dvcdoit.storage import transfer
from dvcdoit.storage.runcache import RunCache, parse_name
from dvcdoit.verbs import cloud, expparams
from dvcdoit.verbs.tracked import Tracked

TAIL_LINES = 3
TAIL_WIDTH = 300
POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Job:
    """What a worker needs to run one queued experiment."""

    name: str
    baseline: str
    overrides: dict[str, list[str]]
    git_url: str
    """a URL every worker can clone (the submitter's ``origin`` by default)"""
    targets: list[str] = field(default_factory=list)
    git_env: dict[str, str] = field(default_factory=dict)
    """the submitter's ``GIT_AUTHOR_NAME``/``_EMAIL`` and ``GIT_COMMITTER_…``: the experiment
    commit is authored as a local run's would be, whatever the worker's git config says"""
    message: str = ""
    """``exp run -m``: the experiment commit's message (DVC's own when empty)"""
    stash: str = ""
    """the commit of the workspace's changes as queued (on the baseline), or empty"""
    stash_bundle: bytes = b""
    """a git bundle holding :attr:`stash` (the submitter's; the git URL has no such commit)"""

    @property
    def ref(self) -> str:
        """The experiment's ref, ``refs/exps/<2>/<38>/<name>``."""
        return ExpRef(self.baseline, self.name).ref


@dataclass(frozen=True)
class Outcome:
    """What came back from a worker: success, the bundle of the ref, the output, who ran it."""

    ok: bool
    bundle: bytes = b""
    log: str = ""
    worker: str = ""

    @property
    def tail(self) -> str:
        """The last few non-blank lines of the output, as one line (for the failure line)."""
        lines = [line.strip() for line in self.log.splitlines() if line.strip()]
        return " / ".join(line if len(line) <= TAIL_WIDTH else line[:TAIL_WIDTH - 1] + "…"
                          for line in lines[-TAIL_LINES:])


Stop = Callable[[], bool]
"""Asked about once a second while a step runs: True stops the run (Ctrl-C or ``queue kill``
on the submitter's side)."""


def _never() -> bool:
    return False


class _Steps:
    """The commands of one run, in one clone, with their output gathered."""

    def __init__(self, clone: Path, stop: Stop = _never,
                 env: dict[str, str] | None = None) -> None:
        self.clone = clone
        self.out: list[str] = []
        self.stop = stop
        self.env = {**os.environ, **(env or {})}

    def run(self, argv: list[str], cwd: Path | None = None) -> bool:
        """Run ``argv`` (stdin closed, stderr with stdout, its own process group); True if it
        exited 0. When :attr:`stop` says so, the group gets SIGTERM and the run fails."""
        if self.stop():
            return self._stopped()
        with tempfile.TemporaryFile() as log:
            proc = subprocess.Popen(argv, cwd=cwd or self.clone, stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                    start_new_session=True)
            stopped = False
            while True:
                try:
                    code = proc.wait(timeout=POLL_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    if not stopped and self.stop():
                        stopped = True
                        with contextlib.suppress(OSError):
                            os.killpg(proc.pid, signal.SIGTERM)
            log.seek(0)
            self.out.append(log.read().decode(errors="replace"))
        return self._stopped() if stopped else code == 0

    def _stopped(self) -> bool:
        self.say("ERROR: stopped: the experiment was cancelled (Ctrl-C on the submitter, "
                 "or 'queue kill')")
        return False

    def dvcdoit(self, *args: str) -> bool:
        """``python -m dvcdoit ARGS`` in the clone, with this worker's interpreter."""
        return self.run([sys.executable, "-m", "dvcdoit", *args])

    def say(self, line: str) -> None:
        """Add one line of our own to the output."""
        self.out.append(line + "\n")


def _checkout(steps: _Steps, job: Job) -> bool:
    parent = steps.clone.parent
    if not steps.run(["git", "clone", "-q", "--no-checkout", job.git_url, str(steps.clone)],
                     cwd=parent):
        return False
    git = ["git", "-C", str(steps.clone)]
    if not steps.run([*git, "checkout", "-q", "--detach", job.baseline]) and not (
            steps.run([*git, "fetch", "-q", "origin", job.baseline])
            and steps.run([*git, "checkout", "-q", "--detach", job.baseline])):
        steps.say(f"ERROR: the baseline commit {job.baseline} is not in {job.git_url}: "
                  "push it there first (git push)")
        return False
    return _read_stash(steps, job)


def _read_stash(steps: _Steps, job: Job) -> bool:
    """The workspace's changes as queued, read into the clone (HEAD stays the baseline)."""
    if not job.stash:
        return True
    bundle = steps.clone.parent / "stash.bundle"
    bundle.write_bytes(job.stash_bundle)
    git = ["git", "-C", str(steps.clone)]
    return (steps.run([*git, "fetch", "-q", str(bundle), "+refs/*:refs/dvcdoit-bundle/*"])
            and steps.run([*git, "read-tree", "-u", "--reset", job.stash]))


def _params(root: Path, sdef: StageDef) -> dict[str, dict[str, Any]] | None:
    try:
        return read_params(root, sdef)
    except DvcDoitError:
        return None  # NOTE: a params file or key missing: no entry can match


def _run_outputs(session: Session) -> list[Tracked]:
    """Every output (cached or not: a restore needs both) that a local run-cache entry of a
    stage of the pipeline records a hash for, when the entry has the stage's command, its
    outputs and its params as they are now in the workspace (the experiment's, applied):
    the only entries a run of this experiment can restore from."""
    index = session.index
    runs = RunCache(session.project.cache)
    keys = sorted({parsed[0] for name in runs.names() if (parsed := parse_name(name))})
    entries = [entry for key in keys for entry in runs.load_all(key)]
    found: list[Tracked] = []
    for sdef in index.stages.values():
        paths = sorted(o.path for o in sdef.outs)
        params = _params(session.root, sdef)
        for entry in entries:
            if entry.cmd != sdef.cmd or sorted(o.path for o in entry.outs) != paths \
                    or entry.params != params:
                continue
            for so in sdef.outs:
                item = entry.out(so.path)
                if item is not None and item.hash is not None:
                    found.append(Tracked(sdef.repo_path(so.path), item.hash, item.isexec,
                                         True, so.remote))
    return found


def sync_run_outputs(root: Path, verb: str) -> transfer.TransferResult:
    """``fetch`` (or ``push``) the outputs the run-cache entries of the pipeline at ``root``
    name, between its cache and its remote(s).

    After ``pull --run-cache`` a clone has the entries but not their outputs: without them a
    stage whose params match an entry would run again. And ``push --run-cache`` (as DVC's,
    measured with dvc 3.67.1) uploads the entries and the cached outputs, not the objects
    of uncached ones (``cache: false`` metrics), which a restore needs as well: ``push``
    here uploads those of the entries whose objects this cache has.
    """
    session = Session.find(root)
    project = session.project
    outs = _run_outputs(session)
    pushing = verb == "push"
    if pushing:
        outs = [t for t in outs if project.cache.has(t.hi)]
    move = transfer.push if pushing else transfer.fetch
    total = transfer.TransferResult()
    for name, items in cloud.groups(project, outs, None, pushing).items():
        _, rem = cloud.open_named(project, name or None)
        total = total + move(project.cache, rem, items)
    return total


def _apply(steps: _Steps, job: Job) -> bool:
    """The experiment's params, written before the pull (``exp run -S`` writes the same
    values again): the run-cache entries worth fetching are those of these params."""
    try:
        expparams.apply(steps.clone, job.overrides)
    except DvcDoitError as exc:
        steps.say(f"ERROR: {exc}")
        return False
    return True


def _sync(steps: _Steps, verb: str) -> bool:
    """``dvcdoit pull|push --run-cache``, then the run-cache entries' outputs likewise."""
    args = ("pull", "--run-cache", "--allow-missing") if verb == "fetch" else \
        ("push", "--run-cache")
    if not steps.dvcdoit(*args):
        return False
    try:
        moved = sync_run_outputs(steps.clone, verb)
    except DvcDoitError as exc:
        steps.say(f"ERROR: {verb} of the run-cache's outputs: {exc}")
        return False
    if moved.failed:
        steps.say(f"ERROR: {verb} of the run-cache's outputs: {moved.failed[0][2]}")
        return False
    steps.say(f"{len(moved.transferred)} run-cache outputs {verb}ed")
    return True


def _experiment(steps: _Steps, job: Job) -> bool:
    sets = [a for path, items in job.overrides.items() for item in items
            for a in ("-S", f"{path}:{item}")]
    return steps.dvcdoit("exp", "run", "-n", job.name, *sets,
                         *(["-m", job.message] if job.message else []), *job.targets)


def _bundle(steps: _Steps, job: Job) -> bytes | None:
    path = steps.clone.parent / "exp.bundle"
    if not steps.run(["git", "-C", str(steps.clone), "bundle", "create", "-q", str(path),
                      job.ref, f"^{job.baseline}"]):
        return None
    return path.read_bytes()


def _remove(tmp: Path) -> None:
    """Remove ``tmp``, read-only cache directories included."""
    for dirpath, _dirs, _files in os.walk(tmp):
        with contextlib.suppress(OSError):
            os.chmod(dirpath, stat.S_IRWXU)
    shutil.rmtree(tmp, ignore_errors=True)


def run_experiment(job: Job, stop: Stop = _never) -> Outcome:
    """Run ``job`` in a fresh clone (see the module docstring); never raises for a failed step.

    ``stop`` is polled while each step runs; once it is True the step's process group is
    stopped and the run ends, not ok.
    """
    tmp = Path(tempfile.mkdtemp(prefix="dvcdoit-dask-"))
    steps = _Steps(tmp / "repo", stop, job.git_env)
    try:
        ok = (_checkout(steps, job) and _apply(steps, job) and _sync(steps, "fetch")
              and _experiment(steps, job) and _sync(steps, "push"))
        bundle = _bundle(steps, job) if ok else None
        return Outcome(bundle is not None, bundle or b"", "".join(steps.out))
    except OSError as exc:
        steps.say(f"ERROR: {exc}")
        return Outcome(False, b"", "".join(steps.out))
    finally:
        _remove(tmp)


__all__ = ["Job", "Outcome", "Stop", "run_experiment", "sync_run_outputs"]
