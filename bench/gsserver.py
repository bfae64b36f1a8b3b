"""gcp-storage-emulator with a request counter, for the benchmark (W11).

Runs what ``gcp-storage-emulator start --in-memory`` runs (its single-threaded
``http.server``), less its metadata dump on every write and with a deeper listen backlog
(see ``main``), with every request counted by HTTP method at the server, so that requests
per object moved are counted for any client (dvcdoit, real DVC through gcsfs, a bare
google-cloud-storage loop). A bucket named ``bench`` is created at start.

    python bench/gsserver.py --port 9023 [--host 127.0.0.1]

Two extra paths, which no GCS client uses:

* ``GET /__bench__/counts``: ``{"GET": n, "POST": n, ..., "total": n}`` since the last reset;
* ``POST /__bench__/reset``: zero the counters.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from typing import Any

BUCKET = "bench"


def main() -> None:
    """Serve the emulator with counting, until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    from gcp_storage_emulator import server

    lock = threading.Lock()
    counts: Counter[str] = Counter()
    handler = server.RequestHandler

    def counted(method: str) -> Any:
        inner = getattr(handler, f"do_{method}")

        def do(self: Any) -> None:
            if self.path.startswith("/__bench__/"):
                with lock:
                    if self.path == "/__bench__/reset":
                        counts.clear()
                    body = json.dumps({**counts, "total": sum(counts.values())}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            with lock:
                counts[method] += 1
            inner(self)

        return do

    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        setattr(handler, f"do_{method}", counted(method))
    # NOTE: on every write the emulator rewrites one JSON dump of every object's metadata,
    # O(objects) per request, so each run would be slower than the one before it (the bare
    # loop, timed last, took 4x dvcdoit's time for the same uploads). In memory the dump is
    # never read again (it is only read at start from a data dir), so it is skipped here.
    from gcp_storage_emulator.storage import Storage

    Storage._write_config_to_file = lambda self: None  # type: ignore[method-assign]
    # NOTE: the emulator serves one HTTP/1.0 request at a time, a new connection each, on an
    # http.server whose listen backlog is socketserver's 5: with 8 client threads, SYNs
    # overflow it and wait for the kernel's 1 s retransmit, which made any 8-thread run
    # 1-2.5 s slower at random. A deeper backlog queues them instead, for every client alike.
    import http.server

    http.server.HTTPServer.request_queue_size = 128
    emulator = server.create_server(args.host, args.port, in_memory=True, default_bucket=BUCKET)
    emulator.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
