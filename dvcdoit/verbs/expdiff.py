"""``exp diff``'s data: the metrics and params that differ between two experiments (DVC 3.67.1).

DVC's ``experiments.diff``: ``A`` (default ``HEAD``) and ``B`` (default the workspace) are
git revisions or experiment names (:func:`dvcdoit.verbs.expname.commit`); each side is what
``exp show`` reads of it (the metrics of ``metrics show``, the params of ``params show``, or
with ``param_deps`` only the stages' params); lists are compared as their ``str`` (DVC's
``format_dict``), values by :func:`dvcdoit.verbs.metrics.diff_values`. The result is DVC's
``--json``: ``{"metrics": {file: {key: {"old", "new"[, "diff"]}}}, "params": {…}}``.
"""

from __future__ import annotations

from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats.metrics import flatten
from dvcdoit.formats.params import parse_params
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects
from dvcdoit.repo.revisions import has_commits
from dvcdoit.verbs import expname, metrics, params
from dvcdoit.verbs.snapshot import Snapshot


def _strings(data: Any) -> Any:
    """DVC's ``format_dict``: every list inside ``data`` becomes its ``str``."""
    if isinstance(data, dict):
        return {k: _strings(v) for k, v in data.items()}
    return str(data) if isinstance(data, list) else data


def _params(snap: Snapshot, deps: bool) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path, keys in params.selected(snap, deps=deps).items():
        try:
            found[path] = {"data": params.values_of(parse_params(snap.read(path), path), keys)}
        except DvcDoitError:
            found[path] = {}  # NOTE: DVC compares a file it cannot read as empty
    return found


def _file_diff(old: Any, new: Any, with_unchanged: bool) -> dict[str, Any]:
    old, new = _strings(old), _strings(new)
    if not isinstance(old, dict) and not isinstance(new, dict):  # NOTE: a one-value file
        return metrics.diff_values({"": old}, {"": new}, with_unchanged)
    flat_old = flatten(old) if isinstance(old, dict) else {}
    flat_new = flatten(new) if isinstance(new, dict) else {}
    return metrics.diff_values(flat_old, flat_new, with_unchanged)


def _diff(old: dict[str, Any], new: dict[str, Any], with_unchanged: bool) -> dict[str, Any]:
    found = {path: _file_diff(old.get(path, {}).get("data", {}),
                              new.get(path, {}).get("data", {}), with_unchanged)
             for path in sorted({*old, *new})}
    return {path: changes for path, changes in found.items() if changes}


def diff(project: Project, a_rev: str | None = None, b_rev: str | None = None,
         with_unchanged: bool = False, param_deps: bool = False) -> dict[str, Any]:
    """DVC's ``exp diff --json`` of ``a_rev`` (default ``HEAD``) and ``b_rev`` (default the
    workspace); ``{}`` before the first commit."""
    root = project.root
    if not has_commits(root):
        return {}
    objects = GitObjects(root)
    try:
        sides = []
        for rev in (a_rev or "HEAD", b_rev):
            if rev is None:
                snap = Snapshot(project)
            else:
                sha = expname.commit(root, rev)
                snap = Snapshot(project, sha, rev, objects, sha=sha)
            sides.append({"metrics": metrics.of_snapshot(snap),
                          "params": _params(snap, param_deps)})
    finally:
        objects.close()
    old, new = sides
    return {key: _diff(old[key], new[key], with_unchanged) for key in ("metrics", "params")}


__all__ = ["diff"]
