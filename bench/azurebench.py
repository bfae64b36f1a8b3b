"""W12: push and pull on Azure Blob Storage, against Azurite on loopback, requests counted.

Timed runs go straight to Azurite; then one more push, no-op push and pull per tool go
through the fault proxy of the tests (``tests/faults/s3proxy.FaultProxy``, no faults) to
count the HTTP requests per object moved. The baseline is a bare 8-thread loop over
azure-storage-blob moving the same files, as a program of its own (this file run as
``python bench/azurebench.py put|get CONNECTION_STRING SRC PREFIX [DEST]``), so that its time
includes start-up and ``import azure.storage.blob`` like the command-line tools.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness import ROOT, BenchError, Row, Tool, timed
from s3bench import per_object
from workloads import Bench, data_name, pull_repo, write_config

HERE = Path(__file__).resolve().parent
CONTAINER = "bench"


def w12_azure(b: Bench) -> None:
    """Push/pull ``s3_files`` small files with both tools and the bare loop; count requests."""
    from azure.storage.blob import BlobServiceClient

    if str(ROOT) not in sys.path:  # NOTE: Azurite's launcher and the proxy live in tests/
        sys.path.insert(0, str(ROOT))
    from tests.azureserver import AZURITE, azurite_process, connection_string, proxied
    from tests.faults.s3proxy import FaultProxy

    b.echo("W12: push and pull on Azure (Azurite on loopback)")
    if not AZURITE.exists():
        msg = f"Azurite is not installed at {AZURITE} (scripts/test.sh installs it)"
        raise BenchError(msg)
    with azurite_process(AZURITE) as endpoint:
        BlobServiceClient.from_connection_string(connection_string(endpoint)).create_container(
            CONTAINER)
        proxy = FaultProxy(endpoint)
        try:
            for kind, size in (("tree", b.sizes.s3_files), ("big", b.sizes.s3_big_mib)):
                azure_case(b, kind, size, connection_string(endpoint),
                           connection_string(proxied(proxy)), proxy)
        finally:
            proxy.close()


def azure_case(b: Bench, kind: str, size: int, conn: str, counted_conn: str, proxy: Any) -> None:
    """One case of W12 (``tree``: ``size`` small files; ``big``: one file of ``size`` MiB):
    timed rows, the bare baseline, then counted runs."""
    desc = f"{size:,} files" if kind == "tree" else f"a {size} MiB file"
    src = b.tree(size) if kind == "tree" else b.big_file(size)
    runs = b.sizes.s3_runs

    def url(tool: Tool, i: int | str) -> str:
        return f"azure://{CONTAINER}/{tool.name}-{kind}-{size}-{i}"

    def push(tool: Tool, via: str = conn, tag: str = "") -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = b.source(tool, kind, size)
            write_config(repo, url(tool, f"{tag}{i}"), connection_string=via)
            return timed(tool.cmd("push"), repo, tool.env)
        return one

    def pull(tool: Tool, via: str = conn, tag: str = "") -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = pull_repo(b, tool, b.source(tool, kind, size), kind,
                             b.work / "w12" / f"pull-{tool.name}-{kind}-{tag}{i}",
                             url(tool, f"{tag}{i}"), connection_string=via)
            t = timed(tool.cmd("pull"), repo, tool.env)
            if not (repo / data_name(kind)).exists():
                msg = f"{repo}: pull did not restore {data_name(kind)}"
                raise BenchError(msg)
            return t
        return one

    push_row = Row("W12", f"Azure push {desc}")
    noop_row = Row("W12", f"Azure push {desc}, remote has everything", target="≥ 3×",
                   check=lambda r: r.speedup >= 3)
    pull_row = Row("W12", f"Azure pull {desc}")
    for row in (push_row, pull_row):
        if kind == "tree":
            row.target, row.check = "≤ 1.1 × bare SDK", lambda r: r.dd_s <= 1.1 * r.base_s
        else:
            row.target, row.check = "no slower than DVC", lambda r: r.speedup >= 1 / 1.1
    b.measure(push_row, push, runs)
    b.measure(noop_row, push, runs)
    b.measure(pull_row, pull, runs)

    bare = [sys.executable, str(HERE / "azurebench.py")]
    for i in range(runs):
        pre = f"bare-{kind}-{i}"
        push_row.base.append(timed([*bare, "put", conn, str(src), pre], b.work))
        pull_row.base.append(timed([*bare, "get", conn, str(src), pre,
                                    str(b.work / "w12" / pre)], b.work))
    how = "8 threads" if kind == "tree" else "upload_blob/download_blob, max_concurrency 8"
    b.physical.append((f"bare azure-storage-blob PUT of {desc} ({how}, own process)",
                       push_row.base))
    b.physical.append((f"bare azure-storage-blob GET of {desc} ({how}, own process)",
                       pull_row.base))
    b.echo(f"  bare SDK: PUT {min(push_row.base):.2f} s, GET {min(pull_row.base):.2f} s")
    for name, ratio in (("push", push_row), ("pull", pull_row)):
        dd, dvc = ratio.dd_median, ratio.dvc_median
        if dd and dvc:
            b.echo(f"  {name}: dvcdoit {dd:.2f} s, dvc {dvc:.2f} s, dvc/dvcdoit {dvc / dd:.2f}×, "
                   f"dvcdoit/bare {dd / min(ratio.base):.2f}×")
    count_requests(b, proxy, push, pull, counted_conn, size + 1 if kind == "tree" else 1, desc)


def count_requests(b: Bench, proxy: Any, push: Any, pull: Any, via: str, objects: int,
                   desc: str) -> None:
    """One push, no-op push and pull per tool through ``proxy``; requests per object."""
    for op, moved in (("push", objects), ("noop", 0), ("pull", objects)):
        cells = []
        for tool in b.tools:
            proxy.clear()
            (pull if op == "pull" else push)(tool, via, "counted-")(0)
            cells.append(per_object({**proxy.counts, "total": proxy.total}, moved))
        label = {"push": f"Azure push {desc}", "noop": f"Azure push {desc}, nothing to do",
                 "pull": f"Azure pull {desc}"}[op]
        b.requests.append((label, cells[0], cells[1]))
        b.echo(f"  requests, {label}: dvcdoit {cells[0]}; dvc {cells[1]}")


# -- the bare baseline, as its own process --------------------------------------------------
def bare(argv: list[str]) -> None:
    """``put CONN SRC PREFIX``: one Put Blob per file; ``get CONN SRC PREFIX DEST``: one Get
    Blob per file of SRC; 8 threads, one shared ContainerClient. A single file SRC goes
    through the SDK's own parallel ``upload_blob``/``download_blob`` (8 connections)."""
    from azure.storage.blob import ContainerClient

    op, conn, src, prefix = argv[0], argv[1], Path(argv[2]), argv[3]
    client = ContainerClient.from_connection_string(conn, CONTAINER)
    if src.is_file():
        name = f"{prefix}/big"
        if op == "put":
            with open(src, "rb") as f:
                client.upload_blob(name, f, overwrite=True, max_concurrency=8)
            return
        Path(argv[4]).mkdir(parents=True)
        with open(Path(argv[4]) / "big", "wb") as f:
            client.download_blob(name, max_concurrency=8).readinto(f)
        return
    files = [p for p in src.rglob("*") if p.is_file()]
    if op == "put":
        def put(p: Path) -> None:
            client.upload_blob(f"{prefix}/{p.relative_to(src)}", p.read_bytes(), overwrite=True)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(put, files))
        return
    dest = Path(argv[4])

    def get(p: Path) -> None:
        rel = p.relative_to(src)
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(client.download_blob(f"{prefix}/{rel}").readall())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(get, files))


if __name__ == "__main__":
    bare(sys.argv[1:])
