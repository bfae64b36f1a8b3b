"""remotes.azure against a real Azurite blob server on loopback (no in-process mocks)."""

from __future__ import annotations

import datetime
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from dvcdoit.core.errors import ConfigError, ObjectCorruptError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes, object_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import RemoteObjectMissing, azureblocks, azureclient, open_remote
from dvcdoit.storage.remotes import azure as azmod
from dvcdoit.storage.remotes.azure import AzureRemote
from dvcdoit.storage.transfer import fetch, push
from tests.azureserver import (  # noqa: F401 - fixtures
    ACCOUNT,
    KEY,
    azure_container,
    azure_proxy,
    azurite,
    connection_string,
    proxied,
)
from tests.conftest import Runner, write_tree
from tests.faults.s3proxy import FaultProxy

PREFIX = "some/path"


def _cfg(container: str, prefix: str = PREFIX, **opts: str) -> RemoteConfig:
    return RemoteConfig("az", f"azure://{container}/{prefix}", MappingProxyType(opts))


def _remote(endpoint: str, container: str, prefix: str = PREFIX, **opts: str) -> AzureRemote:
    opts.setdefault("connection_string", connection_string(endpoint))
    remote = open_remote(_cfg(container, prefix, **opts))
    assert isinstance(remote, AzureRemote)
    return remote


def _names(endpoint: str, container: str) -> list[str]:
    svc = BlobServiceClient.from_connection_string(connection_string(endpoint))
    return sorted(b.name for b in svc.get_container_client(container).list_blobs())


def _dir_in_cache(cache: ObjectCache, n: int) -> HashInfo:
    entries = []
    for i in range(n):
        data = f"file number {i}\n".encode()
        hi = HashInfo(MD5, md5_bytes(data))
        cache.add_bytes(data, hi)
        entries.append(ManifestEntry(f"d/f{i:03}.txt", hi.value))
    return cache.add_manifest(entries)


def _put(endpoint: str, container: str, relpath: str, data: bytes) -> None:
    svc = BlobServiceClient.from_connection_string(connection_string(endpoint))
    svc.get_blob_client(container, f"{PREFIX}/{relpath}").upload_blob(data, overwrite=True)


# -- the protocol -------------------------------------------------------------------------
def test_round_trip_missing_walk_delete(azurite: str, azure_container: str, tmp_path: Path) -> None:
    remote = _remote(azurite, azure_container)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    rel = "files/md5/32/1c3cf486ed509164edec1e1981fec8"
    remote.upload(src, rel, md5=md5_bytes(b"payload"))
    assert _names(azurite, azure_container) == [f"{PREFIX}/{rel}"]
    assert remote.exists_many([rel, "files/md5/ab/none"]) == {rel}
    assert remote.download(rel, tmp_path / "dl") == md5_bytes(b"payload")
    assert (tmp_path / "dl").read_bytes() == b"payload"
    with pytest.raises(RemoteObjectMissing) as exc:
        remote.download("files/md5/ab/none", tmp_path / "dl2")
    assert str(exc.value) == f"remote azure://{azure_container}/{PREFIX}: files/md5/ab/none does not exist"
    assert remote.walk("files/") == [rel]
    remote.delete([rel, "files/md5/ab/cdef0123456789abcdef0123456789"])  # one already gone: fine
    assert _names(azurite, azure_container) == []
    assert "devstoreaccount1" not in repr(remote) and KEY not in repr(remote.__dict__)


def test_requests_per_object_are_batched(azure_proxy: FaultProxy, azure_container: str,
                                         tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 60)
    remote = _remote(proxied(azure_proxy), azure_container)
    res = push(cache, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert azure_proxy.counts.get("PUT") == 61
    assert azure_proxy.total <= 61 + 2  # one probe of the .dir, one listing for the members
    azure_proxy.clear()
    assert push(cache, remote, [("data", dir_hi)]).transferred == ()
    assert azure_proxy.counts == {"HEAD": 1}  # the .dir is there, so the directory is complete
    azure_proxy.clear()
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert azure_proxy.counts == {"GET": 61}


def test_existence_of_many_objects_lists_pages_not_objects(azure_proxy: FaultProxy, azure_container: str,
                                                           tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azmod, "PAGE", 10)  # NOTE: 5,000 per page in real use; 10 shows the paging
    remote = _remote(proxied(azure_proxy), azure_container)
    present = [f"files/md5/{i:02x}/{'0' * 30}" for i in range(0, 40)]
    for rel in present:
        _put(proxied(azure_proxy), azure_container, rel, b"x")
    asked = present + [f"files/md5/{i:02x}/{'1' * 30}" for i in range(0, 40)]
    azure_proxy.clear()
    assert remote.exists_many(asked) == set(present)
    assert azure_proxy.counts == {"GET": 4}  # 40 names in pages of 10: the budget (40 prefixes) covers it


def test_transient_faults_then_recovery(azure_proxy: FaultProxy, azure_container: str,
                                        tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 5)
    remote = _remote(proxied(azure_proxy), azure_container)
    azure_proxy.add("500", method="PUT", times=2)
    azure_proxy.add("reset", method="PUT", times=1)
    azure_proxy.add("500", method="HEAD", times=1)
    assert push(cache, remote, [("data", dir_hi)], jobs=4).ok
    assert azure_proxy.faults() == 4
    azure_proxy.add("500", method="GET", times=1)
    azure_proxy.add("truncate", method="GET", times=2)
    azure_proxy.add("reset", method="GET", times=1)
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)], jobs=4).ok
    assert azure_proxy.faults() == 8
    assert fresh.has(dir_hi)


