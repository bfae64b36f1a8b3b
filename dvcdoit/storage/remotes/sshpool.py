"""One SSH connection and a few SFTP channels on it, opened on first use, reopened after a drop.

Lives on the remote's event loop (:mod:`.sshloop`), so its state needs no lock; the one
:class:`asyncio.Lock` only keeps concurrent coroutines from opening two connections at once.
A connection that cannot be made for a reason a retry will not fix (login refused, unknown
host key, connection refused) is remembered, so a push of 20,000 objects fails with one line
after one attempt instead of 20,000 of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

import asyncssh

from dvcdoit.core.errors import RemoteError
from dvcdoit.storage.remotes.sshconnect import SSHTarget, connect_failure

FATAL_CONNECT = (asyncssh.PermissionDenied, asyncssh.HostKeyNotVerifiable,
                 asyncssh.KeyImportError, asyncssh.KeyEncryptionError, socket.gaierror,
                 ConnectionRefusedError, asyncssh.ProtocolNotSupported,
                 asyncssh.KeyExchangeFailed, FileNotFoundError, PermissionError,
                 IsADirectoryError,  # NOTE: these three: a keyfile that cannot be read
                 TimeoutError, asyncio.TimeoutError)  # NOTE: else each retry waits `timeout` again
"""Connection failures a retry will not fix: reported once, then for every later call."""


class SFTPPool:
    """``target.channels`` SFTP clients on one connection, handed out round-robin."""

    def __init__(self, target: SSHTarget) -> None:
        self.target = target
        self._conn: Any = None
        self._clients: list[Any] = []
        self._turn = 0
        self._lock: asyncio.Lock | None = None
        self._fatal: RemoteError | None = None
        self.connects = 0
        """How many connections were made (a reconnect after a drop counts)."""

    def _healthy(self) -> bool:
        return bool(self._clients) and self._conn is not None and not self._conn.is_closed()

    async def client(self) -> Any:
        """An SFTP client of a live connection, connecting first if there is none.

        Raises the remembered :class:`RemoteError` of a fatal connection failure; a transient
        one (a reset, a timeout) propagates as is, for the caller's retry.
        """
        if self._fatal is not None:
            raise self._fatal
        if not self._healthy():
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if self._fatal is not None:
                    raise self._fatal
                if not self._healthy():
                    await self._open()
        self._turn += 1
        return self._clients[self._turn % len(self._clients)]

    async def _open(self) -> None:
        await self.close()
        target = self.target
        try:
            conn = await asyncssh.connect(target.host, **target.kwargs)
        except FATAL_CONNECT as exc:
            self._fatal = connect_failure(target, exc)
            raise self._fatal from None
        except asyncssh.DisconnectError as exc:
            raise ConnectionResetError(exc.reason) from None
        self.connects += 1
        try:
            clients = await asyncio.gather(*(conn.start_sftp_client()
                                             for _ in range(target.channels)),
                                           return_exceptions=True)
        except BaseException:
            conn.abort()
            raise
        good = [c for c in clients if not isinstance(c, BaseException)]
        if not good:  # NOTE: fewer channels than asked is fine (a server's MaxSessions)
            conn.abort()
            msg = (f"remote {target.url}: the server refused an SFTP session "
                   f"({type(clients[0]).__name__}); is its sftp subsystem enabled?")
            self._fatal = RemoteError(msg)
            raise self._fatal
        self._conn, self._clients = conn, good

    def dropped(self, client: Any) -> None:
        """Forget the connection ``client`` belongs to, if it is the current one."""
        if client in self._clients:
            with contextlib.suppress(Exception):
                self._conn.abort()
            self._clients = []

    async def close(self) -> None:
        """Close the SFTP clients and the connection (nothing to do when none is open)."""
        clients, conn = self._clients, self._conn
        self._clients, self._conn = [], None
        for c in clients:
            with contextlib.suppress(Exception):
                c.exit()
        if conn is not None:
            conn.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.wait_closed(), 5)


__all__ = ["FATAL_CONNECT", "SFTPPool"]
