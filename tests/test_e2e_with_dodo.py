"""examples/with-dodo: a user's doit build with dvcdoit's tasks brought in by one line.

``codegen`` (user task) → ``repro:summarize`` (dvc.yaml stage, dep on codegen's target) →
``report`` (user task, ``file_dep`` on the stage's output). Checks the order, the outputs,
the lock, the no-op rerun, and the re-run of all three after the user's input changes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_e2e_tutorial import executed_tasks, tool_env, uptodate_tasks

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "with-dodo"


def sh(repo: Path, env: dict[str, str], command: str) -> str:
    """Run ``command`` in ``repo``; fail with its output unless it exits 0."""
    proc = subprocess.run(["bash", "-c", command], check=False, cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"`{command}` exited {proc.returncode}:\n{out}"
    return out


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh git repo holding a copy of the example, with ``dvcdoit init`` done."""
    repo = tmp_path / "with-dodo"
    shutil.copytree(EXAMPLE, repo)
    env = tool_env(tmp_path)
    sh(repo, env, "git init -q . && dvcdoit init && git add . && git commit -q -m start")
    return repo, env


def test_order_outputs_and_noop_rerun(project: tuple[Path, dict[str, str]]) -> None:
    repo, env = project
    out = sh(repo, env, "doit")
    assert executed_tasks(out) == ["codegen", "repro:summarize", "report"], out
    summary = json.loads((repo / "summary.json").read_text())
    assert summary["threshold"] == 25.0
    assert summary["stations"]["north"]["days_above"] >= 0
    assert (repo / "report.md").read_text().startswith("# Temperatures (celsius, threshold 25.0)")
    lock = (repo / "dvc.lock").read_text()
    assert lock.startswith("schema: '2.0'\nstages:\n  summarize:\n"), lock
    assert "path: gen/config.json" in lock and "path: summary.json" in lock
    assert "/summary.json" in (repo / ".gitignore").read_text().splitlines()
    md5 = hashlib.md5((repo / "summary.json").read_bytes()).hexdigest()
    assert (repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).is_file()

    again = sh(repo, env, "doit")
    assert executed_tasks(again) == [], f"a second doit must run nothing:\n{again}"
    assert set(uptodate_tasks(again)) >= {"codegen", "repro:summarize", "report"}, again


def test_changing_the_users_input_reruns_the_chain(project: tuple[Path, dict[str, str]]) -> None:
    repo, env = project
    sh(repo, env, "doit")
    settings = repo / "settings.ini"
    settings.write_text(settings.read_text().replace("threshold = 25.0", "threshold = 20.0"))
    out = sh(repo, env, "doit")
    assert executed_tasks(out) == ["codegen", "repro:summarize", "report"], out
    assert json.loads((repo / "summary.json").read_text())["threshold"] == 20.0
    assert "threshold 20.0" in (repo / "report.md").read_text()


def test_the_stage_alone_pulls_in_codegen(project: tuple[Path, dict[str, str]]) -> None:
    repo, env = project
    out = sh(repo, env, "doit repro:summarize")
    assert executed_tasks(out) == ["codegen", "repro:summarize"], out
    assert not (repo / "report.md").exists()
