"""Content-addressed object store on local disk, in DVC 3's layout.

``files/md5/ab/cdef…`` for ``hash: md5`` objects, ``ab/cdef…`` for legacy md5-dos2unix ones,
``.dir`` manifests beside them, ``runs/`` for the run-cache. Objects are written through a
temp file in the same directory plus ``os.replace`` and are then chmod 0o444; a 0o444 object
is trusted without re-hashing, anything else is verified (and deleted if corrupt), as DVC does.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from dvcdoit.core import fsutil, tempname
from dvcdoit.core.errors import CacheError, FormatError, ObjectCorruptError, ObjectMissingError
from dvcdoit.core.hashing import (
    MD5,
    HashInfo,
    ManifestEntry,
    dir_hash,
    hash_file,
    object_relpath,
    parse_manifest,
)

QUARANTINE = "quarantine"
"""Directory below the cache root that holds objects found corrupt (see :meth:`ObjectCache.quarantine`)."""


def _changed(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_size, a.st_mtime_ns) != (b.st_ino, b.st_size, b.st_mtime_ns)


class ObjectCache:
    """A local object cache rooted at ``root`` (usually ``.dvc/cache``)."""

    def __init__(self, root: Path, link_types: tuple[str, ...] = ("reflink", "copy")) -> None:
        self.root = root
        self.link_types = link_types
        self._dirs_made_str: set[str] = set()
        self._listings: dict[str, set[str] | None] = {}
        self._reflink_ok: bool | None = None
        self._root_str = os.fspath(root)
        self._tmp_dir: Path | None = None
        self._manifests: dict[tuple[str, int, int, int], list[ManifestEntry]] = {}
        self._tmp_tag = os.urandom(4).hex()
        self._seq = itertools.count()  # NOTE: next() on a count is atomic in CPython

    def path_for(self, hi: HashInfo) -> Path:
        """Return where object ``hi`` lives (whether or not it exists)."""
        return self.root / object_relpath(hi)

    def _verify(self, path: Path, hi: HashInfo) -> bool:
        if hi.isdir:
            try:
                data = path.read_bytes()
                parse_manifest(data, str(path))
            except (OSError, FormatError):
                return False
            return hashlib.md5(data).hexdigest() + ".dir" == hi.value
        return hash_file(path, hi.name) == hi.value

    def path_str(self, hi: HashInfo) -> str:
        """:meth:`path_for` as a plain string (no pathlib cost, for per-object hot loops)."""
        return f"{self._root_str}/{object_relpath(hi)}"

    def has(self, hi: HashInfo) -> bool:
        """True if the object exists and is valid.

        Fast path: mode exactly 0o444 is trusted without reading. Otherwise the object is
        re-hashed; a corrupt one is deleted, a good one is protected.
        """
        path = self.path_str(hi)
        try:
            st = os.stat(path)
        except OSError:
            return False
        if stat.S_IMODE(st.st_mode) == 0o444 and stat.S_ISREG(st.st_mode):
            return True
        if self._verify(Path(path), hi):
            fsutil.protect(path)
            return True
        with contextlib.suppress(OSError):
            os.unlink(path)
        return False

    def has_many(self, his: Iterable[HashInfo]) -> set[HashInfo]:
        """Return the subset of ``his`` present and valid in the cache.

        NOTE: one ``listdir`` per object directory instead of a stat per object, so objects
        that are absent (the usual case before a fetch) cost nothing each; present ones are
        then checked by :meth:`has`.
        """
        by_dir: dict[str, list[tuple[str, HashInfo]]] = {}
        for hi in his:
            parent, _, name = self.path_str(hi).rpartition("/")
            by_dir.setdefault(parent, []).append((name, hi))
        found: set[HashInfo] = set()
        for parent, items in by_dir.items():
            if len(items) < 3:
                found.update(hi for _, hi in items if self.has(hi))
                continue
            try:
                names = set(os.listdir(parent))
            except OSError:
                continue
            tempname.sweep(parent, names)
            found.update(hi for name, hi in items if name in names and self.has(hi))
        return found

    def _parent(self, path: Path) -> None:
        self._parent_str(os.path.dirname(path))

    def _parent_str(self, parent: str) -> None:
        """Make object directory ``parent`` once per process; a directory that existed is
        swept of stale temps then (one listing, unless :meth:`_listing` listed it already)."""
        if parent not in self._dirs_made_str:
            try:
                os.mkdir(parent)
            except FileExistsError:
                if not self._listings.get(parent):  # NOTE: a listing swept it already
                    tempname.sweep(parent)
            except FileNotFoundError:
                os.makedirs(parent, exist_ok=True)
            self._dirs_made_str.add(parent)

    def _tmp_name(self) -> str:
        """A fresh :mod:`~dvcdoit.core.tempname` name: a random tag per cache plus a counter."""
        return tempname.name(f"{self._tmp_tag}{next(self._seq):x}")

    def tmp_dir(self) -> Path:
        """``<cache>/tmp``, for temp files on the objects' filesystem; made on the first call.

        The first call in a process also removes the stale temp files that killed runs left
        there (:func:`tempname.sweep`).
        """
        if self._tmp_dir is None:
            tmp_dir = self.root / "tmp"  # NOTE: not a valid object path, so never mistaken for one
            with self._storing():
                tmp_dir.mkdir(parents=True, exist_ok=True)
            tempname.sweep(tmp_dir)
            self._tmp_dir = tmp_dir
        return self._tmp_dir

    def tmp_path(self) -> Path:
        """Return a fresh temp file path in :meth:`tmp_dir` (same filesystem as the objects)."""
        return self.tmp_dir() / self._tmp_name()

    def _install(self, tmp: Path, dest: Path) -> None:
        fsutil.protect(tmp)
        os.replace(tmp, dest)

    def add_file(self, src: Path, hi: HashInfo, trusted_absent: bool = False) -> None:
        """Store ``src`` (already known to hash to ``hi``) as an object; no-op if present.

        Copying tries the cache's link types that do not alias the source (reflink, then copy;
        hardlink when configured), so the workspace file is never altered. ``trusted_absent``
        skips the existence check when the caller just did it.
        """
        dest = self.path_for(hi)
        if not trusted_absent and self.has(hi):
            return
        with self._storing(src):
            self._parent(dest)
            tmp = dest.with_name(self._tmp_name())
            try:
                self._copy_in(src, tmp)
                self._install(tmp, dest)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise

    def _storing(self, src: str | os.PathLike[str] | None = None) -> contextlib.AbstractContextManager[None]:
        """A filesystem refusal while storing ``src`` becomes one :class:`FilesystemError`:
        ``cannot read <src>`` or ``cannot write to the cache <path>`` (callers clean up first)."""
        return fsutil.os_errors("write to the cache", self._root_str, read=src)

    def _copy_in(self, src: Path, tmp: Path) -> None:
        kinds = ["reflink"] if self._reflink_ok is not False else []
        if any(t == "hardlink" for t in self.link_types):
            kinds.append("hardlink")
        for kind in kinds:
            try:
                fsutil.link(str(src), str(tmp), kind)
            except OSError:
                if kind == "reflink":
                    self._reflink_ok = False  # NOTE: remember; a failed clone costs 3 syscalls
                continue
            if kind == "reflink":
                self._reflink_ok = True
            return
        fsutil.copyfile(str(src), str(tmp))

    def ingest(self, src: Path) -> tuple[HashInfo, int]:
        """Copy ``src`` into the cache and name the object by the md5 of the bytes copied.

        Returns ``(hash, size)``. The kernel copies while this thread hashes the copy as it
        lands (:func:`fsutil.copy_hashed`), so adding a large new file costs about one md5
        pass, and the object always matches its name. The source is stat-ed before and after:
        a file that changed meanwhile is refused, so the hash recorded for it is its own.
        """
        with self._storing(os.fspath(src)):
            return self._ingest(src)

    def _ingest(self, src: Path) -> tuple[HashInfo, int]:
        tmp = os.fspath(self.tmp_path())
        before = os.stat(src)
        try:
            digest, copied = fsutil.copy_hashed(os.fspath(src), tmp, 0o444)
            after = os.stat(src)
            if _changed(before, after) or copied.st_size != before.st_size:
                msg = (f"{src}: the file changed while it was being added; "
                       "add it again once nothing writes to it")
                raise CacheError(msg)
            hi = HashInfo(MD5, digest)
            dest = self.path_for(hi)
            if self.has(hi):
                os.unlink(tmp)
            else:
                self._parent(dest)
                self._install(Path(tmp), dest)
            return hi, before.st_size
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def add_content(self, data: bytes, hi: HashInfo) -> None:
        """Store small file content already read (and hashed) by the caller, unless present.

        The temp file is created 0o444 directly and renamed into place: one open, one write,
        one rename per object, which is what makes adding 20,000 small files cheap. Presence
        comes from one listing of each object directory (see :meth:`_listing`).
        """
        dest = self.path_str(hi)
        parent, _, name = dest.rpartition("/")
        listing = self._listing(parent)
        if listing is None or name in listing:
            if self.has(hi):
                return
        else:
            with self._storing():
                self._parent_str(parent)
        tmp = f"{parent}/{self._tmp_name()}"
        with self._storing():
            fsutil.write_new(tmp, data)
            fsutil.replace_into(tmp, dest)
        if listing is not None:
            listing.add(name)

    def _listing(self, parent: str) -> set[str] | None:
        """The names in object directory ``parent`` (listed once), or None when it is large.

        NOTE: a stat per object cost 0.3 s of adding 20,000 new files; a listing costs one
        call per directory. A directory over 64 KiB (some 2,000 objects) is not listed: there
        a stat per object is cheaper than reading every name. A name found here is still
        checked by :meth:`has`; one missing is written (an atomic replace, so a race with
        another writer of the same object is harmless).
        """
        try:
            return self._listings[parent]
        except KeyError:
            pass
        listing: set[str] | None
        try:
            listing = set(os.listdir(parent)) if os.stat(parent).st_size <= 65536 else None
        except FileNotFoundError:
            listing = set()
        if listing:
            tempname.sweep(parent, listing)  # NOTE: free: the names are listed anyway
        self._listings[parent] = listing
        return listing

    def add_bytes(self, data: bytes, hi: HashInfo) -> None:
        """Store ``data`` as object ``hi`` (used for ``.dir`` manifests); no-op if present."""
        dest = self.path_for(hi)
        if self.has(hi):
            return
        self._parent(dest)
        fsutil.atomic_write(dest, data, mode=0o444)

    def add_verified(self, tmp: Path, hi: HashInfo, md5: str | None = None) -> bool:
        """Move a downloaded ``tmp`` file into place only if it hashes to ``hi``.

        Returns False (and deletes ``tmp``) on mismatch, so a corrupt download never gets a
        valid object name. ``md5`` is the digest of ``tmp``'s bytes when the download computed
        it on the way (a plain md5 file object is then not read again). A temp file already
        0o444 is not chmod'ed again.
        """
        if md5 is not None and hi.name == MD5 and not hi.isdir:
            ok = md5 == hi.value
        else:
            ok = self._verify(tmp, hi)
        if not ok:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return False
        dest = self.path_str(hi)
        with self._storing():
            try:
                self._parent_str(os.path.dirname(dest))
                if stat.S_IMODE(os.stat(tmp).st_mode) != 0o444:
                    fsutil.protect(tmp)
                os.replace(tmp, dest)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        return True

    def read_manifest(self, hi: HashInfo) -> list[ManifestEntry]:
        """Return the entries of ``.dir`` object ``hi``; unsafe relpaths are refused."""
        path = self.path_for(hi)
        try:
            with open(path, "rb") as f:
                st = os.fstat(f.fileno())
                key = (hi.value, st.st_ino, st.st_mtime_ns, st.st_size)
                if key in self._manifests:  # NOTE: one parse per process (pull reads it thrice)
                    return list(self._manifests[key])
                data = f.read()
        except FileNotFoundError:
            msg = f"directory manifest {hi.value} is not in the cache"
            raise ObjectMissingError(msg) from None
        actual = hashlib.md5(data).hexdigest()
        if actual + ".dir" != hi.value:
            msg = f"directory manifest {hi.value} in the cache is corrupt; fetch it again"
            raise ObjectCorruptError(msg, actual)
        entries = parse_manifest(data, str(path))
        self._manifests[key] = entries
        return list(entries)

    def add_manifest(self, entries: Iterable[ManifestEntry], name: str = MD5) -> HashInfo:
        """Store a ``.dir`` manifest for ``entries`` and return its hash."""
        oid, data = dir_hash(entries)
        hi = HashInfo(name, oid)
        self.add_bytes(data, hi)
        return hi

    def quarantine(self, hi: HashInfo, actual: str) -> Path:
        """Move object ``hi``, whose bytes hash to ``actual``, to ``quarantine/<oid>.<actual>``.

        Returns the new path. One rename inside the cache, outside every place DVC reads
        objects from (see :mod:`dvcdoit.storage.quarantine`); the object is then missing.
        """
        src = self.path_str(hi)
        dest = self.root / QUARANTINE / f"{hi.value}.{actual}"
        with self._storing():
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
        parent, _, name = src.rpartition("/")
        listing = self._listings.get(parent)
        if listing is not None:
            listing.discard(name)
        return dest

    def expand(self, hi: HashInfo) -> list[HashInfo]:
        """Return ``[hi]`` for a file, or ``[hi, *members]`` for a directory (needs its manifest)."""
        if not hi.isdir:
            return [hi]
        return [hi, *(HashInfo(hi.name, e.md5) for e in self.read_manifest(hi))]
