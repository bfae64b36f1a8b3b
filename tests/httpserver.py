"""A real HTTP file server on loopback for the http remote tests (Python's ``http.server``).

GET and HEAD serve files below ``root``; POST and PUT store the request body (sent with a
``Content-Length`` or chunked, as DVC's aiohttp client sends it) through a temp file and a
rename, as a real upload endpoint would. It counts requests by method, can demand basic-auth
credentials, and can be told to answer wrong bytes for one path.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.closingserver import ClosingHTTPServer

NONCE = "dcd98b7102dd2f0e8b11d0f600bfb0c093"


class FileServer:
    """A threaded server on 127.0.0.1 serving and storing files below ``root``."""

    def __init__(self, root: Path, credentials: tuple[str, str] | None = None,
                 digest: bool = False) -> None:
        self.root = root
        self.credentials = credentials
        self.digest = digest  # NOTE: RFC 7616 digest (MD5, qop=auth) instead of basic
        self.counts: dict[str, int] = {}
        self.wrong_bytes: set[str] = set()  # NOTE: url paths answered with flipped bytes
        self.redirects: dict[str, str] = {}  # NOTE: url path -> Location of a 302
        self._lock = threading.Lock()
        server = self

        class Handler(SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # NOTE: as real servers do; else headers and body
            # go out as two writes and the second waits ~40 ms for the client's delayed ACK

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(server.root), **kwargs)

            def log_message(self, format: str, *args: object) -> None:
                pass

            def send_error(self, code: int, message: str | None = None,
                           explain: str | None = None) -> None:
                """An empty error answer that keeps the connection, as real servers do
                (http.server's own closes it: one new connection per missing object)."""
                self.send_response(code, message)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _allowed(self) -> bool:
                with server._lock:
                    server.counts[self.command] = server.counts.get(self.command, 0) + 1
                if self.path in server.redirects:
                    self._drain()
                    self.send_response(302)
                    self.send_header("Location", server.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return False
                if server.credentials is None or self._authorized():
                    return True
                self._drain()
                self.send_response(401)
                challenge = (f'Digest realm="dvc", nonce="{NONCE}", qop="auth", '
                             'algorithm=MD5, opaque="op"' if server.digest else 'Basic realm="dvc"')
                self.send_header("WWW-Authenticate", challenge)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False

            def _authorized(self) -> bool:
                assert server.credentials is not None
                user, password = server.credentials
                given = self.headers.get("Authorization", "")
                if not server.digest:
                    want = base64.b64encode(f"{user}:{password}".encode()).decode()
                    return given == f"Basic {want}"
                if not given.startswith("Digest "):
                    return False
                p = {k: q or b for k, q, b in re.findall(r'(\w+)=(?:"([^"]*)"|([^\s,]+))', given)}

                def h(text: str) -> str:
                    return hashlib.md5(text.encode()).hexdigest()

                ha1, ha2 = h(f"{user}:dvc:{password}"), h(f"{self.command}:{p.get('uri')}")
                want = h(f"{ha1}:{NONCE}:{p.get('nc')}:{p.get('cnonce')}:auth:{ha2}")
                return p.get("username") == user and p.get("response") == want

            def _drain(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while (size := int(self.rfile.readline().split(b";")[0], 16)) > 0:
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_HEAD(self) -> None:
                if self._allowed():
                    super().do_HEAD()

            def do_GET(self) -> None:
                if not self._allowed():
                    return
                if self.path in server.wrong_bytes:
                    data = bytearray((server.root / self.path.lstrip("/")).read_bytes())
                    data[0] ^= 0xFF
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(bytes(data))
                    return
                super().do_GET()

            def do_POST(self) -> None:
                if not self._allowed():
                    return
                data = self._drain()
                dest = server.root / self.path.lstrip("/")
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(f".up-{threading.get_ident()}.part")
                tmp.write_bytes(data)
                os.replace(tmp, dest)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST  # noqa: N815

        self.server = ClosingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving, end the open connections and close the socket."""
        self.server.close()


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[FileServer]:
    """A :class:`FileServer` over a fresh ``tmp_path/served`` directory."""
    root = tmp_path / "served"
    root.mkdir()
    server = FileServer(root)
    try:
        yield server
    finally:
        server.close()


def self_signed(where: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with ``cryptography`` (CA = the cert)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = where / "cert.pem", where / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def serve_tls(server: FileServer, cert: Path, key: Path) -> None:
    """Make ``server`` speak https (its ``url`` too) with ``cert``."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.server.socket = ctx.wrap_socket(server.server.socket, server_side=True)
    server.url = server.url.replace("http://", "https://")
