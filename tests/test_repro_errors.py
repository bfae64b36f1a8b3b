"""Stage failures through ``dvcdoit repro``: one message naming file and field; nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

PIPELINE = """stages:
  a:
    cmd: echo hi > out.txt
    deps:
    - missing.txt
    outs:
    - out.txt
  b:
    cmd: echo hi > b.txt
    params:
    - lr
    - nope.deep
    outs:
    - b.txt
  c:
    cmd: echo forgot
    outs:
    - never.txt
  d:
    cmd: exit 7
    outs:
    - d.txt
"""


@pytest.mark.parametrize(("stage", "message"), [
    ("a", ("failed to reproduce 'a': dvc.yaml:stages.a.deps: dependency 'missing.txt' does not "
          "exist (missing data 'source')")),
    ("b", ("failed to reproduce 'b': dvc.yaml:stages.b.params: parameters 'nope.deep' are "
          "missing from 'params.yaml'")),
    ("c", ("failed to reproduce 'c': output 'never.txt' does not exist (stage 'c' did not "
          "create it)")),
    ("d", "failed to reproduce 'd': failed to run: exit 7, exited with 7"),
])
def test_stage_failure_messages(git_repo: Path, dvcdoit: Runner, stage: str, message: str) -> None:
    dvcdoit("init")
    write_tree(git_repo, {"dvc.yaml": PIPELINE, "params.yaml": "lr: 0.1\n"})
    proc = dvcdoit("repro", stage, check=False)
    assert proc.returncode == 1
    assert message in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not (git_repo / "dvc.lock").exists()
