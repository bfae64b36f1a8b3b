"""WebDAV test fixtures: a real wsgidav server (on cheroot) in a subprocess on loopback.

Run as ``python -m tests.webdavserver --root DIR --port N [--cert C --key K]``: it serves DIR
at ``/`` (and DIR/ro, read-only, at ``/ro``) with basic auth for :data:`USER` /
:data:`PASSWORD` only. A small WSGI middleware in front of wsgidav also admits ``Authorization: Bearer`` :data:`TOKEN` and the header
:data:`CUSTOM_HEADER`: :data:`CUSTOM_SECRET`, by handing wsgidav the basic credentials (so a
wrong token reaches wsgidav as no credentials and gets its 401). It counts requests by method
at ``GET /__counts__`` (``POST`` resets them), for the benchmark.

Fixtures (``pytest_plugins = ["tests.webdavserver"]``):

* ``dav_server`` (session): plain http, yields a :class:`DavServer`;
* ``davs_server`` (session): https with a certificate signed by a CA made here with
  ``cryptography`` (the CA file is :attr:`DavServer.ca`);
* ``dav_proxy``: a :class:`~tests.faults.s3proxy.FaultProxy` in front of ``dav_server``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.faults.s3proxy import FaultProxy
from tests.s3server import free_port

USER, PASSWORD = "alice", "wonder-pw"
TOKEN = "tok-3f9a"
CUSTOM_HEADER, CUSTOM_SECRET = "X-Dav-Key", "key-77c1"
_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DavServer:
    """A running server: ``base`` is ``http(s)://127.0.0.1:port``, ``root`` the served dir."""

    base: str
    root: Path
    ca: Path | None = None

    def url(self, path: str, scheme: str = "webdav") -> str:
        """The remote URL of ``path`` below the root, e.g. ``webdav://127.0.0.1:port/path``."""
        return f"{scheme}://{self.base.split('://', 1)[1]}/{path.strip('/')}"


def make_certs(where: Path) -> tuple[Path, Path, Path]:
    """Write a CA and a server certificate for 127.0.0.1 signed by it; return (ca, cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dvcdoit test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                         critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = where / "ca.pem", where / "server.pem", where / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


# -- the server process ----------------------------------------------------------------------
App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _front(app: App) -> App:
    """Count requests; turn the accepted token or custom header into basic credentials."""
    counts: dict[str, int] = {}
    lock = threading.Lock()
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    def front(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if path == "/__counts__":
            with lock:
                body = json.dumps({**counts, "total": sum(counts.values())}).encode()
                if method == "POST":
                    counts.clear()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        with lock:
            counts[method] = counts.get(method, 0) + 1
        if environ.get("HTTP_AUTHORIZATION") == f"Bearer {TOKEN}" or environ.get(
                "HTTP_" + CUSTOM_HEADER.upper().replace("-", "_")) == CUSTOM_SECRET:
            environ["HTTP_AUTHORIZATION"] = basic
        elif environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
            del environ["HTTP_AUTHORIZATION"]
        return app(environ, start_response)

    return front


def serve(root: Path, port: int, cert: Path | None, key: Path | None) -> None:
    """Serve ``root`` on 127.0.0.1:``port`` until killed (``/ro`` is ``root/ro``, read-only)."""
    (root / "ro").mkdir(exist_ok=True)
    from cheroot import wsgi
    from wsgidav.wsgidav_app import WsgiDAVApp

    app = WsgiDAVApp({
        "host": "127.0.0.1", "port": port, "provider_mapping": {
            "/": str(root), "/ro": {"root": str(root / "ro"), "readonly": True}},
        "http_authenticator": {"domain_controller": None, "accept_basic": True,
                               "accept_digest": False, "default_to_digest": False},
        "simple_dc": {"user_mapping": {"*": {USER: {"password": PASSWORD}}}},
        "verbose": 0, "logging": {"enable": False}, "dir_browser": {"enable": False},
        "property_manager": None, "lock_storage": None,
    })
    server = wsgi.Server(("127.0.0.1", port), _front(app), numthreads=24)
    if cert is not None and key is not None:
        from cheroot.ssl.builtin import BuiltinSSLAdapter

        server.ssl_adapter = BuiltinSSLAdapter(str(cert), str(key))
    server.start()


@contextlib.contextmanager
def dav_process(root: Path, tls: Path | None = None) -> Iterator[DavServer]:
    """Run the server on a free port (https with certificates made in ``tls``); kill it after."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [sys.executable, "-m", "tests.webdavserver", "--root", str(root), "--port", str(port)]
    ca = None
    ctx: ssl.SSLContext | None = None
    if tls is not None:
        tls.mkdir(parents=True, exist_ok=True)
        ca, cert, key = make_certs(tls)
        argv += ["--cert", str(cert), "--key", str(key)]
        ctx = ssl.create_default_context(cafile=str(ca))
    env = {**os.environ, "PYTHONPATH": str(_ROOT)}
    proc = subprocess.Popen(argv, cwd=_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/__counts__", timeout=1, context=ctx).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    msg = f"the WebDAV server did not start on {base}"
                    raise RuntimeError(msg) from None
                time.sleep(0.1)
        yield DavServer(base, root, ca)
    finally:
        proc.kill()
        proc.wait(timeout=10)


def counts(base: str, reset: bool = False, ctx: ssl.SSLContext | None = None) -> dict[str, int]:
    """The server's request counts by method (and ``total``); with ``reset``, zero them."""
    req = urllib.request.Request(base + "/__counts__", method="POST" if reset else "GET")
    with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
        return dict(json.load(resp))


@pytest.fixture(scope="session")
def dav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """A wsgidav server over plain http for the whole session."""
    with dav_process(tmp_path_factory.mktemp("dav")) as server:
        yield server


@pytest.fixture(scope="session")
def davs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    """A wsgidav server over https (certificate from a CA of our own) for the whole session."""
    base = tmp_path_factory.mktemp("davs")
    with dav_process(base / "root", tls=base / "tls") as server:
        yield server


@pytest.fixture
def dav_proxy(dav_server: DavServer) -> Iterator[FaultProxy]:
    """A fault-injecting, request-counting proxy in front of ``dav_server``."""
    proxy = FaultProxy(dav_server.base)
    try:
        yield proxy
    finally:
        proxy.close()


def main(argv: list[str] | None = None) -> None:
    """Command line: ``--root DIR --port N [--cert FILE --key FILE]``."""
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--root", type=Path, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", type=Path)
    p.add_argument("--key", type=Path)
    args = p.parse_args(argv)
    serve(args.root, args.port, args.cert, args.key)


if __name__ == "__main__":
    main()
