"""``metrics show`` on the workspace: find DVC's metrics sources, read them, build DVC's shapes.

Sources, as DVC 3.67.1 has them: the top-level ``metrics:`` list of every ``dvc.yaml``
(paths relative to that file's folder) and every stage output marked as a metric. The result
is DVC's JSON shape: ``{rev: {"data": {path: {"data": {...}} | {"error": {...}}}}}`` with
``""`` naming the workspace. Git revisions wait for the shared ``Snapshot`` reader.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats import _yaml
from dvcdoit.formats.metrics import extract, parse_metrics
from dvcdoit.formats.pipeline import load_pipeline

PIPELINE = "dvc.yaml"


def pipeline_files(root: Path) -> list[str]:
    """Every ``dvc.yaml`` below ``root`` (repo-relative, posix), hidden folders skipped."""
    found: list[str] = []
    for top, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if PIPELINE in files:
            rel = Path(top).relative_to(root).as_posix()
            found.append(PIPELINE if rel == "." else f"{rel}/{PIPELINE}")
    return found


def metrics_sources(root: Path) -> list[str]:
    """The repo-relative metrics paths, stage outputs first, then top-level lists (DVC's order)."""
    paths: list[str] = []
    for file in pipeline_files(root):
        base = posixpath.dirname(file)
        raw = _yaml.load_file(str(root / file), file)
        for stage in load_pipeline(root, file).values():
            for out in stage.outs:
                if out.kind == "metrics":
                    paths.append(posixpath.normpath(posixpath.join(stage.wdir, out.path)))
        for item in (raw or {}).get("metrics") or ():
            paths.append(posixpath.normpath(posixpath.join(base, str(item))))
    return list(dict.fromkeys(paths))


def _read_one(root: Path, path: str) -> dict[str, Any]:
    target = root / path
    try:
        text = target.read_bytes()
    except FileNotFoundError:
        return {"error": {"type": "FileNotFoundError",
                          "msg": f"[Errno 2] No such file or directory: '{path}'"}}
    try:
        return {"data": extract(parse_metrics(text, path))}
    except DvcDoitError as exc:
        kind = {".json": "JSON", ".toml": "TOML"}.get(posixpath.splitext(path)[1], "YAML")
        return {"error": {"type": f"{kind}FileCorruptedError", "msg": str(exc)}}


def show(root: Path, targets: Sequence[str] = ()) -> dict[str, Any]:
    """DVC's ``metrics show --json`` shape for the workspace (``targets`` limit the files)."""
    paths = list(targets) or metrics_sources(root)
    return {"": {"data": {p: _read_one(root, p) for p in paths}}}


def failed_revs(result: dict[str, Any]) -> list[str]:
    """Revisions with at least one file DVC would fail to load (it warns about them)."""
    return [rev for rev, entry in result.items()
            if any("error" in v for v in entry.get("data", {}).values())]
