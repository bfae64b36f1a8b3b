"""dvc.lock parsing and byte-identical dumping, against golden files from real DVC 3.67.1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dvcdoit.core.errors import FormatError
from dvcdoit.core.hashing import LEGACY, MD5, HashInfo
from dvcdoit.formats import _yaml
from dvcdoit.formats.lock import (
    LockEntry,
    LockItem,
    LockWrites,
    entry_to_dict,
    load_lock,
    parse_entry,
    parse_lock,
    write_entries,
)

GOLDEN = Path(__file__).parent / "golden" / "pipeline"


def test_golden_lock_round_trips_byte_for_byte(tmp_path: Path) -> None:
    text = (GOLDEN / "dvc.lock").read_text()
    entries = parse_lock(_yaml.loads(text, "dvc.lock"))
    write_entries(tmp_path / "dvc.lock", entries)
    assert (tmp_path / "dvc.lock").read_text() == text


def test_golden_lock_values() -> None:
    entries = load_lock(GOLDEN / "dvc.lock")
    assert list(entries)[:3] == ["prepare", "train", "per_lang@en"]
    train = entries["train"]
    assert train.cmd == ("cat out/prepared.txt > model.bin", "echo '{\"acc\":0.5}' > metrics.json",
                         "chmod +x model.bin")
    assert train.params["params.yaml"]["flag"] == "yes"  # YAML 1.2: a string
    assert train.params["params.yaml"]["small"] == 0.001
    model = train.out("model.bin")
    assert model == LockItem("model.bin", HashInfo(MD5, "0f723ae7f9bf07744445e93ac5595156"), 12,
                             None, True)
    raw = entries["prepare"].dep("data/raw")
    assert raw is not None and raw.hash is not None and raw.hash.isdir and raw.nfiles == 2
    assert entries["always"] == LockEntry("date > /dev/null")


def test_legacy_item_without_hash_key() -> None:
    data = {"schema": "2.0", "stages": {"s": {"cmd": "x", "outs": [
        {"path": "o", "md5": "f47c75614087a8dd938ba4acff252494", "size": 9}]}}}
    entry = parse_lock(data)["s"]
    assert entry.outs[0].hash == HashInfo(LEGACY, "f47c75614087a8dd938ba4acff252494")
    assert entry_to_dict(entry) == data["stages"]["s"]  # no hash key written back


def test_entry_sorting_and_order() -> None:
    h = HashInfo(MD5, "b1946ac92492d2347c6235b4d2611184")
    e = LockEntry("c", deps=(LockItem("z", h, 6), LockItem("a", h, 6)),
                  params={"z.json": {"b": 1, "a": 2}, "params.yaml": {"y": 1, "x": 2}},
                  outs=(LockItem("o2", h), LockItem("o1", h)))
    d = entry_to_dict(e)
    assert list(d) == ["cmd", "deps", "params", "outs"]
    assert [x["path"] for x in d["deps"]] == ["a", "z"]
    assert list(d["params"]) == ["params.yaml", "z.json"]
    assert list(d["params"]["params.yaml"]) == ["x", "y"]
    assert [x["path"] for x in d["outs"]] == ["o1", "o2"]


def test_write_entries_keeps_position_and_never_prunes(tmp_path: Path) -> None:
    lock = tmp_path / "dvc.lock"
    shutil.copy(GOLDEN / "dvc.lock", lock)
    before = load_lock(lock)
    write_entries(lock, {"train": LockEntry("new cmd"), "zzz": LockEntry("appended")})
    after = load_lock(lock)
    assert list(after) == [*before, "zzz"]
    assert after["train"] == LockEntry("new cmd")
    assert after["prepare"] == before["prepare"]


def test_write_entries_creates_file(tmp_path: Path) -> None:
    lock = tmp_path / "dvc.lock"
    write_entries(lock, {"a": LockEntry(("x", "y"))})
    assert lock.read_text() == "schema: '2.0'\nstages:\n  a:\n    cmd:\n    - x\n    - y\n"


def test_write_entries_matches_a_whole_file_dump(tmp_path: Path) -> None:
    lock = tmp_path / "dvc.lock"
    shutil.copy(GOLDEN / "dvc.lock", lock)
    write_entries(lock, {})
    assert lock.read_text() == (GOLDEN / "dvc.lock").read_text()
    long = LockEntry("python " + "very/long/path/x " * 8, (LockItem("a b", None),),
                     {"params.yaml": {"k": "yes", "n": 1e-3}})
    memo = LockWrites()
    for update in ({"train": long}, {"new": LockEntry("x")}, {"prepare": long}):
        raw = _yaml.loads(lock.read_text(), "dvc.lock")
        for name, entry in update.items():
            raw["stages"][name] = entry_to_dict(entry)
        write_entries(lock, update, memo)  # NOTE: from the remembered text of the previous write
        assert lock.read_text() == _yaml.dumps(raw)
        assert str(lock) in memo.by_path


def test_write_entries_sees_other_writers(tmp_path: Path) -> None:
    lock = tmp_path / "dvc.lock"
    memo = LockWrites()
    write_entries(lock, {"a": LockEntry("x")}, memo)
    lock.write_text("schema: '2.0'\nstages:\n  b:\n    cmd: y\n")  # e.g. real DVC
    write_entries(lock, {"a": LockEntry("z")}, memo)
    assert list(load_lock(lock)) == ["b", "a"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stages": {}}, ("dvc.lock: not a schema '2.0' lock file (DVC 1.x lock files are not "
                          "supported); delete it")),
        ({"schema": "2.0", "stages": {"a": {"deps": [{"md5": "x"}]}}},
         ("dvc.lock:stages.a.cmd: required: a string or list of strings; "
          "dvc.lock:stages.a.deps[0]: expected a mapping with a 'path'")),
        ({"schema": "2.0", "stages": {"a": {"cmd": "x", "outs": [{"path": "o", "hash": "sha1",
                                                                "size": "big"}]}}},
         ("dvc.lock:stages.a.outs[0].hash: unsupported hash 'sha1'; expected 'md5'; "
          "dvc.lock:stages.a.outs[0].size: expected an integer")),
        ({"schema": "2.0", "stages": {"a": {"cmd": "x", "outs": [
            {"path": "o", "md5": "../../../../../outside/secret.txt"}]}}},
         ("dvc.lock:stages.a.outs[0].md5: '../../../../../outside/secret.txt' is not an md5 "
          "hash (32 hex digits, optionally followed by '.dir')")),
        ({"schema": "2.0", "stages": {"a": {"cmd": "x", "deps": [
            {"path": "i", "md5": "d41d8cd98f00b204e9800998ecf8427e\n"}]}}},
         ("dvc.lock:stages.a.deps[0].md5: 'd41d8cd98f00b204e9800998ecf8427e\\n' is not an md5 "
          "hash (32 hex digits, optionally followed by '.dir')")),
        ({"schema": "2.0", "stages": {"a": {"cmd": "x", "outs": [{"path": "sub/../.dvc/x"}]}}},
         "dvc.lock:stages.a.outs[0].path: output 'sub/../.dvc/x' is inside .dvc/; outputs must lie outside .dvc/ and .git/"),
        ({"schema": "2.0", "stages": {"a": {"cmd": "x", "outs": 5}}},
         "dvc.lock:stages.a.outs: expected a list"),
    ],
)
def test_lock_errors(data: object, message: str) -> None:
    with pytest.raises(FormatError) as exc:
        parse_lock(data)
    assert str(exc.value) == message


def test_lock_md5_is_lower_cased_and_empty_is_none() -> None:
    data = {"schema": "2.0", "stages": {"a": {"cmd": "x", "outs": [
        {"path": "o", "hash": "md5", "md5": "D41D8CD98F00B204E9800998ECF8427E"},
        {"path": "p", "md5": ""}]}}}
    entry = parse_lock(data)["a"]
    assert entry.outs[0].hash == HashInfo(MD5, "d41d8cd98f00b204e9800998ecf8427e")
    assert entry.outs[1].hash is None


def test_a_run_cache_entry_refuses_a_traversal_hash() -> None:
    with pytest.raises(FormatError) as exc:
        parse_entry({"cmd": "x", "outs": [{"path": "o", "md5": "../x"}]}, "runs/ab/k/v")
    assert str(exc.value) == ("runs/ab/k/v:outs[0].md5: '../x' is not an md5 hash "
                              "(32 hex digits, optionally followed by '.dir')")


@pytest.mark.parametrize(
    ("data", "expected"),
    [  # expected bytes printed by DVC 3.67.1's ruamel dumper (dvc.utils.serialize.dumps_yaml)
        ({"cmd": "echo '{\"acc\": 0.5}' > m.json"}, 'cmd: "echo \'{\\"acc\\": 0.5}\' > m.json"\n'),
        ({"cmd": "python train.py --name \"it's\" " + "x" * 70 + " --flag"},
         "cmd: python train.py --name \"it's\" \n  " + "x" * 70 + " --flag\n"),
        ({"l": [None, "a"]}, "l:\n- \n- a\n"),
        ({"cmd": "a\nb"}, 'cmd: "a\\nb"\n'),
        ({"v": ["yes", "1e-3", "012", 1e-05]}, "v:\n- yes\n- '1e-3'\n- '012'\n- 1e-05\n"),
    ],
)
def test_yaml_dump_matches_ruamel(data: object, expected: str) -> None:
    assert _yaml.dumps(data) == expected
