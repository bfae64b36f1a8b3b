"""remotes.s3 against a real moto S3 server on loopback (no in-process mocks)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import MappingProxyType

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from dvcdoit.core.errors import RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes, object_relpath
from dvcdoit.formats import _yaml
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import RemoteObjectMissing, open_remote
from dvcdoit.storage.remotes import s3 as s3mod
from dvcdoit.storage.remotes.s3 import S3Remote
from dvcdoit.storage.transfer import Item, fetch, push, status
from tests.conftest import Runner, write_tree
from tests.faults.s3proxy import FaultProxy

pytestmark = pytest.mark.s3


def _remote(endpoint: str, bucket: str, prefix: str = "some/path", **opts: str) -> S3Remote:
    options = {"endpointurl": endpoint, **opts}
    remote = open_remote(RemoteConfig("s3r", f"s3://{bucket}/{prefix}", MappingProxyType(options)))
    assert isinstance(remote, S3Remote)
    return remote


def _dir_in_cache(cache: ObjectCache, n: int) -> HashInfo:
    entries = []
    for i in range(n):
        data = f"file number {i}\n".encode()
        hi = HashInfo(MD5, md5_bytes(data))
        cache.add_bytes(data, hi)
        entries.append(ManifestEntry(f"d/f{i:03}.txt", hi.value))
    return cache.add_manifest(entries)


def test_round_trip_and_missing(moto_endpoint: str, s3_bucket: str, tmp_path: Path) -> None:
    remote = _remote(moto_endpoint, s3_bucket)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    remote.upload(src, "files/md5/ab/cdef")
    keys = [o["Key"] for o in remote.client.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert keys == ["some/path/files/md5/ab/cdef"]
    assert remote.exists_many(["files/md5/ab/cdef", "files/md5/ab/none"]) == {"files/md5/ab/cdef"}
    remote.download("files/md5/ab/cdef", tmp_path / "dl")
    assert (tmp_path / "dl").read_bytes() == b"payload"
    with pytest.raises(RemoteObjectMissing, match=r"some/path: files/md5/ab/none does not exist"):
        remote.download("files/md5/ab/none", tmp_path / "dl2")
    assert remote.walk("files/") == ["files/md5/ab/cdef"]


def test_credentials_never_in_errors(moto_endpoint: str, tmp_path: Path, s3_env: object) -> None:
    remote = _remote(moto_endpoint, "no-such-bucket", access_key_id="AKIDSECRETID",
                     secret_access_key="SuperSecretKey", session_token="TokTokSecret")
    src = tmp_path / "src"
    src.write_bytes(b"x")
    with pytest.raises(RemoteError) as exc:
        remote.upload(src, "files/md5/ab/cd")
    text = str(exc.value) + repr(exc.value) + repr(remote.__dict__.get("url"))
    assert str(exc.value) == "remote s3://no-such-bucket/some/path: upload files/md5/ab/cd failed: NoSuchBucket"
    for secret in ("AKIDSECRETID", "SuperSecretKey", "TokTokSecret"):
        assert secret not in text


def test_requests_per_object_are_batched(s3_proxy: FaultProxy, s3_bucket: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 60)
    remote = _remote(s3_proxy.url, s3_bucket)
    res = push(cache, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert s3_proxy.counts.get("PUT") == 61
    assert s3_proxy.total <= 61 + 2  # one HEAD for the .dir, one listing for the members
    s3_proxy.clear()
    assert push(cache, remote, [("data", dir_hi)]).transferred == ()
    assert s3_proxy.total == 1  # the .dir is there, so the directory is complete
    s3_proxy.clear()
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert s3_proxy.counts == {"GET": 61}


def test_500_then_recover(s3_proxy: FaultProxy, s3_bucket: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 5)
    remote = _remote(s3_proxy.url, s3_bucket)
    s3_proxy.add("500", method="PUT", times=2)
    s3_proxy.add("500", method="HEAD", times=1)
    assert push(cache, remote, [("data", dir_hi)], jobs=4).ok
    assert s3_proxy.faults() == 3
    s3_proxy.add("500", method="GET", times=2)
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)], jobs=4).ok
    assert s3_proxy.faults() == 5
    assert fresh.has(dir_hi)


def test_persistent_500_is_a_per_object_failure(s3_proxy: FaultProxy, s3_bucket: str,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s3mod, "MAX_ATTEMPTS", 2)
    cache = ObjectCache(tmp_path / "cache")
    data = b"x\n"
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    remote = _remote(s3_proxy.url, s3_bucket)
    s3_proxy.add("500", method="PUT", times=2)
    res = push(cache, remote, [("x.txt", hi)])
    assert res.failed == (("x.txt", hi, (f"remote s3://{s3_bucket}/some/path: upload "
                                        f"{object_relpath(hi)} failed: InternalError")),)


def test_corrupt_remote_object_is_reported(moto_endpoint: str, s3_bucket: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 3)
    remote = _remote(moto_endpoint, s3_bucket)
    assert push(cache, remote, [("data", dir_hi)]).ok
    victim = HashInfo(MD5, md5_bytes(b"file number 1\n"))
    remote.client.put_object(Bucket=s3_bucket, Key="some/path/" + object_relpath(victim), Body=b"evil")
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)])
    assert [(n, h) for n, h, _ in res.failed] == [("data/d/f001.txt", victim)]
    assert not fresh.path_for(victim).exists()
    assert len(res.transferred) == 3


def test_multipart_upload_and_ranged_download(s3_proxy: FaultProxy, s3_bucket: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    mib = 1024 * 1024
    monkeypatch.setattr(s3mod, "MULTIPART_THRESHOLD", 5 * mib)
    monkeypatch.setattr(s3mod, "DOWNLOAD_PART", 5 * mib)
    remote = _remote(s3_proxy.url, s3_bucket)
    remote.transfer_config = TransferConfig(multipart_threshold=5 * mib, multipart_chunksize=5 * mib,
                                            max_concurrency=4)
    cache = ObjectCache(tmp_path / "cache")
    data = bytes(range(256)) * (12 * mib // 256)
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    assert push(cache, remote, [("big", hi)]).ok
    assert s3_proxy.counts.get("PUT") == 3  # three 5 MiB parts (the last one short)
    fresh = ObjectCache(tmp_path / "fresh")
    s3_proxy.clear()
    assert fetch(fresh, remote, [("big", hi)]).ok
    assert fresh.has(hi)
    assert fresh.path_for(hi).read_bytes() == data
    assert s3_proxy.counts == {"GET": 3}  # the first part from the first GET, then 2 ranges


def test_ranged_download_hashes_parts_in_order_retries_and_refuses_corruption(
        s3_proxy: FaultProxy, s3_bucket: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mib = 1024 * 1024
    monkeypatch.setattr(s3mod, "MULTIPART_THRESHOLD", 5 * mib)
    monkeypatch.setattr(s3mod, "DOWNLOAD_PART", 2 * mib)
    remote = _remote(s3_proxy.url, s3_bucket)
    data = bytes((i * 7) % 251 for i in range(256)) * (11 * mib // 256 + 3)  # 6 parts, last short
    hi = HashInfo(MD5, md5_bytes(data))
    rel = object_relpath(hi)
    remote.client.put_object(Bucket=s3_bucket, Key=f"some/path/{rel}", Body=data)
    s3_proxy.clear()
    s3_proxy.add("500", method="GET", times=1)  # a 500 on the way is retried
    assert remote.download(rel, tmp_path / "dl") == hi.value
    assert (tmp_path / "dl").read_bytes() == data
    assert s3_proxy.counts.get("GET") == 1 + 6  # the failed one, then the first part + 5 ranges

    bad = bytearray(data)
    bad[9 * mib] ^= 0xFF  # same size, one byte off in the fifth part
    remote.client.put_object(Bucket=s3_bucket, Key=f"some/path/{rel}", Body=bytes(bad))
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("big", hi)])
    assert [(n, h) for n, h, _ in res.failed] == [("big", hi)]
    assert "corrupt on remote" in res.failed[0][2]
    assert not fresh.has(hi)


def _out_hashes(dvcfile: Path) -> list[Item]:
    data = _yaml.loads(dvcfile.read_text(), str(dvcfile))
    return [(o["path"], HashInfo("md5" if o.get("hash") == "md5" else "md5-dos2unix", o["md5"]))
            for o in data["outs"]]


def _repo_with_s3(dvc: Runner, root: Path, endpoint: str, bucket: str) -> list[Item]:
    write_tree(root, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    dvc("init", "-q")
    dvc("add", "-q", "data", "nf.txt")
    dvc("remote", "add", "-d", "s3r", f"s3://{bucket}/some/path")
    dvc("remote", "modify", "s3r", "endpointurl", endpoint)
    return _out_hashes(root / "data.dvc") + _out_hashes(root / "nf.txt.dvc")


@pytest.mark.interop
def test_dvc_push_then_our_fetch_s3(dvc: Runner, git_repo: Path, moto_endpoint: str,
                                    s3_bucket: str, tmp_path: Path) -> None:
    items = _repo_with_s3(dvc, git_repo, moto_endpoint, s3_bucket)
    assert dvc("push").stdout.strip() == "4 files pushed"
    remote = _remote(moto_endpoint, s3_bucket)
    cache = ObjectCache(tmp_path / "fresh")
    res = fetch(cache, remote, items)
    assert res.ok and len(res.transferred) == 4
    assert status(cache, remote, items) == {}


@pytest.mark.interop
def test_our_push_then_dvc_pull_s3(dvc: Runner, git_repo: Path, moto_endpoint: str,
                                   s3_bucket: str) -> None:
    items = _repo_with_s3(dvc, git_repo, moto_endpoint, s3_bucket)
    remote = _remote(moto_endpoint, s3_bucket)
    assert push(ObjectCache(git_repo / ".dvc" / "cache"), remote, items).ok
    assert dvc("status", "-c").stdout == "Cache and remote 's3r' are in sync.\n"
    subprocess.run(["chmod", "-R", "u+w", str(git_repo / ".dvc" / "cache")], check=True)
    subprocess.run(["rm", "-rf", str(git_repo / ".dvc" / "cache"), "data", "nf.txt"], check=True)
    assert status(ObjectCache(git_repo / ".dvc" / "cache"), remote, items) == {
        "data/a.txt": "deleted", "data/sub/b.txt": "deleted", "nf.txt": "deleted"}
    dvc("pull", "-q")
    assert (git_repo / "data/a.txt").read_text() == "hello\n"
    keys = boto3.client("s3", endpoint_url=moto_endpoint).list_objects_v2(Bucket=s3_bucket)
    assert len(keys["Contents"]) == 4
