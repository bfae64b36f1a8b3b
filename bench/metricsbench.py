"""Workload W14: ``metrics show -A`` over a history of 200 commits (issue 12).

One repo is made once (untimed): a ``dvc.yaml`` whose top-level ``metrics:`` names
``eval/metrics.json`` and ``eval/extra.yaml``, and 200 commits that each change them, built
with ``git fast-import`` so that making it takes a second. Both tools read the same repo;
their ``--json`` outputs are compared after the timed runs, so the ratio is between two
tools that gave the same answer.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from harness import BenchError, Row, Tool, run, timed
from workloads import Bench

COMMITS = 200


def _stream(n: int) -> bytes:
    """A ``git fast-import`` stream of ``n`` commits on ``master``, each new metrics."""
    out: list[bytes] = []
    pipeline = b"metrics:\n- eval/metrics.json\n- eval/extra.yaml\n"
    for i in range(n):
        metrics = json.dumps({"acc": round(0.5 + i / (4 * n), 6), "loss": {"train": i,
                              "test": i / 3}}).encode()
        extra = f"epoch: {i}\nlr: 0.0{i % 9 + 1}\n".encode()
        out.append(b"commit refs/heads/master\n")
        out.append(f"committer b <b@b> {1_700_000_000 + i * 60} +0000\n".encode())
        out.append(f"data {len(f'c{i}')}\nc{i}\n".encode())
        for path, data in ((b"dvc.yaml", pipeline), (b"eval/metrics.json", metrics),
                           (b"eval/extra.yaml", extra)):
            out.append(b"M 100644 inline " + path + f"\ndata {len(data)}\n".encode() + data + b"\n")
    return b"".join(out)


def template(b: Bench) -> Path:
    """The repo of W14 (made once)."""
    repo = b.work / "w14" / "history"
    if repo.exists():
        return repo
    b.new_repo(repo, b.dvc)
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=_stream(COMMITS),
                   check=True)
    run(["git", "checkout", "-q", "-f", "master"], repo)
    return repo


def w14_metrics(b: Bench) -> None:
    b.echo(f"W14: metrics show -A over {COMMITS} commits")
    repo = template(b)

    def fn(tool: Tool) -> Callable[[int], float]:
        def one(_: int) -> float:
            return timed(tool.cmd("metrics", "show", "-A"), repo, tool.env)
        return one

    b.measure(Row("W14", f"metrics show -A, {COMMITS} commits", target="≥ 5×",
                  check=lambda r: r.speedup >= 5), fn)
    answers = [json.loads(run(t.cmd("metrics", "show", "-A", "--json"), repo, t.env))
               for t in b.tools]
    if answers[0] != answers[1]:
        msg = f"{repo}: metrics show -A --json differs between dvcdoit and DVC"
        raise BenchError(msg)
