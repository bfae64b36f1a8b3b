"""``plots show`` and ``plots diff`` as values: every plot definition, collected per revision.

Definitions come from every ``dvc.yaml`` (the top-level ``plots:`` and stage plots); a target
that names no definition is drawn as a file (or a directory of files) with DVC's defaults.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvcdoit.core.errors import PathError
from dvcdoit.formats import _yaml
from dvcdoit.formats.plotdef import PlotDef, parse
from dvcdoit.repo.revision import GitObjects
from dvcdoit.repo.revisions import WORKSPACE, RevName, is_dirty, select_revs
from dvcdoit.verbs.plotdata import IMAGES, Collected, collect, expand
from dvcdoit.verbs.snapshot import Snapshot

if TYPE_CHECKING:
    from dvcdoit.repo.project import Project


def definitions(snap: Snapshot) -> list[PlotDef]:
    """Every plot defined in the snapshot's ``dvc.yaml`` files: the top-level ``plots:`` of
    each file (the root one first), then the stages' plot outputs, as DVC collects them."""
    top: list[PlotDef] = []
    staged: list[PlotDef] = []
    for source in snap.pipeline_files():
        base = posixpath.dirname(source)
        for plot in parse(_yaml.loads(snap.read(source), source), base, source):
            (top if plot.config else staged).append(plot)
    return top + staged


def _full_id(plot: PlotDef) -> str:
    """DVC's ``get_plot_id``: ``dvc.yaml::id`` for a top-level plot, the id otherwise."""
    return f"{plot.config}::{plot.id}" if plot.config else plot.id


def _matches(plot: PlotDef, targets: list[str]) -> bool:
    """DVC's target match: each target is a regular expression matched at the start of the
    plot id or its full id (a target that is no valid expression matches as text)."""
    for target in targets:
        for name in (plot.id, _full_id(plot)):
            try:
                if re.match(target, name):
                    return True
            except re.error:
                if name.startswith(target):
                    return True
    return False


def _exists(snap: Snapshot, target: str) -> bool:
    try:
        return snap.exists(target) or bool(snap.listdir(target))
    except PathError:
        return False


def _named(plots: list[PlotDef]) -> list[PlotDef]:
    """One plot per (config, id), the first kept; an id that several configs define is
    each config's full id (DVC's ``group_definitions_by_id``), next to each other."""
    by_id: dict[str, dict[str, PlotDef]] = {}
    for p in plots:
        # NOTE: an image is one plot whatever defines it (DVC names its renderer by the path)
        config = "" if Path(p.id).suffix.lower() in IMAGES else p.config
        by_id.setdefault(p.id, {}).setdefault(config, replace(p, config=config))
    out: list[PlotDef] = []
    for configs in by_id.values():
        if len(configs) == 1:
            out += configs.values()
        else:
            out += [replace(p, id=_full_id(p)) for p in configs.values()]
    return out


def select(snap: Snapshot, targets: list[str]) -> list[PlotDef]:
    """The definitions matching ``targets`` (all when none), and each target that exists in
    the snapshot drawn as a file, as DVC selects them."""
    defs = definitions(snap)
    if targets:
        defs = [p for p in defs if _matches(p, targets)]
        for target in targets:
            if _exists(snap, target):  # NOTE: DVC draws nothing for a missing target
                defs.append(PlotDef(target.rstrip("/") or target, ((target, None),)))
    return _named(expand(snap, defs))


def show(project: Project, targets: list[str]) -> list[Collected]:
    """Each selected plot collected in the workspace."""
    snap = Snapshot(project)
    return [collect(snap, p) for p in select(snap, targets)]


def diff_revisions(project: Project, revs: list[str]) -> list[RevName]:
    """DVC's ``plots diff`` revisions: the named ones; one rev with the workspace; none,
    the workspace (after ``HEAD`` when a tracked file changed)."""
    names = list(revs)
    if len(names) <= 1:
        if not names and is_dirty(project.root):
            names.append("HEAD")
        names.append(WORKSPACE)
    return select_revs(project.root, names, workspace=False)


def _squashed(plots: list[PlotDef]) -> dict[str, dict[str, Any]]:
    """Each plot id's properties over the revisions, the first revision's winning (DVC's
    ``_squash_plots_properties``: the workspace's ``x``/``y``/``title`` apply to every rev)."""
    props: dict[str, dict[str, Any]] = {}
    for p in plots:
        into = props.setdefault(p.id, {})
        for key, value in p.props.items():
            into.setdefault(key, value)
    return props


def _with_props(plot: PlotDef, props: dict[str, Any]) -> PlotDef:
    """``plot`` with the squashed ``props``: a one-file plot takes its ``y`` fields from them
    (a plot whose ``y`` maps files keeps its own sources)."""
    if props == plot.props:
        return plot
    y = props.get("y")
    if isinstance(y, str | list) and not isinstance(plot.props.get("y"), dict):
        fname = plot.sources[0][0]
        ys = [y] if isinstance(y, str) else [str(f) for f in y]
        return replace(plot, props=props, sources=tuple((fname, f) for f in ys),
                       multi=len(ys) > 1)
    return replace(plot, props=props)


def diff(project: Project, revs: list[str], targets: list[str]) -> list[Collected]:
    """Each selected plot collected at every revision of :func:`diff_revisions` (workspace
    first, as DVC's brancher goes); a plot defined at one revision only is drawn there."""
    objects = GitObjects(project.root)
    try:
        chosen: list[tuple[Snapshot, list[PlotDef]]] = []
        for r in diff_revisions(project, revs):
            snap = (Snapshot(project, r.sha, r.label, objects, sha=r.sha) if r.sha
                    else Snapshot(project))
            chosen.append((snap, select(snap, targets)))
        props = _squashed([p for _, plots in chosen for p in plots])
        return [collect(snap, _with_props(p, props[p.id])) for snap, plots in chosen
                for p in plots]
    finally:
        objects.close()


def revisions_failed(collected: list[Collected]) -> list[str]:
    """The revisions where some plot file failed to load, in first-seen order (a plot that
    loaded but could not be drawn does not count, as in DVC)."""
    return list(dict.fromkeys(e["rev"] for c in collected for e in c.errors if "source" in e))


def output_dir(project: Project, out: str | None) -> Path:
    """Where the page goes: ``-o DIR`` from the cwd, else ``dvc_plots`` at the cwd."""
    return Path(out or "dvc_plots").resolve()
