"""``du``: disk usage of a local repo's workspace as DVC 3.67.1's ``dvc du URL [PATH]`` sees it.

The view (measured, docs/housekeeping.md) is the workspace merged with what the repo tracks:
files and dirs on disk except ``.git``, ``.dvc/``, ``.dvcignore``, ``*.dvc`` files,
``dvc.yaml`` and what ``.dvcignore`` excludes; plus every tracked output and member of a
tracked directory (from its ``.dir`` manifest), present or not. A file present on disk has
its size on disk; a missing output has the size its ``.dvc`` file or ``dvc.lock`` records; a
missing member of a tracked directory counts 0; a directory is the sum of its entries, but a
tracked directory missing from disk counts its recorded size (while ``du URL DIR`` sums its
members' zeros, as DVC does).
Only the workspace is read: ``--rev`` (a git revision's view) is not implemented here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError, PathError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.pipeline.index import Index, load_index
from dvcdoit.repo.project import Project

HIDDEN = frozenset({".git", ".dvc", ".dvcignore", "dvc.yaml"})


@dataclass
class _Node:
    """One entry of the view: a file with a size, or a directory of entries."""

    size: int | None = None  # a file's recorded or on-disk size; None for a directory
    children: dict[str, _Node] = field(default_factory=dict)
    recorded: int | None = None  # a tracked directory's recorded size, while not on disk

    def child(self, name: str) -> _Node:
        return self.children.setdefault(name, _Node())


def _recorded(index: Index) -> dict[str, tuple[int | None, HashInfo]]:
    """Every tracked output: repo path → (recorded size, its hash)."""
    out: dict[str, tuple[int | None, HashInfo]] = {}
    for src in index.sources.values():
        for o, rel in zip(src.file.outs, src.out_paths, strict=False):
            if o.hash is not None:
                out[rel] = (o.size, o.hash)
    for name, stage in index.stages.items():
        entry = index.locks.get(name)
        for so in stage.outs:
            item = None if entry is None else entry.out(so.path)
            if item is not None and item.hash is not None:
                out[stage.repo_path(so.path)] = (item.size, item.hash)
    return out


def _place(root: _Node, rel: str) -> _Node:
    node = root
    for part in rel.split("/"):
        node = node.child(part)
    return node


def _tracked(project: Project, root: _Node) -> None:
    """Add the tracked outputs, and the members of tracked directories, to the view."""
    for rel, (size, hi) in _recorded(load_index(project)).items():
        node = _place(root, rel)
        if not hi.isdir:
            node.size = size
            continue
        try:
            members = project.cache.read_manifest(hi)
        except DvcDoitError:
            members = []  # NOTE: manifest not in the cache: the directory alone
        for m in members:
            _place(node, m.relpath).size = 0  # NOTE: replaced by the size on disk, if any
        node.recorded = size


def _disk(project: Project, node: _Node, abs_dir: Path, rel: str) -> None:
    """Add what is on disk below ``abs_dir`` (repo path ``rel``) to ``node``."""
    with os.scandir(abs_dir) as it:
        entries = list(it)
    for e in entries:
        path = f"{rel}/{e.name}" if rel else e.name
        is_dir = e.is_dir()
        if e.name in HIDDEN or (not is_dir and e.name.endswith(".dvc")):
            continue
        if project.ignore.is_ignored(path, is_dir):
            continue
        child = node.child(e.name)
        if is_dir:
            child.size = child.recorded = None
            _disk(project, child, Path(e.path), path)
        else:
            child.size = e.stat().st_size


def total(node: _Node) -> int:
    """A file's size, or the sum over a directory's entries (a tracked directory missing
    from disk: its recorded size, as DVC counts it)."""
    if node.recorded is not None:
        return node.recorded
    if not node.children:
        return node.size or 0
    return sum(total(c) for c in node.children.values())


def du(project: Project, path: str, summarize: bool) -> list[tuple[str, int]]:
    """``(path, size)`` rows as DVC prints them: the entries of ``path`` then ``path`` itself
    (one row for ``-s`` or a file); names sorted (DVC's order is its merged listing's)."""
    root = _Node()
    _tracked(project, root)
    _disk(project, root, project.root, "")
    rel = path.strip("/")
    node = root
    for part in [p for p in rel.split("/") if p not in ("", ".")]:
        if part not in node.children:
            msg = f"'{path}' is neither in the workspace nor tracked in '{project.root}'"
            raise PathError(msg)
        node = node.children[part]
    if summarize or (not node.children and node.size is not None):
        return [(path, total(node))]
    prefix = f"{path.rstrip('/')}/" if path else ""
    rows = [(f"{prefix}{name}", total(node.children[name])) for name in sorted(node.children)]
    return [*rows, (path, sum(size for _, size in rows))]


def natural_size(value: int) -> str:
    """DVC's ``naturalsize``: an integer below 1024, else tqdm's 3 significant digits (k, M…)."""
    if value < 1024:
        return f"{value:.0f}"
    num = float(value)
    for unit in ("", "k", "M", "G", "T", "P", "E", "Z"):
        if abs(num) < 999.5:
            if abs(num) < 99.95:
                return f"{num:1.2f}{unit}" if abs(num) < 9.995 else f"{num:2.1f}{unit}"
            return f"{num:3.0f}{unit}"
        num /= 1024
    return f"{num:3.1f}Y"


def table(rows: list[tuple[str, int]]) -> list[str]:
    """Rows as DVC's table prints them: sizes left-aligned, two blanks, the path."""
    sizes = [natural_size(size) for _, size in rows]
    width = max(len(s) for s in sizes)
    return [f"{s:<{width}}  {p}".rstrip() for s, (p, _) in zip(sizes, rows, strict=True)]
