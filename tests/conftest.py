"""Shared fixtures: temp git repos, and real DVC 3.67.1 from its own venv for interop tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

pytest_plugins = ["tests.s3server", "tests.httpserver", "tests.webdavserver"]

DVC_ENV = {"DVC_NO_ANALYTICS": "1", "DVC_NO_UPDATE_CHECK": "1", "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}



def wait_for(predicate: Callable[[], object], what: str, seconds: float = 60,
             step: float = 0.2) -> None:
    """Poll ``predicate`` every ``step`` seconds until it is true; fail naming ``what`` after
    ``seconds``."""
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            msg = f"timed out waiting for {what}"
            raise AssertionError(msg)
        time.sleep(step)

CLUSTER_TESTS = ("test_exp_dask.py", "test_repro_dask.py")
"""Test files that start a Dask cluster and client in this process."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the Dask tests last. NOTE: a distributed client leaves threads running in this
    process after it closes, and fork_map does not fork while other threads run (by design),
    so every later test of forked work would run unforked (or, killing a child, kill pytest)."""
    items.sort(key=lambda item: item.path.name in CLUSTER_TESTS)

def _find_dvc() -> str | None:
    explicit = os.environ.get("DVCDOIT_DVC_BIN")
    if explicit:
        return explicit
    for cand in (Path.home() / "venvs/dvc/bin/dvc", Path(".venv-dvc/bin/dvc")):
        if cand.exists():
            return str(cand)
    return None


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty git repo in a temp dir, made the cwd."""
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    monkeypatch.chdir(repo)
    for k, v in DVC_ENV.items():
        monkeypatch.setenv(k, v)
    return repo


Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def dvc() -> Runner:
    """Run real ``dvc`` 3.67.1 (from its own venv) in the cwd; skip if it is not installed.

    CI sets ``DVCDOIT_REQUIRE_DVC=1`` so that a missing DVC fails instead of skipping.
    """
    exe = _find_dvc()
    if exe is None or not Path(exe).exists():
        if os.environ.get("DVCDOIT_REQUIRE_DVC") == "1":
            pytest.fail("real dvc 3.67.1 is required (set DVCDOIT_DVC_BIN)")
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")

    return _process_runner("dvc", [exe])


@pytest.fixture
def dvcdoit(monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run the ``dvcdoit`` command line in this process (:func:`tests.inprocess.invoke`).

    It returns what a subprocess would (exit code, stdout, stderr); :func:`dvcdoit_proc`
    runs ``python -m dvcdoit`` for the tests that need a process of its own.
    """
    from tests.inprocess import invoke

    for key, value in DVC_ENV.items():
        monkeypatch.setenv(key, value)

    def run(*args: str, check: bool = True, cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        proc = invoke(args, cwd)
        if check and proc.returncode != 0:
            msg = f"dvcdoit {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            raise AssertionError(msg)
        return proc

    return run


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp dir of this test's own as ``tempfile``'s and its subprocesses' (``TMPDIR``), for
    the tests that look for what dvcdoit left there: tests running in parallel (``-n``) make
    their own temp files in the machine's temp dir meanwhile."""
    import tempfile

    private = tmp_path / "tmpdir"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    return private


@pytest.fixture
def dvcdoit_proc() -> Runner:
    """Run the ``dvcdoit`` command line in a subprocess (``python -m dvcdoit``) in the cwd."""
    return _process_runner("dvcdoit", [sys.executable, "-m", "dvcdoit"])


def _process_runner(label: str, command: list[str]) -> Runner:
    """A :data:`Runner` of ``command ARGS`` in a subprocess, with :data:`DVC_ENV` set."""

    def run(*args: str, check: bool = True, cwd: str | Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **DVC_ENV}
        proc = subprocess.run([*command, *args], capture_output=True, text=True, env=env,
                              cwd=cwd, check=False)
        if check and proc.returncode != 0:
            msg = f"{label} {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            raise AssertionError(msg)
        return proc

    return run


def write_tree(root: Path, tree: Mapping[str, str | bytes]) -> None:
    """Create files below ``root`` from ``{relpath: content}``."""
    for rel, content in tree.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)


@pytest.fixture
def doit_bin() -> str:
    """Path of the ``doit`` console script next to this interpreter."""
    exe = Path(sys.executable).with_name("doit")
    return str(exe) if exe.exists() else (shutil.which("doit") or "doit")


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of another live process (a sleeping child), killed afterwards."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()
