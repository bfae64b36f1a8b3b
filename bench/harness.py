"""Benchmark plumbing: the two tools, timing, alternating runs, result rows, the machine.

Nothing here knows a workload; bench/workloads.py builds on it.
"""

from __future__ import annotations

import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_ENV = {"DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1",
            "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1"}


class BenchError(Exception):
    """A command of the benchmark failed; the message holds the command and its output."""


@dataclass(frozen=True)
class Tool:
    """One command-line tool under test: ``argv`` is the prefix (``[…, "dvcdoit"]``)."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]

    def cmd(self, *args: str) -> list[str]:
        """The full argv for ``tool args…``."""
        return [*self.argv, *args]


def _tool_env() -> dict[str, str]:
    """The environment both tools run in.

    NOTE: PYTHONDONTWRITEBYTECODE (set on this machine) would make every start of either tool
    recompile its sources; users' installs have .pyc files, so the benchmark drops it.
    """
    env = {**os.environ, **BASE_ENV}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def dvcdoit_tool() -> Tool:
    """dvcdoit from this checkout (its console script when installed next to python)."""
    env = _tool_env()
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    script = Path(sys.executable).with_name("dvcdoit")
    argv = (str(script),) if script.exists() else (sys.executable, "-m", "dvcdoit")
    return Tool("dvcdoit", argv, env)


def dvc_tool(exe: str) -> Tool:
    """Real DVC from its own venv."""
    return Tool("dvc", (exe,), _tool_env())


def run(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 3600) -> str:
    """Run a command, return its output; raise BenchError (with the output's tail) on failure."""
    proc = subprocess.run(list(argv), cwd=cwd, env=env or {**os.environ, **BASE_ENV},
                          capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-6:]
        raise BenchError(f"`{' '.join(argv)}` in {cwd} exited {proc.returncode}: "
                         + " | ".join(tail))
    return proc.stdout + proc.stderr


def timed(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of one successful run of ``argv``.

    Dirty pages are flushed first (``os.sync``), so no run pays for the previous one's writes:
    on this disk a 1 GiB copy takes 0.4 s after a sync and 2.8 s right after another copy.
    """
    os.sync()
    start = time.perf_counter()
    run(argv, cwd, env)
    return time.perf_counter() - start


def timed_call(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of ``fn()``."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Row:
    """One line of the results table: dvcdoit and DVC times for one measurement."""

    workload: str
    label: str
    target: str = ""
    dd: list[float] = field(default_factory=list)
    dvc: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    check: Callable[[Row], bool] | None = None
    note: str = ""

    @property
    def dd_median(self) -> float | None:
        return statistics.median(self.dd) if self.dd else None

    @property
    def dvc_median(self) -> float | None:
        return statistics.median(self.dvc) if self.dvc else None

    def base_median(self) -> float | None:
        """Median of the baseline (a bare boto3 loop) where there is one."""
        return statistics.median(self.base) if self.base else None

    @property
    def ratio(self) -> float | None:
        """DVC's median time divided by dvcdoit's: how many times faster dvcdoit is."""
        if self.dd_median and self.dvc_median:
            return self.dvc_median / self.dd_median
        return None

    @property
    def dd_s(self) -> float:
        """dvcdoit's median; raises MissingError when there is none (for target checks)."""
        return _need(self.dd_median)

    @property
    def speedup(self) -> float:
        """The ratio; raises MissingError when a median is missing (for target checks)."""
        return _need(self.ratio)

    @property
    def base_s(self) -> float:
        """The baseline's median; raises MissingError when there is none (for target checks)."""
        return _need(self.base_median())

    def met(self) -> str:
        """``yes``/``NO`` for the target, ``n/a`` when a number it needs is missing."""
        if self.check is None:
            return ""
        try:
            return "yes" if self.check(self) else "NO"
        except MissingError:
            return "n/a"


class MissingError(Exception):
    """A median that a target check needs was not measured."""


def _need(value: float | None) -> float:
    if value is None:
        raise MissingError
    return value


def alternate(row: Row, runs: int, dd: Callable[[int], float] | None,
              dvc: Callable[[int], float] | None, echo: Callable[[str], None]) -> Row:
    """Measure ``runs`` times, dvcdoit and DVC in turn (the order flips every run).

    A failing run is recorded in ``row.errors`` and the other runs go on.
    """
    for i in range(runs):
        pairs = [("dvcdoit", dd, row.dd), ("dvc", dvc, row.dvc)]
        for name, fn, out in (pairs if i % 2 == 0 else pairs[::-1]):
            if fn is None:
                continue
            try:
                out.append(fn(i))
            except (BenchError, OSError, subprocess.TimeoutExpired) as exc:
                row.errors.append(f"{name} run {i + 1}: {exc}")
                echo(f"    ! {name} run {i + 1} failed: {str(exc)[:300]}")
    echo(f"  {row.workload} {row.label}: {fmt_row(row)}")
    return row


def fmt_s(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def fmt_ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}×"


def fmt_row(row: Row) -> str:
    return (f"dvcdoit {fmt_s(row.dd_median)}, dvc {fmt_s(row.dvc_median)}, "
            f"ratio {fmt_ratio(row.ratio)}" + (f", target {row.target}: {row.met()}"
                                                if row.target else ""))


def machine() -> list[tuple[str, str]]:
    """Facts about the machine, for the report."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    facts = [("cores (nproc)", str(os.cpu_count())), ("CPU", cpu or "unknown"),
             ("Python", platform.python_version()), ("OS", platform.platform())]
    try:
        mem = next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                   if ln.startswith("MemTotal"))
        facts.append(("memory", f"{int(mem.split()[1]) // 1024 // 1024} GiB"))
    except (OSError, StopIteration):
        pass
    return facts


def disk(path: Path) -> str:
    """Device, filesystem and rotational flag of ``path``'s mount."""
    try:
        out = subprocess.run(["df", "-T", str(path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[-1].split()
        dev, fstype, size = out[0], out[1], int(out[2]) // 1024 // 1024
        kind = ""
        name = Path(dev).name.rstrip("0123456789")
        rot = Path(f"/sys/block/{name}/queue/rotational")
        if rot.exists():
            kind = ", rotational" if rot.read_text().strip() == "1" else ", non-rotational"
        return f"{dev} ({fstype}, {size} GiB{kind})"
    except (OSError, subprocess.CalledProcessError, IndexError, ValueError):
        return "unknown"


def tool_version(tool: Tool) -> str:
    try:
        return run(tool.cmd("--version"), ROOT, tool.env).strip().splitlines()[-1]
    except (BenchError, OSError):
        return "unknown"


def remove_tree(path: Path) -> None:
    """Delete a work tree (only between workloads or at the end: see TESTING_NOTES)."""
    if path.exists():
        for p in path.rglob("*"):  # cache objects are 0444; directories may be too
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(path, ignore_errors=True)


def make_tree(root: Path, n: int) -> Path:
    """``n`` files of 1-4 KiB of random bytes, 200 per subdirectory (made once)."""
    if not root.exists():
        rng = random.Random(n)
        tmp = root.with_name(root.name + ".tmp")
        for k in range(n):
            d = tmp / f"d{k // 200:03d}"
            if k % 200 == 0:
                d.mkdir(parents=True)
            (d / f"f{k:05d}.bin").write_bytes(rng.randbytes(rng.randint(1024, 4096)))
        tmp.rename(root)
    return root
