"""``exp show``'s queued, failed and running rows: dvcdoit's queue shown as real DVC shows
its own (3.67.1: ``dvc exp run --queue``, ``dvc queue start``) on a twin repo."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DVC_ENV, _find_dvc, wait_for, write_tree
from tests.exppipeline import DVC_YAML, EVALUATE, FEATURIZE, PARAMS, PREPARE, TRAIN

pytestmark = pytest.mark.interop
DROP = ("--drop", "prepare|featurize|src|data|seed|min|layers")


def _run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **DVC_ENV}
    exe = _find_dvc()
    if exe:  # NOTE: DVC's queue worker runs `dvc` from PATH
        env["PATH"] = f"{Path(exe).parent}{os.pathsep}{env['PATH']}"
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    assert not check or proc.returncode == 0, (cmd, proc.stdout, proc.stderr)
    return proc


def _me(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, "-m", "dvcdoit", *args], root, check)


_wait = functools.partial(wait_for, seconds=120, step=0.5)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same committed pipeline twice; in each, one experiment that failed and one queued:
    dvcdoit's queue in the first, DVC's in the second."""
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    mine = tmp_path_factory.mktemp("expqueue") / "mine"
    mine.mkdir()
    write_tree(mine, {"params.yaml": PARAMS, "dvc.yaml": DVC_YAML,
                      "data/data.txt": "hello world foo bar\n", "src/prepare.py": PREPARE,
                      "src/featurize.py": FEATURIZE, "src/train.py": TRAIN,
                      "src/evaluate.py": EVALUATE})
    for cmd in (["git", "init", "-q", "-b", "master"], [exe, "init", "-q"], [exe, "repro", "-q"],
                ["git", "add", "-A"], ["git", "commit", "-qm", "baseline"]):
        _run(cmd, mine)
    theirs = mine.parent / "theirs"
    shutil.copytree(mine, theirs, symlinks=True)
    _me(mine, "exp", "run", "--queue", "-S", "train.n_est=abc", "-n", "f1")
    assert _me(mine, "exp", "run", "--run-all").stderr == "Failed to reproduce experiment(s) 'f1'\n"
    _me(mine, "exp", "run", "--queue", "-S", "train.n_est=77", "-n", "q1")
    _run([exe, "exp", "run", "--queue", "-S", "train.n_est=abc", "-n", "f1"], theirs)
    _run([exe, "queue", "start"], theirs)
    _wait(lambda: "Failed" in _run([exe, "queue", "status"], theirs).stdout,
          "DVC's queue to fail f1")
    _run([exe, "queue", "stop"], theirs, check=False)
    _run([exe, "exp", "run", "--queue", "-S", "train.n_est=77", "-n", "q1"], theirs)
    return mine, theirs


def _ids(states: list[dict[str, Any]]) -> dict[str, str]:
    """Queue entry rev → its name, over every baseline's experiments."""
    return {r["revs"][0]["rev"]: r["name"] for s in states for r in s["experiments"] or ()}


def _normal(text: str, ids: dict[str, str]) -> str:
    """``text`` with the entries' revs (whole and 7-digit) named, and clock times blanked
    (the two queues ran at different seconds)."""
    for rev, name in ids.items():
        text = text.replace(rev, f"<{name}>").replace(rev[:7], f"<{name}7>")
    text = re.sub(r"\d\d:\d\d [AP]M", "HH:MM PM", text)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "TIME", text)


def _executor_normal(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for s in states:
        for rng in s["experiments"] or ():
            local = (rng["executor"] or {}).get("local") or {}
            for key in ("log", "pid"):
                local[key] = key if local.get(key) else None
    return states


def test_json_rows_are_dvcs(twins: tuple[Path, Path]) -> None:
    mine, theirs = twins
    exe = _find_dvc()
    assert exe is not None
    ours = json.loads(_me(mine, "exp", "show", "--json").stdout)
    ref = json.loads(_run([exe, "exp", "show", "--json"], theirs).stdout)
    ours_text = _normal(json.dumps(_executor_normal(ours)), _ids(ours))
    ref_text = _normal(json.dumps(_executor_normal(ref)), _ids(ref))
    assert json.loads(ours_text) == json.loads(ref_text)
    failed = next(r for r in ours[1]["experiments"] if r["name"] == "f1")
    assert failed["revs"][0]["error"] == {"msg": "Experiment run failed", "type": ""}
    assert failed["executor"]["state"] == "failed"


@pytest.mark.parametrize("flags", [(), ("--csv",), ("--md",), ("--hide-queued",),
                                   ("--hide-failed",), ("--hide-queued", "--hide-failed")])
def test_table_rows_are_dvcs(twins: tuple[Path, Path], flags: tuple[str, ...]) -> None:
    mine, theirs = twins
    exe = _find_dvc()
    assert exe is not None
    ours_ids = _ids(json.loads(_me(mine, "exp", "show", "--json").stdout))
    ref_ids = _ids(json.loads(_run([exe, "exp", "show", "--json"], theirs).stdout))
    ours = _me(mine, "exp", "show", *DROP, *flags).stdout
    ref = _run([exe, "exp", "show", *DROP, *flags], theirs).stdout
    assert _normal(ours, ours_ids) == _normal(ref, ref_ids)
    if not flags:
        assert "Queued   Dvc-task" in ours
        assert "Failed " in ours


def test_a_running_experiment_shows_its_workspace(git_repo: Path) -> None:
    exe = _find_dvc()
    if exe is None:
        pytest.skip("real dvc 3.67.1 not installed (set DVCDOIT_DVC_BIN)")
    write_tree(git_repo, {"params.yaml": PARAMS, "dvc.yaml": DVC_YAML,
                          "data/data.txt": "hello world foo bar\n", "src/prepare.py": PREPARE,
                          "src/featurize.py": FEATURIZE, "src/train.py": TRAIN,
                          "src/evaluate.py": EVALUATE})
    for cmd in (["git", "add", "-A"], ):
        _run(cmd, git_repo)
    _me(git_repo, "init", "-q")
    _me(git_repo, "repro", "-q")
    _run(["git", "add", "-A"], git_repo)
    _run(["git", "commit", "-qm", "baseline"], git_repo)
    _me(git_repo, "exp", "run", "--queue", "-S", "train.sleep=20", "-n", "slow")
    _me(git_repo, "queue", "start")
    try:
        def running() -> dict[str, Any] | None:
            states = json.loads(_me(git_repo, "exp", "show", "--json").stdout)
            rows = [r for r in states[1]["experiments"] or ()
                    if r["executor"] and r["executor"]["state"] == "running"]
            return rows[0] if rows and rows[0]["revs"][0]["data"]["params"]["params.yaml"][
                "data"]["train"]["sleep"] == 20 else None

        _wait(running, "the experiment to run with its params")
        row = running()
        assert row is not None
        assert row["executor"]["name"] == "dvc-task"
        assert row["revs"][0]["data"]["rev"] == "workspace"
        assert row["revs"][0]["data"]["timestamp"] is None
        table = _me(git_repo, "exp", "show", *DROP).stdout
        assert re.search(r"\[slow\]\s+-\s+Running\s+Dvc-task", table), table
    finally:
        _me(git_repo, "queue", "kill", "slow", check=False)
