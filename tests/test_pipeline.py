"""dvc.yaml ⇄ StageDef: golden file from real DVC, `stage add` serialisation, validation table."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from dvcdoit.core.errors import FormatError, StageError
from dvcdoit.formats import _yaml
from dvcdoit.formats.lock import load_lock
from dvcdoit.formats.pipeline import (
    Out,
    ParamsDep,
    StageDef,
    load_pipeline,
    parse_pipeline,
    stage_to_dict,
    write_stage,
)

GOLDEN = Path(__file__).parent / "golden" / "pipeline"


@pytest.fixture
def golden_repo(tmp_path: Path) -> Path:
    shutil.copy(GOLDEN / "dvc.yaml", tmp_path / "dvc.yaml")
    shutil.copy(GOLDEN / "params.yaml", tmp_path / "params.yaml")
    return tmp_path


def test_golden_pipeline_matches_dvc_lock(golden_repo: Path) -> None:
    stages = load_pipeline(golden_repo)
    lock = load_lock(GOLDEN / "dvc.lock")
    assert list(stages) == list(lock)  # generated names and order as DVC
    for name, stage in stages.items():
        assert stage.lock_cmd == (list(lock[name].cmd) if isinstance(lock[name].cmd, tuple)
                                  else lock[name].cmd)
        locked = {o.path for o in lock[name].outs}
        assert {o.path for o in stage.outs} == locked
    train = stages["train"]
    assert train.params == (ParamsDep("params.yaml", ("train", "small", "flag")),)
    assert train.outs[1] == Out("metrics.json", "metrics", cache=False,
                                flags=(("cache", False),))
    # NOTE: files in the order of first use, as DVC's loader merges them
    assert stages["prepare"].params == (ParamsDep("params.yaml", ("lr", "train.epochs")),
                                        ParamsDep("other.json", None))
    assert stages["always"].always_changed


def test_stage_add_serialisation_matches_dvc() -> None:
    golden = _yaml.loads((GOLDEN / "stage_add.dvc.yaml").read_bytes(), "dvc.yaml")
    stage = StageDef(
        name="added", cmd="cat data/crlf.txt > zz.txt", desc="an added stage", wdir_def=".",
        deps=("data/raw", "data/crlf.txt"),
        params=(ParamsDep("params.yaml", ("train.epochs", "lr")), ParamsDep("other.json", ("a",))),
        outs=(Out("zz.txt"), Out("nocache.txt", cache=False), Out("m.json", "metrics", cache=False),
              Out("p.csv", "plots", cache=False)),
    )
    d = stage_to_dict(stage)
    assert d == golden["stages"]["added"]
    assert _yaml.dumps(d) == _yaml.dumps(golden["stages"]["added"])
    assert list(d) == ["desc", "cmd", "deps", "params", "outs", "metrics", "plots"]


def test_write_stage_keeps_other_content(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("plots:\n- p.csv\nstages:\n  a:\n    cmd: x\n")
    write_stage(tmp_path, StageDef("b", "echo b", outs=(Out("b.txt"),)))
    write_stage(tmp_path, StageDef("a", ("l1", "l2")), force=True)
    assert (tmp_path / "dvc.yaml").read_text() == (
        "plots:\n- p.csv\nstages:\n  a:\n    cmd:\n    - l1\n    - l2\n"
        "  b:\n    cmd: echo b\n    outs:\n    - b.txt\n")
    with pytest.raises(StageError) as exc:
        write_stage(tmp_path, StageDef("b", "x"))
    assert str(exc.value) == "Stage 'b' already exists in 'dvc.yaml'. Use '--force' to overwrite."


def test_subdir_paths() -> None:
    data = {"stages": {"s": {"cmd": "x", "wdir": "..", "deps": ["a/b"], "outs": ["o"]}}}
    stage = parse_pipeline(data, "sub/deeper/dvc.yaml", lambda p: {})["s"]
    assert stage.wdir == "sub"
    assert stage.repo_path("a/b") == "sub/a/b"
    assert stage.addressing == "sub/deeper/dvc.yaml:s"


PRIVATE = "outputs must lie outside .dvc/ and .git/"


def parse(data: Any) -> dict[str, StageDef]:
    return parse_pipeline(data, "dvc.yaml", lambda p: {})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stages": {"a": {"outs": ["x"]}}},
         "dvc.yaml:stages.a.cmd: required: a non-empty string or list of strings"),
        ({"stages": {"t": {"cmd": "x", "outs": ["a", {"b": {"cache": "no", "bogus": 1}}]}}},
         ("dvc.yaml:stages.t.outs[1].cache: expected true or false, got 'no'; "
         "dvc.yaml:stages.t.outs[1].bogus: extra keys not allowed")),
        ({"stages": {"t": {"cmd": "x", "foo": 1, "deps": [3]}}},
         ("dvc.yaml:stages.t.foo: extra keys not allowed; dvc.yaml:stages.t.deps[0]: "
         "expected a path string, got 3")),
        ({"stages": {"t": {"cmd": "x", "wdir": "../.."}}},
         "dvc.yaml:stages.t.wdir: '../..' is outside the repo"),
        ({"stages": {"t": {"cmd": "x", "outs": ["../o"]}}},
         "dvc.yaml:stages.t.outs[0]: output '../o' is outside the repo"),
        ({"stages": {"t": {"cmd": "x", "outs": ["/tmp/o"]}}},
         "dvc.yaml:stages.t.outs[0]: output '/tmp/o' is outside the repo"),
        ({"stages": {"t": {"cmd": "x", "outs": ["d.dvc"]}}},
         "dvc.yaml:stages.t.outs[0]: 'd.dvc' is a DVC file; it cannot be an output"),
        ({"stages": {"a.b": {"cmd": "x"}}},
         "dvc.yaml:stages.a.b: invalid stage name 'a.b': use letters, digits, '_' and '-' only"),
        ({"stagez": {}}, "dvc.yaml:stagez: extra keys not allowed"),
        ({"stages": {"t": {"cmd": "x", "params": [{"p.json": "k"}]}}},
         "dvc.yaml:stages.t.params[0].p.json: expected a list of keys, or nothing"),
        ({"stages": {"t": {"cmd": "x", "outs": [".dvc/config"]}}},
         "dvc.yaml:stages.t.outs[0]: output '.dvc/config' is inside .dvc/; " + PRIVATE),
        ({"stages": {"t": {"cmd": "x", "outs": ["sub/../.git/config"]}}},
         "dvc.yaml:stages.t.outs[0]: output 'sub/../.git/config' is inside .git/; " + PRIVATE),
        ({"stages": {"t": {"cmd": "x", "wdir": ".dvc", "metrics": ["config"]}}},
         "dvc.yaml:stages.t.metrics[0]: output 'config' is inside .dvc/; " + PRIVATE),
        ({"stages": {"t": {"cmd": "x", "outs": [".git"]}}},
         "dvc.yaml:stages.t.outs[0]: output '.git' is inside .git/; " + PRIVATE),
        ({"stages": {"t": {"cmd": "x", "outs": ["a\x00b"]}}},
         ("dvc.yaml:stages.t.outs[0]: output 'a\\x00b' contains a NUL character; "
         "remove it from the path")),
    ],
)
def test_validation_errors(data: Any, message: str) -> None:
    with pytest.raises(FormatError) as exc:
        parse(data)
    assert str(exc.value) == message


def test_a_subdir_wdir_cannot_reach_git() -> None:
    data = {"stages": {"t": {"cmd": "x", "wdir": "..", "outs": [".git/x"]}}}
    with pytest.raises(FormatError) as exc:
        parse_pipeline(data, "sub/dvc.yaml", lambda p: {})
    assert str(exc.value) == ("sub/dvc.yaml:stages.t.outs[0]: output '.git/x' is inside .git/; "
                              + PRIVATE)


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_text("stages:\n  a:\n    cmd: [x\n")
    with pytest.raises(FormatError) as exc:
        load_pipeline(tmp_path)
    assert str(exc.value).startswith("dvc.yaml:4: invalid YAML:")
