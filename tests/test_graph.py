"""StageGraph: edges (equal / inside / contains), order, upstream, and one-line errors."""

from __future__ import annotations

import pytest

from dvcdoit.core.errors import GraphError
from dvcdoit.formats.pipeline import Out, ParamsDep, StageDef
from dvcdoit.pipeline.graph import Node, StageGraph, node_for


def test_edges_and_order() -> None:
    g = StageGraph([
        Node("report", deps=("model/weights.bin",), outs=("report.md",)),
        Node("train", deps=("data/prepared", "params.yaml"), outs=("model",)),
        Node("data.dvc", outs=("data/raw",)),
        Node("prepare", deps=("data/raw/a.csv",), outs=("data/prepared/x.csv",)),
        Node("lonely", outs=("l.txt",)),
    ])
    assert g.edges["train"] == ["prepare"]  # dep contains an out
    assert g.edges["prepare"] == ["data.dvc"]  # dep inside an out
    assert g.edges["report"] == ["train"]
    assert g.order == ["data.dvc", "prepare", "train", "report", "lonely"]
    assert g.upstream("train") == ["data.dvc", "prepare", "train"]
    assert g.downstream("prepare") == ["train", "report"]


def test_independent_stages_keep_definition_order() -> None:
    g = StageGraph([Node("b"), Node("a"), Node("c", deps=("x",)), Node("d", outs=("x",))])
    assert g.order == ["b", "a", "d", "c"]


def test_node_for_stage_in_subdir() -> None:
    stage = StageDef("s", "x", file="sub/dvc.yaml", wdir="sub", deps=("../data",),
                     params=(ParamsDep("params.yaml", ("lr",)),), outs=(Out("o"),))
    assert node_for(stage) == Node("sub/dvc.yaml:s", ("data", "sub/params.yaml"), ("sub/o",))


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ([Node("a", deps=("y",), outs=("x",)), Node("b", deps=("x",), outs=("y",))],
         "pipeline has a cycle involving: a, b"),
        ([Node("a", deps=("x/in",), outs=("x",))],
         "pipeline has a cycle involving: a (it depends on its own output)"),
        ([Node("a", outs=("m.pkl",)), Node("b", outs=("m.pkl",))],
         "output 'm.pkl' is specified in both 'a' and 'b'; an output can belong to one stage only"),
        ([Node("a", outs=("data",)), Node("b", outs=("data/x",))],
         ("outputs 'data' (stage 'a') and 'data/x' (stage 'b') overlap; one output cannot be "
         "inside another")),
    ],
)
def test_errors(nodes: list[Node], message: str) -> None:
    with pytest.raises(GraphError) as exc:
        StageGraph(nodes)
    assert str(exc.value) == message
