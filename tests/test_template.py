"""dvc.yaml templating: ${} interpolation, vars, foreach/do, matrix, errors worded as DVC's."""

from __future__ import annotations

from typing import Any

import pytest

from dvcdoit.core.errors import FormatError
from dvcdoit.formats.template import Resolver, to_str


def reader(files: dict[str, Any]) -> Any:
    def read(path: str) -> Any:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]

    return read


def resolve(data: dict[str, Any], files: dict[str, Any] | None = None,
            wdir: str = "") -> dict[str, Any]:
    file = f"{wdir}/dvc.yaml" if wdir else "dvc.yaml"
    return Resolver(data, file, wdir, reader(files or {})).resolve_all()


PARAMS = {"params.yaml": {"lr": 0.1, "on": True, "train": {"epochs": 3, "layers": [8, 16]},
                          "opts": {"k": "v w", "b": True, "f": False, "n": [1, "a b"]}}}


def test_interpolation_types_and_escape() -> None:
    out = resolve({"stages": {"s": {
        "cmd": "python t.py --lr ${lr} --on ${on} --e ${train.epochs} --l ${train.layers[1]} \\${x}",
        "deps": ["${train.layers[0]}"], "frozen": "${on}", "meta": {"${lr}": "${ train.epochs }"},
    }}}, PARAMS)
    s = out["s"]
    assert s["cmd"] == "python t.py --lr 0.1 --on true --e 3 --l 16 ${x}"
    assert s["deps"] == [8]
    assert s["frozen"] is True  # whole-string keeps the type
    assert s["meta"] == {0.1: 3}  # NOTE: keys are resolved too, as in DVC


def test_dict_in_cmd_expands_to_options() -> None:
    out = resolve({"stages": {"s": {"cmd": "run ${opts}"}}}, PARAMS)
    assert out["s"]["cmd"] == "run --k 'v w' --b --n 1 'a b'"
    assert to_str({"a": {"b": 1}}) == "--a.b 1"


def test_vars_files_and_inline() -> None:
    files = {**PARAMS, "custom.yaml": {"x": 1, "y": 2, "z": 3}, "sub/v.yaml": {"w": "deep"}}
    data = {"vars": ["custom.yaml:x,y", {"name": "n1"}],
            "stages": {"s": {"cmd": "${x} ${y} ${name} ${w}", "wdir": "sub", "vars": ["v.yaml"]}}}
    assert resolve(data, files)["s"] == {"cmd": "1 2 n1 deep", "wdir": "sub"}


def test_foreach_list_dict_and_composite() -> None:
    data = {"stages": {
        "a": {"foreach": ["x", 1, True], "do": {"cmd": "echo ${item}"}},
        "b": {"foreach": {"us": {"n": 1}, "uk": {"n": 2}}, "do": {"cmd": "echo ${key} ${item.n}"}},
        "c": {"foreach": [{"p": "q"}, [1]], "do": {"cmd": "echo c"}},
        "d": {"foreach": "${train.layers}", "do": {"cmd": "echo ${item}"}},
    }}
    out = resolve(data, PARAMS)
    assert list(out) == ["a@x", "a@1", "a@true", "b@us", "b@uk", "c@0", "c@1", "d@8", "d@16"]
    assert out["a@true"]["cmd"] == "echo true"
    assert out["b@uk"]["cmd"] == "echo uk 2"


def test_matrix_names() -> None:
    data = {"stages": {"mx": {"matrix": {"f": ["a.txt", "b.txt"], "n": [1, {"k": 1}]},
                              "cmd": "cat ${item.f} > ${key}"}}}
    out = resolve(data)
    assert list(out) == ["mx@a.txt-1", "mx@a.txt-n1", "mx@b.txt-1", "mx@b.txt-n1"]
    assert out["mx@a.txt-1"]["cmd"] == "cat a.txt > a.txt-1"


def test_no_template_does_not_read_params() -> None:
    def boom(path: str) -> Any:
        raise AssertionError(path)

    out = Resolver({"stages": {"s": {"cmd": "x"}}}, "dvc.yaml", "", boom).resolve_all()
    assert out == {"s": {"cmd": "x"}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"vars": [{"lr": 1}], "stages": {}},
         "dvc.yaml:vars: cannot redefine 'lr' from 'vars[0]' as it already exists in 'params.yaml'"),
        ({"vars": [{"train": {"epochs": 1}}], "stages": {}},
         ("dvc.yaml:vars: cannot redefine 'train.epochs' from 'vars[0]' as it already exists in "
         "'params.yaml'")),
        ({"stages": {"s": {"cmd": "x", "vars": [{"lr": 2}]}}},
         ("dvc.yaml:stages.s.vars: cannot redefine 'lr' from 's.vars[0]' as it already exists in "
         "'params.yaml'")),
        ({"vars": ["nope.yaml"], "stages": {}}, "dvc.yaml:vars: 'nope.yaml' does not exist"),
        ({"vars": ["c.yaml:zz"], "stages": {}}, "dvc.yaml:vars: could not find 'zz' in 'c.yaml'"),
        ({"vars": ["params.yaml:lr"], "stages": {}},
         "dvc.yaml:vars: cannot partially load 'params.yaml:lr' as it's already loaded."),
        ({"stages": {"s": {"cmd": "echo ${missing.key}"}}},
         "dvc.yaml:stages.s.cmd: Could not find 'missing.key'"),
        ({"stages": {"s": {"cmd": "x", "outs": ["${train}"]}}},
         "dvc.yaml:stages.s.outs: Cannot interpolate data of type 'dict'"),
        ({"stages": {"s": {"cmd": "x ${train.layers}"}}},
         "dvc.yaml:stages.s.cmd: Cannot interpolate data of type 'list'"),
        ({"stages": {"s": {"cmd": "x ${a..b}"}}}, "dvc.yaml:stages.s.cmd: invalid expression '${a..b}'"),
        ({"stages": {"s": {"foreach": "${lr}", "do": {"cmd": "x"}}}},
         "dvc.yaml:stages.s.foreach: expected list/dictionary, got float"),
    ],
)
def test_errors(data: dict[str, Any], message: str) -> None:
    with pytest.raises(FormatError) as exc:
        resolve(data, {**PARAMS, "c.yaml": {"a": 1}})
    assert str(exc.value) == message
