"""``exp run --run-all --executor dask``: the queue on a real Dask cluster on loopback.

A ``distributed.LocalCluster`` with two worker *processes* (one thread each); the git remote
is a bare repo on disk, the DVC remote a local directory, both committed as the project's
``origin`` and default remote. The workers clone, pull, run, push and bundle as they would
on any cluster (dvcdoit/verbs/daskworker.py).
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DVC_ENV, Runner, wait_for
from tests.daskcluster import local_cluster
from tests.exppipeline import exp_ref, git, make_pipeline

distributed = pytest.importorskip("distributed")
GRID = ("-S", "train.n_est=51,52", "-S", "featurize.ngrams=1,2")


cluster = pytest.fixture(scope="module", name="cluster")(local_cluster)


def _published(root: Path, dvcdoit: Runner, tmp_path: Path) -> str:
    """The pipeline, its DVC remote (a directory) and its git remote (a bare repo); the
    baseline, pushed to both."""
    make_pipeline(root, dvcdoit)
    dvcdoit("remote", "add", "-d", "store", str(tmp_path / "dvc-remote"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "remote")
    dvcdoit("push", "-q")
    git(root, "init", "-q", "--bare", str(tmp_path / "origin.git"))
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")
    return git(root, "rev-parse", "HEAD")


def _status(run: Runner) -> dict[str, str]:
    lines = run("queue", "status").stdout.splitlines()
    return {line.split()[1]: line.split()[-1] for line in lines[1:] if line.strip()
            and not line.startswith("Worker")}


def _dask_run(run: Runner, cluster: Any, *more: str) -> subprocess.CompletedProcess[str]:
    return run("exp", "run", "--run-all", "--executor", "dask", "--scheduler",
               cluster.scheduler_address, *more)


def _commit(root: Path, ref: str) -> tuple[str, str, str]:
    """What must match between two runs of an experiment: tree, parent, message, author
    and committer (the test's GIT_* env, not the workers' git config)."""
    return (git(root, "rev-parse", f"{ref}^{{tree}}"), git(root, "rev-parse", f"{ref}^"),
            git(root, "log", "-1", "--format=%s|%an <%ae>|%cn <%ce>", ref))


def test_four_on_the_cluster_equal_a_local_run_all_and_rerun_from_the_run_cache(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path,
        cluster: Any) -> None:
    baseline = _published(git_repo, dvcdoit, tmp_path)
    twin = tmp_path / "twin"
    shutil.copytree(git_repo, twin, symlinks=True)
    for root in (git_repo, twin):
        dvcdoit("exp", "run", "--queue", "-n", "g", *GRID, cwd=root)
    out = _dask_run(dvcdoit_proc, cluster)
    assert out.stdout.startswith("Ran experiment(s): ")
    assert sorted(out.stdout.splitlines()[0].split(": ")[1].split(", ")) == \
        ["g-1", "g-2", "g-3", "g-4"]
    assert out.stderr == ""
    assert _status(dvcdoit) == dict.fromkeys(["g-1", "g-2", "g-3", "g-4"], "Success")
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        events = client.run_on_scheduler(
            lambda dask_scheduler: list(dask_scheduler.extensions["events"]._events))
    assert [e for e in events if e.startswith("dvcdoit-exp-g-")] == []  # NOTE: cleared
    local = dvcdoit_proc("exp", "run", "--run-all", "-j", "2", cwd=twin)
    assert local.stderr == ""
    for name in ("g-1", "g-2", "g-3", "g-4"):
        ref = exp_ref(baseline, name)
        assert _commit(git_repo, ref) == _commit(twin, ref)
    log = dvcdoit("queue", "logs", "g-1").stdout
    assert "Running stage 'train'" in log
    assert "Ran experiment(s): g-1" in log
    # NOTE: the workers pushed the outputs: with an empty cache, they come from the remote
    shutil.rmtree(git_repo / ".dvc" / "cache")
    git(git_repo, "checkout", "-q", exp_ref(baseline, "g-3"), "--", ".")
    dvcdoit("pull", "-q", "-f")
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"
    git(twin, "checkout", "-q", exp_ref(baseline, "g-3"), "--", ".")
    dvcdoit("checkout", "-q", "-f", cwd=twin)
    for out in ("model.pkl", "eval.json", "data/features/f.txt", "params.yaml"):
        assert (git_repo / out).read_bytes() == (twin / out).read_bytes()
    git(git_repo, "checkout", "-q", "HEAD", "--", ".")
    # NOTE: the origin got no experiment ref: only the submitter stores it
    assert git(tmp_path / "origin.git", "for-each-ref", "refs/exps") == ""
    # NOTE: a param set run before, on any worker: restored from the remote's run-cache
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=52", "-S", "featurize.ngrams=2",
            "-n", "again")
    again = _dask_run(dvcdoit_proc, cluster)
    assert again.stdout.startswith("Ran experiment(s): again\n")
    log = dvcdoit("queue", "logs", "again").stdout
    assert "Running stage" not in log
    assert "Stage 'featurize' is cached - skipping run, checking out outputs" in log
    assert "Stage 'train' is cached - skipping run, checking out outputs" in log
    assert _commit(git_repo, exp_ref(baseline, "again"))[0] == \
        _commit(git_repo, exp_ref(baseline, "g-4"))[0]


def test_a_failing_stage_is_one_line_with_the_worker_and_leaves_no_ref(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path,
        cluster: Any) -> None:
    baseline = _published(git_repo, dvcdoit, tmp_path)
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=abc", "-n", "bad")
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=54", "-n", "good")
    out = _dask_run(dvcdoit_proc, cluster)
    assert out.returncode == 0  # NOTE: as the local --run-all, and DVC
    assert out.stdout.startswith("Ran experiment(s): good\n")
    workers = sorted(cluster.scheduler_info["workers"])
    first, second = out.stderr.splitlines()
    assert first.startswith("ERROR: experiment 'bad' failed on worker tcp://127.0.0.1:")
    assert first.split(" on worker ")[1].split(": ")[0] in workers
    assert "failed to reproduce 'evaluate'" in first
    assert second == "Failed to reproduce experiment(s) 'bad'"
    assert _status(dvcdoit) == {"bad": "Failed", "good": "Success"}
    assert git(git_repo, "for-each-ref", exp_ref(baseline, "bad")) == ""


def test_no_scheduler_no_origin_and_an_unpushed_baseline(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path,
        cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = make_pipeline(git_repo, dvcdoit)
    dvcdoit("exp", "run", "--queue", "-n", "x")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    out = dvcdoit_proc("exp", "run", "--run-all", "--executor", "dask", check=False)
    assert out.returncode == 3
    assert out.stderr == ("ERROR: the dask executor needs a scheduler: pass --scheduler "
                          "tcp://HOST:8786 or set DASK_SCHEDULER_ADDRESS\n")
    out = dvcdoit_proc("exp", "run", "--run-all", "--executor", "dask", "--scheduler", "foo",
                       check=False)
    assert out.returncode == 3
    assert out.stderr == ("ERROR: 'foo' is not a Dask scheduler address (tcp://HOST:PORT): "
                          "missing port number in address 'foo'\n")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
    out = dvcdoit_proc("exp", "run", "--run-all", "--executor", "dask", check=False)
    assert out.returncode == 3
    assert out.stderr == ("ERROR: the dask workers clone the project from git: pass --git-url "
                          "URL, or add an 'origin' remote that every worker can reach\n")
    git(git_repo, "init", "-q", "--bare", str(tmp_path / "empty.git"))
    out = dvcdoit_proc("exp", "run", "--run-all", "--executor", "dask", "--git-url",
                       str(tmp_path / "empty.git"))
    assert out.stdout.startswith("Ran experiment(s): \n")
    assert "ERROR: experiment 'x' failed on worker tcp://127.0.0.1:" in out.stderr
    log = dvcdoit("queue", "logs", "x").stdout
    assert log.startswith("Dask worker tcp://127.0.0.1:")
    assert log.endswith(f"ERROR: the baseline commit {baseline} is not in "
                        f"{tmp_path / 'empty.git'}: push it there first (git push)\n")
    assert _status(dvcdoit) == {"x": "Failed"}


_wait = functools.partial(wait_for, seconds=60, step=0.2)


def _clones(cluster: Any) -> list[Path]:
    """The temp dirs the workers clone into (left behind only by a killed worker)."""
    return list(Path(cluster.clone_tmp).glob("dvcdoit-dask-*"))


def _worker_running(client: Any, name: str) -> str | None:
    return next((w for w, keys in client.processing().items()
                 if any(f"dvcdoit-exp-{name}-" in str(k) for k in keys)), None)


def test_a_killed_worker_fails_its_experiment_and_the_rest_go_on(
        git_repo: Path, dvcdoit: Runner, tmp_path: Path, cluster: Any) -> None:
    baseline = _published(git_repo, dvcdoit, tmp_path)
    dvcdoit("exp", "run", "--queue", "-S", "train.sleep=20", "-S", "train.n_est=61", "-n", "slow")
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=62", "-n", "quick")
    proc = subprocess.Popen([sys.executable, "-m", "dvcdoit", "exp", "run", "--run-all",
                             "--executor", "dask", "--scheduler", cluster.scheduler_address],
                            env={**os.environ, **DVC_ENV}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        _wait(lambda: _worker_running(client, "slow") is not None, "slow on a worker")
        address = _worker_running(client, "slow")
        time.sleep(2)  # NOTE: well inside its run: clone, pull, and 20 s in the train stage
        pid = client.run(os.getpid)[address]
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert stdout.startswith("Ran experiment(s): quick\n")
    assert stderr.splitlines()[0] == (f"ERROR: experiment 'slow' failed on worker {address}: "
                                      f"ERROR: the Dask worker {address} died while running "
                                      "this experiment")
    assert _status(dvcdoit) == {"quick": "Success", "slow": "Failed"}
    assert git(git_repo, "for-each-ref", exp_ref(baseline, "slow")) == ""
    assert git(git_repo, "for-each-ref", "--format=%(refname)", exp_ref(baseline, "quick")) \
        == exp_ref(baseline, "quick")


def test_ctrl_c_cancels_and_writes_no_ref(git_repo: Path, dvcdoit: Runner, tmp_path: Path,
                                          cluster: Any) -> None:
    baseline = _published(git_repo, dvcdoit, tmp_path)
    for i in range(3):
        dvcdoit("exp", "run", "--queue", "-S", "train.sleep=20", "-S", f"train.n_est={70 + i}",
                "-n", f"int{i}")
    proc = subprocess.Popen([sys.executable, "-m", "dvcdoit", "exp", "run", "--run-all",
                             "--executor", "dask", "--scheduler", cluster.scheduler_address],
                            env={**os.environ, **DVC_ENV}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    before = set(_clones(cluster))
    _wait(lambda: len(set(_clones(cluster)) - before) == 2, "two experiments started")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr) == (130, "ERROR: interrupted by the user\n")
    assert sorted(_status(dvcdoit).values()) == ["Failed", "Failed", "Queued"]
    assert git(git_repo, "for-each-ref", "refs/exps") == ""
    # NOTE: the workers stop the runs nobody waits for (Dask's cancel alone cannot), and
    # remove their clones
    _wait(lambda: set(_clones(cluster)) == before, "the workers to stop", seconds=15)
    assert git(git_repo, "rev-parse", "HEAD") == baseline


def test_without_the_extra_one_line_and_nothing_imports_distributed(
        git_repo: Path, dvcdoit: Runner, tmp_path: Path) -> None:
    make_pipeline(git_repo, dvcdoit)
    dvcdoit("exp", "run", "--queue", "-n", "x")
    shadow = tmp_path / "shadow" / "distributed"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n")
    path = os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-m", "dvcdoit", "exp", "run", "--run-all",
                          "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"],
                         capture_output=True, text=True, check=False,
                         env={**os.environ, **DVC_ENV, "PYTHONPATH": path})
    assert (out.returncode, out.stdout) == (3, "")
    assert out.stderr == ("ERROR: the dask executor needs the 'dask' extra: pip install "
                          "'dvcdoit[dask]'\n")
    assert _status(dvcdoit) == {"x": "Queued"}
    probe = ("import sys, dvcdoit.cli, dvcdoit.verbs.daskqueue, dvcdoit.verbs.daskworker; "
             "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('dask', 'distributed')))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False).stderr == "[]\n"


def test_queue_kill_stops_that_run_on_its_worker(git_repo: Path, dvcdoit: Runner,
                                                 tmp_path: Path, cluster: Any) -> None:
    baseline = _published(git_repo, dvcdoit, tmp_path)
    dvcdoit("exp", "run", "--queue", "-S", "train.sleep=30", "-S", "train.n_est=91", "-n", "slow")
    proc = subprocess.Popen([sys.executable, "-m", "dvcdoit", "exp", "run", "--run-all",
                             "--executor", "dask", "--scheduler", cluster.scheduler_address],
                            env={**os.environ, **DVC_ENV}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    before = set(_clones(cluster))
    _wait(lambda: len(set(_clones(cluster)) - before) == 1, "slow started")
    assert dvcdoit("queue", "kill", "slow").stdout == "Experiment 'slow' has been killed.\n"
    stdout, stderr = proc.communicate(timeout=30)
    assert (proc.returncode, stdout.splitlines()[0]) == (0, "Ran experiment(s): ")
    assert stderr.splitlines()[0].endswith(" / ERROR: stopped: the experiment was cancelled "
                                           "(Ctrl-C on the submitter, or 'queue kill')")
    assert _status(dvcdoit) == {"slow": "Failed"}
    assert git(git_repo, "for-each-ref", exp_ref(baseline, "slow")) == ""


def test_uncommitted_changes_go_with_the_queued_experiment(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path,
        cluster: Any) -> None:
    baseline = _published(git_repo, dvcdoit, tmp_path)
    train = git_repo / "src" / "train.py"
    train.write_text(train.read_text().replace("f * p[\"n_est\"]", "f * p[\"n_est\"] + 1"))
    dvcdoit("exp", "run", "--queue", "-S", "train.n_est=55", "-n", "edited")
    assert _dask_run(dvcdoit_proc, cluster).stdout.startswith("Ran experiment(s): edited\n")
    ref = exp_ref(baseline, "edited")
    assert git(git_repo, "show", f"{ref}:src/train.py") == train.read_text().strip()
    assert git(git_repo, "rev-parse", f"{ref}^") == baseline
    assert git(git_repo, "status", "--porcelain") == "M src/train.py"  # NOTE: left as it was
