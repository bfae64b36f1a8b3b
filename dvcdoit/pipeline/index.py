"""The repo's pipeline, loaded once per process: stages, lock entries, data sources, graph.

Stages come from the root ``dvc.yaml`` (its ``dvc.lock`` holds their entries) and from
classic single-stage ``.dvc`` files (their own recorded hashes); data-source ``.dvc`` files
join the graph as stages with outputs only. A :class:`~dvcdoit.pipeline.session.Session`
loads one :class:`Index` per process: doit's main process reuses it for every uptodate check
and updates ``locks`` as it writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core.errors import FormatError, Problem
from dvcdoit.formats import _yaml
from dvcdoit.formats.dvcfile import is_stage_file
from dvcdoit.formats.lock import LOCK_FILE, LockEntry, load_lock
from dvcdoit.formats.pipeline import PIPELINE_FILE, StageDef, load_pipeline
from dvcdoit.formats.stagefile import SingleStage, parse_stagefile
from dvcdoit.pipeline.graph import Node, StageGraph, node_for
from dvcdoit.pipeline.selection import Selection, Selector, Target
from dvcdoit.repo.project import Project
from dvcdoit.repo.sources import Source, load_sources


@dataclass
class Index:
    """Everything ``repro`` and ``status`` need, keyed by DVC addressing names."""

    project: Project
    stages: dict[str, StageDef]
    singles: dict[str, SingleStage]
    sources: dict[str, Source]
    locks: dict[str, LockEntry]
    graph: StageGraph

    def stage_order(self) -> list[str]:
        """Stage names (data sources excluded) in execution order."""
        return [n for n in self.graph.order if n in self.stages]

    def select(self, targets: Sequence[str], cwd: Path | None = None,
               strict: bool = True) -> Selection:
        """What ``targets`` (as typed, relative to ``cwd``) name; no targets select everything.

        With ``strict`` a target that names nothing is a :class:`PathError` (``'X' is neither
        a stage nor tracked data; …``); otherwise it is listed in ``Selection.unknown``.
        """
        parsed = [Target.parse(self.project, t, cwd) for t in targets]
        selection = Selector(self.stages, self.sources, self.graph).select(parsed)
        return selection.check() if strict else selection

    def select_stages(self, targets: Sequence[str], cwd: Path | None = None) -> list[str]:
        """The stages (and data sources) ``targets`` name, for ``repro`` (``[]`` for none).

        A target that is no stage is a :class:`StageError` in DVC's words.
        """
        if not targets:
            return []
        return self.select(targets, cwd, strict=False).check_stages()


def load_index(project: Project) -> Index:
    """Read dvc.yaml, dvc.lock and every ``.dvc`` file of ``project`` and build the graph."""
    root = project.root
    stages: dict[str, StageDef] = {}
    singles: dict[str, SingleStage] = {}
    locks: dict[str, LockEntry] = {}
    dvcfiles, pipeline_files = project.scan()
    source_paths = []
    for path in dvcfiles:
        rel = project.rel(path)
        data = _yaml.load_file(str(path), rel)
        if is_stage_file(data):
            single = parse_stagefile(data, rel)
            singles[rel] = single
        else:
            source_paths.append(path)
    sources = {s.relpath: s for s in load_sources(root, source_paths)}
    for name, single in singles.items():
        stages[name] = single.stage
        locks[name] = single.lock
    for pipeline in pipeline_files:
        file = project.rel(pipeline)
        for name, stage in load_pipeline(root, file).items():
            if stage.addressing in stages:
                msg = f"stage name '{name}' clashes with a .dvc file"
                raise FormatError([Problem(file, "", msg)])
            stages[stage.addressing] = stage
        for name, entry in load_lock(pipeline.with_name(LOCK_FILE)).items():
            addressing = name if file == PIPELINE_FILE else f"{file}:{name}"
            if addressing in stages and not stages[addressing].single:
                locks[addressing] = entry
    nodes = [Node(s.relpath, (), s.out_paths) for s in sources.values()]
    nodes += [node_for(s) for s in stages.values()]
    return Index(project, stages, singles, sources, locks, StageGraph(nodes))
