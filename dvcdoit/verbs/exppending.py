"""``exp show``'s rows for the queue: running, queued and failed experiments, as DVC shows its own.

Measured with ``dvc==3.67.1`` (``exp show --json`` with ``dvc exp run --queue`` and ``dvc queue
start``). Each row is one ExpRange ``{"revs": [ExpState], "executor", "name"}`` whose state's
``rev`` is the queue entry (DVC: its stash commit; dvcdoit: the entry's 40-hex id, whose first
7 digits ``queue status`` prints as the Task):

- **queued**: the baseline's data with the overrides applied to its params files, no
  metrics (``{}``), the time it was queued; executor ``{"state": "queued", "name":
  "dvc-task", "local": {root, log, pid, returncode: null, task_id}}``. The table shows
  ``Queued`` and ``Dvc-task``.
- **running**: the data of its workspace as it is now (``rev`` ``workspace``, no timestamp);
  executor state ``running``, its worktree, log and pid.
- **failed**: the baseline's data with the overrides (its metrics kept),
  ``"error": {"msg": "Experiment run failed", "type": ""}``; executor state ``failed``,
  ``name`` null (so no Executor column), return code 255.

Finished ones are refs, listed by :mod:`dvcdoit.verbs.expshow`; a ``Success`` entry is
skipped here.
"""

from __future__ import annotations

import contextlib
import copy
from collections import defaultdict
from datetime import datetime
from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats.params import parse_params
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects
from dvcdoit.repo.revisions import WORKSPACE
from dvcdoit.verbs import expqueue, params
from dvcdoit.verbs.expdata import rev_data
from dvcdoit.verbs.expparams import overridden
from dvcdoit.verbs.expshow import Pending, state
from dvcdoit.verbs.snapshot import Snapshot

_KIND = {expqueue.QUEUED: "queued", expqueue.RUNNING: "active", expqueue.FAILED: "failed"}
FAILED_ERROR = {"msg": "Experiment run failed", "type": ""}


def _with_overrides(snap: Snapshot, data: dict[str, Any], entry: expqueue.Entry) -> None:
    wanted = params.selected(snap)
    for rel, items in entry.overrides.items():
        if rel not in wanted:
            continue
        try:
            text = snap.read(rel).decode("utf-8") if snap.exists(rel) else ""
            parsed = parse_params(overridden(text, rel, items).encode(), rel)
            data["params"][rel] = {"data": params.values_of(parsed, wanted[rel])}
        except DvcDoitError as exc:
            data["params"][rel] = {"error": {"msg": str(exc), "type": type(exc).__name__}}


def _executor(project: Project, entry: expqueue.Entry) -> dict[str, Any]:
    running = entry.status == expqueue.RUNNING
    log = expqueue.log_path(project.root, entry)
    return {"state": _KIND[entry.status].replace("active", "running"),
            "name": None if entry.status == expqueue.FAILED else "dvc-task",
            "local": {"root": str(expqueue.worktree(project.root, entry)) if running else None,
                      "log": str(log) if entry.status != expqueue.QUEUED else None,
                      "pid": entry.child or None,
                      "returncode": 255 if entry.status == expqueue.FAILED else None,
                      "task_id": entry.id}}


def _live(project: Project, entry: expqueue.Entry) -> dict[str, Any] | None:
    """The running experiment's workspace as it is now; None if it cannot be read (yet)."""
    wt = expqueue.worktree(project.root, entry)
    try:
        return rev_data(Snapshot(Project(wt)), WORKSPACE, None) if wt.is_dir() else None
    except (DvcDoitError, OSError):
        return None


def _row(project: Project, objects: GitObjects, entry: expqueue.Entry,
         baseline: dict[str, Any]) -> dict[str, Any]:
    data = _live(project, entry) if entry.status == expqueue.RUNNING else None
    if data is None:
        rev = entry.stash or entry.baseline
        snap = Snapshot(project, rev, rev, objects, sha=rev)
        data = copy.deepcopy(baseline)
        if entry.stash:  # NOTE: queued from a workspace with changes: its files, as DVC's stash
            with contextlib.suppress(DvcDoitError):
                data = rev_data(snap, rev, None)
        data["rev"] = entry.id
        data["timestamp"] = datetime.fromtimestamp(entry.created).replace(
            microsecond=0).isoformat()
        _with_overrides(snap, data, entry)
        if entry.status == expqueue.QUEUED:
            data["metrics"] = {}
        if entry.status == expqueue.RUNNING:
            data["rev"], data["timestamp"] = WORKSPACE, None
    error = FAILED_ERROR if entry.status == expqueue.FAILED else None
    return {"revs": [state(entry.id, entry.name, data, error)],
            "executor": _executor(project, entry), "name": entry.name}


def pending(project: Project, hide_queued: bool = False, hide_failed: bool = False) -> Pending:
    """The queue's rows (kind → baseline sha → ExpRange dicts), for :func:`collect`.

    Dead runners' entries are marked failed first (:func:`~dvcdoit.verbs.expqueue.reap`).
    """
    root = project.root
    expqueue.reap(root)
    hidden = {expqueue.QUEUED} if hide_queued else set()
    hidden |= {expqueue.FAILED} if hide_failed else set()
    chosen = [e for e in expqueue.entries(root) if e.status in _KIND
              and e.status not in hidden]
    found: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    if not chosen:
        return found
    objects = GitObjects(root)
    base_data: dict[str, dict[str, Any]] = {}
    try:
        for entry in chosen:
            if entry.baseline not in base_data:
                snap = Snapshot(project, entry.baseline, entry.baseline, objects,
                                sha=entry.baseline)
                try:
                    base_data[entry.baseline] = rev_data(snap, entry.baseline, None)
                except DvcDoitError:
                    continue  # NOTE: its baseline shows the error; DVC lists no row either
            row = _row(project, objects, entry, base_data[entry.baseline])
            found[_KIND[entry.status]][entry.baseline].append(row)
    finally:
        objects.close()
    return found


__all__ = ["FAILED_ERROR", "pending"]
