"""remotes.webdav against a real wsgidav server on loopback (http and https; no in-process mocks)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import MappingProxyType

import pytest

from dvcdoit.core.errors import ConfigError, ObjectCorruptError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes, object_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import RemoteObjectMissing, open_remote
from dvcdoit.storage.remotes import webdav as webdavmod
from dvcdoit.storage.remotes.webdav import WebDAVRemote
from dvcdoit.storage.transfer import fetch, push
from tests.conftest import Runner, write_tree
from tests.faults.s3proxy import FaultProxy
from tests.s3server import free_port
from tests.webdavserver import (
    CUSTOM_HEADER,
    CUSTOM_SECRET,
    PASSWORD,
    TOKEN,
    USER,
    DavServer,
)

AUTH = {"user": USER, "password": PASSWORD}


def _open(url: str, **opts: str) -> WebDAVRemote:
    remote = open_remote(RemoteConfig("dav", url, MappingProxyType(opts)))
    assert isinstance(remote, WebDAVRemote)
    return remote


def _fresh(server: DavServer) -> str:
    """A new path below the server's root (the remote's collection, not made yet)."""
    return f"r-{uuid.uuid4().hex[:10]}"


def _via(proxy: FaultProxy, path: str) -> str:
    return proxy.url.replace("http://", "webdav://") + "/" + path


def _dir_in_cache(cache: ObjectCache, n: int, tag: str = "") -> HashInfo:
    entries = []
    for i in range(n):
        data = f"file number {i}{tag}\n".encode()
        hi = HashInfo(MD5, md5_bytes(data))
        cache.add_bytes(data, hi)
        entries.append(ManifestEntry(f"d/f{i:03}.txt", hi.value))
    return cache.add_manifest(entries)


def _temps(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".tmp")]


def test_round_trip_missing_walk_delete(dav_server: DavServer, tmp_path: Path) -> None:
    path = _fresh(dav_server)
    remote = _open(dav_server.url(f"{path}/sub/"), **AUTH)
    assert remote.url == f"{dav_server.url(path)}/sub" and repr(remote) == f"WebDAVRemote({remote.url!r})"
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    rel = object_relpath(HashInfo(MD5, md5_bytes(b"payload")))
    remote.upload(src, rel, md5_bytes(b"payload"))
    on_disk = dav_server.root / path / "sub" / rel
    assert on_disk.read_bytes() == b"payload"
    assert remote.exists_many([rel, "files/md5/ab/none"]) == {rel}
    assert remote.download(rel, tmp_path / "dl") == md5_bytes(b"payload")
    assert (tmp_path / "dl").read_bytes() == b"payload"
    with pytest.raises(RemoteObjectMissing, match=rf"^remote {remote.url}: files/md5/ab/none does not exist$"):
        remote.download("files/md5/ab/none", tmp_path / "dl2")
    remote.upload(src, "runs/ab/key/value")
    left = dav_server.root / path / "sub" / "runs/ab/key" / ".dvcdoit-12345-dead.tmp"
    left.write_bytes(b"a killed push left this")
    stale = on_disk.with_name(".dvcdoit-12345-old.tmp")
    stale.write_bytes(b"a push killed two days ago left this")
    os.utime(stale, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    assert remote.exists_many([rel, rel[:-4] + "none", "files/md5/ab/nix"]) == {rel}
    assert not stale.exists()  # NOTE: a day old: swept by the listing; the fresh one is kept
    assert remote.walk("files/") == [rel]
    assert remote.walk("runs/") == ["runs/ab/key/value"]
    assert remote.walk("nothing/") == []
    remote.delete([rel, rel])
    assert not on_disk.exists()
    with pytest.raises(RemoteError, match="refusing to delete 'runs/ab/key/value'"):
        remote.delete(["runs/ab/key/value"])
    left.unlink()
    assert _temps(dav_server.root / path) == []


def test_requests_are_batched(dav_server: DavServer, dav_proxy: FaultProxy, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 60)
    members = [HashInfo(MD5, e.md5) for e in cache.read_manifest(dir_hi)]
    cols = {object_relpath(h).rsplit("/", 1)[0] for h in [*members, dir_hi]}
    remote = _open(_via(dav_proxy, _fresh(dav_server)), **AUTH)
    res = push(cache, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    # one HEAD (.dir), one PROPFIND of files/md5/ (absent: nothing else to list), one PUT and
    # one MOVE per object, one MKCOL per collection plus the remote's path, files/, files/md5/
    assert dav_proxy.counts == {"HEAD": 1, "PROPFIND": 1, "PUT": 61, "MOVE": 61,
                                "MKCOL": len(cols) + 3}
    dav_proxy.clear()
    assert push(cache, remote, [("data", dir_hi)]).transferred == ()
    assert dav_proxy.counts == {"HEAD": 1}  # the .dir is there, so the directory is complete
    dav_proxy.clear()
    res = fetch(ObjectCache(tmp_path / "fresh"), remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 61
    assert dav_proxy.counts == {"GET": 61}
    # many objects: one PROPFIND of files/md5/, then one per collection that exists (each
    # holds two of the fake ones, so none is HEADed)
    dav_proxy.clear()
    fake = [f"files/md5/{k:02x}/{c * 30}" for k in range(256) for c in "01"]
    rels = [object_relpath(h) for h in members] + fake
    assert remote.exists_many(rels) == {object_relpath(h) for h in members}
    assert dav_proxy.counts == {"PROPFIND": 1 + len(cols)}
    # a second push: a MKCOL only for each collection not made or listed before
    dav_proxy.clear()
    other = _dir_in_cache(cache, 3, tag="b")
    new = {object_relpath(h).rsplit("/", 1)[0]
           for h in [other, *(HashInfo(MD5, e.md5) for e in cache.read_manifest(other))]} - cols
    assert push(cache, remote, [("more", other)]).ok
    assert dav_proxy.counts.get("MKCOL", 0) == len(new)


def test_transient_faults_then_recovery(dav_server: DavServer, dav_proxy: FaultProxy,
                                        tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 5)
    remote = _open(_via(dav_proxy, _fresh(dav_server)), **AUTH)
    dav_proxy.add("500", method="PUT", times=2)
    dav_proxy.add("reset", method="MOVE", times=1)
    dav_proxy.add("503", method="MKCOL", times=1)
    dav_proxy.add("500", method="HEAD", times=1)
    assert push(cache, remote, [("data", dir_hi)], jobs=4).ok
    assert dav_proxy.faults() == 5
    dav_proxy.add("truncate", method="GET", times=2)
    dav_proxy.add("reset", method="GET", times=1)
    dav_proxy.add("500", method="GET", times=1)
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)], jobs=4).ok
    assert dav_proxy.faults() == 9
    assert fresh.has(dir_hi) and fresh.has_many([HashInfo(MD5, md5_bytes(b"file number 3\n"))])


def test_persistent_500_is_a_per_object_failure(dav_server: DavServer, dav_proxy: FaultProxy,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webdavmod, "ATTEMPTS", 2)
    cache = ObjectCache(tmp_path / "cache")
    a, b = HashInfo(MD5, md5_bytes(b"a\n")), HashInfo(MD5, md5_bytes(b"b\n"))
    cache.add_bytes(b"a\n", a)
    cache.add_bytes(b"b\n", b)
    path = _fresh(dav_server)
    remote = _open(_via(dav_proxy, path), **AUTH)
    dav_proxy.add("500", method="PUT", path=object_relpath(a).rsplit("/", 1)[0], times=-1)
    res = push(cache, remote, [("a.txt", a), ("b.txt", b)])
    assert res.transferred == (("b.txt", b),)
    why = f"remote {remote.url}: upload {object_relpath(a)} failed: HTTP 500 Internal Server Error"
    assert res.failed == (("a.txt", a, why),)
    assert _temps(dav_server.root / path) == []


def test_tampered_upload_is_refused(dav_server: DavServer, tmp_path: Path) -> None:
    path = _fresh(dav_server)
    remote = _open(dav_server.url(path), **AUTH)
    src = tmp_path / "obj"
    src.write_bytes(b"what the cache holds now")
    good = md5_bytes(b"what it held")
    rel = object_relpath(HashInfo(MD5, good))
    with pytest.raises(ObjectCorruptError) as exc:
        remote.upload(src, rel, good)
    assert str(exc.value) == (f"remote {remote.url}: refusing to upload {rel}: its bytes hash to "
                              f"{md5_bytes(b'what the cache holds now')}, not {good}")
    assert not (dav_server.root / path / rel).exists()
    assert _temps(dav_server.root / path) == []
    assert remote.exists_many([rel]) == set()


def test_wrong_bytes_from_the_server_are_refused(dav_server: DavServer, tmp_path: Path) -> None:
    path = _fresh(dav_server)
    remote = _open(dav_server.url(path), **AUTH)
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 3)
    assert push(cache, remote, [("data", dir_hi)]).ok
    victim = HashInfo(MD5, md5_bytes(b"file number 1\n"))
    (dav_server.root / path / object_relpath(victim)).write_bytes(b"evil")
    fresh = ObjectCache(tmp_path / "fresh")
    res = fetch(fresh, remote, [("data", dir_hi)])
    assert [(n, h) for n, h, _ in res.failed] == [("data/d/f001.txt", victim)]
    assert res.failed[0][2] == f"corrupt on remote {remote.url}: content does not match {victim.value}"
    assert not fresh.path_for(victim).exists()
    assert len(res.transferred) == 3


REL = "files/md5/ab/" + "c" * 30


def _one_line(remote: WebDAVRemote, tmp_path: Path, action: str = "check") -> str:
    src = tmp_path / "one"
    src.write_bytes(b"x")
    with pytest.raises(RemoteError) as exc:
        if action == "check":
            remote.exists_many([REL])
        else:
            remote.upload(src, REL)
    text = str(exc.value)
    assert "\n" not in text
    return text


def test_bad_inputs_each_one_line(dav_server: DavServer, davs_server: DavServer,
                                  tmp_path: Path) -> None:
    url = dav_server.url("x")
    wrong = _open(url, user=USER, password="not-it-Secret")
    assert _one_line(wrong, tmp_path) == (
        f"remote {url}: check {REL} failed: HTTP 401 Not Authorized; check the remote's "
        "user and password (or token, custom_auth_header)")
    nohost = _open("webdav://no-such-host.invalid:8080/x")
    assert _one_line(nohost, tmp_path) == (
        f"remote webdav://no-such-host.invalid:8080/x: check {REL} failed: cannot connect to "
        "no-such-host.invalid:8080 ([Errno -2] Name or service not known); check the remote's url "
        "and that the server is up")
    port = free_port()
    refused = _open(f"webdav://127.0.0.1:{port}/x")
    assert _one_line(refused, tmp_path) == (
        f"remote webdav://127.0.0.1:{port}/x: check {REL} failed: cannot connect to "
        f"127.0.0.1:{port} ([Errno 111] Connection refused); check the remote's url and that the "
        "server is up")
    readonly = _open(dav_server.url("ro/x"), **AUTH)
    assert _one_line(readonly, tmp_path, "upload") == (
        f"remote {dav_server.url('ro/x')}: upload {REL} failed: HTTP 403 Forbidden; permission denied")
    secure = davs_server.url("x", "webdavs")
    untrusted = _open(secure, **AUTH)
    hostport = secure.split("//")[1].split("/")[0]
    assert _one_line(untrusted, tmp_path) == (
        f"remote {secure}: check {REL} failed: the TLS certificate of {hostport} is not trusted "
        "(unable to get local issuer certificate); set ssl_verify to the CA file that signed it "
        "(or false)")
    plain = dav_server.url("x", "webdavs")
    assert _one_line(_open(plain, **AUTH), tmp_path).endswith(
        "does not speak TLS; use webdav:// for a plain http server")
    with pytest.raises(ConfigError, match=r"^remote 'dav': url 'webdav:///x' has no host"):
        _open("webdav:///x")
    with pytest.raises(ConfigError, match=r"ssl_verify: cannot read CA file '/no/such/ca.pem'"):
        _open(secure, ssl_verify="/no/such/ca.pem")


def test_https_with_ssl_verify(davs_server: DavServer, tmp_path: Path) -> None:
    assert davs_server.ca is not None
    src = tmp_path / "src"
    src.write_bytes(b"tls")
    rel = object_relpath(HashInfo(MD5, md5_bytes(b"tls")))
    for verify in (str(davs_server.ca), "false"):
        remote = _open(davs_server.url(_fresh(davs_server), "webdavs"), ssl_verify=verify, **AUTH)
        assert remote.client.base_url.scheme == "https"
        remote.upload(src, rel, md5_bytes(b"tls"))
        assert remote.exists_many([rel]) == {rel}
        assert remote.download(rel, tmp_path / "dl") == md5_bytes(b"tls")
    tls = davs_server.ca.parent  # NOTE: the server does not ask for one; this shows it loads
    with_cert = _open(davs_server.url(_fresh(davs_server), "webdavs"), ssl_verify=str(davs_server.ca),
                      cert_path=str(tls / "server.pem"), key_path=str(tls / "server.key"), **AUTH)
    assert with_cert.exists_many([rel]) == set()
    with pytest.raises(ConfigError, match=r"^remote 'dav' cert_path: cannot load client certificate "
                       r"'/no/cert.pem'"):
        _open(davs_server.url("x", "webdavs"), cert_path="/no/cert.pem")


@pytest.mark.parametrize(("opts", "ok"), [
    ({"token": TOKEN}, True),
    ({"token": "wrong-token"}, False),
    ({"custom_auth_header": CUSTOM_HEADER, "password": CUSTOM_SECRET}, True),
    ({"custom_auth_header": CUSTOM_HEADER, "password": "wrong"}, False),
    ({"bearer_token_command": f"{sys.executable} -c \"print('{TOKEN}')\""}, True),
    ({"user": USER}, False),
    ({"password": PASSWORD, "@user": USER}, True),  # the user named in the URL
    ({}, False),
])
def test_auth_options_reach_the_server(dav_server: DavServer, tmp_path: Path,
                                       opts: dict[str, str], ok: bool) -> None:
    options = {k: v for k, v in opts.items() if not k.startswith("@")}
    url = dav_server.url(_fresh(dav_server))
    if "@user" in opts:
        url = url.replace("://", f"://{opts['@user']}@")
    remote = _open(url, **options)
    assert "@" not in remote.url
    src = tmp_path / "src"
    src.write_bytes(b"auth")
    rel = object_relpath(HashInfo(MD5, md5_bytes(b"auth")))
    if ok:
        remote.upload(src, rel, md5_bytes(b"auth"))
        assert remote.exists_many([rel]) == {rel}
    else:
        assert "HTTP 401 Not Authorized" in _one_line(remote, tmp_path, "upload")


def test_timeout_and_no_secrets_in_messages(dav_server: DavServer, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webdavmod, "ATTEMPTS", 1)
    proxy = FaultProxy(dav_server.base, stall=3.0)
    try:
        remote = _open(_via(proxy, "x"), timeout="1", token="Tok-SECRET-1", password="Pw-SECRET-2")
        proxy.add("stall", method="HEAD", times=-1)
        text = _one_line(remote, tmp_path)
        assert text == (f"remote {remote.url}: check {REL} failed: the server stopped answering "
                        "(see the remote's timeout)")
    finally:
        proxy.close()
    secretive = _open(dav_server.url("x").replace("://", "://alice:Pw-SECRET-3@"),
                      password="Pw-SECRET-3")
    text = _one_line(secretive, tmp_path) + repr(secretive) + secretive.url
    for secret in ("Tok-SECRET-1", "Pw-SECRET-2", "Pw-SECRET-3"):
        assert secret not in text + repr(remote) + remote.url


def _repo(dvc: Runner, root: Path, url: str) -> None:
    write_tree(root, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    dvc("init", "-q")
    dvc("remote", "add", "-d", "dav", url)
    dvc("remote", "modify", "--local", "dav", "user", USER)
    dvc("remote", "modify", "--local", "dav", "password", PASSWORD)


def _clone(dvc: Runner, src: Path, dest: Path) -> Path:
    subprocess.run(["git", "add", "-A"], cwd=src, check=True)
    subprocess.run(["git", "commit", "-qm", "data"], cwd=src, check=True)
    subprocess.run(["git", "clone", "-q", str(src), str(dest)], check=True)
    dvc("remote", "modify", "--local", "dav", "user", USER, cwd=dest)
    dvc("remote", "modify", "--local", "dav", "password", PASSWORD, cwd=dest)
    return dest


@pytest.mark.interop
def test_our_push_then_dvc_pull(dvc: Runner, dvcdoit: Runner, git_repo: Path,
                                dav_server: DavServer, tmp_path: Path) -> None:
    path = _fresh(dav_server)
    _repo(dvc, git_repo, dav_server.url(path))
    dvcdoit("add", "data", "nf.txt")
    assert dvcdoit("push").stdout == "4 files pushed\n"
    assert _temps(dav_server.root / path) == []
    assert dvc("status", "-c").stdout == "Cache and remote 'dav' are in sync.\n"
    clone = _clone(dvc, git_repo, tmp_path / "clone")
    dvc("pull", "-q", cwd=clone)
    assert (clone / "data/sub/b.txt").read_text() == "world\n"
    assert (clone / "nf.txt").read_text() == "nf\n"


@pytest.mark.interop
def test_dvc_push_then_our_pull(dvc: Runner, dvcdoit: Runner, git_repo: Path,
                                dav_server: DavServer, tmp_path: Path) -> None:
    path = _fresh(dav_server)
    (dav_server.root / path).mkdir()  # NOTE: dvc push needs the remote's collection to exist
    _repo(dvc, git_repo, dav_server.url(path))
    dvc("add", "-q", "data", "nf.txt")
    assert dvc("push").stdout.strip() == "4 files pushed"
    clone = _clone(dvc, git_repo, tmp_path / "clone")
    assert dvcdoit("pull", cwd=clone).returncode == 0
    assert (clone / "data/a.txt").read_text() == "hello\n"
    assert hashlib.md5((clone / "nf.txt").read_bytes()).hexdigest() == md5_bytes(b"nf\n")
    assert dvcdoit("push", cwd=clone).stdout == "Everything is up to date.\n"
