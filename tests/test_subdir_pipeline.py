"""``dvc.yaml`` files in subdirectories: discovered, addressed ``sub/dvc.yaml:name``, locked beside."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

SUB = """stages:
  up:
    cmd: tr a-z A-Z < in.txt > out.txt
    deps:
    - in.txt
    outs:
    - out.txt
"""
TOP = """stages:
  top:
    cmd: cat sub/out.txt sub/out.txt > both.txt
    deps:
    - sub/out.txt
    outs:
    - both.txt
"""


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner) -> Path:
    dvcdoit("init")
    write_tree(git_repo, {"sub/in.txt": "hello\n", "sub/dvc.yaml": SUB, "dvc.yaml": TOP})
    return git_repo


def test_sub_pipeline_runs_first_and_locks_beside_its_file(repo: Path, dvcdoit: Runner) -> None:
    status = dvcdoit("status").stdout
    assert status.startswith("top:\n") and "\nsub/dvc.yaml:up:\n" in status  # NOTE: DVC's order
    out = dvcdoit("repro").stdout
    assert out.index("Running stage 'sub/dvc.yaml:up'") < out.index("Running stage 'top'")
    assert (repo / "both.txt").read_text() == "HELLO\nHELLO\n"
    assert "  up:\n    cmd: tr a-z A-Z < in.txt > out.txt\n" in (repo / "sub/dvc.lock").read_text()
    assert "  top:\n" in (repo / "dvc.lock").read_text()
    assert (repo / "sub/.gitignore").read_text() == "/out.txt\n"
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"
    (repo / "sub/in.txt").write_text("bye\n")
    assert "Running stage 'top'" in dvcdoit("repro", "top").stdout
    assert (repo / "both.txt").read_text() == "BYE\nBYE\n"


@pytest.mark.interop
def test_dvc_agrees_on_sub_pipelines(repo: Path, dvcdoit: Runner, dvc: Runner) -> None:
    dvcdoit("repro")
    assert dvc("status").stdout.strip() == "Data and pipelines are up to date."
    assert "didn't change, skipping" in dvc("repro").stdout
