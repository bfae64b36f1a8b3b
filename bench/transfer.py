"""push/pull: dvcdoit against real DVC 3.67.1 on a local-directory remote and on moto S3.

    python bench/transfer.py                     # local 20,000 files + S3 2,000 files
    python bench/transfer.py --only local --files 5000 --runs 3
    python bench/transfer.py --only s3 --s3-files 20000      # the full S3 size
    python bench/transfer.py --only big --big-mib 1024        # 1 GiB file on S3 (and local)

Every timed command runs in a directory of its own: nothing is deleted while timing (this
disk is up to 15x slower at creating files soon after many were deleted); the work dir is
removed at the end unless ``--keep``. dvcdoit and DVC alternate run by run (the order flips
every run) and medians are compared. S3 runs against ``bench/s3server.py`` (moto's server
app with a request counter), so requests per object moved are counted at the server; the
baseline is ``bench/s3bare.py``, a bare 8-thread boto3 loop in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from harness import make_tree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BUCKET = "bench"  # NOTE: fixed by bench/s3bare.py
ENV = {**os.environ, "DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1",
       "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1", "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
       "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x",
       "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
TOOLS = {"dvcdoit": [sys.executable, "-m", "dvcdoit"]}


@dataclass
class Row:
    """One measured workload: times per tool, request counts, an optional baseline."""

    label: str
    objects: int = 0
    times: dict[str, list[float]] = field(default_factory=dict)
    reqs: dict[str, list[int]] = field(default_factory=dict)
    base: list[float] = field(default_factory=list)

    def med(self, tool: str) -> float | None:
        t = self.times.get(tool)
        return statistics.median(t) if t else None

    def line(self) -> str:
        dd, dvc = self.med("dvcdoit"), self.med("dvc")
        out = f"{self.label:<44} dvcdoit {_s(dd):>8}  dvc {_s(dvc):>8}"
        out += f"  dvc/dvcdoit {dvc / dd:5.2f}x" if dd and dvc else "  dvc/dvcdoit     -"
        if self.base:
            b = statistics.median(self.base)
            out += f"  bare boto3 {_s(b)} (dvcdoit/bare {dd / b:.2f})" if dd else ""
        for tool in ("dvcdoit", "dvc"):
            if self.reqs.get(tool):
                n = statistics.median(self.reqs[tool])
                per = f" = {n / self.objects:.3f}/object" if self.objects else ""
                out += f"  req[{tool}] {n:.0f}{per}"
        return out


def _s(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f} s"


def run(argv: list[str], cwd: Path) -> float:
    """Run ``argv`` in ``cwd``; return wall seconds; raise SystemExit with the tail on failure."""
    t = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t
    if proc.returncode:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        msg = f"`{' '.join(argv)}` in {cwd} exited {proc.returncode}: {tail}"
        raise SystemExit(msg)
    return dt


def make_big(path: Path, mib: int) -> Path:
    """A file of ``mib`` MiB of random bytes (made once)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.writelines(os.urandom(1 << 20) for _ in range(mib))
    return path


def new_repo(path: Path, tool: str) -> Path:
    path.mkdir(parents=True)
    run(["git", "init", "-q", "."], path)
    run([*TOOLS[tool], "init", "-q"] if tool == "dvc" else [*TOOLS[tool], "init"], path)
    return path


def set_remote(repo: Path, url: str, endpoint: str | None = None) -> None:
    lines = ["[core]", "    remote = bench", "['remote \"bench\"']", f"    url = {url}"]
    if endpoint:
        lines.append(f"    endpointurl = {endpoint}")
    (repo / ".dvc" / "config").write_text("\n".join(lines) + "\n")


def alternate(runs: int, fn: Callable[[str, int], float], row: Row) -> Row:
    """``fn(tool, i)`` for each run, dvcdoit and dvc in turn, the order flipping every run."""
    for i in range(runs):
        order = ["dvcdoit", "dvc"] if i % 2 == 0 else ["dvc", "dvcdoit"]
        for tool in order:
            row.times.setdefault(tool, []).append(fn(tool, i))
    print("  " + row.line(), flush=True)
    return row


class Case:
    """A dataset added by each tool once (untimed), pushed and pulled in fresh directories."""

    def __init__(self, work: Path, name: str, data: Path) -> None:
        self.work = work / name
        self.name = name
        self.data = data
        self.src: dict[str, Path] = {}
        for tool, argv in TOOLS.items():
            repo = new_repo(self.work / f"src-{tool}", tool)
            target = repo / "data"
            if data.is_dir():
                subprocess.run(["cp", "-r", str(data), str(target)], check=True)
            else:
                shutil.copyfile(data, target)
            run([*argv, "add", "data"], repo)
            self.src[tool] = repo

    def push(self, tool: str, url: str, endpoint: str | None = None) -> float:
        repo = self.src[tool]
        set_remote(repo, url, endpoint)
        return run([*TOOLS[tool], "push"], repo)

    def pull(self, tool: str, url: str, tag: str, endpoint: str | None = None) -> float:
        repo = new_repo(self.work / f"pull-{tool}-{tag}", tool)
        shutil.copyfile(self.src[tool] / "data.dvc", repo / "data.dvc")
        set_remote(repo, url, endpoint)
        t = run([*TOOLS[tool], "pull"], repo)
        if not (repo / "data").exists():
            msg = f"{repo}: pull did not restore data"
            raise SystemExit(msg)
        return t


