"""Retries of the SSH remote's operations, and the one line each failure ends as.

NOTE on tracebacks: asyncssh's exceptions sit in reference cycles with asyncssh frames (a
frame holds the exception it raised), and their tracebacks reach our frames and so the
remote. Every handler of the ssh modules drops the traceback of what it caught: otherwise a
remote that met one error lives on, with its loop thread, until the next gc, and fanout
(which forks only while no other thread is alive) would run a pull's checkout serially.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncssh

from dvcdoit.core.errors import RemoteError
from dvcdoit.storage.remotes.sshloop import LoopThread
from dvcdoit.storage.remotes.sshpool import SFTPPool

RETRIES = 5
"""Attempts of one operation before it fails (jittered back-off 0.1 s, 0.2 s, … up to 4 s)."""
DROPPED = (asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection, asyncssh.ConnectionLost,
           asyncssh.DisconnectError, ConnectionError, BrokenPipeError, EOFError)
"""The connection is gone: the next attempt reconnects."""
TRANSIENT = (*DROPPED, asyncssh.SFTPFailure, asyncssh.SFTPBadMessage, TimeoutError, OSError)
"""Worth another attempt (SFTPv3's generic "failure" included)."""
T = TypeVar("T")


def why(exc: BaseException) -> str:
    """The cause of an SFTP or connection error in a few words."""
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return "permission denied"
    if isinstance(exc, asyncssh.SFTPError | asyncssh.DisconnectError):
        return f"{type(exc).__name__}: {exc.reason}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def retry(pool: SFTPPool, url: str, action: str, relpath: str,
                op: Callable[[Any], Awaitable[T]]) -> T:
    """Run ``op(sftp_client)``; retry transient faults (on a fresh connection after a drop),
    then give up in one line. Errors that are not transient (permission denied, no such
    file, a remembered login failure) propagate at once."""
    for attempt in range(RETRIES):
        client = None
        try:
            client = await pool.client()
            return await op(client)
        except (asyncssh.SFTPNoSuchFile, asyncssh.SFTPPermissionDenied, RemoteError) as exc:
            raise exc.with_traceback(None) from None
        except TRANSIENT as exc:
            exc.__traceback__ = None
            if isinstance(exc, DROPPED) and client is not None:
                pool.dropped(client)
            if attempt == RETRIES - 1:
                msg = f"remote {url}: {action} {relpath} failed: {why(exc)}"
                raise RemoteError(msg) from None
            await asyncio.sleep(min(4.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0))
    msg = "unreachable"
    raise AssertionError(msg)  # pragma: no cover


def run(loop: LoopThread, url: str, action: str, relpath: str, coro: Awaitable[T]) -> T:
    """Run ``coro`` on ``loop`` from this thread; an SFTP error that escaped it (permission
    denied, no such file) becomes one :class:`RemoteError` line here."""
    async def wrapped() -> T:
        return await coro

    try:
        return loop.run(wrapped())
    except (asyncssh.Error, OSError) as exc:
        exc.__traceback__ = None
        msg = f"remote {url}: {action} {relpath} failed: {why(exc)}"
        raise RemoteError(msg) from None


__all__ = ["DROPPED", "RETRIES", "TRANSIENT", "retry", "run", "why"]
