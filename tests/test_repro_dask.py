"""``repro --executor dask``: the stages' commands on a real Dask cluster on loopback.

A ``distributed.LocalCluster`` of two worker processes (one thread each, allowed-failures
0), a bare git repo on disk as ``origin`` and a local directory as the DVC remote, as in
tests/test_exp_dask.py. Each stage that must run is one Dask task
(dvcdoit/verbs/daskstage.py); the submitter hashes, restores, commits and writes dvc.lock.
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
import yaml

from tests.conftest import DVC_ENV, Runner, wait_for, write_tree
from tests.daskcluster import local_cluster
from tests.exppipeline import DVC_YAML, EVALUATE, FEATURIZE, PARAMS, PREPARE, TRAIN, git

distributed = pytest.importorskip("distributed")

WHERE = ("python -c \"import os; open('where.txt', 'w').write('worker' if 'dvcdoit-dask-' "
         "in os.getcwd() else 'here')\"")
REPORT = f"""\
  report:
    cmd: {WHERE}
    deps:
    - eval.json
    outs:
    - where.txt
    meta:
      dvcdoit:
        executor: local
"""
OUTPUTS = ("data/prepared/train.txt", "data/features/f.txt", "model.pkl", "eval.json",
           "where.txt")


cluster = pytest.fixture(scope="module", name="cluster")(local_cluster)


def _publish(root: Path, dvcdoit: Runner, tmp_path: Path, tree: dict[str, str]) -> None:
    """``tree`` committed, unreproduced, with a DVC remote and a bare git ``origin``."""
    write_tree(root, tree)
    dvcdoit("init", "-q")
    dvcdoit("remote", "add", "-d", "store", str(tmp_path / "dvc-remote"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "pipeline")
    git(root, "init", "-q", "--bare", str(tmp_path / "origin.git"))
    git(root, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(root, "push", "-q", "origin", "HEAD:refs/heads/main")


def _pipeline() -> dict[str, str]:
    return {"params.yaml": PARAMS, "dvc.yaml": DVC_YAML + REPORT,
            "data/data.txt": "hello world foo bar\n", "src/prepare.py": PREPARE,
            "src/featurize.py": FEATURIZE, "src/train.py": TRAIN, "src/evaluate.py": EVALUATE}


def _dask(run: Runner, cluster: Any, *more: str, check: bool = True,
          cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run("repro", "--executor", "dask", "--scheduler", cluster.scheduler_address, *more,
               check=check, cwd=cwd)


def _ran_on_workers(cluster: Any, url: Path) -> list[str]:
    """The stages the workers started for the project at ``url``, in order."""
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        events = client.get_events("dvcdoit-stage")
    return [e["stage"] for _t, e in events if e["git_url"] == str(url)]


def test_the_pipeline_on_the_cluster_equals_a_local_repro(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, dvc: Runner, tmp_path: Path,
        cluster: Any) -> None:
    _publish(git_repo, dvcdoit, tmp_path, _pipeline())
    # NOTE: uncommitted edits: the workers get the deps as they are here, not the commit's
    (git_repo / "params.yaml").write_text(PARAMS.replace("n_est: 50", "n_est: 77"))
    (git_repo / "data" / "data.txt").write_text("hello dask\n")
    twin = tmp_path / "twin"
    shutil.copytree(git_repo, twin, symlinks=True)
    out = _dask(dvcdoit_proc, cluster)
    local = dvcdoit_proc("repro", cwd=twin)
    assert (out.stdout, out.stderr) == (local.stdout, local.stderr)
    assert "Running stage 'train':\n> python src/train.py\n" in out.stdout
    assert out.stdout.endswith("Use `dvcdoit push` to send your updates to remote storage.\n")
    assert (git_repo / "dvc.lock").read_bytes() == (twin / "dvc.lock").read_bytes()
    for path in OUTPUTS:
        assert (git_repo / path).read_bytes() == (twin / path).read_bytes(), path
    assert (git_repo / "where.txt").read_text() == "here"
    assert (git_repo / ".gitignore").read_text() == (twin / ".gitignore").read_text()
    origin = tmp_path / "origin.git"
    assert _ran_on_workers(cluster, origin) == ["prepare", "featurize", "train", "evaluate"]
    assert dvc("status").stdout == "Data and pipelines are up to date.\n"
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"
    assert list(Path(cluster.clone_tmp).glob("dvcdoit-dask-*")) == []
    # NOTE: a param set run before is restored here from the run-cache, not sent
    (git_repo / "params.yaml").write_text(PARAMS.replace("n_est: 50", "n_est: 78"))
    assert "Running stage 'train'" in _dask(dvcdoit_proc, cluster).stdout
    (git_repo / "params.yaml").write_text(PARAMS.replace("n_est: 50", "n_est: 77"))
    again = _dask(dvcdoit_proc, cluster)
    assert "Stage 'train' is cached - skipping run, checking out outputs\n" in again.stdout
    assert "Running stage" not in again.stdout
    assert _ran_on_workers(cluster, origin)[4:] == ["train", "evaluate"]
    assert (git_repo / "dvc.lock").read_bytes() == (twin / "dvc.lock").read_bytes()
    assert dvc("status").stdout == "Data and pipelines are up to date.\n"


DIAMOND = """\
stages:
  left:
    cmd: lib/tool.sh raw left.txt L
    deps:
    - raw
    - lib
    outs:
    - left.txt
  right:
    cmd: lib/tool.sh raw right R && chmod +x right/run.sh
    deps:
    - raw
    - lib
    outs:
    - right
  join:
    cmd: cat left.txt right/all.txt > joined.txt && wc -l < joined.txt > count.json
    deps:
    - left.txt
    - right
    outs:
    - joined.txt
    metrics:
    - count.json:
        cache: false
