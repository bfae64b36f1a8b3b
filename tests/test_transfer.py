"""transfer: push/fetch/status between a real ObjectCache and an in-memory remote."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from dvcdoit.core.hashing import LEGACY, MD5, HashInfo, ManifestEntry, md5_bytes, object_relpath
from dvcdoit.formats.lock import LockEntry
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.runcache import RunCache
from dvcdoit.storage.transfer import (
    Item,
    TransferResult,
    fetch,
    fetch_runs,
    push,
    push_runs,
    status,
)
from tests.fakes import MemoryRemote

HELLO = HashInfo(MD5, "b1946ac92492d2347c6235b4d2611184")
WORLD = HashInfo(MD5, "591785b794601e212b260e25925636fd")
DIR = HashInfo(MD5, "5369cb520f35f5d77e793cf181884a27.dir")


@pytest.fixture
def cache(tmp_path: Path) -> ObjectCache:
    return ObjectCache(tmp_path / "cache")


def _add(cache: ObjectCache, data: bytes, name: str = MD5) -> HashInfo:
    hi = HashInfo(name, md5_bytes(data))
    cache.add_bytes(data, hi)
    return hi


def _dir(cache: ObjectCache) -> HashInfo:
    _add(cache, b"hello\n")
    _add(cache, b"world\n")
    hi = cache.add_manifest([ManifestEntry("a.txt", HELLO.value), ManifestEntry("sub/b.txt", WORLD.value)])
    assert hi == DIR
    return hi


def test_push_dir_uploads_members_before_manifest(cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    nf = _add(cache, b"nf\n")
    res = push(cache, remote, [("data", DIR), ("nf.txt", nf)], jobs=4)
    assert res.ok
    assert len(res.transferred) == 4  # 3 files + 1 .dir, as DVC counts "4 files pushed"
    assert remote.log[-1] == object_relpath(DIR)
    assert sorted(n for n, _ in res.transferred) == ["data", "data/a.txt", "data/sub/b.txt", "nf.txt"]


def test_push_again_checks_only_top_level_when_dir_is_on_remote(cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    push(cache, remote, [("data", DIR)])
    remote.calls.update(exists_many=0, upload=0)
    res = push(cache, remote, [("data", DIR)])
    assert res == TransferResult()
    assert remote.calls["upload"] == 0
    assert remote.calls["exists_many"] == 1


def test_push_withholds_manifest_when_a_member_fails(cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    remote.fail_uploads.add(object_relpath(WORLD))
    res = push(cache, remote, [("data", DIR)], jobs=2)
    assert object_relpath(DIR) not in remote.objects
    assert [(n, r) for n, _, r in res.failed] == [
        ("data/sub/b.txt", ("remote memory://remote: upload files/md5/59/1785b794601e212b260e25925636fd "
         "failed: injected")),
        ("data", "not uploaded because some of its files are missing or failed")]
    # re-run after the fault is gone completes the directory
    remote.fail_uploads.clear()
    res2 = push(cache, remote, [("data", DIR)])
    assert res2.ok
    assert {h for _, h in res2.transferred} == {WORLD, DIR}


def test_push_reports_objects_missing_from_cache(cache: ObjectCache) -> None:
    remote = MemoryRemote()
    res = push(cache, remote, [("gone.txt", HELLO)])
    assert res.missing == (("gone.txt", HELLO),)
    assert not remote.objects


def test_push_legacy_objects_use_legacy_layout(cache: ObjectCache) -> None:
    remote = MemoryRemote()
    hi = _add(cache, b"legacy\n", LEGACY)
    assert push(cache, remote, [("old.txt", hi)]).ok
    assert list(remote.objects) == [f"{hi.value[:2]}/{hi.value[2:]}"]


def test_fetch_dir_downloads_manifest_then_members(tmp_path: Path, cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    push(cache, remote, [("data", DIR)])
    fresh = ObjectCache(tmp_path / "fresh")
    seen: list[int] = []
    res = fetch(fresh, remote, [("data", DIR)], progress=seen.append)
    assert res.ok and len(res.transferred) == 3 and sum(seen) == 3
    for hi in (DIR, HELLO, WORLD):
        assert stat.S_IMODE(os.stat(fresh.path_for(hi)).st_mode) == 0o444
    assert not list((fresh.root / "tmp").iterdir())


def test_fetch_corrupt_object_is_reported_and_never_cached(tmp_path: Path, cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    push(cache, remote, [("data", DIR)])
    remote.objects[object_relpath(HELLO)] = b"HELLO\n"
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", DIR)])
    assert res.failed == (("data/a.txt", HELLO, ("corrupt on remote memory://remote: content does not "
                           "match b1946ac92492d2347c6235b4d2611184")),)
    assert not fresh.path_for(HELLO).exists()
    assert fresh.has(WORLD)
    assert not list((fresh.root / "tmp").iterdir())


def test_fetch_corrupt_manifest_skips_its_members(tmp_path: Path, cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    push(cache, remote, [("data", DIR)])
    remote.objects[object_relpath(DIR)] = b"[]"
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", DIR)])
    assert [n for n, _, _ in res.failed] == ["data"]
    assert remote.calls["download"] == 1


def test_fetch_missing_and_failed_objects(tmp_path: Path, cache: ObjectCache) -> None:
    remote = MemoryRemote()
    a, b = _add(cache, b"a\n"), _add(cache, b"b\n")
    push(cache, remote, [("a", a), ("b", b)])
    remote.fail_downloads.add(object_relpath(b))
    fresh = ObjectCache(tmp_path / "fresh")
    items: list[Item] = [("a", a), ("b", b), ("c", HELLO)]
    res = fetch(fresh, remote, items)
    assert [n for n, _ in res.transferred] == ["a"]
    assert [n for n, _, _ in res.failed] == ["b"]
    assert res.missing == (("c", HELLO),)


def test_fetch_skips_objects_already_cached(cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    assert fetch(cache, remote, [("data", DIR)]) == TransferResult()
    assert remote.calls["download"] == 0


def test_status_categories(cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    nf = _add(cache, b"nf\n")
    push(cache, remote, [("data", DIR)])
    other = HashInfo(MD5, md5_bytes(b"remote only\n"))
    remote.objects[object_relpath(other)] = b"remote only\n"
    items: list[Item] = [("data", DIR), ("nf.txt", nf), ("r.txt", other), ("gone.txt", HashInfo(MD5, "0" * 32))]
    assert status(cache, remote, items) == {"nf.txt": "new", "r.txt": "deleted", "gone.txt": "missing"}


def test_status_fetches_missing_manifest(tmp_path: Path, cache: ObjectCache) -> None:
    remote = MemoryRemote()
    _dir(cache)
    push(cache, remote, [("data", DIR)])
    fresh = ObjectCache(tmp_path / "fresh")
    assert status(fresh, remote, [("data", DIR)]) == {"data/a.txt": "deleted", "data/sub/b.txt": "deleted"}


def test_run_cache_round_trip(tmp_path: Path, cache: ObjectCache) -> None:
    remote = MemoryRemote()
    key, value = "1d" + "a" * 62, "b" * 64
    entry = cache.root / "runs" / key[:2] / key / value
    entry.parent.mkdir(parents=True)
    entry.write_text("cmd: x\n")
    assert len(push_runs(cache, remote).transferred) == 1
    assert list(remote.objects) == [f"runs/1d/{key}/{value}"]
    assert push_runs(cache, remote).transferred == ()
    remote.objects["runs/zz/bad/name"] = b"x"
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch_runs(fresh, remote)
    assert [h.value for _, h in res.transferred] == [f"runs/1d/{key}/{value}"]
    assert (fresh.root / "runs" / key[:2] / key / value).read_text() == "cmd: x\n"
    rejected = fetch_runs(ObjectCache(tmp_path / "f2"), remote, verify=lambda p, k, v: False)
    assert len(rejected.failed) == 1
    assert not (tmp_path / "f2" / "runs").exists()


def _big_dir(cache: ObjectCache, n: int) -> tuple[HashInfo, list[HashInfo]]:
    members = [_add(cache, f"file {k}\n".encode()) for k in range(n)]
    hi = cache.add_manifest([ManifestEntry(f"f{k:05d}", m.value) for k, m in enumerate(members)])
    return hi, members


def test_local_push_and_fetch_of_many_objects_in_forked_workers(tmp_path: Path,
                                                                 cache: ObjectCache) -> None:
    """Over fanout.MIN_ITEMS objects on a local remote: outcomes come home from the workers."""
    from dvcdoit.core.fanout import MIN_ITEMS
    from dvcdoit.storage.remotes.local import LocalRemote

    n = 2 * MIN_ITEMS
    dir_hi, members = _big_dir(cache, n)
    os.chmod(cache.path_for(members[-1]), 0o644)  # unprotected and corrupt: never pushed
    cache.path_for(members[-1]).write_bytes(b"rot")
    remote = LocalRemote(tmp_path / "remote")
    seen: list[int] = []
    res = push(cache, remote, [("data", dir_hi)], progress=seen.append)
    assert len(res.transferred) == n - 1
    assert res.missing == ((f"data/f{n - 1:05d}", members[-1]),)
    assert [f[0] for f in res.failed] == ["data"]  # manifest withheld: a member is missing
    assert sum(seen) == n + 1  # every member handled, and the withheld manifest
    assert not (tmp_path / "remote" / object_relpath(dir_hi)).exists()

    remote_obj = tmp_path / "remote" / object_relpath(members[5])
    os.chmod(remote_obj, 0o644)
    remote_obj.write_bytes(b"tampered")  # corrupt on the remote
    (tmp_path / "remote" / object_relpath(dir_hi)).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "remote" / object_relpath(dir_hi)).write_bytes(
        cache.path_for(dir_hi).read_bytes())
    clone = ObjectCache(tmp_path / "clone")
    got = fetch(clone, remote, [("data", dir_hi)])
    assert len(got.transferred) == n - 2 + 1  # all but the corrupt and the absent, plus .dir
    assert [(f[0], f[1]) for f in got.failed] == [("data/f00005", members[5])]
    assert "corrupt on remote" in got.failed[0][2]
    assert got.missing == ((f"data/f{n - 1:05d}", members[-1]),)
    assert not clone.has(members[5])
    assert all(clone.has(m) for m in members[:5] + members[6:-1])
    assert not list((tmp_path / "clone").rglob("*.tmp"))


class _ThreadRemote(MemoryRemote):
    """A MemoryRemote that records which threads uploaded and downloaded."""

    def __init__(self, jobs: int | None) -> None:
        super().__init__()
        self.jobs = jobs
        self.threads: set[int] = set()

    def upload(self, local_path: Path, relpath: str, md5: str | None = None) -> None:
        self.threads.add(threading.get_ident())
        super().upload(local_path, relpath, md5)

    def download(self, relpath: str, dest: Path) -> str | None:
        self.threads.add(threading.get_ident())
        return super().download(relpath, dest)


@pytest.mark.parametrize(("remote_jobs", "jobs", "in_main_only"), [
    (1, None, True),     # remote.NAME.jobs = 1 and no -j: one upload at a time, here
    (1, 4, False),       # -j wins over the remote's setting
    (None, None, False),  # neither: DVC's default, 4 x cores
])
def test_push_parallelism_follows_remote_jobs(tmp_path: Path, cache: ObjectCache,
                                              remote_jobs: int | None, jobs: int | None,
                                              in_main_only: bool) -> None:
    items: list[Item] = [(f"f{k}", _add(cache, f"file {k}\n".encode())) for k in range(64)]
    remote = _ThreadRemote(remote_jobs)
    assert len(push(cache, remote, items, jobs=jobs).transferred) == 64
    assert (remote.threads == {threading.get_ident()}) is in_main_only
    runs = RunCache(cache)
    for k in range(8):
        runs.save(LockEntry(f"cmd {k}", (), {}, ()))
    remote.threads.clear()
    assert len(push_runs(cache, remote, jobs).transferred) == 8
    assert (remote.threads == {threading.get_ident()}) is in_main_only


def test_fetch_keeps_default_parallelism_whatever_remote_jobs(tmp_path: Path,
                                                              cache: ObjectCache) -> None:
    """DVC applies remote.NAME.jobs where the remote is the destination: not to downloads."""
    items: list[Item] = [(f"f{k}", _add(cache, f"file {k}\n".encode())) for k in range(64)]
    remote = _ThreadRemote(1)
    push(cache, remote, items)
    remote.threads.clear()
    assert len(fetch(ObjectCache(tmp_path / "fresh"), remote, items).transferred) == 64
    assert remote.threads - {threading.get_ident()}
