"""Target selection: what the words a user typed name in the repo's index.

One place turns targets into one typed :class:`Selection` (which stages, which data sources,
which outputs), for every verb: ``status``, ``repro``, ``commit``, ``checkout``, ``push``,
``fetch``, ``pull``. A target is a stage name (``train``, ``sub/dvc.yaml:train``, or a short
name unique across the repo's ``dvc.yaml`` files), a ``.dvc`` file (data source or classic
stage file), an output path, or a directory (everything whose ``.dvc`` file or output lies
inside it). A target that looks like a path (it has a ``/``, ends with ``.dvc`` or exists) is
read as a path first, as DVC reads outputs before stage names. DVC's other forms too:
``dvc.yaml:train`` and ``sub/dvc.yaml:train`` (the file relative to the cwd), a pipeline
file (``dvc.yaml``, ``sub/dvc.yaml``: all its stages), and a ``foreach``/``matrix`` group
(``build``: every ``build@…`` stage). A target that names nothing gets DVC's words.

Apart from :meth:`Target.parse` (which resolves a path against the cwd) this is pure: every
lookup is a dict hit or a bisect over sorted paths, so selecting costs nothing next to loading
the index. :meth:`dvcdoit.pipeline.index.Index.select` is the entry point.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dvcdoit.core.errors import PathError, StageError
from dvcdoit.formats.pipeline import PIPELINE_FILE, StageDef
from dvcdoit.pipeline.graph import StageGraph
from dvcdoit.repo.project import Project
from dvcdoit.repo.sources import Source

NEITHER = ("'{target}' does not exist as an output or a stage name in '{file}': "
           "Stage '{name}' not found inside '{file}' file")
"""DVC's message for a target that names nothing (``status``, ``commit``, the remote verbs)."""

NOT_FOUND = "Stage '{name}' not found inside '{file}' file"
"""DVC's message for a stage name, or ``file:name``, that names no stage."""

BAD_FILE = ("bad DVC file name '{file}'. DVC files should be named 'dvc.yaml' or have a '.dvc' "
            "suffix (e.g. '{file}.dvc').")
"""DVC's message for ``file:stage`` whose file is neither a ``dvc.yaml`` nor a ``.dvc``."""

NO_FILE = "'{path}' does not exist"
"""DVC's message for a ``.dvc`` or pipeline file target that does not exist (absolute path)."""

NOT_TRACKED = "'{target}' is not tracked by any .dvc file; use 'dvcdoit add {target}' first"
"""The message for an existing path that nothing tracks (``commit``)."""


@dataclass(frozen=True)
class Target:
    """One user target: the text as typed, and the repo-relative path it names as a path.

    ``path`` is None when the text cannot be a path inside the repo (``sub/dvc.yaml:train``);
    ``prefer_path`` is True when it looks like one, so the path is tried before stage names.
    """

    text: str
    path: str | None = None
    prefer_path: bool = False
    name: str | None = None
    """For ``file:stage``, the stage's addressing name (``train``, ``sub/dvc.yaml:train``)."""
    file: str = PIPELINE_FILE
    """The pipeline file a stage name is looked for in, for DVC's error message."""
    absolute: str = ""
    """The target as an absolute path, for DVC's ``'…' does not exist``."""

    @classmethod
    def parse(cls, project: Project, text: str, cwd: Path | None = None) -> Target:
        """Read ``text`` relative to ``cwd`` (default: the process's cwd).

        A path-looking target outside the repo, inside ``.dvc/`` or naming the repo root is
        :meth:`Project.resolve`'s one-line :class:`PathError`.
        """
        base = cwd or Path.cwd()
        if ":" in text:
            return cls._addressed(project, text, base)
        absolute = os.path.normpath(base / text)
        looks = "/" in text or text.endswith(".dvc") or os.path.lexists(base / text)
        if looks:
            return cls(text, project.rel(project.resolve(text, base)), True, absolute=absolute)
        try:
            return cls(text, project.rel(project.resolve(text, base)), absolute=absolute)
        except PathError:
            return cls(text, absolute=absolute)

    @classmethod
    def _addressed(cls, project: Project, text: str, base: Path) -> Target:
        """``path/to/dvc.yaml:stage``: the file relative to ``base``, then the stage in it."""
        file, _, name = text.rpartition(":")
        if not file or not name:
            return cls(text)
        try:
            rel = project.rel(project.resolve(file, base))
        except PathError:
            return cls(text)
        address = name if rel == PIPELINE_FILE else f"{rel}:{name}"
        return cls(text, name=address, file=file,
                   absolute=os.path.normpath(base / file))


@dataclass(frozen=True)
class Match:
    """What one target names: a stage by its name or stage file, whole nodes, single outputs."""

    target: Target
    stages: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        """True when the target names anything."""
        return bool(self.stages or self.nodes or self.outs)

    def problem(self, stages_only: bool = False) -> str:
        """DVC's words for a target that names nothing (``stages_only``: nothing ``repro``
        can run; DVC's repro reads a bare name as a stage name only)."""
        t = self.target
        if t.name is not None and not os.path.lexists(t.absolute):
            return NO_FILE.format(path=t.absolute)
        if t.name is not None and not t.file.endswith((PIPELINE_FILE, ".dvc")):
            return BAD_FILE.format(file=t.file)
        if t.name is not None:
            return NOT_FOUND.format(name=t.name.rpartition(":")[2], file=t.file)
        if t.text.endswith((".dvc", PIPELINE_FILE)) and not os.path.lexists(t.absolute):
            return NO_FILE.format(path=t.absolute)
        if stages_only:
            return NOT_FOUND.format(name=t.text, file=PIPELINE_FILE)
        return NEITHER.format(target=t.text, name=t.text, file=PIPELINE_FILE)


