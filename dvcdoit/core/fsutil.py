"""Local filesystem primitives with no DVC knowledge: atomic writes, links, protection."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dvcdoit.core import tempname
from dvcdoit.core.errors import FilesystemError

LINK_TYPES = ("reflink", "hardlink", "symlink", "copy")
FS_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EROFS,
                       errno.ENAMETOOLONG})
"""errnos that mean "the filesystem refused" (a user can fix them), not a bug in dvcdoit."""
_FICLONE = 0x40049409  # Linux ioctl number for reflink (btrfs, xfs, ...)


def tmp_name(path: str | os.PathLike[str]) -> str:
    """Return a unique temp file name in the same directory as ``path``
    (``.dvcdoit-<pid>-<random>.tmp``, see :mod:`dvcdoit.core.tempname`)."""
    return tempname.beside(path)


def atomic_write(path: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temp file in the same directory and ``os.replace``.

    A reader sees the old content or the new one, never a partial file. A refusal of the
    filesystem (:data:`FS_ERRNOS`) is a :class:`FilesystemError` naming ``path``; the temp
    file is removed first. Stale temp files a killed run left in the directory are removed
    first (:func:`tempname.sweep`: one listing; metadata writes are few).
    """
    path = os.fspath(path)
    with os_errors("write", path):
        _atomic_write(path, data, mode)


def _atomic_write(path: str, data: bytes, mode: int | None) -> None:
    parent = os.path.dirname(path) or "."
    tempname.sweep(parent)
    tmp = os.path.join(parent, tempname.name())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, text.encode("utf-8"))


def protect(path: str | os.PathLike[str]) -> None:
    """Make a file read-only for everyone (0o444), as DVC does for cache objects."""
    os.chmod(path, 0o444)


def make_writable(path: str | os.PathLike[str]) -> None:
    """Give a file the normal ``0o666 & ~umask`` mode again, keeping exec bits."""
    umask = os.umask(0)
    os.umask(umask)
    st = os.stat(path)
    os.chmod(path, (0o666 & ~umask) | (st.st_mode & 0o111))


def remove(path: str | os.PathLike[str]) -> None:
    """Remove a file, symlink or directory tree if it exists (read-only files included)."""
    p = os.fspath(path)
    if os.path.islink(p) or os.path.isfile(p):
        os.unlink(p)
    elif os.path.isdir(p):

        def _onerror(func, target, _exc):  # type: ignore[no-untyped-def]
            os.chmod(os.path.dirname(target), 0o755)
            with contextlib.suppress(OSError):
                os.chmod(target, 0o644)
            func(target)

        import shutil

        shutil.rmtree(p, onerror=_onerror)


def reflink(src: str, dst: str) -> None:
    """Clone ``src`` to ``dst`` sharing extents (copy-on-write); raise OSError if unsupported."""
    import fcntl

    with open(src, "rb") as s:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            fcntl.ioctl(fd, _FICLONE, s.fileno())
        except OSError:
            os.close(fd)
            os.unlink(dst)
            raise
        os.close(fd)


