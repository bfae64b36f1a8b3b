"""remotes.gs against a real gcp-storage-emulator on loopback (no in-process mocks)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from dvcdoit.core.errors import ConfigError, ObjectCorruptError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes, object_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import RemoteObjectMissing, open_remote
from dvcdoit.storage.remotes import gs as gsmod
from dvcdoit.storage.remotes.gs import GSRemote
from dvcdoit.storage.remotes.gsclient import pool_size
from dvcdoit.storage.transfer import fetch, push
from tests.conftest import Runner, write_tree
from tests.faults.s3proxy import FaultProxy

if TYPE_CHECKING:
    from tests.gsserver import TokenServer

pytest_plugins = ["tests.gsserver"]  # NOTE: its fixtures, without touching the shared conftest
pytestmark = pytest.mark.usefixtures("gcs_env")
PREFIX = "some/path"


def _remote(endpoint: str, bucket: str, prefix: str = PREFIX, jobs: int | None = None,
            **opts: str) -> GSRemote:
    options = {"endpointurl": endpoint, **opts} if endpoint else opts
    cfg = RemoteConfig("gsr", f"gs://{bucket}/{prefix}", MappingProxyType(options), jobs=jobs)
    remote = open_remote(cfg)
    assert isinstance(remote, GSRemote)
    return remote


def _sdk(endpoint: str) -> storage.Client:
    """A plain client, to look at or tamper with the emulator behind dvcdoit's back."""
    return storage.Client(project=None, credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": endpoint})


def _dir_in_cache(cache: ObjectCache, n: int) -> HashInfo:
    entries = []
    for i in range(n):
        data = f"file number {i}\n".encode()
        hi = HashInfo(MD5, md5_bytes(data))
        cache.add_bytes(data, hi)
        entries.append(ManifestEntry(f"d/f{i:03}.txt", hi.value))
    return cache.add_manifest(entries)


def _obj(tmp_path: Path, data: bytes) -> tuple[Path, str, str]:
    src = tmp_path / "src"
    src.write_bytes(data)
    md5 = md5_bytes(data)
    return src, md5, object_relpath(HashInfo(MD5, md5))


def test_round_trip_missing_walk_delete(gcs_endpoint: str, gcs_bucket: str, tmp_path: Path) -> None:
    remote = _remote(gcs_endpoint, gcs_bucket)
    src, md5, rel = _obj(tmp_path, b"payload")
    remote.upload(src, rel, md5)
    names = [b.name for b in _sdk(gcs_endpoint).list_blobs(gcs_bucket)]
    assert names == [f"{PREFIX}/{rel}"]
    assert remote.exists_many([rel, "files/md5/ab/none"]) == {rel}
    assert remote.download(rel, tmp_path / "dl") == md5
    assert (tmp_path / "dl").read_bytes() == b"payload"
    with pytest.raises(RemoteObjectMissing, match=r"^remote gs://.*/some/path: files/md5/ab/none does not exist$"):
        remote.download("files/md5/ab/none", tmp_path / "dl2")
    assert remote.walk("files/") == [rel]
    remote.delete([rel, rel])  # the second is already gone: fine
    assert remote.walk("files/") == []
    with pytest.raises(RemoteError, match="refusing to delete 'runs/x'"):
        remote.delete(["runs/x"])


def test_requests_per_object_are_batched(gcs_proxy: FaultProxy, gcs_bucket: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 60)
    remote = _remote(gcs_proxy.url, gcs_bucket, jobs=8)
    res = push(cache, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert gcs_proxy.counts.get("POST") == 61  # one multipart upload each
    assert gcs_proxy.total == 61 + 2  # one GET for the .dir, one listing for the members
    gcs_proxy.clear()
    assert push(cache, remote, [("data", dir_hi)]).transferred == ()
    assert gcs_proxy.total == 1  # the .dir is there, so the directory is complete
    gcs_proxy.clear()
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert gcs_proxy.counts == {"GET": 61}


def test_many_prefixes_listed_with_delimiter_when_the_budget_runs_out(
        gcs_proxy: FaultProxy, gcs_bucket: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gsmod, "PAGE_SIZE", 2)  # NOTE: the emulator ignores it (one page)
    remote = _remote(gcs_proxy.url, gcs_bucket)
    src, md5, rel = _obj(tmp_path, b"there")
    remote.upload(src, rel, md5)
    gcs_proxy.clear()
    rels = [rel, *(f"files/md5/{k:02x}/{'0' * 30}" for k in range(40))]
    assert remote.exists_many(rels) == {rel}
    assert gcs_proxy.total == 1


@pytest.mark.parametrize(("kind", "method"), [("500", "POST"), ("reset", "POST"), ("503", "GET")])
def test_transient_fault_then_recovery(gcs_proxy: FaultProxy, gcs_bucket: str, tmp_path: Path,
                                       kind: str, method: str) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 5)
    remote = _remote(gcs_proxy.url, gcs_bucket)
    gcs_proxy.add(kind, method=method, times=2)
    assert push(cache, remote, [("data", dir_hi)], jobs=4).ok
    gcs_proxy.add(kind, method="GET", times=2)
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)], jobs=4).ok
    assert gcs_proxy.faults() == 4
    assert fresh.has(dir_hi)


