"""``dvcdoit dag``: the stage graph as text, Mermaid and Graphviz dot."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

PIPELINE = """stages:
  prepare:
    cmd: cp raw.txt prepared.txt
    deps:
    - raw.txt
    outs:
    - prepared.txt
  train:
    cmd: cp prepared.txt model.txt
    deps:
    - prepared.txt
    outs:
    - model.txt
  report:
    cmd: cat model.txt prepared.txt > report.txt
    deps:
    - model.txt
    - prepared.txt
    outs:
    - report.txt
"""


@pytest.fixture
def repo(git_repo: Path, dvcdoit: Runner) -> Path:
    dvcdoit("init")
    write_tree(git_repo, {"raw.txt": "x\n", "dvc.yaml": PIPELINE})
    dvcdoit("add", "raw.txt")
    return git_repo


def test_dag_ascii(repo: Path, dvcdoit: Runner) -> None:
    assert dvcdoit("dag").stdout == (
        "raw.txt.dvc\n"
        "prepare  <- raw.txt.dvc\n"
        "train  <- prepare\n"
        "report  <- train, prepare\n")  # upstreams in the order of the deps


def test_dag_mermaid(repo: Path, dvcdoit: Runner, dvc: Runner) -> None:
    """DVC's numbering: nodes sorted by name, edges sorted (``dep-->stage``)."""
    out = dvcdoit("dag", "--mermaid").stdout
    assert out == ('flowchart TD\n\tnode1["prepare"]\n\tnode2["raw.txt.dvc"]\n\tnode3["report"]\n'
                   '\tnode4["train"]\n\tnode1-->node3\n\tnode1-->node4\n\tnode2-->node1\n'
                   '\tnode4-->node3\n')
    assert out == dvc("dag", "--mermaid").stdout


def test_dag_dot(repo: Path, dvcdoit: Runner) -> None:
    out = dvcdoit("dag", "--dot").stdout
    assert out.startswith("strict digraph  {\n")
    assert '"raw.txt.dvc" -> "prepare";' in out
    assert '"train" -> "report";' in out
    assert out.rstrip().endswith("}")
