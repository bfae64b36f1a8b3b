"""remotes.ssh against asyncssh's own SSH/SFTP server in a subprocess on loopback (no mocks)."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from dvcdoit.core.errors import ConfigError, ObjectCorruptError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes, object_relpath
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import RemoteObjectMissing, open_remote, sshio, sshretry
from dvcdoit.storage.remotes import ssh as sshmod
from dvcdoit.storage.remotes.ssh import SSHRemote
from dvcdoit.storage.transfer import fetch, push
from tests.conftest import Runner, write_tree
from tests.sshserver import PASSWORD, USER, SSHServer, ssh_home, ssh_server, ssh_url

__all__ = ["ssh_home", "ssh_server", "ssh_url"]  # NOTE: the fixtures, imported to be found


@pytest.fixture(autouse=True)
def _closed_remotes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every SSHRemote a test made: a failure a test keeps (``pytest.raises``) holds
    its remote, whose loop thread then outlived the test and stopped ``fork_map`` from
    forking in later tests of the same process."""
    made: list[weakref.ref[SSHRemote]] = []  # NOTE: weak: a dropped remote must still go
    init = SSHRemote.__init__

    def kept(self: SSHRemote, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(SSHRemote, "__init__", kept)
    yield
    for ref in made:
        if (remote := ref()) is not None:
            remote.close()


def _remote(url: str, **opts: str) -> SSHRemote:
    options = {"password": PASSWORD, **opts} if "keyfile" not in opts else opts
    remote = open_remote(RemoteConfig("sshr", url, MappingProxyType(options)))
    assert isinstance(remote, SSHRemote)
    return remote


def _dir_in_cache(cache: ObjectCache, n: int, tag: str = "") -> HashInfo:
    entries = []
    for i in range(n):
        data = f"file number {i}{tag}\n".encode()
        hi = HashInfo(MD5, md5_bytes(data))
        cache.add_bytes(data, hi)
        entries.append(ManifestEntry(f"d/f{i:04}.txt", hi.value))
    return cache.add_manifest(entries)


def _on_server(server: SSHServer, url: str) -> list[str]:
    base = server.root / url.rsplit("/", 1)[1]
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def test_round_trip_missing_walk_delete(ssh_server: SSHServer, ssh_url: str, tmp_path: Path) -> None:
    remote = _remote(ssh_url)
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    rel = "files/md5/32/1c3cf486ed509164edec1e1981fec8"
    remote.upload(src, rel, hashlib.md5(b"payload").hexdigest())
    assert _on_server(ssh_server, ssh_url) == [rel]  # parents made, no temp left
    assert remote.exists_many([rel, "files/md5/32/none", "files/md5/ab/none"]) == {rel}
    assert remote.download(rel, tmp_path / "dl") == hashlib.md5(b"payload").hexdigest()
    assert (tmp_path / "dl").read_bytes() == b"payload"
    with pytest.raises(RemoteObjectMissing) as exc:
        remote.download("files/md5/32/none", tmp_path / "dl2")
    assert str(exc.value) == f"remote {ssh_url}: files/md5/32/none does not exist"
    assert remote.walk("files/") == [rel]
    with pytest.raises(RemoteError, match=r"refusing to delete 'runs/x'"):
        remote.delete(["runs/x"])
    remote.delete([rel, "files/md5/ab/" + "0" * 30])
    assert remote.walk("files/") == []
    with pytest.raises(RemoteError, match=r"refusing .*\.\."):
        remote.upload(src, "files/../../escape")


def test_large_object_streams_both_ways_hashed(ssh_server: SSHServer, ssh_url: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sshio, "SMALL", 1 << 20)
    monkeypatch.setattr(sshio, "CHUNK", 3 << 20)  # several chunks, the last one short
    data = os.urandom((7 << 20) + 12345)
    src = tmp_path / "big"
    src.write_bytes(data)
    md5 = hashlib.md5(data).hexdigest()
    remote = _remote(ssh_url)
    remote.upload(src, "files/md5/aa/big", md5)
    assert remote.download("files/md5/aa/big", tmp_path / "dl") == md5
    assert (tmp_path / "dl").read_bytes() == data
    ssh_server.fault("fail", "write", 1)  # NOTE: hits a piece of the upload: all of it again
    remote.upload(src, "files/md5/aa/big", md5)
    ssh_server.fault("drop", "read", 1)  # retried from the start on a new connection,
    ssh_server.fault("corrupt", "read", 2)  # then two reads come back with a byte flipped
    assert remote.download("files/md5/aa/big", tmp_path / "dl") != md5  # the caller refuses it
    assert remote.download("files/md5/aa/big", tmp_path / "dl") == md5
    with pytest.raises(ObjectCorruptError) as exc:  # hashed while written: the temp goes away
        remote.upload(src, "files/md5/aa/other", "0" * 32)
    assert str(exc.value) == (f"remote {ssh_url}: refusing to upload files/md5/aa/other: its "
                              f"bytes hash to {md5}, not {'0' * 32}")
    assert _on_server(ssh_server, ssh_url) == ["files/md5/aa/big"]


def test_tampered_upload_is_refused_and_nothing_appears(ssh_server: SSHServer, ssh_url: str,
                                                        tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.write_bytes(b"evil bytes")
    remote = _remote(ssh_url)
    good = hashlib.md5(b"good bytes").hexdigest()
    rel = f"files/md5/{good[:2]}/{good[2:]}"
    ssh_server.counts(reset=True)
    with pytest.raises(ObjectCorruptError) as exc:
        remote.upload(src, rel, good)
    assert exc.value.actual == hashlib.md5(b"evil bytes").hexdigest()
    assert ssh_server.counts().get("open", 0) == 0  # refused before a byte left
    assert _on_server(ssh_server, ssh_url) == []


def test_key_login_and_max_sessions(ssh_server: SSHServer, ssh_url: str, tmp_path: Path) -> None:
    remote = _remote(ssh_url, keyfile=str(ssh_server.user_key), max_sessions="2")
    ssh_server.counts(reset=True)
    assert remote.exists_many(["files/md5/ab/cd"]) == set()
    got = ssh_server.counts()
    assert (got["connections"], got["sessions"]) == (1, 2)


def test_user_and_port_options_win_over_the_url(ssh_server: SSHServer, ssh_home: Path) -> None:
    remote = _remote("ssh://nobody@127.0.0.1:1/r-opts", user=USER, port=str(ssh_server.port))
    assert remote.url == f"ssh://{USER}@127.0.0.1:{ssh_server.port}/r-opts"
    assert remote.exists_many(["files/md5/ab/cd"]) == set()


def _one_line(remote: SSHRemote) -> str:
    with pytest.raises(RemoteError) as exc:
        remote.exists_many(["files/md5/ab/cd"])
    return str(exc.value)


def test_bad_logins_are_one_line_and_never_show_secrets(ssh_server: SSHServer, ssh_url: str,
                                                        tmp_path: Path) -> None:
    remote = _remote(ssh_url, password="WrongSecretPw")
    msg = _one_line(remote)
    assert msg == (f"remote {ssh_url}: login as {USER} refused; check the remote's user, "
                   "keyfile or password (and ssh-agent)")
    assert "WrongSecretPw" not in msg + repr(remote) + repr(remote.target)
    assert _one_line(remote) == msg  # remembered: no second login attempt
    other = tmp_path / "other_key"
    import asyncssh

    asyncssh.generate_private_key("ssh-ed25519").write_private_key(str(other))
    assert _one_line(_remote(ssh_url, keyfile=str(other))).endswith("login as tester refused; "
                                                                    "check the remote's user, keyfile or password (and ssh-agent)")
    missing = _one_line(_remote(ssh_url, keyfile=str(tmp_path / "nope")))
    assert missing == (f"remote {ssh_url}: cannot read the keyfile {tmp_path / 'nope'}: "
                       "No such file or directory")


def test_unknown_and_changed_host_keys_are_refused(ssh_server: SSHServer, ssh_url: str,
                                                   ssh_home: Path) -> None:
    known = ssh_home / ".ssh" / "known_hosts"
    known.write_text("")
    port = ssh_server.port
    assert _one_line(_remote(ssh_url)) == (
        f"remote {ssh_url}: host 127.0.0.1:{port} is not in {known}; after checking its "
        f"fingerprint add it with: ssh-keyscan -p {port} 127.0.0.1 >> {known}")
    import asyncssh

    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().split()
    known.write_text(f"[127.0.0.1]:{port} {impostor[0]} {impostor[1]}\n")
    assert _one_line(_remote(ssh_url)) == (
        f"remote {ssh_url}: the host key of 127.0.0.1:{port} does not match {known}: it "
        "changed, or someone is in the middle; refusing to connect")
    known.unlink()
    assert "is not in" in _one_line(_remote(ssh_url))  # no file trusts nothing


def test_ask_password_without_a_terminal_is_refused(ssh_url: str) -> None:
    with pytest.raises(RemoteError) as exc:
        open_remote(RemoteConfig("sshr", ssh_url, MappingProxyType({"ask_password": "true"})))
    assert str(exc.value) == ("remote 'sshr': ask_password is set but there is no terminal to ask "
                              "on; set it with 'dvcdoit remote modify --local sshr password VALUE'")


def test_connection_refused_and_timeout(ssh_home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        url = f"ssh://{USER}@127.0.0.1:{port}/x"
        assert _one_line(_remote(url)) == (f"remote {url}: cannot connect to 127.0.0.1:{port}: "
                                          "connection refused; is the server up?")
        s.listen()  # NOTE: accepts TCP, never says a word: only the timeout ends the wait
        assert _one_line(_remote(url, timeout="1")) == (
            f"remote {url}: no answer from 127.0.0.1:{port} in time (see the remote's timeout)")


def test_existence_is_one_listing_per_parent(ssh_server: SSHServer, ssh_url: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 700)
    remote = _remote(ssh_url)
    ssh_server.counts(reset=True)
    res = push(cache, remote, [("data", dir_hi)], jobs=8)
    assert res.ok and len(res.transferred) == 701
    pushed = ssh_server.counts(reset=True)
    # NOTE: an object costs open, write, close, posix-rename; a new parent one mkdir (the
    # first ones of all 8 threads fail once, until files/md5 exists); existence: a stat
    # for the .dir and one (failed) listing of files/md5 for all the members
    parents = {object_relpath(HashInfo(MD5, e.md5)).rsplit("/", 1)[0]
               for e in cache.read_manifest(dir_hi)} | {object_relpath(dir_hi).rsplit("/", 1)[0]}
    assert pushed["posix-rename"] == pushed["write"] == pushed["open"] == 701
    assert pushed["mkdir"] <= len(parents) + 3 + 8 + 3
    assert pushed["total"] <= 4 * 701 + pushed["mkdir"] + 4 + 4  # + limits, existence
    members = [object_relpath(HashInfo(MD5, e.md5)) for e in cache.read_manifest(dir_hi)]
    assert remote.exists_many(members) == set(members)
    listed = ssh_server.counts(reset=True)
    by_parent: dict[str, int] = {}
    for rel in members:
        by_parent[rel.rsplit("/", 1)[0]] = by_parent.get(rel.rsplit("/", 1)[0], 0) + 1
    many = sum(1 for n in by_parent.values() if n > sshmod.STAT_LIMIT)
    assert listed.get("opendir", 0) == many + 1  # NOTE: + files/md5 itself, listed first
    assert listed.get("stat", 0) == sum(n for n in by_parent.values() if n <= sshmod.STAT_LIMIT)
    assert listed["total"] <= 4 * len(by_parent)
    assert push(cache, remote, [("data", dir_hi)]).transferred == ()
    assert ssh_server.counts() == {"total": 1, "stat": 1}  # the .dir is there: complete
    fresh = ObjectCache(tmp_path / "fresh")
    ssh_server.counts(reset=True)
    assert fetch(fresh, remote, [("data", dir_hi)], jobs=8).ok
    got = ssh_server.counts()
    assert got["read"] == got["open"] == got["fstat"] == got["close"] == 701


def test_dropped_connections_and_failures_are_retried(ssh_server: SSHServer, ssh_url: str,
                                                      tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 6)
    remote = _remote(ssh_url)
    ssh_server.fault("drop", "open", 2)
    ssh_server.fault("fail", "rename", 1)
    ssh_server.counts(reset=True)
    assert push(cache, remote, [("data", dir_hi)], jobs=1).ok
    assert ssh_server.counts()["connections"] == 3  # the first, then one per drop
    ssh_server.fault("drop", "read", 1)
    ssh_server.fault("fail", "read", 2)
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)], jobs=1).ok
    assert fresh.has(dir_hi)
    assert remote.connects == 4
    assert _on_server(ssh_server, ssh_url) == sorted(
        [object_relpath(dir_hi)] + [object_relpath(HashInfo(MD5, e.md5)) for e in cache.read_manifest(dir_hi)])


