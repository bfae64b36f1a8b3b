"""One asyncio event loop on a background thread, for a synchronous, thread-safe facade.

The SSH remote's client library is asynchronous while :class:`~dvcdoit.storage.remotes.Remote`
is called from the transfer layer's threads. Every coroutine runs on this one loop (so one
connection and its SFTP channels are shared, and no lock is needed around them); a calling
thread blocks in :meth:`LoopThread.run` until its coroutine is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop started on first use on a daemon thread, and stopped by :meth:`close`."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def main() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                # NOTE: a daemon thread, so a process that forgets close() still exits
                thread = threading.Thread(target=main, name=self._name, daemon=True)
                thread.start()
                ready.wait()
                self._loop, self._thread = loop, thread
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and return its result (or raise its exception) here.

        Must not be called from the loop's own thread (it would wait for itself).
        """
        loop = self._started()
        if threading.current_thread() is self._thread:
            coro.close()
            msg = "LoopThread.run called from its own loop"
            raise RuntimeError(msg)
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result()
        except Exception as exc:  # noqa: BLE001 - re-raised at once, without loop-side frames
            # NOTE: the loop-side frames of a failure (and of its suppressed context) hold
            # the caller's objects in reference cycles, which would keep a dropped remote,
            # and this thread, alive until the next gc (and fanout then refuses to fork)
            if exc.__suppress_context__:
                exc.__context__ = None
            raise exc.with_traceback(None) from exc.__cause__
        finally:
            del future


    def close(self, cleanup: Callable[[], Awaitable[None]] | None = None,
              timeout: float = 5.0) -> None:
        """Await ``cleanup()`` on the loop (e.g. close a connection), then stop it and join.

        Idempotent; a cleanup that fails or hangs past ``timeout`` does not stop the close.
        """
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        if cleanup is not None and thread.is_alive():
            future = asyncio.run_coroutine_threadsafe(_awaited(cleanup), loop)
            with contextlib.suppress(Exception):
                future.result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        if not thread.is_alive():
            loop.close()


async def _awaited(cleanup: Callable[[], Awaitable[None]]) -> None:
    try:
        await cleanup()
    finally:  # NOTE: the threads of run_in_executor, else they outlive the loop
        await asyncio.get_running_loop().shutdown_default_executor()


__all__ = ["LoopThread"]
