"""The webdav4 client of a WebDAV remote, built from its DVC config (URL, auth, TLS, timeout).

Built as dvc-webdav 3.67.1 builds it: ``webdav://host:port/path`` becomes
``http://host:port/path`` (``webdavs://`` becomes https), the path without its trailing
slash. Credentials, in DVC's order: ``token`` (``Authorization: Bearer``), else ``user`` (from
the option or the URL) with ``password`` (basic auth; asked for when ``ask_password`` is set),
else ``custom_auth_header`` (that header, carrying ``password``); a
``bearer_token_command`` replaces the basic auth with a token the command prints. ``timeout``
(default 30 s) applies to every phase of a request. ``ssl_verify`` is true, false, or the path
of a CA bundle.
"""

from __future__ import annotations

import getpass
import shlex
import ssl
import subprocess
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from webdav4.client import Client  # type: ignore[import-untyped]  # NOTE: no py.typed

from dvcdoit.core.errors import ConfigError, RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.formats.remoteoptions import parse_bool, parse_int

DEFAULT_TIMEOUT = 30  # NOTE: dvc-webdav's default, seconds


@dataclass(frozen=True)
class Endpoint:
    """Where a remote lives: ``base`` (http(s)://host:port/path) and ``url`` (for messages).

    Neither holds credentials: a user in the URL is taken out of both (see ``user``).
    """

    base: str
    url: str
    user: str | None


def endpoint(cfg: RemoteConfig) -> Endpoint:
    """Map ``webdav(s)://[user@]host[:port]/path`` to its http(s) base, as dvc-webdav does."""
    parts = urlsplit(cfg.url)
    netloc = parts.netloc.rpartition("@")[2]
    if not parts.hostname:
        msg = f"remote '{cfg.name}': url {cfg.url!r} has no host; expected {parts.scheme}://host/path"
        raise ConfigError(msg)
    path = parts.path.rstrip("/")
    scheme = parts.scheme.replace("webdav", "http")
    return Endpoint(urlunsplit((scheme, netloc, path, "", "")),
                    urlunsplit((parts.scheme, netloc, path, "", "")), parts.username)


class CommandBearerAuth(httpx.Auth):
    """``Authorization: Bearer`` with the token a command prints (``bearer_token_command``).

    The command runs at the first request and again once when the server answers 401 (the
    token expired); the token is shared by all threads.
    """

    def __init__(self, command: str, timeout: float, where: str) -> None:
        self._argv = shlex.split(command)
        self._timeout = timeout
        self._where = where
        self._lock = threading.Lock()
        self._token = ""

    def _fetch(self, stale: str) -> str:
        with self._lock:
            if self._token and self._token != stale:
                return self._token
            try:
                out = subprocess.run(self._argv, capture_output=True, text=True, check=True,
                                     timeout=self._timeout).stdout.strip()
            except (OSError, subprocess.SubprocessError) as exc:
                msg = f"{self._where}: bearer_token_command failed: {type(exc).__name__}"
                raise RemoteError(msg) from None
            if not out:
                msg = f"{self._where}: bearer_token_command printed no token"
                raise RemoteError(msg)
            self._token = out
            return out

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the current token; on a 401, refresh it once and send again."""
        token = self._fetch("")
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self._fetch(token)}"
            yield request


def _verify(cfg: RemoteConfig, where: str) -> ssl.SSLContext | bool:
    opt = cfg.options
    raw = opt.get("ssl_verify", "true")
    verify: str | bool = raw
    if raw.strip().lower() in ("true", "false", "yes", "no", "on", "off", "1", "0"):
        verify = parse_bool(raw, where)
    cert, key = opt.get("cert_path"), opt.get("key_path")
    if verify is True and cert is None:
        return True
    if verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        try:
            ctx = ssl.create_default_context(cafile=None if verify is True else str(verify))
        except OSError as exc:
            msg = f"{where} ssl_verify: cannot read CA file {verify!r}: {exc.strerror or exc}"
            raise ConfigError(msg) from None
    if cert is not None:
        try:
            ctx.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            msg = f"{where} cert_path: cannot load client certificate {cert!r}: {exc}"
            raise ConfigError(msg) from None
    return ctx


def _credentials(cfg: RemoteConfig, ep: Endpoint, timeout: float) -> dict[str, Any]:
    opt = cfg.options
    where = f"remote '{cfg.name}'"
    headers: dict[str, str] = {}
    auth: httpx.Auth | tuple[str, str] | None = None
    user = opt.get("user") or ep.user
    password = opt.get("password")
    asks = parse_bool(opt.get("ask_password", "false"), where)
    if "token" in opt:
        headers["Authorization"] = f"Bearer {opt['token']}"
    elif user:
        if password is None and asks:
            password = getpass.getpass(f"Enter a password for host '{ep.base}' user '{user}':\n")
        auth = (user, password or "")
    elif "custom_auth_header" in opt:
        name = opt["custom_auth_header"]
        if password is None and asks:
            password = getpass.getpass(f"Enter a password for host '{ep.base}' user '{name}':\n")
        headers[name] = password or ""
    if "bearer_token_command" in opt:
        auth = CommandBearerAuth(opt["bearer_token_command"], timeout, f"remote {ep.url}")
    return {"headers": headers, "auth": auth}


def client_for(cfg: RemoteConfig, pool: int) -> tuple[Client, Endpoint]:
    """The webdav4 client of ``cfg`` (one httpx connection pool of ``pool`` connections)."""
    ep = endpoint(cfg)
    where = f"remote '{cfg.name}'"
    timeout = float(parse_int(cfg.options.get("timeout", str(DEFAULT_TIMEOUT)), where, 0))
    limits = httpx.Limits(max_connections=pool, max_keepalive_connections=pool)
    client = Client(ep.base, retry=False, verify=_verify(cfg, where), limits=limits,
                    timeout=httpx.Timeout(timeout or None), follow_redirects=False,
                    **_credentials(cfg, ep, timeout or DEFAULT_TIMEOUT))
    return client, ep
