"""Every DVC target form, on ``repro`` and ``status``, against real DVC 3.67.1 (issue 11.1).

Both tools run on the same repo from the same cwd; ``repro --dry`` must name the same stages
in the same order, ``status --json`` must agree, and an unknown target must get DVC's words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

PIPELINE = """\
stages:
  a:
    cmd: echo a > a.txt
    outs:
    - a.txt
  b:
    foreach: [x, y]
    do:
      cmd: echo ${item} > b-${item}.txt
      outs:
      - b-${item}.txt
  m:
    matrix:
      lr: [1, 2]
      opt: [adam]
    cmd: echo ${item.lr} > m-${item.lr}-${item.opt}.txt
    outs:
    - m-${item.lr}-${item.opt}.txt
"""
SUB = """\
stages:
  s:
    cmd: echo s > s.txt
    outs:
    - s.txt
"""
RUNS = ["a", "dvc.yaml", "dvc.yaml:a", "b", "b@x", "dvc.yaml:b@y", "m", "m@2-adam",
        "sub/dvc.yaml", "sub/dvc.yaml:s", "d.txt.dvc"]
ERRORS = ["nope", "dvc.yaml:nope", "nope.dvc", "sub/nope.yaml:s", "a.txt", "sub:s"]
STATUS = ["dvc.yaml", "dvc.yaml:a", "b", "m@1-adam", "sub/dvc.yaml", "sub/dvc.yaml:s",
          "a.txt", "d.txt.dvc", "d.txt"]
STATUS_ERRORS = ["nope", "dvc.yaml:nope", "nope.dvc", "sub:s"]


@pytest.fixture
def repo(git_repo: Path, dvc: Runner) -> Path:
    write_tree(git_repo, {"dvc.yaml": PIPELINE, "sub/dvc.yaml": SUB, "d.txt": "d\n"})
    dvc("init", "-q")
    dvc("add", "-q", "d.txt")
    return git_repo


def _running(out: str) -> list[str]:
    return re.findall(r"^Running stage '([^']+)':$", out, re.MULTILINE)


@pytest.mark.interop
def test_repro_target_forms_run_what_dvc_runs(repo: Path, dvc: Runner,
                                               dvcdoit: Runner) -> None:
    for target in RUNS:
        theirs = dvc("repro", "--dry", target)
        ours = dvcdoit("repro", "--dry", target)
        # NOTE: independent stages (a group's members) run in an order of each tool's own
        assert sorted(_running(ours.stdout)) == sorted(_running(theirs.stdout)), target


@pytest.mark.interop
@pytest.mark.parametrize("verb", ["repro", "status"])
def test_unknown_targets_get_dvcs_words(repo: Path, dvc: Runner, dvcdoit: Runner,
                                        verb: str) -> None:
    for target in ERRORS if verb == "repro" else STATUS_ERRORS:
        theirs = dvc(verb, target, check=False)
        ours = dvcdoit(verb, target, check=False)
        assert theirs.returncode != 0 and ours.returncode != 0, target
        assert ours.stderr.strip() == theirs.stderr.strip(), target


@pytest.mark.interop
def test_status_target_forms_agree_with_dvc(repo: Path, dvc: Runner, dvcdoit: Runner) -> None:
    for target in STATUS:
        theirs = json.loads(dvc("status", "--json", target).stdout)
        ours = json.loads(dvcdoit("status", "--json", target).stdout)
        assert ours == theirs, target
    (repo / "dvc.yaml").write_text(PIPELINE.replace("      outs:\n      - b-", "      deps:\n"
                                                    "      - a.txt\n      outs:\n      - b-"))
    for args in (["b@x"], ["--with-deps", "b@x"], ["--with-deps", "dvc.yaml:b"]):
        theirs = json.loads(dvc("status", "--json", *args).stdout)
        assert json.loads(dvcdoit("status", "--json", *args).stdout) == theirs, args
    dvc("repro", "-q")
    for target in STATUS:
        assert dvcdoit("status", target).stdout == dvc("status", target).stdout, target
