"""Ctrl-C, a second process, symlinked directories, ``-q``: behaviour pinned on real processes.

SIGINT goes to the whole process group, as a terminal's Ctrl-C does (forked workers get it
too), once the verb is visibly mid-way. The verb must exit 130 with one line, leave only
whole objects behind, and a re-run must finish the job.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, Runner, write_tree

INTERRUPTED = "ERROR: interrupted by the user\n"


def _start(cwd: Path, *argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dvcdoit", *argv], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **DVC_ENV}, start_new_session=True)


def _wait_for(cond: Callable[[], bool], proc: subprocess.Popen[str], what: str,
              timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if proc.poll() is not None:
            pytest.fail(f"finished before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def _interrupt(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_objects_whole(root: Path, temps_ok: bool = False) -> int:
    """Every file below ``root`` (a cache or a local remote) is an object that hashes to its
    name (no partial object; no temp file unless ``temps_ok``); return how many objects.

    NOTE: ``temps_ok`` is for ``add`` interrupted: its forked workers die at once on SIGINT
    (fanout restores SIG_DFL in them), so a temp file one of them was writing stays, under a
    ``.<random>-<pid>-<n>.tmp`` name that is never an object name.
    """
    files = [p for p in _files(root) if p.relative_to(root).parts[0] != "runs"]
    if temps_ok:
        files = [p for p in files if not (p.name.startswith(".") and p.name.endswith(".tmp"))]
    for p in files:
        rel = p.relative_to(root).parts
        assert rel[:2] == ("files", "md5"), f"not an object: {p}"
        assert hashlib.md5(p.read_bytes()).hexdigest() == (rel[2] + rel[3]).removesuffix(".dir"), p
    return len(files)


def _many(root: Path, n: int = 800, size: int = 32768) -> dict[str, bytes]:
    tree = {f"data/f{i:04}": os.urandom(size) for i in range(n)}
    write_tree(root, tree)
    return tree


def test_sigint_during_add(git_repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("init")
    _many(git_repo)
    cache = git_repo / ".dvc" / "cache" / "files" / "md5"
    proc = _start(git_repo, "add", "data")
    _wait_for(lambda: len(_files(cache)) > 20, proc, "20 objects were cached")
    code, out, err = _interrupt(proc)
    assert (code, err) == (130, INTERRUPTED), out
    assert not (git_repo / "data.dvc").exists()
    assert 0 < assert_objects_whole(git_repo / ".dvc" / "cache", temps_ok=True) < 801
    dvcdoit("add", "data")
    assert assert_objects_whole(git_repo / ".dvc" / "cache", temps_ok=True) == 801
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"


def test_sigint_during_push(git_repo: Path, dvcdoit: Runner, tmp_path: Path) -> None:
    dvcdoit("init")
    tree = _many(git_repo)
    remote = tmp_path / "remote"
    dvcdoit("add", "data")
    dvcdoit("remote", "add", "-d", "r", str(remote))
    proc = _start(git_repo, "push")
    _wait_for(lambda: len(_files(remote)) > 20, proc, "20 objects were pushed")
    code, out, err = _interrupt(proc)
    assert (code, err) == (130, INTERRUPTED), out
    assert 0 < assert_objects_whole(remote, temps_ok=True) < 801  # NOTE: the .dir goes last
    assert dvcdoit("push").stdout.endswith(" files pushed\n")
    assert assert_objects_whole(remote, temps_ok=True) == 801
    clone = tmp_path / "clone"
    clone.mkdir()
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    dvcdoit("init", cwd=clone)
    for rel in (".dvc/config", "data.dvc"):
        (clone / rel).write_bytes((git_repo / rel).read_bytes())
    dvcdoit("pull", cwd=clone)
    assert all((clone / rel).read_bytes() == data for rel, data in tree.items())


SLOW_STAGE = """stages:
  slow:
    cmd: python -c "import os, pathlib, time; pathlib.Path('started').touch(); os.path.exists('slow') and time.sleep({sleep}); pathlib.Path('out.txt').write_text(pathlib.Path('in.txt').read_text())"
    deps:
    - in.txt
    outs:
    - out.txt
