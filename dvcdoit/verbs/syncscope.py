"""What push / fetch / pull move besides the plain targets: DVC's ``--glob``, ``-R``,
``--with-deps`` and the outputs of other git revisions (``-a``, ``-T``, ``-A``).

Targets at another revision are matched by path: an output path, a directory above outputs,
or a ``.dvc`` file naming one; stage names select only in the workspace. Imports recorded at
another revision are left out (DVC fetches those from their source repo at that revision).
"""

from __future__ import annotations

import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core.errors import PathError
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.selection import Selection
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects, Revision
from dvcdoit.verbs.locate import revision_outs
from dvcdoit.verbs.stagelist import recursive as under
from dvcdoit.verbs.tracked import Tracked


@dataclass(frozen=True)
class SyncScope:
    """The flags of push / fetch / pull that widen or loosen what the targets name."""

    glob: bool = False
    recursive: bool = False
    with_deps: bool = False
    commits: tuple[str, ...] = ()
    """Other revisions whose outputs move too (``-a``, ``-T``, ``-A``; the CLI picks them)."""
    allow_missing: bool = False
    """pull: objects missing everywhere are warned of, not failures (DVC's flag)."""

    def select(self, index: Index, targets: Sequence[str], cwd: Path) -> Selection:
        """The workspace selection the targets and flags name."""
        typed = globbed(targets, cwd) if self.glob else list(targets)
        if self.recursive:
            typed = recursed(index, typed, cwd)
        selection = index.select(typed, cwd)
        return with_deps(index, selection) if self.with_deps else selection


def globbed(targets: Sequence[str], cwd: Path) -> list[str]:
    """``--glob``: each target expanded as a shell pattern from ``cwd`` (DVC's ``iglob``
    with ``**``); no match at all is DVC's error."""
    found = [os.path.relpath(hit, cwd) if os.path.isabs(hit) else hit
             for t in targets for hit in sorted(glob.glob(t, root_dir=cwd, recursive=True))]
    if targets and not found:
        msg = f"Glob {list(targets)} has no matches."  # NOTE: DVC's words
        raise PathError(msg)
    return found


def recursed(index: Index, targets: Sequence[str], cwd: Path) -> list[str]:
    """``-R``: a directory target becomes every stage and ``.dvc`` file below it."""
    out: list[str] = []
    root = index.project.root
    for t in targets:
        path = (cwd / t).resolve()
        if path.is_dir() and path.is_relative_to(root):
            names = under(index, index.project.rel(path))
            out += [os.path.relpath(root / n, cwd) if n in index.sources else n for n in names]
        else:
            out.append(t)
    return out


def with_deps(index: Index, selection: Selection) -> Selection:
    """``--with-deps``: the selection plus every stage and source upstream of what it names."""
    graph = index.graph
    named = [n for n in (*selection.stages, *selection.sources) if n in graph.nodes]
    wanted = {up for n in named for up in graph.upstream(n)}
    if not wanted - set(named):
        return selection
    extra = index.select(sorted(wanted), index.project.root)
    stages = tuple(n for n in index.stages if n in set(selection.stages) | set(extra.stages))
    sources = tuple(n for n in index.sources
                    if n in set(selection.sources) | set(extra.sources))
    return Selection(targets=selection.targets + extra.targets, stages=stages, sources=sources,
                     outputs=selection.outputs | extra.outputs, named=selection.named,
                     unknown=selection.unknown, matches=selection.matches)


def revision_tracked(project: Project, commits: Sequence[str], targets: Sequence[str],
                     cwd: Path) -> list[Tracked]:
    """The cached outputs recorded at each of ``commits`` (imports left out), once each."""
    paths = [_repo_path(project, t, cwd) for t in targets]
    seen: set[str] = set()
    out: list[Tracked] = []
    objects = GitObjects(project.root)
    try:
        for sha in commits:
            for found in revision_outs(Revision(project.root, sha, objects, sha)):
                if found.imported or found.hi.value in seen or not _wanted(found.out, paths):
                    continue
                seen.add(found.hi.value)
                out.append(Tracked(found.out, found.hi, push=found.push, remote=found.remote))
    finally:
        objects.close()
    return out


def _repo_path(project: Project, target: str, cwd: Path) -> str:
    """A target as a repo-relative posix path (a ``.dvc`` file names its output)."""
    rel = os.path.relpath((cwd / target).resolve(), project.root).replace(os.sep, "/")
    return rel.removesuffix(".dvc") if rel.endswith(".dvc") else rel


def _wanted(out: str, paths: Sequence[str]) -> bool:
    if not paths:
        return True
    return any(p in (".", out) or out.startswith(p + "/") or p.startswith(out + "/")
               for p in paths)


__all__ = ["SyncScope", "globbed", "recursed", "revision_tracked", "with_deps"]