def write_new(path: str, data: bytes, mode: int = 0o444) -> None:
    """Create ``path`` (must not exist) holding ``data``; removed again on any error."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:
        os.close(fd)
        os.unlink(path)
        raise
    os.close(fd)


def replace_into(tmp: str, dest: str) -> None:
    """``os.replace(tmp, dest)``; on any error the temp file is removed, not left behind."""
    try:
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def copyfile(src: str, dst: str) -> None:
    """Copy file content (uses ``copy_file_range``/``sendfile`` where the kernel offers them)."""
    import shutil

    shutil.copyfile(src, dst)


_COPY_RANGE = hasattr(os, "copy_file_range")


def copy_new(src: str, dst: str, mode: int = 0o666, try_reflink: bool = False) -> tuple[bool, os.stat_result]:
    """Create ``dst`` (must not exist) with ``mode`` (umask applies) holding ``src``'s bytes.

    Returns ``(reflinked, stat of dst)``. The fast path for many small files: two opens, one
    in-kernel copy (``copy_file_range``, a reflink when ``try_reflink`` and the filesystem
    can), no chmod, no pathlib; ``dst`` is removed again if anything fails.
    """
    fin = os.open(src, os.O_RDONLY)
    try:
        size = os.fstat(fin).st_size
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            cloned = False
            if try_reflink:
                import fcntl

                try:
                    fcntl.ioctl(fout, _FICLONE, fin)
                    cloned = True
                except OSError:
                    pass
            if not cloned:
                _copy_fd(fin, fout, size)
            return cloned, os.fstat(fout)
        except BaseException:
            os.close(fout)
            fout = -1
            with contextlib.suppress(OSError):
                os.unlink(dst)
            raise
        finally:
            if fout >= 0:
                os.close(fout)
    finally:
        os.close(fin)


_STEP = 16 << 20  # NOTE: the copier publishes progress every 16 MiB
_HASH_CHUNK = 128 << 10


def hash_range(h: Any, fd: int, pos: int, end: int) -> int:
    """Feed bytes ``[pos, end)`` of open file ``fd`` to hash object ``h``, in 128 KiB reads.

    Returns where it stopped: ``end``, or earlier if the file ends first.
    """
    view = memoryview(bytearray(_HASH_CHUNK))
    while pos < end:
        n = os.preadv(fd, [view[:min(_HASH_CHUNK, end - pos)]], pos)
        if not n:
            break
        h.update(view[:n])
        pos += n
    return pos


def copy_hashed(src: str, dst: str, mode: int = 0o666) -> tuple[str, os.stat_result]:
    """Create ``dst`` (must not exist) with ``src``'s bytes; return (md5 of ``dst``, its stat).

    The kernel copies (``copy_file_range``) on a second thread while this one hashes what has
    landed in ``dst`` so far, trailing the copier: the digest is of the bytes written, not
    of the source, and a large copy costs about one md5 pass. A source that shrinks meanwhile
    gives a shorter ``dst`` (the returned stat says so; callers compare sizes). ``dst`` is
    removed again if anything fails.
    """
    import hashlib
    import threading

    fin = os.open(src, os.O_RDONLY)
    try:
        size = os.fstat(fin).st_size
        fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except BaseException:
        os.close(fin)
        raise
    cond = threading.Condition()
    state: dict[str, Any] = {"landed": 0, "finished": False, "error": None}

    def copier() -> None:
        try:
            done = 0
            while done < size:
                step = min(_STEP, size - done)
                _copy_fd(fin, fout, step)
                done += step
                with cond:
                    state["landed"] = done
                    cond.notify()
        except BaseException as exc:  # noqa: BLE001 - raised in the hashing thread
            state["error"] = exc
        finally:
            with cond:
                state["finished"] = True
                cond.notify()

    h = hashlib.md5()
    thread = threading.Thread(target=copier, name="dvcdoit-copy", daemon=True)
    try:
        rfd = os.open(dst, os.O_RDONLY)
        thread.start()
        try:
            pos = 0
            while True:
                with cond:
                    while state["landed"] <= pos and not state["finished"]:
                        cond.wait()
                    landed, finished = state["landed"], state["finished"]
                pos = hash_range(h, rfd, pos, landed)
                if finished:  # NOTE: a source that shrank ends short of `landed`
                    break
        finally:
            thread.join()
            os.close(rfd)
        if state["error"] is not None:
            raise state["error"]
        st = os.fstat(fout)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(dst)
        raise
    finally:
        os.close(fout)
        os.close(fin)
    return h.hexdigest(), st


def _copy_fd(fin: int, fout: int, size: int) -> None:
    global _COPY_RANGE  # NOTE: remember once that the kernel refuses copy_file_range
    done = 0
    if _COPY_RANGE:
        try:
            while done < size:
                n = os.copy_file_range(fin, fout, size - done)
                if not n:
                    return
                done += n
            return
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP,
                                 errno.EPERM) or done:
                raise
            _COPY_RANGE = False
    while True:
        buf = os.read(fin, 1 << 20)
        if not buf:
            return
        view = memoryview(buf)
        while view:
            view = view[os.write(fout, view):]


def link(src: str, dst: str, kind: str) -> None:
    """Create ``dst`` from ``src`` with link ``kind`` (reflink/hardlink/symlink/copy).

    ``dst`` must not exist. A symlink gets the absolute path of ``src``, as DVC writes it.
    Raises OSError when the kind is not supported here.
    """
    if kind == "copy":
        copyfile(src, dst)
    elif kind == "reflink":
        reflink(src, dst)
    elif kind == "hardlink":
        os.link(src, dst)
    elif kind == "symlink":
        os.symlink(os.path.abspath(src), dst)
    else:
        raise OSError(errno.EINVAL, f"unknown link type {kind!r}")


def is_same_file(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are the same inode."""
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def is_exec(mode: int) -> bool:
    """True if any execute bit is set, as DVC's ``isexec``."""
    return bool(mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))


def makedirs(path: str | os.PathLike[str]) -> None:
    """``os.makedirs(path, exist_ok=True)``."""
    os.makedirs(path, exist_ok=True)


def relpath_posix(path: str | os.PathLike[str], start: str | os.PathLike[str]) -> str:
    """Return ``path`` relative to ``start`` with ``/`` separators."""
    return Path(os.path.relpath(path, start)).as_posix()


@contextlib.contextmanager
def os_errors(operation: str, path: str | os.PathLike[str],
              read: str | os.PathLike[str] | None = None) -> Iterator[None]:
    """Turn a filesystem refusal (:data:`FS_ERRNOS`) inside the block into one
    :class:`FilesystemError` naming the operation and the path; other OSErrors pass through.

    The error names the path the OS reported (see :func:`reported_path`), else ``path``. When that path is ``read`` (the
    source of a copy), the operation is ``read``: a copy that fails names the side that failed.
    """
    try:
        yield
    except OSError as exc:
        if exc.errno not in FS_ERRNOS:
            raise
        where = reported_path(exc, path)
        if read is not None and where == os.fspath(read):
            err = FilesystemError.from_oserror(exc, "read", where)
        else:
            err = FilesystemError.from_oserror(exc, operation, where)
        raise err from None


def reported_path(exc: OSError, fallback: str | os.PathLike[str]) -> str:
    """The path to name for ``exc``: the one the OS reported, unless it is none or one of our
    temp files (:func:`tempname.is_ours`, a name that means nothing to a user): then ``fallback``."""
    if exc.filename is None:
        return os.fspath(fallback)
    where = os.fsdecode(exc.filename)
    base = os.path.basename(where)
    return os.fspath(fallback) if tempname.is_ours(base) else where


def refusal(exc: OSError) -> FilesystemError | None:
    """The one-line :class:`FilesystemError` for a filesystem refusal (its errno in
    :data:`FS_ERRNOS`), naming the path and the operation; None for any other OSError."""
    if exc.errno not in FS_ERRNOS:
        return None
    name = os.fsdecode(exc.filename) if exc.filename is not None else os.getcwd()
    where = reported_path(exc, os.path.dirname(name))  # NOTE: a temp file: name its directory
    writing = exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
    return FilesystemError.from_oserror(exc, "write" if writing else "access", where)