"""


def _slow_repo(root: Path, dvcdoit: Runner, sleep: float) -> None:
    dvcdoit("init")
    write_tree(root, {"in.txt": "in\n", "slow": "", "dvc.yaml": SLOW_STAGE.format(sleep=sleep)})


def test_sigint_during_repro(git_repo: Path, dvcdoit: Runner) -> None:
    _slow_repo(git_repo, dvcdoit, 30)
    proc = _start(git_repo, "repro")
    _wait_for((git_repo / "started").exists, proc, "the stage started")
    code, out, err = _interrupt(proc)
    assert code == 130, (out, err)
    assert err.endswith(INTERRUPTED)
    assert "dvcdoit/" not in err and "doit/" not in err  # NOTE: the stage's own python may
    # print its KeyboardInterrupt traceback: that is the user's command, not dvcdoit
    assert not (git_repo / "dvc.lock").exists() and not (git_repo / "out.txt").exists()
    (git_repo / "slow").unlink()
    assert "Running stage 'slow'" in dvcdoit("repro").stdout
    assert (git_repo / "out.txt").read_text() == "in\n"
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"
    assert_objects_whole(git_repo / ".dvc" / "cache")


def test_two_repro_at_once(git_repo: Path, dvcdoit: Runner) -> None:
    """The second gets the lock error in one line; the first completes .gitignore and lock."""
    _slow_repo(git_repo, dvcdoit, 2)
    first = _start(git_repo, "repro")
    _wait_for((git_repo / "started").exists, first, "the stage started")
    second = dvcdoit("repro", check=False)
    assert second.returncode == 3
    assert second.stderr.startswith("ERROR: '.dvc/tmp/lock' is held by another dvc or dvcdoit "
                                    f"process (pid {first.pid}); wait for it to finish")
    assert second.stderr.count("\n") == 1
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, (out, err)
    assert (git_repo / ".gitignore").read_text() == "/out.txt\n"
    lock = (git_repo / "dvc.lock").read_text()
    assert "  slow:\n" in lock and "- path: out.txt\n" in lock
    assert hashlib.md5(b"in\n").hexdigest() in lock
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"


def test_quiet_init(git_repo: Path, dvcdoit: Runner) -> None:
    proc = dvcdoit("-q", "init")
    assert (proc.stdout, proc.stderr) == ("", "")
    assert (git_repo / ".dvc" / "config").exists()


def test_symlinked_directory_inside_a_directory_is_skipped_as_dvc_does(
        tmp_path: Path, dvcdoit: Runner, dvc: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in DVC_ENV.items():
        monkeypatch.setenv(k, v)
    outside = tmp_path / "outside"
    write_tree(outside, {"x": "x\n", "deep/y": "y\n"})
    texts = {}
    for name, run in (("ours", dvcdoit), ("dvc", dvc)):
        repo = tmp_path / name
        repo.mkdir()
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        write_tree(repo, {"data/a": "a\n", "data/sub/b": "b\n"})
        (repo / "data" / "linked").symlink_to(outside, target_is_directory=True)
        run("init", cwd=repo)
        run("add", "data", cwd=repo)
        texts[name] = (repo / "data.dvc").read_text()
    assert texts["ours"] == texts["dvc"]
    assert "nfiles: 2\n" in texts["ours"]
    ours = tmp_path / "ours"
    assert dvcdoit("status", cwd=ours).stdout == "Data and pipelines are up to date.\n"
    dvcdoit("checkout", "-f", cwd=ours)
    assert (ours / "data" / "linked").is_symlink()
    assert sorted(p.name for p in outside.rglob("*")) == ["deep", "x", "y"]
