"""S3 test fixtures: a real moto S3 server on loopback, plus a counting, fault-injecting proxy.

Fixtures (register with ``pytest_plugins = ["tests.s3server"]``):

* ``moto_endpoint`` (session): starts ``moto_server -H 127.0.0.1 -p <free port>`` as a
  subprocess, waits until it answers, yields ``http://127.0.0.1:<port>``, kills it by PID;
* ``s3_env``: sets dummy AWS credentials in the environment (``testing``/``us-east-1``);
* ``s3_bucket``: a fresh bucket on the server, yields its name;
* ``s3_proxy``: a :class:`FaultProxy` in front of the server (request counting, injected 500s).
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

CREDS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
         "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "testing"}


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback for the whole session; skipped if moto_server is absent."""
    exe = shutil.which("moto_server")
    if exe is None:
        pytest.skip("moto_server is not installed (pip install 'moto[server]')")
    port = free_port()
    proc = subprocess.Popen([exe, "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("moto_server did not start")
                time.sleep(0.1)
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Dummy AWS credentials in the environment (moto accepts anything)."""
    for k, v in CREDS.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return CREDS


@pytest.fixture
def s3_bucket(moto_endpoint: str, s3_env: dict[str, str]) -> str:
    """A new, empty bucket on the moto server."""
    import boto3

    name = f"b-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=name)
    return name


class FaultProxy:
    """An HTTP proxy on loopback that forwards to ``upstream``, counts requests by method and
    can answer the next N matching requests itself with an error status."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.counts: dict[str, int] = {}
        self.injected = 0
        self._faults: list[tuple[str, str, int]] = []  # (method, path substring, status)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._forward(self)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def fail_next(self, n: int, method: str = "", path_contains: str = "", status: int = 500) -> None:
        """Answer the next ``n`` requests matching ``method``/``path_contains`` with ``status``."""
        with self._lock:
            self._faults.extend([(method, path_contains, status)] * n)

    def reset_counts(self) -> None:
        """Zero the per-method request counters."""
        with self._lock:
            self.counts.clear()

    @property
    def total(self) -> int:
        """Requests seen since the last reset (injected faults included)."""
        return sum(self.counts.values())

    def _take_fault(self, method: str, path: str) -> int | None:
        with self._lock:
            self.counts[method] = self.counts.get(method, 0) + 1
            for i, (m, sub, status) in enumerate(self._faults):
                if (not m or m == method) and sub in path:
                    del self._faults[i]
                    self.injected += 1
                    return status
        return None

    def _forward(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        status = self._take_fault(h.command, h.path)
        if status is not None:
            payload = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
                       b"<Message>injected</Message></Error>")
            h.send_response(status)
            h.send_header("Content-Type", "application/xml")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(payload)
            return
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() != "connection"}
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            h.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length",
                                     "date", "server"):
                    h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)) if h.command != "HEAD"
                          else resp.getheader("Content-Length", "0"))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data)
        finally:
            conn.close()

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def s3_proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of the session's moto server."""
    proxy = FaultProxy(moto_endpoint)
    try:
        yield proxy
    finally:
        proxy.close()


def remote_env() -> dict[str, str]:
    """Environment for a real ``dvc`` subprocess talking to moto."""
    return {**os.environ, **CREDS}
