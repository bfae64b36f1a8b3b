"""W11: push and pull on Google Cloud Storage, against gcp-storage-emulator on loopback.

The emulator serves one request at a time, so time alone cannot show a better client. Each
case therefore records three things, as W6 does for S3: times next to a bare 8-thread
google-cloud-storage loop moving the same bytes with the same client settings
(bench/gsbare.py), the HTTP requests per object moved (counted at the server by
bench/gsserver.py), and a push with nothing to do.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import BenchError, Row, Tool, timed
from s3bench import bench_server, counts, free_port, per_object
from workloads import Bench, data_name, pull_repo, write_config

BUCKET = "bench"
HERE = Path(__file__).resolve().parent
GS_ENV = {"NO_GCE_CHECK": "true"}  # NOTE: gcsfs' credential search must not probe the metadata server


@contextmanager
def gs_server() -> Iterator[str]:
    """Start bench/gsserver.py on a free loopback port; yield its URL; stop it by its PID."""
    port = free_port()
    with bench_server([sys.executable, str(HERE / "gsserver.py"), "--port", str(port)],
                      f"http://127.0.0.1:{port}", counts, "GCS emulator") as url:
        yield url


def w11_gs(b: Bench) -> None:
    b.echo("W11: push and pull on GCS (gcp-storage-emulator on loopback)")
    with gs_server() as url:
        for kind, size in (("tree", b.sizes.s3_files), ("big", b.sizes.s3_big_mib)):
            gs_case(b, url, kind, size)


def gs_case(b: Bench, url: str, kind: str, size: int) -> None:
    desc = f"{size:,} files" if kind == "tree" else f"a {size} MiB file"
    objects = size + 1 if kind == "tree" else 1
    src = b.tree(size) if kind == "tree" else b.big_file(size)
    runs = b.sizes.s3_runs
    reqs: dict[tuple[str, str], list[dict[str, int]]] = {}

    def prefix(tool: Tool, i: int) -> str:
        return f"{tool.name}-{kind}-{size}-{i}"

    def counted(tool: Tool, op: str, repo: Path) -> float:
        counts(url, reset=True)
        t = timed(tool.cmd("pull" if op == "pull" else "push"), repo, {**tool.env, **GS_ENV})
        reqs.setdefault((tool.name, op), []).append(counts(url))
        return t

    def push(tool: Tool, op: str = "push") -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = b.source(tool, kind, size)
            write_config(repo, f"gs://{BUCKET}/{prefix(tool, i)}", endpointurl=url)
            return counted(tool, op, repo)
        return one

    def pull(tool: Tool) -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = pull_repo(b, tool, b.source(tool, kind, size), kind,
                             b.work / "w11" / f"pull-{prefix(tool, i)}",
                             f"gs://{BUCKET}/{prefix(tool, i)}", endpointurl=url)
            t = counted(tool, "pull", repo)
            if not (repo / data_name(kind)).exists():
                msg = f"{repo}: pull did not restore {data_name(kind)}"
                raise BenchError(msg)
            return t
        return one

    push_row = Row("W11", f"GCS push {desc}")
    noop_row = Row("W11", f"GCS push {desc}, remote has everything", target="≥ 3×",
                   check=lambda r: r.speedup >= 3)
    pull_row = Row("W11", f"GCS pull {desc}")
    if kind == "tree":
        push_row.target = pull_row.target = "≤ 1.1 × bare google-cloud-storage"
        push_row.check = pull_row.check = lambda r: r.dd_s <= 1.1 * r.base_s
    else:
        push_row.target = pull_row.target = "no slower than DVC"
        push_row.check = pull_row.check = lambda r: r.speedup >= 1 / 1.1
    b.measure(push_row, push, runs)
    b.measure(noop_row, lambda tool: push(tool, "noop"), runs)
    b.measure(pull_row, pull, runs)

    push_row.base, pull_row.base = bare_loop(b, url, kind, size, src, runs)
    report_requests(b, reqs, desc, objects)


def bare_loop(b: Bench, url: str, kind: str, size: int, src: Path,
              runs: int) -> tuple[list[float], list[float]]:
    """Time bench/gsbare.py's upload and download of ``src``; return both lists of times."""
    base_put: list[float] = []
    base_get: list[float] = []
    for i in range(runs):
        pre = f"bare-{kind}-{size}-{i}"
        bare = [sys.executable, str(HERE / "gsbare.py")]
        base_put.append(timed([*bare, "put", url, str(src), pre], b.work))
        base_get.append(timed([*bare, "get", url, str(src), pre,
                               str(b.work / "w11" / f"bare-{kind}-{size}-{i}")], b.work))
    desc = f"{size:,} files" if kind == "tree" else f"a {size} MiB file"
    how = "8-thread loop" if kind == "tree" else "upload_from_filename/download_to_filename"
    for what, times in (("upload", base_put), ("download", base_get)):
        label = f"bare google-cloud-storage {what} of {desc} ({how}, own process) on the emulator"
        b.physical.append((label, times))
    b.echo(f"  bare google-cloud-storage: upload {min(base_put):.2f} s, "
           f"download {min(base_get):.2f} s")
    return base_put, base_get


def report_requests(b: Bench, reqs: dict[tuple[str, str], list[dict[str, int]]], desc: str,
                    objects: int) -> None:
    """Add the requests per object of each tool's last push, no-op push and pull."""
    for op, moved in (("push", objects), ("noop", 0), ("pull", objects)):
        cells = []
        for tool in b.tools:
            got = reqs.get((tool.name, op))
            cells.append(per_object(got[-1], moved) if got else "–")
        label = {"push": f"GCS push {desc}", "noop": f"GCS push {desc}, nothing to do",
                 "pull": f"GCS pull {desc}"}[op]
        b.requests.append((label, cells[0], cells[1]))
        b.echo(f"  requests, {label}: dvcdoit {cells[0]}; dvc {cells[1]}")