def test_persistent_faults_fail_per_object_in_one_line(ssh_server: SSHServer, ssh_url: str,
                                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sshretry, "RETRIES", 2)
    cache = ObjectCache(tmp_path / "cache")
    his = []
    for data in (b"one\n", b"two\n"):
        his.append(HashInfo(MD5, md5_bytes(data)))
        cache.add_bytes(data, his[-1])
    remote = _remote(ssh_url)
    ssh_server.fault("fail", "write", 2)  # both attempts of the first upload
    res = push(cache, remote, [("one", his[0])], jobs=1)
    assert res.failed == (("one", his[0], (f"remote {ssh_url}: upload {object_relpath(his[0])} "
                                           "failed: SFTPFailure: injected failure")),)
    ssh_server.send("deny open")
    res = push(cache, remote, [("two", his[1])])
    assert res.failed == (("two", his[1], (f"remote {ssh_url}: upload {object_relpath(his[1])} "
                                           "failed: permission denied")),)
    ssh_server.send("clear")
    assert _on_server(ssh_server, ssh_url) == []  # no temp left behind either


def test_wrong_bytes_from_the_server_are_refused(ssh_server: SSHServer, ssh_url: str, tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    dir_hi = _dir_in_cache(cache, 3)
    remote = _remote(ssh_url)
    assert push(cache, remote, [("data", dir_hi)]).ok
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)]).ok  # the .dir first
    victim = HashInfo(MD5, md5_bytes(b"file number 1\n"))
    fresh.path_for(victim).chmod(0o644)
    fresh.path_for(victim).unlink()
    ssh_server.fault("corrupt", "read", 1)
    res = fetch(fresh, remote, [("data", dir_hi)])
    assert [(n, h, r) for n, h, r in res.failed] == [
        ("data/d/f0001.txt", victim, f"corrupt on remote {ssh_url}: content does not match {victim.value}")]
    assert not fresh.path_for(victim).exists()