@pytest.mark.parametrize("kind", ["truncate", "corrupt"])
def test_a_broken_body_is_retried(gcs_proxy: FaultProxy, gcs_bucket: str, tmp_path: Path,
                                  kind: str) -> None:
    remote = _remote(gcs_proxy.url, gcs_bucket)
    src, md5, rel = _obj(tmp_path, bytes(range(256)) * 64)
    remote.upload(src, rel, md5)
    gcs_proxy.clear()
    gcs_proxy.add(kind, method="GET", times=1)
    assert remote.download(rel, tmp_path / "dl") == md5
    assert [f for _, _, f in gcs_proxy.log] == [kind, ""]


def test_persistent_faults_are_one_line_per_object(gcs_proxy: FaultProxy, gcs_bucket: str,
                                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gsmod, "MAX_ATTEMPTS", 2)
    cache = ObjectCache(tmp_path / "cache")
    hi = HashInfo(MD5, md5_bytes(b"x\n"))
    cache.add_bytes(b"x\n", hi)
    remote = _remote(gcs_proxy.url, gcs_bucket)
    gcs_proxy.add("500", method="POST", times=2)
    res = push(cache, remote, [("x.txt", hi)])
    assert res.failed == (("x.txt", hi, (f"remote gs://{gcs_bucket}/some/path: upload "
                                        f"{object_relpath(hi)} failed: HTTP 500 (InternalServerError)")),)
    assert gcs_proxy.faults() == 2
    assert push(cache, remote, [("x.txt", hi)]).ok
    gcs_proxy.add("corrupt", method="GET", times=-1)
    with pytest.raises(RemoteError) as exc:
        remote.download(object_relpath(hi), tmp_path / "dl")
    assert str(exc.value) == (f"remote gs://{gcs_bucket}/some/path: download {object_relpath(hi)} "
                              f"failed: the server sent wrong bytes (they hash to "
                              f"{md5_bytes(b'x' + bytes([0x0A ^ 0xFF]))}, the server says {hi.value})")
    assert not (tmp_path / "dl").exists()


def test_tampered_upload_is_refused_before_any_request(gcs_proxy: FaultProxy, gcs_bucket: str,
                                                       tmp_path: Path) -> None:
    remote = _remote(gcs_proxy.url, gcs_bucket)
    src, md5, rel = _obj(tmp_path, b"the real bytes")
    src.write_bytes(b"tampered bytes")
    with pytest.raises(ObjectCorruptError) as exc:
        remote.upload(src, rel, md5)
    assert str(exc.value) == (f"remote gs://{gcs_bucket}/some/path: refusing to upload {rel}: its bytes "
                              f"hash to {md5_bytes(b'tampered bytes')}, not {md5}")
    assert gcs_proxy.total == 0
    assert remote.walk("files/") == []


