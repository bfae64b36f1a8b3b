"""``metrics show`` on the workspace: find DVC's metrics sources, read them, build DVC's shapes.

Sources, as DVC 3.67.1 has them: the top-level ``metrics:`` list of every ``dvc.yaml``
(paths relative to that file's folder) and every stage output marked as a metric. The result
is DVC's JSON shape: ``{rev: {"data": {path: {"data": {...}} | {"error": {...}}}}}`` with
``""`` naming the workspace. Revisions (``-a``, ``-T``, ``-A``) are read through :class:`~dvcdoit.verbs.snapshot.Snapshot`, one ``git cat-file`` for all.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.formats import _yaml
from dvcdoit.formats.metrics import extract, parse_metrics
from dvcdoit.formats.params import parse_params
from dvcdoit.formats.pipeline import StageDef, parse_pipeline
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects
from dvcdoit.repo.revisions import WORKSPACE, RevName, active_branch, has_commits
from dvcdoit.verbs.snapshot import Snapshot


def _stages(snap: Snapshot, file: str, raw: Any) -> list[StageDef]:
    def read(rel: str) -> Any:
        return parse_params(snap.read(rel), rel)

    return list(parse_pipeline(raw, file, read).values()) if raw else []


def stages_of(snap: Snapshot) -> list[StageDef]:
    """Every stage of every ``dvc.yaml`` of the snapshot."""
    found: list[StageDef] = []
    for file in snap.pipeline_files():
        found += _stages(snap, file, _yaml.loads(snap.read(file), f"{file}@{snap.label}"))
    return found


def _stage_metrics(snap: Snapshot, file: str, raw: Any) -> list[str]:
    return [posixpath.normpath(posixpath.join(stage.wdir, out.path))
            for stage in _stages(snap, file, raw) for out in stage.outs
            if out.kind == "metrics"]


def metrics_sources(snap: Snapshot) -> list[str]:
    """The repo-relative metrics paths, stage outputs first, then top-level lists (DVC's order)."""
    paths: list[str] = []
    for file in snap.pipeline_files():
        base = posixpath.dirname(file)
        raw = _yaml.loads(snap.read(file), f"{file}@{snap.label}")
        paths += _stage_metrics(snap, file, raw)
        for item in (raw or {}).get("metrics") or ():
            paths.append(posixpath.normpath(posixpath.join(base, str(item))))
    return list(dict.fromkeys(paths))


def _read_one(snap: Snapshot, path: str) -> dict[str, Any]:
    try:
        text = snap.read(path)
    except PathError:
        return {"error": {"type": "FileNotFoundError",
                          "msg": f"[Errno 2] No such file or directory: '{path}'"}}
    try:
        return {"data": extract(parse_metrics(text, path))}
    except DvcDoitError as exc:
        kind = {".json": "JSON", ".toml": "TOML"}.get(posixpath.splitext(path)[1], "YAML")
        return {"error": {"type": f"{kind}FileCorruptedError", "msg": str(exc)}}


def _expanded(snap: Snapshot, paths: Sequence[str]) -> list[str]:
    """Each path, a directory as every file under it (DVC's ``try_expand_paths``, with or
    without ``-R``), each once, first place kept."""
    out: list[str] = []
    for path in paths:
        try:
            inside = snap.listdir(path)
        except PathError:
            inside = []
        out += inside or [path]
    return list(dict.fromkeys(out))


def _one_rev(snap: Snapshot, targets: Sequence[str]) -> dict[str, Any]:
    paths = _expanded(snap, list(targets) or metrics_sources(snap))
    return {"data": {p: _read_one(snap, p) for p in paths}}


def of_snapshot(snap: Snapshot) -> dict[str, Any]:
    """Every metrics file of ``snap`` (DVC's sources), each ``{"data": …}`` or ``{"error": …}``."""
    data: dict[str, Any] = _one_rev(snap, ())["data"]
    return data


def show(project: Project, targets: Sequence[str] = (),
         revs: Sequence[RevName] | None = None) -> dict[str, Any]:
    """DVC's ``metrics show --json`` shape: the workspace alone under ``""``, or one entry per
    selected revision under its label (``targets`` limit the files)."""
    if revs is None:
        return {"": _one_rev(Snapshot(project), targets)}
    objects = GitObjects(project.root)
    try:
        result = {r.label: _one_rev(Snapshot(project, r.sha, r.label, objects, sha=r.sha)
                                    if r.sha else Snapshot(project), targets) for r in revs}
    finally:
        objects.close()
    branch = active_branch(project.root)
    if branch and WORKSPACE in result and result[WORKSPACE] == result.get(branch):
        del result[WORKSPACE]  # NOTE: DVC hides a workspace equal to the active branch
    return result


def failed_revs(result: dict[str, Any]) -> list[str]:
    """Revisions with at least one file DVC would fail to load (it warns about them)."""
    return [rev for rev, entry in result.items()
            if any("error" in v for v in entry.get("data", {}).values())]


def snapshot_at(project: Project, rev: str, objects: GitObjects) -> Snapshot:
    """The workspace for ``workspace``, else revision ``rev`` read through ``objects``."""
    return Snapshot(project) if rev == WORKSPACE else Snapshot(project, rev, rev, objects)


def _change(old: Any, new: Any, with_unchanged: bool) -> dict[str, Any]:
    """DVC's ``_diff_vals``: old, new and (both numbers) their difference; {} if equal."""
    if not with_unchanged and old == new:
        return {}
    res = {"old": old, "new": new}
    if isinstance(new, int | float) and isinstance(old, int | float):
        res["diff"] = new - old
    return res


def diff_values(flat_old: dict[str, Any], flat_new: dict[str, Any],
                with_unchanged: bool) -> dict[str, Any]:
    """Key → DVC's change record, for the keys (sorted) that differ in two flat mappings."""
    changes = {key: _change(flat_old.get(key), flat_new.get(key), with_unchanged)
               for key in sorted({*flat_old, *flat_new})}
    return {key: change for key, change in changes.items() if change}


def _file_diff(old: dict[str, Any], new: dict[str, Any],
               with_unchanged: bool) -> dict[str, Any]:
    from dvcdoit.formats.metrics import flatten

    return diff_values(flatten(old.get("data") or {}), flatten(new.get("data") or {}),
                       with_unchanged)


def diff(project: Project, a_rev: str = "HEAD", b_rev: str = WORKSPACE,
         targets: Sequence[str] = (), with_unchanged: bool = False,
         ) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """DVC's ``metrics diff``: the revisions with files that failed to load, and per file
    (sorted) the metrics that differ between ``a_rev`` and ``b_rev`` (all with
    ``with_unchanged``) as ``{"old", "new", "diff"}``; nothing before the first commit."""
    if not has_commits(project.root):
        return [], {}
    objects = GitObjects(project.root)
    try:
        old = _one_rev(snapshot_at(project, a_rev, objects), targets)["data"]
        new = _one_rev(snapshot_at(project, b_rev, objects), targets)["data"]
    finally:
        objects.close()
    failed = [rev for rev, data in ((a_rev, old), (b_rev, new))
              if any("error" in v for v in data.values())]
    result = {path: _file_diff(old.get(path, {}), new.get(path, {}), with_unchanged)
              for path in sorted({*old, *new})}
    return failed, {path: changes for path, changes in result.items() if changes}
