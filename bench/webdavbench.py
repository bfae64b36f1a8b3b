"""W10: push and pull on WebDAV, against wsgidav (tests/webdavserver.py) on loopback.

Like W6 (S3), each case records times next to a bare 8-thread webdav4 loop moving the same
bytes (this file run as a program: ``python bench/webdavbench.py put|get …``), the HTTP
requests per object moved, counted by the server, and a push with nothing to do.

The bare loop stores DVC's layout with the fewest requests: a MKCOL per collection, then a PUT
per object straight to its name. NOTE: a dvcdoit upload is two requests (PUT of a temp name,
then MOVE once its md5 matched) where DVC and the bare loop PUT the final name directly, and a
MOVE costs wsgidav about what a PUT does (1.8 ms PUT, 3.9 ms PUT + MOVE, one thread): that is
the price of never leaving a partial or unverified object under a valid name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from harness import BenchError, Row, Tool, timed
from s3bench import bench_server, free_port, per_object
from workloads import Bench, data_name, pull_repo, write_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
USER, PASSWORD = "alice", "wonder-pw"  # NOTE: tests/webdavserver.py's user


@contextmanager
def dav_server(root: Path) -> Iterator[str]:
    """Start tests/webdavserver.py serving ``root`` on a free port; yield its http URL."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [sys.executable, "-m", "tests.webdavserver", "--root", str(root), "--port", str(port)]
    with bench_server(argv, f"http://127.0.0.1:{port}", counts, "WebDAV server", cwd=ROOT,
                      env={**os.environ, "PYTHONPATH": str(ROOT)}) as url:
        yield url


def counts(url: str, reset: bool = False) -> dict[str, int]:
    """The server's request counts by method; with ``reset``, zero them afterwards."""
    req = urllib.request.Request(f"{url}/__counts__", method="POST" if reset else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return dict(json.load(resp))


def w10_webdav(b: Bench) -> None:
    """Push and pull ``s3_files`` small files through WebDAV, dvcdoit and DVC alternately."""
    b.echo("W10: push and pull on WebDAV (wsgidav on loopback)")
    size = b.sizes.s3_files
    desc = f"{size:,} files"
    src = b.tree(size)
    reqs: dict[tuple[str, str], list[dict[str, int]]] = {}
    auth = {"user": USER, "password": PASSWORD}
    with dav_server(b.work / "w10" / "dav") as url:
        dav = url.replace("http://", "webdav://")

        def collection(path: str) -> None:
            mkcol = [sys.executable, str(HERE / "webdavbench.py"), "mkcol", url, path]
            subprocess.run(mkcol, check=True)  # NOTE: DVC needs the remote's collection

        def counted(tool: Tool, op: str, argv: list[str], repo: Path) -> float:
            counts(url, reset=True)
            t = timed(argv, repo, tool.env)
            reqs.setdefault((tool.name, op), []).append(counts(url, reset=True))
            return t

        def push(tool: Tool, op: str = "push") -> Callable[[int], float]:
            def one(i: int) -> float:
                repo = b.source(tool, "tree", size)
                path = f"{tool.name}-{i}"
                if op == "push":
                    collection(path)
                write_config(repo, f"{dav}/{path}", **auth)
                return counted(tool, op, tool.cmd("push"), repo)
            return one

        def pull(tool: Tool) -> Callable[[int], float]:
            def one(i: int) -> float:
                repo = pull_repo(b, tool, b.source(tool, "tree", size), "tree",
                                 b.work / "w10" / f"pull-{tool.name}-{i}",
                                 f"{dav}/{tool.name}-{i}", **auth)
                t = counted(tool, "pull", tool.cmd("pull"), repo)
                if not (repo / data_name("tree")).exists():
                    msg = f"{repo}: pull did not restore {data_name('tree')}"
                    raise BenchError(msg)
                return t
            return one

        runs = b.sizes.s3_runs
        push_row = Row("W10", f"WebDAV push {desc}", target="≤ 1.1 × bare webdav4",
                       check=lambda r: r.dd_s <= 1.1 * r.base_s)
        noop_row = Row("W10", f"WebDAV push {desc}, remote has everything", target="≥ 3×",
                       check=lambda r: r.speedup >= 3)
        pull_row = Row("W10", f"WebDAV pull {desc}", target="≤ 1.1 × bare webdav4",
                       check=lambda r: r.dd_s <= 1.1 * r.base_s)
        b.measure(push_row, push, runs)
        b.measure(noop_row, lambda tool: push(tool, "noop"), runs)
        b.measure(pull_row, pull, runs)
        base_put, base_get = [], []
        for i in range(runs):
            bare = [sys.executable, str(HERE / "webdavbench.py")]
            base_put.append(timed([*bare, "put", url, str(src), f"bare-{i}"], b.work))
            base_get.append(timed([*bare, "get", url, str(src), f"bare-{i}",
                                   str(b.work / "w10" / f"bare-{i}")], b.work))
        push_row.base, pull_row.base = base_put, base_get
        b.physical.append((f"bare webdav4 PUT of {desc} (8 threads, own process) on wsgidav",
                           base_put))
        b.physical.append((f"bare webdav4 GET of {desc} (8 threads, own process) on wsgidav",
                           base_get))
        b.echo(f"  bare webdav4: PUT {min(base_put):.2f} s, GET {min(base_get):.2f} s")
    for op, moved in (("push", size + 1), ("noop", 0), ("pull", size + 1)):
        cells = [per_object(reqs[(t.name, op)][-1], moved) if (t.name, op) in reqs else "–"
                 for t in b.tools]
        label = {"push": f"WebDAV push {desc}", "noop": f"WebDAV push {desc}, nothing to do",
                 "pull": f"WebDAV pull {desc}"}[op]
        b.requests.append((label, cells[0], cells[1]))
        b.echo(f"  requests, {label}: dvcdoit {cells[0]}; dvc {cells[1]}")


def bare(argv: list[str]) -> None:
    """The baseline: one webdav4 client, 8 threads, one PUT (or GET) per file in DVC's layout.

    ``put`` makes ``files/md5/`` and each ``xx`` collection once (in parallel), then PUTs each
    file straight to its object name: the fewest requests a client can store DVC's layout
    with, with none of dvcdoit's guarantees (no temp name, no md5 check of the bytes sent).
    """
    import hashlib

    from webdav4.client import Client

    op, url = argv[0], argv[1]
    client = Client(url, auth=(USER, PASSWORD), retry=False)
    if op == "mkcol":
        client.mkdir(argv[2])
        return
    path = argv[3]
    files = {}
    for p in Path(argv[2]).rglob("*"):
        if p.is_file():
            md5 = hashlib.md5(p.read_bytes()).hexdigest()
            files[f"{path}/files/md5/{md5[:2]}/{md5[2:]}"] = p
    pool = ThreadPoolExecutor(8)
    if op == "put":
        for col in (path, f"{path}/files", f"{path}/files/md5"):
            client.mkdir(col)
        list(pool.map(client.mkdir, sorted({rel.rsplit("/", 1)[0] for rel in files})))

        def put(rel: str) -> None:
            with open(files[rel], "rb") as f:
                client.upload_fileobj(f, rel, overwrite=True)

        list(pool.map(put, files))
        return
    dest = Path(argv[4])
    dest.mkdir(parents=True)

    def get(rel: str) -> None:
        resp = client.http.get(client.join_url(rel))
        resp.raise_for_status()
        (dest / rel.rsplit("/", 1)[1]).write_bytes(resp.content)

    list(pool.map(get, files))


if __name__ == "__main__":
    bare(sys.argv[1:])
