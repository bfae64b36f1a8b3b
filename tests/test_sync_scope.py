"""push / fetch / pull with ``-a``, ``-T``, ``-A``, ``--glob``, ``-R``, ``--with-deps`` and
``--allow-missing``: the same objects moved, the same lines and exit codes as real DVC 3.67.1,
on twin copies of one repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, _find_dvc

pytestmark = pytest.mark.interop

PIPELINE = ("stages:\n  copy:\n    cmd: cp sub/raw.txt copied.txt\n    deps:\n    - sub/raw.txt\n"
            "    outs:\n    - copied.txt\n")


def _run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **DVC_ENV})
    assert proc.returncode == 0 or not check, (cmd, proc.stdout, proc.stderr)
    return proc


def _ours(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "dvcdoit", *args], cwd, check=False)


def _add_commit(root: Path, text: str, message: str) -> None:
    (root / "f.txt").write_text(text)
    _run([sys.executable, "-m", "dvcdoit", "add", "-q", "f.txt"], root)
    _run(["git", "add", "-A"], root)
    _run(["git", "commit", "-qm", message], root)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """f.txt at tag v1 (f1), branch side (s1), master (f2), workspace (f3); sub/ holds two
    .dvc files and a stage reads one of them; a local remote ``../store``."""
    base = tmp_path_factory.mktemp("syncscope")
    root = base / "repo"
    root.mkdir()
    _run(["git", "init", "-q", "-b", "master"], root)
    _run([sys.executable, "-m", "dvcdoit", "init", "-q"], root)
    _run([sys.executable, "-m", "dvcdoit", "remote", "add", "-q", "-d", "store", "../store"], root)
    _add_commit(root, "f1\n", "one")
    _run(["git", "tag", "v1"], root)
    _run(["git", "checkout", "-qb", "side"], root)
    _add_commit(root, "s1\n", "side")
    _run(["git", "checkout", "-q", "master"], root)
    _add_commit(root, "f2\n", "two")
    (root / "sub").mkdir()
    (root / "sub" / "raw.txt").write_text("raw\n")
    (root / "sub" / "other.txt").write_text("other\n")
    (root / "dvc.yaml").write_text(PIPELINE)
    _run([sys.executable, "-m", "dvcdoit", "add", "-q", "sub/raw.txt", "sub/other.txt"], root)
    _run([sys.executable, "-m", "dvcdoit", "repro", "-q"], root)
    _run(["git", "add", "-A"], root)
    _run(["git", "commit", "-qm", "pipeline"], root)
    (root / "f.txt").write_text("f3\n")
    _run([sys.executable, "-m", "dvcdoit", "add", "-q", "f.txt"], root)
    return base


def _twins(template: Path, tmp_path: Path) -> tuple[Path, Path]:
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    shutil.copytree(template, ours, symlinks=True)
    shutil.copytree(template, theirs, symlinks=True)
    for base in (ours, theirs):  # NOTE: absolute: DVC 3.67.1 resolves a relative remote url
        # against the root of the git tree at other revisions (`push -a` wrote to /store)
        (base / "repo" / ".dvc" / "config.local").write_text(
            f"['remote \"store\"']\n    url = {base / 'store'}\n")
    return ours, theirs


def _objects(where: Path) -> list[str]:
    return sorted(p.read_text().strip() for p in (where / "files" / "md5").rglob("*")
                  if p.is_file() and not p.name.endswith(".dir"))


@pytest.mark.parametrize(("flags", "moved"), [
    (("-a",), ["f2", "f3", "other", "raw", "s1"]),
    (("-T",), ["f1", "f3", "other", "raw"]),
    (("-A",), ["f1", "f2", "f3", "other", "raw", "s1"]),
    (("-A", "f.txt"), ["f1", "f2", "f3", "s1"]),
    (("--glob", "sub/*.dvc"), ["other", "raw"]),
    (("-R", "sub"), ["other", "raw"]),
    (("-d", "copy"), ["raw"]),
])
def test_push_moves_what_dvc_moves(template: Path, tmp_path: Path, flags: tuple[str, ...],
                                   moved: list[str]) -> None:
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    ours, theirs = _twins(template, tmp_path)
    res = _ours("push", *flags, cwd=ours / "repo")
    ref = _run([exe, "push", *flags], theirs / "repo", check=False)
    assert (res.returncode, res.stdout) == (ref.returncode, ref.stdout)
    assert _objects(ours / "store") == _objects(theirs / "store")
    assert [m.strip() for m in _objects(ours / "store")] == [m.strip() for m in moved]


def test_fetch_and_pull_of_all_tags_match_dvc(template: Path, tmp_path: Path) -> None:
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    ours, theirs = _twins(template, tmp_path)
    _run([exe, "push", "-A"], ours / "repo")
    shutil.copytree(ours / "store", theirs / "store")
    for verb in ("fetch", "pull"):
        for base in (ours, theirs):
            shutil.rmtree(base / "repo" / ".dvc" / "cache")
            (base / "repo" / "f.txt").unlink(missing_ok=True)
        res = _ours(verb, "-T", cwd=ours / "repo")
        ref = _run([exe, verb, "-T"], theirs / "repo", check=False)
        assert (res.returncode, res.stdout) == (ref.returncode, ref.stdout)
        cache = Path("repo") / ".dvc" / "cache"
        assert _objects(ours / cache) == _objects(theirs / cache)
        assert "f1" in [o.strip() for o in _objects(ours / cache)]


def test_pull_allow_missing_is_dvcs(template: Path, tmp_path: Path) -> None:
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    ours, theirs = _twins(template, tmp_path)
    _run([exe, "push"], ours / "repo")
    for base in (ours, theirs):
        if base is theirs:
            shutil.copytree(ours / "store", theirs / "store")
        for gone in (base / "store" / "files" / "md5").rglob("*"):
            if gone.is_file() and gone.read_text() == "other\n":
                gone.unlink()
        shutil.rmtree(base / "repo" / ".dvc" / "cache")
        (base / "repo" / "sub" / "other.txt").unlink()
        (base / "repo" / "sub" / "raw.txt").unlink()
    res = _ours("pull", "--allow-missing", "sub", "-R", cwd=ours / "repo")
    ref = _run([exe, "pull", "--allow-missing", "sub", "-R"], theirs / "repo", check=False)
    assert (res.returncode, res.stdout) == (ref.returncode, ref.stdout) == (
        0, "A       sub/raw.txt\n1 file fetched and 1 file added\n")
    assert (ours / "repo" / "sub" / "raw.txt").read_text() == "raw\n"
    assert not (ours / "repo" / "sub" / "other.txt").exists()


def test_glob_without_a_match_is_dvcs_error(template: Path, tmp_path: Path) -> None:
    ours, _ = _twins(template, tmp_path)
    res = _ours("push", "--glob", "nothing*", cwd=ours / "repo")
    assert (res.returncode, res.stderr) == (3, "ERROR: Glob ['nothing*'] has no matches.\n")
