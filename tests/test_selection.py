"""Target selection (pipeline/selection.py via Index.select): target → stages, sources, outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcdoit.core.errors import PathError, StageError
from dvcdoit.pipeline.index import Index, load_index
from dvcdoit.repo.project import Project, init
from dvcdoit.verbs import commit
from tests.conftest import write_tree

ROOT_YAML = """stages:
  prepare:
    cmd: cp -r data.xml prepared
    deps: [data.xml]
    outs: [prepared]
  train:
    cmd: python train.py
    deps: [prepared]
    outs:
    - model.pkl
    - metrics.json:
        cache: false
"""
SUB_YAML = """stages:
  eval:
    cmd: python eval.py
    deps: [../model.pkl]
    outs: [report.txt, plots/a.png, plots/b.png]
"""


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Index:
    """A repo with two dvc.yaml files, two data sources and a classic stage file."""
    root = tmp_path / "repo"
    root.mkdir()
    init(root)
    write_tree(root, {
        "dvc.yaml": ROOT_YAML,
        "sub/dvc.yaml": SUB_YAML,
        "data.xml.dvc": "outs:\n- path: data.xml\n",
        "raw/images.dvc": "outs:\n- path: images\n",
        "copy.dvc": "cmd: cp data.xml copy.txt\ndeps:\n- path: data.xml\nouts:\n- path: copy.txt\n",
        "untracked.txt": "u\n",
        "data.xml": "<x/>\n",
    })
    monkeypatch.chdir(root)
    return load_index(Project(root))


ALL_STAGES = ("copy.dvc", "prepare", "train", "sub/dvc.yaml:eval")


@pytest.mark.parametrize(("targets", "stages", "sources", "outputs"), [
    ([], ALL_STAGES, ("data.xml.dvc", "raw/images.dvc"),
     {"data.xml", "raw/images", "copy.txt", "prepared", "model.pkl", "metrics.json",
      "sub/report.txt", "sub/plots/a.png", "sub/plots/b.png"}),
    (["train"], ("train",), (), {"model.pkl", "metrics.json"}),
    (["sub/dvc.yaml:eval"], ("sub/dvc.yaml:eval",), (),
     {"sub/report.txt", "sub/plots/a.png", "sub/plots/b.png"}),
    (["eval"], ("sub/dvc.yaml:eval",), (),  # a short name only one dvc.yaml defines
     {"sub/report.txt", "sub/plots/a.png", "sub/plots/b.png"}),
    (["copy.dvc"], ("copy.dvc",), (), {"copy.txt"}),
    (["data.xml.dvc"], (), ("data.xml.dvc",), {"data.xml"}),
    (["data.xml"], (), ("data.xml.dvc",), {"data.xml"}),
    (["raw"], (), ("raw/images.dvc",), {"raw/images"}),
    (["raw/images"], (), ("raw/images.dvc",), {"raw/images"}),
    (["raw/"], (), ("raw/images.dvc",), {"raw/images"}),
    (["model.pkl"], ("train",), (), {"model.pkl"}),  # an output path: that output only
    (["sub/plots"], ("sub/dvc.yaml:eval",), (), {"sub/plots/a.png", "sub/plots/b.png"}),
    (["sub/plots/a.png"], ("sub/dvc.yaml:eval",), (), {"sub/plots/a.png"}),
    (["train", "data.xml", "train"], ("train",), ("data.xml.dvc",),
     {"model.pkl", "metrics.json", "data.xml"}),
    (["repro:train"], (), (), set()),  # doit's task names are repro's to strip
])
def test_select(index: Index, targets: list[str], stages: tuple[str, ...],
                sources: tuple[str, ...], outputs: set[str]) -> None:
    sel = index.select(targets, strict=False)
    assert sel.stages == tuple(s for s in index.stages if s in stages)
    assert set(sel.stages) == set(stages)
    assert sel.sources == sources
    assert sel.outputs == outputs
    assert sel.everything == (not targets)
    assert sel.unknown == (("repro:train",) if targets == ["repro:train"] else ())


def test_select_from_a_subdirectory(index: Index) -> None:
    sub = index.project.root / "sub"
    sel = index.select(["report.txt", "plots", "train"], cwd=sub)
    assert sel.stages == ("train", "sub/dvc.yaml:eval")
    assert sel.outputs == {"sub/report.txt", "sub/plots/a.png", "sub/plots/b.png", "model.pkl",
                           "metrics.json"}
    assert index.select(["."], cwd=sub).outputs == {"sub/report.txt", "sub/plots/a.png",
                                                    "sub/plots/b.png"}
    assert index.select(["../data.xml"], cwd=sub).sources == ("data.xml.dvc",)


def test_an_existing_path_wins_over_a_stage_name_if_it_names_anything(index: Index) -> None:
    root = index.project.root
    write_tree(root, {"dvc.yaml": ROOT_YAML + "  raw:\n    cmd: echo\n", "train/x": "x"})
    both = load_index(Project(root))
    raw = both.select(["raw"])  # the directory raw/ holds raw/images.dvc
    assert (raw.stages, raw.sources) == ((), ("raw/images.dvc",))
    train = both.select(["train"])  # the directory train/ holds nothing tracked
    assert (train.stages, train.sources) == (("train",), ())


def test_ambiguous_short_names_name_no_stage(index: Index, tmp_path: Path) -> None:
    root = index.project.root
    write_tree(root, {"other/dvc.yaml": SUB_YAML.replace("../model.pkl", "../metrics.json")})
    two = load_index(Project(root))
    assert two.select(["eval"], strict=False).unknown == ("eval",)
    assert two.select(["other/dvc.yaml:eval"]).stages == ("other/dvc.yaml:eval",)


def test_repro_takes_stage_names_and_stage_files(index: Index) -> None:
    assert index.select_stages([]) == []
    assert index.select_stages(["train", "copy.dvc", "eval", "train"]) == [
        "train", "copy.dvc", "sub/dvc.yaml:eval"]


def test_every_dvc_target_form(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    root = index.project.root
    assert index.select_stages(["dvc.yaml:train"]) == ["train"]
    assert index.select_stages(["sub/dvc.yaml:eval"]) == ["sub/dvc.yaml:eval"]
    assert index.select_stages(["dvc.yaml"]) == ["prepare", "train"]
    assert index.select_stages(["sub/dvc.yaml"]) == ["sub/dvc.yaml:eval"]
    assert index.select_stages(["data.xml.dvc"]) == ["data.xml.dvc"]  # NOTE: as DVC's repro
    assert index.select(["dvc.yaml"]).outputs == {"prepared", "model.pkl", "metrics.json"}
    assert index.select(["dvc.yaml:train"]).outputs == {"model.pkl", "metrics.json"}
    monkeypatch.chdir(root / "sub")  # NOTE: the file part is relative to the cwd, as in DVC
    assert index.select_stages(["dvc.yaml:eval"]) == ["sub/dvc.yaml:eval"]
    assert index.select_stages(["../dvc.yaml:prepare"]) == ["prepare"]


def test_foreach_and_matrix_groups_and_members(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    init(tmp_path)
    write_tree(tmp_path, {"dvc.yaml": """stages:
  build:
    foreach: [x, y]
    do:
      cmd: echo ${item} > b-${item}.txt
      outs:
      - b-${item}.txt
  grid:
    matrix:
      lr: [1, 2]
      opt: [adam]
    cmd: echo ${item.lr} ${item.opt} > g-${item.lr}-${item.opt}.txt
    outs:
    - g-${item.lr}-${item.opt}.txt
