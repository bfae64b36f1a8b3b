"""An ``http(s)://`` URL for ``import-url``/``get-url``, read through :class:`HTTPRemote`.

DVC 3.67.1 (fsspec's HTTP filesystem) records ``checksum``: the ``ETag`` header, else
``Content-MD5``, else ``int(md5(str((info,))), 16)`` of fsspec's info dict of the ``HEAD``
answer (name, size, mimetype, partial, url, ETag/Content-MD5/Digest/Last-Modified, type, in
that order), which is what a server without ETags (Python's ``http.server``) gets. A URL is
always a file: an HTML index page is imported as the file it is, as DVC does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from dvcdoit.core.errors import RemoteError
from dvcdoit.storage.remotes import RemoteObjectMissing
from dvcdoit.storage.remotes.http import HTTPRemote
from dvcdoit.storage.remotes.httpauth import HTTPAuth
from dvcdoit.storage.remotes.urls import UrlFile, UrlInfo, missing, safe


def checksum(url: str, headers: Mapping[str, str]) -> tuple[str, int | None]:
    """DVC's ``checksum`` of a URL and its size, from the headers of a ``HEAD`` answer."""
    info: dict[str, Any] = {"name": url, "size": None}
    encoding = headers.get("Content-Encoding")
    if "Content-Length" in headers and encoding in (None, "identity", ""):
        info["size"] = int(headers["Content-Length"])
    if "Content-Type" in headers:
        info["mimetype"] = headers["Content-Type"].partition(";")[0]
    if headers.get("Accept-Ranges") == "none":
        info["partial"] = False
    info["url"] = url
    for key in ("ETag", "Content-MD5", "Digest", "Last-Modified"):
        if headers.get(key):
            info[key] = headers[key]
    info["type"] = "file"
    given = headers.get("ETag") or headers.get("Content-MD5")
    token = str(int(hashlib.md5(str((info,)).encode()).hexdigest(), 16))
    return given or token, info["size"]


class HttpUrl:
    """One file at an http(s) URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shown = safe(url)
        parts = urlsplit(url)
        parent, _, self._name = parts.path.rpartition("/")
        auth = HTTPAuth.from_options(self.shown, {}, self.shown, parts.username, parts.password)
        self._remote = HTTPRemote(urlunsplit((parts.scheme, parts.netloc, parent + "/", "", "")),
                                  auth=auth)  # NOTE: user:password@ in the URL is basic auth

    def _failed(self, exc: RemoteError) -> RemoteError:
        """The remote's one line, naming this URL (never its credentials) instead."""
        return RemoteError(f"cannot read '{self.shown}': {str(exc).rpartition(': ')[2]}")

    def info(self) -> UrlInfo:
        """``HEAD`` the URL: its checksum and size."""
        try:
            headers = self._remote.head(self._name)
        except RemoteObjectMissing:
            raise missing(self.shown) from None
        except RemoteError as exc:
            raise self._failed(exc) from None
        value, size = checksum(self.shown, headers)
        dep: dict[str, Any] = {"checksum": value}
        if size is not None:
            dep["size"] = size
        return UrlInfo(False, (UrlFile("", size),), dep)

    def download(self, relpath: str, dest: Path) -> str:
        """``GET`` the URL into ``dest``."""
        try:
            md5 = self._remote.download(self._name, dest)
        except RemoteObjectMissing:
            raise missing(self.shown) from None
        except RemoteError as exc:
            raise self._failed(exc) from None
        assert md5 is not None
        return md5


__all__ = ["HttpUrl", "checksum"]
