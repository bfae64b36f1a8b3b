"""Where an SSH remote connects, how it logs in, and the one line for each failure to.

``ssh://[user@]host[:port]/path``; the section's ``user`` and ``port`` win over the URL's (as in
DVC). Host keys are checked against ``~/.ssh/known_hosts`` always (DVC's sshfs does not
check them at all). Secrets (``password``, ``passphrase``) live only in the keyword
arguments handed to ``asyncssh.connect`` and are never part of a message or a repr.
"""

from __future__ import annotations

import asyncio
import getpass
import os
import socket
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import asyncssh

from dvcdoit.core.errors import ConfigError, RemoteError
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.formats.remoteoptions import parse_bool, parse_int

DEFAULT_TIMEOUT = 30
"""Seconds to connect and log in (DVC: 1800, the whole ``connect`` call)."""
DEFAULT_CHANNELS = 4
"""SFTP channels on the one connection when ``max_sessions`` is not set."""
# NOTE: DVC's choice (dvc_ssh): AES-GCM first and no compression, both for speed
ENCRYPTION = ("aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr")


@dataclass(frozen=True)
class SSHTarget:
    """Where to connect; ``url`` is the URL as shown in messages (no password in it)."""

    host: str
    port: int
    user: str | None
    path: str
    url: str
    channels: int = DEFAULT_CHANNELS
    kwargs: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Keyword arguments of ``asyncssh.connect`` (may hold secrets: never shown)."""

    def where(self) -> str:
        """``host:port`` for messages."""
        return f"{self.host}:{self.port}"


def _ask(kind: str, name: str, target: str) -> str:
    """Prompt for a password or passphrase on the terminal; refuse in one line without one."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        msg = (f"remote '{name}': ask_{kind} is set but there is no terminal to ask on; set it "
               f"with 'dvcdoit remote modify --local {name} {kind} VALUE'")
        raise RemoteError(msg)
    return getpass.getpass(f"Enter a {kind} for {target}:\n")


def target_for(cfg: RemoteConfig) -> SSHTarget:
    """Parse ``cfg``'s URL and options into an :class:`SSHTarget` (no network yet).

    ``ask_password``/``ask_passphrase`` prompt here, once per remote, and are refused with
    one line when stdin is not a terminal.
    """
    parts = urlsplit(cfg.url)
    opt = cfg.options
    where = f"remote '{cfg.name}'"
    if not parts.hostname:
        msg = f"{where}: url {cfg.url!r} has no host; expected ssh://[user@]host[:port]/path"
        raise ConfigError(msg)
    try:
        url_port = parts.port
    except ValueError:
        msg = f"{where}: url {cfg.url!r} has a bad port"
        raise ConfigError(msg) from None
    host = parts.hostname
    port = parse_int(opt["port"], f"{where} port") if "port" in opt else (url_port or 22)
    user = opt.get("user") or (unquote(parts.username) if parts.username else None)
    shown = f"ssh://{user + '@' if user else ''}{host}:{port}{parts.path}".rstrip("/")
    known = os.path.expanduser("~/.ssh/known_hosts")
    kwargs: dict[str, Any] = {
        # NOTE: an absent known_hosts trusts nothing (b""), never "do not check" (None)
        "port": port, "known_hosts": known if os.path.isfile(known) else b"",
        "encryption_algs": list(ENCRYPTION), "compression_algs": None,
        "connect_timeout": parse_int(opt.get("timeout", str(DEFAULT_TIMEOUT)), f"{where} timeout", 0) or None,
        "gss_auth": parse_bool(opt.get("gss_auth", "false"), f"{where} gss_auth"),
        "keepalive_interval": 30,
    }
    kwargs["login_timeout"] = kwargs["connect_timeout"] or 120
    if user:
        kwargs["username"] = user
    password = opt.get("password") or (unquote(parts.password) if parts.password else None)
    if password is None and parse_bool(opt.get("ask_password", "false"), f"{where} ask_password"):
        password = _ask("password", cfg.name, f"{user + '@' if user else ''}{host}:{port}")
    passphrase = opt.get("passphrase")
    if passphrase is None and parse_bool(opt.get("ask_passphrase", "false"), f"{where} ask_passphrase"):
        passphrase = _ask("passphrase", cfg.name, f"{user + '@' if user else ''}{host}:{port}")
    if password is not None:
        kwargs["password"] = password
    if passphrase is not None:
        kwargs["passphrase"] = passphrase
    if "keyfile" in opt:
        kwargs["client_keys"] = [os.path.expanduser(opt["keyfile"])]
    elif password is not None:
        kwargs["client_keys"] = None  # NOTE: as DVC: a password login tries no default keys
    if not parse_bool(opt.get("allow_agent", "true"), f"{where} allow_agent"):
        kwargs["agent_path"] = None
    channels = parse_int(opt.get("max_sessions", str(DEFAULT_CHANNELS)), f"{where} max_sessions")
    return SSHTarget(host, port, user, parts.path or ".", shown, channels, kwargs)


def _host_key_problem(target: SSHTarget) -> str:
    """Unknown host, or a known host whose key changed (``known_hosts`` re-read to tell)."""
    path = os.path.expanduser("~/.ssh/known_hosts")
    port = target.port if target.port != 22 else None  # NOTE: "[host]:port" only off port 22
    try:
        known = asyncssh.read_known_hosts(path)
        keys = known.match(target.host, _address(target.host) or "", port)[0]
    except (OSError, asyncssh.Error, ValueError):
        keys = []
    if keys:
        return (f"the host key of {target.where()} does not match {path}: it changed, or "
                "someone is in the middle; refusing to connect")
    return (f"host {target.where()} is not in {path}; after checking its fingerprint add it "
            f"with: ssh-keyscan -p {target.port} {target.host} >> {path}")


def _address(host: str) -> str | None:
    try:
        return socket.gethostbyname(host)
    except OSError:
        return None


def connect_failure(target: SSHTarget, exc: BaseException) -> RemoteError:
    """The one line for a connection or login that failed (no secret in it)."""
    user = target.user or "(default user)"
    if isinstance(exc, asyncssh.HostKeyNotVerifiable):
        detail = _host_key_problem(target)
    elif isinstance(exc, asyncssh.PermissionDenied):
        detail = (f"login as {user} refused; check the remote's user, keyfile or password "
                  "(and ssh-agent)")
    elif isinstance(exc, asyncssh.KeyImportError | asyncssh.KeyEncryptionError):
        detail = f"cannot load the keyfile: {exc}"
    elif isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        detail = f"cannot read the keyfile {exc.filename}: {exc.strerror}"
    elif isinstance(exc, TimeoutError | asyncio.TimeoutError):
        detail = f"no answer from {target.where()} in time (see the remote's timeout)"
    elif isinstance(exc, socket.gaierror):
        detail = f"unknown host {target.host}"
    elif isinstance(exc, ConnectionRefusedError):
        detail = f"cannot connect to {target.where()}: connection refused; is the server up?"
    elif isinstance(exc, asyncssh.DisconnectError):
        detail = f"the server closed the connection: {exc.reason}"
    elif isinstance(exc, OSError):
        detail = f"cannot connect to {target.where()}: {exc.strerror or exc}"
    else:
        detail = f"cannot connect to {target.where()}: {type(exc).__name__}"
    return RemoteError(f"remote {target.url}: {detail}")


__all__ = ["DEFAULT_CHANNELS", "DEFAULT_TIMEOUT", "SSHTarget", "connect_failure", "target_for"]
