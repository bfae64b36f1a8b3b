"""W6: push and pull on S3, against moto's server on loopback, with requests counted there.

moto is slow per request, so time alone cannot show a better client. Each case therefore
records three things: times next to a bare 8-thread boto3 loop moving the same bytes, the
HTTP requests per object moved (counted by bench/s3server.py), and a push with nothing to do.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import BASE_ENV, BenchError, Row, Tool, timed
from workloads import Bench, data_name, pull_repo, write_config

BUCKET = "bench"
HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def bench_server(argv: list[str], url: str, probe: Callable[[str], object], name: str,
                 **popen: Any) -> Iterator[str]:
    """Run the server ``argv`` until ``probe(url)`` answers; yield ``url``; stop it by its PID."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe(url)
                break
            except OSError as exc:
                if time.monotonic() > deadline or proc.poll() is not None:
                    msg = f"the {name} did not start on {url}"
                    raise BenchError(msg) from exc
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def s3_server() -> Iterator[str]:
    """Start bench/s3server.py on a free loopback port; yield its URL; stop it by its PID."""
    port = free_port()
    with bench_server([sys.executable, str(HERE / "s3server.py"), "--port", str(port)],
                      f"http://127.0.0.1:{port}", counts, "S3 server") as url:
        yield url


def counts(url: str, reset: bool = False) -> dict[str, int]:
    """The server's request counts; with ``reset``, zero them."""
    if reset:
        req = urllib.request.Request(f"{url}/__bench__/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return dict(json.load(resp))
    with urllib.request.urlopen(f"{url}/__bench__/counts", timeout=10) as resp:
        return dict(json.load(resp))


def client(url: str) -> Any:
    import boto3
    from botocore.config import Config

    os.environ.update({k: v for k, v in BASE_ENV.items() if k.startswith("AWS_")})
    return boto3.client("s3", endpoint_url=url, config=Config(max_pool_connections=16))


def drop_prefix(s3: Any, prefix: str) -> None:
    """Free moto's memory after a run (untimed)."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        for k in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=BUCKET, Delete={"Objects": keys[k:k + 1000]})


def w6_s3(b: Bench) -> None:
    b.echo("W6: push and pull on S3 (moto server on loopback)")
    with s3_server() as url:
        s3 = client(url)
        s3.create_bucket(Bucket=BUCKET)
        for kind, size in (("tree", b.sizes.s3_files), ("big", b.sizes.s3_big_mib)):
            s3_case(b, url, s3, kind, size)


def s3_case(b: Bench, url: str, s3: Any, kind: str, size: int) -> None:
    desc = f"{size:,} files" if kind == "tree" else f"a {size} MiB file"
    objects = size + 1 if kind == "tree" else 1
    src = b.tree(size) if kind == "tree" else b.big_file(size)
    runs = b.sizes.s3_runs
    reqs: dict[tuple[str, str], list[dict[str, int]]] = {}

    def prefix(tool: Tool, i: int) -> str:
        return f"{tool.name}-{kind}-{size}-{i}"

    def counted(tool: Tool, op: str, argv: list[str], repo: Path) -> float:
        counts(url, reset=True)
        t = timed(argv, repo, tool.env)
        reqs.setdefault((tool.name, op), []).append(counts(url))
        return t

    def push(tool: Tool, op: str = "push") -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = b.source(tool, kind, size)
            write_config(repo, f"s3://{BUCKET}/{prefix(tool, i)}", endpointurl=url)
            return counted(tool, op, tool.cmd("push"), repo)
        return one

    def pull(tool: Tool) -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = pull_repo(b, tool, b.source(tool, kind, size), kind,
                             b.work / "w6" / f"pull-{prefix(tool, i)}",
                             f"s3://{BUCKET}/{prefix(tool, i)}", endpointurl=url)
            t = counted(tool, "pull", tool.cmd("pull"), repo)
            if not (repo / data_name(kind)).exists():
                msg = f"{repo}: pull did not restore {data_name(kind)}"
                raise BenchError(msg)
            return t
        return one

    push_row = Row("W6", f"S3 push {desc}")
    noop_row = Row("W6", f"S3 push {desc}, remote has everything", target="≥ 3×",
                   check=lambda r: r.speedup >= 3)
    pull_row = Row("W6", f"S3 pull {desc}")
    if kind == "tree":
        push_row.target = pull_row.target = "≤ 1.1 × bare boto3"
        push_row.check = pull_row.check = lambda r: r.dd_s <= 1.1 * r.base_s
    else:
        push_row.target = pull_row.target = "no slower than DVC"
        push_row.check = pull_row.check = lambda r: r.speedup >= 1 / 1.1
    b.measure(push_row, push, runs)
    b.measure(noop_row, lambda tool: push(tool, "noop"), runs)
    b.measure(pull_row, pull, runs)

    base_put: list[float] = []
    base_get: list[float] = []
    for i in range(runs):
        pre = f"bare-{kind}-{size}-{i}"
        bare = [sys.executable, str(HERE / "s3bare.py")]
        base_put.append(timed([*bare, "put", url, str(src), pre], b.work))
        base_get.append(timed([*bare, "get", url, str(src), pre,
                               str(b.work / "w6" / f"bare-{kind}-{size}-{i}")], b.work))
        if kind == "big":
            for tool in b.tools:
                drop_prefix(s3, prefix(tool, i))
            drop_prefix(s3, pre)
    push_row.base = base_put
    pull_row.base = base_get
    how = "8-thread loop" if kind == "tree" else "upload_file/download_file"
    b.physical.append((f"bare boto3 PUT of {desc} ({how}, own process) on moto", base_put))
    b.physical.append((f"bare boto3 GET of {desc} ({how}, own process) on moto", base_get))
    b.echo(f"  bare boto3: PUT {min(base_put):.2f} s, GET {min(base_get):.2f} s")
    for op, moved in (("push", objects), ("noop", 0), ("pull", objects)):
        cells = []
        for tool in b.tools:
            got = reqs.get((tool.name, op))
            cells.append(per_object(got[-1], moved) if got else "–")
        label = {"push": f"push {desc}", "noop": f"push {desc}, nothing to do",
                 "pull": f"pull {desc}"}[op]
        b.requests.append((label, cells[0], cells[1]))
        b.echo(f"  requests, {label}: dvcdoit {cells[0]}; dvc {cells[1]}")


def per_object(c: dict[str, int], moved: int) -> str:
    """``N (GET a, PUT b, …) = x per object`` for one counted command."""
    total = c.get("total", 0)
    detail = ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if k != "total")
    ratio = f" = {total / moved:.3f} per object" if moved else ""
    return f"{total} ({detail}){ratio}"
