"""The doit adapter in-process: actions, up-to-date checks and the remote tasks, given a session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from doit.exceptions import TaskFailed

from dvcdoit.formats import config
from dvcdoit.pipeline.session import Session
from dvcdoit.repo.project import Project, init
from dvcdoit.tasks import remote as tasks_remote
from dvcdoit.tasks.actions import stage_action
from dvcdoit.tasks.loader import RunOptions, stage_task_dicts
from dvcdoit.tasks.uptodate import StageUpToDate
from tests.conftest import write_tree

PIPELINE = ("stages:\n  copy:\n    cmd: cp in.txt out.txt\n    deps: [in.txt]\n"
            "    params: [lr]\n    outs: [out.txt]\n")


class _Task:
    """The two attributes of a doit Task that StageUpToDate uses."""

    def __init__(self) -> None:
        self.value_savers: list[Any] = []
        self.values: dict[str, Any] = {}


@pytest.fixture
def session(git_repo: Path) -> Session:
    init(git_repo)
    write_tree(git_repo, {"dvc.yaml": PIPELINE, "params.yaml": "lr: 1\n", "in.txt": "hi\n"})
    return Session(Project(git_repo))


def test_check_run_save_then_unchanged(session: Session, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    task = _Task()
    check = StageUpToDate(session, "copy")
    check.configure_task(task)
    assert check(task, {}) is False
    assert repr(check) == ("changed deps: modified: in.txt; changed deps: new: params.yaml; "
                           "changed outs: deleted: out.txt")  # NOTE: never run: no lock entry
    result = stage_action(session, "copy")
    assert isinstance(result, dict)
    assert "Running stage 'copy':\n> cp in.txt out.txt\n" in capsys.readouterr().out
    task.values = result
    task.value_savers[0]()  # NOTE: doit's main process writes the lock entry
    assert (session.root / "dvc.lock").exists()
    assert session.index.locks["copy"].outs[0].hash is not None
    assert check(task, {}) is True
    assert session.project.repo_lock.held  # NOTE: the first check holds the lock to exit
    session.project.repo_lock.release()


def test_uptodate_error_is_a_reason_and_the_action_fails_in_one_line(session: Session) -> None:
    (session.root / "params.yaml").write_text("lr: [1\n")
    check = StageUpToDate(session, "copy")
    assert check(_Task(), {}) is False
    assert repr(check).startswith("params.yaml:")
    failed = stage_action(session, "copy")
    assert isinstance(failed, TaskFailed)
    assert failed.message.startswith("failed to reproduce 'copy': params.yaml:")
    assert "\n" not in failed.message
    session.project.repo_lock.release()


def test_task_dicts_carry_the_session_and_options(session: Session) -> None:
    dicts = list(stage_task_dicts(session, RunOptions(force=True, use_run_cache=False,
                                                      pull=True)))
    assert [d["name"] for d in dicts] == ["copy"]
    action, args = dicts[0]["actions"][0]
    assert action is stage_action
    assert args == [session, "copy", True, False, True, True, False]
    # NOTE: force, run-cache, reasons, pull, interactive
    assert (session.root / ".dvc" / "tmp").is_dir()


def test_remote_tasks_push_and_status(session: Session, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    task = _Task()
    StageUpToDate(session, "copy").configure_task(task)
    task.values = stage_action(session, "copy")  # type: ignore[assignment]
    task.value_savers[0]()
    config.add_remote(session.root / ".dvc", "store", str(tmp_path / "store"), default=True)
    session = Session(Project(session.root))  # NOTE: a new process would read the new config
    push = tasks_remote.task_push(session)
    action, args = push["actions"][0]
    assert args[0] is session
    assert action(*args, remote="", jobs=0, run_cache=False, targets=[]) is True
    status = tasks_remote.task_status(session)
    action, args = status["actions"][0]
    assert action(*args, cloud=True, remote="", jobs=0, as_json=False, targets=[]) is True
    out = capsys.readouterr().out
    assert "1 file pushed" in out
    assert "Cache and remote 'store' are in sync." in out
    assert len(list((tmp_path / "store" / "files" / "md5").rglob("*"))) == 2  # dir + object
