"""The ``Authorization`` of DVC's http ``auth`` option: basic, digest (RFC 7616) or custom.

Built from the remote's options, checked as DVC checks them; the headers of one request
come from :meth:`HTTPAuth.headers`. Digest needs the server's challenge first: the remote
hands a ``401``'s ``WWW-Authenticate`` to :meth:`HTTPAuth.challenge` and sends the request
again. Credentials stay inside this object; nothing here is ever put in a message.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import os
import re
import sys
import threading
from collections.abc import Mapping

from dvcdoit.core.errors import ConfigError
from dvcdoit.formats.remoteoptions import parse_bool

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


def _password(name: str, opts: Mapping[str, str], url: str, user: str | None) -> str | None:
    password = opts.get("password")
    if password is None and parse_bool(opts.get("ask_password", "false"),
                                       f"remote '{name}': ask_password"):
        if not sys.stdin.isatty():
            msg = (f"remote '{name}': ask_password is set but there is no terminal to ask on; "
                   f"set the password with 'dvcdoit remote modify --local {name} password …'")
            raise ConfigError(msg)
        password = getpass.getpass(f"Enter a password for host '{url}' user '{user or 'custom'}':\n")
    return password


class HTTPAuth:
    """The headers one remote sends; thread-safe (digest counts its nonce uses)."""

    def __init__(self, method: str = "", user: str = "", password: str = "",
                 header: str = "") -> None:
        self.method = method
        self._user, self._password, self._header = user, password, header
        self._lock = threading.Lock()
        self._digest: dict[str, str] = {}
        self._count = 0

    @classmethod
    def from_options(cls, name: str, opts: Mapping[str, str], url: str,
                     url_user: str | None = None, url_password: str | None = None) -> HTTPAuth:
        """DVC's ``auth``/``user``/``password``/``ask_password``/``custom_auth_header``;
        without ``auth``, credentials in the URL (``https://user:pass@host``) are basic."""
        method = opts.get("auth", "").strip().lower()
        if not method:
            if url_user is not None:
                return cls("basic", url_user, url_password or "")
            return cls()
        user = opts.get("user")
        password = _password(name, opts, url, user)
        if method in ("basic", "digest"):
            if user is None or password is None:
                msg = (f"remote '{name}': HTTP '{method}' authentication require both 'user' "
                       "and 'password'")
                raise ConfigError(msg)
            return cls(method, user, password)
        if method == "custom":
            header = opts.get("custom_auth_header")
            if header is None or password is None:
                msg = (f"remote '{name}': HTTP 'custom' authentication require both "
                       "'custom_auth_header' and 'password'")
                raise ConfigError(msg)
            return cls("custom", password=password, header=header)
        msg = f"remote '{name}': auth = {method}: use basic, digest or custom"
        raise ConfigError(msg)

    def headers(self, method: str, path: str) -> dict[str, str]:
        """The auth headers for one request of ``method`` on ``path`` (empty if none yet)."""
        if self.method == "basic":
            token = base64.b64encode(f"{self._user}:{self._password}".encode()).decode()
            return {"Authorization": f"Basic {token}"}
        if self.method == "custom":
            return {self._header: self._password}
        if self.method == "digest" and self._digest:
            return {"Authorization": self._digest_answer(method, path)}
        return {}

    def challenge(self, www_authenticate: str | None) -> bool:
        """Take a digest challenge from a 401; True if the request is worth sending again."""
        if self.method != "digest" or not www_authenticate:
            return False
        scheme, _, rest = www_authenticate.partition(" ")
        if scheme.lower() != "digest":
            return False
        params = {k.lower(): q or b for k, q, b in _PARAM.findall(rest)}
        with self._lock:
            fresh = params.get("nonce") != self._digest.get("nonce")
            self._digest, self._count = params, 0
        return fresh

    def _digest_answer(self, method: str, path: str) -> str:
        with self._lock:
            params = self._digest
            self._count += 1
            count = f"{self._count:08x}"
        algorithm = params.get("algorithm", "MD5")
        name = "sha256" if algorithm.upper().startswith("SHA-256") else "md5"

        def h(text: str) -> str:
            return hashlib.new(name, text.encode()).hexdigest()

        realm, nonce = params.get("realm", ""), params.get("nonce", "")
        cnonce = os.urandom(8).hex()
        ha1 = h(f"{self._user}:{realm}:{self._password}")
        if algorithm.upper().endswith("-SESS"):
            ha1 = h(f"{ha1}:{nonce}:{cnonce}")
        ha2 = h(f"{method}:{path}")
        qop = "auth" if "auth" in [q.strip() for q in params.get("qop", "").split(",")] else ""
        response = (h(f"{ha1}:{nonce}:{count}:{cnonce}:{qop}:{ha2}") if qop
                    else h(f"{ha1}:{nonce}:{ha2}"))
        fields = [f'username="{self._user}"', f'realm="{realm}"', f'nonce="{nonce}"',
                  f'uri="{path}"', f'response="{response}"', f"algorithm={algorithm}"]
        if qop:
            fields += [f"qop={qop}", f"nc={count}", f'cnonce="{cnonce}"']
        if "opaque" in params:
            fields.append(f'opaque="{params["opaque"]}"')
        return "Digest " + ", ".join(fields)

    def __repr__(self) -> str:
        return f"HTTPAuth({self.method or 'none'})"  # NOTE: never the credentials


__all__ = ["HTTPAuth"]
