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


def _workspace_changes(root: Path) -> None:
    """A file of the directory changed, one removed, one added; a .dvc output changed; the
    stage output deleted. Nothing is committed to the cache."""
    write_tree(root, {"data/a.txt": "c", "data/dir/two": "222", "data/dir/five": "5"})
    (root / "data/dir/four").unlink()
    (root / "out.txt").unlink()


WORKSPACE_CASES = ((), ("--json",), ("--md",), ("--show-hash",), ("--hide-missing",),
                   ("--hide-missing", "--json"), ("HEAD~1",), ("HEAD~1", "--json"),
                   ("--targets", "data/dir"), ("--targets", "data/dir/two", "--json"))


def test_workspace_side_as_dvc(history: Path, dvc: Runner, dvcdoit: Runner) -> None:
    assert dvcdoit("diff").stdout == dvc("diff").stdout == ""  # NOTE: nothing changed
    _workspace_changes(history)
    for args in WORKSPACE_CASES:
        assert (args, dvcdoit("diff", *args).stdout) == (args, dvc("diff", *args).stdout)
    assert "Modified:\n    data/a.txt\n    data/dir/\n    data/dir/two\n" in dvcdoit("diff").stdout


def test_workspace_side_lists_what_the_cache_lacks(history: Path, dvc: Runner,
                                                   dvcdoit: Runner) -> None:
    """``not in cache``: the old side's objects the cache lacks, changed or not (the
    manifests stay, so both tools know the directory's members)."""
    cache = history / ".dvc/cache/files/md5"
    for obj in cache.glob("*/*"):
        if not obj.name.endswith(".dir"):
            obj.chmod(0o644)
            obj.unlink()
    _workspace_changes(history)
    for args in ((), ("--json",), ("--hide-missing",)):
        assert (args, dvcdoit("diff", *args).stdout) == (args, dvc("diff", *args).stdout)
    assert "Not in cache:\n    data/a.txt\n" in dvcdoit("diff").stdout


def test_workspace_dir_without_its_manifest_is_compared_whole(history: Path,
                                                               dvcdoit: Runner) -> None:
    """No cache and no remote hold the old .dir: the directory is one modified entry and
    none of its members is reported added (documented in docs/diff.md)."""
    shutil.rmtree(history / ".dvc/cache")
    _workspace_changes(history)
    out = dvcdoit("diff").stdout
    assert out.startswith("Deleted:\n    out.txt\n\nModified:\n    data/a.txt\n    data/dir/\n\n")
    assert "data/dir/five" not in out and "data/dir/two" not in out