def test_the_server_checks_the_md5_sent_with_the_bytes(gcs_proxy: FaultProxy, gcs_bucket: str,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that changes after it was hashed (another writer, same size) is refused by the
    server, which checks the bytes against the md5 the upload carries."""
    remote = _remote(gcs_proxy.url, gcs_bucket)
    src, md5, rel = _obj(tmp_path, b"the real bytes")
    real = gsmod.content_md5

    def then_changed(*args: object, **kwargs: object) -> str:
        value = real(*args, **kwargs)  # type: ignore[arg-type]
        src.write_bytes(b"the evil bytes")
        return value

    monkeypatch.setattr(gsmod, "content_md5", then_changed)
    with pytest.raises(RemoteError) as exc:
        remote.upload(src, rel, md5)
    assert str(exc.value) == (f"remote gs://{gcs_bucket}/some/path: upload {rel} failed: the server "
                              "refused the bytes: they do not hash to the md5 sent (changed while "
                              "uploading?)")
    assert gcs_proxy.counts == {"POST": 1}  # sent once, not retried
    assert remote.walk("files/") == []


def test_corrupt_remote_object_is_reported(gcs_endpoint: str, gcs_bucket: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 3)
    remote = _remote(gcs_endpoint, gcs_bucket)
    assert push(cache, remote, [("data", dir_hi)]).ok
    victim = HashInfo(MD5, md5_bytes(b"file number 1\n"))
    _sdk(gcs_endpoint).bucket(gcs_bucket).blob(f"{PREFIX}/{object_relpath(victim)}").upload_from_string(b"evil")
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)])
    assert [(n, h) for n, h, _ in res.failed] == [("data/d/f001.txt", victim)]
    assert not fresh.path_for(victim).exists()
    assert len(res.transferred) == 3


# ------------------------------------------------------------------------- bad input
def _fails(remote: GSRemote, tmp_path: Path, what: str = "upload") -> str:
    src, md5, rel = _obj(tmp_path, b"x")
    with pytest.raises(RemoteError) as exc:
        if what == "upload":
            remote.upload(src, rel, md5)
        elif what == "download":
            remote.download(rel, tmp_path / "dl")
        else:
            remote.exists_many([rel, "files/md5/ab/c", "files/md5/ab/d"])
    return str(exc.value)


REL = object_relpath(HashInfo(MD5, md5_bytes(b"x")))


@pytest.mark.parametrize("what", ["upload", "download", "list"])
def test_missing_bucket(gcs_endpoint: str, tmp_path: Path, what: str) -> None:
    action, rel = ("list", "files/md5/") if what == "list" else (what, REL)
    assert _fails(_remote(gcs_endpoint, "no-such-bucket"), tmp_path, what) == (
        f"remote gs://no-such-bucket/some/path: {action} {rel} failed: bucket 'no-such-bucket' does not exist")


@pytest.mark.parametrize(("endpoint", "where"), [
    ("http://no-such-host.invalid:9", "http://no-such-host.invalid:9"),
    ("http://127.0.0.1:9/", "http://127.0.0.1:9"),  # NOTE: the discard port: nothing listens
])
def test_unreachable_endpoint(tmp_path: Path, endpoint: str, where: str) -> None:
    assert _fails(_remote(endpoint, "b"), tmp_path) == (
        f"remote gs://b/some/path: upload {REL} failed: cannot connect to {where}; check the "
        "remote's endpointurl and that the server is up")


def test_permission_denied_on_one_object(gcs_proxy: FaultProxy, gcs_bucket: str, tmp_path: Path) -> None:
    """The emulator never refuses access, so the proxy answers 403 for one object's GET."""
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 3)
    remote = _remote(gcs_proxy.url, gcs_bucket)
    assert push(cache, remote, [("data", dir_hi)]).ok
    victim = HashInfo(MD5, md5_bytes(b"file number 2\n"))
    gcs_proxy.add("403", method="GET", path=victim.value[2:], times=-1)
    res = fetch(ObjectCache(tmp_path / "fresh"), remote, [("data", dir_hi)])
    assert res.failed == (("data/d/f002.txt", victim, (
        f"remote gs://{gcs_bucket}/some/path: download {object_relpath(victim)} failed: permission "
        "denied (403); check the remote's credentials and that they may use this bucket")),)
    assert len(res.transferred) == 3


def _bad_file(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "creds.json"
    if kind == "directory":
        path.mkdir()
    elif kind == "not json":
        path.write_text('{"private_key": "SECRET-KEY-TEXT", ')
    elif kind == "wrong type":
        path.write_text(json.dumps({"type": "nonsense", "private_key": "SECRET-KEY-TEXT"}))
    return path


@pytest.mark.parametrize(("kind", "reason"), [
    ("missing", "no such file"), ("directory", "it is a directory"),
    ("not json", "not a service-account or authorized-user JSON file"),
    ("wrong type", "not a service-account or authorized-user JSON file")])
@pytest.mark.parametrize("via", ["credentialpath", "GOOGLE_APPLICATION_CREDENTIALS"])
def test_bad_credentials_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
                              reason: str, via: str) -> None:
    path = _bad_file(tmp_path, kind)
    opts = {"credentialpath": str(path)} if via == "credentialpath" else {}
    if via != "credentialpath":
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(path))
    with pytest.raises(RemoteError) as exc:
        _remote("", "b", **opts)
    assert str(exc.value) == (f"remote 'gsr' (gs://b/some/path): cannot load Google credentials from "
                              f"{via} {path}: {reason}")
    assert "SECRET" not in str(exc.value)


