"""Target selection: what the words a user typed name in the repo's index.

One place turns targets into one typed :class:`Selection` (which stages, which data sources,
which outputs), for every verb: ``status``, ``repro``, ``commit``, ``checkout``, ``push``,
``fetch``, ``pull``. A target is a stage name (``train``, ``sub/dvc.yaml:train``, or a short
name unique across the repo's ``dvc.yaml`` files), a ``.dvc`` file (data source or classic
stage file), an output path, or a directory (everything whose ``.dvc`` file or output lies
inside it). A target that looks like a path (it has a ``/``, ends with ``.dvc`` or exists) is
read as a path first, as DVC reads outputs before stage names.

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
from dvcdoit.formats.pipeline import StageDef
from dvcdoit.pipeline.graph import StageGraph
from dvcdoit.repo.project import Project
from dvcdoit.repo.sources import Source

NEITHER = "'{target}' is neither a stage nor tracked data; check the name or path"
"""The message for a target that names nothing (``status``, ``commit``, the remote verbs)."""

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

    @classmethod
    def parse(cls, project: Project, text: str, cwd: Path | None = None) -> Target:
        """Read ``text`` relative to ``cwd`` (default: the process's cwd).

        A path-looking target outside the repo, inside ``.dvc/`` or naming the repo root is
        :meth:`Project.resolve`'s one-line :class:`PathError`.
        """
        if ":" in text:
            return cls(text)
        base = cwd or Path.cwd()
        looks = "/" in text or text.endswith(".dvc") or os.path.lexists(base / text)
        if looks:
            return cls(text, project.rel(project.resolve(text, base)), True)
        try:
            return cls(text, project.rel(project.resolve(text, base)))
        except PathError:
            return cls(text)


@dataclass(frozen=True)
class Match:
    """What one target names: a stage by its name or stage file, whole nodes, single outputs."""

    target: str
    stage: str | None = None
    nodes: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        """True when the target names anything."""
        return bool(self.stage or self.nodes or self.outs)


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

    def check(self, message: str = NEITHER) -> Selection:
        """Return self; raise :class:`PathError` (``message`` with the target) if any is unknown."""
        if self.unknown:
            raise PathError(message.format(target=self.unknown[0]))
        return self

    def check_stages(self, known: Sequence[str]) -> list[str]:
        """The stages named by name or stage file (``repro``'s targets), one per target.

        Raises :class:`StageError` naming the first target that is not a stage, and ``known``.
        """
        bad = [m.target for m in self.matches if m.stage is None]
        if bad:
            msg = f"unknown stage '{bad[0]}' (known: {', '.join(known) or 'none'})"
            raise StageError(msg)
        return list(dict.fromkeys(m.stage for m in self.matches if m.stage is not None))


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
            whole = [*m.nodes, *([m.stage] if m.stage else [])]
            chosen.update(whole)
            outputs.update(o for n in whole for o in self.graph.nodes[n].outs)
            chosen.update(self.graph.owner[o] for o in m.outs)
            outputs.update(m.outs)
        return Selection(
            targets=tuple(t.text for t in targets),
            stages=tuple(n for n in self.stages if n in chosen),
            sources=tuple(n for n in self.sources if n in chosen),
            outputs=frozenset(outputs),
            named=tuple(dict.fromkeys(m.stage for m in matches if m.stage is not None)),
            unknown=tuple(m.target for m in matches if not m.found),
            matches=matches)

    def _match(self, target: Target, short: Mapping[str, str], files: Sequence[str]) -> Match:
        by_name = self._by_name(target.text, short)
        if by_name is not None and not target.prefer_path:
            return by_name
        by_path = self._by_path(target.text, target.path, files)
        if by_path.found or by_name is None:
            return by_path
        return by_name

    def _by_name(self, text: str, short: Mapping[str, str]) -> Match | None:
        stage = self.stages.get(text)
        name = text if stage is not None and not stage.single else short.get(text)
        return Match(text, stage=name) if name is not None else None

    def _by_path(self, text: str, path: str | None, files: Sequence[str]) -> Match:
        if path is None:
            return Match(text)
        found = self.stages.get(path)
        stage = path if found is not None and found.single else None  # NOTE: a stage file
        nodes = [path] if path in self.sources else []
        nodes += _under(files, path)
        outs = [path] if path in self.graph.owner else []
        outs += self.graph.outs_under(path)
        return Match(text, stage, tuple(nodes), tuple(outs))


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
