"""A remote that is a directory on a local or mounted filesystem, in DVC 3's layout."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from dvcdoit.core import fsutil, tempname
from dvcdoit.core.errors import RemoteError
from dvcdoit.core.hashing import check_relpath
from dvcdoit.storage.remotes import RemoteObjectMissing, check_deletable
from dvcdoit.storage.remotes.gate import refusal

_HASH_ON_THE_WAY = 8 << 20  # NOTE: below this a second thread costs more than a re-read


def _read_all(fd: int, size: int) -> bytes:
    """Everything in ``fd`` from here: one read when the file still has ``size`` bytes or fewer."""
    data = os.read(fd, size + 1)
    if len(data) <= size:
        return data
    chunks = [data]  # NOTE: it grew since the fstat; read on to the end
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _refuse_escape(url: str, relpath: str) -> None:
    """Defence in depth: a relpath with ``..``, an absolute one or a NUL never becomes a path."""
    why = check_relpath(relpath)
    if why:
        msg = f"remote {url}: refusing {why}"
        raise RemoteError(msg)


class LocalRemote:
    """Objects are files below ``root``; each upload is a temp file created 0o444, then a rename."""

    forkable = True

    def __init__(self, root: Path, jobs: int | None = None) -> None:
        self.root = root
        self.url = str(root)
        self.jobs = jobs
        self._root = os.fspath(root)
        self._dirs_made: set[str] = set()
        self._reflink = True  # NOTE: cleared after the first refusal, to save a syscall per file
        self._tmp_tag = os.urandom(4).hex()
        self._seq = itertools.count()  # NOTE: next() on a count is atomic in CPython

    def _path(self, relpath: str) -> Path:
        return self.root / relpath

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """Return the present relpaths; one ``listdir`` per parent directory, not one stat each.

        Stale temp files that a killed push left in a listed directory are removed on the way
        (:func:`tempname.sweep`; the names are listed anyway). Temp names are never objects.
        """
        by_dir: dict[str, list[str]] = {}
        for rel in relpaths:
            by_dir.setdefault(os.path.dirname(rel), []).append(rel)
        found: set[str] = set()
        for parent, rels in by_dir.items():
            where = f"{self._root}/{parent}" if parent else self._root
            try:
                names = set(os.listdir(where))
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                msg = f"remote {self.url}: cannot list {parent}: {exc.strerror}"
                raise RemoteError(msg) from None
            tempname.sweep(where, names)
            found.update(r for r in rels if os.path.basename(r) in names)
        return found

    def _copy(self, src: str, dst: str, mode: int = 0o666) -> None:
        """Reflink ``src`` to ``dst`` where the filesystem can, else copy; ``dst`` must not exist."""
        cloned, _ = fsutil.copy_new(src, dst, mode, self._reflink)
        if not cloned:
            self._reflink = False

    def _tmp(self, parent: str) -> str:
        return f"{parent}/{tempname.name(f'{self._tmp_tag}{next(self._seq):x}')}"

    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """Copy ``local_path`` to ``relpath`` through a temp file created read-only, then rename.

        With ``md5`` the bytes are hashed on the way (:meth:`_copy_verified`) and a temp file
        that does not match is removed before it gets the name.

        NOTE: string paths, one makedirs per parent, the temp file created 0o444 (no chmod):
        per-object overhead is what limits pushing many small files.
        """
        _refuse_escape(self.url, relpath)
        dest = f"{self._root}/{relpath}"
        parent = dest.rpartition("/")[0]
        tmp = self._tmp(parent)
        try:
            if parent not in self._dirs_made:
                os.makedirs(parent, exist_ok=True)
                self._dirs_made.add(parent)
            if md5 is None:
                self._copy(os.fspath(local_path), tmp, 0o444)
            else:
                self._copy_verified(os.fspath(local_path), tmp, md5, relpath)
            os.replace(tmp, dest)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            msg = f"remote {self.url}: cannot upload {relpath}: {exc.strerror or exc}"
            raise RemoteError(msg) from None

    def _copy_verified(self, src: str, tmp: str, md5: str, relpath: str) -> None:
        """Create ``tmp`` (0o444) with ``src``'s bytes if they hash to ``md5``, else raise.

        A small file is read once into memory, hashed, and only then written, so a mismatch
        writes nothing. A large one is copied by the kernel while this thread hashes the
        copy as it lands (:func:`fsutil.copy_hashed`): the digest is of the temp file's own
        bytes, at about the cost of one md5 pass; a mismatch removes the temp file.
        """
        fd = os.open(src, os.O_RDONLY)
        try:
            size = os.fstat(fd).st_size
            small = size < _HASH_ON_THE_WAY
            data = _read_all(fd, size) if small else b""
        finally:
            os.close(fd)
        if small:
            actual = hashlib.md5(data).hexdigest()
            if actual == md5:
                fsutil.write_new(tmp, data)
                return
        else:
            actual = fsutil.copy_hashed(src, tmp, 0o444)[0]
            if actual == md5:
                return
            os.unlink(tmp)
        raise refusal(self.url, relpath, actual, md5)

    def download(self, relpath: str, dest: Path) -> str | None:
        """Copy the object to ``dest``; :class:`RemoteObjectMissing` if it is not there.

        The md5 of the bytes written is returned, so the cache need not read them again: a
        large object is hashed as it lands (:func:`fsutil.copy_hashed`), pulling 1 GiB then
        costs one md5 pass instead of a copy and a re-read; a small one is read whole, hashed
        and written.

        NOTE: the small path is one open, read and close of each side: for 200,000 objects of
        1-4 KiB it replaced a stat, a kernel copy and the cache's re-read (open, read, close)
        of the temp file (docs/design.md, "Scale: what grew worse than linear").
        """
        _refuse_escape(self.url, relpath)
        src = f"{self._root}/{relpath}"
        try:
            fd = os.open(src, os.O_RDONLY)
            try:
                size = os.fstat(fd).st_size
                data = _read_all(fd, size) if size < _HASH_ON_THE_WAY else b""
            finally:
                os.close(fd)
            if size >= _HASH_ON_THE_WAY:
                return fsutil.copy_hashed(src, os.fspath(dest), 0o444)[0]
            fsutil.write_new(os.fspath(dest), data, 0o444)
            return hashlib.md5(data).hexdigest()
        except FileNotFoundError:
            msg = f"remote {self.url}: {relpath} does not exist"
            raise RemoteObjectMissing(msg) from None
        except OSError as exc:
            msg = f"remote {self.url}: cannot download {relpath}: {exc.strerror or exc}"
            raise RemoteError(msg) from None

    def walk(self, prefix: str) -> list[str]:
        """Return every file below ``prefix`` as a posix relpath from the root.

        Temp files are skipped (any ``.*.tmp``: an unfinished upload is never an object);
        stale ones of ours are removed on the way.
        """
        base = self._path(prefix)
        out: list[str] = []
        for dirpath, _dirs, files in os.walk(base):
            tempname.sweep(dirpath, files)
            for name in files:
                if name.startswith(".") and name.endswith(".tmp"):
                    continue
                out.append(fsutil.relpath_posix(os.path.join(dirpath, name), self.root))
        return sorted(out)

    def delete(self, relpaths: Sequence[str]) -> None:
        """Unlink each object (validated first: object relpaths only); one already gone is fine."""
        check_deletable(self.url, relpaths)
        for rel in relpaths:
            try:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self._root}/{rel}")
            except OSError as exc:
                msg = f"remote {self.url}: cannot delete {rel}: {exc.strerror or exc}"
                raise RemoteError(msg) from None