def test_service_account_credentials(gcs_endpoint: str, gcs_bucket: str, tmp_path: Path,
                                     token_server: TokenServer) -> None:
    """A real JWT grant at a loopback token endpoint, then bearer requests to the emulator."""
    from tests.gsserver import service_account_file

    info = service_account_file(tmp_path / "sa.json", token_server.url)
    remote = _remote(gcs_endpoint, gcs_bucket, credentialpath=str(tmp_path / "sa.json"))
    src, md5, rel = _obj(tmp_path, b"signed")
    remote.upload(src, rel, md5)
    assert remote.download(rel, tmp_path / "dl") == md5
    assert token_server.grants == 1
    token_server.refuse = True
    other = _remote(gcs_endpoint, gcs_bucket, credentialpath=str(tmp_path / "sa.json"))
    text = _fails(other, tmp_path)
    assert text == (f"remote gs://{gcs_bucket}/some/path: upload {REL} failed: cannot get an access "
                    "token; check the remote's credentials (credentialpath)")
    assert info["private_key"][40:80] not in text + repr(other)


def test_options(gcs_endpoint: str, gcs_bucket: str, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    remote = _remote(gcs_endpoint + "/", gcs_bucket, projectname="proj", jobs=3,
                     allow_anonymous_login="true")
    assert remote.client.project == "proj"
    assert remote.client._http.adapters["http://"]._pool_maxsize == pool_size(3) == 10
    assert pool_size(40) == 44
    src, md5, rel = _obj(tmp_path, b"opt")
    remote.upload(src, rel, md5)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_endpoint)  # the SDK's variable, as gcsfs'
    assert _remote("", gcs_bucket).exists_many([rel]) == {rel}
    with pytest.raises(ConfigError, match="has no bucket; expected gs://bucket/prefix"):
        open_remote(RemoteConfig("gsr", "gs:///x", MappingProxyType({"endpointurl": gcs_endpoint})))
    with pytest.raises(ConfigError, match=r"^remote 'gsr' allow_anonymous_login: expected true or false, got 'maybe'$"):
        _remote(gcs_endpoint, gcs_bucket, allow_anonymous_login="maybe")


# ---------------------------------------------------------------------- real DVC
def _repo(run: Runner, root: Path, endpoint: str, bucket: str) -> None:
    write_tree(root, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    run("init")
    run("add", "data")
    run("add", "nf.txt")
    run("remote", "add", "-d", "gsr", f"gs://{bucket}/{PREFIX}")
    run("remote", "modify", "gsr", "endpointurl", endpoint)


def _clone(src: Path, dest: Path) -> Path:
    subprocess.run(["git", "-C", str(src), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(src), "commit", "-qm", "data"], check=True)
    subprocess.run(["git", "clone", "-q", str(src), str(dest)], check=True)
    return dest


@pytest.mark.interop
def test_our_push_then_dvc_pull(dvcdoit: Runner, dvc: Runner, git_repo: Path, gcs_endpoint: str,
                                gcs_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(dvcdoit, git_repo, gcs_endpoint, gcs_bucket)
    assert dvcdoit("push").stdout.strip() == "4 files pushed"
    assert dvc("status", "-c").stdout == "Cache and remote 'gsr' are in sync.\n"
    clone = _clone(git_repo, tmp_path / "clone")
    monkeypatch.chdir(clone)
    dvc("pull", "-q")
    assert (clone / "data/a.txt").read_text() == "hello\n"
    assert (clone / "data/sub/b.txt").read_text() == "world\n"
    assert (clone / "nf.txt").read_text() == "nf\n"


@pytest.mark.interop
def test_dvc_push_then_our_pull(dvcdoit: Runner, dvc: Runner, git_repo: Path, gcs_endpoint: str,
                                gcs_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _repo(dvc, git_repo, gcs_endpoint, gcs_bucket)
    assert dvc("push").stdout.strip() == "4 files pushed"
    clone = _clone(git_repo, tmp_path / "clone")
    monkeypatch.chdir(clone)
    assert dvcdoit("pull").returncode == 0
    assert (clone / "data/a.txt").read_text() == "hello\n"
    assert (clone / "data/sub/b.txt").read_text() == "world\n"
    assert (clone / "nf.txt").read_text() == "nf\n"
    assert dvc("status", "-c").stdout == "Cache and remote 'gsr' are in sync.\n"
