"""Data sources: the ``.dvc`` files ``add`` writes, and their commit, checkout and status.

Each verb takes a :class:`~dvcdoit.repo.project.Project`-like set of collaborators (workspace,
root) and returns data; the CLI renders it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import DvcDoitError, FormatError, PathError
from dvcdoit.core.hashing import LEGACY, MD5, ManifestEntry
from dvcdoit.formats import dvcfile as fmt
from dvcdoit.repo import gitignore
from dvcdoit.repo.workspace import Workspace

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Source:
    """One ``.dvc`` data-source file and its outputs, with repo-relative paths."""

    relpath: str
    file: fmt.DvcFile
    out_paths: tuple[str, ...]


@dataclass(frozen=True)
class SourceStatus:
    """What changed for one ``.dvc`` file: per-output status words, and a stale stage checksum."""

    name: str
    outs: Mapping[str, str]
    changed_checksum: bool = False


def load_sources(root: Path, dvcfiles: Iterable[Path]) -> list[Source]:
    """Parse every given ``.dvc`` file that is a data source (classic stage files are skipped)."""
    sources = []
    for path in dvcfiles:
        rel = fsutil.relpath_posix(path, root)
        try:
            f = fmt.load(path, rel)
        except FormatError as exc:
            if "single-stage" in str(exc):
                continue  # NOTE: classic stage files are stages, handled by formats.stagefile
            raise
        sources.append(Source(rel, f, tuple(fmt.resolve_path(rel, f, o) for o in f.outs)))
    return sources


def refuse_stage_output(rel: str, owners: Mapping[str, str]) -> None:
    """Refuse to track ``rel`` when it is (or overlaps) an output of a pipeline stage;
    ``owners`` maps repo-relative stage outputs to their stage."""
    for out, owner in owners.items():
        if rel == out or rel.startswith(out + "/") or out.startswith(rel + "/"):
            msg = f"'{rel}' is an output of stage '{owner}'; it is tracked by that stage already"
            raise DvcDoitError(msg)


def add(ws: Workspace, path: Path, owners: Mapping[str, str],
        progress: Progress | None = None, commit: bool = True) -> Path:
    """Track ``path``: commit it to the cache, write ``PATH.dvc`` and the ``.gitignore`` entry.

    ``owners`` maps repo-relative stage outputs to their stage, to refuse adding a path a
    stage produces. Re-adding unchanged legacy data keeps its legacy hash (and bytes).
    Without ``commit`` (``--no-commit``) the data is only hashed: the ``.dvc`` file records
    it and the cache is left alone, as DVC does (``status`` then says ``not in cache``).
    Returns the ``.dvc`` file path.
    """
    rel = ws.rel(path)
    refuse_stage_output(rel, owners)
    if not os.path.lexists(path):
        msg = f"'{rel}' does not exist"
        raise PathError(msg)
    gitignore.check_untracked(ws.root, [rel])
    dvc_path = path.with_name(path.name + ".dvc")
    old_file: fmt.DvcFile | None = None
    if dvc_path.exists():
        old_file = fmt.load(dvc_path, ws.rel(dvc_path))
    old_out = old_file.outs[0] if old_file and len(old_file.outs) == 1 else None
    name = MD5
    if (old_out is not None and old_out.hash is not None and old_out.hash.legacy
            and ws.hash(path, LEGACY).hi == old_out.hash):
        name = LEGACY  # NOTE: unchanged legacy data stays legacy (spec §2.3 upgrade rule)
    hashed = ws.commit(path, name, progress=progress) if commit else ws.hash(path, name, progress)
    base: fmt.Out = old_out or fmt.Out(path=path.name)
    new_out = replace(base, path=path.name, hash=hashed.hi, size=hashed.size, nfiles=hashed.nfiles,
                      isexec=hashed.isexec)
    new_file = replace(old_file, outs=(new_out,)) if old_file else fmt.DvcFile(outs=(new_out,))
    fmt.dump(dvc_path, new_file)
    ws.gitignores.add([rel])
    return dvc_path


def tracked_dir(sources: Iterable[Source], rel: str) -> tuple[Source, int] | None:
    """The data source (and the index of its output) whose tracked directory holds ``rel``."""
    for source in sources:
        for i, (out, path) in enumerate(zip(source.file.outs, source.out_paths, strict=False)):
            if out.hash is not None and out.hash.isdir and rel.startswith(path + "/"):
                return source, i
    return None


def add_inside(ws: Workspace, path: Path, source: Source, index: int,
               progress: Progress | None = None) -> Path:
    """DVC 3's ``add`` of a file inside a tracked directory: the file is cached and the
    directory's manifest gains (or updates) that one entry; other changes in the directory
    are not taken. The ``.dvc`` file's ``size`` grows by the file's size when it is new and is
    dropped when an entry is replaced, as DVC writes it. Returns the ``.dvc`` file path."""
    out, out_rel = source.file.outs[index], source.out_paths[index]
    rel = ws.rel(path)
    if not os.path.isfile(path) or os.path.islink(path):
        msg = (f"'{rel}' is inside the tracked directory '{out_rel}' and is not a file; "
               f"run 'dvcdoit add {out_rel}' to record the whole directory")
        raise PathError(msg)
    if out.hash is None:  # NOTE: tracked_dir returns recorded directories only
        msg = f"'{source.relpath}' records no hash for '{out_rel}'; run 'dvcdoit add {out_rel}'"
        raise PathError(msg)
    entries = {e.relpath: e.md5 for e in ws.cache.read_manifest(out.hash)}
    hashed = ws.commit(path, MD5, progress=progress)
    member = rel[len(out_rel) + 1:]
    replaced = member in entries
    entries[member] = hashed.hi.value
    new_hi = ws.cache.add_manifest([ManifestEntry(k, v) for k, v in sorted(entries.items())])
    size = None if replaced or out.size is None or hashed.size is None else out.size + hashed.size
    new_out = replace(out, hash=new_hi, size=size, nfiles=len(entries))
    outs = tuple(new_out if i == index else o for i, o in enumerate(source.file.outs))
    dvc_path = ws.root / source.relpath
    fmt.dump(dvc_path, replace(source.file, outs=outs))
    return dvc_path


def commit(ws: Workspace, source: Source, force: bool = False) -> bool:
    """Record the current data of ``source``'s outputs; return True if the file changed."""
    outs = []
    for out, rel in zip(source.file.outs, source.out_paths, strict=False):
        path = ws.root / rel
        if not out.cache:
            hashed = ws.hash(path)
        else:
            name = out.hash.name if out.hash is not None else MD5
            if name == LEGACY and ws.hash(path, LEGACY).hi != out.hash:
                name = MD5
            hashed = ws.commit(path, name)
        outs.append(replace(out, hash=hashed.hi, size=hashed.size, nfiles=hashed.nfiles,
                            isexec=hashed.isexec))
    new = replace(source.file, outs=tuple(outs), md5=None)
    if new.is_import:  # NOTE: DVC records an import's stage md5; a data source has none
        new = replace(new, md5=new.computed_md5())
    return fmt.dump(ws.root / source.relpath, new)


def status(ws: Workspace, source: Source) -> SourceStatus | None:
    """Return what changed for ``source`` in DVC's words, or None when it is up to date."""
    outs = {}
    for out, rel in zip(source.file.outs, source.out_paths, strict=False):
        word = ws.status(ws.root / rel, out.hash, out.cache)
        if word:
            outs[rel] = word
    file = source.file
    stale = (file.md5 != file.computed_md5() if file.is_import
             else file.md5 is not None)
    if not outs and not stale:
        return None
    return SourceStatus(source.relpath, outs, stale)
