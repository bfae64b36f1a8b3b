"""``stage list``: the stages that targets name, each with DVC's one-line description.

DVC 3.67.1's rules (``dvc/commands/stage.py``): a stage's ``desc`` (its first non-empty
line), else ``Outputs a, b; Reports m.json`` (plain outputs, then metrics and plots, as
written), ``Depends on …`` for a stage with deps and no outputs, or ``No outputs or
dependencies``; cut to 80 characters with an ellipsis. Names are DVC's addressing, relative
to the working directory (``s1`` inside ``sub/``, ``../dvc.yaml:train`` from there).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import Path

from dvcdoit.formats.pipeline import PIPELINE_FILE, StageDef
from dvcdoit.pipeline.index import Index
from dvcdoit.repo.sources import Source

MAX_TEXT = 80
ELLIPSIS = "\u2026"


def _outputs(outs: Sequence[tuple[str, str]]) -> str:
    plain = [p for p, kind in outs if kind == "outs"]
    reports = [p for p, kind in outs if kind != "outs"]
    parts = [f"Outputs {', '.join(plain)}"] if plain else []
    parts += [f"Reports {', '.join(reports)}"] if reports else []
    return "; ".join(parts)


def _generated(deps: Sequence[str], outs: Sequence[tuple[str, str]]) -> str:
    if not deps and not outs:
        return "No outputs or dependencies"
    if not outs:
        return "Depends on " + ", ".join(deps)
    return _outputs(outs)


def _short(desc: str | None) -> str | None:
    return next((line.strip() for line in (desc or "").splitlines() if line.strip()), None)


def _truncate(text: str) -> str:
    return text[:MAX_TEXT - 1] + ELLIPSIS if len(text) > MAX_TEXT else text


def describe_stage(stage: StageDef) -> str:
    """DVC's description of a pipeline or classic stage."""
    deps = [*stage.deps, *(p.path for p in stage.params)]
    outs = [(o.path, o.kind) for o in stage.outs]
    return _truncate(_short(stage.desc) or _generated(deps, outs))


def describe_source(source: Source) -> str:
    """DVC's description of a ``dvc add`` data source (its ``.dvc`` file)."""
    outs = [(o.path, "outs") for o in source.file.outs]
    return _truncate(_short(source.file.desc) or _generated([], outs))


def shown_name(index: Index, name: str, cwd: Path) -> str:
    """DVC's addressing of stage or source ``name`` as seen from ``cwd``."""
    stage = index.stages.get(name)
    file = stage.file if stage is not None else name
    here = os.path.relpath(cwd, index.project.root)
    rel = posixpath.relpath(file, "." if here == "." else Path(here).as_posix())
    if stage is None or stage.single:
        return rel
    if posixpath.basename(rel) == PIPELINE_FILE and posixpath.dirname(rel) == "":
        return stage.name
    return f"{rel}:{stage.name}"


def recursive(index: Index, directory: str) -> list[str]:
    """Every stage and source whose file is under repo-relative ``directory``, by file path."""
    prefix = "" if directory in ("", ".") else directory.rstrip("/") + "/"
    by_file: list[tuple[str, int, str]] = []
    for order, (name, stage) in enumerate(index.stages.items()):
        if stage.file.startswith(prefix):
            by_file.append((stage.file, order, name))
    by_file += [(path, 0, path) for path in index.sources if path.startswith(prefix)]
    return [name for _, _, name in sorted(by_file)]


def every(index: Index) -> list[str]:
    """``--all``: every stage and source, directory by directory (top-down) as DVC walks the
    repo, a directory's ``dvc.yaml`` stages before its ``.dvc`` files."""
    keyed: list[tuple[str, int, str, int, str]] = []
    for order, (name, stage) in enumerate(index.stages.items()):
        kind = 0 if not stage.single else 1
        keyed.append((posixpath.dirname(stage.file), kind, stage.file, order, name))
    keyed += [(posixpath.dirname(p), 1, p, 0, p) for p in index.sources]
    return [item[-1] for item in sorted(keyed)]


def listing(index: Index, names: Sequence[str], cwd: Path,
            name_only: bool) -> list[tuple[str, str]]:
    """(shown name, description) rows for ``names``, duplicates dropped, order kept."""
    rows = []
    for name in dict.fromkeys(names):
        if name_only:
            desc = ""
        elif name in index.stages:
            desc = describe_stage(index.stages[name])
        else:
            desc = describe_source(index.sources[name])
        rows.append((shown_name(index, name, cwd), desc))
    return rows


__all__ = ["describe_source", "describe_stage", "every", "listing", "recursive", "shown_name"]
