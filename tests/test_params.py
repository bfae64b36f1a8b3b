"""Params files: parsing by extension (YAML 1.2, JSON, TOML, Python) and dotted lookup."""

from __future__ import annotations

import pytest

from dvcdoit.core.errors import FormatError
from dvcdoit.formats.params import MISSING, lookup, parse_params, select


def test_yaml_is_1_2() -> None:
    data = parse_params(b"lr: 1e-3\nflag: yes\non: on\nn: 012\n", "params.yaml")
    assert data == {"lr": 0.001, "flag": "yes", "on": "on", "n": 12}


def test_json_toml_py() -> None:
    assert parse_params(b'{"a": {"b": [1, 2]}}', "p.json") == {"a": {"b": [1, 2]}}
    assert parse_params(b"[train]\nepochs = 3\n", "p.toml") == {"train": {"epochs": 3}}
    src = b"LR = 0.1\nname: str = 'x'\nclass Train:\n    epochs = 3\nskip = len('a')\n"
    assert parse_params(src, "params.py") == {"LR": 0.1, "name": "x", "Train": {"epochs": 3}}


@pytest.mark.parametrize(
    ("text", "source", "message"),
    [
        (b"a: [1\n", "params.yaml", "params.yaml:2: invalid YAML:"),
        (b"{", "p.json", "p.json: invalid JSON:"),
        (b"a = ", "p.toml", "p.toml: invalid TOML:"),
        (b"def (:\n", "p.py", "p.py:1: invalid Python:"),
    ],
)
def test_parse_errors(text: bytes, source: str, message: str) -> None:
    with pytest.raises(FormatError) as exc:
        parse_params(text, source)
    assert str(exc.value).startswith(message)


def test_lookup() -> None:
    data = {"train": {"epochs": 3, "layers": [1, {"k": "v"}]}, "lr": None}
    assert lookup(data, "train.epochs") == 3
    assert lookup(data, "train.layers.1.k") == "v"
    assert lookup(data, "lr") is None
    assert lookup(data, "train.nope") is MISSING
    assert lookup(data, "train.layers.5") is MISSING
    assert lookup(data, "lr.x") is MISSING
    assert select(data, ["lr", "missing", "train.epochs"]) == {"lr": None, "train.epochs": 3}