def test_dropping_the_remote_ends_its_thread(ssh_url: str, tmp_path: Path) -> None:
    before = threading.active_count()
    remote = _remote(ssh_url)
    with pytest.raises(RemoteObjectMissing):
        remote.download("files/md5/ab/" + "0" * 30, tmp_path / "x")
    assert threading.active_count() > before
    del remote  # NOTE: no gc.collect(): refcounting alone must free it (fanout forks after)
    assert threading.active_count() == before


def _configure(run: Runner, url: str, server: SSHServer) -> None:
    run("remote", "add", "-d", "sshr", url)
    run("remote", "modify", "sshr", "keyfile", str(server.user_key))


@pytest.mark.interop
def test_dvcdoit_push_then_dvc_pull(dvc: Runner, dvcdoit: Runner, git_repo: Path, ssh_server: SSHServer,
                                    ssh_url: str, tmp_path: Path) -> None:
    write_tree(git_repo, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    dvc("init", "-q")
    dvc("add", "-q", "data", "nf.txt")
    _configure(dvcdoit, ssh_url, ssh_server)
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-qm", "data"], check=True)
    assert dvcdoit("push").stdout.strip() == "4 files pushed"
    assert dvc("status", "-c").stdout == "Cache and remote 'sshr' are in sync.\n"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(git_repo), str(clone)], check=True)
    dvc("pull", "-q", cwd=clone)
    assert (clone / "data/sub/b.txt").read_text() == "world\n"
    assert (clone / "nf.txt").read_text() == "nf\n"


