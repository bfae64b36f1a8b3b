"""What workspace paths hold now, as hashes: a query through the state DB that never writes the cache.

A file whose (inode, mtime_ns, size) is unchanged since it was last hashed is not read again;
a directory whose tree signature is unchanged is not even listed into the state DB. Files
that must be read are hashed in parallel (:func:`fanout.map_by_size`). The :class:`Hasher`
holds no cache: storing while hashing is the workspace's ``commit``, which passes its own
``read`` function to :meth:`Hasher.hash_files`.
"""

from __future__ import annotations

import array
import hashlib
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from dvcdoit.core import fanout, fsutil
from dvcdoit.core.errors import HashingError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, dir_hash, hash_file, md5_bytes
from dvcdoit.core.progress import expect
from dvcdoit.core.state import Row, Signature, StateDB
from dvcdoit.core.timing import Timed, debug
from dvcdoit.repo.ignore import DvcIgnore

Progress = Callable[[int], None]
SMALL = 8 * 1024 * 1024  # NOTE: files up to this size are read whole when hashed (+ stored)
Files = Sequence[tuple[str, os.stat_result]]
Walked = list[tuple[str, os.stat_result]]
Reader = Callable[[str, int, str], str]
"""``(path, size, hash name) -> hash`` of one file: a query, or a query that also stores."""


class Members(Enum):
    """What :attr:`Hashed.entries` holds."""

    NONE = "not a directory: no members"
    LISTED = "a directory read now: entries holds every member"
    UNLISTED = "a directory unchanged since it was last hashed (state DB memo): members not read"


@dataclass(frozen=True)
class Hashed:
    """What a path holds: its hash, total size, file count (dirs) and exec bit (files).

    ``entries`` is the directory's manifest when ``members`` is :attr:`Members.LISTED`, else
    empty: a file has no members, and a directory taken whole from the state DB was not read.
    """

    hi: HashInfo
    size: int
    nfiles: int | None = None
    isexec: bool = False
    members: Members = Members.NONE
    entries: tuple[ManifestEntry, ...] = ()