def test_persistent_500_is_a_per_object_failure(azure_proxy: FaultProxy, azure_container: str,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(azureclient, "RETRIES", 1)
    cache = ObjectCache(tmp_path / "cache")
    data = b"x\n"
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    remote = _remote(proxied(azure_proxy), azure_container)
    azure_proxy.add("500", method="PUT", times=-1)
    res = push(cache, remote, [("x.txt", hi)])
    assert res.failed == (("x.txt", hi, (f"remote azure://{azure_container}/{PREFIX}: upload "
                                        f"{object_relpath(hi)} failed: InternalError")),)
    assert azure_proxy.counts.get("PUT") == 2  # the first try and one retry


def test_tampered_upload_is_refused_and_nothing_appears(azurite: str, azure_container: str,
                                                        tmp_path: Path) -> None:
    remote = _remote(azurite, azure_container)
    src = tmp_path / "src"
    src.write_bytes(b"tampered")
    good = md5_bytes(b"original")
    rel = object_relpath(HashInfo(MD5, good))
    with pytest.raises(ObjectCorruptError) as exc:
        remote.upload(src, rel, md5=good)
    assert str(exc.value) == (f"remote azure://{azure_container}/{PREFIX}: refusing to upload {rel}: "
                              f"its bytes hash to {md5_bytes(b'tampered')}, not {good}")
    assert _names(azurite, azure_container) == []


def test_the_server_checks_the_content_md5_sent(azurite: str, azure_container: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # NOTE: bytes that change after they were hashed here: the Content-MD5 we send is then not
    # the md5 of the body; stand that in by sending the md5 of other bytes (our code, not the SDK's)
    monkeypatch.setattr(azmod, "content_md5", lambda f, md5, refuse: "rL0Y20zC+Fzt72VPzMSk2A==")
    remote = _remote(azurite, azure_container)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    rel = "files/md5/32/1c3cf486ed509164edec1e1981fec8"
    with pytest.raises(RemoteError) as exc:
        remote.upload(src, rel, md5=md5_bytes(b"payload"))
    assert str(exc.value) == (f"remote azure://{azure_container}/{PREFIX}: upload {rel} failed: "
                              "InvalidOperation; the bytes that arrived do not hash to the Content-MD5 sent")
    assert _names(azurite, azure_container) == []


def test_wrong_bytes_from_the_server_are_refused(azurite: str, azure_container: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 3)
    remote = _remote(azurite, azure_container)
    assert push(cache, remote, [("data", dir_hi)]).ok
    victim = HashInfo(MD5, md5_bytes(b"file number 1\n"))
    _put(azurite, azure_container, object_relpath(victim), b"evil")
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)])
    assert [(n, h) for n, h, _ in res.failed] == [("data/d/f001.txt", victim)]
    assert "corrupt on remote" in res.failed[0][2]
    assert not fresh.path_for(victim).exists()
    assert len(res.transferred) == 3


def test_large_file_goes_up_in_blocks_committed_only_when_it_matches(
        azure_proxy: FaultProxy, azure_container: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    mib = 1024 * 1024
    monkeypatch.setattr(azmod, "BLOCK_THRESHOLD", 5 * mib)
    monkeypatch.setattr(azmod, "PARALLEL_GET", 5 * mib)
    monkeypatch.setattr(azureblocks, "BLOCK_SIZE", 2 * mib)
    monkeypatch.setattr(azureclient, "GET_FIRST", 2 * mib)
    monkeypatch.setattr(azureclient, "GET_CHUNK", 2 * mib)
    remote = _remote(proxied(azure_proxy), azure_container)
    data = bytes((i * 7) % 251 for i in range(256)) * (9 * mib // 256 + 3)  # 5 blocks, last short
    src = tmp_path / "big"
    src.write_bytes(data)
    rel = object_relpath(HashInfo(MD5, md5_bytes(data)))
    with pytest.raises(ObjectCorruptError):
        remote.upload(src, rel, md5=md5_bytes(b"something else"))
    assert azure_proxy.counts == {"PUT": 5}  # the blocks went up, the block list did not
    assert _names(azurite_of(azure_proxy), azure_container) == []
    azure_proxy.clear()
    azure_proxy.add("500", method="PUT", path="comp=block&", times=1)
    remote.upload(src, rel, md5=md5_bytes(data))
    assert azure_proxy.counts == {"PUT": 5 + 1 + 1}  # five blocks, one retried, the block list
    azure_proxy.clear()
    azure_proxy.add("truncate", method="GET", times=1)
    assert remote.download(rel, tmp_path / "dl") == md5_bytes(data)
    assert (tmp_path / "dl").read_bytes() == data
    assert azure_proxy.counts.get("GET", 0) == 1 + 5  # the cut one, then the first range + 4
    bad = bytearray(data)
    bad[7 * mib] ^= 0xFF  # same size, one byte off in the fourth range
    _put(proxied(azure_proxy), azure_container, rel, bytes(bad))
    assert remote.download(rel, tmp_path / "dl2") == md5_bytes(bytes(bad))


def azurite_of(proxy: FaultProxy) -> str:
    """Azurite's endpoint behind ``proxy``."""
    host, port = proxy.upstream
    return f"http://{host}:{port}/{ACCOUNT}"
