"""The experiment queue: ``exp run --queue``, ``--run-all -j``, ``queue start|status|…``, its
lock, a killed runner, SIGINT, and ``exp_queue`` as doit tasks in a user's dodo.py."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, Runner, wait_for
from tests.exppipeline import exp_ref, git, make_pipeline
from tests.test_mixing import LOADER

GRID = ("-S", "train.n_est=51,52,53", "-S", "featurize.ngrams=1,2")


def _status(run: Runner) -> dict[str, str]:
    lines = run("queue", "status").stdout.splitlines()
    return {line.split()[1]: line.split()[-1] for line in lines[1:] if line.strip()
            and not line.startswith("Worker")}


_wait = functools.partial(wait_for, seconds=30, step=0.1)


def _worktrees(root: Path) -> list[str]:
    return [line for line in git(root, "worktree", "list").splitlines() if "exps" in line]


def test_six_queued_run_two_at_a_time_as_sequential_runs_do(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    seq = tmp_path / "sequential"
    shutil.copytree(git_repo, seq, symlinks=True)
    out = dvcdoit("exp", "run", "--queue", *GRID).stdout
    assert out.count("Queued experiment") == 6
    assert "Queueing with overrides '{'params.yaml': ['train.n_est=51', 'featurize.ngrams=1']}'." \
        in out
    names = list(_status(dvcdoit))
    assert set(_status(dvcdoit).values()) == {"Queued"}
    ran = dvcdoit_proc("exp", "run", "--run-all", "-j", "2")
    assert ran.stdout.startswith("Ran experiment(s): ")
    assert set(_status(dvcdoit).values()) == {"Success"}
    assert _worktrees(git_repo) == []
    for name, (n_est, ngrams) in zip(names, [(a, b) for a in (51, 52, 53) for b in (1, 2)],
                                     strict=True):
        dvcdoit("exp", "run", "-q", "-S", f"train.n_est={n_est}", "-S",
                f"featurize.ngrams={ngrams}", "-n", name, cwd=seq)
        git(seq, "checkout", "-q", "--", ".")
        ref = exp_ref(baseline, name)
        assert git(git_repo, "rev-parse", f"{ref}^{{tree}}") == git(seq, "rev-parse",
                                                                    f"{ref}^{{tree}}")
    # NOTE: the same param set again: restored from the shared run-cache, nothing runs
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=51", "-S", "featurize.ngrams=1",
            "-n", "again")
    dvcdoit_proc("exp", "run", "--run-all")
    log = dvcdoit("queue", "logs", "again").stdout
    assert "Running stage" not in log
    assert "Stage 'train' is cached - skipping run, checking out outputs" in log


def test_failure_is_recorded_and_leaves_no_ref(git_repo: Path, dvcdoit: Runner,
                                               dvcdoit_proc: Runner, dvc: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=abc", "-n", "bad")
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=54", "-n", "good")
    out = dvcdoit_proc("exp", "run", "--run-all", "-j", "2")
    assert out.stdout.startswith("Ran experiment(s): good\n")
    assert out.stderr == "Failed to reproduce experiment(s) 'bad'\n"
    assert _status(dvcdoit) == {"bad": "Failed", "good": "Success"}
    assert git(git_repo, "for-each-ref", exp_ref(baseline, "bad")) == ""
    assert "failed to reproduce 'evaluate'" in dvcdoit("queue", "logs", "bad").stdout
    # NOTE: dvcdoit's queue is its own: DVC lists no task, and shows the finished experiment
    assert dvc("queue", "status").stdout.startswith("No experiment tasks in the queue.")
    assert '"name": "good"' in dvc("exp", "show", "--json").stdout
    assert dvcdoit("queue", "remove", "--failed").stdout == "Removed tasks in queue: bad\n"
    assert _status(dvcdoit) == {"good": "Success"}
    missing = dvcdoit("queue", "logs", "nosuch", check=False)
    assert missing.stderr == "ERROR: 'nosuch' is not a valid queued experiment name\n"


def _start_slow(git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, n: int = 1) -> None:
    for i in range(n):
        dvcdoit("exp", "run", "--queue", "-S", "train.sleep=30", "-S", f"train.n_est={60 + i}",
                "-n", f"slow{i}")
    assert dvcdoit_proc("queue", "start").stdout == \
        "Started '1' new experiments task queue workers.\n"
    _wait(lambda: "Running" in _status(dvcdoit).values(), "a running experiment")


def test_second_runner_is_refused_and_kill_9_is_reaped(git_repo: Path, dvcdoit: Runner,
                                                       dvcdoit_proc: Runner) -> None:
    from dvcdoit.verbs import expqueue

    baseline = make_pipeline(git_repo, dvcdoit)
    _start_slow(git_repo, dvcdoit, dvcdoit_proc)
    entry = next(e for e in expqueue.entries(git_repo) if e.status == expqueue.RUNNING)
    for args in (("queue", "start"), ("exp", "run", "--run-all")):
        out = dvcdoit_proc(*args, check=False)
        assert out.returncode == 3
        assert out.stderr == (f"ERROR: the experiment queue is already running (pid "
                              f"{entry.runner}); wait for it, or stop it with 'dvcdoit queue "
                              "kill'\n")
    assert _worktrees(git_repo) != []
    os.kill(entry.runner, signal.SIGKILL)
    _wait(lambda: not expqueue.alive(entry.runner), "the runner to die")
    assert _status(dvcdoit) == {"slow0": "Failed"}  # NOTE: reaped by queue status
    assert _worktrees(git_repo) == []
    assert git(git_repo, "for-each-ref", exp_ref(baseline, "slow0")) == ""


def test_queue_kill_marks_failed(git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner) -> None:
    from dvcdoit.verbs import expqueue

    make_pipeline(git_repo, dvcdoit)
    _start_slow(git_repo, dvcdoit, dvcdoit_proc)
    assert dvcdoit("queue", "kill", "slow0").stdout == "Experiment 'slow0' has been killed.\n"
    _wait(lambda: _status(dvcdoit) == {"slow0": "Failed"}, "the experiment marked failed")
    _wait(lambda: not expqueue.base(git_repo).joinpath("wt").exists()
          or not any(expqueue.base(git_repo).joinpath("wt").iterdir()), "worktree removal")


def test_sigint_stops_the_queue_cleanly(git_repo: Path, dvcdoit: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    for i in range(2):
        dvcdoit("exp", "run", "--queue", "-S", "train.sleep=30", "-S", f"train.n_est={70 + i}",
                "-n", f"int{i}")
    proc = subprocess.Popen([sys.executable, "-m", "dvcdoit", "exp", "run", "--run-all"],
                            env={**os.environ, **DVC_ENV}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait(lambda: "Running" in _status(dvcdoit).values(), "a running experiment")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert _status(dvcdoit) == {"int0": "Failed", "int1": "Queued"}
    assert git(git_repo, "for-each-ref", exp_ref(baseline, "int0")) == ""
    assert _worktrees(git_repo) == []


DODO = """\
import subprocess

