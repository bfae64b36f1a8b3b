"""``gc`` over git revisions (``-a``, ``-T``, ``-A``, ``--all-experiments``, ``--rev -n``,
``--date``, ``-p``, ``--not-in-remote``, ``--skip-failed``): the same cache left and the same
words as real DVC 3.67.1, on twin copies of one history."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, _find_dvc

pytestmark = pytest.mark.interop

DAYS = ("2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01")


def _run(cmd: list[str], cwd: Path, day: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **DVC_ENV}
    if day is not None:
        env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = f"{day}T12:00:00"
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    assert proc.returncode == 0, (cmd, proc.stdout, proc.stderr)
    return proc


def _add(root: Path, text: str, day: str, message: str) -> None:
    (root / "f.txt").write_text(text)
    _run([sys.executable, "-m", "dvcdoit", "add", "-q", "f.txt"], root)
    _run(["git", "add", "-A"], root)
    _run(["git", "commit", "-qm", message], root, day)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A history, one f.txt object per place: tag v1 at f1, master f2 then f3, branch side
    at s1, an experiment at e1 on master, a commit with a broken .dvc file, workspace f4;
    and a second repo ``other`` sharing the cache with its own object."""
    base = tmp_path_factory.mktemp("gcscope")
    root = base / "repo"
    root.mkdir()
    _run(["git", "init", "-q", "-b", "master"], root)
    _run([sys.executable, "-m", "dvcdoit", "init", "-q"], root)
    _add(root, "f1\n", DAYS[0], "one")
    _run(["git", "tag", "v1"], root)
    _run(["git", "checkout", "-qb", "side"], root)
    _add(root, "s1\n", DAYS[1], "side")
    _run(["git", "checkout", "-q", "master"], root)
    _add(root, "f2\n", DAYS[1], "two")
    _add(root, "f3\n", DAYS[2], "three")
    baseline = _run(["git", "rev-parse", "HEAD"], root).stdout.strip()
    _add(root, "e1\n", DAYS[3], "dvc: commit experiment " + "0" * 64)
    exp = _run(["git", "rev-parse", "HEAD"], root).stdout.strip()
    _run(["git", "update-ref", f"refs/exps/{baseline[:2]}/{baseline[2:]}/exp-one", exp], root)
    _run(["git", "reset", "-q", "--hard", baseline], root)
    (root / "broken.dvc").write_text("outs: [\n")
    _run(["git", "add", "broken.dvc"], root)
    _run(["git", "commit", "-qm", "broken"], root, DAYS[3])
    _run(["git", "rm", "-q", "broken.dvc"], root)
    _run(["git", "commit", "-qm", "fixed"], root, DAYS[3])
    (root / "f.txt").write_text("f4\n")
    _run([sys.executable, "-m", "dvcdoit", "add", "-q", "f.txt"], root)
    other = base / "other"
    other.mkdir()
    _run(["git", "init", "-q"], other)
    _run([sys.executable, "-m", "dvcdoit", "init", "-q"], other)
    (other / ".dvc" / "config").write_text("[cache]\n    dir = ../../repo/.dvc/cache\n")
    (other / "o.txt").write_text("o1\n")
    _run([sys.executable, "-m", "dvcdoit", "add", "-q", "o.txt"], other)
    store = base / "store"
    _run([sys.executable, "-m", "dvcdoit", "remote", "add", "-d", "store", str(store)], root)
    _run(["git", "checkout", "-q", "v1", "--", "f.txt.dvc"], root)
    _run([sys.executable, "-m", "dvcdoit", "push", "-q"], root)  # NOTE: f1 on the remote
    _run(["git", "checkout", "-q", "HEAD", "--", "f.txt.dvc"], root)
    (root / "f.txt").write_text("f4\n")
    _run([sys.executable, "-m", "dvcdoit", "add", "-q", "f.txt"], root)
    return base


def _objects(cache: Path) -> list[str]:
    return sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())


def _contents(base: Path) -> list[str]:
    """The f.txt/o.txt versions the cache of ``base/repo`` still holds."""
    cache = base / "repo" / ".dvc" / "cache" / "files" / "md5"
    return sorted(p.read_text().strip() for p in cache.rglob("*") if p.is_file())


CASES = [
    (("-w",), ["f4"]),
    (("-a",), ["f3", "f4", "s1"]),
    (("-T",), ["f1", "f4"]),
    (("-a", "-T"), ["f1", "f3", "f4", "s1"]),
    (("-A", "--skip-failed"), ["f1", "f2", "f3", "f4", "s1"]),
    (("--all-experiments",), ["e1", "f4"]),
    (("--rev", "HEAD~2"), ["f3", "f4"]),
    (("--rev", "HEAD~2", "-n", "2"), ["f2", "f3", "f4"]),
    (("-a", "-n", "4", "--skip-failed"), ["f1", "f2", "f3", "f4", "s1"]),
    (("--rev", "side", "-n", "2"), ["f1", "f4", "s1"]),
    (("--date", "2024-02-15", "--skip-failed"), ["f3", "f4"]),
    (("-w", "-p", "../other"), ["f4", "o1"]),
    (("-w", "--not-in-remote"), ["f4"]),
    (("-T", "--not-in-remote"), ["f4"]),
]


@pytest.mark.parametrize(("flags", "kept"), CASES)
def test_scope_keeps_what_dvc_keeps(template: Path, tmp_path: Path, flags: tuple[str, ...],
                                    kept: list[str]) -> None:
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    shutil.copytree(template, ours, symlinks=True)
    shutil.copytree(template, theirs, symlinks=True)
    res = subprocess.run([sys.executable, "-m", "dvcdoit", "gc", *flags, "-f"], cwd=ours / "repo",
                         capture_output=True, text=True, env={**os.environ, **DVC_ENV}, check=False)
    ref = subprocess.run([exe, "gc", *flags, "-f"], cwd=theirs / "repo", capture_output=True,
                         text=True, env={**os.environ, **DVC_ENV}, check=False)
    assert (res.returncode, res.stdout) == (ref.returncode, ref.stdout)
    assert res.stderr.replace(str(ours), "X") == ref.stderr.replace(str(theirs), "X")
    cache = Path(".dvc") / "cache"
    assert _objects(ours / "repo" / cache) == _objects(theirs / "repo" / cache)
    assert _contents(ours) == kept


def test_a_broken_revision_refuses_without_skip_failed(template: Path, tmp_path: Path) -> None:
    shutil.copytree(template, tmp_path / "t", symlinks=True)
    repo = tmp_path / "t" / "repo"
    before = _objects(repo / ".dvc" / "cache")
    res = subprocess.run([sys.executable, "-m", "dvcdoit", "gc", "-A", "-f"], cwd=repo,
                         capture_output=True, text=True, env={**os.environ, **DVC_ENV}, check=False)
    broken = _run(["git", "rev-parse", "HEAD~1"], repo).stdout.strip()
    assert res.returncode == 3
    assert res.stderr.splitlines()[-1].startswith(f"ERROR: Failed to collect '{broken}': ")
    assert "broken.dvc" in res.stderr.splitlines()[-1]
    assert _objects(repo / ".dvc" / "cache") == before
