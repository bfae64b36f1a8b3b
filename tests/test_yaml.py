"""formats._yaml: the fast writer gives the full emitter's bytes, or steps aside."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dvcdoit.core.errors import FormatError
from dvcdoit.formats import _yaml

WORDS = st.one_of(
    st.sampled_from(["md5", "path", "input.txt", "s01.txt", "true", "null", "1.0", "0x1f", "~",
                     "-x", "a b", "a  b", "x:y", "#c", "...", ".inf", "per_lang@en", "é", "",
                     " lead", "trail ", "012", "1e3", "yes", "/root/bin/python step.py a b"]),
    st.text(alphabet="ab.-_/ :=@#'\"0123456789", max_size=12),
    st.text(min_size=70, max_size=90, alphabet="ab /."),
)
SCALARS = st.one_of(WORDS, st.integers(-10, 10**12), st.booleans(), st.none(), st.floats(0, 2))
TREES = st.recursive(SCALARS, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(WORDS, kids, max_size=3)), max_leaves=12)


# NOTE: mostly writable by the fast path: plain-looking words, numbers-as-text, long lines
SAFE = st.from_regex(r"[a-z0-9_./][a-z0-9_./@=+-]{0,8}( [a-z0-9_./-]{1,25}){0,3}", fullmatch=True)
PLAIN = st.one_of(SAFE, SAFE, SAFE, SAFE, st.sampled_from(
    ["true", "False", "12", "1_000", "0o7", ".5", "null", "@x", "- h", "x" * 60, "y" * 72]))
KEY = st.one_of(st.from_regex(r"[a-z_][a-z0-9_.@-]{0,10}", fullmatch=True), st.just("true"))
LEAF = st.one_of(PLAIN, st.integers(0, 10**9), st.booleans())
PLAIN_TREES = st.recursive(LEAF, lambda kids: st.one_of(
    st.lists(st.one_of(LEAF, st.dictionaries(KEY, kids, min_size=1, max_size=3)), min_size=1,
             max_size=3),
    st.dictionaries(KEY, kids, min_size=1, max_size=3)), max_leaves=10)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(WORDS, TREES, max_size=4))
def test_fast_writer_matches_the_emitter(data: dict[str, Any]) -> None:
    assert _yaml.dumps(data) == _yaml._emit(data)


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(KEY, PLAIN_TREES, min_size=1, max_size=4))
def test_fast_writer_matches_the_emitter_on_plain_data(data: dict[str, Any]) -> None:
    assert _yaml.dumps(data) == _yaml._emit(data)


def test_fast_writer_takes_the_lock_shape() -> None:
    entry = {"stages": {"s01": {
        "cmd": "/root/.pyenv/versions/3.11.7/bin/python step.py input.txt s01.txt",
        "deps": [{"path": "input.txt", "hash": "md5", "md5": "f4a0b6cc3ef7ee29a4e2ee1f1a5a8d1b",
                  "size": 6}],
        "outs": [{"path": "s01.txt", "hash": "md5", "md5": "0cbc6611f5540bd0809a388dc95a615b",
                  "size": 14, "isexec": True}]}}}
    text = _yaml._fast_dumps(entry)
    assert text is not None and text == _yaml._emit(entry)
    assert _yaml._fast_dumps({"a": "1.5"}) is None  # NOTE: would read back as a float


_BOMB = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
                  + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", "f.yaml:3: invalid YAML: found duplicate key 'a'"),
        ("s:\n  t:\n    cmd: x\n    cmd: y\n", "f.yaml:4: invalid YAML: found duplicate key 'cmd'"),
        ("a: &a [*a]\n", "f.yaml:1: invalid YAML: found a recursive alias"),
        ("a: &a {b: *a}\n", "f.yaml:1: invalid YAML: found a recursive alias"),
        (_BOMB, ("f.yaml:6: invalid YAML: the document expands to more than 1000000 values "
                "(aliases?)")),
    ],
)
def test_hostile_yaml_is_refused(text: str, message: str) -> None:
    with pytest.raises(FormatError) as exc:
        _yaml.loads(text, "f.yaml")
    assert str(exc.value) == message


def test_shared_aliases_within_the_limit_still_load() -> None:
    assert _yaml.loads("x: &x [1, 2]\ny: [*x, *x]\n", "f.yaml") == {"x": [1, 2],
                                                                     "y": [[1, 2], [1, 2]]}