@dataclass(frozen=True)
class Selection:
    """The stages, data sources and outputs a list of targets names; no targets means all.

    ``stages`` (addressing names) and ``sources`` (``.dvc`` paths) keep the index's order;
    ``outputs`` holds the repo-relative outputs to act on: all outputs of a stage or source
    named whole, only the named ones of a stage or source reached through an output path.
    ``named`` are the stages named by their name or stage file (what ``repro`` takes), and
    ``unknown`` the targets, as typed, that named nothing.
    """

    targets: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    outputs: frozenset[str] = frozenset()
    named: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    matches: tuple[Match, ...] = field(default=(), compare=False)

    @property
    def everything(self) -> bool:
        """True when no target was given: every stage, source and output is selected."""
        return not self.targets

    def check(self) -> Selection:
        """Return self; raise :class:`PathError` in DVC's words for the first target that
        names nothing."""
        bad = next((m for m in self.matches if not m.found), None)
        if bad is not None:
            raise PathError(bad.problem())
        return self

    def check_stages(self) -> list[str]:
        """The stages and data sources named by name, stage file, pipeline file or group
        (``repro``'s targets), in the order typed.

        Raises :class:`StageError` in DVC's words for the first target that names none.
        """
        bad = next((m for m in self.matches if not m.stages), None)
        if bad is not None:
            raise StageError(bad.problem(stages_only=True))
        return list(dict.fromkeys(n for m in self.matches for n in m.stages))


@dataclass(frozen=True)
class Selector:
    """The index seen as lookups: stages and sources by name, outputs and node files by path."""

    stages: Mapping[str, StageDef]
    sources: Mapping[str, Source]
    graph: StageGraph

    def select(self, targets: Sequence[Target]) -> Selection:
        """The :class:`Selection` of ``targets`` (all when empty); unknown targets are listed."""
        if not targets:
            return Selection(stages=tuple(self.stages), sources=tuple(self.sources),
                             outputs=frozenset(self.graph.owner))
        short = _short_names(self.stages.values())
        files = sorted([*self.sources, *(n for n, s in self.stages.items() if s.single)])
        matches = tuple(self._match(t, short, files) for t in targets)
        chosen: set[str] = set()
        outputs: set[str] = set()
        for m in matches:
            whole = [*m.nodes, *m.stages]
            chosen.update(whole)
            outputs.update(o for n in whole for o in self.graph.nodes[n].outs)
            chosen.update(self.graph.owner[o] for o in m.outs)
            outputs.update(m.outs)
        return Selection(
            targets=tuple(t.text for t in targets),
            stages=tuple(n for n in self.stages if n in chosen),
            sources=tuple(n for n in self.sources if n in chosen),
            outputs=frozenset(outputs),
            named=tuple(dict.fromkeys(n for m in matches for n in m.stages)),
            unknown=tuple(m.target.text for m in matches if not m.found),
            matches=matches)

    def _match(self, target: Target, short: Mapping[str, str], files: Sequence[str]) -> Match:
        by_name = self._by_name(target, short)
        if by_name is not None and not target.prefer_path:
            return by_name
        by_path = self._by_path(target, files)
        if by_path.found or by_name is None:
            return by_path
        return by_name

    def _by_name(self, target: Target, short: Mapping[str, str]) -> Match | None:
        key = target.name or target.text
        stage = self.stages.get(key)
        name = key if stage is not None and not stage.single else short.get(key)
        if name is not None:
            return Match(target, stages=(name,))
        group = tuple(n for n, s in self.stages.items()
                      if not s.single and "@" in n and n.rpartition("@")[0] == key)
        return Match(target, stages=group) if group else None

    def _by_path(self, target: Target, files: Sequence[str]) -> Match:
        path = target.path
        if path is None or target.name is not None:
            return Match(target)
        found = self.stages.get(path)
        stages = [path] if found is not None and found.single else []  # NOTE: a stage file
        if os.path.basename(path) == PIPELINE_FILE:
            stages += [n for n, s in self.stages.items() if s.file == path]
        if path in self.sources:
            stages.append(path)  # NOTE: repro of a data source re-verifies it, as DVC's
        nodes = [path] if path in self.sources else []
        nodes += _under(files, path)
        outs = [path] if path in self.graph.owner else []
        outs += self.graph.outs_under(path)
        return Match(target, tuple(stages), tuple(nodes), tuple(outs))


def _short_names(stages: Iterable[StageDef]) -> dict[str, str]:
    """``dvc.yaml`` stage name → addressing, for names that only one ``dvc.yaml`` defines."""
    seen: dict[str, list[str]] = {}
    for s in stages:
        if not s.single:
            seen.setdefault(s.name, []).append(s.addressing)
    return {name: hits[0] for name, hits in seen.items() if len(hits) == 1}


def _under(files: Sequence[str], path: str) -> list[str]:
    """The sorted ``files`` strictly inside directory ``path`` (a bisect, not a scan)."""
    prefix = path + "/"
    i = bisect.bisect_left(files, prefix)
    found = []
    while i < len(files) and files[i].startswith(prefix):
        found.append(files[i])
        i += 1
    return found
