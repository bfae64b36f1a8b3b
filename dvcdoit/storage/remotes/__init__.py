"""Remote object stores: a small :class:`Remote` protocol and the :func:`open_remote` factory.

A remote stores files by *relpath* below its root (``files/md5/ab/cdef…``, legacy ``ab/cdef…``,
``runs/ab/<key>/<value>``); it knows nothing of hashes, caches or workspaces, so a new backend
(GCS, Azure, SSH) only implements these few methods. Backends are imported lazily: ``boto3`` is
loaded only when an S3 remote is opened.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from dvcdoit.core.errors import ConfigError, RemoteError
from dvcdoit.formats.config import RemoteConfig

OBJECT_DIR = "files/md5"
"""Where DVC 3 objects live below a cache or remote root."""

_OBJECT_RELPATH = re.compile(r"files/md5/[0-9a-f]{2}/[0-9a-f]{30}(?:\.dir)?")


def is_object_relpath(relpath: str) -> bool:
    """True if ``relpath`` names a DVC 3 object: ``files/md5/<2 hex>/<30 hex>[.dir]``."""
    return _OBJECT_RELPATH.fullmatch(relpath) is not None


def check_deletable(url: str, relpaths: Sequence[str]) -> None:
    """Refuse (one :class:`RemoteError`) to delete anything but DVC 3 object relpaths."""
    bad = next((r for r in relpaths if not is_object_relpath(r)), None)
    if bad is not None:
        msg = f"remote {url}: refusing to delete {bad!r}: not a DVC object path ({OBJECT_DIR}/xx/…)"
        raise RemoteError(msg)


class RemoteObjectMissing(RemoteError):  # noqa: N818 - reads as a fact, like FileNotFoundError
    """The requested object is not on the remote."""


@runtime_checkable
class Remote(Protocol):
    """What transfer needs from a storage backend. All methods are thread-safe."""

    url: str
    """Where the remote lives, for messages (never contains credentials)."""

    jobs: int | None
    """Preferred parallelism from the remote's config (``jobs``), or None."""

    forkable: bool
    """True when transfers may run in forked processes: every effect lands in a filesystem and
    the client holds no connection or thread. Such transfers are syscall-bound work, which
    processes spread over cores and threads do not; network backends say False."""

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """Return the subset of ``relpaths`` present on the remote, checked in batches."""
        ...

    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """Store the file ``local_path`` at ``relpath`` so it appears complete or not at all.

        With ``md5``, the bytes are hashed as they are read for the upload and stored under
        ``relpath`` only if they hash to ``md5``; otherwise nothing appears at ``relpath`` and
        :class:`~dvcdoit.core.errors.ObjectCorruptError` (carrying the digest they do have)
        is raised. So a tampered cache object never reaches a remote under a valid name.
        """
        ...

    def download(self, relpath: str, dest: Path) -> str | None:
        """Write the object at ``relpath`` to ``dest`` (a temp path the caller verifies).

        Returns the md5 of the bytes written to ``dest`` when the backend computed it on the
        way (the caller then need not read ``dest`` again), else None. Raises
        :class:`RemoteObjectMissing` if there is no such object.
        """
        ...

    def walk(self, prefix: str) -> list[str]:
        """Return the relpaths of every object below ``prefix`` (e.g. ``runs/``)."""
        ...

    def delete(self, relpaths: Sequence[str]) -> None:
        """Delete the objects at ``relpaths``, in order; one already gone is fine.

        Only object relpaths (``files/md5/ab/cdef…``, see :func:`check_deletable`) are
        accepted: gc is the one caller, and nothing else on a remote is ever deleted.
        """
        ...


BACKENDS: Mapping[str, tuple[str, str, str]] = MappingProxyType({
    "s3": ("dvcdoit.storage.remotes.s3", "S3Remote", "boto3"),
    "http": ("dvcdoit.storage.remotes.http", "HTTPRemote", ""),
    "https": ("dvcdoit.storage.remotes.http", "HTTPRemote", ""),
    "ssh": ("dvcdoit.storage.remotes.ssh", "SSHRemote", "ssh"),
    "webdav": ("dvcdoit.storage.remotes.webdav", "WebDAVRemote", "webdav"),
    "webdavs": ("dvcdoit.storage.remotes.webdav", "WebDAVRemote", "webdav"),
    "gs": ("dvcdoit.storage.remotes.gs", "GSRemote", "gs"),
    "azure": ("dvcdoit.storage.remotes.azure", "AzureRemote", "azure"),
})
"""URL scheme -> (module, class, pip extra) of its backend. A backend module imports its own
client library at its top, so importing it fails when the extra is missing; the class has a
``from_config(cfg)`` constructor."""


def open_remote(cfg: RemoteConfig) -> Remote:
    """Return the backend for ``cfg``: a local directory, or one of :data:`BACKENDS`."""
    scheme = cfg.scheme
    if scheme == "":
        from dvcdoit.storage.remotes.local import LocalRemote

        return LocalRemote(Path(cfg.url), jobs=cfg.jobs)
    backend = BACKENDS.get(scheme)
    unsupported = (f"remote '{cfg.name}': url scheme '{scheme}://' is not supported; use a local "
                   f"path or one of {', '.join(f'{s}://' for s in BACKENDS)}")
    if backend is None:
        raise ConfigError(unsupported)
    module_name, class_name, extra = backend
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        msg = (f"remote '{cfg.name}': {scheme}:// remotes need the '{extra}' extra: "
               f"pip install 'dvcdoit[{extra}]'")
        raise ConfigError(msg) from None
    remote: Remote = getattr(module, class_name).from_config(cfg)
    return remote


__all__ = ["BACKENDS", "OBJECT_DIR", "Remote", "RemoteObjectMissing", "check_deletable", "is_object_relpath",
           "open_remote"]
