"""How cost grows with the number of files: ``python bench/scale.py [--sizes N,N] [--full]``.

Sweeps trees of 2,000, 20,000 and 200,000 files (1,000,000 too with ``--full``) of 1-4 KiB
in directories of 200 (:func:`harness.make_tree`). For every size, dvcdoit and real DVC
(``DVCDOIT_DVC_BIN``; the order flips from size to size) each get a repo of their own with
a copy of the same tree and run, one timed command at a time: add; status unchanged, after
touching every file, after modifying 1 %; commit after modifying 1 %; push to a local remote;
checkout into an empty workspace; gc -w -f; pull into a fresh clone; status -c there.

Each command's wall time and the peak RSS of its process are recorded. The peak RSS comes
from ``os.wait4`` of that one child (Linux: the larger of the child's own peak and its
largest waited-for descendant's, so dvcdoit's forked workers count too). The table goes into
docs/benchmarks.md between ``<!-- bench:begin scale -->`` and ``<!-- bench:end scale -->``,
the curves into docs/scale-time.png and docs/scale-rss.png. Nothing is deleted while timing;
the work dir is removed at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    ROOT,
    BenchError,
    Tool,
    disk,
    dvc_tool,
    dvcdoit_tool,
    fmt_ratio,
    fmt_s,
    machine,
    make_tree,
    remove_tree,
    run,
    tool_version,
)
from run import find_or_install_dvc, markers, write_doc

SIZES = (2_000, 20_000, 200_000)
FULL = (*SIZES, 1_000_000)
KEY = "scale"
OPS = ("add", "status unchanged", "status after touching all", "status after modifying 1 %",
       "commit after modifying 1 %", "push", "checkout into an empty workspace", "gc -w -f",
       "pull", "status -c")
TARGETS = {"add": 6.0, "status unchanged": 10.0, "status after touching all": 3.0,
           "push": 6.0, "pull": 6.0}
"""DVC's time over dvcdoit's that issue 17 asks for at 200,000 files."""


@dataclass
class Sample:
    """One command's wall time (s) and its process's peak RSS (KiB); None if it failed."""

    seconds: float | None = None
    rss_kib: int | None = None


@dataclass
class Sweep:
    """Everything measured: ``samples[(files, op, tool)]``, and the failures."""

    sizes: tuple[int, ...]
    samples: dict[tuple[int, str, str], Sample] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, n: int, op: str, tool: str) -> Sample:
        return self.samples.get((n, op, tool), Sample())


def measure(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Sample:
    """Run ``argv`` once; its wall time and peak RSS (``os.wait4`` of this child only)."""
    os.sync()  # NOTE: no run pays for the previous one's dirty pages (see harness.timed)
    log = cwd.parent / f".{cwd.name}.log"
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-4:])
        msg = f"`{' '.join(argv)}` in {cwd} exited {proc.returncode}: {tail}"
        raise BenchError(msg)
    return Sample(seconds, usage.ru_maxrss)


def touch_all(root: Path) -> None:
    """Give every file a new mtime (contents unchanged)."""
    now = time.time_ns()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            os.utime(os.path.join(dirpath, name), ns=(now, now))


def modify_some(root: Path, every: int = 100) -> None:
    """Append a few bytes to every ``every``-th file (1 %), in sorted order."""
    for k, path in enumerate(sorted(p for p in root.rglob("*") if p.is_file())):
        if k % every == 0:
            with open(path, "ab") as f:
                f.write(b"modified\n")


class Runner:
    """Runs one tool's sequence of commands on one size; records samples in the sweep."""

    def __init__(self, sweep: Sweep, tool: Tool, n: int, echo: bool = True) -> None:
        self.sweep, self.tool, self.n, self.echo = sweep, tool, n, echo

    def timed(self, op: str, cwd: Path, *args: str) -> None:
        try:
            sample = measure(self.tool.cmd(*args), cwd, self.tool.env)
        except (BenchError, OSError) as exc:
            self.sweep.errors.append(f"{self.n:,} {op} {self.tool.name}: {exc}")
            print(f"    ! {self.tool.name} {op} failed: {str(exc)[:300]}", flush=True)
            return
        self.sweep.samples[(self.n, op, self.tool.name)] = sample
        if self.echo:
            print(f"  {self.n:>9,} {self.tool.name:<7} {op:<34} {fmt_s(sample.seconds):>9} "
                  f"{(sample.rss_kib or 0) / 1024:7.0f} MiB", flush=True)

    def sequence(self, work: Path, tree: Path) -> None:
        """The whole sequence of OPS on a fresh repo below ``work``."""
        t, env = self.tool, self.tool.env
        repo = work / f"{t.name}-{self.n}"
        repo.mkdir(parents=True)
        run(["git", "init", "-q", "."], repo)
        run(t.cmd("init"), repo, env)
        run(t.cmd("remote", "add", "-d", "bench", str(work / f"remote-{t.name}-{self.n}")),
            repo, env)
        run(["cp", "-r", str(tree), str(repo / "data")], repo)
        self.timed("add", repo, "add", "data")
        run(["git", "add", "-A"], repo)
        run(["git", "commit", "-qm", "data"], repo)
        self.timed("status unchanged", repo, "status")
        touch_all(repo / "data")
        self.timed("status after touching all", repo, "status")
        modify_some(repo / "data")
        self.timed("status after modifying 1 %", repo, "status")
        self.timed("commit after modifying 1 %", repo, "commit", "-f", "data.dvc")
        run(["git", "commit", "-qam", "modified"], repo)
        self.timed("push", repo, "push")
        (repo / "data").rename(repo.parent / f"{repo.name}.data-aside")  # NOTE: no deleting
        self.timed("checkout into an empty workspace", repo, "checkout")
        self.timed("gc -w -f", repo, "gc", "-w", "-f")
        clone = work / f"{t.name}-{self.n}-clone"
        run(["git", "clone", "-q", str(repo), str(clone)], work)
        self.timed("pull", clone, "pull")
        self.timed("status -c", clone, "status", "-c")


