"""WebDAV remotes (``webdav://``, ``webdavs://``) through webdav4 — with :mod:`.webdavclient`,
the only modules that import webdav4 and httpx.

One webdav4 client (one httpx connection pool, sized to the transfer's threads) is shared by
all threads. Requests per object are kept low: existence is checked with one ``PROPFIND
Depth: 1`` per ``files/md5/xx/`` collection (after one of ``files/md5/`` itself, so a new or
small remote answers in one request), never one request per object of a large set; the
collections known to exist are remembered, so an upload costs a ``MKCOL`` only the first time
its collection is needed. An upload is a ``PUT`` of a temp name (``.dvcdoit-<pid>-<tag>.tmp``)
hashed as the body streams, then a ``MOVE`` onto the object's name only if the bytes sent
hash to the expected md5: an interrupted or tampered upload never appears under a valid name.
A download is one ``GET``, hashed as it lands. 5xx, 423, 429 and broken connections are
retried with jittered exponential back-off. A listing deletes the temp names in its collection
that are more than a day old (a killed push's: their pid may be of another host).

NOTE: webdav4's ``Client.download_file``/``open`` send a ``PROPFIND`` before every ``GET`` and
its retries do not cover dropped connections, so bodies move through the client's own httpx
client (``Client.http``); webdav4 still joins the URLs and parses every multistatus answer.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import posixpath
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from xml.etree.ElementTree import ParseError

import httpx
from webdav4.client import Client  # type: ignore[import-untyped]  # NOTE: no py.typed
from webdav4.multistatus import MultiStatusResponse  # type: ignore[import-untyped]

from dvcdoit.core import tempname
from dvcdoit.core.errors import RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.remotes import RemoteObjectMissing, check_deletable
from dvcdoit.storage.remotes.gate import refusal
from dvcdoit.storage.remotes.webdavclient import client_for
from dvcdoit.storage.remotes.webdavfail import Again, describe

ATTEMPTS = 5
HEAD_MAX = 2  # NOTE: this many objects or fewer in all: a HEAD each, no listing
LIST_MIN = 2  # NOTE: a collection with this many objects to check is listed (1 request, not 2)
_CHUNK = 1 << 20
_TRANSIENT = frozenset({423, 429, 500, 502, 503, 504, 509})
STALE_TEMP = 24 * 3600.0  # NOTE: seconds; a temp name older than this is a killed push's
_PROPFIND = ('<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:">'
             '<prop><resourcetype/><getlastmodified/></prop></propfind>')
T = TypeVar("T")


class WebDAVRemote:
    """Objects below a WebDAV collection; thread-safe (one client shared by all threads)."""

    forkable = False

    def __init__(self, client: Client, url: str, *, jobs: int | None = None,
                 pool: int = 16) -> None:
        self.client = client
        self.http: httpx.Client = client.http
        self.url = url
        self.jobs = jobs
        self.pool = pool
        self._known: set[str] = set()  # NOTE: collections (relpaths, "" = the root) that exist
        self._lock = threading.Lock()
        self._making: dict[str, threading.Lock] = {}
        self._tag = os.urandom(4).hex()
        self._seq = itertools.count()  # NOTE: next() on a count is atomic in CPython

    def __repr__(self) -> str:
        return f"WebDAVRemote({self.url!r})"

    @classmethod
    def from_config(cls, cfg: RemoteConfig) -> WebDAVRemote:
        """Build the client from ``cfg`` (:func:`~.webdavclient.client_for`)."""
        pool = max(16, (cfg.jobs or 4 * (os.cpu_count() or 1)) + 4)
        client, ep = client_for(cfg, pool)
        return cls(client, ep.url, jobs=cfg.jobs, pool=pool)

    # -- requests ----------------------------------------------------------------------------
    def _fail(self, action: str, relpath: str, exc: Exception | httpx.Response) -> RemoteError:
        where = f" {relpath}" if relpath else ""
        return RemoteError(f"remote {self.url}: {action}{where} failed: {describe(exc, self.url)}")

    def _retry(self, action: str, relpath: str, attempt: Callable[[int], T]) -> T:
        """Run ``attempt(k)`` until it returns; transient faults are retried with back-off."""
        for k in range(ATTEMPTS):
            try:
                return attempt(k)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
                raise self._fail(action, relpath, exc) from None  # NOTE: nobody there: say so now
            except (httpx.TransportError, Again) as exc:
                if k == ATTEMPTS - 1:
                    raise self._fail(action, relpath, exc) from None
                time.sleep(min(5.0, 0.2 * 2**k) * random.uniform(0.5, 1.0))
        msg = "unreachable"
        raise AssertionError(msg)  # pragma: no cover

    def _send(self, method: str, relpath: str, action: str, *, slash: bool = False,
              headers: dict[str, str] | None = None, body: str | None = None) -> httpx.Response:
        """One request (retried); transient statuses never come back, any other one does."""
        url = self.client.join_url(relpath, add_trailing_slash=slash)

        def attempt(_: int) -> httpx.Response:
            resp = self.http.request(method, url, headers=headers, content=body)
            if resp.status_code in _TRANSIENT:
                raise Again(resp)
            return resp

        return self._retry(action, relpath, attempt)

    def _check(self, resp: httpx.Response, action: str, relpath: str) -> None:
        if resp.status_code >= 300:
            raise self._fail(action, relpath, resp)

    # -- listing -----------------------------------------------------------------------------
    def _list(self, col: str, action: str = "list") -> dict[str, bool] | None:
        """``{name: is_collection}`` of collection ``col``'s members; None if it is not there."""
        resp = self._send("PROPFIND", col, action, slash=True, body=_PROPFIND,
                          headers={"Depth": "1", "Content-Type": "application/xml"})
        if resp.status_code == 404:
            return None
        if resp.status_code != 207:
            raise self._fail(action, col, resp)
        try:
            listing = MultiStatusResponse(resp.text)
        except ParseError:
            msg = f"remote {self.url}: {action} {col or '/'} failed: the answer is not valid XML"
            raise RemoteError(msg) from None
        own = self.client.join_url(col).path.rstrip("/")
        members = {posixpath.basename(r.path_norm): r.properties
                   for r in listing.responses.values() if r.path_norm.rstrip("/") != own}
        out = {name: bool(props.collection) for name, props in members.items()}
        self._remember([col, *(posixpath.join(col, n) for n, sub in out.items() if sub)])
        old = time.time() - STALE_TEMP
        for name, props in members.items():
            if tempname.is_ours(name) and props.modified and props.modified.timestamp() < old:
                self._discard(posixpath.join(col, name))  # NOTE: listed anyway: sweep it
                del out[name]
        return out

    def _remember(self, cols: Iterable[str]) -> None:
        with self._lock:
            self._known.update(cols)

    def _head(self, relpath: str) -> bool:
        resp = self._send("HEAD", relpath, "check")
        if resp.status_code == 404:
            return False
        self._check(resp, "check", relpath)
        return True

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """Present relpaths, with one ``PROPFIND Depth: 1`` per collection of many of them.

        Up to ``HEAD_MAX`` objects in all: one HEAD each. Otherwise, with objects in more
        than one collection, their common parent is listed first: collections absent from it
        (all of them, on an empty remote) need no request. Each present collection is then
        listed (or its one or two objects HEADed) in parallel.
        """
        rels = set(relpaths)
        if len(rels) <= HEAD_MAX:
            return {r for r in rels if self._head(r)}
        by_col: dict[str, list[str]] = {}
        for rel in rels:
            by_col.setdefault(posixpath.dirname(rel), []).append(rel)
        if len(by_col) > 1:
            root = posixpath.commonpath(list(by_col)) if all(by_col) else ""
            there = self._list(root, "check")
            if there is None:
                return set()
            by_col = {c: rs for c, rs in by_col.items()
                      if c == root or there.get(c[len(root):].lstrip("/").split("/")[0])}

        def check(item: tuple[str, list[str]]) -> set[str]:
            col, some = item
            if len(some) < LIST_MIN:
                return {r for r in some if self._head(r)}
            names = self._list(col, "check") or {}
            return {r for r in some if names.get(posixpath.basename(r)) is False}

        with ThreadPoolExecutor(max(1, min(len(by_col), self.pool))) as pool:
            return set().union(*pool.map(check, by_col.items()))

    def walk(self, prefix: str) -> list[str]:
        """Every object below ``prefix`` (e.g. ``runs/``), sorted; temp names are skipped."""
        out: list[str] = []
        level = [prefix.strip("/")]
        with ThreadPoolExecutor(self.pool) as pool:
            while level:
                below: list[str] = []
                for col, names in zip(level, pool.map(self._list, level), strict=True):
                    for name, sub in (names or {}).items():
                        rel = posixpath.join(col, name)
                        if sub:
                            below.append(rel)
                        elif not (name.startswith(".") and name.endswith(".tmp")):
                            out.append(rel)
                level = below
        return sorted(out)

    # -- collections -------------------------------------------------------------------------
    def _ensure(self, col: str, relpath: str) -> None:
        """Make collection ``col`` (and its parents) unless known to exist; one MKCOL each."""
        with self._lock:
            if col in self._known:
                return
            lock = self._making.setdefault(col, threading.Lock())
        with lock:
            if col in self._known:
                return
            if col:  # NOTE: parents first, top-down: one MKCOL per collection, none refused
                self._ensure(posixpath.dirname(col), relpath)
            resp = self._send("MKCOL", col, "upload", slash=True)
            if resp.status_code == 409 and not col:  # NOTE: the remote's own parents are missing
                self._make_base(relpath)
                resp = self._send("MKCOL", col, "upload", slash=True)
            if resp.status_code not in (201, 405):  # NOTE: 405 is "it exists already"
                err = self._fail("upload", relpath, resp)
                raise err
            self._remember([col])

    def _make_base(self, relpath: str) -> None:
        """MKCOL the remote's own path from the top (the path of a remote not yet used)."""
        base = self.client.base_url
        parts = [p for p in base.path.split("/") if p]
        for k in range(1, len(parts)):
            url = base.copy_with(path="/" + "/".join(parts[:k]) + "/")
            resp = self._retry("upload", relpath, functools.partial(self._once, "MKCOL", url))
            if resp.status_code not in (201, 405):
                err = self._fail("upload", relpath, resp)
                raise err

    def _once(self, method: str, url: httpx.URL, _attempt: int) -> httpx.Response:
        resp = self.http.request(method, url)
        if resp.status_code in _TRANSIENT:
            raise Again(resp)
        return resp

    def _forget(self, col: str) -> None:
        with self._lock:
            self._known.discard(col)

    # -- data --------------------------------------------------------------------------------
    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """PUT a temp name, hashed as it streams; then MOVE it onto ``relpath`` (or refuse).

        With ``md5``, bytes that do not hash to it are deleted under their temp name and
        :func:`~.gate.refusal` is raised: nothing appears at ``relpath``.
        """
        col = posixpath.dirname(relpath)
        tmp = posixpath.join(col, tempname.name(f"{self._tag}{next(self._seq):x}"))
        size = os.path.getsize(local_path)
        self._ensure(col, relpath)
        try:
            digest = self._retry("upload", relpath, lambda k: self._put(local_path, size, tmp, relpath, k))
            if md5 is not None and digest != md5:
                raise refusal(self.url, relpath, digest, md5)
            self._move(tmp, relpath)
        except BaseException:
            self._discard(tmp)
            raise

    def _put(self, local_path: Path, size: int, tmp: str, relpath: str, attempt: int) -> str:
        h = hashlib.md5()

        def body() -> Iterator[bytes]:
            with open(local_path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
                    yield chunk

        url = self.client.join_url(tmp)
        resp = self.http.request("PUT", url, content=body(), headers={"Content-Length": str(size)})
        if resp.status_code == 409 and attempt == 0:  # NOTE: its collection went away meanwhile
            self._forget(posixpath.dirname(tmp))
            self._ensure(posixpath.dirname(tmp), relpath)
            raise Again(resp)
        if resp.status_code in _TRANSIENT:
            raise Again(resp)
        self._check(resp, "upload", relpath)
        return h.hexdigest()

    def _move(self, tmp: str, relpath: str) -> None:
        dest = str(self.client.join_url(relpath))

        def attempt(k: int) -> None:
            resp = self.http.request("MOVE", self.client.join_url(tmp),
                                     headers={"Destination": dest, "Overwrite": "T"})
            if resp.status_code in _TRANSIENT:
                raise Again(resp)
            if resp.status_code == 404 and k > 0 and self._head(relpath):
                return  # NOTE: the earlier attempt moved it; only its answer was lost
            self._check(resp, "upload", relpath)

        self._retry("upload", relpath, attempt)

    def _discard(self, tmp: str) -> None:
        with contextlib.suppress(httpx.HTTPError):  # NOTE: a left temp is never an object
            self.http.request("DELETE", self.client.join_url(tmp))

    def download(self, relpath: str, dest: Path) -> str | None:
        """One GET streamed to ``dest``, hashed on the way; the md5 of what was written."""
        url = self.client.join_url(relpath)

        def attempt(_: int) -> str:
            with self.http.stream("GET", url) as resp:
                if resp.status_code == 404:
                    msg = f"remote {self.url}: {relpath} does not exist"
                    raise RemoteObjectMissing(msg)
                if resp.status_code in _TRANSIENT:
                    raise Again(resp)
                self._check(resp, "download", relpath)
                h, got = hashlib.md5(), 0
                with open(dest, "wb") as f:
                    for chunk in resp.iter_bytes(_CHUNK):
                        f.write(chunk)
                        h.update(chunk)
                        got += len(chunk)
                want = resp.headers.get("Content-Length")
                if want is not None and want.isdigit() and int(want) != got:
                    raise Again(resp, f"{got} of {want} bytes")
                return h.hexdigest()

        return self._retry("download", relpath, attempt)

    def delete(self, relpaths: Sequence[str]) -> None:
        """DELETE each object (object relpaths only, validated first); one gone is fine."""
        check_deletable(self.url, relpaths)
        for rel in relpaths:
            resp = self._send("DELETE", rel, "delete")
            if resp.status_code != 404:
                self._check(resp, "delete", rel)
