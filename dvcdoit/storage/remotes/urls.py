"""Data at a URL, as ``import-url``/``get-url``/``update`` read it: a local path, ``s3://`` or
``http(s)://``.

Each kind answers two questions: what is there now (:class:`UrlInfo`: file or directory, its
members, and the keys DVC 3.67.1 records on the dependency for that scheme) and the bytes of
one member (``download``, returning the md5 of what it wrote). The keys recorded, measured:

* a local file or directory: ``md5`` (a ``.dir`` id for a directory), ``size``, ``nfiles``;
* an S3 object: ``etag`` and ``size``; an S3 prefix: ``md5`` of the manifest of its objects'
  *etags* (``[{"etag": …, "relpath": …}]``) plus ``.dir``, ``size``, ``nfiles``;
* an http(s) file: ``checksum`` (the ``ETag``, else ``Content-MD5``, else fsspec's token of
  the HEAD answer) and ``size``.

Messages never show credentials (``user:password@`` is dropped from every URL shown).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from dvcdoit.core.errors import RemoteError
from dvcdoit.core.hashing import MD5, hash_file


class UrlMissing(RemoteError):  # noqa: N818 - reads as a fact, like FileNotFoundError
    """Nothing at the URL (a missing path, a 404, an empty S3 prefix)."""


@dataclass(frozen=True)
class UrlFile:
    """One file at a URL: its relpath below the URL ("" for the URL itself), size, and the
    md5 the source vouches for, if it does (a local hash, a single-part S3 etag)."""

    relpath: str
    size: int | None = None
    md5: str | None = None


@dataclass(frozen=True)
class UrlInfo:
    """What a URL holds now: a file or a directory of ``files``, and the dependency keys
    (``md5``/``etag``/``checksum``, ``size``, ``nfiles``) DVC records for it."""

    isdir: bool
    files: tuple[UrlFile, ...]
    dep: Mapping[str, Any] = field(default_factory=dict)


class UrlSource(Protocol):
    """A readable URL."""

    shown: str
    """The URL as messages and ``Importing '…'`` show it (absolute for a local path)."""

    def info(self) -> UrlInfo:
        """What is there now; :class:`UrlMissing` if nothing is."""

    def download(self, relpath: str, dest: Path) -> str:
        """Write the member ``relpath`` ("" for a file URL) to ``dest``; return its md5."""


def safe(url: str) -> str:
    """``url`` without ``user:password@``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def missing(shown: str) -> UrlMissing:
    """DVC's words for a URL with nothing there."""
    return UrlMissing(f"dependency '{safe(shown)}' does not exist")


def etag_dir_md5(files: list[tuple[str, str]]) -> str:
    """The ``.dir`` id DVC records for a directory whose files carry etags: md5 of the JSON
    list of ``{"etag", "relpath"}`` sorted by relpath (json.dumps defaults)."""
    rows = [{"etag": etag, "relpath": rel} for rel, etag in sorted(files)]
    return hashlib.md5(json.dumps(rows, sort_keys=True).encode()).hexdigest() + ".dir"


class LocalUrl:
    """A local file or directory (``..`` or absolute), hashed as DVC hashes it."""

    def __init__(self, path: Path, shown: str | None = None) -> None:
        self.path = path
        self.shown = shown or os.fspath(path)

    def info(self) -> UrlInfo:
        """A file's md5, or a directory's members hashed and its ``.dir`` id."""
        from dvcdoit.core.hashing import ManifestEntry, dir_hash

        if self.path.is_file():
            size = self.path.stat().st_size
            md5 = hash_file(self.path, MD5)
            return UrlInfo(False, (UrlFile("", size, md5),), {"md5": md5, "size": size})
        if not self.path.is_dir():
            raise missing(self.shown)
        files = []
        for top, dirs, names in os.walk(self.path):
            dirs[:] = [d for d in dirs if d not in (".git", ".dvc")]
            for name in names:
                full = Path(top) / name
                rel = full.relative_to(self.path).as_posix()
                files.append(UrlFile(rel, full.stat().st_size, hash_file(full, MD5)))
        files.sort(key=lambda f: f.relpath)
        oid, _ = dir_hash(ManifestEntry(f.relpath, f.md5 or "") for f in files)
        dep = {"md5": oid, "size": sum(f.size or 0 for f in files), "nfiles": len(files)}
        return UrlInfo(True, tuple(files), dep)

    def download(self, relpath: str, dest: Path) -> str:
        """Copy the member, hashing what was written."""
        import shutil

        src = self.path / relpath if relpath else self.path
        try:
            shutil.copyfile(src, dest)
        except FileNotFoundError:
            raise missing(self.shown) from None
        return hash_file(dest, MD5)


def open_url(url: str, cwd: Path, shown: str | None = None) -> UrlSource:
    """The source for ``url``: ``s3://``, ``http(s)://``, else a local path (from ``cwd``;
    ``shown`` is how messages name it, default its absolute path)."""
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme in ("http", "https"):
        from dvcdoit.storage.remotes.httpurl import HttpUrl

        return HttpUrl(url)
    if scheme == "s3":
        from dvcdoit.storage.remotes.s3url import S3Url

        return S3Url(url)
    if scheme:
        msg = (f"unsupported URL type {scheme}:// (dvcdoit reads local paths, s3:// and "
               "http(s):// URLs)")
        raise RemoteError(msg)
    path = Path(url) if os.path.isabs(url) else cwd / url
    return LocalUrl(Path(os.path.abspath(path)), shown)


__all__ = ["LocalUrl", "UrlFile", "UrlInfo", "UrlMissing", "UrlSource", "etag_dir_md5",
           "missing", "open_url", "safe"]
