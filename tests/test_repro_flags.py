"""``repro`` selectors against real DVC 3.67.1 (issue 14.5): ``--downstream``, ``--glob``,
``-p``, ``-R``, ``-P``, ``-k``, ``-s`` and DVC's default target (the ``dvc.yaml`` here), the
printed text compared line for line on twin repos."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

PIPELINE = """\
stages:
  a:
    cmd: cat in.txt > a.txt
    deps: [in.txt]
    outs: [a.txt]
  b:
    cmd: cat a.txt > b.txt
    deps: [a.txt]
    outs: [b.txt]
  c:
    cmd: cat b.txt > c.txt
    deps: [b.txt]
    outs: [c.txt]
  x:
    cmd: echo x > x.txt
    outs: [x.txt]
"""
SUB = "stages:\n  s:\n    cmd: echo s > s.txt\n    outs: [s.txt]\n"


def _same_words(text: str) -> str:
    """Our hints name dvcdoit; DVC lists the files to git add in set order."""
    text = text.replace("dvcdoit", "dvc")
    return re.sub(r"(\tgit add )(.*)", lambda m: m[1] + " ".join(sorted(m[2].split())), text)


@pytest.fixture
def twins(tmp_path: Path, dvc: Runner, dvcdoit: Runner) -> tuple[Path, Path]:
    roots = (tmp_path / "theirs", tmp_path / "ours")
    for root, tool in zip(roots, (dvc, dvcdoit), strict=True):
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        write_tree(root, {"in.txt": "1\n", "dvc.yaml": PIPELINE, "sub/dvc.yaml": SUB})
        tool("init", "-q", cwd=root)
        tool("repro", "-q", "a", cwd=root)
        (root / "in.txt").write_text("2\n")
    return roots


def _both(twins: tuple[Path, Path], dvc: Runner, dvcdoit: Runner, *args: str) -> str:
    theirs = dvc("repro", *args, check=False, cwd=twins[0])
    ours = dvcdoit("repro", *args, check=False, cwd=twins[1])
    assert _same_words(ours.stdout) == _same_words(theirs.stdout), args
    assert (ours.returncode == 0) == (theirs.returncode == 0), args
    return ours.stdout


def test_selectors_run_what_dvc_runs(twins: tuple[Path, Path], dvc: Runner,
                                     dvcdoit: Runner) -> None:
    out = _both(twins, dvc, dvcdoit, "--downstream", "b")  # NOTE: b and c, not a
    assert "Running stage 'a'" not in out and "Running stage 'c'" in out
    _both(twins, dvc, dvcdoit, "--glob", "c*")  # NOTE: c with its upstream a, b
    (twins[0] / "in.txt").write_text("3\n")
    (twins[1] / "in.txt").write_text("3\n")
    _both(twins, dvc, dvcdoit, "-s", "a", "b")
    _both(twins, dvc, dvcdoit, "-p", "c")
    out = _both(twins, dvc, dvcdoit)  # NOTE: the dvc.yaml here: sub/dvc.yaml's s is not run
    assert "Running stage 'x'" in out and "sub/dvc.yaml" not in out
    out = _both(twins, dvc, dvcdoit, "-R", "sub")
    assert "Running stage 'sub/dvc.yaml:s':" in out
    _both(twins, dvc, dvcdoit, "-P")


def test_keep_going_runs_the_stages_that_do_not_depend_on_a_failure(
        twins: tuple[Path, Path], dvc: Runner, dvcdoit: Runner) -> None:
    for root in twins:
        (root / "dvc.yaml").write_text(PIPELINE + "  bad:\n    cmd: exit 3\n    deps: [in.txt]\n"
                                       "  after:\n    cmd: echo > after.txt\n    deps: [x.txt]\n"
                                       "    outs: [after.txt]\n")
    theirs = dvc("repro", "-k", check=False, cwd=twins[0])
    ours = dvcdoit("repro", "-k", check=False, cwd=twins[1])
    assert theirs.returncode != 0 and ours.returncode == 1
    ran = re.findall(r"Running stage '(\w+)'", ours.stdout)
    assert ran == re.findall(r"Running stage '(\w+)'", theirs.stdout)
    assert "after" in ran and "bad" in ran
    assert ours.stderr == "ERROR: failed to reproduce 'bad': failed to run: exit 3, exited with 3\n"
