"""The Session: one per process, loaded once, safe across fork and pickle; imports write nothing."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from dvcdoit.core.errors import RepoLockedError
from dvcdoit.pipeline.session import Session
from dvcdoit.repo.project import Project, init
from tests.conftest import write_tree

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = "stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n"


@pytest.fixture
def repo(git_repo: Path) -> Path:
    init(git_repo)
    write_tree(git_repo, {"dvc.yaml": PIPELINE})
    return git_repo


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if ".git" not in p.parts)


def test_importing_every_module_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()  # NOTE: a repo without .dvc/tmp: doit_config() used to make it
    (tmp_path / "dvc.yaml").write_text(PIPELINE)
    before = _tree(tmp_path)
    code = ("import importlib, pkgutil, dvcdoit\n"
            "names = [m.name for m in pkgutil.walk_packages(dvcdoit.__path__, 'dvcdoit.')\n"
            "         if m.name != 'dvcdoit.__main__']\n"
            "[importlib.import_module(n) for n in names]\n"
            "print(len(names))\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert int(proc.stdout) > 40
    assert _tree(tmp_path) == before


def test_index_is_loaded_once_and_reloaded_on_request(repo: Path) -> None:
    session = Session(Project(repo))
    first = session.index
    assert session.index is first
    write_tree(repo, {"dvc.yaml": PIPELINE + "  b:\n    cmd: echo b > b.txt\n    outs: [b.txt]\n"})
    assert list(session.index.stages) == ["a"]  # NOTE: the same process's view until reload
    assert list(session.reload().stages) == ["a", "b"]


def test_a_second_session_in_one_process_is_refused_the_lock(repo: Path) -> None:
    one, two = Session(Project(repo)), Session(Project(repo))
    with (one.project.lock(), one.project.lock(),  # NOTE: re-entrant within a session
          pytest.raises(RepoLockedError, match=r"held by another dvc or dvcdoit process")):
        two.project.repo_lock.acquire()
    assert not one.project.repo_lock.held
    with two.project.lock():
        assert two.project.repo_lock.held


def test_pickled_session_carries_only_the_root(repo: Path) -> None:
    session = Session(Project(repo))
    session.project.hold_lock()
    copy = pickle.loads(pickle.dumps(session))
    assert copy.root == session.root
    assert copy.project is not session.project
    assert not copy.project.repo_lock.held
    assert list(copy.index.stages) == ["a"]
    session.project.repo_lock.release()


def test_forked_child_opens_its_own_project_and_keeps_the_lock(repo: Path) -> None:
    session = Session(Project(repo))
    parent_project = session.project
    with parent_project.lock():
        _ = session.index
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            ok = (session.project is not parent_project and session.project.repo_lock.held
                  and list(session.index.stages) == ["a"])
            with session.project.lock():  # NOTE: the inherited flock: no RepoLockedError
                pass
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
        os.close(write)
        assert os.read(read, 1) == b"1"
        os.waitpid(pid, 0)
        assert session.project is parent_project
        assert parent_project.repo_lock.held
