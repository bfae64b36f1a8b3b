"""What DVC 3.67.1 records of one revision in ``exp show``: its ``SerializableExp``.

``{"rev", "timestamp", "params", "metrics", "deps", "outs", "meta"}``, as DVC's
``SerializableExp.from_repo`` builds it (measured with ``dvc exp show --json``): the params of
``params show`` (the default file whole, the stages' keys of the others), the metrics of
``metrics show``, every stage dependency that is no params dependency with the hash, size
and file count ``dvc.lock`` records (``null`` where it has none), and every output that is
no metric or plot (a ``.dvc`` file's is a data source). The timestamp is the commit time as a
naive local ISO time (DVC's ``datetime.fromtimestamp``); the workspace has none. Files are
read through :class:`~dvcdoit.verbs.snapshot.Snapshot`, so the same readers serve
``metrics``, ``params`` and ``exp show``.
"""

from __future__ import annotations

import posixpath
from datetime import datetime
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.formats import _yaml, dvcfile
from dvcdoit.formats.lock import LOCK_FILE, LockEntry, LockItem, parse_lock
from dvcdoit.formats.params import parse_params
from dvcdoit.formats.pipeline import StageDef, parse_pipeline
from dvcdoit.repo.revision import run_git
from dvcdoit.verbs import metrics, params
from dvcdoit.verbs.snapshot import Snapshot


def timestamps(root: Path, shas: list[str]) -> dict[str, str]:
    """Commit sha → its committer time as DVC prints it (naive local ISO), in one git call."""
    if not shas:
        return {}
    out = run_git(root, "show", "-s", "--format=%H %ct", *shas, "--")
    found: dict[str, str] = {}
    for line in out.stdout.decode().splitlines():
        sha, _, when = line.partition(" ")
        if when.isdigit():
            found[sha] = datetime.fromtimestamp(int(when)).isoformat()
    return found


def _params(snap: Snapshot) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path, keys in params.selected(snap).items():
        try:
            found[path] = {"data": params.values_of(parse_params(snap.read(path), path), keys)}
        except DvcDoitError as exc:
            found[path] = {"error": {"msg": str(exc), "type": type(exc).__name__}}
    return found


def _item(item: LockItem | None) -> dict[str, Any]:
    if item is None:
        return {"hash": None, "size": None, "nfiles": None}
    return {"hash": item.hash.value if item.hash else None, "size": item.size,
            "nfiles": item.nfiles}


def _lock(snap: Snapshot, base: str) -> dict[str, LockEntry]:
    path = posixpath.join(base, LOCK_FILE)
    try:
        text = snap.read(path)
    except PathError:
        return {}
    return parse_lock(_yaml.loads(text, f"{path}@{snap.label}"), f"{path}@{snap.label}")


def _find(items: tuple[LockItem, ...], path: str) -> LockItem | None:
    want = posixpath.normpath(path)
    return next((i for i in items if posixpath.normpath(i.path) == want), None)


def _stages(snap: Snapshot, file: str) -> list[StageDef]:
    raw = _yaml.loads(snap.read(file), f"{file}@{snap.label}")

    def read(rel: str) -> Any:
        return parse_params(snap.read(rel), rel)

    return list(parse_pipeline(raw, file, read).values()) if raw else []


def _stage_deps_outs(snap: Snapshot, deps: dict[str, Any], outs: dict[str, Any]) -> None:
    for file in snap.pipeline_files():
        lock = _lock(snap, posixpath.dirname(file))
        for stage in _stages(snap, file):
            entry = lock.get(stage.name)
            for dep in stage.deps:
                item = _find(entry.deps, dep) if entry else None
                deps[posixpath.normpath(posixpath.join(stage.wdir, dep))] = _item(item)
            for out in stage.outs:
                if out.kind in ("metrics", "plots"):
                    continue
                item = _find(entry.outs, out.path) if entry else None
                outs[posixpath.normpath(posixpath.join(stage.wdir, out.path))] = {
                    **_item(item), "use_cache": out.cache, "is_data_source": False}


def _dvc_files(snap: Snapshot) -> list[str]:
    rev = snap.revision
    if rev is None:
        files, _ = snap.project.scan()
        return sorted(snap.project.rel(p) for p in files)
    return [p for p in rev.files() if p.endswith(".dvc") and not p.startswith(".dvc/")
            and posixpath.basename(p) != ".dvc"]


def _source_outs(snap: Snapshot, outs: dict[str, Any]) -> None:
    for path in _dvc_files(snap):
        try:
            parsed = dvcfile.loads(snap.read(path), f"{path}@{snap.label}")
        except DvcDoitError:
            continue
        for out in parsed.outs:
            outs[dvcfile.resolve_path(path, parsed, out)] = {
                "hash": out.hash.value if out.hash else None, "size": out.size,
                "nfiles": out.nfiles, "use_cache": out.cache, "is_data_source": True}


def rev_data(snap: Snapshot, rev: str, timestamp: str | None) -> dict[str, Any]:
    """DVC's ``SerializableExp`` of ``snap`` (``rev``: the sha, or ``workspace``)."""
    deps: dict[str, Any] = {}
    outs: dict[str, Any] = {}
    _stage_deps_outs(snap, deps, outs)
    _source_outs(snap, outs)
    return {"rev": rev, "timestamp": timestamp, "params": _params(snap),
            "metrics": metrics.of_snapshot(snap), "deps": deps, "outs": outs, "meta": {}}


__all__ = ["rev_data", "timestamps"]
