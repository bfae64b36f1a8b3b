"""Workload W15: 6 queued experiments run 2 at a time (issue 13): ``python bench/expbench.py``.

The pipeline is the 4-stage one of the experiment tests (tests/exppipeline.py: prepare →
featurize → train → evaluate, tiny python scripts), reproduced and committed once (untimed);
each tool gets a fresh copy. Timed, for each tool, from the first command to the last result:
six ``exp run --queue -S train.n_est=… -S featurize.ngrams=…``, then ``queue start -j 2``,
then ``queue status`` every 0.2 s until no experiment is ``Queued`` or ``Running`` (DVC's
celery workers run in the background; dvcdoit's ``queue start`` runs its runner in the
background too). Both must end with 6 experiment refs; the ratio is DVC's time / dvcdoit's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import BenchError, Tool, dvc_tool, dvcdoit_tool, run
from run import find_or_install_dvc

from tests.exppipeline import make_pipeline

SETS = [(n, g) for n in (51, 52, 53) for g in (1, 2)]


def template(work: Path, dd: Tool) -> Path:
    """The committed pipeline (made once, by dvcdoit: DVC reads its dvc.lock as its own)."""
    repo = work / "template"
    repo.mkdir(parents=True)
    run(["git", "init", "-q", "."], repo)

    def tool(*args: str) -> str:
        return run(dd.cmd(*args), repo, dd.env)

    make_pipeline(repo, tool)
    return repo


def _busy(tool: Tool, repo: Path) -> bool:
    out = run(tool.cmd("queue", "status"), repo, tool.env)
    return any(word in out for word in (" Queued", " Running"))


def _dvc_on_path(tool: Tool) -> Tool:
    """DVC's celery workers start ``dvc`` from PATH: put its venv's bin first."""
    bin_dir = str(Path(tool.argv[0]).parent)
    return Tool(tool.name, tool.argv, {**tool.env,
                                       "PATH": f"{bin_dir}{os.pathsep}{tool.env['PATH']}"})


def one_run(tool: Tool, repo: Path, limit: float = 600) -> float:
    """Seconds from the first ``--queue`` to the last experiment done."""
    start = time.perf_counter()
    for n_est, ngrams in SETS:
        run(tool.cmd("exp", "run", "--queue", "-S", f"train.n_est={n_est}", "-S",
                     f"featurize.ngrams={ngrams}"), repo, tool.env)
    run(tool.cmd("queue", "start", "-j", "2"), repo, tool.env)
    while _busy(tool, repo):
        if time.perf_counter() - start > limit:
            msg = f"{tool.name}: the queue in {repo} did not finish in {limit:.0f} s"
            raise BenchError(msg)
        time.sleep(0.2)
    took = time.perf_counter() - start
    refs = subprocess.run(["git", "-C", str(repo), "for-each-ref", "refs/exps/"],
                          capture_output=True, text=True, check=True).stdout.splitlines()
    done = [r for r in refs if "/exec/" not in r and "/celery/" not in r]
    if len(done) != len(SETS):
        msg = f"{tool.name}: {len(done)} experiment refs in {repo}, expected {len(SETS)}"
        raise BenchError(msg)
    return took


def main() -> int:
    """Run both tools once on fresh copies; print the times and the ratio."""
    dd, dvc = dvcdoit_tool(), _dvc_on_path(dvc_tool(find_or_install_dvc()))
    with tempfile.TemporaryDirectory(prefix="expbench-") as tmp:
        work = Path(tmp)
        base = template(work, dd)
        times: dict[str, float] = {}
        for tool in (dd, dvc):
            repo = work / tool.name
            shutil.copytree(base, repo, symlinks=True)
            times[tool.name] = one_run(tool, repo)
            print(f"W15 {tool.name}: {times[tool.name]:.2f} s", flush=True)
    ratio = times["dvc"] / times["dvcdoit"]
    print(f"W15: 6 queued experiments, -j 2: dvcdoit {times['dvcdoit']:.2f} s, "
          f"dvc {times['dvc']:.2f} s, {ratio:.1f}x (target >= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
