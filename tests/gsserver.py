"""GCS test fixtures: gcp-storage-emulator on loopback, a counting proxy, a loopback token server.

* ``gcs_endpoint`` (session): ``gcp-storage-emulator start --host 127.0.0.1 --port <free>
  --in-memory`` as a subprocess, waited for, killed by PID at the end; yields its base URL
  (what DVC's ``endpointurl`` means: the JSON API is below it at ``/storage/v1/``);
* ``gcs_env``: no Google variables from the outside (``STORAGE_EMULATOR_HOST``,
  ``GOOGLE_APPLICATION_CREDENTIALS``), and ``NO_GCE_CHECK=true`` so that nothing, in this
  process or in a ``dvc`` child, ever probes the metadata server's address;
* ``gcs_bucket``: a fresh bucket; ``gcs_proxy``: a :class:`~tests.faults.s3proxy.FaultProxy`
  in front of the emulator;
* ``token_server``: a loopback OAuth token endpoint for a generated service-account key
  (:func:`service_account_file`), so the ``credentialpath`` path runs for real, JWT grant
  and bearer token included, with no network.

Emulator gaps, worked around here only: it ignores ``maxResults`` (every listing is one
page), it cannot refuse a request for lack of permission (403s come from the proxy), and it
answers a 404 with an empty body for a missing bucket and a missing object alike.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.closingserver import ClosingHTTPServer
from tests.faults.s3proxy import FaultProxy
from tests.s3server import free_port, serving


def emulator_exe() -> str | None:
    """The ``gcp-storage-emulator`` script next to this interpreter, or on PATH."""
    here = Path(sys.executable).with_name("gcp-storage-emulator")
    return str(here) if here.exists() else shutil.which("gcp-storage-emulator")


@contextlib.contextmanager
def emulator_process(exe: str) -> Iterator[str]:
    """Run the emulator on a free loopback port until it answers; yield its URL, then kill it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving([exe, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "-q"],
                 url + "/storage/v1/b", "gcp-storage-emulator"):
        yield url


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """The emulator for the whole session; skipped if it is not installed."""
    exe = emulator_exe()
    if exe is None:
        pytest.skip("gcp-storage-emulator is not installed (pip install gcp-storage-emulator)")
    try:
        with emulator_process(exe) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def gcs_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No outside Google configuration; never probe the metadata server."""
    for var in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_GCE_CHECK", "true")


def make_bucket(endpoint: str, name: str) -> None:
    """Create bucket ``name`` on the emulator (one JSON API request)."""
    req = urllib.request.Request(f"{endpoint}/storage/v1/b?project=test", method="POST",
                                 data=json.dumps({"name": name}).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).close()


@pytest.fixture
def gcs_bucket(gcs_endpoint: str, gcs_env: None) -> str:
    """A new, empty bucket on the emulator."""
    name = f"b-{uuid.uuid4().hex[:12]}"
    make_bucket(gcs_endpoint, name)
    return name


@pytest.fixture
def gcs_proxy(gcs_endpoint: str) -> Iterator[FaultProxy]:
    """A :class:`FaultProxy` in front of the session's emulator."""
    proxy = FaultProxy(gcs_endpoint)
    try:
        yield proxy
    finally:
        proxy.close()


class TokenServer:
    """An OAuth token endpoint on loopback: answers each JWT grant with a bearer token, or
    with ``400 invalid_grant`` while :attr:`refuse` is set; counts the grants."""

    def __init__(self) -> None:
        self.grants = 0
        self.refuse = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.grants += b"jwt-bearer" in body
                status, payload = ((400, {"error": "invalid_grant", "error_description": "bad key"})
                                   if server.refuse else
                                   (200, {"access_token": "tok", "expires_in": 3600,
                                          "token_type": "Bearer"}))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ClosingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.httpd.close()


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    """A :class:`TokenServer` for this test."""
    server = TokenServer()
    try:
        yield server
    finally:
        server.close()


def service_account_file(path: Path, token_uri: str) -> dict[str, Any]:
    """Write a service-account JSON with a fresh RSA key whose token endpoint is ``token_uri``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "test", "private_key_id": "k1",
            "private_key": pem, "client_email": "sa@test.iam.gserviceaccount.com",
            "client_id": "1", "token_uri": token_uri}
    path.write_text(json.dumps(info))
    return info