@pytest.mark.interop
def test_dvc_push_then_dvcdoit_pull(dvc: Runner, dvcdoit: Runner, git_repo: Path, ssh_server: SSHServer,
                                    ssh_url: str, tmp_path: Path) -> None:
    write_tree(git_repo, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    dvc("init", "-q")
    dvc("add", "-q", "data", "nf.txt")
    _configure(dvc, ssh_url, ssh_server)
    subprocess.run(["git", "add", "-A"], check=True)
    subprocess.run(["git", "commit", "-qm", "data"], check=True)
    assert dvc("push").stdout.strip() == "4 files pushed"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(git_repo), str(clone)], check=True)
    assert dvcdoit("pull", cwd=clone).returncode == 0
    assert (clone / "data/a.txt").read_text() == "hello\n"
    assert dvcdoit("status", "-c", cwd=clone).stdout == "Cache and remote 'sshr' are in sync.\n"


@pytest.mark.interop
def test_dvc_does_not_check_host_keys_and_dvcdoit_does(dvc: Runner, dvcdoit: Runner, git_repo: Path,
                                                       ssh_server: SSHServer, ssh_url: str,
                                                       ssh_home: Path) -> None:
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    write_tree(git_repo, {"nf.txt": "nf\n"})
    dvc("init", "-q")
    dvc("add", "-q", "nf.txt")
    _configure(dvc, ssh_url, ssh_server)
    assert dvc("push").stdout.strip() == "1 file pushed"  # sshfs: known_hosts=None
    out = dvcdoit("push", check=False)
    assert out.returncode != 0
    assert "is not in" in out.stdout + out.stderr


