"""remove/freeze/unprotect/move without real DVC: the edges the interop suite does not reach."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import Runner

PIPELINE = """\
stages:
  prep:
    cmd: cp a.txt b.txt
    deps:
    - a.txt
    outs:
    - b.txt
"""


def _repo(root: Path, dvcdoit: Runner) -> None:
    (root / "a.txt").write_text("hello\n")
    dvcdoit("init", "-q")
    dvcdoit("add", "-q", "a.txt")


def test_unprotect_missing_path_is_one_line(git_repo: Path, dvcdoit: Runner) -> None:
    _repo(git_repo, dvcdoit)
    proc = dvcdoit("unprotect", "a.txt", "nosuch", check=False)
    assert proc.returncode == 3
    assert proc.stderr == "ERROR: can't unprotect non-existing data 'nosuch'\n"


def test_unprotect_hardlink_copies_and_keeps_object(git_repo: Path, dvcdoit: Runner) -> None:
    _repo(git_repo, dvcdoit)
    obj = git_repo / ".dvc/cache/files/md5/b1/946ac92492d2347c6235b4d2611184"
    os.unlink(git_repo / "a.txt")
    os.link(obj, git_repo / "a.txt")
    dvcdoit("unprotect", "a.txt")
    assert os.stat(git_repo / "a.txt").st_nlink == 1
    assert os.access(git_repo / "a.txt", os.W_OK)
    assert os.stat(obj).st_nlink == 1
    assert (os.stat(obj).st_mode & 0o777) == 0o444
    assert obj.read_text() == "hello\n"


def test_remove_in_subdir_pipeline(git_repo: Path, dvcdoit: Runner) -> None:
    """``sub/dvc.yaml:prep`` and ``prep`` typed inside ``sub/`` name the same stage."""
    _repo(git_repo, dvcdoit)
    sub = git_repo / "sub"
    sub.mkdir()
    (sub / "a.txt").write_text("x\n")
    (sub / "dvc.yaml").write_text(PIPELINE)
    dvcdoit("repro", "-q", cwd=sub)
    assert (sub / "dvc.lock").exists()
    dvcdoit("remove", "prep", cwd=sub)
    assert not (sub / "dvc.yaml").exists()
    assert not (sub / "dvc.lock").exists()
    assert not (sub / ".gitignore").exists()
    assert (sub / "b.txt").read_text() == "x\n"


def test_freeze_twice_then_unfreeze_restores_bytes(git_repo: Path, dvcdoit: Runner) -> None:
    _repo(git_repo, dvcdoit)
    (git_repo / "dvc.yaml").write_text(PIPELINE)
    before = (git_repo / "a.txt.dvc").read_bytes()
    assert dvcdoit("freeze", "prep").stdout == "Modifying stage 'prep' in 'dvc.yaml'\n"
    dvcdoit("freeze", "prep", "a.txt.dvc")
    assert (git_repo / "dvc.yaml").read_text() == PIPELINE + "    frozen: true\n"
    assert (git_repo / "a.txt.dvc").read_bytes() == before + b"frozen: true\n"
    dvcdoit("unfreeze", "dvc.yaml:prep", "a.txt.dvc")
    assert (git_repo / "dvc.yaml").read_text() == PIPELINE
    assert (git_repo / "a.txt.dvc").read_bytes() == before


def test_move_into_new_name_dvc_exists_is_refused(git_repo: Path, dvcdoit: Runner) -> None:
    _repo(git_repo, dvcdoit)
    (git_repo / "z.txt.dvc").write_text("outs:\n- path: other\n")
    proc = dvcdoit("move", "a.txt", "z.txt", check=False)
    assert proc.returncode == 3
    assert proc.stderr == ("ERROR: failed to move 'a.txt' -> 'z.txt' - 'z.txt.dvc' already "
                           "exists\n")
    assert (git_repo / "a.txt").exists()
    assert not (git_repo / "z.txt").exists()
