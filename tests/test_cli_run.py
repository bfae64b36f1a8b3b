"""``dvcdoit run`` / ``stage add`` flags: -d -o -O -M -p -w --no-exec --force, and run -f."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

EXPECTED = """stages:
  s:
    cmd: 'cp in.txt out.txt && cp in.txt nocache.txt && echo "{\\"a\\": 1}" > m.json'
    deps:
    - in.txt
    params:
    - lr
    outs:
    - nocache.txt:
        cache: false
    - out.txt
    metrics:
    - m.json:
        cache: false
"""


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner) -> Path:
    dvcdoit("init")
    write_tree(git_repo, {"params.yaml": "lr: 0.1\n", "in.txt": "hi\n", "w/a": "x\n"})
    return git_repo


def test_run_no_exec_writes_the_stage_only(repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("run", "-n", "s", "--no-exec", "-d", "in.txt", "-O", "nocache.txt", "-M", "m.json",
            "-p", "lr", "-o", "out.txt",
            'cp in.txt out.txt && cp in.txt nocache.txt && echo "{\\"a\\": 1}" > m.json')
    assert (repo / "dvc.yaml").read_text() == EXPECTED
    assert not (repo / "out.txt").exists() and not (repo / "dvc.lock").exists()
    dvcdoit("repro")
    lock = (repo / "dvc.lock").read_text()
    assert "lr: 0.1" in lock and "path: m.json" in lock and "path: nocache.txt" in lock
    assert (repo / ".gitignore").read_text() == "/out.txt\n"  # cache: false outs are not ignored


def test_run_refuses_an_existing_stage_without_force(repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("run", "-n", "s", "-d", "in.txt", "-o", "out.txt", "cp in.txt out.txt")
    proc = dvcdoit("run", "-n", "s", "-d", "in.txt", "-o", "out.txt", "cat in.txt > out.txt",
                   check=False)
    assert (proc.returncode, proc.stderr) == (
        3, "ERROR: Stage 's' already exists in 'dvc.yaml'. Use '--force' to overwrite.\n")
    dvcdoit("run", "-n", "s", "--force", "-d", "in.txt", "-o", "out.txt", "cat in.txt > out.txt")
    assert "cmd: cat in.txt > out.txt" in (repo / "dvc.yaml").read_text()


def test_stage_add_with_wdir(repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("stage", "add", "-n", "ws", "-w", "w", "-d", "a", "-o", "b", "cp a b")
    assert (repo / "dvc.yaml").read_text() == (
        "stages:\n  ws:\n    cmd: cp a b\n    wdir: w\n    deps:\n    - a\n    outs:\n    - b\n")
    assert not (repo / "w/b").exists()
    dvcdoit("repro", "ws")
    assert (repo / "w/b").read_text() == "x\n"


def test_run_f_writes_a_classic_stage_file(repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("run", "-f", "copy.dvc", "-d", "in.txt", "-o", "copy.txt", "cp in.txt copy.txt")
    text = (repo / "copy.dvc").read_text()
    assert text.startswith("md5: ") and "cmd: cp in.txt copy.txt" in text
    assert (repo / "copy.txt").read_text() == "hi\n"
    assert dvcdoit("status", "copy.dvc").stdout == "Data and pipelines are up to date.\n"