def sweep(sizes: Sequence[int], work: Path, src: Path, tools: Sequence[Tool]) -> Sweep:
    """Run every tool's sequence at every size (the tools' order flips from size to size)."""
    result = Sweep(tuple(sizes))
    for k, n in enumerate(sizes):
        print(f"bench scale: {n:,} files", flush=True)
        tree = make_tree(src / f"tree-{n}", n)
        for tool in (tools if k % 2 == 0 else tools[::-1]):
            try:
                Runner(result, tool, n).sequence(work, tree)
            except (BenchError, OSError) as exc:
                result.errors.append(f"{n:,} {tool.name}: {exc}")
                print(f"    ! {tool.name} at {n:,} stopped: {str(exc)[:300]}", flush=True)
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _mib(kib: int | None) -> str:
    return "–" if kib is None else f"{kib / 1024:.0f} MiB"


def table(s: Sweep) -> list[str]:
    out = [("| files | command | dvcdoit | DVC 3.67.1 | DVC ÷ dvcdoit | dvcdoit µs/file | "
            "peak RSS dvcdoit | peak RSS DVC | RSS dvcdoit ÷ DVC |"),
           "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n in s.sizes:
        for op in OPS:
            dd, dvc = s.get(n, op, "dvcdoit"), s.get(n, op, "dvc")
            per = f"{dd.seconds / n * 1e6:.0f}" if dd.seconds else "–"
            rss = _ratio(dd.rss_kib, dvc.rss_kib)
            out.append(f"| {n:,} | {op} | {fmt_s(dd.seconds)} | {fmt_s(dvc.seconds)} | "
                       f"{fmt_ratio(_ratio(dvc.seconds, dd.seconds))} | {per} | "
                       f"{_mib(dd.rss_kib)} | {_mib(dvc.rss_kib)} | "
                       f"{'–' if rss is None else f'{rss:.2f}'} |")
    return out


def targets(s: Sweep) -> list[str]:
    """Issue 17's targets, checked at 200,000 files when that size ran."""
    n = 200_000
    if n not in s.sizes:
        return ["Targets are set at 200,000 files, which this run did not measure."]
    out = ["| target at 200,000 files | measured | met |", "|---|---:|---|"]
    for op, want in TARGETS.items():
        r = _ratio(s.get(n, op, "dvc").seconds, s.get(n, op, "dvcdoit").seconds)
        out.append(f"| {op}: DVC ÷ dvcdoit ≥ {want:g}× | {fmt_ratio(r)} | {_met(r, want)} |")
    if 20_000 in s.sizes:
        worst, worst_op = 0.0, ""
        for op in OPS:
            a, b = s.get(20_000, op, "dvcdoit").seconds, s.get(n, op, "dvcdoit").seconds
            if a and b and (b / n) / (a / 20_000) > worst:
                worst, worst_op = (b / n) / (a / 20_000), op
        out.append(f"| dvcdoit time per file, 200,000 over 20,000, ≤ 1.2× (worst: {worst_op}) | "
                   f"{worst:.2f}× | {_met(1.2 / worst if worst else None, 1.0)} |")
    worst_rss = max((r for op in OPS if (r := _ratio(s.get(n, op, "dvcdoit").rss_kib,
                                                     s.get(n, op, "dvc").rss_kib))), default=None)
    out.append(f"| peak RSS dvcdoit ÷ DVC ≤ 0.4 (worst command) | "
               f"{'–' if worst_rss is None else f'{worst_rss:.2f}'} | "
               f"{_met(0.4 / worst_rss if worst_rss else None, 1.0)} |")
    return out


def _met(value: float | None, want: float) -> str:
    return "n/a" if value is None else "yes" if value >= want else "NO"


def report(s: Sweep, argv: list[str], started: float, work: Path, tools: Sequence[Tool]) -> str:
    begin, end = markers(KEY)
    lines = [begin, "", "## Scale: 2,000 to 200,000 files (issue 17)", "",
             (f"Generated by `{' '.join(['python bench/scale.py', *argv])}` on "
              f"{datetime.date.today().isoformat()} in {(time.time() - started) / 60:.1f} min. "
              "Files of 1–4 KiB in directories of 200; one run per command and tool (the "
              "tools' order flips from size to size); peak RSS is that of the command's "
              "process (its forked workers included). Curves: `docs/scale-time.png`, "
              "`docs/scale-rss.png`."), "", "**Machine.**", ""]
    lines += [f"- {k}: {v}" for k, v in machine()]
    lines += [f"- disk of the work dir: {disk(work)}",
              f"- dvcdoit: {tool_version(tools[0])}; DVC: {tool_version(tools[1])}", "",
              *table(s), "", *targets(s), ""]
    if s.errors:
        lines += ["**Failed runs:**", "", *[f"- {e[:400]}" for e in s.errors], ""]
    return "\n".join([*lines, end]) + "\n"


def plot(s: Sweep, outdir: Path) -> list[Path]:
    """Log-log curves, one panel per command: µs per file, and peak RSS, against files."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    made = []
    for fname, title, value in (
            ("scale-time.png", "wall time per file (µs)",
             lambda x, n: x.seconds / n * 1e6 if x.seconds else None),
            ("scale-rss.png", "peak RSS (MiB)",
             lambda x, n: x.rss_kib / 1024 if x.rss_kib else None)):
        fig, axes = plt.subplots(2, 5, figsize=(17, 7), sharex=True)
        for ax, op in zip(axes.flat, OPS, strict=True):
            for tool, style in (("dvcdoit", "o-"), ("dvc", "s--")):
                pts = [(n, v) for n in s.sizes if (v := value(s.get(n, op, tool), n))]
                if pts:
                    ax.plot(*zip(*pts, strict=True), style, label=tool)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(op, fontsize=9)
            ax.grid(True, which="both", alpha=0.3)
        axes.flat[0].legend()
        fig.supxlabel("files")
        fig.suptitle(f"dvcdoit vs DVC 3.67.1: {title} (log-log)")
        fig.tight_layout()
        path = outdir / fname
        fig.savefig(path, dpi=80)
        plt.close(fig)
        made.append(path)
    return made


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="", help="comma-separated file counts, e.g. 2000,20000")
    parser.add_argument("--full", action="store_true", help="add 1,000,000 files")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "work-scale")
    parser.add_argument("--src", type=Path, help="where the trees are made once and kept "
                        "(default: inside the work dir)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--plots", type=Path, default=ROOT / "docs", help="dir of the PNGs")
    parser.add_argument("--no-write", action="store_true", help="print only: no doc, no PNGs")
    parser.add_argument("--keep", action="store_true", help="keep the work dir afterwards")
    args = parser.parse_args(argv)
    args.size_list = ([int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
                      if args.sizes else list(FULL if args.full else SIZES))
    args.argv = [a for a in (sys.argv[1:] if argv is None else argv) if a != "--no-write"]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = (dvcdoit_tool(), dvc_tool(find_or_install_dvc()))
    work = args.workdir.resolve()
    if work.exists():
        print(f"bench scale: {work} exists; remove it or pass another --workdir")
        return 2
    work.mkdir(parents=True)
    src = (args.src or work / "src").resolve()
    started = time.time()
    try:
        result = sweep(args.size_list, work / "runs", src, tools)
        block = report(result, args.argv, started, work, tools)
        print("\n" + block)
        if not args.no_write:
            write_doc(args.output, block, KEY)
            args.plots.mkdir(parents=True, exist_ok=True)
            for path in plot(result, args.plots):
                print(f"bench scale: wrote {path}")
            print(f"bench scale: results written to {args.output}")
    finally:
        if not args.keep:
            remove_tree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