"""
TOOL = """\
#!/bin/sh
# tool.sh SRC DEST TAG: DEST (a file, or a directory when it has no extension)
if [ "${2%.txt}" = "$2" ]; then
  mkdir -p "$2" && cat "$1"/* > "$2/all.txt" && echo "echo $3" > "$2/run.sh"
else
  (echo "$3"; cat "$1"/*) > "$2"
fi
"""


def test_a_diamond_with_a_dvc_tracked_dir_and_an_executable_dep_equals_a_local_repro(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, dvc: Runner, tmp_path: Path,
        cluster: Any) -> None:
    write_tree(git_repo, {"lib/tool.sh": TOOL})
    (git_repo / "lib" / "tool.sh").chmod(0o755)  # NOTE: a dir dep's exec bits travel too
    _publish(git_repo, dvcdoit, tmp_path, {"dvc.yaml": DIAMOND.replace(
        "    metrics:\n    - count.json:\n        cache: false\n", "")})
    write_tree(git_repo, {"raw/a.txt": "alpha\n", "raw/b.txt": "beta\n",
                          "dvc.yaml": DIAMOND})
    dvcdoit("add", "-q", "raw")  # NOTE: not pushed: the submitter sends what the stage needs
    twin = tmp_path / "twin"
    shutil.copytree(git_repo, twin, symlinks=True)
    out = _dask(dvcdoit_proc, cluster, "-j", "2")
    local = dvcdoit_proc("repro", cwd=twin)
    assert out.stderr == local.stderr == ""
    # NOTE: left and right run at once: their entries are in the order they ended, as
    # under a local -j 2 (and DVC appends a new stage's entry too); same entries, same bytes
    ours, theirs = (yaml.safe_load((r / "dvc.lock").read_text()) for r in (git_repo, twin))
    assert ours == theirs
    assert sorted((git_repo / "dvc.lock").read_bytes().splitlines()) == \
        sorted((twin / "dvc.lock").read_bytes().splitlines())
    for path in ("left.txt", "right/all.txt", "right/run.sh", "joined.txt", "count.json"):
        assert (git_repo / path).read_bytes() == (twin / path).read_bytes(), path
    assert (git_repo / "joined.txt").read_text() == "L\nalpha\nbeta\nalpha\nbeta\n"
    assert os.access(git_repo / "right" / "run.sh", os.X_OK)  # NOTE: as the local run leaves it
    assert os.access(twin / "right" / "run.sh", os.X_OK)
    assert sorted(_ran_on_workers(cluster, tmp_path / "origin.git")) == ["join", "left",
                                                                         "right"]
    assert dvc("status").stdout == "Data and pipelines are up to date.\n"


FAILING = """\
stages:
  bad:
    cmd: python -c "import sys; print('boom on the worker'); sys.exit(3)"
    deps:
    - a.txt
    outs:
    - bad.txt
  good:
    cmd: cp a.txt good.txt
    deps:
    - a.txt
    outs:
    - good.txt
  after:
    cmd: cp bad.txt after.txt
    deps:
    - bad.txt
    outs:
    - after.txt
"""


def test_a_failing_stage_is_one_line_with_the_worker_and_the_rest_go_on(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path,
        cluster: Any) -> None:
    _publish(git_repo, dvcdoit, tmp_path, {"dvc.yaml": FAILING, "a.txt": "a\n"})
    out = _dask(dvcdoit_proc, cluster, "-k", check=False)
    assert out.returncode == 1
    workers = sorted(cluster.scheduler_info["workers"])
    (line,) = [x for x in out.stderr.splitlines() if "'bad'" in x]
    head, _, tail = line.partition(": > ")
    assert head.startswith("ERROR: failed to reproduce 'bad' on worker tcp://127.0.0.1:")
    assert head.removeprefix("ERROR: failed to reproduce 'bad' on worker ") in workers
    assert tail == ("python -c \"import sys; print('boom on the worker'); sys.exit(3)\" / "
                    "boom on the worker / ERROR: failed to run: python -c \"import sys; "
                    "print('boom on the worker'); sys.exit(3)\"")
    assert (git_repo / "good.txt").read_text() == "a\n"
    lock = (git_repo / "dvc.lock").read_text()
    assert "  good:\n" in lock
    assert "  bad:\n" not in lock
    assert not (git_repo / "after.txt").exists()


SLOW = """\
stages:
  slow:
    cmd: python -c "import time; time.sleep(30)" && cp a.txt slow.txt
    deps:
    - a.txt
    outs:
    - slow.txt
  quick:
    cmd: python -c "import time; time.sleep(3)" && cp a.txt quick.txt
    deps:
    - a.txt
    outs:
    - quick.txt
"""


_wait = functools.partial(wait_for, seconds=60, step=0.2)


def _running(client: Any, stage: str) -> str | None:
    return next((w for w, keys in client.processing().items()
                 if any(f"dvcdoit-stage-{stage}-" in str(k) for k in keys)), None)


def test_a_killed_worker_fails_its_stage_and_the_rest_go_on(
        git_repo: Path, dvcdoit: Runner, tmp_path: Path, cluster: Any) -> None:
    _publish(git_repo, dvcdoit, tmp_path, {"dvc.yaml": SLOW, "a.txt": "a\n"})
    proc = subprocess.Popen([sys.executable, "-m", "dvcdoit", "repro", "-k", "--executor",
                             "dask", "--scheduler", cluster.scheduler_address],
                            env={**os.environ, **DVC_ENV}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        _wait(lambda: _running(client, "slow") is not None, "slow on a worker")
        address = _running(client, "slow")
        time.sleep(1)
        os.kill(client.run(os.getpid)[address], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=120)
        _wait(lambda: len(client.scheduler_info()["workers"]) == 2, "the nanny's restart")
    assert proc.returncode == 1, stderr
    assert stderr.splitlines()[0] == (f"ERROR: failed to reproduce 'slow' on worker {address}: "
                                      f"ERROR: the Dask worker {address} died while running "
                                      "this stage")
    assert (git_repo / "quick.txt").read_text() == "a\n"
    assert "  quick:\n" in (git_repo / "dvc.lock").read_text()
    assert "  slow:\n" not in (git_repo / "dvc.lock").read_text()
    assert "Running stage 'quick':" in stdout


def test_ctrl_c_cancels_the_tasks_and_the_workers_stop(
        git_repo: Path, dvcdoit: Runner, tmp_path: Path, cluster: Any) -> None:
    _publish(git_repo, dvcdoit, tmp_path, {"dvc.yaml": SLOW, "a.txt": "a\n"})
    proc = subprocess.Popen([sys.executable, "-m", "dvcdoit", "repro", "--executor",
                             "dask", "--scheduler", cluster.scheduler_address, "slow"],
                            env={**os.environ, **DVC_ENV}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    clones = Path(cluster.clone_tmp)
    before = set(clones.glob("dvcdoit-dask-*"))  # NOTE: a killed worker's clone stays

    def started() -> set[Path]:
        return {p.parent.parent for p in clones.glob("dvcdoit-dask-*/repo/a.txt")} - before

    _wait(started, "slow started")
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr) == (130, "ERROR: interrupted by the user\n"), stderr
    assert "Running stage 'slow':\n" in stdout
    assert not (git_repo / "dvc.lock").exists()
    # NOTE: the worker stops the command nobody waits for (Dask's cancel alone cannot)
    _wait(lambda: set(clones.glob("dvcdoit-dask-*")) == before, "the worker to stop",
          seconds=15)


