"""``.dvc`` files: golden bytes from real DVC 3.67.1, DVC's rewrite semantics, round trips, errors."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dvcdoit.core.errors import FormatError, PathError
from dvcdoit.core.hashing import HashInfo
from dvcdoit.formats import _yaml
from dvcdoit.formats import dvcfile as df

GOLDEN = Path(__file__).parent / "golden"
EXPECTED: dict[str, Any] = json.loads((GOLDEN / "expected.json").read_text())
FILE_CASES = sorted(k for k, v in EXPECTED.items() if "dvcfile" in v)
# Written from scratch by `dvc add` (no earlier .dvc file).
FRESH = [c for c in FILE_CASES if not c.startswith(("legacy", "annotated"))]
# (hand-written input, case whose bytes `dvc add` produced from it after the data changed or not)
REWRITES = [("legacy_input_crlf.txt.dvc", "legacy_file"),
            ("legacy_input_ldir.dvc", "legacy_dir"),
            ("legacy_input_mod.txt.dvc", "legacy_file_changed"),
            ("legacy_input_mdir.dvc", "legacy_dir_changed"),
            ("legacy_input_ann.txt.dvc", "annotated_rewrite")]


def _golden(case: str) -> bytes:
    return (GOLDEN / str(EXPECTED[case]["dvcfile"])).read_bytes()


def _hi(exp: dict[str, Any]) -> HashInfo:
    return HashInfo(exp["hash"], exp["md5"])


@pytest.mark.parametrize("case", FILE_CASES)
def test_golden_values(case: str) -> None:
    exp = EXPECTED[case]
    d = df.loads(_golden(case), case)
    (out,) = d.outs
    assert (out.path, out.hash, out.size, out.nfiles, out.isexec) == (
        exp["path"], _hi(exp), exp["size"], exp["nfiles"], exp["isexec"])
    assert out.isdir == exp["md5"].endswith(".dir")
    assert d.is_data_source


@pytest.mark.parametrize("case", FRESH)
def test_fresh_write_matches_dvc_bytes(case: str) -> None:
    """Build the value from expected.json alone; its fresh dump is what `dvc add` wrote."""
    exp = EXPECTED[case]
    out = df.Out(path=exp["path"], hash=_hi(exp), size=exp["size"], nfiles=exp["nfiles"],
                isexec=exp["isexec"])
    assert df.dumps(df.DvcFile(outs=(out,))).encode() == _golden(case)


@pytest.mark.parametrize("case", FILE_CASES)
def test_rewrite_unchanged_is_byte_identical(case: str) -> None:
    data = _golden(case)
    assert df.dumps(df.loads(data, case), data).encode() == data


@pytest.mark.parametrize(("source", "case"), REWRITES)
def test_rewrite_matches_dvc(source: str, case: str) -> None:
    """Same outcome as `dvc add` on an existing file: values in place, new keys appended,
    defaults and `wdir: .` dropped, user fields kept, top-level md5 kept (add never drops it)."""
    old = (GOLDEN / "dvcfile" / source).read_bytes()
    exp = EXPECTED[case]
    d = df.loads(old, source)
    out = dataclasses.replace(d.outs[0], hash=_hi(exp), size=exp["size"], nfiles=exp["nfiles"])
    assert df.dumps(dataclasses.replace(d, outs=(out,)), old).encode() == _golden(case)


def test_annotations_and_flags_parsed() -> None:
    d = df.loads((GOLDEN / "dvcfile/legacy_input_ann.txt.dvc").read_bytes(), "a.dvc")
    out = d.outs[0]
    assert (out.desc, out.type, out.labels, out.meta) == ("annotated", "model", ("a", "b"),
                                                          {"k": "v"})
    m = df.loads((GOLDEN / "dvcfile/legacy_input_mdir.dvc").read_bytes(), "m.dvc")
    assert (m.desc, m.meta, m.outs[0].remote, m.outs[0].push) == ("top desc", {"owner": "me"},
                                                                  "myr", False)
    assert m.outs[0].hash == HashInfo("md5-dos2unix", "7feddf007e6e3577837d6ca0cff88683.dir")
    old = df.loads((GOLDEN / "dvcfile/legacy_input_mod.txt.dvc").read_bytes(), "o.dvc")
    assert (old.md5, old.wdir) == ("0123456789abcdef0123456789abcdef", ".")


def test_commit_style_rewrite_drops_stage_md5() -> None:
    old = (GOLDEN / "dvcfile/legacy_input_mod.txt.dvc").read_bytes()
    d = dataclasses.replace(df.loads(old, "o.dvc"), md5=None)
    assert df.dumps(d, old) == ("outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 5\n"
                               "  path: mod.txt\n  desc: my data\n")


def test_fresh_key_order_all_fields() -> None:
    out = df.Out(path="m.pkl", hash=HashInfo("md5", "a" * 32), size=3, isexec=True, cache=False,
                persist=True, push=False, remote="r", desc="d", type="model", labels=("x",),
                meta={"k": 1}, extra={"version_id": "v1"})
    d = df.DvcFile(outs=(out,), desc="top", md5="b" * 32, wdir="..", frozen=True, meta={"m": 1})
    assert df.dumps(d) == (
        "desc: top\nmd5: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\nwdir: ..\nfrozen: true\nouts:\n"
        "- md5: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  size: 3\n  isexec: true\n  version_id: v1\n"
        "  hash: md5\n  path: m.pkl\n  desc: d\n  type: model\n  labels:\n  - x\n  meta:\n"
        "    k: 1\n  cache: false\n  persist: true\n  remote: r\n  push: false\nmeta:\n  m: 1\n")


def test_unmodelled_allowed_keys_survive() -> None:
    text = ("outs:\n- md5: " + "c" * 32 + ".dir\n  size: 1\n  nfiles: 1\n  hash: md5\n"
            "  path: d\n  files:\n  - relpath: a\n    md5: " + "d" * 32 + "\n    size: 1\n"
            "    cloud:\n      r:\n        version_id: x\n")
    d = df.loads(text, "d.dvc")
    assert "files" in d.outs[0].extra
    assert df.dumps(d) == text
    assert df.dumps(d, text) == text


def test_import_stage_deps_round_trip() -> None:
    text = ("md5: " + "e" * 32 + "\nfrozen: true\ndeps:\n- md5: " + "f" * 32 + "\n  size: 2\n"
            "  hash: md5\n  path: https://example.com/x\nouts:\n- md5: " + "f" * 32 +
            "\n  size: 2\n  hash: md5\n  path: x\n")
    d = df.loads(text, "x.dvc")
    assert not d.is_data_source and d.frozen and d.deps[0].path == "https://example.com/x"
    assert df.dumps(d) == text


def test_locked_is_old_frozen_and_is_rewritten() -> None:
    text = "locked: true\nouts:\n- md5: " + "a" * 32 + "\n  path: x\n"
    d = df.loads(text, "x.dvc")
    assert d.frozen
    assert df.dumps(d, text) == "outs:\n- md5: " + "a" * 32 + "\n  path: x\nfrozen: true\n"


def test_hash_values_are_lowercased_and_ints_coerced() -> None:
    d = df.loads("outs:\n- md5: " + "A" * 32 + "\n  path: x\n", "x.dvc")
    assert d.outs[0].hash == HashInfo("md5-dos2unix", "a" * 32)
    d = df.loads("outs:\n- md5: " + "1" * 32 + "\n  path: x\n", "x.dvc")
    assert d.outs[0].hash == HashInfo("md5-dos2unix", "1" * 32)
    assert df.dumps(d) == "outs:\n- md5: '" + "1" * 32 + "'\n  path: x\n"
    assert df.loads("outs:\n- md5: ''\n  path: x\n", "x.dvc").outs[0].hash is None


def test_out_without_md5_writes_hash_md5() -> None:
    d = df.DvcFile(outs=(df.Out(path="x"),))
    assert df.dumps(d) == "outs:\n- hash: md5\n  path: x\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cmd: echo\nouts:\n- path: x\n",
         ("data.xml.dvc: cmd: not allowed in a DVC 3 .dvc file: this is a DVC 2 single-stage "
         "file; convert it to a dvc.yaml stage")),
        ("outs:\n- path: x\n  md5: xyz\n",
         ("data.xml.dvc: outs[0].md5: 'xyz' is not an md5 hash (32 hex digits, optionally "
         "followed by '.dir')")),
        ("outs:\n- path: x\n  md5: ../../etc/passwd\n",
         ("data.xml.dvc: outs[0].md5: '../../etc/passwd' is not an md5 hash (32 hex digits, "
         "optionally followed by '.dir')")),
        ("outs:\n- path: x\n  md5: 0\n",
         ("data.xml.dvc: outs[0].md5: '0' is not an md5 hash (32 hex digits, optionally "
         "followed by '.dir')")),
        ("outs:\n- path: x\n  md5: [1]\n",
         "data.xml.dvc: outs[0].md5: expected an md5 hash string, got a list"),
        ("outs:\n- path: x\n  metric: true\n  plot: true\n",
         ("data.xml.dvc: outs[0].metric: not allowed in a .dvc file (DVC 3 refuses it); declare "
         "metrics and plots in dvc.yaml; data.xml.dvc: outs[0].plot: not allowed in a .dvc "
         "file (DVC 3 refuses it); declare metrics and plots in dvc.yaml")),
        ("outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n", "data.xml.dvc: outs[0].path: missing"),
        ("outs:\n- path: ''\n", "data.xml.dvc: outs[0].path: empty"),
        ("outs:\n- path: x\n  size: -1\n  nfiles: '3'\n  isexec: yes\n",
         ("data.xml.dvc: outs[0].size: must not be negative; data.xml.dvc: outs[0].nfiles: "
         "expected an integer, got '3'; data.xml.dvc: outs[0].isexec: expected true or false, "
         "got 'yes'")),
        ("outs:\n- path: x\n  size: true\n",
         "data.xml.dvc: outs[0].size: expected an integer, got a boolean"),
        ("outs:\n- path: x\n  hash: sha256\n",
         "data.xml.dvc: outs[0].hash: unsupported hash 'sha256'; only 'md5' exists"),
        ("outs:\n- path: x\n  custom: 1\n",
         "data.xml.dvc: outs[0].custom: unknown key (DVC 3 refuses it)"),
        ("outs: x\n", "data.xml.dvc: outs: expected a list, got 'x'"),
        ("outs: []\n", "data.xml.dvc: outs: missing; a .dvc file must list at least one output"),
        ("- a\n", "data.xml.dvc: expected a mapping with 'outs', got a list"),
        ("", "data.xml.dvc: expected a mapping with 'outs', got nothing (null)"),
        ("outs:\n- x\n", "data.xml.dvc: outs[0]: expected a mapping with 'path', got 'x'"),
        ("frozen: 1\nouts:\n- path: x\n",
         "data.xml.dvc: frozen: expected true or false, got number 1"),
        ("outs:\n- path: x\n  labels: [1]\n",
         "data.xml.dvc: outs[0].labels: expected a list of strings"),
        ("deps:\n- path: x\n  desc: no\nouts:\n- path: y\n",
         "data.xml.dvc: deps[0].desc: unknown key (DVC 3 refuses it)"),
        ("foo: 1\nouts:\n- path: x\n", "data.xml.dvc: foo: unknown key (DVC 3 refuses it)"),
        ("outs:\n- path: x\n  cache: 'no'\n  remote: 3\n",
         ("data.xml.dvc: outs[0].cache: expected true or false, got 'no'; data.xml.dvc: "
         "outs[0].remote: expected a string, got number 3")),
        ("outs:\n  - path: x\n   bad: indent\n",
         "data.xml.dvc:3: invalid YAML: did not find expected '-' indicator"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(FormatError) as exc:
        df.loads(text, "data.xml.dvc")
    assert str(exc.value) == message


def test_is_stage_file_routes_classic_stage_files() -> None:
    assert df.is_stage_file(_yaml.loads("cmd: x\nouts:\n- path: y\n", "s"))
    assert not df.is_stage_file(_yaml.loads(_golden("file"), "f"))
    assert not df.is_stage_file(["cmd"])


def test_dump_writes_atomically_and_skips_unchanged(tmp_path: Path) -> None:
    p = tmp_path / "foo.txt.dvc"
    d = df.loads(_golden("file"), "f")
    assert df.dump(p, d) is True
    assert p.read_bytes() == _golden("file")
    os.utime(p, ns=(1, 1))
    assert df.dump(p, d) is False
    assert p.stat().st_mtime_ns == 1
    assert df.load(p) == d
    assert [x.name for x in tmp_path.iterdir()] == ["foo.txt.dvc"]


def test_dump_over_broken_yaml_writes_fresh(tmp_path: Path) -> None:
    p = tmp_path / "x.dvc"
    p.write_text("outs: [\n")
    df.dump(p, df.loads(_golden("file"), "f"))
    assert p.read_bytes() == _golden("file")


@pytest.mark.parametrize(
    ("dvcpath", "wdir", "path", "expected"),
    [("foo.txt.dvc", None, "foo.txt", "foo.txt"), ("sub/x.dvc", None, "x", "sub/x"),
     ("sub/x.dvc", "..", "data/x", "data/x"), ("a/b.dvc", None, "../c", "c")],
)
def test_resolve_path(dvcpath: str, wdir: str | None, path: str, expected: str) -> None:
    d = df.DvcFile(outs=(df.Out(path=path),), wdir=wdir)
    assert df.resolve_path(dvcpath, d, d.outs[0]) == expected


@pytest.mark.parametrize(
    ("dvcpath", "wdir", "path", "where"),
    [("x.dvc", None, ".dvc/config", ".dvc"), ("x.dvc", None, "sub/../.dvc/config", ".dvc"),
     ("sub/x.dvc", None, "../.git/HEAD", ".git"), ("sub/x.dvc", "..", ".git", ".git"),
     ("x.dvc", ".dvc", "config", ".dvc"), ("x.dvc", None, "d/.git/x", ".git")],
)
def test_resolve_path_refuses_dvc_and_git_dirs(dvcpath: str, wdir: str | None, path: str,
                                               where: str) -> None:
    d = df.DvcFile(outs=(df.Out(path="ok"), df.Out(path=path)), wdir=wdir)
    with pytest.raises(PathError) as exc:
        df.resolve_path(dvcpath, d, d.outs[1])
    assert str(exc.value) == (f"{dvcpath}: outs[1].path: output {path!r} is inside {where}/; "
                              "outputs must lie outside .dvc/ and .git/")


@pytest.mark.parametrize("path", ["../x", "/etc/passwd"])
def test_resolve_path_outside_repo(path: str) -> None:
    d = df.DvcFile(outs=(df.Out(path=path),))
    with pytest.raises(PathError) as exc:
        df.resolve_path("x.dvc", d, d.outs[0])
    assert str(exc.value) == f"x.dvc: output {path!r} is outside the repository"


_name = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
_md5 = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
_hash = st.one_of(st.none(), st.builds(HashInfo, st.sampled_from(["md5", "md5-dos2unix"]),
                                       st.one_of(_md5, _md5.map(lambda m: m + ".dir"))))
_outs = st.builds(
    df.Out, path=_name, hash=_hash, size=st.one_of(st.none(), st.integers(0, 2**40)),
    nfiles=st.one_of(st.none(), st.integers(0, 10**6)), isexec=st.booleans(),
    cache=st.booleans(), persist=st.booleans(), push=st.booleans(),
    remote=st.one_of(st.none(), _name), desc=st.one_of(st.none(), _name),
    labels=st.lists(_name, max_size=3).map(tuple),
    meta=st.one_of(st.none(), st.dictionaries(_name, st.integers(), min_size=1, max_size=2)),
)


@given(st.lists(_outs, min_size=1, max_size=3), st.one_of(st.none(), _name))
def test_round_trip(outs: list[df.Out], desc: str | None) -> None:
    d = df.DvcFile(outs=tuple(outs), desc=desc)
    text = df.dumps(d)
    assert df.loads(text, "p.dvc") == d
    assert df.dumps(d, text) == text
