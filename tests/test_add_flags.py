"""``add --no-commit`` and ``add --glob``: the same ``.dvc`` bytes, cache and words as real
DVC 3.67.1 on twin repos."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

pytestmark = pytest.mark.interop


def _twins(tmp_path: Path, dvcdoit: Runner) -> tuple[Path, Path]:
    ours = tmp_path / "ours"
    ours.mkdir()
    subprocess.run(["git", "init", "-q", str(ours)], check=True)
    dvcdoit("init", "-q", cwd=ours)
    write_tree(ours, {"d/a": "a\n", "d/b": "b\n", "x1.txt": "x\n", "x2.txt": "y\n",
                      "y.txt": "z\n"})
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs, symlinks=True)
    return ours, theirs


def _blocks(text: str) -> list[str]:
    """Status blocks (a file's line and its tab-indented lines), sorted."""
    blocks: list[str] = []
    for line in text.splitlines():
        if line.startswith("\t") and blocks:
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return sorted(blocks)


def _cache(repo: Path) -> list[str]:
    cache = repo / ".dvc" / "cache"
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())


def test_no_commit_records_hashes_and_leaves_the_cache(dvcdoit: Runner, dvc: Runner,
                                                         tmp_path: Path) -> None:
    ours, theirs = _twins(tmp_path, dvcdoit)
    dvcdoit("add", "-q", "--no-commit", "d", "y.txt", cwd=ours)
    dvc("add", "-q", "--no-commit", "d", "y.txt", cwd=theirs)
    for name in ("d.dvc", "y.txt.dvc", ".gitignore"):
        assert (ours / name).read_bytes() == (theirs / name).read_bytes()
    assert _cache(ours) == _cache(theirs) == []
    # NOTE: DVC lists .dvc files of one directory in the filesystem's order
    assert _blocks(dvcdoit("status", cwd=ours).stdout) == _blocks(
        dvc("status", cwd=theirs).stdout)
    dvcdoit("commit", "-f", cwd=ours)
    dvc("commit", "-f", cwd=theirs)
    assert _cache(ours) == _cache(theirs) != []
    assert dvc("status", cwd=ours).stdout == "Data and pipelines are up to date.\n"


def test_glob_adds_every_match(dvcdoit: Runner, dvc: Runner, tmp_path: Path) -> None:
    ours, theirs = _twins(tmp_path, dvcdoit)
    dvcdoit("add", "-q", "--glob", "x*.txt", cwd=ours)
    dvc("add", "-q", "--glob", "x*.txt", cwd=theirs)
    for name in ("x1.txt.dvc", "x2.txt.dvc", ".gitignore"):
        assert (ours / name).read_bytes() == (theirs / name).read_bytes()
    assert not (ours / "y.txt.dvc").exists()
    assert _cache(ours) == _cache(theirs)
    res = dvcdoit("add", "--glob", "zz*", cwd=ours, check=False)
    ref = dvc("add", "--glob", "zz*", cwd=theirs, check=False)
    assert res.stderr == ref.stderr == "ERROR: Glob ['zz*'] has no matches.\n"
    assert res.returncode == 3


def test_a_file_inside_a_tracked_directory_updates_its_dvc_file(dvcdoit: Runner, dvc: Runner,
                                                                tmp_path: Path) -> None:
    ours, theirs = _twins(tmp_path, dvcdoit)
    dvcdoit("add", "-q", "d", cwd=ours)
    shutil.rmtree(theirs)
    shutil.copytree(ours, theirs, symlinks=True)
    for repo in (ours, theirs):
        write_tree(repo, {"d/c": "new\n", "d/a": "a2\n"})
    res = dvcdoit("add", "d/c", cwd=ours)
    ref = dvc("add", "d/c", cwd=theirs)
    assert res.stdout == ref.stdout.replace("dvc config", "dvcdoit config")
    assert (ours / "d.dvc").read_bytes() == (theirs / "d.dvc").read_bytes()
    assert "size: 8\n" in (ours / "d.dvc").read_text()  # NOTE: the old size plus the new file
    assert not (ours / "d" / "c.dvc").exists()
    assert dvcdoit("status", cwd=ours).stdout == dvc("status", cwd=theirs).stdout
    dvcdoit("add", "-q", "d/a", cwd=ours)
    dvc("add", "-q", "d/a", cwd=theirs)
    assert (ours / "d.dvc").read_bytes() == (theirs / "d.dvc").read_bytes()
    assert "size:" not in (ours / "d.dvc").read_text()  # NOTE: DVC drops it on a replace
    assert _cache(ours) == _cache(theirs)
    assert dvc("status", cwd=ours).stdout == "Data and pipelines are up to date.\n"
    res = dvcdoit("add", "d", cwd=ours, check=False)
    assert res.returncode == 0
    (ours / "d" / "sub").mkdir()
    (ours / "d" / "sub" / "x").write_text("x\n")
    res = dvcdoit("add", "d/sub", cwd=ours, check=False)
    assert (res.returncode, res.stderr) == (
        3, ("ERROR: 'd/sub' is inside the tracked directory 'd' and is not a file; "
           "run 'dvcdoit add d' to record the whole directory\n"))
