"""HTTP(S) remotes, as DVC's ``http``/``https`` remote: GET and HEAD to read, POST or PUT to push.

The most common remote of public DVC projects (a read-only ``https://`` URL in front of
a bucket). It uses urllib3, which botocore already brings: one connection pool shared by
the transfer threads. An HTTP server cannot be listed or told to delete, so
:meth:`HTTPRemote.walk` and :meth:`HTTPRemote.delete` refuse, as DVC cannot do them either
(``gc -c`` and the run-cache need a remote that lists). Existence is one ``HEAD`` per
object over the pool (DVC sends one ``GET``). Uploads send the file with a
``Content-Length`` (DVC sends it chunked) after hashing it, so a tampered cache object is
never pushed; downloads are hashed as they are written; 5xx answers, resets and bodies cut
short are retried with back-off. A redirect is followed on the same host only.

Options (DVC's): ``auth`` (``basic``, ``digest``, ``custom``: :mod:`.httpauth`), ``user``,
``password``, ``ask_password``, ``custom_auth_header``, ``ssl_verify`` (true, false or a CA
bundle path), ``method`` (``POST`` or ``PUT``), ``connect_timeout``, ``read_timeout``.
Credentials never appear in messages.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO, TypeVar
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import urllib3
import urllib3.exceptions

from dvcdoit.core.errors import ConfigError, RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.formats.remoteoptions import parse_float
from dvcdoit.storage.remotes import RemoteObjectMissing
from dvcdoit.storage.remotes.gate import content_md5, refusal
from dvcdoit.storage.remotes.httpauth import HTTPAuth

T = TypeVar("T")
ATTEMPTS = 5
REDIRECTS = 5
_CHUNK = 1 << 20
_TIMEOUT = 60.0  # NOTE: DVC's REQUEST_TIMEOUT for both connect and read
_POOL = 16
_TRANSIENT = (urllib3.exceptions.ProtocolError, urllib3.exceptions.TimeoutError,
              urllib3.exceptions.NewConnectionError, ConnectionError, TimeoutError)
IN_MEMORY = 64 << 20  # NOTE: uploads up to this are read once into memory (see upload)
Body = bytes | BinaryIO | None
Answer = Any  # NOTE: urllib3's HTTPResponse (its module moved between urllib3 1.x and 2.x)


class _Transient(Exception):  # noqa: N818 - internal signal, never leaves this module
    """A failure worth another attempt (a 5xx answer, a body cut short)."""


def _verify(name: str, value: str | None) -> dict[str, Any]:
    """``ssl_verify``: unset or true (system CAs), false (no check), or a CA bundle path."""
    low = (value or "true").strip().lower()
    if low in ("true", "1", "yes", "on"):
        return {"cert_reqs": "CERT_REQUIRED"}
    if low in ("false", "0", "no", "off"):
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return {"cert_reqs": "CERT_NONE"}
    if not os.path.isfile(value or ""):
        msg = f"remote '{name}': ssl_verify: the CA bundle {value!r} does not exist"
        raise ConfigError(msg)
    return {"cert_reqs": "CERT_REQUIRED", "ca_certs": value}


class HTTPRemote:
    """Objects at ``<url>/files/md5/ab/cdef…``; every method is safe to call from threads."""

    forkable = False

    def __init__(self, url: str, *, auth: HTTPAuth | None = None, method: str = "POST",
                 tls: dict[str, Any] | None = None, connect_timeout: float = _TIMEOUT,
                 read_timeout: float = _TIMEOUT, jobs: int | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"remote {url}: not an http(s) URL with a host"
            raise ConfigError(msg)
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.url = urlunsplit((parts.scheme, netloc, parts.path, "", ""))  # NOTE: no user:pass@
        self.jobs = jobs
        self._origin = f"{parts.scheme}://{netloc}"
        self._base = parts.path.rstrip("/")
        self._auth = auth or HTTPAuth()
        self._method = method.upper()
        self._pool = urllib3.PoolManager(
            num_pools=4, maxsize=max(jobs or 0, _POOL), block=False, retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            **(tls or {}))

    @classmethod
    def from_config(cls, cfg: RemoteConfig) -> HTTPRemote:
        """Build from a ``['remote "NAME"']`` section (DVC's http options)."""
        opts = cfg.options
        parts = urlsplit(cfg.url)
        auth = HTTPAuth.from_options(cfg.name, opts, cfg.url, parts.username, parts.password)
        method = opts.get("method", "POST").strip().upper()
        if method not in ("POST", "PUT"):
            msg = f"remote '{cfg.name}': method = {method}: use POST or PUT"
            raise ConfigError(msg)

        def seconds(key: str) -> float:
            raw = opts.get(key)
            return _TIMEOUT if raw is None else parse_float(raw, f"remote '{cfg.name}': {key}")

        return cls(cfg.url, auth=auth, method=method, tls=_verify(cfg.name, opts.get("ssl_verify")),
                   connect_timeout=seconds("connect_timeout"),
                   read_timeout=seconds("read_timeout"), jobs=cfg.jobs)

    # ------------------------------------------------------------------ requests

    def _request(self, method: str, relpath: str, body: Body = None) -> Answer:
        """One request (auth, a digest challenge answered, same-host redirects followed);
        the caller reads the answer and releases it."""
        url = f"{self._origin}{quote(f'{self._base}/{relpath}')}"
        for _ in range(REDIRECTS):
            path = urlsplit(url).path
            resp = self._send(method, url, path, body)
            if resp.status == 401 and self._auth.challenge(resp.headers.get("WWW-Authenticate")):
                resp.drain_conn()
                resp = self._send(method, url, path, body)
            if resp.status not in (301, 302, 303, 307, 308) or method not in ("GET", "HEAD"):
                return resp
            target = urljoin(url, resp.headers.get("Location", ""))
            resp.drain_conn()
            there = urlsplit(target)
            if f"{there.scheme}://{there.netloc}" != self._origin:
                msg = (f"remote {self.url}: refusing a redirect of {relpath} to another host "
                       f"({there.scheme}://{there.hostname})")
                raise RemoteError(msg)
            url = target
        msg = f"remote {self.url}: cannot {method} {relpath}: more than {REDIRECTS} redirects"
        raise RemoteError(msg)

    def _send(self, method: str, url: str, path: str, body: Body) -> Answer:
        headers = self._auth.headers(method, path)
        if isinstance(body, bytes):
            headers["Content-Length"] = str(len(body))
        elif body is not None:  # NOTE: an open file, sent again from its start each time
            body.seek(0)
            headers["Content-Length"] = str(os.fstat(body.fileno()).st_size)
        return self._pool.request(method, url, body=body, headers=headers, redirect=False,
                                  preload_content=False)

    def _retry(self, fn: Callable[[], T], action: str, relpath: str) -> T:
        """``fn`` with jittered exponential back-off on resets, timeouts and 5xx answers."""
        for attempt in range(ATTEMPTS):
            try:
                return fn()
            except (urllib3.exceptions.SSLError, urllib3.exceptions.NameResolutionError) as exc:
                raise self._failure(action, relpath, exc) from None
            except urllib3.exceptions.MaxRetryError as exc:  # NOTE: retries=False wraps these
                raise self._failure(action, relpath, exc.reason or exc) from None
            except (_Transient, *_TRANSIENT) as exc:
                if attempt == ATTEMPTS - 1:
                    raise self._failure(action, relpath, exc) from None
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
        msg = "unreachable"
        raise AssertionError(msg)  # pragma: no cover

    def _failure(self, action: str, relpath: str, exc: BaseException) -> RemoteError:
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            why = "the server's certificate is not trusted; set ssl_verify"
        elif isinstance(exc, urllib3.exceptions.NameResolutionError):
            why = f"unknown host {exc.conn.host}"
        elif isinstance(exc, urllib3.exceptions.NewConnectionError):
            why = "connection refused" if "refused" in text.lower() else "cannot connect"
        elif isinstance(exc, _Transient):
            why = text
        else:
            why = text.rpartition(": ")[2] or type(exc).__name__
        return RemoteError(f"remote {self.url}: cannot {action} {relpath}: {why}")

    def _status(self, resp: Answer, action: str, relpath: str) -> None:
        """Raise for an error answer: 404 is missing, 5xx is worth a retry, others fail now."""
        if resp.status < 300:
            return
        resp.drain_conn()
        if resp.status >= 500:
            msg = f"the server answered {resp.status} {resp.reason}"
            raise _Transient(msg)
        if resp.status == 404:
            msg = f"remote {self.url}: {relpath} does not exist"
            raise RemoteObjectMissing(msg)
        hint = "; check user and password" if resp.status in (401, 403) else ""
        msg = f"remote {self.url}: cannot {action} {relpath}: {resp.status} {resp.reason}{hint}"
        raise RemoteError(msg)

    # ------------------------------------------------------------------ the protocol

    def _exists(self, relpath: str) -> bool:
        def head() -> bool:
            resp = self._request("HEAD", relpath)
            resp.drain_conn()
            if resp.status == 404:
                return False
            self._status(resp, "check", relpath)
            return True

        return self._retry(head, "check", relpath)

    def head(self, relpath: str) -> Mapping[str, str]:
        """The headers of a ``HEAD`` answer for ``relpath`` (case-insensitive keys);
        :class:`RemoteObjectMissing` on 404 (``import-url`` reads a URL's size and etag)."""

        def head() -> Mapping[str, str]:
            resp = self._request("HEAD", relpath)
            resp.drain_conn()
            self._status(resp, "check", relpath)
            return resp.headers  # type: ignore[no-any-return]

        return self._retry(head, "check", relpath)

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """One ``HEAD`` per object over the pool: an HTTP server has no listing."""
        rels = list(dict.fromkeys(relpaths))
        if len(rels) <= 1:
            return {r for r in rels if self._exists(r)}
        with ThreadPoolExecutor(min(len(rels), self.jobs or _POOL)) as pool:
            found = pool.map(self._exists, rels)
            return {r for r, there in zip(rels, found, strict=True) if there}

    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """Send the file's bytes (hashed first, when ``md5`` is given) with POST or PUT.

        A file up to :data:`IN_MEMORY` is read once and those very bytes are hashed and sent;
        a larger one is hashed, then streamed from disk (an HTTP server checks no md5, so a
        cache object changed between the two reads would go unnoticed: cache objects are
        read-only, and ``cache verify`` finds one changed in place).
        """
        try:
            with open(local_path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size <= IN_MEMORY:
                    data = f.read()
                    if md5 is not None and (actual := hashlib.md5(data).hexdigest()) != md5:
                        raise refusal(self.url, relpath, actual, md5)
                    self._retry(lambda: self._put(relpath, data), "upload", relpath)
                    return
                if md5 is not None:
                    content_md5(f, md5, lambda got: refusal(self.url, relpath, got, md5))
                self._retry(lambda: self._put(relpath, f), "upload", relpath)
        except OSError as exc:
            msg = f"remote {self.url}: cannot upload {relpath}: {exc.strerror or exc}"
            raise RemoteError(msg) from None

    def _put(self, relpath: str, body: Body) -> None:
        resp = self._request(self._method, relpath, body)
        self._status(resp, "upload", relpath)
        resp.drain_conn()

    def download(self, relpath: str, dest: Path) -> str | None:
        """GET the object into ``dest``, hashed as it is written; returns that md5."""

        def get() -> str:
            resp = self._request("GET", relpath)
            self._status(resp, "download", relpath)
            expected = resp.headers.get("Content-Length")
            digest = hashlib.md5()
            got = 0
            try:
                with open(dest, "wb") as f:
                    for chunk in resp.stream(_CHUNK, decode_content=False):
                        f.write(chunk)
                        digest.update(chunk)
                        got += len(chunk)
            finally:
                resp.release_conn()
            if expected is not None and got != int(expected):
                msg = f"the body was cut short ({got} of {expected} bytes)"
                raise _Transient(msg)
            return digest.hexdigest()

        try:
            return self._retry(get, "download", relpath)
        except OSError as exc:
            msg = f"remote {self.url}: cannot download {relpath}: {exc.strerror or exc}"
            raise RemoteError(msg) from None

    def walk(self, prefix: str) -> list[str]:
        """Refused: an HTTP server cannot be listed (DVC's http remote cannot either)."""
        msg = (f"remote {self.url}: an HTTP remote cannot be listed, so it cannot hold a "
               "run-cache or be garbage-collected; use an s3, ssh, webdav, gs or azure remote")
        raise RemoteError(msg)

    def delete(self, relpaths: Sequence[str]) -> None:
        """Refused: DVC never deletes through an HTTP remote."""
        msg = f"remote {self.url}: an HTTP remote cannot delete objects"
        raise RemoteError(msg)


__all__ = ["HTTPRemote"]
