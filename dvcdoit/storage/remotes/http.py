"""HTTP(S) remotes, as DVC's ``http``/``https`` remote: GET and HEAD to read, POST or PUT to push.

The most common remote of public DVC projects (a read-only ``https://`` URL in front of
a bucket), so it needs no extra: the standard library's :mod:`http.client`, one
keep-alive connection per worker thread. An HTTP server cannot be listed or told to
delete, so :meth:`HTTPRemote.walk` and :meth:`HTTPRemote.delete` refuse, as DVC does
(``gc -c`` and the run-cache need a remote that lists); existence is one ``HEAD`` per
object, spread over threads (DVC sends one ``GET``). Uploads send the file with a
``Content-Length`` (DVC sends it chunked) after hashing it, so a tampered cache object is
never pushed; downloads are hashed as they are written and cut-short bodies are retried.

Options (DVC's): ``auth`` (``basic`` or ``custom``), ``user``, ``password``,
``ask_password``, ``custom_auth_header``, ``ssl_verify`` (true, false or a CA bundle path),
``method`` (``POST`` or ``PUT``), ``connect_timeout``, ``read_timeout``. Credentials never
appear in messages.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import http.client
import random
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

from dvcdoit.core.errors import ConfigError, RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.formats.remoteoptions import parse_bool, parse_float
from dvcdoit.storage.remotes import RemoteObjectMissing
from dvcdoit.storage.remotes.gate import refusal

T = TypeVar("T")
ATTEMPTS = 5
_CHUNK = 1 << 20
_TIMEOUT = 60.0  # NOTE: DVC's REQUEST_TIMEOUT for both connect and read
_EXISTS_JOBS = 16
_TRANSIENT = (ConnectionError, TimeoutError, http.client.HTTPException, ssl.SSLError)


class _Transient(Exception):  # noqa: N818 - internal signal, never leaves this module
    """A failure worth another attempt (a 5xx answer, a body cut short)."""


def _auth_headers(name: str, opts: Mapping[str, str], url: str) -> dict[str, str]:
    """The headers of DVC's ``auth`` option (basic or custom), checked as DVC checks them."""
    method = opts.get("auth", "").strip().lower()
    if not method:
        return {}
    user = opts.get("user")
    password = opts.get("password")
    if password is None and parse_bool(opts.get("ask_password", "false"),
                                       f"remote '{name}': ask_password"):
        if not sys.stdin.isatty():
            msg = (f"remote '{name}': ask_password is set but there is no terminal to ask on; "
                   f"set the password with 'dvcdoit remote modify --local {name} password …'")
            raise ConfigError(msg)
        password = getpass.getpass(f"Enter a password for host '{url}' user '{user or 'custom'}':\n")
    if method == "basic":
        if user is None or password is None:
            msg = f"remote '{name}': HTTP 'basic' authentication require both 'user' and 'password'"
            raise ConfigError(msg)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if method == "custom":
        header = opts.get("custom_auth_header")
        if header is None or password is None:
            msg = (f"remote '{name}': HTTP 'custom' authentication require both "
                   "'custom_auth_header' and 'password'")
            raise ConfigError(msg)
        return {header: password}
    msg = (f"remote '{name}': auth = {method} is not supported by dvcdoit; "
           "use basic or custom")
    raise ConfigError(msg)


