"""moto's S3 server with a request counter, for the benchmark (W6).

Runs exactly what ``moto_server -H HOST -p PORT`` runs (moto's WSGI app on werkzeug's
threaded server) wrapped in a small WSGI middleware that counts every request by HTTP
method, so that requests per object moved are counted *at the server*, for any client
(dvcdoit, real DVC in its own venv, a bare boto3 loop).

    python bench/s3server.py --port 5055 [--host 127.0.0.1]

Two extra paths, which no S3 client uses (bucket names cannot contain ``_``):

* ``GET /__bench__/counts``: ``{"GET": n, "PUT": n, ..., "total": n}`` since the last reset;
* ``POST /__bench__/reset``: zero the counters.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
App = Callable[[Environ, StartResponse], Iterable[bytes]]


class CountingMiddleware:
    """Count requests by method; answer the two ``/__bench__/`` paths itself."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/__bench__/"):
            with self.lock:
                if path == "/__bench__/reset":
                    self.counts.clear()
                body = json.dumps({**self.counts, "total": sum(self.counts.values())}).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        with self.lock:
            self.counts[environ.get("REQUEST_METHOD", "?")] += 1
        return self.app(environ, start_response)


def main() -> None:
    """Serve moto's S3 (and the rest of moto) with counting, until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, CountingMiddleware(app), threaded=True)


if __name__ == "__main__":
    main()
