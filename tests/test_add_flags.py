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
