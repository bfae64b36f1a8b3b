"""``checkout -R DIR``: every ``.dvc`` file and stage below DIR, as real DVC 3.67.1 does it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

pytestmark = pytest.mark.interop


def test_checkout_recursive_is_dvcs(git_repo: Path, dvcdoit: Runner, dvc: Runner,
                                    tmp_path: Path) -> None:
    write_tree(git_repo, {"sub/a.txt": "a\n", "sub/deep/b.txt": "b\n", "other/c.txt": "c\n"})
    dvc("init", "-q")
    dvc("add", "-q", "sub/a.txt", "sub/deep/b.txt", "other/c.txt")
    for rel in ("sub/a.txt", "sub/deep/b.txt", "other/c.txt"):
        (git_repo / rel).unlink()
    theirs = tmp_path / "theirs"
    shutil.copytree(git_repo, theirs, symlinks=True)
    ours = dvcdoit("checkout", "-R", "sub")
    ref = dvc("checkout", "-R", "sub", cwd=theirs)
    assert ours.stdout == ref.stdout == "A       sub/a.txt\nA       sub/deep/b.txt\n"
    assert not (git_repo / "other" / "c.txt").exists()
    assert (git_repo / "sub" / "deep" / "b.txt").read_text() == "b\n"
    ours = dvcdoit("checkout", "-R", "deep", cwd=git_repo / "sub")
    assert ours.stdout == ""  # NOTE: already there
