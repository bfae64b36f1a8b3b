"""The kill -9 fault engine: SIGKILL a dvcdoit command at seeded random points, then check.

For each operation a template repo is built once, and the command is run once uninterrupted
on a copy of it, which gives its normal duration and the *reference* end state. Each kill
point then copies the template, starts the command in its own process group, SIGKILLs the
group after a delay drawn uniformly across that normal duration (seeded), and checks:

* ``object-name``: every object in the cache and on the remote is named by the md5 of its
  bytes, and every ``.dir`` object parses as a manifest;
* ``remote-dir-incomplete``: a ``.dir`` on the remote implies all its members are there;
* ``torn-metadata``: every ``.dvc`` file, ``dvc.lock``, ``.gitignore`` and ``.dvc/config`` is
  byte-identical to its old version or to the reference new one;
* ``rerun-failed``: re-running the same command succeeds, with no manual step;
* ``debris``: after the re-run no temp file is left anywhere (workspace, cache, remote), no
  S3 multipart upload and no upload-ledger entry;
* ``state-differs``: the re-run ends where the uninterrupted run ended (metadata bytes,
  workspace files, cache and remote object sets);
* ``status-dirty`` / ``dvc-status-dirty``: ``dvcdoit status`` and real DVC's ``dvc status``
  report everything up to date.

Everything runs in real processes against real directories and, for S3, a real moto server.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.faults.dataset import TRAIN, Sizes, write_data
from tests.faults.state import (
    S3Side,
    check_objects,
    dir_members_missing,
    metadata_files,
    objects,
    temps_below,
    workspace_files,
)

ENV = {"DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1", "GIT_AUTHOR_NAME": "t",
       "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
       "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
       "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "testing"}
UP_TO_DATE = "Data and pipelines are up to date."
KINDS = ("object-name", "remote-dir-incomplete", "torn-metadata", "rerun-failed", "debris",
         "state-differs", "status-dirty", "dvc-status-dirty", "gc-lost-kept")
def dvcdoit_argv(*args: str) -> list[str]:
    """The dvcdoit command line run by this interpreter."""
    return [sys.executable, "-m", "dvcdoit", *args]


def run(argv: list[str], cwd: Path, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run a command to its end; raise with its output when ``check`` and it fails."""
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **ENV}, check=False)
    if check and proc.returncode != 0:
        msg = f"{' '.join(argv)} failed ({proc.returncode}) in {cwd}:\n{proc.stdout}{proc.stderr}"
        raise AssertionError(msg)
    return proc


__all__ = ["KINDS", "Killer", "Report", "S3Side", "Scenario", "Sizes", "check_objects",
           "default_dvc", "dir_members_missing", "json_report", "objects", "temps_below"]


@dataclass
class Scenario:
    """One operation under test: how to build its template, its command, where its remote is."""

    name: str
    build: Callable[[Path], None]
    argv: list[str]
    remote: str = "none"  # "none" | "local" | "s3"
    checks_remote: bool = False  # the command writes the remote (push)


@dataclass
class Reference:
    """The end state of an uninterrupted run of a scenario, and how long the run took."""

    duration: float
    after_meta: dict[str, bytes]
    workspace: dict[str, str]
    cache: set[str]
    remote: set[str]


@dataclass
class Report:
    """What a fault run found: counts, and each violation with its point and detail."""

    tried: int = 0
    killed: int = 0
    finished: int = 0
    manual: int = 0
    debris: int = 0
    violations: list[tuple[str, str, str]] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    per_op: Counter[str] = field(default_factory=Counter)

    def by_kind(self) -> dict[str, int]:
        """Violations counted by kind (every kind listed, zeros included)."""
        counts = Counter(k for k, _, _ in self.violations)
        return {k: counts.get(k, 0) for k in KINDS}

    def lines(self) -> list[str]:
        """The figures, one per line, as ``python -m tests.faults`` prints them."""
        out = [f"points tried: {self.tried}",
               f"processes actually killed: {self.killed} (finished before the kill: {self.finished})",
               "points per operation: " + ", ".join(f"{k} {v}" for k, v in sorted(self.per_op.items())),
               "normal durations: " + ", ".join(f"{k} {v:.2f}s" for k, v in sorted(self.durations.items())),
               f"violations: {len(self.violations)}"]
        out += [f"  {k}: {n}" for k, n in self.by_kind().items()]
        out += [f"manual recoveries: {self.manual}", f"debris left after re-runs: {self.debris}"]
        out += [f"  VIOLATION {k} at {where}: {detail}" for k, where, detail in self.violations[:50]]
        return out


