"""Check cache objects against their names by reading every byte, in the spirit of ``git fsck``.

Nothing is trusted: not the 0o444 mode (which :meth:`ObjectCache.has` trusts), not the state
DB. Every object is hashed under its hash name (``md5``, or legacy ``md5-dos2unix``); a
``.dir`` object must also parse as a manifest. Bad objects are reported, and with ``repair``
moved aside (:mod:`dvcdoit.storage.quarantine`), the same way a push that finds one does.

Two scopes: every object file in the cache (:func:`list_objects`: ``files/md5/ab/cdef…`` and
the legacy ``ab/cdef…`` prefixes), or the objects that given outputs use (their ``.dir``
manifests first, then the members of the manifests that are good). Hashing is spread over
``jobs`` workers by :func:`dvcdoit.core.fanout.map_by_size`: large objects on threads, small
ones in forked processes.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from dvcdoit.core import fanout, tempname
from dvcdoit.core.errors import FormatError
from dvcdoit.core.hashing import LEGACY, MD5, HashInfo, hash_file, is_oid, parse_manifest
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.quarantine import Corruption, set_aside

Item = tuple[str, HashInfo]
Finding = tuple[str, str, str]
"""What hashing one object found: ``(kind, actual digest, detail)``; kind ``ok``, ``corrupt``
(bytes do not match the name), ``invalid`` (a ``.dir`` whose bytes match but do not parse;
detail says why), ``unreadable`` (detail: the OS's reason) or ``missing``."""
_OK: Finding = ("ok", "", "")
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class VerifyResult:
    """What a verification found.

    ``checked``: objects read; ``corrupted``: bad ones (moved aside when repairing);
    ``unreadable``: ``(path, reason)`` of objects that could not be read; ``missing``: used
    objects not in the cache (only when outputs were given); ``skipped``: paths of files
    where objects live that are not objects (temp files, odd names).
    """

    checked: int = 0
    corrupted: tuple[Corruption, ...] = ()
    unreadable: tuple[tuple[str, str], ...] = ()
    missing: tuple[Item, ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every object read matched its name."""
        return not self.corrupted and not self.unreadable

    def shown_from(self, root: Path) -> VerifyResult:
        """This result with its paths relative to ``root`` (when below it), for messages."""
        def rel(path: str) -> str:
            out = os.path.relpath(path, root)
            return path if out == ".." or out.startswith("../") else Path(out).as_posix()

        return replace(self, corrupted=tuple(c.shown_from(root) for c in self.corrupted),
                       unreadable=tuple((rel(p), why) for p, why in self.unreadable),
                       skipped=tuple(rel(p) for p in self.skipped))


def _is_prefix(name: str) -> bool:
    return len(name) == 2 and set(name) <= _HEX


def _scan_prefix(top: os.DirEntry[str], name: str, objects: list[tuple[HashInfo, int]],
                 others: list[str]) -> None:
    temps = []
    with os.scandir(top.path) as entries:
        for e in entries:
            oid = top.name + e.name
            if is_oid(oid) and e.is_file(follow_symlinks=False):
                objects.append((HashInfo(name, oid), e.stat(follow_symlinks=False).st_size))
            elif tempname.is_ours(e.name):
                temps.append(e.name)  # NOTE: an object being written, or a killed run's
            else:
                others.append(e.path)
    tempname.sweep(top.path, temps)


def list_objects(cache: ObjectCache) -> tuple[list[tuple[HashInfo, int]], list[str]]:
    """Every object file in ``cache`` with its size, and the paths of the other files found
    where objects live, sorted.

    Below ``files/md5/`` everything should be an object, so anything else is listed as
    other, except dvcdoit's own temp files (stale ones are removed, live ones skipped). At the cache root only the two-hex-digit legacy prefixes hold objects; the rest
    (``files``, ``runs``, ``tmp``, ``quarantine``) is not looked into.
    """
    objects: list[tuple[HashInfo, int]] = []
    others: list[str] = []
    for base, name in ((cache.root / "files" / "md5", MD5), (cache.root, LEGACY)):
        try:
            entries = list(os.scandir(base))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for top in entries:
            if _is_prefix(top.name) and top.is_dir(follow_symlinks=False):
                _scan_prefix(top, name, objects, others)
            elif name == MD5:
                others.append(top.path)
    return sorted(objects), sorted(others)


def check(path: str, hi: HashInfo) -> Finding:
    """Hash the object file ``path`` and say whether it is object ``hi`` (see :data:`Finding`)."""
    try:
        if not hi.isdir:
            actual = hash_file(path, hi.name)
            return _OK if actual == hi.value else ("corrupt", actual, "")
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return ("missing", "", "")
    except OSError as exc:
        return ("unreadable", "", exc.strerror or str(exc))
    actual = hashlib.md5(data).hexdigest()
    if actual + ".dir" != hi.value:
        return ("corrupt", actual, "")
    try:
        parse_manifest(data, "")
    except FormatError as exc:
        why = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems)
        return ("invalid", actual, why)
    return _OK


class _Tally:
    """Findings of one verification, turned into a :class:`VerifyResult` at the end."""

    def __init__(self, cache: ObjectCache, repair: bool) -> None:
        self.cache = cache
        self.repair = repair
        self.checked = 0
        self.corrupted: list[Corruption] = []
        self.unreadable: list[tuple[str, str]] = []
        self.missing: list[Item] = []

    def run(self, items: Sequence[Item], sizes: Sequence[int], jobs: int | None,
            progress: Callable[[int], None] | None) -> set[HashInfo]:
        """Check ``items``; return the hashes of those found good."""
        paths = [self.cache.path_str(hi) for _, hi in items]
        found = fanout.map_by_size(lambda k: check(paths[k], items[k][1]), range(len(items)),
                                   sizes, progress, limit=max(1, jobs or 4))
        good: set[HashInfo] = set()
        for (name, hi), path, (kind, actual, detail) in zip(items, paths, found, strict=True):
            if kind == "missing":
                self.missing.append((name, hi))
                continue
            self.checked += 1
            if kind == "ok":
                good.add(hi)
            elif kind == "unreadable":
                self.unreadable.append((path, detail))
            elif self.repair:
                self.corrupted.append(set_aside(self.cache, hi, actual, name, detail))
            else:
                self.corrupted.append(Corruption(hi, actual, path, None, name, detail))
        return good

    def result(self, skipped: Iterable[str] = ()) -> VerifyResult:
        return VerifyResult(self.checked, tuple(self.corrupted), tuple(self.unreadable),
                            tuple(self.missing), tuple(skipped))


def _sizes(cache: ObjectCache, items: Sequence[Item]) -> list[int]:
    out = []
    for _, hi in items:
        try:
            out.append(os.stat(cache.path_str(hi)).st_size)
        except OSError:
            out.append(0)
    return out


def verify(cache: ObjectCache, items: Sequence[Item] | None = None, jobs: int | None = None,
           repair: bool = False, progress: Callable[[int], None] | None = None) -> VerifyResult:
    """Hash every object of ``cache`` (``items`` None), or the objects ``items`` use.

    ``items`` are ``(workspace path, hash)`` of outputs; a directory's ``.dir`` is checked
    first and the members of a good one are then checked too, named ``<out>/<relpath>``.
    With ``repair`` bad objects are moved aside; unreadable ones are only reported.
    """
    tally = _Tally(cache, repair)
    if items is None:
        objects, others = list_objects(cache)
        tally.run([("", hi) for hi, _ in objects], [size for _, size in objects], jobs, progress)
        return tally.result(others)
    names: dict[HashInfo, str] = {}
    for name, hi in items:
        names.setdefault(hi, name)
    dirs = [(name, hi) for hi, name in names.items() if hi.isdir]
    for hi in tally.run(dirs, _sizes(cache, dirs), jobs, progress):
        for e in cache.read_manifest(hi):
            names.setdefault(HashInfo(hi.name, e.md5), f"{names[hi]}/{e.relpath}")
    files = [(name, hi) for hi, name in names.items() if not hi.isdir]
    tally.run(files, _sizes(cache, files), jobs, progress)
    return tally.result()
