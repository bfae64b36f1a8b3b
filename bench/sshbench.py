"""W9: push and pull on SSH, against asyncssh's SFTP server on loopback, requests counted there.

The server is the test suite's (tests/sshserver.py: a subprocess, host and user keys made
for the run, every SFTP request counted by type). Both tools log in with the user key; the
HOME they run with trusts the server's host key (dvcdoit checks it, DVC does not). Each case
records times next to a bare 8-in-flight asyncssh loop moving the same bytes
(bench/sshbare.py), the SFTP requests per object moved, and a push with nothing to do.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from harness import BenchError, Row, Tool, timed
from s3bench import per_object
from workloads import Bench, data_name, pull_repo, write_config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # NOTE: for tests.sshserver, the one test server

from tests.sshserver import USER, SSHServer, ssh_process


def w9_ssh(b: Bench) -> None:
    b.echo("W9: push and pull on SSH (asyncssh SFTP server on loopback)")
    with ssh_process(b.work / "w9" / "server") as server:
        home = b.work / "w9" / "home"
        (home / ".ssh").mkdir(parents=True)
        (home / ".ssh" / "known_hosts").write_text(server.host_key_line())
        for kind, size in (("tree", b.sizes.s3_files), ("big", b.sizes.s3_big_mib)):
            ssh_case(b, server, home, kind, size)


def ssh_case(b: Bench, server: SSHServer, home: Path, kind: str, size: int) -> None:
    desc = f"{size:,} files" if kind == "tree" else f"a {size} MiB file"
    objects = size + 1 if kind == "tree" else 1
    src = b.tree(size) if kind == "tree" else b.big_file(size)
    runs = b.sizes.s3_runs
    reqs: dict[tuple[str, str], list[dict[str, int]]] = {}
    key = str(server.user_key)

    def url(tool: Tool, i: int) -> str:
        return f"ssh://{USER}@127.0.0.1:{server.port}/{tool.name}-{kind}-{size}-{i}"

    def counted(tool: Tool, op: str, argv: list[str], repo: Path) -> float:
        server.counts(reset=True)
        t = timed(argv, repo, {**tool.env, "HOME": str(home)})
        got = server.counts()
        reqs.setdefault((tool.name, op), []).append(
            {k: v for k, v in got.items() if k not in ("connections", "sessions")})
        return t

    def push(tool: Tool, op: str = "push") -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = b.source(tool, kind, size)
            write_config(repo, url(tool, i), keyfile=key)
            return counted(tool, op, tool.cmd("push"), repo)
        return one

    def pull(tool: Tool) -> Callable[[int], float]:
        def one(i: int) -> float:
            repo = pull_repo(b, tool, b.source(tool, kind, size), kind,
                             b.work / "w9" / f"pull-{tool.name}-{kind}-{size}-{i}",
                             url(tool, i), keyfile=key)
            t = counted(tool, "pull", tool.cmd("pull"), repo)
            if not (repo / data_name(kind)).exists():
                msg = f"{repo}: pull did not restore {data_name(kind)}"
                raise BenchError(msg)
            return t
        return one

    push_row = Row("W9", f"SSH push {desc}")
    noop_row = Row("W9", f"SSH push {desc}, remote has everything", target="≥ 3×",
                   check=lambda r: r.speedup >= 3)
    pull_row = Row("W9", f"SSH pull {desc}")
    push_row.target = pull_row.target = "≤ 1.1 × bare asyncssh"
    push_row.check = pull_row.check = lambda r: r.dd_s <= 1.1 * r.base_s
    b.measure(push_row, push, runs)
    b.measure(noop_row, lambda tool: push(tool, "noop"), runs)
    b.measure(pull_row, pull, runs)

    base_put: list[float] = []
    base_get: list[float] = []
    bare = [sys.executable, str(HERE / "sshbare.py")]
    for i in range(runs):
        where = f"/bare-{kind}-{size}-{i}"
        base_put.append(timed([*bare, "put", str(server.port), key, str(src), where], b.work))
        base_get.append(timed([*bare, "get", str(server.port), key, str(src), where,
                               str(b.work / "w9" / f"bare-{kind}-{size}-{i}")], b.work))
    push_row.base = base_put
    pull_row.base = base_get
    b.physical.append((f"bare asyncssh put of {desc} (8 in flight, own process)", base_put))
    b.physical.append((f"bare asyncssh get of {desc} (8 in flight, own process)", base_get))
    b.echo(f"  bare asyncssh: put {min(base_put):.2f} s, get {min(base_get):.2f} s")
    for op, moved in (("push", objects), ("noop", 0), ("pull", objects)):
        cells = []
        for tool in b.tools:
            got = reqs.get((tool.name, op))
            cells.append(per_object(got[-1], moved) if got else "–")
        label = {"push": f"SSH push {desc}", "noop": f"SSH push {desc}, nothing to do",
                 "pull": f"SSH pull {desc}"}[op]
        b.requests.append((label, cells[0], cells[1]))
        b.echo(f"  SFTP requests, {label}: dvcdoit {cells[0]}; dvc {cells[1]}")
