"""The doit actions of ``repro:<stage>`` and ``repro:<file>.dvc``.

Module-level functions with picklable args (``doit -n`` works in process mode); the lock
entry travels back as the action's value and is written by the main process
(:class:`dvcdoit.tasks.uptodate.StageUpToDate`). A stage's action, in DVC's order
(``Stage.reproduce``): with ``--pull``, a stage whose only changes are missing data gets its
outputs pulled from the remote (``Pulling data for stage: 'x'``; ``Unable to pull data for
stage: 'x'`` and it runs, when that fails); with ``-i`` (or ``core.interactive``) it asks
first (DVC's prompt); then, with ``--pull``, its missing deps are pulled and the objects of
its run-cache entry fetched; then it is restored from the run-cache or run.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from doit.exceptions import TaskFailed

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats.lock import entry_to_dict
from dvcdoit.formats.pipeline import StageDef
from dvcdoit.pipeline.session import Session
from dvcdoit.pipeline.stage import Execute, run
from dvcdoit.pipeline.status import missing_only, stage_status
from dvcdoit.repo.sources import commit as source_commit
from dvcdoit.repo.sources import status as source_status
from dvcdoit.tasks.stagelog import StageLog, buffered, reason_line, run_reasons
from dvcdoit.tasks.uptodate import user_error
from dvcdoit.verbs import cloud


def _pulled(session: Session, name: str, log: StageLog) -> dict[str, Any] | None:
    """``repro --pull``: the stage's outputs pulled and checked out; None if it changed
    otherwise or the pull failed (then it runs, as DVC's does)."""
    index = session.index
    st = stage_status(index, name)
    if not st.changed or not missing_only(index, st):
        return None
    log(f"Pulling data for stage: '{name}'")
    try:  # NOTE: not cloud.run: the doit run holds the repo lock, maybe in another process
        res = cloud.pull(index, index.select([name], index.project.root))
    except DvcDoitError:
        res = None
    entry = index.locks.get(name)
    if res is None or not res.ok or entry is None:
        log(f"Unable to pull data for stage: '{name}'")
        return None
    return {"lock": entry_to_dict(entry), "gitignores": [], "pulled": True}


def _before_run(session: Session, name: str) -> None:
    """``repro --pull``, a stage about to run: its missing deps pulled, and the objects its
    run-cache entry names fetched (DVC's ``_pull_missing_deps``, ``restore(pull=True)``).
    Failures are no error here: the stage then runs, or fails on its missing deps."""
    index = session.index
    stage = index.stages[name]
    root = index.project.root
    missing = [stage.repo_path(d) for d in stage.deps if not (root / stage.repo_path(d)).exists()]
    with contextlib.suppress(DvcDoitError):
        if missing:
            sel = index.select(missing, root, strict=False)
            if sel.stages or sel.sources:
                cloud.pull(index, sel)
        cloud.fetch_restorable(index, index.select([name], root))


def confirmed(statement: str) -> bool:
    """DVC's ``prompt.confirm``: ``STATEMENT [y/n]`` until yes, no, y or n; off a terminal
    (stdout), or at the end of input, no."""
    if not sys.stdout.isatty():
        return False
    while True:
        try:
            answer = input(f"{statement} [y/n] ").lower()
        except EOFError:
            return False
        if answer in ("yes", "no", "y", "n"):
            return answer.startswith("y")
        print("Your response must be one of: ['yes', 'no', 'y', 'n']. Please try again.")


def _elsewhere(cluster: Any, stage: StageDef) -> Execute | None:
    """The cluster's :data:`Execute` for ``stage``, or None: it runs here."""
    if cluster is None:
        return None
    from dvcdoit.verbs.daskrepro import runs_here

    return None if runs_here(stage) else cluster.execute  # type: ignore[no-any-return]


def stage_action(session: Session, name: str, force: bool = False, use_run_cache: bool = True,
                 reasons: bool = True, pull: bool = False, interactive: bool = False,
                 cluster: Any = None) -> dict[str, Any] | TaskFailed:
    """doit action of ``repro:<stage>``: pull, restore or run the stage; its lock entry.

    With ``reasons`` it first says why the stage runs; its lines and its commands' output
    come out as one block in a doit worker (:mod:`dvcdoit.tasks.stagelog`). With
    ``cluster`` (``repro --executor dask``: a :class:`dvcdoit.verbs.daskrepro.DaskStages`)
    the commands of a stage that must run, and that the cluster takes, run there.
    """
    log = StageLog(buffered())
    try:
        index = session.index
        ws = index.project.workspace
        if not ws.gitignores.primed:  # NOTE: one `git check-ignore` per run, not one per stage
            ws.gitignores.prime([s.repo_path(o.path) for s in index.stages.values()
                                 for o in s.outs if o.cache])
        if reasons:
            log(reason_line(name, run_reasons(index, name, force)))
        pulled = _pulled(session, name, log) if pull and not force else None
        if pulled is not None:
            return pulled
        if pull and not force:
            _before_run(session, name)
        if interactive:
            log.flush()  # NOTE: the lines so far, before the question
            if not confirmed(f"Going to reproduce stage: '{name}'. Are you sure you want to "
                             "continue?"):
                return TaskFailed(f"failed to reproduce '{name}': reproduction aborted by the "
                                  "user")
        before = len(ws.gitignores.changed)
        stage = index.stages[name]
        entry = run(ws, stage, index.locks.get(name), force=force,
                    use_run_cache=use_run_cache, log=log, capture=log.block,
                    execute=_elsewhere(cluster, stage))
        gitignores = ws.gitignores.changed[before:]
    except Exception as exc:
        error = user_error(exc)
        if error is None:
            raise  # NOTE: a bug: doit shows its traceback
        worker = getattr(error, "worker", None) if cluster is not None else None
        where = f" on worker {worker or 'unknown'}" if worker is not None else ""
        return TaskFailed(f"failed to reproduce '{name}'{where}: {error}")
    finally:
        log.flush()
    return {"lock": entry_to_dict(entry), "gitignores": gitignores}


def source_action(session: Session, name: str) -> dict[str, Any] | TaskFailed:
    """doit action of ``repro:<file>.dvc``: re-commit a changed data source (as DVC repro)."""
    try:
        index = session.index
        ws = index.project.workspace
        source = index.sources[name]
        st = source_status(ws, source)
        if st is not None:
            missing = [p for p, w in st.outs.items() if w == "deleted"]
            if missing:
                return TaskFailed(f"missing data 'source': {', '.join(missing)} (from '{name}')")
        # NOTE: run because it changed, or forced (repro -f): DVC verifies and saves it then
        what = "outputs in frozen stage" if source.file.is_import else "data sources in stage"
        StageLog(block=False)(f"Verifying {what}: '{name}'")  # NOTE: one write per line
        before = len(ws.gitignores.changed)
        if st is not None:
            source_commit(ws, source)
        return {"track": [*ws.gitignores.changed[before:], source.relpath]}
    except Exception as exc:
        error = user_error(exc)
        if error is None:
            raise  # NOTE: a bug: doit shows its traceback
        return TaskFailed(f"failed to verify '{name}': {error}")
    return {}


__all__ = ["source_action", "stage_action"]
