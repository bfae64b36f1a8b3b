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


RUN_GRAPH = [
    Node("report", deps=("model", "extra.txt"), outs=("report.md",)),
    Node("train", deps=("data/prepared",), outs=("model",)),
    Node("data.dvc", outs=("data/raw",)),
    Node("prepare", deps=("data/raw",), outs=("data/prepared",)),
    Node("extra", deps=("data/raw",), outs=("extra.txt",)),
    Node("lonely", outs=("l.txt",)),
]


@pytest.mark.parametrize(("targets", "single", "order"), [
    ([], False, ["data.dvc", "prepare", "train", "extra", "report", "lonely"]),
    (["report"], False, ["data.dvc", "prepare", "train", "extra", "report"]),
    (["train", "extra"], False, ["data.dvc", "prepare", "train", "extra"]),
    (["extra", "train"], False, ["data.dvc", "prepare", "train", "extra"]),  # NOTE: DVC's
    # plan_repro: the walk starts from the nodes in definition order, not the targets' order
    (["report", "train"], False, ["data.dvc", "prepare", "train", "extra", "report"]),
    (["report", "prepare"], True, ["report", "prepare"]),
    (["lonely", "lonely"], True, ["lonely"]),
    ([], True, ["data.dvc", "prepare", "train", "extra", "report", "lonely"]),
])
def test_run_order_is_doits_depth_first_walk(targets: list[str], single: bool,
                                             order: list[str]) -> None:
    assert StageGraph(RUN_GRAPH).run_order(targets, single) == order


def test_outs_under() -> None:
    g = StageGraph(RUN_GRAPH)
    assert g.outs_under("data") == ["data/prepared", "data/raw"]
    assert g.outs_under("data/raw") == []
    assert g.outs_under("dat") == []
