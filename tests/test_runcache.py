"""Run-cache keys/values (the §9 vector from real DVC) and entry storage."""

from __future__ import annotations

import os
from pathlib import Path

from dvcdoit.core.hashing import LEGACY, MD5, HashInfo
from dvcdoit.formats.lock import LockEntry, LockItem
from dvcdoit.storage import runcache
from dvcdoit.storage.cache import ObjectCache

VECTOR = LockEntry(
    cmd='cat crlf.txt d/x.txt > model.bin; echo "{\\"acc\\": 0.5}" > m.json',
    deps=(LockItem("crlf.txt", HashInfo(LEGACY, "f47c75614087a8dd938ba4acff252494"), 9),
          LockItem("d", HashInfo(MD5, "e810e42ee0468812ce16c6ab82991952.dir"), 7, 3)),
    params={"params.yaml": {"lr": 0.1, "train": {"epochs": 3, "layers": [1, 2]}}},
    outs=(LockItem("m.json", HashInfo(LEGACY, "e26523fedc4685d9c06d2683dc27f2d3"), 13),
          LockItem("model.bin", HashInfo(LEGACY, "1a1e07b5ecc8f8bc4447d26493516eb0"), 12)),
)


def test_vector() -> None:
    assert runcache.run_key(VECTOR) == (
        "1dd101aca967ed7e655a6ad99f5909e95e61309139e2504caab8feb23f1eab28")
    assert runcache.run_value(VECTOR) == (
        "a40997d3968f7ce539a16825e2538b056f42592243d6aa07bf32d67b1fa51725")


def test_save_and_load_newest(tmp_path: Path) -> None:
    rc = runcache.RunCache(ObjectCache(tmp_path))
    runs = tmp_path / "runs"
    key = runcache.run_key(VECTOR)
    assert rc.load_newest(key) is None
    first = rc.save(VECTOR)
    assert first == runs / key[:2] / key / runcache.run_value(VECTOR)
    other = LockEntry(VECTOR.cmd, VECTOR.deps, VECTOR.params,
                      (LockItem("m.json", HashInfo(MD5, "0" * 32), 1), VECTOR.outs[1]))
    second = rc.save(other)
    assert runcache.run_key(other) == key and second != first
    os.utime(first, ns=(1, 1))
    assert rc.load_newest(key) == other
    os.utime(second, ns=(0, 0))
    assert rc.load_newest(key) == VECTOR
    assert rc.find(LockEntry(VECTOR.cmd, VECTOR.deps, VECTOR.params,
                             tuple(LockItem(o.path, None) for o in VECTOR.outs))) == VECTOR
    assert rc.save(VECTOR) == first  # identical entry: not rewritten
    first.write_text("not: [valid")
    os.utime(first, ns=(5, 5))
    assert rc.load_newest(key) is None


def test_entry_names(tmp_path: Path) -> None:
    rc = runcache.RunCache(ObjectCache(tmp_path))
    assert rc.names() == []
    path = rc.save(VECTOR)
    (path.parent / "stray.txt").write_text("x")
    key, value = runcache.run_key(VECTOR), runcache.run_value(VECTOR)
    name = f"runs/{key[:2]}/{key}/{value}"
    assert rc.names() == [name]
    assert rc.path_of(name) == path
    assert runcache.parse_name(name) == (key, value)
    assert runcache.parse_name(f"runs/zz/{key}/{value}") is None
    assert runcache.parse_name(f"runs/ab/{key}/{value}") is None  # key does not start with ab
    assert runcache.parse_name("files/md5/ab/cdef") is None
