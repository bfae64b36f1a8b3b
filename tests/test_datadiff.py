"""``dvcdoit diff`` between two revisions against real DVC 3.67.1: the same stdout, byte for byte."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree


def _commit(root: Path, message: str) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", message], cwd=root, check=True)


@pytest.fixture
def history(git_repo: Path, dvc: Runner) -> Path:
    """Two commits: a .dvc file changed; a tracked directory with a file added, removed,
    changed and renamed; a stage output in dvc.lock added."""
    dvc("init", "-q")
    write_tree(git_repo, {"data/a.txt": "a", "data/dir/one": "1", "data/dir/two": "2",
                          "data/dir/three": "3"})
    dvc("add", "-q", "data/a.txt", "data/dir")
    _commit(git_repo, "one")
    write_tree(git_repo, {"data/a.txt": "b", "data/dir/two": "22", "data/dir/four": "4"})
    (git_repo / "data/dir/three").unlink()
    (git_repo / "data/dir/one").rename(git_repo / "data/dir/uno")
    dvc("add", "-q", "data/a.txt", "data/dir")
    dvc("stage", "add", "-q", "-n", "make", "-o", "out.txt", "echo x > out.txt")
    dvc("repro", "-q")
    _commit(git_repo, "two")
    return git_repo


CASES = (
    ("HEAD~1", "HEAD"), ("HEAD~1", "HEAD", "--json"), ("HEAD~1", "HEAD", "--md"),
    ("HEAD~1", "HEAD", "--show-hash"), ("HEAD", "HEAD"), ("HEAD", "HEAD", "--json"),
    ("HEAD", "HEAD", "--md"), ("HEAD~1", "HEAD", "--targets", "data/dir/uno"),
    ("HEAD~1", "HEAD", "--targets", "data/dir"), ("HEAD~1", "HEAD", "--hide-missing", "--json"),
    ("HEAD", "HEAD~1"),
)


def test_same_stdout_as_dvc(history: Path, dvc: Runner, dvcdoit: Runner) -> None:
    """One repo for every case (building it with DVC is the slow part)."""
    for args in CASES:
        assert (args, dvcdoit("diff", *args).stdout) == (args, dvc("diff", *args).stdout)


def test_unknown_rev_in_dvcs_words(history: Path, dvc: Runner, dvcdoit: Runner) -> None:
    theirs = dvc("diff", "nosuch", "HEAD", check=False)
    ours = dvcdoit("diff", "nosuch", "HEAD", check=False)
    assert theirs.stderr == "ERROR: failed to get diff - unknown Git revision 'nosuch'\n"
    assert ours.stderr == theirs.stderr
    assert ours.returncode == 3


def test_shallow_clone_names_the_rev(history: Path, tmp_path: Path, dvcdoit: Runner) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{history}", str(clone)],
                   check=True)
    shutil.copytree(history / ".dvc" / "cache", clone / ".dvc" / "cache")
    ours = dvcdoit("diff", "HEAD~1", "HEAD", check=False, cwd=clone)
    assert ours.stderr == "ERROR: failed to get diff - unknown Git revision 'HEAD~1'\n"


def test_workspace_side_refused_in_one_line(history: Path, dvcdoit: Runner) -> None:
    ours = dvcdoit("diff", check=False)
    assert ours.returncode == 3
    assert ours.stderr == ("ERROR: diff against the workspace is not supported yet; give two "
                           "revisions, e.g. 'dvcdoit diff HEAD~1 HEAD'\n")
