"""The loopback test servers' base: a threaded HTTP server that really closes.

Not a pytest plugin (``conftest.pytest_plugins``), so that ``tests.s3server`` and its fault
proxy can import it before the plugins load.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import ThreadingHTTPServer
from typing import Any


class ClosingHTTPServer(ThreadingHTTPServer):
    """A threaded server whose :meth:`close` also ends the open keep-alive connections and
    waits for their threads. ``server_close`` alone leaves a handler thread blocked on an
    idle connection until the client drops it, and a thread alive in pytest's process stops
    ``fanout.fork_map`` from forking in the tests that come after."""

    daemon_threads = True
    request_queue_size = 128  # NOTE: 5 by default: parallel clients' SYNs get dropped

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        super().__init__(address, handler)
        self._lock = threading.Lock()
        self._open: dict[socket.socket, threading.Thread] = {}

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Handle one connection, known to :meth:`close` while it is open."""
        with self._lock:
            self._open[request] = threading.current_thread()
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._open.pop(request, None)

    def close(self) -> None:
        """Stop serving, end the open connections, wait for their threads, close."""
        self.shutdown()
        with self._lock:
            open_now = list(self._open.items())
        for sock, _ in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _, thread in open_now:
            thread.join(10)
        self.server_close()


__all__ = ["ClosingHTTPServer"]