"""})
    monkeypatch.chdir(tmp_path)
    index = load_index(Project(tmp_path))
    assert index.select_stages(["build"]) == ["build@x", "build@y"]
    assert index.select_stages(["dvc.yaml:build@y"]) == ["build@y"]
    assert index.select_stages(["grid"]) == ["grid@1-adam", "grid@2-adam"]
    assert index.select(["grid@2-adam"]).outputs == {"g-2-adam.txt"}


@pytest.mark.parametrize(("verb", "target", "message"), [
    ("select", "nothing-here",
     ("'nothing-here' does not exist as an output or a stage name in 'dvc.yaml': "
      "Stage 'nothing-here' not found inside 'dvc.yaml' file")),
    ("select", "untracked.txt",
     ("'untracked.txt' does not exist as an output or a stage name in 'dvc.yaml': "
      "Stage 'untracked.txt' not found inside 'dvc.yaml' file")),
    ("select", "sub/dvc.yaml:nope",
     "Stage 'nope' not found inside 'sub/dvc.yaml' file"),
    ("select", "sub/nope.yaml:x", "'{root}/sub/nope.yaml' does not exist"),
    ("select", "sub:x", ("bad DVC file name 'sub'. DVC files should be named 'dvc.yaml' or "
                         "have a '.dvc' suffix (e.g. 'sub.dvc').")),
    ("select", "nope.dvc", "'{root}/nope.dvc' does not exist"),
    ("select", "../outside.txt",
     "'../outside.txt' is outside of the repo '{root}'; only paths inside it can be used"),
    ("select", ".", "'.' is the repo root; track a file or directory inside it"),
    ("select", ".dvc/config",
     "'.dvc/config' is inside '.dvc/', which dvcdoit manages itself; pick another path"),
    ("commit", "untracked.txt",
     "'untracked.txt' is not tracked by any .dvc file; use 'dvcdoit add untracked.txt' first"),
    ("commit", "nothing-here",
     ("'nothing-here' does not exist as an output or a stage name in 'dvc.yaml': "
      "Stage 'nothing-here' not found inside 'dvc.yaml' file")),
    ("repro", "nothing-here", "Stage 'nothing-here' not found inside 'dvc.yaml' file"),
    ("repro", "model.pkl", "Stage 'model.pkl' not found inside 'dvc.yaml' file"),
    ("repro", "sub", "Stage 'sub' not found inside 'dvc.yaml' file"),
    ("repro", "dvc.yaml:nope", "Stage 'nope' not found inside 'dvc.yaml' file"),
    ("repro", "nope.dvc", "'{root}/nope.dvc' does not exist"),
])
def test_bad_target_messages(index: Index, verb: str, target: str, message: str) -> None:
    error = StageError if verb == "repro" else PathError
    with pytest.raises(error) as info:
        if verb == "repro":
            index.select_stages([target])
        elif verb == "commit":
            commit.select(index, [target])
        else:
            index.select([target])
    assert str(info.value) == message.format(root=index.project.root)


def test_unknown_stage_with_no_stages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StageError, match=r"^Stage 'x' not found inside 'dvc.yaml' file$"):
        load_index(Project(tmp_path)).select_stages(["x"])
