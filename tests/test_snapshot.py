"""The revision reader (issue 12.1): files at a git revision through one ``git cat-file
--batch``, DVC outputs by the hash recorded at that revision (fetched and verified), and
revision selection as DVC's ``-a``/``-T``/``-A`` have it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dvcdoit.core.errors import PathError, RemoteError
from dvcdoit.repo.project import Project
from dvcdoit.repo.revision import GitObjects, Revision
from dvcdoit.repo.revisions import RevName, select_revs
from dvcdoit.verbs.snapshot import Snapshot
from tests.conftest import Runner, write_tree

GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True,
                          text=True)
    return proc.stdout.strip()


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner, tmp_path: Path) -> Path:
    write_tree(git_repo, {"data/a.txt": "a1\n", "data/sub/b.txt": "b1\n",
                          "eval/metrics.json": '{"acc": 0.5}\n', "big.bin": b"\x00" * 10})
    dvcdoit("init")
    dvcdoit("add", "data", "big.bin")
    dvcdoit("remote", "add", "-d", "store", str(tmp_path / "store"))
    dvcdoit("push")
    _git(git_repo, "add", "-A")
    _git(git_repo, "commit", "-qm", "v1")
    _git(git_repo, "tag", "v1")
    write_tree(git_repo, {"data/a.txt": "a2\n", "data/c.txt": "c2\n",
                          "eval/metrics.json": '{"acc": 0.7}\n'})
    dvcdoit("add", "data")
    _git(git_repo, "add", "-A")
    _git(git_repo, "commit", "-qm", "v2")
    _git(git_repo, "branch", "other", "v1")
    return git_repo


def test_a_revision_reads_git_files_and_dvc_data_as_they_were(repo: Path) -> None:
    old = Snapshot(Project(repo), "HEAD~1")
    assert old.read("eval/metrics.json") == b'{"acc": 0.5}\n'
    assert old.read("data/a.txt") == b"a1\n"
    assert old.read("data/sub/b.txt") == b"b1\n"
    assert old.read("big.bin") == b"\x00" * 10
    assert not old.exists("data/c.txt")
    assert old.listdir("data") == ["data/a.txt", "data/sub/b.txt"]
    new = Snapshot(Project(repo), "HEAD")
    assert new.read("data/a.txt") == b"a2\n"
    assert new.listdir("data/") == ["data/a.txt", "data/c.txt", "data/sub/b.txt"]
    assert new.listdir("eval") == ["eval/metrics.json"]
    assert new.pipeline_files() == []


def test_the_workspace_snapshot_reads_the_disk(repo: Path) -> None:
    (repo / "eval/metrics.json").write_text('{"acc": 0.9}\n')
    ws = Snapshot(Project(repo))
    assert ws.label == "workspace"
    assert ws.read("eval/metrics.json") == b'{"acc": 0.9}\n'
    assert ws.listdir("data") == ["data/a.txt", "data/c.txt", "data/sub/b.txt"]
    with pytest.raises(PathError, match=r"^'nope.json' does not exist in the workspace$"):
        ws.read("nope.json")


def test_missing_objects_come_from_the_remote(repo: Path) -> None:
    shutil.rmtree(repo / ".dvc/cache")
    old = Snapshot(Project(repo), "v1")
    assert old.read("data/sub/b.txt") == b"b1\n"
    assert old.read("big.bin") == b"\x00" * 10


def test_an_object_on_no_remote_is_one_line(repo: Path) -> None:
    shutil.rmtree(repo / ".dvc/cache")
    new = Snapshot(Project(repo), "HEAD")  # NOTE: v2's data was never pushed
    with pytest.raises(RemoteError, match=r"^cannot read 'data': "):
        new.read("data/c.txt")


def test_unknown_paths_and_revs_are_one_line(repo: Path) -> None:
    with pytest.raises(PathError, match=r"^'x.json' does not exist at revision 'v1'$"):
        Snapshot(Project(repo), "v1").read("x.json")
    with pytest.raises(PathError, match=r"^unknown Git revision 'nope'$"):
        Snapshot(Project(repo), "nope")
    with pytest.raises(PathError, match=r"^'data' is a directory at revision 'v1'; "):
        Snapshot(Project(repo), "v1").read("data")


def test_a_shallow_clone_says_so(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)],
                   check=True)
    with pytest.raises(PathError, match=r"this clone is shallow: `git fetch --unshallow`"):
        Revision(clone, "HEAD~1")


def test_every_revision_shares_one_cat_file_process(repo: Path) -> None:
    objects = GitObjects(repo)
    shas = _git(repo, "rev-list", "HEAD").split()
    for sha in shas * 20:
        assert Revision(repo, sha, objects).read("eval/metrics.json").startswith(b'{"acc"')
    assert objects._proc is not None
    pid = objects._proc.pid
    assert Revision(repo, "v1", objects).read("big.bin.dvc")
    assert objects._proc.pid == pid
    assert objects.blob(f"{shas[0]}:nope") is None
    assert objects.blob(f"{shas[0]}:data") is None  # NOTE: a tree is no file
    objects.close()


def test_selection_in_dvcs_order_and_labels(repo: Path) -> None:
    head, first = _git(repo, "rev-list", "HEAD").split()
    assert select_revs(repo) == [RevName("workspace", None)]
    assert select_revs(repo, ["HEAD~1"], workspace=False) == [RevName("HEAD~1", first)]
    branch = _git(repo, "branch", "--show-current")
    got = select_revs(repo, all_branches=True, all_tags=True)
    assert branch < "other"  # NOTE: main or master; DVC sorts the branches
    assert got == [RevName("workspace", None), RevName(branch, head),
                   RevName("other,v1", first)]
    every = select_revs(repo, all_commits=True, workspace=False)
    assert every == [RevName(head, head), RevName(first, first)]
    with pytest.raises(PathError, match="unknown Git revision 'nope'"):
        select_revs(repo, ["nope"])


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/hostname", ".dvc/config",
                                  "sub/../../outside.txt", ".git/HEAD"])
def test_paths_outside_the_repo_or_private_are_never_read(repo: Path, path: str) -> None:
    (repo.parent / "outside.txt").write_text("secret\n")
    for snap in (Snapshot(Project(repo)), Snapshot(Project(repo), "HEAD")):
        with pytest.raises(PathError, match=r"is outside the repo or inside \.dvc/ or \.git/; "
                                            r"name a file of the repo, relative to its root$"):
            snap.read(path)
        with pytest.raises(PathError):
            snap.exists(path)
