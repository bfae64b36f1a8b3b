"""``params diff`` against real DVC 3.67.1 (issue 12.3): the default params.yaml whole, the
files stages name, ``--deps``, ``--all``, ``--targets``, ``--json``, ``--md``, ``--no-path``.

DVC walks the files in set order (random per process), so the text is compared as sorted
lines and exactly for one file; the JSON as parsed values."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

PIPELINE = """\
stages:
  train:
    cmd: echo
    params:
    - train.lr
    - train.layers
    - prepare
    - other.yaml:
  two:
    cmd: echo
    params:
    - train.n
    - keyed.yaml: [k]
"""
PARAMS = "train:\n  lr: 0.01\n  layers: [1, 2]\n  n: 3\nunused: 5\nprepare:\n  split: 0.2\n"
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


@pytest.fixture
def repo(git_repo: Path, dvc: Runner) -> Path:
    dvc("init", "-q")
    write_tree(git_repo, {"dvc.yaml": PIPELINE, "params.yaml": PARAMS,
                          "other.yaml": "a: 1\nb: x\n", "keyed.yaml": "k: 1\nj: 1\n"})
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run([*GIT, "commit", "-qm", "one"], check=True)
    write_tree(git_repo, {"params.yaml": PARAMS.replace("0.01", "0.02").replace("0.2", "0.3")
                          .replace("n: 3", "n: 4").replace("unused: 5", "unused: 6"),
                          "other.yaml": "a: 2\nb: x\nc: new\n",
                          "keyed.yaml": "k: 2\nj: 2\n"})  # NOTE: only k is anyone's param
    subprocess.run([*GIT, "commit", "-qam", "two"], check=True)
    (git_repo / "other.yaml").write_text("a: 3\nb: x\n")
    return git_repo


CASES = (("HEAD~1", "HEAD"), ("HEAD~1", "HEAD", "--all"), ("HEAD~1", "HEAD", "--deps"),
         ("HEAD~1", "HEAD", "--no-path"), ("HEAD~1", "HEAD", "--md"), ("HEAD~1",), (),
         ("HEAD", "HEAD"), ("HEAD~1", "--targets", "other.yaml"))


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a) or "HEAD-workspace")
def test_text_is_dvcs(repo: Path, dvc: Runner, dvcdoit: Runner, args: tuple[str, ...]) -> None:
    want = dvc("params", "diff", *args, check=False)
    got = dvcdoit("params", "diff", *args, check=False)
    assert got.returncode == want.returncode == 0
    assert got.stdout.splitlines()[:2] == want.stdout.splitlines()[:2] or "--md" not in args
    assert sorted(got.stdout.splitlines()) == sorted(want.stdout.splitlines())
    one = ("--targets", "params.yaml")
    assert dvcdoit("params", "diff", *args, *one).stdout == \
        dvc("params", "diff", *args, *one).stdout


@pytest.mark.parametrize("args", [("HEAD~1", "HEAD"), ("HEAD~1", "--all"), ("--deps",)])
def test_json_is_dvcs(repo: Path, dvc: Runner, dvcdoit: Runner, args: tuple[str, ...]) -> None:
    got = json.loads(dvcdoit("params", "diff", "--json", *args).stdout)
    assert got == json.loads(dvc("params", "diff", "--json", *args).stdout)
    if args == ("HEAD~1", "--all"):
        assert got["params.yaml"]["train.layers"] == {"old": "[1, 2]", "new": "[1, 2]"}
