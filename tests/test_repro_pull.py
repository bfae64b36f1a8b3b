"""``repro --pull``, ``--allow-missing`` and ``-i`` against real DVC 3.67.1: fresh clones of
one pushed project, one repro'd by each tool, the same lines and the same workspace."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, Runner, _find_dvc
from tests.exppipeline import git, make_pipeline

pytestmark = pytest.mark.interop


@pytest.fixture
def origin(git_repo: Path, dvcdoit: Runner) -> Path:
    """The pipeline, run, its outputs and run-cache pushed to a local remote, its git
    history in a bare repo (returned)."""
    make_pipeline(git_repo, dvcdoit)
    bare = git_repo.parent / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    dvcdoit("remote", "add", "-d", "store", str(git_repo.parent / "store"))
    git(git_repo, "commit", "-qam", "remote")
    git(git_repo, "remote", "add", "origin", str(bare))
    git(git_repo, "push", "-q", "origin", "HEAD")
    dvcdoit("push", "--run-cache")
    return bare


def _clone(origin: Path, name: str) -> Path:
    dest = origin.parent / name
    subprocess.run(["git", "clone", "-q", str(origin), str(dest)], check=True)
    return dest


def _same(ours: subprocess.CompletedProcess[str], ref: subprocess.CompletedProcess[str]) -> None:
    assert ours.stdout == ref.stdout.replace("`dvc push`", "`dvcdoit push`").replace(
        "dvc config", "dvcdoit config")
    assert ours.stderr == ref.stderr


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts and ".dvc" not in p.parts}


@pytest.mark.parametrize("flags", [("--pull",), ("--allow-missing",),
                                   ("--pull", "--allow-missing")])
def test_fresh_clone_is_dvcs(origin: Path, dvcdoit: Runner, dvc: Runner,
                             flags: tuple[str, ...]) -> None:
    mine, theirs = _clone(origin, "mine"), _clone(origin, "theirs")
    ours = dvcdoit("repro", *flags, cwd=mine)
    _same(ours, dvc("repro", *flags, cwd=theirs))
    assert _files(mine) == _files(theirs)
    if flags == ("--pull",):
        assert ours.stdout == ("Pulling data for stage: 'prepare'\nPulling data for stage: "
                               "'featurize'\nPulling data for stage: 'train'\nStage 'evaluate' "
                               "didn't change, skipping\nData and pipelines are up to date.\n")
        assert dvcdoit("status", cwd=mine).stdout == "Data and pipelines are up to date.\n"
    else:
        assert not (mine / "model.pkl").exists()
        assert "not in cache:       model.pkl" in dvcdoit("status", cwd=mine).stdout


def test_pull_then_run_what_changed(origin: Path, dvcdoit: Runner, dvc: Runner) -> None:
    mine, theirs = _clone(origin, "mine"), _clone(origin, "theirs")
    for root in (mine, theirs):
        params = root / "params.yaml"
        params.write_text(params.read_text().replace("n_est: 50", "n_est: 55"))
    ours = dvcdoit("repro", "--pull", cwd=mine)
    _same(ours, dvc("repro", "--pull", cwd=theirs))
    assert "Running stage 'train':" in ours.stdout
    assert _files(mine) == _files(theirs)


def test_pull_restores_from_the_remote_run_cache(origin: Path, git_repo: Path,
                                                 dvcdoit: Runner) -> None:
    params = git_repo / "params.yaml"
    params.write_text(params.read_text().replace("n_est: 50", "n_est: 57"))
    dvcdoit("repro", "-q", cwd=git_repo)
    dvcdoit("push", "--run-cache", cwd=git_repo)
    mine = _clone(origin, "mine")
    (mine / "params.yaml").write_text(params.read_text())
    out = dvcdoit("repro", "--pull", cwd=mine).stdout
    assert "Stage 'train' is cached - skipping run, checking out outputs" in out
    assert "Running stage 'train'" not in out  # NOTE: evaluate's metric is no cache output
    assert (mine / "model.pkl").read_bytes() == (git_repo / "model.pkl").read_bytes()


def _on_a_terminal(argv: list[str], cwd: Path, answers: list[str]) -> tuple[str, int]:
    """Run ``argv`` on a pseudo-terminal, answering each ``[y/n]`` question in turn."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        os.environ.update(DVC_ENV)
        os.execv(argv[0], argv)
    out = b""
    while select.select([fd], [], [], 60)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if out.rstrip().endswith(b"[y/n]") and answers:
            os.write(fd, f"{answers.pop(0)}\n".encode())
    _, code = os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.decode()).replace("\r\n", "\n")
    return text, os.waitstatus_to_exitcode(code)


def test_interactive_asks_before_each_stage(origin: Path, dvcdoit: Runner, dvc: Runner) -> None:
    exe = _find_dvc()
    assert exe is not None
    texts = []
    for name, argv in (("mine", [sys.executable, "-m", "dvcdoit"]), ("theirs", [exe])):
        root = _clone(origin, name)
        (dvcdoit if name == "mine" else dvc)("pull", "-q", cwd=root)
        params = root / "params.yaml"
        params.write_text(params.read_text().replace("n_est: 50", "n_est: 56"))
        text, code = _on_a_terminal([*argv, "repro", "-i"], root, ["y", "n"])
        assert code != 0
        texts.append(text)
    assert texts[0] == texts[1]
    assert texts[0].endswith("Going to reproduce stage: 'evaluate'. Are you sure you want to "
                             "continue? [y/n] n\nERROR: failed to reproduce 'evaluate': "
                             "reproduction aborted by the user\n")
    off = dvcdoit("repro", "-i", check=False, cwd=origin.parent / "mine")
    assert off.stderr == ("ERROR: failed to reproduce 'evaluate': reproduction aborted by the "
                          "user\n")  # NOTE: off a terminal: no, without asking, as DVC
