"""One stage of ``repro --executor dask``, run where a Dask worker runs it.

:func:`run_stage` is a plain function (no Dask import, as :mod:`dvcdoit.verbs.daskworker`).
For one :class:`StageJob` it

1. clones the project from ``job.git_url`` into a temp dir and checks out the submitter's
   commit (the files the stage uses without naming them come from there);
2. fetches every dep (and params file) from the project's default DVC remote by the hash
   the submitter has for it now (verified, as every fetch) and checks it out in the clone,
   over whatever the commit has there: the stage sees its deps as the submitter does;
3. removes the outputs, runs the stage's command lines, each in its own shell in the
   stage's ``wdir`` (``DVC_ROOT`` and ``DVC_STAGE`` set, as a local run);
4. commits every output (cached or not) to the clone's cache and pushes it to the remote;
5. returns the outputs' hashes and the commands' output as a :class:`StageOutcome`.

A step that fails ends the run: not ok, with the output so far. The temp dir is removed in
every case but the worker's own death.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import DvcDoitError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.pipeline.stage import shell_command
from dvcdoit.repo.project import Project
from dvcdoit.repo.workspace import Workspace
from dvcdoit.storage import transfer
from dvcdoit.verbs import cloud
from dvcdoit.verbs.daskworker import Job, Outcome, Stop, _checkout, _never, _remove, _Steps


@dataclass(frozen=True)
class Placed:
    """One file or directory by repo-relative path, object and exec bit."""

    path: str
    hi: HashInfo
    isexec: bool = False
    execs: tuple[str, ...] = ()
    """a directory's executable members (relpaths): a ``.dir`` manifest has no exec bits"""


@dataclass(frozen=True)
class StageJob:
    """What a worker needs to run one stage."""

    stage: str
    """the stage's name as DVC addresses it (``train``, ``sub/dvc.yaml:train``)"""
    commit: str
    git_url: str
    wdir: str
    commands: list[str]
    deps: list[Placed] = field(default_factory=list)
    outs: list[str] = field(default_factory=list)
    """the outputs' repo-relative paths"""


@dataclass(frozen=True)
class StageOutcome:
    """What came back: success, the outputs as committed, the output, who ran it."""

    ok: bool
    outs: list[Placed] = field(default_factory=list)
    log: str = ""
    worker: str = ""

    @property
    def tail(self) -> str:
        """The last few non-blank lines of the output, as one line (:attr:`Outcome.tail`)."""
        return Outcome(self.ok, log=self.log).tail


def executables(ws: Workspace, path: Path) -> tuple[str, ...]:
    """The relpaths of directory ``path``'s executable members (:attr:`Placed.execs`)."""
    return tuple(sorted(rel for rel, st in ws.ignore.walk_files(path) if st.st_mode & 0o111))


def make_executable(root: Path, placed: Placed) -> None:
    """Give ``placed``'s executable members (under ``root``) their exec bits back."""
    for rel in placed.execs:
        member = root / placed.path / rel
        os.chmod(member, os.stat(member).st_mode | 0o111)


def problem(res: transfer.TransferResult) -> str:
    """The first object ``res`` could not move, with why (``path: reason``); ``""`` if none."""
    if res.failed:
        return f"{res.failed[0][0]}: {res.failed[0][2]}"
    if res.missing:
        return f"{res.missing[0][0]}: not on the remote"
    return f"{res.corrupted[0]}: corrupt" if res.corrupted else ""


def _place_deps(steps: _Steps, project: Project, job: StageJob) -> bool:
    _, rem = cloud.open_named(project, None)
    why = problem(transfer.fetch(project.cache, rem, [(d.path, d.hi) for d in job.deps]))
    if why:
        steps.say(f"ERROR: fetching the dependencies from the DVC remote: {why}")
        return False
    for dep in job.deps:
        dest = steps.clone / dep.path
        if os.path.lexists(dest):
            fsutil.remove(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        project.workspace.checkout(dest, dep.hi, dep.isexec, force=True)
        make_executable(steps.clone, dep)
    return True


def _commands(steps: _Steps, job: StageJob) -> bool:
    for out in job.outs:
        fsutil.remove(steps.clone / out)
    for line in job.commands:
        steps.say(f"> {line}")
        if not steps.run(shell_command(line), cwd=steps.clone / job.wdir):
            steps.say(f"ERROR: failed to run: {line}")
            return False
    return True


def _push_outs(steps: _Steps, project: Project, job: StageJob) -> list[Placed] | None:
    outs: list[Placed] = []
    for out in job.outs:
        path = steps.clone / out
        if not os.path.lexists(path):
            steps.say(f"ERROR: output '{out}' does not exist (stage '{job.stage}' did not "
                      "create it)")
            return None
        hashed = project.workspace.commit(path)
        outs.append(Placed(out, hashed.hi, hashed.isexec, executables(project.workspace, path)
                           if hashed.hi.isdir else ()))
    _, rem = cloud.open_named(project, None)
    why = problem(transfer.push(project.cache, rem, [(o.path, o.hi) for o in outs]))
    if why:
        steps.say(f"ERROR: pushing the outputs to the DVC remote: {why}")
        return None
    return outs


def run_stage(job: StageJob, stop: Stop = _never) -> StageOutcome:
    """Run ``job`` in a fresh clone (see the module docstring); never raises for a failed step.

    ``stop`` is polled while each command runs; once it is True the command's process group
    is stopped and the run ends, not ok.
    """
    tmp = Path(tempfile.mkdtemp(prefix="dvcdoit-dask-"))
    clone = tmp / "repo"
    steps = _Steps(clone, stop, {"DVC_ROOT": str(clone), "DVC_STAGE": job.stage})
    outs: list[Placed] | None = None
    try:
        if _checkout(steps, Job(job.stage, job.commit, {}, job.git_url)):
            project = Project(clone)
            if _place_deps(steps, project, job) and _commands(steps, job):
                outs = _push_outs(steps, project, job)
    except (OSError, DvcDoitError) as exc:
        steps.say(f"ERROR: {exc}")
        outs = None
    finally:
        _remove(tmp)
    return StageOutcome(outs is not None, outs or [], "".join(steps.out))


__all__ = ["Placed", "StageJob", "StageOutcome", "executables", "make_executable", "problem",
           "run_stage"]
