"""W13: pull (and push) of many small files through an http remote, dvcdoit against DVC.

The server is the test suite's own ``tests.httpserver.FileServer`` (Python's threaded
``http.server`` that also stores POST bodies), in a process of its own on loopback, the same
server for both tools. The issue's target: ``pull`` of 20,000 small files at least 3×
faster than DVC. Requests are counted at the server.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import ROOT, BenchError, Row, Tool, timed
from workloads import Bench, data_name, pull_repo, write_config

SERVER = """
import sys, threading
from pathlib import Path
from tests.httpserver import FileServer
server = FileServer(Path(sys.argv[1]))
print(server.url, flush=True)
threading.Event().wait()
"""


@contextmanager
def http_server(root: Path) -> Iterator[str]:
    """The file server over ``root`` in its own process; yields its URL."""
    root.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(root)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            msg = "the bench's http server did not start"
            raise BenchError(msg)
        yield url
    finally:
        proc.kill()
        proc.wait()


def _requests(root: Path) -> int:
    """Objects stored below ``root`` (a push's POSTs, one each)."""
    return sum(1 for p in root.rglob("*") if p.is_file())


def w13_http(b: Bench) -> None:
    """Push then pull ``s3_files`` small files over http, each tool to its own prefix."""
    b.echo("W13: push and pull over http (Python's http.server on loopback)")
    size = b.sizes.s3_files
    desc = f"{size:,} files"
    served = b.work / "w13" / "served"
    with http_server(served) as url:
        def prefix(tool: Tool, i: int) -> str:
            return f"{tool.name}-{i}"

        def push(tool: Tool) -> Callable[[int], float]:
            def one(i: int) -> float:
                repo = b.source(tool, "tree", size)
                write_config(repo, f"{url}/{prefix(tool, i)}")
                return timed(tool.cmd("push"), repo, tool.env)
            return one

        def pull(tool: Tool) -> Callable[[int], float]:
            def one(i: int) -> float:
                repo = pull_repo(b, tool, b.source(tool, "tree", size), "tree",
                                 b.work / "w13" / f"pull-{prefix(tool, i)}",
                                 f"{url}/{prefix(tool, i)}")
                t = timed(tool.cmd("pull"), repo, tool.env)
                if not (repo / data_name("tree")).exists():
                    msg = f"{repo}: pull did not restore the data"
                    raise BenchError(msg)
                return t
            return one

        runs = b.sizes.s3_runs
        b.measure(Row("W13", f"http push {desc}"), push, runs)
        b.measure(Row("W13", f"http pull {desc}", target="≥ 3×",
                      check=lambda r: r.speedup >= 3), pull, runs)
        for tool in b.tools:
            stored = _requests(served / prefix(tool, 0))
            b.echo(f"  objects stored by {tool.name}'s push: {stored:,}")


__all__ = ["w13_http"]
