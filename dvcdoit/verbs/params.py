"""``params diff``: the params that changed between two revisions, as DVC 3.67.1 shows them.

The files: the default ``params.yaml`` (when it exists) and every params file a stage names.
Without ``--deps`` each file is compared whole; with it, only the keys the stages depend on
(a stage naming a file with no keys depends on all of it); a file named by ``--targets`` is
read whole. Keys are flattened with dots and
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
from dvcdoit.repo.revisions import WORKSPACE
from dvcdoit.verbs.metrics import diff_values, snapshot_at, stages_of
from dvcdoit.verbs.snapshot import Snapshot

DEFAULT = "params.yaml"


def _wanted(snap: Snapshot) -> dict[str, set[str] | None]:
    """Params file → the keys stages depend on (None: the whole file)."""
    wanted: dict[str, set[str] | None] = {}
    for stage in stages_of(snap):
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
            wanted.setdefault(DEFAULT, None)
    found: dict[str, dict[str, Any]] = {}
    for path, keys in wanted.items():
        if not snap.exists(path):
            continue
        try:
            data = parse_params(snap.read(path), path)
        except PathError:
            continue
        if keys is None or not deps:
            found[path] = _flat(data, "")
            continue
        found[path] = {}
        for key in sorted(keys):
            value = lookup(data, key)
            if value is not MISSING:
                found[path].update(_flat(value, key))
    return found


def diff(project: Project, a_rev: str = "HEAD", b_rev: str = WORKSPACE,
         targets: Sequence[str] = (), with_unchanged: bool = False,
         deps: bool = False) -> dict[str, dict[str, Any]]:
    """Per params file, the keys that differ between ``a_rev`` and ``b_rev`` (all with
    ``with_unchanged``) as ``{"old", "new"[, "diff"]}``."""
    objects = GitObjects(project.root)
    try:
        old = _read(snapshot_at(project, a_rev, objects), deps, targets)
        new = _read(snapshot_at(project, b_rev, objects), deps, targets)
    finally:
        objects.close()
    result = {path: diff_values(old.get(path, {}), new.get(path, {}), with_unchanged)
              for path in sorted({*old, *new})}
    return {path: changes for path, changes in result.items() if changes}


__all__ = ["diff"]
