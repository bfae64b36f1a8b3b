"""A fault-injecting HTTP proxy on loopback, in front of moto's S3 server (or any HTTP server).

Every request is forwarded to the upstream server unless a fault is due. Faults come from
per-request :class:`Rule` s (method, path substring, how many times) or from a seeded
schedule (each request faulted with probability ``rate``, the kind drawn from ``kinds``, the
same sequence for the same seed). Kinds:

* ``"500"``/``"503"``: answer with that status and an S3 XML error body;
* ``"reset"``: read the request, then close the socket with a TCP RST (SO_LINGER 0);
* ``"stall"``: read the request, then answer nothing for ``stall`` seconds (longer than the
  client's read timeout), then close;
* ``"truncate"``: forward, then send the upstream's headers (full Content-Length) and only
  half of the body, then close;
* ``"403"`` and ``"corrupt"`` (by rule only, never drawn by the schedule): answer 403, or
  forward with one byte of the body flipped (the upstream's headers unchanged).

The proxy counts requests by method, and counts injected faults by kind, so a test can prove
that retries happened. Everything runs on daemon threads and :meth:`FaultProxy.close` stops
it; nothing waits longer than ``stall`` seconds.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

from tests.closingserver import ClosingHTTPServer

KINDS = ("500", "503", "reset", "stall", "truncate")
RULE_ONLY_KINDS = ("403", "corrupt")  # NOTE: not in KINDS, so seeded schedules stay the same
_ERROR_BODY = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
               b"<Message>injected by the fault proxy</Message></Error>")


@dataclass
class Rule:
    """Fault the next ``times`` requests whose method is ``method`` (any when empty) and whose
    path contains ``path``; ``times=-1`` faults every matching request, forever."""

    kind: str
    method: str = ""
    path: str = ""
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to the request and has faults left."""
        return self.times != 0 and (not self.method or self.method == method) and self.path in path


class FaultProxy:
    """Forward to ``upstream``; inject faults by rule first, then by the seeded schedule."""

    def __init__(self, upstream: str, *, seed: int = 0, rate: float = 0.0,
                 kinds: Sequence[str] = KINDS, stall: float = 2.5) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rules: list[Rule] = []
        self.rate = rate
        self.kinds = tuple(kinds)
        self.stall = stall
        self.counts: dict[str, int] = {}
        self.injected: dict[str, int] = {}
        self.log: list[tuple[str, str, str]] = []  # (method, path, fault or "")
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = _handle  # noqa: N815
            # NOTE: WebDAV's methods too, so the proxy fronts any HTTP server (tests/webdavserver)
            do_PROPFIND = do_MKCOL = do_MOVE = do_COPY = do_OPTIONS = _handle  # noqa: N815

        class Server(ClosingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # NOTE: a client that gave up on a stalled answer is the point, not news

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # -- configuration -------------------------------------------------------------------
    def add(self, kind: str, method: str = "", path: str = "", times: int = 1) -> Rule:
        """Add a :class:`Rule`; return it (its ``times`` counts down as it fires)."""
        assert kind in KINDS + RULE_ONLY_KINDS, kind
        rule = Rule(kind, method, path, times)
        with self._lock:
            self.rules.append(rule)
        return rule

    def schedule(self, rate: float, seed: int) -> None:
        """Fault each later request with probability ``rate``, reproducibly for ``seed``."""
        with self._lock:
            self.rate = rate
            self._rng = random.Random(seed)

    def clear(self) -> None:
        """Drop every rule and the schedule; zero the counters."""
        with self._lock:
            self.rules.clear()
            self.rate = 0.0
            self.counts.clear()
            self.injected.clear()
            self.log.clear()

    @property
    def total(self) -> int:
        """Requests seen since the last :meth:`clear` (faulted ones included)."""
        return sum(self.counts.values())

    def faults(self) -> int:
        """Faults injected since the last :meth:`clear`."""
        return sum(self.injected.values())

    # -- serving -------------------------------------------------------------------------
    def _choose(self, method: str, path: str) -> str | None:
        with self._lock:
            self.counts[method] = self.counts.get(method, 0) + 1
            kind = None
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.times -= 1 if rule.times > 0 else 0
                    kind = rule.kind
                    break
            if kind is None and self.rate and self._rng.random() < self.rate:
                kind = self._rng.choice(self.kinds)
            if kind is not None:
                self.injected[kind] = self.injected.get(kind, 0) + 1
            self.log.append((method, path, kind or ""))
            return kind

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        kind = self._choose(h.command, h.path)
        if kind in ("500", "503", "403"):
            self._error(h, int(kind))
        elif kind == "reset":
            self._reset(h)
        elif kind == "stall":
            self._closing.wait(self.stall)
            h.close_connection = True
        else:
            self._forward(h, body, truncate=kind == "truncate", corrupt=kind == "corrupt")

    @staticmethod
    def _error(h: BaseHTTPRequestHandler, status: int) -> None:
        code = {500: b"InternalError", 503: b"ServiceUnavailable"}.get(status, b"AccessDenied")
        payload = _ERROR_BODY.replace(b"{code}", code)
        h.send_response(status)
        h.send_header("Content-Type", "application/xml")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(payload)

    @staticmethod
    def _reset(h: BaseHTTPRequestHandler) -> None:
        sock = h.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True
        sock.close()

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes, truncate: bool,
                 corrupt: bool = False) -> None:
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() != "connection"}
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        h.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "date",
                                 "server"):
                h.send_header(k, v)
        size = str(len(data)) if h.command != "HEAD" else resp.getheader("Content-Length", "0")
        h.send_header("Content-Length", size)
        h.end_headers()
        if h.command == "HEAD":
            return
        if corrupt and data:
            data = data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[len(data) // 2 + 1:]
        if truncate and len(data) > 1:
            h.wfile.write(data[: len(data) // 2])
            h.wfile.flush()
            h.close_connection = True
            time.sleep(0.05)
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        h.wfile.write(data)

    def close(self) -> None:
        """Stop serving (a stalled answer ends at once)."""
        self._closing.set()
        self.server.close()


@pytest.fixture
def fault_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` (no faults yet, seed 0) in front of the session's moto server."""
    proxy = FaultProxy(moto_endpoint)
    try:
        yield proxy
    finally:
        proxy.close()