class Killer:
    """Builds the scenarios' templates under ``work`` and runs kill points against them."""

    def __init__(self, work: Path, sizes: Sizes, s3: S3Side | None = None,
                 dvc_bin: str | None = None) -> None:
        self.work = work
        self.sizes = sizes
        self.s3 = s3
        self.dvc_bin = dvc_bin
        self.templates: dict[str, Path] = {}
        self.refs: dict[str, Reference] = {}
        self._n = 0

    # -- building ----------------------------------------------------------------------
    def _fresh(self, name: str) -> Path:
        root = self.work / "templates" / name
        root.mkdir(parents=True)
        run(["git", "init", "-q", str(root)], self.work)
        run(dvcdoit_argv("init"), root)
        return root

    def _remote_url(self, kind: str, root: Path) -> str:
        self._n += 1
        if kind == "s3":
            return f"s3://{self.s3.bucket if self.s3 else 'none'}/p{self._n}"
        return str(root.parent / f"{root.name}-remote")

    def set_remote(self, root: Path, kind: str) -> str:
        """Point the repo at a fresh remote location (a dir inside ``root``, or an S3 prefix)."""
        url = self._remote_url(kind, root)
        text = f"[core]\n    remote = r\n['remote \"r\"']\n    url = {url}\n"
        if kind == "s3" and self.s3 is not None:
            text += f"    endpointurl = {self.s3.endpoint}\n"
        (root / ".dvc" / "config").write_text(text)
        return url

    def scenarios(self, names: list[str] | None = None) -> list[Scenario]:
        """The operations: add, re-add, repro, repro-param, push, pull, s3-push, s3-pull, gc."""
        add = dvcdoit_argv("add", "data")
        all_ = [
            Scenario("add", self._build_add, add),
            Scenario("re-add", self._build_readd, add),
            Scenario("repro", self._build_repro, dvcdoit_argv("repro")),
            Scenario("repro-param", self._build_repro_param, dvcdoit_argv("repro")),
            Scenario("push", lambda r: self._build_push(r, "local"), dvcdoit_argv("push"),
                     "local", True),
            Scenario("pull", lambda r: self._build_pull(r, "local"), dvcdoit_argv("pull"),
                     "local"),
            Scenario("s3-push", lambda r: self._build_push(r, "s3"), dvcdoit_argv("push"),
                     "s3", True),
            Scenario("s3-pull", lambda r: self._build_pull(r, "s3"), dvcdoit_argv("pull"), "s3"),
            Scenario("gc", self._build_readd_done, dvcdoit_argv("gc", "-w", "-f")),
        ]
        if self.s3 is None:
            all_ = [s for s in all_ if s.remote != "s3"]
        return [s for s in all_ if names is None or s.name in names]

    def _build_add(self, root: Path) -> None:
        write_data(root, self.sizes)

    def _build_readd(self, root: Path) -> None:
        write_data(root, self.sizes)
        run(dvcdoit_argv("add", "data"), root)
        write_data(root, self.sizes, variant=1)

    def _build_readd_done(self, root: Path) -> None:
        """Data added, then changed and added again: the first version's objects are unused."""
        self._build_readd(root)
        run(dvcdoit_argv("add", "data"), root)

    def _pipeline(self, root: Path) -> None:
        write_data(root, self.sizes)
        run(dvcdoit_argv("add", "data"), root)
        (root / "train.py").write_text(TRAIN)
        (root / "params.yaml").write_text("train:\n  n: 40\n  lr: 0.1\n  size: 4000000\n")
        (root / "dvc.yaml").write_text(
            "stages:\n  train:\n    cmd: " + sys.executable + " train.py\n"
            "    deps: [data, train.py]\n    params: [train]\n"
            "    outs: [out, model.bin]\n    metrics: [{metrics.json: {cache: false}}]\n")

    def _build_repro(self, root: Path) -> None:
        self._pipeline(root)

    def _build_repro_param(self, root: Path) -> None:
        self._pipeline(root)
        run(dvcdoit_argv("repro"), root)
        (root / "params.yaml").write_text("train:\n  n: 60\n  lr: 0.2\n  size: 6000000\n")

    def _build_push(self, root: Path, kind: str) -> None:
        write_data(root, self.sizes)
        run(dvcdoit_argv("add", "data"), root)
        self.set_remote(root, kind)

    def _build_pull(self, root: Path, kind: str) -> None:
        src = root.parent / f"{root.name}-src"
        src.mkdir()
        run(["git", "init", "-q", str(src)], self.work)
        run(dvcdoit_argv("init"), src)
        write_data(src, self.sizes)
        run(dvcdoit_argv("add", "data"), src)
        self.set_remote(src, kind)
        run(dvcdoit_argv("push"), src)  # NOTE: to a remote beside src, read by every point
        for rel in ("data.dvc", ".gitignore", ".dvc/config"):
            shutil.copyfile(src / rel, root / rel)

    def build(self, sc: Scenario) -> None:
        """Build ``sc``'s template, then run its command once uninterrupted as the reference."""
        root = self._fresh(sc.name)
        sc.build(root)
        self.templates[sc.name] = root
        point = self._copy(sc, "reference")
        start = time.monotonic()
        run(sc.argv, point)
        duration = time.monotonic() - start
        self.refs[sc.name] = Reference(duration, metadata_files(point),
                                       workspace_files(point), set(objects(point / ".dvc/cache")),
                                       set(self._remote_objects(sc, point, read=False)))
        _remove(point)

    def _copy(self, sc: Scenario, tag: str) -> Path:
        dest = self.work / "points" / f"{sc.name}-{tag}"
        shutil.copytree(self.templates[sc.name], dest, symlinks=True)
        if sc.checks_remote:
            self.set_remote(dest, sc.remote)
        return dest

    # -- checking ----------------------------------------------------------------------
    def _remote_prefix(self, root: Path) -> tuple[str, str]:
        text = (root / ".dvc" / "config").read_text()
        url = next(line.split("=", 1)[1].strip() for line in text.splitlines()
                   if line.strip().startswith("url"))
        return ("s3", url.split("/", 3)[3]) if url.startswith("s3://") else ("local", url)

    def _remote_objects(self, sc: Scenario, root: Path, read: bool = True) -> dict[str, bytes | Path]:
        if sc.remote == "none":
            return {}
        kind, where = self._remote_prefix(root)
        if kind == "s3":
            assert self.s3 is not None
            return self.s3.objects(where, read)
        return dict(objects(Path(where)))

    def _state_checks(self, sc: Scenario, root: Path, new: dict[str, bytes],
                      ref: Reference) -> Iterator[tuple[str, str]]:
        if metadata_files(root) != new:
            yield "state-differs", "metadata files differ from the uninterrupted run's"
        if workspace_files(root) != ref.workspace:
            yield "state-differs", "workspace files differ from the uninterrupted run's"
        if set(objects(root / ".dvc/cache")) != ref.cache:
            yield "state-differs", "cache objects differ from the uninterrupted run's"
        if sc.checks_remote and set(self._remote_objects(sc, root, read=False)) != ref.remote:
            yield "state-differs", "remote objects differ from the uninterrupted run's"
        status = run(dvcdoit_argv("status"), root, check=False)
        if status.returncode != 0 or status.stdout.strip() != UP_TO_DATE:
            yield "status-dirty", (status.stdout + status.stderr).strip()[:200]
        if self.dvc_bin:
            dvc = run([self.dvc_bin, "status"], root, check=False)
            if dvc.returncode != 0 or "up to date" not in dvc.stdout:
                yield "dvc-status-dirty", (dvc.stdout + dvc.stderr).strip()[:200]

    def _after_kill(self, sc: Scenario, root: Path, old: dict[str, bytes],
                    new: dict[str, bytes]) -> Iterator[tuple[str, str]]:
        for problem in check_objects(dict(objects(root / ".dvc/cache")), "cache"):
            yield "object-name", problem
        if sc.checks_remote:
            remote = self._remote_objects(sc, root)
            for problem in check_objects(remote, "remote"):
                yield "object-name", problem
            for problem in dir_members_missing(remote):
                yield "remote-dir-incomplete", problem
        if sc.name == "gc":  # NOTE: a kill mid-gc may leave unused objects, never lose kept ones
            for oid in sorted(self.refs[sc.name].cache - set(objects(root / ".dvc/cache"))):
                yield "gc-lost-kept", f"kept object {oid} is gone"
        meta = metadata_files(root)
        for rel in sorted(set(meta) | set(old) | set(new)):
            if meta.get(rel) not in (old.get(rel), new.get(rel)):
                yield "torn-metadata", f"{rel} is neither the old nor the new version"

    def _debris(self, sc: Scenario, root: Path) -> list[str]:
        found = temps_below(root)
        kind, where = self._remote_prefix(root) if sc.remote != "none" else ("none", "")
        if kind == "local" and sc.checks_remote:
            found += temps_below(Path(where))
        if kind == "s3" and self.s3 is not None:
            found += [f"s3 upload {k}" for k in self.s3.uploads(where)]
        return found

    # -- one point ---------------------------------------------------------------------
    def point(self, sc: Scenario, k: int, delay: float, report: Report) -> None:
        """Kill ``sc``'s command after ``delay`` seconds, check, re-run, check again."""
        ref = self.refs[sc.name]
        root = self._copy(sc, f"p{k}")
        old = metadata_files(root)
        new = {**ref.after_meta, ".dvc/config": old[".dvc/config"]}  # NOTE: a point's own remote
        where = f"{sc.name}#{k} ({delay:.2f}s)"
        report.tried += 1
        report.per_op[sc.name] += 1
        proc = subprocess.Popen(sc.argv, cwd=root, env={**os.environ, **ENV},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            proc.wait(timeout=delay)
            report.finished += 1
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            report.killed += 1
        _reap_group(proc.pid)
        problems = list(self._after_kill(sc, root, old, new))
        rerun = run(sc.argv, root, check=False)
        if rerun.returncode != 0:
            report.manual += 1
            problems.append(("rerun-failed", (rerun.stdout + rerun.stderr).strip()[-300:]))
        else:
            left = self._debris(sc, root)
            if left:
                report.debris += 1
                problems.append(("debris", ", ".join(left[:5])))
            problems += list(self._state_checks(sc, root, new, ref))
        report.violations += [(kind, where, detail) for kind, detail in problems]
        if not problems:  # NOTE: a violating point is kept for a post-mortem
            _remove(root)


    def campaign(self, points: int, seed: int, names: list[str] | None = None) -> Report:
        """Build the scenarios, then spread ``points`` kill points over them (round robin)."""
        rng = random.Random(seed)
        report = Report()
        scs = self.scenarios(names)
        for sc in scs:
            self.build(sc)
            report.durations[sc.name] = self.refs[sc.name].duration
        for k in range(points):
            sc = scs[k % len(scs)]
            self.point(sc, k, rng.uniform(0.0, self.refs[sc.name].duration), report)
        return report


def _remove(root: Path) -> None:
    """Remove a point's repo and its local remote beside it (read-only objects included)."""
    for p in (root, root.parent / f"{root.name}-remote"):
        if p.exists():
            subprocess.run(["chmod", "-R", "u+w", str(p)], check=False)
            shutil.rmtree(p, ignore_errors=True)


def _reap_group(pgid: int) -> None:
    """Make sure nothing of a killed group lives on (forked workers die with it)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    time.sleep(0.05)


def default_dvc() -> str | None:
    """Real DVC's executable, from ``DVCDOIT_DVC_BIN``, if set and present."""
    exe = os.environ.get("DVCDOIT_DVC_BIN")
    return exe if exe and Path(exe).exists() else None


def json_report(report: Report) -> dict[str, Any]:
    """The figures as a JSON-able dict."""
    return {"points": report.tried, "killed": report.killed, "finished": report.finished,
            "violations": report.by_kind(), "manual_recoveries": report.manual,
            "debris": report.debris}