def test_passphrase_protected_keyfile(ssh_server: SSHServer, ssh_url: str, tmp_path: Path) -> None:
    import asyncssh

    locked = tmp_path / "locked_key"
    asyncssh.read_private_key(str(ssh_server.user_key)).write_private_key(
        str(locked), format_name="pkcs8-pem", passphrase="KeyPassphrase")  # NOTE: no bcrypt
    remote = _remote(ssh_url, keyfile=str(locked), passphrase="KeyPassphrase")
    assert remote.exists_many(["files/md5/ab/cd"]) == set()
    wrong = _one_line(_remote(ssh_url, keyfile=str(locked), passphrase="nope"))
    assert wrong.startswith(f"remote {ssh_url}: cannot load the keyfile: ")
    assert "nope" not in wrong.replace(ssh_url, "")


@pytest.mark.parametrize(("options", "expected"), [
    ({}, {"gss_auth": False, "connect_timeout": 30, "username": "u", "port": 2222}),
    ({"allow_agent": "false"}, {"agent_path": None}),
    ({"gss_auth": "true", "timeout": "5"}, {"gss_auth": True, "connect_timeout": 5}),
    ({"timeout": "0"}, {"connect_timeout": None}),
    ({"keyfile": "~/k"}, {"client_keys": ["HOME/k"]}),
    ({"password": "pw"}, {"password": "pw", "client_keys": None}),
])
def test_options_become_connect_arguments(options: dict[str, str], expected: dict[str, object],
                                          ssh_home: Path) -> None:
    from dvcdoit.storage.remotes.sshconnect import target_for

    target = target_for(RemoteConfig("sshr", "ssh://u@h:2222/p", MappingProxyType(options)))
    if "keyfile" in options:
        expected = {"client_keys": [str(ssh_home / "k")]}  # NOTE: ~ is the test's HOME
    assert {k: target.kwargs.get(k, "absent") for k in expected} == expected
    assert "agent_path" in target.kwargs or "allow_agent" not in options
    assert "pw" not in repr(target)


