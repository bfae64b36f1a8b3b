"""SSH test fixtures: asyncssh's own SSH/SFTP server in a subprocess on loopback.

``python -m tests.sshserver --dir D --port P --control C`` serves ``D/root`` over SFTP (a
chroot: ``/`` is ``D/root``) with the host key ``D/host_key``, accepting user ``tester``
with the password in ``D/password`` or the key whose public half is ``D/user_key.pub``.
Every SFTP request is counted by packet type at the server. A line protocol on the control
port (loopback) drives it: ``counts`` (JSON), ``reset``, ``fault KIND OP N`` (the next N
``OP`` requests, e.g. ``open`` or ``read``: ``fail`` answers an SFTP failure, ``drop``
drops the connection, ``corrupt`` flips a byte of the data read, ``unsupported`` says the
operation is not supported), ``deny OP`` (permission denied on every ``OP``), ``clear``.

Fixtures: ``ssh_server`` (session; the server, killed at the end), ``ssh_home`` (a HOME of
the test's own, with ``~/.ssh/known_hosts`` trusting the server; the real ``~/.ssh`` is
never read), ``ssh_url`` (a fresh remote directory on the server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

USER = "tester"
PASSWORD = "s3cret-pw"


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerState:
    """Counts and pending faults, shared by every connection of the server process."""

    counts: Counter[str]
    faults: dict[str, list[str]]  # NOTE: op -> queue of fault kinds, one per request
    denied: set[str]

    def take(self, op: str) -> str | None:
        queue = self.faults.get(op)
        return queue.pop(0) if queue else None


def _serve(base: Path, port: int, control: int) -> None:
    import asyncssh
    from asyncssh import sftp as sftpmod

    state = ServerState(Counter(), {}, set())
    names = {v: k[4:].lower() for k, v in vars(sftpmod).items()
             if k.startswith("FXP_") and isinstance(v, int)}
    original = sftpmod.SFTPServerHandler._process_packet

    async def counted(self: Any, pkttype: int, pktid: int, packet: Any) -> None:
        name = names.get(pkttype, str(pkttype))
        if name == "extended":  # NOTE: peek at the extension name without consuming it
            raw = packet.get_remaining_payload()
            size = int.from_bytes(raw[:4], "big")
            name = raw[4:4 + size].decode(errors="replace").split("@")[0]
        state.counts[name] += 1
        state.counts["total"] += 1
        await original(self, pkttype, pktid, packet)

    sftpmod.SFTPServerHandler._process_packet = counted  # type: ignore[method-assign]

    class FaultySFTP(asyncssh.SFTPServer):
        def __init__(self, chan: Any) -> None:
            super().__init__(chan, chroot=os.fsencode(base / "root"))
            state.counts["sessions"] += 1

        def _fault(self, op: str) -> str | None:
            if op in state.denied:
                msg = "Permission denied"
                raise asyncssh.SFTPPermissionDenied(msg)
            kind = state.take(op)
            if kind == "fail":
                msg = "injected failure"
                raise asyncssh.SFTPFailure(msg)
            if kind == "drop":
                self.connection.abort()
                msg = "injected drop"
                raise asyncssh.SFTPConnectionLost(msg)
            if kind == "unsupported":
                msg = "injected: not supported"
                raise asyncssh.SFTPOpUnsupported(msg)
            return kind

        def open(self, path: bytes, pflags: int, attrs: Any) -> Any:
            self._fault("open")
            return super().open(path, pflags, attrs)

        def read(self, file_obj: Any, offset: int, size: int) -> Any:
            kind = self._fault("read")
            data = super().read(file_obj, offset, size)
            if kind == "corrupt" and data:
                data = bytes([data[0] ^ 0xFF]) + data[1:]
            return data

        def write(self, file_obj: Any, offset: int, data: bytes) -> Any:
            self._fault("write")
            return super().write(file_obj, offset, data)

        def posix_rename(self, oldpath: bytes, newpath: bytes) -> Any:
            self._fault("rename")
            return super().posix_rename(oldpath, newpath)

    class Server(asyncssh.SSHServer):
        def connection_made(self, conn: Any) -> None:
            state.counts["connections"] += 1

        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == USER and password == (base / "password").read_text()

    async def command(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        words = (await reader.readline()).decode().split()
        reply: object = "ok"
        if words == ["counts"]:
            reply = dict(state.counts)
        elif words == ["reset"]:
            state.counts.clear()
        elif words[:1] == ["fault"]:
            state.faults.setdefault(words[2], []).extend([words[1]] * int(words[3]))
        elif words[:1] == ["deny"]:
            state.denied.add(words[1])
        elif words == ["clear"]:
            state.faults.clear()
            state.denied.clear()
        writer.write(json.dumps(reply).encode() + b"\n")
        await writer.drain()
        writer.close()

    async def main() -> None:
        await asyncssh.create_server(
            Server, "127.0.0.1", port, server_host_keys=[str(base / "host_key")],
            authorized_client_keys=str(base / "user_key.pub"), sftp_factory=FaultySFTP,
            allow_scp=False)
        await asyncio.start_server(command, "127.0.0.1", control)
        (base / "ready").write_text("ok")
        await asyncio.Event().wait()

    asyncio.run(main())


@dataclass
class SSHServer:
    """A running test server: where it listens, its files, and its control port."""

    port: int
    control: int
    base: Path

    @property
    def root(self) -> Path:
        """The local directory that is ``/`` on the server."""
        return self.base / "root"

    @property
    def user_key(self) -> Path:
        """The private key the server accepts for :data:`USER`."""
        return self.base / "user_key"

    def host_key_line(self, host: str = "127.0.0.1") -> str:
        """A ``known_hosts`` line trusting this server's host key."""
        pub = (self.base / "host_key.pub").read_text().split()
        return f"[{host}]:{self.port} {pub[0]} {pub[1]}\n"

    def send(self, line: str) -> Any:
        """Send one control command; return its JSON answer."""
        with socket.create_connection(("127.0.0.1", self.control), timeout=10) as s:
            s.sendall(line.encode() + b"\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return json.loads(data)

    def counts(self, reset: bool = False) -> dict[str, int]:
        """SFTP requests by type since the last reset (``total``, ``connections``, ``sessions``)."""
        got: dict[str, int] = self.send("counts")
        if reset:
            self.send("reset")
        return got

    def fault(self, kind: str, op: str, times: int = 1) -> None:
        """Make the next ``times`` requests ``op`` fail (``fail``/``drop``/``corrupt``)."""
        self.send(f"fault {kind} {op} {times}")


def generate_keys(base: Path) -> None:
    """Write the host key, the user key pair (OpenSSH format) and the password into ``base``."""
    import asyncssh

    for name in ("host_key", "user_key"):
        key = asyncssh.generate_private_key("ssh-ed25519")
        key.write_private_key(str(base / name))
        key.write_public_key(str(base / f"{name}.pub"))
        (base / name).chmod(0o600)
    (base / "password").write_text(PASSWORD)


@contextlib.contextmanager
def ssh_process(base: Path) -> Iterator[SSHServer]:
    """Start the server on free loopback ports, wait until it listens, yield it, kill it."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "root").mkdir(exist_ok=True)
    generate_keys(base)
    port, control = free_port(), free_port()
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "tests.sshserver", "--dir", str(base),
                             "--port", str(port), "--control", str(control)], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (base / "ready").exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr and proc.poll() is not None else ""
                msg = f"the SSH test server did not start: {err[-2000:]}"
                raise RuntimeError(msg)
            time.sleep(0.05)
        yield SSHServer(port, control, base)
    finally:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """The SSH/SFTP test server for the whole session; skipped if asyncssh is absent."""
    pytest.importorskip("asyncssh")
    try:
        with ssh_process(tmp_path_factory.mktemp("sshserver")) as server:
            yield server
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def ssh_home(ssh_server: SSHServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of this test's own whose ``~/.ssh/known_hosts`` trusts the server (no agent)."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "known_hosts").write_text(ssh_server.host_key_line())
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    ssh_server.send("clear")
    return home


@pytest.fixture
def ssh_url(ssh_server: SSHServer, ssh_home: Path) -> str:
    """``ssh://tester@127.0.0.1:PORT/<fresh dir>`` (the directory is not created)."""
    return f"ssh://{USER}@127.0.0.1:{ssh_server.port}/r-{uuid.uuid4().hex[:10]}"


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control", type=int, required=True)
    args = parser.parse_args()
    _serve(args.dir, args.port, args.control)


if __name__ == "__main__":
    _main()
