"""ObjectCache: layout, 0444 trust, verification, atomic ingest, manifests."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dvcdoit.core import fsutil
from dvcdoit.core.errors import CacheError, FormatError, ObjectMissingError
from dvcdoit.core.hashing import LEGACY, MD5, HashInfo, ManifestEntry, md5_bytes
from dvcdoit.storage.cache import ObjectCache


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_layout_md5_and_legacy(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "c")
    hi = HashInfo(MD5, "b18ef82e09889f1c2dbe702732fc4f2a")
    assert cache.path_for(hi) == tmp_path / "c/files/md5/b1/8ef82e09889f1c2dbe702732fc4f2a"
    legacy = HashInfo(LEGACY, "f47c75614087a8dd938ba4acff252494")
    assert cache.path_for(legacy) == tmp_path / "c/f4/7c75614087a8dd938ba4acff252494"


def test_add_file_protects_and_leaves_source(tmp_path: Path) -> None:
    src = tmp_path / "f.txt"
    src.write_bytes(b"foo\r\nbar\n")
    cache = ObjectCache(tmp_path / "c")
    hi = HashInfo(MD5, "b18ef82e09889f1c2dbe702732fc4f2a")
    cache.add_file(src, hi)
    obj = cache.path_for(hi)
    assert obj.read_bytes() == b"foo\r\nbar\n"
    assert _mode(obj) == 0o444
    assert _mode(src) != 0o444
    assert cache.has(hi)
    assert not list(obj.parent.glob(".*.tmp"))


def test_ingest_hashes_while_copying(tmp_path: Path) -> None:
    data = os.urandom(3 * 8 * 1024 * 1024 + 17)
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    cache = ObjectCache(tmp_path / "c")
    hi, size = cache.ingest(src)
    assert hi == HashInfo(MD5, md5_bytes(data))
    assert size == len(data)
    assert cache.path_for(hi).read_bytes() == data
    assert _mode(cache.path_for(hi)) == 0o444
    assert not list((tmp_path / "c" / "tmp").iterdir())


def _append_after(a: str) -> None:
    with open(a, "ab") as f:  # a writer appends while we hash
        f.write(b"more")


@pytest.mark.parametrize(("before", "after"), [
    (None, _append_after),
    (lambda a: os.truncate(a, 1000), None),  # a writer cuts the file as the copy starts
], ids=["grown", "cut-short"])
def test_ingest_refuses_a_file_changed_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        before: Callable[[str], None] | None, after: Callable[[str], None] | None) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(b"x" * 300_000)
    real_copy = fsutil.copy_hashed

    def copy_while_writing(a: str, b: str, mode: int) -> object:
        if before:
            before(a)
        out = real_copy(a, b, mode)
        if after:
            after(a)
        return out

    monkeypatch.setattr(fsutil, "copy_hashed", copy_while_writing)
    cache = ObjectCache(tmp_path / "c")
    with pytest.raises(CacheError) as exc:
        cache.ingest(src)
    assert str(exc.value) == (f"{src}: the file changed while it was being added; "
                              "add it again once nothing writes to it")
    assert not list((tmp_path / "c" / "tmp").iterdir())
    assert not (tmp_path / "c" / "files").exists()


def test_corrupt_unprotected_object_is_deleted(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "c")
    hi = HashInfo(MD5, md5_bytes(b"good"))
    obj = cache.path_for(hi)
    obj.parent.mkdir(parents=True)
    obj.write_bytes(b"evil")
    assert not cache.has(hi)
    assert not obj.exists()


def test_good_unprotected_object_gets_protected(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "c")
    hi = HashInfo(MD5, md5_bytes(b"good"))
    obj = cache.path_for(hi)
    obj.parent.mkdir(parents=True)
    obj.write_bytes(b"good")
    assert cache.has(hi)
    assert _mode(obj) == 0o444


def test_add_verified_refuses_wrong_bytes(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "c")
    hi = HashInfo(MD5, md5_bytes(b"expected"))
    tmp = cache.tmp_path()
    tmp.write_bytes(b"tampered")
    assert cache.add_verified(tmp, hi) is False
    assert not tmp.exists()
    assert not cache.path_for(hi).exists()
    tmp = cache.tmp_path()
    tmp.write_bytes(b"expected")
    assert cache.add_verified(tmp, hi) is True
    assert cache.has(hi)


def test_manifest_roundtrip_and_expand(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "c")
    entries = [ManifestEntry("sub/b.txt", "591785b794601e212b260e25925636fd"),
               ManifestEntry("a.txt", "b1946ac92492d2347c6235b4d2611184")]
    hi = cache.add_manifest(entries)
    assert hi.value == "5369cb520f35f5d77e793cf181884a27.dir"
    assert _mode(cache.path_for(hi)) == 0o444
    assert [e.relpath for e in cache.read_manifest(hi)] == ["a.txt", "sub/b.txt"]
    assert cache.expand(hi)[1:] == [HashInfo(MD5, "b1946ac92492d2347c6235b4d2611184"),
                                    HashInfo(MD5, "591785b794601e212b260e25925636fd")]


def test_read_manifest_errors(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "c")
    with pytest.raises(ObjectMissingError, match=r"directory manifest 00.*not in the cache"):
        cache.read_manifest(HashInfo(MD5, "00" * 16 + ".dir"))
    evil = b'[{"md5": "b1946ac92492d2347c6235b4d2611184", "relpath": "../../etc/passwd"}]'
    hi = HashInfo(MD5, md5_bytes(evil) + ".dir")
    cache.add_bytes(evil, hi)
    with pytest.raises(FormatError, match=r"relpath '../../etc/passwd' contains '..'"):
        cache.read_manifest(hi)
    bad = HashInfo(MD5, "11" * 16 + ".dir")
    cache.path_for(bad).parent.mkdir(parents=True, exist_ok=True)
    cache.path_for(bad).write_bytes(b"[]")
    with pytest.raises(CacheError, match="corrupt"):
        cache.read_manifest(bad)


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=5000))
def test_add_then_read_roundtrip(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    root = tmp_path_factory.mktemp("rt")
    src = root / "src"
    src.write_bytes(data)
    cache = ObjectCache(root / "c")
    hi, _ = cache.ingest(src)
    assert cache.path_for(hi).read_bytes() == data
    assert cache.has(hi)
