"""What went wrong with a WebDAV request, in one line with the fix where one is known.

Imports httpx (for its exception types) and nothing of webdav4; never sees credentials: it
describes a status code or an exception, and the URL it is given has no user in it.
"""

from __future__ import annotations

from types import MappingProxyType

import httpx

_HINTS = MappingProxyType({
    401: "check the remote's user and password (or token, custom_auth_header)",
    403: "permission denied",
    507: "the server has no room left",
})


class Again(Exception):  # noqa: N818 - reads as the retry it asks for
    """A transient answer (500, 502-504, 509, 423, 429, a short body): worth another attempt."""

    def __init__(self, response: httpx.Response, detail: str = "") -> None:
        self.response = response
        self.detail = detail
        super().__init__(detail or str(response.status_code))


def status_line(resp: httpx.Response) -> str:
    """``403 Forbidden; permission denied`` and the like."""
    text = f"HTTP {resp.status_code} {resp.reason_phrase}".rstrip()
    hint = _HINTS.get(resp.status_code)
    return f"{text}; {hint}" if hint else text


def _connect(exc: Exception, url: str) -> str:
    text = str(exc) or type(exc).__name__
    base = url.split("://", 1)[-1].split("/", 1)[0]
    if "CERTIFICATE_VERIFY_FAILED" in text:
        why = text.rsplit("certificate verify failed:", 1)[-1].split("(_ssl")[0].strip(" )")
        return (f"the TLS certificate of {base} is not trusted ({why}); set ssl_verify to "
                "the CA file that signed it (or false)")
    if "WRONG_VERSION_NUMBER" in text or "record layer failure" in text:
        return f"{base} does not speak TLS; use webdav:// for a plain http server"
    return f"cannot connect to {base} ({text}); check the remote's url and that the server is up"


def describe(exc: Exception | httpx.Response, url: str) -> str:
    """One line for a failed request: a status, a connection failure, a timeout, a break."""
    if isinstance(exc, httpx.Response):
        return status_line(exc)
    if isinstance(exc, Again):
        return exc.detail or status_line(exc.response)
    if isinstance(exc, httpx.ConnectTimeout):
        return f"cannot connect to {url.split('://', 1)[-1].split('/', 1)[0]} (timed out)"
    if isinstance(exc, (httpx.ConnectError, httpx.UnsupportedProtocol)):
        return _connect(exc, url)
    if isinstance(exc, httpx.TimeoutException):
        return "the server stopped answering (see the remote's timeout)"
    if isinstance(exc, httpx.TransportError):
        return f"the connection broke ({type(exc).__name__})"
    return type(exc).__name__
