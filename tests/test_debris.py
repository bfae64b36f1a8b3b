"""Temp debris after a kill (issue 10, item 5): ours are recognised, never user data, and swept.

Each test plants what a SIGKILLed run leaves (temp files named by a dead pid, an unfinished
S3 multipart upload with its ledger entry) and checks that the next ordinary run that touches
the place removes it, without ``--force``, and that a live process's temps are left alone
and still not counted as data. Real DVC must not trip over any of them either.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import MappingProxyType

import pytest

from dvcdoit.core import tempname
from dvcdoit.core.hashing import MD5, HashInfo, md5_bytes, object_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import open_remote
from dvcdoit.storage.remotes.local import LocalRemote
from dvcdoit.storage.remotes.s3uploads import STALE_AGE, Upload, to_abort
from dvcdoit.storage.transfer import push
from tests.conftest import Runner, write_tree
from tests.s3server import FaultProxy
from tests.test_tempname import dead_pid
from tests.test_workspace import make_ws

TREE = {f"data/d{i:03}/f{j}": f"{i} {j}\n" for i in range(3) for j in range(3)}


def _stale(directory: Path, data: bytes = b"half") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    p = directory / f".dvcdoit-{dead_pid()}-{os.urandom(3).hex()}.tmp"
    p.write_bytes(data)
    return p


def _temps(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if tempname.is_ours(p.name))


# ---------------------------------------------------------------------------- workspace
def test_walk_never_counts_our_temps_and_drops_stale_ones(tmp_path: Path, live_pid: int) -> None:
    write_tree(tmp_path, TREE)
    clean = make_ws(tmp_path).hash(tmp_path / "data").hi
    stale = _stale(tmp_path / "data/d001")
    live = tmp_path / f"data/d002/.dvcdoit-{live_pid}-a.tmp"
    live.write_bytes(b"being written")
    again = make_ws(tmp_path).hash(tmp_path / "data")
    assert again.hi == clean and again.nfiles == len(TREE)
    assert not stale.exists() and live.exists()


def test_checkout_is_not_blocked_by_a_killed_pulls_temp(git_repo: Path, dvcdoit: Runner) -> None:
    """The issue's case: ``refusing to overwrite unsaved 'data/d049/.7fc2….tmp'`` forever."""
    dvcdoit("init")
    write_tree(git_repo, TREE)
    dvcdoit("add", "data")
    shutil.rmtree(git_repo / "data/d001")
    (git_repo / "data/d000/f0").unlink()
    stale = _stale(git_repo / "data/d001")
    proc = dvcdoit("checkout", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not stale.exists()
    assert _temps(git_repo) == []
    assert (git_repo / "data/d000/f0").read_text() == "0 0\n"
    assert "up to date" in dvcdoit("status").stdout


def test_a_live_temp_is_kept_and_not_unsaved_data(git_repo: Path, dvcdoit: Runner,
                                                  live_pid: int) -> None:
    dvcdoit("init")
    write_tree(git_repo, TREE)
    dvcdoit("add", "data")
    live = git_repo / f"data/d001/.dvcdoit-{live_pid}-a.tmp"
    live.write_bytes(b"another dvcdoit is writing this")
    assert "up to date" in dvcdoit("status").stdout
    (git_repo / "data/d000/f0").unlink()
    dvcdoit("checkout")  # NOTE: no --force needed: the temp is not the user's
    assert live.exists()
    assert "up to date" in dvcdoit("status").stdout


def test_metadata_writes_sweep_their_directory(git_repo: Path, dvcdoit: Runner) -> None:
    dvcdoit("init")
    write_tree(git_repo, {"data/x.csv": "1\n"})
    stale = [_stale(git_repo), _stale(git_repo / "data"), _stale(git_repo / ".dvc")]
    dvcdoit("add", "data/x.csv")  # writes data/x.csv.dvc and data/.gitignore
    dvcdoit("remote", "add", "-d", "r", str(git_repo.parent / "remote"))  # writes .dvc/config
    write_tree(git_repo, {"y.csv": "2\n"})
    dvcdoit("add", "y.csv")  # writes y.csv.dvc and .gitignore at the root
    assert [p for p in stale if p.exists()] == []


# ---------------------------------------------------------------------------- cache
def test_cache_tmp_dir_is_swept_at_the_first_write(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    stale = _stale(tmp_path / "cache/tmp", b"x" * 1000)
    cache.tmp_path()
    assert not stale.exists()


def _same_dir(first: bytes) -> bytes:
    """Content whose object lands in the same ``ab/`` directory as ``first``'s."""
    want = md5_bytes(first)[:2]
    return next(d for i in range(100_000) if md5_bytes(d := f"x{i}\n".encode())[:2] == want)


@pytest.mark.parametrize("how", ["add_content", "add_file", "add_bytes"])
def test_object_dirs_are_swept_when_written_into(tmp_path: Path, how: str) -> None:
    first = b"first\n"
    second = _same_dir(first)
    hi1, hi2 = HashInfo(MD5, md5_bytes(first)), HashInfo(MD5, md5_bytes(second))
    ObjectCache(tmp_path / "cache").add_content(first, hi1)
    stale = _stale(ObjectCache(tmp_path / "cache").path_for(hi1).parent)
    cache = ObjectCache(tmp_path / "cache")  # NOTE: a new run
    if how == "add_content":
        cache.add_content(second, hi2)
    elif how == "add_file":
        (tmp_path / "src").write_bytes(second)
        cache.add_file(tmp_path / "src", hi2)
    else:
        cache.add_bytes(second, hi2)
    assert not stale.exists()
    assert cache.has(hi1) and cache.has(hi2)


# ---------------------------------------------------------------------------- local remote
def test_push_sweeps_the_remote_object_dirs_it_lists(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    data = b"payload\n"
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    remote = LocalRemote(tmp_path / "remote")
    stale = _stale((tmp_path / "remote" / object_relpath(hi)).parent, b"y" * 100)
    assert push(cache, remote, [("f", hi)]).ok
    assert not stale.exists()
    assert remote.walk("files") == [object_relpath(hi)]


# ---------------------------------------------------------------------------- real DVC
def test_real_dvc_does_not_trip_on_our_leftovers(git_repo: Path, dvcdoit: Runner, dvc: Runner,
                                                 live_pid: int) -> None:
    """Temps left where dvcdoit writes (by a process still alive, so none is swept) are
    invisible to DVC's status, status -c, push, pull and add; only a temp inside a tracked
    directory would count for DVC, and dvcdoit removes those at its next run."""
    dvcdoit("init")
    remote = git_repo.parent / "remote"
    dvcdoit("remote", "add", "-d", "r", str(remote))
    write_tree(git_repo, {**TREE, "model.bin": "m\n"})
    dvcdoit("add", "data")
    dvcdoit("add", "model.bin")
    dvcdoit("push")
    live = f".dvcdoit-{live_pid}-a.tmp"
    cache_obj = next((git_repo / ".dvc/cache/files/md5").iterdir())
    remote_obj = next((remote / "files/md5").iterdir())
    for d in (git_repo, git_repo / ".dvc", git_repo / ".dvc/cache/tmp", cache_obj, remote_obj):
        d.mkdir(parents=True, exist_ok=True)
        (d / live).write_bytes(b"in flight")
    assert "up to date" in dvc("status").stdout.lower()
    assert "in sync" in dvc("status", "-c").stdout
    dvc("push")
    write_tree(git_repo, {"extra.txt": "e\n"})
    dvc("add", "extra.txt")
    dvc("push")
    shutil.rmtree(git_repo / "data")
    dvc("pull")
    assert (git_repo / "data/d000/f0").read_text() == "0 0\n"
    assert "up to date" in dvc("status").stdout.lower()


# ---------------------------------------------------------------------------- S3
@pytest.mark.parametrize(("relpath", "age", "ledgered_at", "aborted"), [
    ("files/md5/ab/" + "c" * 30, 2 * STALE_AGE, None, True),   # abandoned long ago, by anyone
    ("files/md5/ab/" + "c" * 30, 60.0, None, False),           # young: maybe a live push elsewhere
    ("files/md5/ab/" + "c" * 30, 60.0, 120.0, True),          # ours, and our process is dead
    ("files/md5/ab/" + "c" * 30 + ".dir", 60.0, 120.0, True),
    ("ab/" + "c" * 30, 60.0, 120.0, True),                     # legacy layout
    ("files/md5/ab/" + "c" * 30, 3600.0, 60.0, False),         # started before our ledger entry
    ("files/md5/ab/" + "c" * 30, 30.0, 400.0, True),          # within the clock-skew margin
    ("backups/db.tar", 2 * STALE_AGE, None, False),            # not a dvcdoit object: never
    ("files/md5/ab/" + "c" * 29, 2 * STALE_AGE, None, False),
])
def test_which_multipart_uploads_are_aborted(relpath: str, age: float, ledgered_at: float | None,
                                             aborted: bool) -> None:
    now = 1_000_000_000.0
    up = Upload(relpath, "u1", now - age)
    ledger = {} if ledgered_at is None else {relpath: now - ledgered_at}
    assert (to_abort([up], ledger, now) == [up]) is aborted


def _s3(endpoint: str, bucket: str, prefix: str = "p") -> object:
    return open_remote(RemoteConfig("s3r", f"s3://{bucket}/{prefix}",
                                    MappingProxyType({"endpointurl": endpoint})))


@pytest.mark.s3
def test_push_aborts_the_multipart_uploads_a_killed_push_left(
        tmp_path: Path, moto_endpoint: str, s3_bucket: str) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    key = "p/files/md5/ab/" + "c" * 30
    other = "p/notes/big.bin"
    for k in (key, other):
        client.create_multipart_upload(Bucket=s3_bucket, Key=k)
    cache = ObjectCache(tmp_path / "cache")
    ledger = cache.tmp_dir() / "s3-uploads"
    ledger.mkdir()
    entry = ledger / f".dvcdoit-{dead_pid()}-a.tmp"
    import socket

    entry.write_text(f"{socket.gethostname()}\n{s3_bucket}\n{key}\n")
    data = b"small\n"
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    assert push(cache, _s3(moto_endpoint, s3_bucket), [("f", hi)]).ok  # type: ignore[arg-type]
    left = [u["Key"] for u in client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])]
    assert left == [other]
    assert not entry.exists()


@pytest.mark.s3
def test_push_lists_uploads_only_when_there_is_a_reason(
        tmp_path: Path, s3_proxy: FaultProxy, s3_bucket: str) -> None:
    """No dead ledger entry and no day-old listing: a push costs no ListMultipartUploads."""
    cache = ObjectCache(tmp_path / "cache")
    data = b"small\n"
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    s3_proxy.clear()
    assert push(cache, _s3(s3_proxy.url, s3_bucket), [("f", hi)]).ok  # type: ignore[arg-type]
    assert _listings(s3_proxy) == 0
    marker = next((cache.tmp_dir() / "s3-uploads").glob("listed-*"))
    old = marker.stat().st_mtime - 2 * STALE_AGE
    os.utime(marker, (old, old))
    s3_proxy.add("500", "GET", "uploads")  # NOTE: a 5xx there is retried, as any request
    assert push(cache, _s3(s3_proxy.url, s3_bucket), [("f", hi)]).ok  # type: ignore[arg-type]
    assert _listings(s3_proxy) == 2


def _listings(proxy: FaultProxy) -> int:
    """ListMultipartUploads requests the proxy saw."""
    return sum(1 for method, path, _ in proxy.log if method == "GET" and "uploads" in path)


def test_the_link_probe_sweeps_where_it_probes(tmp_path: Path) -> None:
    """Killed right after probing the link type: the probe left next to the output goes at
    the next probe there, even when nothing else is written in that directory."""
    ws = make_ws(tmp_path)
    stale = _stale(tmp_path)
    ws.links.kind(tmp_path / "data")
    assert not stale.exists()


def test_verify_listing_skips_our_temps_and_drops_stale_ones(tmp_path: Path,
                                                            live_pid: int) -> None:
    """``cache verify`` walks every object dir: a live temp is not an "other file", a stale
    one goes. (gc only skips temps: it promises to touch nothing but objects.)"""
    from dvcdoit.storage.gc import list_cache
    from dvcdoit.storage.verify import list_objects

    cache = ObjectCache(tmp_path / "cache")
    data = b"kept\n"
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_content(data, hi)
    objdir = cache.path_for(hi).parent
    live = objdir / f".dvcdoit-{live_pid}-a.tmp"
    live.write_bytes(b"being written")
    stale = _stale(objdir)
    assert list_cache(cache.root) == [hi.value]
    assert list_objects(cache) == ([(hi, len(data))], [])  # NOTE: no "other file" reported
    assert not stale.exists() and live.exists()
