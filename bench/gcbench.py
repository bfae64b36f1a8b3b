"""Workload W8: ``gc -w -f`` of a cache of N objects of which half are used (issue 14).

One template repo is made once: a ``.dir`` manifest of N/2 members recorded by ``data.dvc``
(the used half) and N/2 more objects no ``.dvc`` file names (the unused half), written
straight into ``.dvc/cache/files/md5`` as read-only files (the data is not checked out: gc
reads only ``.dvc`` files and the cache). Every timed run gets its own copy (``cp -a``,
untimed), and the run is checked afterwards: exactly the manifest and its members are left.
gc deletes by nature, so W8 is the one workload that deletes while it is timed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from harness import BenchError, Row, Tool, run, timed
from workloads import Bench


def _write(cache: Path, data: bytes, suffix: str = "") -> str:
    oid = hashlib.md5(data).hexdigest() + suffix
    path = cache / oid[:2] / oid[2:]
    path.parent.mkdir(exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    os.write(fd, data)
    os.close(fd)
    return oid


def template(b: Bench, n: int) -> Path:
    """The repo every W8 run copies: N/2 used objects in one directory, N/2 unused (made once)."""
    repo = b.work / "w8" / f"template-{n}"
    if repo.exists():
        return repo
    b.new_repo(repo, b.dd)
    cache = repo / ".dvc" / "cache" / "files" / "md5"
    cache.mkdir(parents=True)
    used = n // 2
    entries = [{"md5": _write(cache, f"used object {i}\n".encode()),
                "relpath": f"d{i % 100:02d}/f{i}.txt"} for i in range(used)]
    for i in range(n - used):
        _write(cache, f"unused object {i}\n".encode())
    entries.sort(key=lambda e: e["relpath"])
    manifest = json.dumps(entries, sort_keys=True).encode()  # NOTE: DVC's .dir bytes
    dir_oid = _write(cache, manifest, ".dir")
    size = sum(len(f"used object {i}\n") for i in range(used))
    (repo / "data.dvc").write_text(
        f"outs:\n- md5: {dir_oid}\n  size: {size}\n  nfiles: {used}\n  hash: md5\n  path: data\n")
    (repo / ".gitignore").write_text("/data\n")
    return repo


def w8_gc(b: Bench) -> None:
    n = b.sizes.gc_objects
    b.echo(f"W8: gc -w of {n:,} objects, half of them used")
    src = template(b, n)

    def fn(tool: Tool) -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = b.work / "w8" / f"{tool.name}-{i}"
            run(["cp", "-a", str(src), str(repo)], b.work)
            t = timed(tool.cmd("gc", "-w", "-f"), repo, tool.env)
            left = sum(len(files) for _, _, files in os.walk(repo / ".dvc/cache/files/md5"))
            if left != n // 2 + 1:
                msg = f"{repo}: {left} objects left after gc, expected {n // 2 + 1}"
                raise BenchError(msg)
            return t
        return one

    b.measure(Row("W8", f"gc -w, {n:,} objects, half used", target="≥ 5×",
                  check=lambda r: r.speedup >= 5), fn)
