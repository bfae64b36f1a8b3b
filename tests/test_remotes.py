"""remotes: the local directory backend, the factory, and local-remote interop with real DVC."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dvcdoit.core.errors import ConfigError
from dvcdoit.core.hashing import MD5, HashInfo, md5_bytes
from dvcdoit.formats import _yaml
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes import Remote, RemoteObjectMissing, open_remote
from dvcdoit.storage.remotes.local import LocalRemote
from dvcdoit.storage.transfer import fetch, push, status
from tests.conftest import Runner, write_tree


def test_local_remote_round_trip(tmp_path: Path) -> None:
    remote = LocalRemote(tmp_path / "rem")
    assert isinstance(remote, Remote)
    src = tmp_path / "f"
    src.write_bytes(b"data")
    remote.upload(src, "files/md5/ab/cdef")
    remote.upload(src, "files/md5/ab/cdef")  # overwriting a read-only object works
    obj = tmp_path / "rem/files/md5/ab/cdef"
    assert stat.S_IMODE(obj.stat().st_mode) == 0o444
    assert remote.exists_many(["files/md5/ab/cdef", "files/md5/ab/zzzz", "files/md5/cd/x"]) == {
        "files/md5/ab/cdef"}
    dest = tmp_path / "out"
    remote.download("files/md5/ab/cdef", dest)
    assert dest.read_bytes() == b"data"
    with pytest.raises(RemoteObjectMissing, match="files/md5/ab/nope does not exist"):
        remote.download("files/md5/ab/nope", tmp_path / "out2")
    assert remote.walk("files/") == ["files/md5/ab/cdef"]
    assert not [p for p in (tmp_path / "rem/files/md5/ab").iterdir() if p.name.endswith(".tmp")]


def test_open_remote_dispatch(tmp_path: Path) -> None:
    assert isinstance(open_remote(RemoteConfig("r", str(tmp_path))), LocalRemote)
    with pytest.raises(ConfigError, match=r"remote 'g': url scheme 'hdfs://' is not supported; "
                       r"use a local path or one of s3://, http://, https://, ssh://"):
        open_remote(RemoteConfig("g", "hdfs://host/x"))


def test_local_remote_does_not_import_boto3(tmp_path: Path) -> None:
    code = ("import sys; from dvcdoit.formats.config import RemoteConfig; "
            "from dvcdoit.storage.remotes import open_remote; "
            f"open_remote(RemoteConfig('r', {str(tmp_path)!r})); "
            "assert 'boto3' not in sys.modules and 'botocore' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


_PUSH_SCRIPT = textwrap.dedent("""
    import os, sys, signal
    from pathlib import Path
    from dvcdoit.storage.cache import ObjectCache
    from dvcdoit.core.hashing import HashInfo
    from dvcdoit.storage.remotes.local import LocalRemote
    from dvcdoit.storage.transfer import push
    cache = ObjectCache(Path(sys.argv[1]))
    remote = LocalRemote(Path(sys.argv[2]))
    orig = remote.upload
    count = [0]
    def upload(path, rel, md5=None):
        count[0] += 1
        if count[0] == int(sys.argv[3]):
            # die in the middle of writing: a partial temp file exists, the object does not
            tmp = Path(sys.argv[2]) / rel
            tmp.parent.mkdir(parents=True, exist_ok=True)
            (tmp.parent / ".partial.tmp").write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGKILL)
        orig(path, rel, md5)
    remote.upload = upload
    items = [(l.split()[0], HashInfo("md5", l.split()[1])) for l in sys.stdin.read().splitlines()]
    push(cache, remote, items, jobs=1)
