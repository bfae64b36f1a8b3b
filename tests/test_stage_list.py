"""``stage list`` and ``root`` print what DVC 3.67.1 prints, compared line for line with real
DVC on the same repo (issue 14.2 and 14.4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

PIPELINE = """\
stages:
  prepare:
    cmd: cp a.txt b.txt
    deps:
    - a.txt
    outs:
    - b.txt
  train:
    desc: |

      Train the model
      on everything
    cmd: cp b.txt c.txt
    deps: [b.txt]
    outs: [c.txt]
    metrics: [m.json]
  evaluate:
    cmd: cat c.txt > /dev/null
    deps: [c.txt, params.yaml]
  report:
    cmd: echo hi > r.json
    outs: [e.txt]
    metrics:
    - r.json:
        cache: false
    plots: [p.csv]
  long:
    desc: LONG
    cmd: "true"
  nothing:
    cmd: "true"
  each:
    foreach: [x, y]
    do:
      cmd: echo ${item} > ${item}.out
      outs: ["${item}.out"]
""".replace("LONG", ("word " * 30).strip())

CASES = [[], ["--all"], ["--name-only"], ["-R"], ["sub/dvc.yaml"], ["train"], ["each"],
         ["--name-only", "-R", "."], ["-R", "sub"], ["a.txt.dvc"], ["--all", "--name-only"],
         ["dvc.yaml:report", "train", "train"], ["nope"]]


@pytest.fixture
def repo(git_repo: Path, dvc: Runner) -> Path:
    write_tree(git_repo, {"a.txt": "a\n", "dvc.yaml": PIPELINE, "params.yaml": "x: 1\n",
                          "sub/dvc.yaml": "stages:\n  s1:\n    cmd: echo > o.txt\n"
                                          "    outs: [o.txt]\n"})
    dvc("init", "-q")
    dvc("add", "-q", "a.txt")
    return git_repo


def _both(mine: Runner, dvc: Runner, args: list[str], cwd: Path) -> tuple[str, str]:
    ours = mine(*args, check=False, cwd=cwd)
    theirs = dvc(*args, check=False, cwd=cwd)
    return ours.stdout + ours.stderr, theirs.stdout + theirs.stderr


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c) or "none" for c in CASES])
def test_stage_list_is_dvcs(repo: Path, dvcdoit_proc: Runner, dvc: Runner,
                            args: list[str]) -> None:
    mine, theirs = _both(dvcdoit_proc, dvc, ["stage", "list", *args], repo)
    assert mine == theirs


@pytest.mark.parametrize("args", [[], ["../dvc.yaml:train"], ["--all"]])
def test_stage_list_from_a_subdirectory(repo: Path, dvcdoit_proc: Runner, dvc: Runner,
                                        args: list[str]) -> None:
    mine, theirs = _both(dvcdoit_proc, dvc, ["stage", "list", *args], repo / "sub")
    assert mine == theirs


def test_stage_list_without_a_pipeline_here(repo: Path, dvcdoit_proc: Runner,
                                            dvc: Runner) -> None:
    (repo / "empty").mkdir()
    mine, theirs = _both(dvcdoit_proc, dvc, ["stage", "list"], repo / "empty")
    assert mine == theirs == f"ERROR: '{repo / 'empty' / 'dvc.yaml'}' does not exist\n"


def test_root_from_the_root_and_below(repo: Path, dvcdoit_proc: Runner, dvc: Runner) -> None:
    (repo / "sub/deep").mkdir(parents=True)
    for cwd in (repo, repo / "sub", repo / "sub/deep"):
        mine, theirs = _both(dvcdoit_proc, dvc, ["root"], cwd)
        assert mine == theirs
    assert _both(dvcdoit_proc, dvc, ["root"], repo / "sub/deep")[0] == "../..\n"
