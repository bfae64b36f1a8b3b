"""The http(s) remote against a real ``http.server`` on loopback, and real DVC both ways."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from types import MappingProxyType

import pytest

from dvcdoit.core.errors import ConfigError, ObjectCorruptError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, md5_bytes, object_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.remotes import RemoteObjectMissing, open_remote
from dvcdoit.storage.remotes.http import HTTPRemote
from tests.conftest import Runner, write_tree
from tests.faults.s3proxy import FaultProxy
from tests.httpserver import FileServer, self_signed, serve_tls

FILES = {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"}


def _remote(url: str, **opts: str) -> HTTPRemote:
    remote = open_remote(RemoteConfig("web", url, MappingProxyType(opts)))
    assert isinstance(remote, HTTPRemote)
    return remote


def _rel(data: bytes) -> str:
    return object_relpath(HashInfo(MD5, md5_bytes(data)))


MISSING = object_relpath(HashInfo(MD5, "0" * 32))


def test_round_trip_missing_and_request_counts(http_server: FileServer, tmp_path: Path) -> None:
    remote = _remote(http_server.url + "/store")
    blobs = [f"object {i}\n".encode() for i in range(20)]
    for i, data in enumerate(blobs):
        (tmp_path / f"f{i}").write_bytes(data)
        remote.upload(tmp_path / f"f{i}", _rel(data), md5_bytes(data))
    assert http_server.counts == {"POST": 20}
    assert (http_server.root / "store" / _rel(blobs[3])).read_bytes() == blobs[3]
    http_server.counts.clear()
    wanted = [_rel(d) for d in blobs] + [MISSING]
    assert remote.exists_many(wanted) == set(wanted[:-1])
    assert http_server.counts == {"HEAD": 21}  # NOTE: one request per object, no listing
    assert remote.download(_rel(blobs[0]), tmp_path / "dl") == md5_bytes(blobs[0])
    assert (tmp_path / "dl").read_bytes() == blobs[0]
    with pytest.raises(RemoteObjectMissing, match=r"files/md5/00/0{30} does not exist$"):
        remote.download(MISSING, tmp_path / "dl2")


def test_tampered_upload_is_refused_and_nothing_is_sent(http_server: FileServer,
                                                        tmp_path: Path) -> None:
    remote = _remote(http_server.url)
    (tmp_path / "f").write_bytes(b"changed in place\n")
    with pytest.raises(ObjectCorruptError, match="refusing to upload"):
        remote.upload(tmp_path / "f", _rel(b"original\n"), md5_bytes(b"original\n"))
    assert http_server.counts == {}


def test_large_uploads_stream_from_disk_verified_and_retried(
        http_server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dvcdoit.storage.remotes import http as httpmod

    monkeypatch.setattr(httpmod, "IN_MEMORY", 1000)  # NOTE: the streamed path, small data
    data = bytes(range(256)) * 40
    (tmp_path / "big").write_bytes(data)
    proxy = FaultProxy(http_server.url)
    try:
        remote = _remote(proxy.url)
        proxy.add("500", "POST", times=1)
        remote.upload(tmp_path / "big", _rel(data), md5_bytes(data))
        assert (http_server.root / _rel(data)).read_bytes() == data  # NOTE: sent again whole
        assert proxy.injected == {"500": 1}
        with pytest.raises(ObjectCorruptError, match="refusing to upload"):
            remote.upload(tmp_path / "big", _rel(b"other"), md5_bytes(b"other"))
        assert not (http_server.root / _rel(b"other")).exists()
    finally:
        proxy.close()


def test_transient_faults_are_retried(http_server: FileServer, tmp_path: Path) -> None:
    data = b"x" * 100_000
    rel = _rel(data)
    (http_server.root / rel).parent.mkdir(parents=True)
    (http_server.root / rel).write_bytes(data)
    proxy = FaultProxy(http_server.url)
    try:
        remote = _remote(proxy.url)
        proxy.add("500", "GET", times=2)
        proxy.add("truncate", "GET", times=1)
        assert remote.download(rel, tmp_path / "dl") == md5_bytes(data)
        assert proxy.injected == {"500": 2, "truncate": 1}
        proxy.add("reset", "HEAD", times=1)
        assert remote.exists_many([rel]) == {rel}
        proxy.add("500", "GET", times=10)
        with pytest.raises(RemoteError, match=r"cannot download .*: the server answered 500"):
            remote.download(rel, tmp_path / "dl3")
    finally:
        proxy.close()


@pytest.mark.parametrize(("opts", "message"), [
    ({"auth": "basic", "user": "u"},
     "remote 'web': HTTP 'basic' authentication require both 'user' and 'password'"),
    ({"auth": "custom", "password": "p"},
     ("remote 'web': HTTP 'custom' authentication require both 'custom_auth_header' and "
      "'password'")),
    ({"auth": "digest", "user": "u"},
     "remote 'web': HTTP 'digest' authentication require both 'user' and 'password'"),
    ({"auth": "ntlm", "user": "u", "password": "p"},
     "remote 'web': auth = ntlm: use basic, digest or custom"),
    ({"method": "PATCH"}, "remote 'web': method = PATCH: use POST or PUT"),
    ({"auth": "basic", "user": "u", "ask_password": "true"},
     ("remote 'web': ask_password is set but there is no terminal to ask on; set the "
      "password with 'dvcdoit remote modify --local web password …'")),
    ({"ssl_verify": "/nonexistent/ca.pem"},
     "remote 'web': ssl_verify: the CA bundle '/nonexistent/ca.pem' does not exist"),
])
def test_bad_options_are_one_line(opts: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        _remote("https://example.invalid/x", **opts)
    assert str(err.value) == message


def test_credentials_wrong_and_right_and_never_shown(tmp_path: Path) -> None:
    server = FileServer(tmp_path, credentials=("alice", "s3cret"))
    try:
        (tmp_path / "f").write_bytes(b"a\n")
        bad = _remote(server.url, auth="basic", user="alice", password="wrong")
        with pytest.raises(RemoteError) as err:
            bad.upload(tmp_path / "f", _rel(b"a\n"), md5_bytes(b"a\n"))
        rel = _rel(b"a\n")
        assert str(err.value) == (f"remote {server.url}: cannot upload {rel}: "
                                  "401 Unauthorized; check user and password")
        assert "wrong" not in str(err.value)
        good = _remote(server.url, auth="basic", user="alice", password="s3cret")
        good.upload(tmp_path / "f", _rel(b"a\n"), md5_bytes(b"a\n"))
        assert good.exists_many([_rel(b"a\n")]) == {_rel(b"a\n")}
        custom = _remote(server.url.replace("http://", "http://alice:s3cret@"))
        assert custom.url == server.url and custom.exists_many([_rel(b"a\n")])
    finally:
        server.close()


def test_digest_authentication(tmp_path: Path) -> None:
    server = FileServer(tmp_path, credentials=("bob", "pa55"), digest=True)
    try:
        (tmp_path / "f").write_bytes(b"d\n")
        remote = _remote(server.url, auth="digest", user="bob", password="pa55")
        remote.upload(tmp_path / "f", _rel(b"d\n"), md5_bytes(b"d\n"))
        assert remote.exists_many([_rel(b"d\n"), MISSING]) == {_rel(b"d\n")}
        assert remote.download(_rel(b"d\n"), tmp_path / "dl") == md5_bytes(b"d\n")
        assert server.counts["POST"] == 2  # NOTE: the challenge once, then answered each time
        wrong = _remote(server.url, auth="digest", user="bob", password="nope")
        with pytest.raises(RemoteError, match=r"401 Unauthorized; check user and password$"):
            wrong.exists_many([_rel(b"d\n")])
    finally:
        server.close()


def test_redirects_on_the_same_host_only(http_server: FileServer, tmp_path: Path) -> None:
    data = b"moved\n"
    (http_server.root / "new" / _rel(data)).parent.mkdir(parents=True)
    (http_server.root / "new" / _rel(data)).write_bytes(data)
    http_server.redirects[f"/old/{_rel(data)}"] = f"/new/{_rel(data)}"
    remote = _remote(http_server.url + "/old")
    assert remote.download(_rel(data), tmp_path / "dl") == md5_bytes(data)
    http_server.redirects[f"/old/{_rel(data)}"] = f"http://evil.invalid/new/{_rel(data)}"
    with pytest.raises(RemoteError) as err:
        remote.download(_rel(data), tmp_path / "dl2")
    assert str(err.value) == (f"remote {http_server.url}/old: refusing a redirect of "
                              f"{_rel(data)} to another host (http://evil.invalid)")


def test_unknown_host_and_refused_port_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(RemoteError) as err:
        _remote("http://no-such-host.invalid").exists_many([MISSING])
    assert str(err.value) == (f"remote http://no-such-host.invalid: cannot check {MISSING}: "
                              "unknown host no-such-host.invalid")
    with pytest.raises(RemoteError) as err:
        _remote("http://127.0.0.1:9").exists_many([MISSING])
    assert str(err.value) == (f"remote http://127.0.0.1:9: cannot check {MISSING}: "
                              "connection refused")


def test_https_checks_the_certificate_unless_told(tmp_path: Path) -> None:
    root = tmp_path / "served"
    root.mkdir()
    data = b"secret data\n"
    (root / _rel(data)).parent.mkdir(parents=True)
    (root / _rel(data)).write_bytes(data)
    cert, key = self_signed(tmp_path)
    server = FileServer(root)
    serve_tls(server, cert, key)
    try:
        with pytest.raises(RemoteError) as err:
            _remote(server.url).exists_many([_rel(data)])
        assert str(err.value) == (f"remote {server.url}: cannot check {_rel(data)}: the "
                                  "server's certificate is not trusted; set ssl_verify")
        assert _remote(server.url, ssl_verify=str(cert)).exists_many([_rel(data)]) == {_rel(data)}
        insecure = _remote(server.url, ssl_verify="false")
        assert insecure.download(_rel(data), tmp_path / "dl") == md5_bytes(data)
    finally:
        server.close()


def test_listing_and_deleting_are_refused(http_server: FileServer) -> None:
    remote = _remote(http_server.url)
    with pytest.raises(RemoteError, match="an HTTP remote cannot be listed"):
        remote.walk("runs/")
    with pytest.raises(RemoteError, match="an HTTP remote cannot delete objects"):
        remote.delete([MISSING])


# ------------------------------------------------------------------ through the CLI

def _tracked_repo(runner: Runner, url: str) -> None:
    write_tree(Path.cwd(), FILES)
    runner("init", "-q")
    runner("add", "-q", "data", "nf.txt")
    runner("remote", "add", "-d", "web", url)


def _clone(src: Path, dest: Path) -> Path:
    subprocess.run(["git", "-C", str(src), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(src), "-c", "user.email=t@t", "-c", "user.name=t",
                    "commit", "-qm", "data", "--allow-empty"], check=True)
    subprocess.run(["git", "clone", "-q", str(src), str(dest)], check=True)
    return dest


def test_push_pull_and_wrong_bytes_through_the_cli(git_repo: Path, dvcdoit: Runner,
                                                   http_server: FileServer,
                                                   tmp_path: Path) -> None:
    _tracked_repo(dvcdoit, http_server.url + "/dvc")
    assert dvcdoit("push").stdout.splitlines()[-1] == "4 files pushed"
    assert dvcdoit("push").stdout.splitlines()[-1] == "Everything is up to date."
    clone = _clone(git_repo, tmp_path / "clone")
    assert dvcdoit("pull", cwd=clone).returncode == 0
    assert (clone / "data/sub/b.txt").read_text() == "world\n"

    other = _clone(git_repo, tmp_path / "other")
    rel = _rel(b"nf\n")
    http_server.wrong_bytes.add(f"/dvc/{rel}")
    failed = dvcdoit("pull", cwd=other, check=False)
    assert failed.returncode == 1
    assert "corrupt on remote" in failed.stderr + failed.stdout, failed
    assert not (other / "nf.txt").exists() and (other / "data/a.txt").exists()
    gc = dvcdoit("gc", "-w", "-c", "-f", check=False)
    assert gc.returncode != 0 and "an HTTP remote cannot be listed" in gc.stderr, gc


@pytest.mark.interop
def test_dvc_push_then_dvcdoit_pull(git_repo: Path, dvc: Runner, dvcdoit: Runner,
                                    http_server: FileServer, tmp_path: Path) -> None:
    _tracked_repo(dvc, http_server.url + "/dvc")
    dvc("push", "-q")
    assert http_server.counts.get("POST") == 4
    clone = _clone(git_repo, tmp_path / "clone")
    assert dvcdoit("pull", cwd=clone).returncode == 0
    assert (clone / "data/a.txt").read_text() == "hello\n"
    assert (clone / "nf.txt").read_text() == "nf\n"


@pytest.mark.interop
def test_dvcdoit_push_then_dvc_pull(git_repo: Path, dvc: Runner, dvcdoit: Runner,
                                    http_server: FileServer, tmp_path: Path) -> None:
    _tracked_repo(dvcdoit, http_server.url + "/dvc")
    dvcdoit("push")
    clone = _clone(git_repo, tmp_path / "clone")
    shutil.rmtree(clone / ".dvc" / "cache", ignore_errors=True)
    dvc("pull", "-q", cwd=clone)
    assert (clone / "data/sub/b.txt").read_text() == "world\n"
    assert dvc("status", "-c", cwd=clone).stdout == "Cache and remote 'web' are in sync.\n"