""")


def test_push_killed_halfway_then_rerun(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    entries = []
    from dvcdoit.core.hashing import ManifestEntry, md5_bytes
    for i in range(20):
        data = f"file {i}\n".encode()
        hi = HashInfo(MD5, md5_bytes(data))
        cache.add_bytes(data, hi)
        entries.append(ManifestEntry(f"f{i}.txt", hi.value))
    dir_hi = cache.add_manifest(entries)
    rem = tmp_path / "rem"
    proc = subprocess.run([sys.executable, "-c", _PUSH_SCRIPT, str(cache.root), str(rem), "10"],
                          input=f"data {dir_hi.value}\n", text=True, cwd=os.getcwd(), check=False)
    assert proc.returncode == -9
    remote = LocalRemote(rem)
    done = [p for p in rem.rglob("*") if p.is_file() and not p.name.endswith(".tmp")]
    assert 0 < len(done) < 21
    assert not (rem / "files/md5" / dir_hi.value[:2] / dir_hi.value[2:]).exists()
    for p in done:  # every object under a valid name is complete
        assert p.read_bytes().startswith(b"file ")
    res = push(cache, remote, [("data", dir_hi)])
    assert res.ok
    assert len(res.transferred) == 21 - len(done)
    fresh = ObjectCache(tmp_path / "fresh")
    assert fetch(fresh, remote, [("data", dir_hi)]).ok


def _out_hashes(dvcfile: Path) -> list[tuple[str, HashInfo]]:
    data = _yaml.loads(dvcfile.read_text(), str(dvcfile))
    out = []
    for o in data["outs"]:
        name = "md5" if o.get("hash") == "md5" else "md5-dos2unix"
        out.append((o["path"], HashInfo(name, o["md5"])))
    return out


@pytest.mark.interop
def test_dvc_push_then_our_fetch(dvc: Runner, git_repo: Path, tmp_path: Path) -> None:
    write_tree(git_repo, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    dvc("init", "-q")
    dvc("add", "-q", "data", "nf.txt")
    dvc("remote", "add", "-d", "r", str(tmp_path / "rem"))
    dvc("push", "-q")
    items = _out_hashes(git_repo / "data.dvc") + _out_hashes(git_repo / "nf.txt.dvc")
    cache = ObjectCache(tmp_path / "fresh")
    remote = LocalRemote(tmp_path / "rem")
    assert status(cache, remote, items) == {
        "data/a.txt": "deleted", "data/sub/b.txt": "deleted", "nf.txt": "deleted"}
    res = fetch(cache, remote, items)
    assert res.ok and len(res.transferred) == 3  # status already fetched the .dir, as DVC's does
    assert cache.has(items[0][1])
    assert status(cache, remote, items) == {}


@pytest.mark.interop
def test_our_push_then_dvc_pull(dvc: Runner, git_repo: Path, tmp_path: Path) -> None:
    write_tree(git_repo, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "nf.txt": "nf\n"})
    dvc("init", "-q")
    dvc("add", "-q", "data", "nf.txt")
    dvc("remote", "add", "-d", "r", str(tmp_path / "rem"))
    items = _out_hashes(git_repo / "data.dvc") + _out_hashes(git_repo / "nf.txt.dvc")
    res = push(ObjectCache(git_repo / ".dvc" / "cache"), LocalRemote(tmp_path / "rem"), items)
    assert res.ok and len(res.transferred) == 4
    assert dvc("status", "-c").stdout == "Cache and remote 'r' are in sync.\n"
    assert dvc("push").stdout.strip() == "Everything is up to date."
    subprocess.run(["chmod", "-R", "u+w", str(git_repo / ".dvc" / "cache")], check=True)
    subprocess.run(["rm", "-rf", str(git_repo / ".dvc" / "cache"), "data", "nf.txt"], check=True)
    dvc("pull", "-q")
    assert (git_repo / "data/sub/b.txt").read_text() == "world\n"
    assert (git_repo / "nf.txt").read_text() == "nf\n"


def test_large_local_download_is_hashed_on_the_way_and_verified(tmp_path: Path) -> None:
    data = os.urandom(9 << 20)
    cache = ObjectCache(tmp_path / "cache")
    hi = HashInfo(MD5, md5_bytes(data))
    cache.add_bytes(data, hi)
    remote = LocalRemote(tmp_path / "rem")
    assert push(cache, remote, [("big.bin", hi)]).ok
    rel = tmp_path / "rem" / "files/md5" / hi.value[:2] / hi.value[2:]
    assert remote.download(f"files/md5/{hi.value[:2]}/{hi.value[2:]}", tmp_path / "dl") == hi.value
    os.chmod(rel, 0o644)
    with open(rel, "r+b") as f:  # flip one byte in the middle: same size, wrong content
        f.seek(5 << 20)
        f.write(bytes([data[5 << 20] ^ 0xFF]))
    clone = ObjectCache(tmp_path / "clone")
    res = fetch(clone, remote, [("big.bin", hi)])
    assert [(n, h) for n, h, _ in res.failed] == [("big.bin", hi)]
    assert "corrupt on remote" in res.failed[0][2]
    assert not clone.has(hi)
    assert not [p for p in (tmp_path / "clone").rglob("*") if p.is_file()]