def report():
    refs = subprocess.run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"],
                          capture_output=True, text=True, check=True).stdout
    open("report.txt", "w").write(refs)

def task_report():
    return {"actions": [report], "task_dep": ["exp_queue"], "targets": ["report.txt"]}
"""


@pytest.mark.parametrize("style", ["star", "loader"])
def test_exp_queue_is_a_doit_task_in_a_dodo(git_repo: Path, dvcdoit: Runner, doit_bin: str,
                                            style: str) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=81,82")
    names = list(_status(dvcdoit))
    if style == "loader":
        (git_repo / "pyproject.toml").write_text(LOADER)
    (git_repo / "dodo.py").write_text(("from dvcdoit.tasks import *\n" if style == "star"
                                       else "") + DODO)
    out = subprocess.run([doit_bin, "-n", "2", "-P", "thread", "report"], capture_output=True,
                         text=True, env={**os.environ, **DVC_ENV}, check=False)
    assert out.returncode == 0, out.stderr
    report = (git_repo / "report.txt").read_text().split()
    assert sorted(report) == sorted(exp_ref(baseline, n) for n in names)
    assert set(_status(dvcdoit).values()) == {"Success"}


def test_uncommitted_changes_go_with_the_queued_experiment(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, dvc: Runner) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    train = git_repo / "src" / "train.py"
    edited = train.read_text().replace('f * p["n_est"]', 'f * p["n_est"] + 1')
    assert edited != train.read_text()
    train.write_text(edited)
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=55", "-n", "edited")
    git(git_repo, "checkout", "-q", "--", ".")  # NOTE: the queued run keeps the edit
    queued = json.loads(dvcdoit("exp", "show", "--json").stdout)[1]["experiments"][0]
    assert queued["revs"][0]["data"]["params"]["params.yaml"]["data"]["train"]["n_est"] == 55
    dvcdoit_proc("exp", "run", "--run-all")
    ref = exp_ref(baseline, "edited")
    assert git(git_repo, "show", f"{ref}:src/train.py") == edited.strip()
    assert git(git_repo, "rev-parse", f"{ref}^") == baseline
    lock = git(git_repo, "show", f"{ref}:dvc.lock")
    assert "n_est: 55" in lock
    assert git(git_repo, "for-each-ref", "refs/dvcdoit/") != ""
    dvcdoit("queue", "remove", "edited")
    assert git(git_repo, "for-each-ref", "refs/dvcdoit/") == ""
    dvc("exp", "apply", "edited")  # NOTE: real DVC applies it, the edit included
    assert train.read_text() == edited
