"""``params diff``: the params that changed between two revisions, as DVC 3.67.1 shows them.

The files: the default ``params.yaml`` (when it exists) and every params file a stage names.
Without ``--deps`` the default file is compared whole and every other file by the keys the
stages name; with it, every file by those keys only (a stage naming a file with no keys
depends on all of it); a file named by ``--targets`` is read whole (DVC's ``_merge_params``). Keys are flattened with dots and
lists compared as their text (DVC's ``format_dict``); a key on one side only is ``None``
there. Files are read through :class:`~dvcdoit.verbs.snapshot.Snapshot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dvcdoit.core.errors import PathError
from dvcdoit.formats.metrics import flatten
from dvcdoit.formats.params import MISSING, lookup, parse_params
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects
from dvcdoit.repo.revisions import WORKSPACE, has_commits
from dvcdoit.verbs.metrics import diff_values, snapshot_at, stages_of
from dvcdoit.verbs.snapshot import Snapshot

DEFAULT = "params.yaml"


def _wanted(snap: Snapshot, stages: Sequence[str] | None = None) -> dict[str, set[str] | None]:
    """Params file → the keys stages (all, or the ones named) depend on (None: whole file)."""
    wanted: dict[str, set[str] | None] = {}
    names = None if stages is None else {n.rpartition(":")[2] for n in stages}
    for stage in stages_of(snap):
        if names is not None and stage.name not in names:
            continue
        for dep in stage.params:
            path = stage.params_path(dep)
            keys = wanted.setdefault(path, set())
            if dep.keys is None or keys is None:
                wanted[path] = None
            else:
                keys.update(dep.keys)
    return wanted


def _flat(value: Any, prefix: str) -> dict[str, Any]:
    flat = flatten(value, prefix) if isinstance(value, dict) else {prefix: value}
    return {k: str(v) if isinstance(v, list) else v for k, v in flat.items()}


def _read(snap: Snapshot, deps: bool, targets: Sequence[str]) -> dict[str, dict[str, Any]]:
    wanted: dict[str, set[str] | None]
    if targets:  # NOTE: DVC reads a named file whole, --deps or not
        wanted = dict.fromkeys(targets)
    else:
        wanted = _wanted(snap)
        if not deps and snap.exists(DEFAULT):
            wanted[DEFAULT] = None  # NOTE: wholly tracked, whatever keys stages name
    found: dict[str, dict[str, Any]] = {}
    for path, keys in wanted.items():
        if not snap.exists(path):
            continue
        try:
            data = parse_params(snap.read(path), path)
        except PathError:
            continue
        if keys is None:
            found[path] = _flat(data, "")
            continue
        found[path] = {}
        for key in sorted(keys):
            value = lookup(data, key)
            if value is not MISSING:
                found[path].update(_flat(value, key))
    return found


def _nested(key: str, value: Any) -> dict[str, Any]:
    for part in reversed(key.split(".")):
        value = {part: value}
    return dict(value)


def _merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def show(project: Project, rev: str | None = None, targets: Sequence[str] = (),
         deps: bool = False, stages: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per params file, its values as nested dicts, selected as DVC's ``params.show`` does
    for ``dvc.api.params_show``: the named files whole; else the stages' keys (of the named
    ``stages`` only) and, without ``deps`` or ``stages``, the default file whole. A file
    that is missing or does not parse is a :class:`PathError`/``FormatError`` naming it."""
    snap = Snapshot(project) if rev is None else Snapshot(project, rev)
    found: dict[str, dict[str, Any]] = {}
    for path, keys in selected(snap, targets, deps, stages).items():
        found[path] = values_of(parse_params(snap.read(path), path), keys)
    return found


def selected(snap: Snapshot, targets: Sequence[str] = (), deps: bool = False,
             stages: Sequence[str] | None = None) -> dict[str, set[str] | None]:
    """Params file → the keys :func:`show` reads of it (None: the whole file)."""
    wanted: dict[str, set[str] | None] = dict.fromkeys(targets)
    if not targets or stages:
        for path, keys in _wanted(snap, stages).items():
            wanted[path] = None if keys is None or wanted.get(path, set()) is None \
                else keys | (wanted.get(path) or set())
    if not targets and not deps and not stages and snap.exists(DEFAULT):
        wanted[DEFAULT] = None
    return wanted


def values_of(data: Any, keys: set[str] | None) -> dict[str, Any]:
    """The values of parsed params file ``data``: whole (``keys`` None) or those keys, nested."""
    if keys is None:
        return data if isinstance(data, dict) else {}
    found: dict[str, Any] = {}
    for key in sorted(keys):
        value = lookup(data, key)
        if value is not MISSING:
            _merge(found, _nested(key, value))
    return found


def diff(project: Project, a_rev: str = "HEAD", b_rev: str = WORKSPACE,
         targets: Sequence[str] = (), with_unchanged: bool = False,
         deps: bool = False) -> dict[str, dict[str, Any]]:
    """Per params file, the keys that differ between ``a_rev`` and ``b_rev`` (all with
    ``with_unchanged``) as ``{"old", "new"[, "diff"]}``; nothing before the first commit."""
    if not has_commits(project.root):
        return {}
    objects = GitObjects(project.root)
    try:
        old = _read(snapshot_at(project, a_rev, objects), deps, targets)
        new = _read(snapshot_at(project, b_rev, objects), deps, targets)
    finally:
        objects.close()
    result = {path: diff_values(old.get(path, {}), new.get(path, {}), with_unchanged)
              for path in sorted({*old, *new})}
    return {path: changes for path, changes in result.items() if changes}


__all__ = ["diff", "selected", "show", "values_of"]