def local_bench(work: Path, case: Case, runs: int) -> list[Row]:
    """Push to a fresh directory remote, then pull from it into a fresh clone."""
    label = case.name
    push = alternate(runs, lambda tool, i: case.push(tool, str(work / "remotes" /
                                                               f"{label}-{tool}-{i}")),
                     Row(f"local push {label}"))
    pull = alternate(runs, lambda tool, i: case.pull(tool, str(work / "remotes" /
                                                               f"{label}-{tool}-{i}"), str(i)),
                     Row(f"local pull {label}"))
    return [push, pull]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[str]:
    """bench/s3server.py on a free loopback port (stopped by its PID); yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, str(HERE / "s3server.py"), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                counts(url)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        import boto3

        boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                     aws_access_key_id="testing", aws_secret_access_key="testing"
                     ).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def counts(url: str, reset: bool = False) -> int:
    """Requests counted by the server since the last reset (``reset`` zeroes them)."""
    path = "reset" if reset else "counts"
    req = urllib.request.Request(f"{url}/__bench__/{path}", method="POST" if reset else "GET")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return int(json.load(resp)["total"])


def s3_bench(work: Path, url: str, case: Case, runs: int, objects: int) -> list[Row]:
    """Push, push again (nothing to do), pull; requests counted; bare boto3 loop as baseline."""
    label = case.name
    push, noop, pull = (Row(f"S3 push {label}", objects), Row(f"S3 push {label}, nothing to do"),
                        Row(f"S3 pull {label}", objects))

    def counted(row: Row, tool: str, fn: Callable[[], float]) -> float:
        counts(url, reset=True)
        t = fn()
        row.reqs.setdefault(tool, []).append(counts(url))
        return t

    def rurl(tool: str, i: int) -> str:
        return f"s3://{BUCKET}/{label}-{tool}-{i}"

    alternate(runs, lambda tool, i: counted(push, tool, lambda: case.push(tool, rurl(tool, i),
                                                                          url)), push)
    alternate(runs, lambda tool, i: counted(noop, tool, lambda: case.push(tool, rurl(tool, i),
                                                                          url)), noop)
    alternate(runs, lambda tool, i: counted(pull, tool, lambda: case.pull(
        tool, rurl(tool, i), f"s3-{i}", url)), pull)
    bare = [sys.executable, str(HERE / "s3bare.py")]
    for i in range(runs):
        pre = f"bare-{label}-{i}"
        push.base.append(run([*bare, "put", url, str(case.data), pre], work))
        pull.base.append(run([*bare, "get", url, str(case.data), pre,
                              str(work / case.name / f"bare-get-{i}")], work))
    for row in (push, pull):
        print("  " + row.line(), flush=True)
    return [push, noop, pull]


def main() -> None:
    """Parse options, build the data, run the chosen parts, print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="local,s3", help="comma list of: local, s3, big")
    p.add_argument("--files", type=int, default=20000, help="small files, local remote")
    p.add_argument("--s3-files", type=int, default=2000, help="small files on S3")
    p.add_argument("--big-mib", type=int, default=1024, help="size of the big file (big)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--s3-runs", type=int, default=2)
    p.add_argument("--workdir", type=Path, default=ROOT / "bench" / "work-transfer")
    p.add_argument("--dvc", default=os.environ.get("DVCDOIT_DVC_BIN", "/root/venvs/dvc/bin/dvc"))
    p.add_argument("--keep", action="store_true", help="keep the work dir")
    args = p.parse_args()
    TOOLS["dvc"] = [args.dvc]
    only = set(args.only.split(","))
    work: Path = args.workdir.resolve()
    if work.exists():  # NOTE: moved aside, not deleted: see the module docstring
        work.rename(work.with_name(f"{work.name}.old-{int(time.time())}"))
    work.mkdir(parents=True)
    rows: list[Row] = []
    try:
        if "local" in only:
            print(f"local remote, {args.files:,} files of 1-4 KiB", flush=True)
            case = Case(work, f"{args.files}-files", make_tree(work / "data" / "tree", args.files))
            rows += local_bench(work, case, args.runs)
        if "s3" in only or "big" in only:
            with s3_server() as url:
                if "s3" in only:
                    print(f"S3 (moto), {args.s3_files:,} files of 1-4 KiB", flush=True)
                    data = make_tree(work / "data" / f"s3tree-{args.s3_files}", args.s3_files)
                    case = Case(work, f"{args.s3_files}-files-s3", data)
                    rows += s3_bench(work, url, case, args.s3_runs, args.s3_files + 1)
                if "big" in only:
                    print(f"S3 (moto) and local, a {args.big_mib} MiB file", flush=True)
                    big = make_big(work / "data" / "big.bin", args.big_mib)
                    case = Case(work, f"{args.big_mib}MiB", big)
                    rows += s3_bench(work, url, case, args.s3_runs, 1)
                    rows += local_bench(work, case, args.runs)
    finally:
        print("\nsummary (medians; ratio = dvc / dvcdoit, > 1 means dvcdoit is faster)")
        for row in rows:
            print(row.line())
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