def _ssl_context(name: str, value: str | None) -> ssl.SSLContext:
    """``ssl_verify``: unset or true (system CAs), false (no check), or a CA bundle path."""
    if value is None or value.strip().lower() in ("true", "1", "yes", "on"):
        return ssl.create_default_context()
    if value.strip().lower() in ("false", "0", "no", "off"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    try:
        return ssl.create_default_context(cafile=value)
    except (OSError, ssl.SSLError) as exc:
        msg = f"remote '{name}': ssl_verify: cannot load the CA bundle {value!r}: {exc}"
        raise ConfigError(msg) from None


class HTTPRemote:
    """Objects at ``<url>/files/md5/ab/cdef…``; every method is safe to call from threads."""

    forkable = False

    def __init__(self, url: str, *, headers: Mapping[str, str] | None = None,
                 method: str = "POST", context: ssl.SSLContext | None = None,
                 connect_timeout: float = _TIMEOUT, read_timeout: float = _TIMEOUT,
                 jobs: int | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            msg = f"remote {url}: not an http(s) URL with a host"
            raise ConfigError(msg)
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.url = urlunsplit((parts.scheme, host, parts.path, "", ""))  # NOTE: no user:pass@
        self.jobs = jobs
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._base = parts.path.rstrip("/")
        self._headers = dict(headers or {})
        self._method = method.upper()
        self._context = context if self._https else None
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        self._local = threading.local()

    @classmethod
    def from_config(cls, cfg: RemoteConfig) -> HTTPRemote:
        """Build from a ``['remote "NAME"']`` section (DVC's http options)."""
        opts = cfg.options
        parts = urlsplit(cfg.url)
        headers = _auth_headers(cfg.name, opts, cfg.url)
        if not headers and parts.username is not None:  # NOTE: user:pass@ in the URL
            token = base64.b64encode(f"{parts.username}:{parts.password or ''}".encode())
            headers = {"Authorization": f"Basic {token.decode()}"}
        method = opts.get("method", "POST").strip().upper()
        if method not in ("POST", "PUT"):
            msg = f"remote '{cfg.name}': method = {method}: use POST or PUT"
            raise ConfigError(msg)

        def seconds(key: str) -> float:
            raw = opts.get(key)
            return _TIMEOUT if raw is None else parse_float(raw, f"remote '{cfg.name}': {key}")

        return cls(cfg.url, headers=headers, method=method,
                   context=_ssl_context(cfg.name, opts.get("ssl_verify")),
                   connect_timeout=seconds("connect_timeout"),
                   read_timeout=seconds("read_timeout"), jobs=cfg.jobs)

    # ------------------------------------------------------------------ connections

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._https:
                conn = http.client.HTTPSConnection(self._host or "", self._port,
                                                   timeout=self._connect_timeout,
                                                   context=self._context)
            else:
                conn = http.client.HTTPConnection(self._host or "", self._port,
                                                  timeout=self._connect_timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _path(self, relpath: str) -> str:
        return quote(f"{self._base}/{relpath}")

    def _request(self, method: str, relpath: str, body: bytes | None = None
                 ) -> http.client.HTTPResponse:
        """One request on this thread's connection; the caller reads and closes the answer."""
        conn = self._connection()
        headers = dict(self._headers)
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn.request(method, self._path(relpath), body=body, headers=headers)
        if conn.sock is not None:
            conn.sock.settimeout(self._read_timeout)
        return conn.getresponse()

    def _retry(self, fn: Callable[[], T], action: str, relpath: str) -> T:
        """``fn`` with jittered exponential back-off on dropped connections and 5xx answers."""
        for attempt in range(ATTEMPTS):
            try:
                return fn()
            except ssl.SSLCertVerificationError as exc:
                self._drop()
                raise self._failure(action, relpath, exc) from None
            except (_Transient, *_TRANSIENT) as exc:
                self._drop()
                if attempt == ATTEMPTS - 1:
                    raise self._failure(action, relpath, exc) from None
                time.sleep(min(2.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))
            except OSError as exc:  # NOTE: an unknown host, a refused TLS handshake: no retry
                self._drop()
                raise self._failure(action, relpath, exc) from None
        msg = "unreachable"
        raise AssertionError(msg)  # pragma: no cover

    def _failure(self, action: str, relpath: str, exc: BaseException) -> RemoteError:
        if isinstance(exc, ssl.SSLCertVerificationError):
            why = f"the server's certificate is not trusted ({exc.verify_message}); set ssl_verify"
        elif isinstance(exc, _Transient):
            why = str(exc)
        elif isinstance(exc, OSError) and exc.strerror:
            why = exc.strerror
        else:
            why = str(exc) or type(exc).__name__
        return RemoteError(f"remote {self.url}: cannot {action} {relpath}: {why}")

    def _status(self, resp: http.client.HTTPResponse, action: str, relpath: str) -> None:
        """Raise for an error answer: 404 is missing, 5xx is worth a retry, others fail now."""
        if resp.status < 300:
            return
        resp.read()
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
            resp.read()
            if resp.status == 404:
                return False
            self._status(resp, "check", relpath)
            return True

        return self._retry(head, "check", relpath)

    def exists_many(self, relpaths: Iterable[str]) -> set[str]:
        """One ``HEAD`` per object, on threads: an HTTP server has no listing."""
        rels = list(dict.fromkeys(relpaths))
        if len(rels) <= 1:
            return {r for r in rels if self._exists(r)}
        with ThreadPoolExecutor(min(len(rels), self.jobs or _EXISTS_JOBS)) as pool:
            return {r for r, there in zip(rels, pool.map(self._exists, rels), strict=True) if there}

    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        """Send the file's bytes (hashed first, when ``md5`` is given) with POST or PUT."""
        try:
            data = local_path.read_bytes()
        except OSError as exc:
            msg = f"remote {self.url}: cannot upload {relpath}: {exc.strerror or exc}"
            raise RemoteError(msg) from None
        if md5 is not None and (actual := hashlib.md5(data).hexdigest()) != md5:
            raise refusal(self.url, relpath, actual, md5)

        def send() -> None:
            resp = self._request(self._method, relpath, data)
            self._status(resp, "upload", relpath)
            resp.read()

        self._retry(send, "upload", relpath)

    def download(self, relpath: str, dest: Path) -> str | None:
        """GET the object into ``dest``, hashed as it is written; returns that md5."""

        def get() -> str:
            resp = self._request("GET", relpath)
            self._status(resp, "download", relpath)
            expected = resp.getheader("Content-Length")
            digest = hashlib.md5()
            got = 0
            with open(dest, "wb") as f:
                while chunk := resp.read(_CHUNK):
                    f.write(chunk)
                    digest.update(chunk)
                    got += len(chunk)
            if expected is not None and got != int(expected):
                msg = f"the body was cut short ({got} of {expected} bytes)"
                raise _Transient(msg)
            return digest.hexdigest()

        return self._retry(get, "download", relpath)

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