@pytest.mark.parametrize(("url", "options", "message"), [
    ("ssh:///p", {}, "remote 'sshr': url 'ssh:///p' has no host; expected ssh://[user@]host[:port]/path"),
    ("ssh://h:port/p", {}, "remote 'sshr': url 'ssh://h:port/p' has a bad port"),
    ("ssh://h/p", {"timeout": "soon"}, "remote 'sshr' timeout: expected an integer >= 0, got 'soon'"),
    ("ssh://h/p", {"max_sessions": "0"}, "remote 'sshr' max_sessions: expected an integer >= 1, got '0'"),
    ("ssh://h/p", {"allow_agent": "maybe"}, "remote 'sshr' allow_agent: expected true or false, got 'maybe'"),
])
def test_bad_urls_and_options_are_one_line(url: str, options: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        open_remote(RemoteConfig("sshr", url, MappingProxyType(options)))
    assert str(exc.value) == message


def test_a_password_in_the_url_is_never_shown(ssh_server: SSHServer, ssh_home: Path) -> None:
    url = f"ssh://{USER}:{PASSWORD}@127.0.0.1:{ssh_server.port}/r-urlpw"
    remote = open_remote(RemoteConfig("sshr", url, MappingProxyType({})))
    assert remote.url == f"ssh://{USER}@127.0.0.1:{ssh_server.port}/r-urlpw"
    assert remote.exists_many(["files/md5/ab/cd"]) == set()  # and it logs in with it


def test_plain_rename_where_posix_rename_is_missing(ssh_server: SSHServer, ssh_url: str,
                                                    tmp_path: Path) -> None:
    remote = _remote(ssh_url)
    src = tmp_path / "src"
    for k, data in enumerate((b"first\n", b"second\n")):
        src.write_bytes(data)
        md5 = hashlib.md5(data).hexdigest()
        if k == 0:
            ssh_server.fault("unsupported", "rename", 1)
        ssh_server.counts(reset=True)
        remote.upload(src, f"files/md5/{md5[:2]}/{md5[2:]}", md5)
        got = ssh_server.counts()
        assert (got.get("posix-rename"), got.get("rename")) == ((1, 1) if k == 0 else (None, 1))
    assert len(_on_server(ssh_server, ssh_url)) == 2


def test_permission_denied_on_a_download_is_one_line(ssh_server: SSHServer, ssh_url: str,
                                                     tmp_path: Path) -> None:
    remote = _remote(ssh_url)
    src = tmp_path / "src"
    src.write_bytes(b"x")
    rel = "files/md5/9d/d4e461268c8034f5c8564e155c67a6"
    remote.upload(src, rel, "9dd4e461268c8034f5c8564e155c67a6")
    ssh_server.send("deny open")
    with pytest.raises(RemoteError) as exc:
        remote.download(rel, tmp_path / "dl")
    ssh_server.send("clear")
    assert str(exc.value) == f"remote {ssh_url}: download {rel} failed: permission denied"


def test_stale_temps_are_swept_by_listings(ssh_server: SSHServer, ssh_url: str, tmp_path: Path) -> None:
    remote = _remote(ssh_url)
    src = tmp_path / "src"
    rels = []
    for data in (b"a\n", b"b\n", b"c\n"):
        src.write_bytes(data)
        md5 = hashlib.md5(data).hexdigest()
        rels.append(f"files/md5/ab/{md5[2:]}")  # NOTE: all in one parent, so it is listed
        remote.upload(src, rels[-1])
    parent = ssh_server.root / ssh_url.rsplit("/", 1)[1] / "files/md5/ab"
    old, fresh = parent / ".dvcdoit-99999-dead.tmp", parent / ".dvcdoit-99999-live.tmp"
    old.write_bytes(b"partial")
    fresh.write_bytes(b"partial")
    day_ago = os.stat(old).st_mtime - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    assert remote.exists_many(rels) == set(rels)
    assert not old.exists()
    assert fresh.exists()  # NOTE: may be an upload under way on another machine
    assert remote.walk("files/") == sorted(rels)