def test_no_scheduler_and_no_origin_are_one_line(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(git_repo, {"dvc.yaml": SLOW, "a.txt": "a\n"})
    dvcdoit("init", "-q")
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    out = dvcdoit_proc("repro", "--executor", "dask", check=False)
    assert (out.returncode, out.stderr) == (3, (
        "ERROR: the dask executor needs a scheduler: pass --scheduler tcp://HOST:8786 or set "
        "DASK_SCHEDULER_ADDRESS\n"))
    out = dvcdoit_proc("repro", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1",
                       check=False)
    assert (out.returncode, out.stderr) == (3, (
        "ERROR: the dask workers clone the project from git: pass --git-url URL, or add an "
        "'origin' remote that every worker can reach\n"))
    assert not (git_repo / "dvc.lock").exists()


def test_an_unpushed_head_fails_the_stage_with_a_hint(
        git_repo: Path, dvcdoit: Runner, dvcdoit_proc: Runner, tmp_path: Path,
        cluster: Any) -> None:
    _publish(git_repo, dvcdoit, tmp_path, {"dvc.yaml": FAILING, "a.txt": "a\n"})
    git(git_repo, "commit", "-q", "--allow-empty", "-m", "not pushed")
    head = git(git_repo, "rev-parse", "HEAD")
    out = _dask(dvcdoit_proc, cluster, "good", check=False)
    assert out.returncode == 1
    (line,) = out.stderr.splitlines()
    assert line.startswith("ERROR: failed to reproduce 'good' on worker tcp://127.0.0.1:")
    assert line.endswith(f" / ERROR: the baseline commit {head} is not in "
                         f"{tmp_path / 'origin.git'}: push it there first (git push)")
    assert not (git_repo / "dvc.lock").exists()


def test_without_the_extra_one_line_and_the_modules_do_not_import_distributed(
        git_repo: Path, dvcdoit: Runner, tmp_path: Path) -> None:
    write_tree(git_repo, {"dvc.yaml": SLOW, "a.txt": "a\n"})
    dvcdoit("init", "-q")
    shadow = tmp_path / "shadow" / "distributed"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('not installed')\n")
    path = os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-m", "dvcdoit", "repro", "--executor", "dask",
                          "--scheduler", "tcp://127.0.0.1:1"], capture_output=True, text=True,
                         check=False, env={**os.environ, **DVC_ENV, "PYTHONPATH": path})
    assert (out.returncode, out.stdout) == (3, "")
    assert out.stderr == ("ERROR: the dask executor needs the 'dask' extra: pip install "
                          "'dvcdoit[dask]'\n")
    assert not (git_repo / "dvc.lock").exists()
    probe = ("import sys, dvcdoit.cli.stage, dvcdoit.tasks.actions, dvcdoit.verbs.daskrepro; "
             "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('dask', 'distributed')))")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=False).stderr == "[]\n"
