"""Mixing a doit build with stages (issue 15, item 1): outputs inside directories as doit deps.

Every combination runs in real ``doit`` subprocesses: both mixing styles (a dodo that
star-imports ``dvcdoit.tasks``; the ``[tool.doit] loader = "dvcdoit"`` route), a user task
after a stage (``file_dep`` on a file inside the stage's output directory, on the directory
itself, on a file output) and before one (a stage dep inside the user task's target
directory), with ``-n 1`` and ``-n 2``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_tree

ROOT = Path(__file__).resolve().parents[1]
LOADER = """\
[tool.doit]
loader = "dvcdoit"
[tool.doit.plugins.loader]
dvcdoit = "dvcdoit.tasks:DvcDoitLoader"
"""
PIPELINE = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [src/prepare.py, data/data.xml]
    outs: [data/prepared]
  featurize:
    cmd: cat data/prepared/train.tsv > features.txt
    deps: [data/prepared/train.tsv]
    outs: [features.txt]
  usegen:
    cmd: cp gen/raw.txt g.txt
    deps: [gen/raw.txt]
    outs: [g.txt]
"""
PREPARE = """\
import os
os.makedirs("data/prepared", exist_ok=True)
text = open("data/data.xml").read()
open("data/prepared/train.tsv", "w").write("train " + text)
open("data/prepared/test.tsv", "w").write("test " + text)
"""
USER_TASKS = """\
def task_report():
    return {"actions": ["cat data/prepared/train.tsv > report.txt; echo r >> report.log"],
            "file_dep": ["data/prepared/train.tsv"], "targets": ["report.txt"]}

def task_listing():
    return {"actions": ["ls data/prepared > listing.txt; echo l >> listing.log"],
            "file_dep": ["data/prepared"], "targets": ["listing.txt"]}

def task_features_copy():
    return {"actions": ["cp features.txt features2.txt"], "file_dep": ["features.txt"],
            "targets": ["features2.txt"]}

def task_gen():
    return {"actions": ["mkdir -p gen && cp seed.txt gen/raw.txt"], "file_dep": ["seed.txt"],
            "targets": ["gen"]}
"""
EVERYTHING = ("repro", "report", "listing", "features_copy")
STYLES = {"star": "from dvcdoit.tasks import *\n\n" + USER_TASKS, "loader": USER_TASKS}


def doit(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m doit ARGS`` in ``repo``; fail with its output unless it exits 0."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "doit", *args], capture_output=True, text=True,
                          env=env, check=False, cwd=repo, timeout=300)
    if check and proc.returncode != 0:
        msg = f"doit {args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        raise AssertionError(msg)
    return proc


RAN = re.compile(r"^(?:\.  (?P<task>\S+)$|Running stage '(?P<stage>[^']+)':$|Stage '(?P<cached>[^']+)' "
                 r"is cached - skipping run|Verifying (?:data sources|outputs in frozen) "
                 r"(?:in )?stage: '(?P<source>[^']+)'$)")


def ran(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The tasks that ran: doit's ``.  task`` lines, and DVC's lines (dvcdoit's reporter)
    for stages that ran, were restored from the run-cache or were verified."""
    names = []
    for line in proc.stdout.splitlines():
        m = RAN.match(line)
        if m:
            name = m["task"] or f"repro:{m['stage'] or m['cached'] or m['source']}"
            if not names or names[-1] != name:  # NOTE: doit's console line, then the stage's
                names.append(name)
    return names


def make_repo(root: Path, style: str) -> Path:
    """A git + DVC repo with the pipeline above and a dodo.py of ``style``."""
    (root / ".dvc" / "tmp").mkdir(parents=True)
    (root / ".dvc" / "config").write_text("")
    write_tree(root, {"dvc.yaml": PIPELINE, "src/prepare.py": PREPARE,
                      "data/data.xml": "<one/>\n", "seed.txt": "seed\n",
                      "dodo.py": STYLES[style]})
    if style == "loader":
        (root / "pyproject.toml").write_text(LOADER)
    return root


@pytest.fixture(params=["star", "loader"])
def repo(request: pytest.FixtureRequest, git_repo: Path) -> Path:
    return make_repo(git_repo, request.param)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_user_tasks_after_and_before_stages(repo: Path, jobs: str) -> None:
    first = doit(repo, "-n", jobs, *EVERYTHING)
    order = ran(first)
    assert "Traceback" not in first.stdout + first.stderr
    for user in ("report", "listing", "features_copy"):
        assert user in order, first.stdout
    assert order.index("repro:prepare") < order.index("report")
    assert order.index("repro:prepare") < order.index("listing")
    assert order.index("repro:featurize") < order.index("features_copy")
    assert order.index("gen") < order.index("repro:usegen")
    assert (repo / "report.txt").read_text() == "train <one/>\n"
    assert ran(doit(repo, "-n", jobs, *EVERYTHING)) == [], "a second run must run nothing"

    # NOTE: the case: the stage changed; asking for the user task brings it first
    (repo / "data/data.xml").write_text("<two/>\n")
    again = doit(repo, "-n", jobs, "report")
    assert ran(again) == ["repro:prepare", "report"], again.stdout
    assert (repo / "report.txt").read_text() == "train <two/>\n"
    assert ran(doit(repo, "-n", jobs, "listing")) == ["listing"]
    assert ran(doit(repo, "-n", jobs, "features_copy")) == ["repro:featurize", "features_copy"]
    assert ran(doit(repo, "-n", jobs, *EVERYTHING)) == []

    # a stage rerun that leaves the file as it was reruns no user task
    (repo / "src/prepare.py").write_text(PREPARE + "# tweak\n")
    tweak = doit(repo, "-n", jobs, *EVERYTHING)
    assert ran(tweak) == ["repro:prepare"], tweak.stdout
    assert (repo / "report.log").read_text() == "r\nr\n"
    assert (repo / "listing.log").read_text() == "l\nl\n"

    (repo / "seed.txt").write_text("seed 2\n")
    before = doit(repo, "-n", jobs, "repro:usegen")
    assert ran(before) == ["gen", "repro:usegen"]
    assert (repo / "g.txt").read_text() == "seed 2\n"


def test_a_directory_dep_reruns_when_the_directory_hash_changes(repo: Path) -> None:
    doit(repo, "listing")
    assert ran(doit(repo, "listing")) == []
    (repo / "src/prepare.py").write_text(PREPARE + "open('data/prepared/extra.tsv', 'w')\n")
    out = doit(repo, "listing")
    assert ran(out) == ["repro:prepare", "listing"], out.stdout
    assert "extra.tsv" in (repo / "listing.txt").read_text()


def test_a_file_inside_an_output_directory_brings_the_stage_first(repo: Path) -> None:
    style = "loader" if (repo / "pyproject.toml").exists() else "star"
    (repo / "dodo.py").write_text(STYLES[style].split("def task_listing")[0])  # report only
    doit(repo, "repro:prepare", "report")
    (repo / "data/data.xml").write_text("<two/>\n")
    out = doit(repo, "report")
    assert ran(out) == ["repro:prepare", "report"], out.stdout
    assert (repo / "report.txt").read_text() == "train <two/>\n"