def read_small(path: str, size: int) -> bytes:
    """The bytes of a file expected to hold ``size`` bytes: one open, one read, one close.

    NOTE: no file object, and a short read ends it (a regular file reads short only at its
    end), so a small file costs three syscalls; a file that grew meanwhile is read to its end.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.read(fd, size + 1)
        if len(data) > size:
            parts = [data]
            while more := os.read(fd, SMALL):
                parts.append(more)
            data = b"".join(parts)
    finally:
        os.close(fd)
    return data


def tree_signature(walked: Walked) -> str:
    """md5 over every member's (relpath, inode, mtime_ns, size): equal means nothing changed.

    NOTE: in walk order, not sorted, and the numbers packed as machine integers instead of
    formatted: 19 ms instead of 34 ms for 20,000 files. An unchanged directory lists in the
    same order; a reordering only costs a miss (the files are then checked one by one).
    """
    h = hashlib.md5("\0".join([rel for rel, _ in walked]).encode("utf-8", "surrogateescape"))
    unsigned, signed = array.array("Q"), array.array("q")
    for _, s in walked:
        unsigned.append(s.st_ino)
        unsigned.append(s.st_size)
        signed.append(s.st_mtime_ns)
    h.update(unsigned.tobytes())
    h.update(signed.tobytes())
    return h.hexdigest()


class Hasher:
    """Hashes files and directories below ``root`` through the state DB and ``.dvcignore``."""

    def __init__(self, root: Path, state: StateDB, ignore: DvcIgnore, jobs: int) -> None:
        self.root = root
        self.state = state
        self.ignore = ignore
        self.jobs = jobs

    def rel(self, path: str | Path) -> str:
        """Return ``path`` relative to the repo root, posix style."""
        return fsutil.relpath_posix(path, self.root)

    def stat(self, path: Path) -> os.stat_result:
        """``os.stat(path)``; a missing path (or broken symlink) is a one-line :class:`HashingError`."""
        try:
            return os.stat(path)
        except FileNotFoundError:
            kind = "is a broken symlink" if os.path.islink(path) else "does not exist"
            msg = f"'{self.rel(path)}' {kind}"
            raise HashingError(msg) from None

    def hash(self, path: Path, name: str = MD5, progress: Progress | None = None) -> Hashed:
        """Return what ``path`` (file or directory) holds now, under hash ``name``.

        Directory members come from the ignore-aware walk; unchanged files (same inode,
        mtime_ns, size) are taken from the state DB without reading them, and an unchanged
        tree (same tree signature) is taken whole, unlisted (:attr:`Members.UNLISTED`).
        """
        st = self.stat(path)
        if not stat.S_ISDIR(st.st_mode):
            return self.hash_file(path, st, name, progress)
        walked = self.ignore.walk_files(path)
        sig = tree_signature(walked)
        memo = self.state.get_dir(os.fspath(path), name, sig)
        if memo is not None:  # NOTE: no file changed since the last hash of this tree
            debug("dvcdoit.hasher", lambda: f"hashed '{self.rel(path)}' ({len(walked)} files): "
                  "unchanged tree, from the state DB")
            return Hashed(HashInfo(name, memo[0]), memo[1], memo[2], False, Members.UNLISTED)
        files = dir_files(path, walked)
        values, _ = self.hash_files(files, name, os.fspath(path), progress, self.digest_one)
        entries = manifest(walked, values)
        return self.listed(path, name, sig, walked, entries, dir_hash(entries)[0])

    def members(self, path: Path, name: str = MD5) -> tuple[ManifestEntry, ...]:
        """The manifest of directory ``path`` as it is now, always listed (unchanged files
        come from the state DB): for a tree :meth:`hash` took whole from its memo."""
        walked = self.ignore.walk_files(path)
        values, _ = self.hash_files(dir_files(path, walked), name, os.fspath(path), None,
                                    self.digest_one)
        return manifest(walked, values)

    def hash_file(self, path: Path, st: os.stat_result, name: str,
                  progress: Progress | None) -> Hashed:
        """What the file ``path`` (stat ``st``) holds: its hash through the state DB, size, exec bit."""
        (value,), _ = self.hash_files([(os.fspath(path), st)], name, None, progress,
                                      self.digest_one)
        return Hashed(HashInfo(name, value), st.st_size, None, fsutil.is_exec(st.st_mode))

    def hash_files(self, files: Files, name: str, under: str | None, progress: Progress | None,
                   read: Reader) -> tuple[list[str], list[int]]:
        """Hash absolute ``files`` (with their stats) below directory ``under`` (or None).

        State DB hits are not read again; the others go through ``read`` (:meth:`digest_one`,
        or a reader that also stores them), in parallel, and into the state DB. Returns every
        hash, in order, and the indexes of the files that were read.
        """
        expect(progress, len(files))
        with Timed("dvcdoit.hasher", "") as timed:
            values, todo = self._lookup(files, name, under)
            if progress and len(files) - len(todo):
                progress(len(files) - len(todo))
            self._read(files, name, progress, read, values, todo)
            timed.what = lambda: self._summary(files, under, todo)
        return [v for v in values if v is not None], todo

    def _summary(self, files: Files, under: str | None, todo: list[int]) -> str:
        size = sum(files[i][1].st_size for i in todo)
        where = f"under '{self.rel(under)}' " if under else f"'{self.rel(files[0][0])}' " \
            if len(files) == 1 else ""
        return (f"hashed {len(files)} file{'s' if len(files) != 1 else ''} {where}({len(todo)} "
                f"read, {size} bytes; {len(files) - len(todo)} from the state DB)")

    def _read(self, files: Files, name: str, progress: Progress | None, read: Reader,
              values: list[str | None], todo: list[int]) -> None:
        """Hash the files at ``todo`` (in parallel) into ``values`` and the state DB."""

        def one(i: int) -> str:
            path, st = files[i]
            try:
                return read(path, st.st_size, name)
            except FileNotFoundError:
                msg = f"'{self.rel(path)}' vanished while it was being hashed"
                raise HashingError(msg) from None

        results = fanout.map_by_size(one, todo, [files[i][1].st_size for i in todo], progress,
                                     limit=self.jobs)
        rows: list[Row] = []
        for i, value in zip(todo, results, strict=False):
            values[i] = value
            path, st = files[i]
            rows.append((path, name, st.st_ino, st.st_mtime_ns, st.st_size, value))
        self.state.set_rows(rows)

    def _lookup(self, files: Files, name: str,
                under: str | None) -> tuple[list[str | None], list[int]]:
        """The state DB's hash of each of ``files`` whose (inode, mtime_ns, size) is unchanged
        (None for the others), and the indexes of the others, which must be read."""
        if under is not None and len(files) > 16:
            known = self.state.get_under(under, name)
        else:
            known = {}
            for p, st in files:
                row = self.state.get(p, name, Signature.of(st))
                if row is not None:
                    known[p] = (st.st_ino, st.st_mtime_ns, st.st_size, row)
        values: list[str | None] = []
        todo: list[int] = []
        for i, (p, st) in enumerate(files):
            hit = known.get(p)
            if hit is not None and hit[0] == st.st_ino and hit[1] == st.st_mtime_ns \
                    and hit[2] == st.st_size:
                values.append(hit[3])
            else:
                values.append(None)
                todo.append(i)
        return values, todo

    @staticmethod
    def digest_one(path: str, size: int, name: str) -> str:
        """Hash the file ``path`` of ``size`` bytes (a small md5 file in a single read)."""
        if name == MD5 and size <= SMALL:
            return md5_bytes(read_small(path, size))
        return hash_file(path, name)

    def listed(self, path: Path, name: str, sig: str, walked: Walked,
               entries: tuple[ManifestEntry, ...], oid: str) -> Hashed:
        """Remember directory ``path`` (tree signature ``sig``) as ``oid`` in the state DB and
        describe it, with its ``entries``."""
        size = sum(s.st_size for _r, s in walked)
        self.state.set_dir(os.fspath(path), name, sig, oid, size, len(entries))
        return Hashed(HashInfo(name, oid), size, len(entries), False, Members.LISTED, entries)


def dir_files(path: Path, walked: Walked) -> list[tuple[str, os.stat_result]]:
    """The absolute paths (with stats) of directory ``path``'s members ``walked``."""
    base = os.fspath(path) + os.sep
    return [(base + rel, s) for rel, s in walked]


def manifest(walked: Walked, values: Sequence[str]) -> tuple[ManifestEntry, ...]:
    """The ``.dir`` manifest entries of members ``walked`` with hashes ``values`` (same order)."""
    return tuple(ManifestEntry(rel, v) for (rel, _s), v in zip(walked, values, strict=True))
