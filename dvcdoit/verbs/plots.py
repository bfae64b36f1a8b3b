"""``plots show`` and ``plots diff`` as values: every plot definition, collected per revision.

Definitions come from every ``dvc.yaml`` (the top-level ``plots:`` and stage plots); a target
that names no definition is drawn as a file (or a directory of files) with DVC's defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dvcdoit.formats import _yaml
from dvcdoit.formats.plotdef import PlotDef, parse
from dvcdoit.verbs.plotdata import Collected, collect, expand
from dvcdoit.verbs.snapshot import Snapshot

if TYPE_CHECKING:
    from dvcdoit.repo.project import Project


def definitions(project: Project) -> list[PlotDef]:
    """Every plot defined in the repo's ``dvc.yaml`` files, the root one first."""
    out: list[PlotDef] = []
    for path in project.scan()[1]:
        base = project.rel(path.parent)
        source = project.rel(path)
        out.extend(parse(_yaml.load_file(str(path), source), base, source))
    return out


def _matches(plot: PlotDef, target: str) -> bool:
    names = [plot.id, *(f for f, _ in plot.sources)]
    return any(n == target or n.startswith(target.rstrip("/") + "/") for n in names)


def select(project: Project, targets: list[str]) -> list[PlotDef]:
    """The definitions matching ``targets`` (all when none); unmatched targets as plain plots."""
    defs = definitions(project)
    if targets:
        rels = [t.rstrip("/") for t in targets]
        chosen = [p for p in defs if any(_matches(p, t) for t in rels)]
        chosen += [PlotDef(t, ((t, None),)) for t in rels
                   if not any(_matches(p, t) for p in chosen)]
        defs = chosen
    seen: set[str] = set()
    unique = []
    for p in expand(Snapshot(project), defs):
        if p.id not in seen:
            seen.add(p.id)
            unique.append(p)
    return unique


def show(project: Project, targets: list[str]) -> list[Collected]:
    """Each selected plot collected in the workspace."""
    snap = Snapshot(project)
    return [collect(snap, p) for p in select(project, targets)]


def revisions_failed(collected: list[Collected]) -> list[str]:
    """The revisions where some plot failed to load, in first-seen order."""
    return list(dict.fromkeys(e["rev"] for c in collected for e in c.errors))


def output_dir(project: Project, out: str | None) -> Path:
    """Where the page goes: ``-o DIR`` from the cwd, else ``dvc_plots`` at the cwd."""
    return Path(out or "dvc_plots").resolve()
