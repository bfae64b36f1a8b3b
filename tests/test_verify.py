"""Issue 10.4: a tampered cache object is never pushed; ``dvcdoit cache verify`` finds it.

A 0o444 object whose bytes were changed in place (chmod u+w, write, chmod back) is trusted by
the cache's fast path; push must still refuse it, because it hashes what it uploads. Every
remote object must hash to its name, and the bad object is moved to the cache's quarantine.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from tests.conftest import Runner, write_tree

FILES = {"data/a.txt": "alpha\n", "data/b.txt": "bravo\n", "data/c.txt": "charlie\n",
         "x.csv": "x,y\n1,2\n"}
BAD = b"tampered\n"
BAD_MD5 = hashlib.md5(BAD).hexdigest()


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _obj(oid: str) -> str:
    return f".dvc/cache/files/md5/{oid[:2]}/{oid[2:]}"


def _oid(rel: str) -> str:
    return _md5(FILES[rel].encode())


def _dir_oid(repo: Path) -> str:
    found = re.search(r"md5: ([0-9a-f]{32}\.dir)", (repo / "data.dvc").read_text())
    assert found is not None
    return found.group(1)


def _repo(repo: Path, dvcdoit: Runner, *remote: tuple[str, ...]) -> Path:
    dvcdoit("init")
    write_tree(repo, FILES)
    dvcdoit("add", "data", "x.csv")
    for argv in remote:
        dvcdoit("remote", *argv)
    return repo


def _tamper(repo: Path, oid: str, data: bytes = BAD) -> Path:
    """Change a read-only cache object's bytes in place, as a stray writer would."""
    path = repo / _obj(oid)
    assert (path.stat().st_mode & 0o777) == 0o444
    os.chmod(path, 0o644)
    path.write_bytes(data)
    os.chmod(path, 0o444)
    return path


def _local_objects(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _s3_objects(endpoint: str, bucket: str) -> dict[str, bytes]:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k.removeprefix("p/"): client.get_object(Bucket=bucket, Key=k)["Body"].read()
            for k in keys}


def _assert_whole(objects: dict[str, bytes]) -> set[str]:
    """Every remote object hashes to its name; return the oids."""
    oids = set()
    for rel, data in objects.items():
        parts = rel.split("/")
        assert parts[:2] == ["files", "md5"], rel
        oid = parts[2] + parts[3]
        assert _md5(data) == oid.removesuffix(".dir"), f"{rel} does not hash to its name"
        oids.add(oid)
    return oids


def _local_remote(tmp_path: Path) -> tuple[tuple[str, ...], ...]:
    return (("add", "-d", "r", str(tmp_path / "remote")),)


def _s3_remote(endpoint: str, bucket: str) -> tuple[tuple[str, ...], ...]:
    return (("add", "-d", "s3r", f"s3://{bucket}/p"), ("modify", "s3r", "endpointurl", endpoint))


def _push_refuses_and_recovers(repo: Path, dvcdoit: Runner, objects: Callable[[], dict[str, bytes]]) -> None:
    b, dir_oid = _oid("data/b.txt"), _dir_oid(repo)
    _tamper(repo, b)
    quarantined = f".dvc/cache/quarantine/{b}.{BAD_MD5}"
    proc = dvcdoit("push", check=False)
    assert (proc.returncode, proc.stdout) == (1, ""), proc.stderr  # NOTE: as DVC, no summary
    assert proc.stderr == (
        f"ERROR: cache object '{_obj(b)}' for 'data/b.txt' is corrupted (its md5 is {BAD_MD5}); "
        f"moved to '{quarantined}'\n"
        f"ERROR: failed to transfer 'data' ({dir_oid}) - not uploaded because some of its files "
        "are missing or failed\n"
        "ERROR: failed to push data to the cloud - 2 files failed to upload\n")
    assert _assert_whole(objects()) == {_oid("data/a.txt"), _oid("data/c.txt"), _oid("x.csv")}
    assert (repo / quarantined).read_bytes() == BAD  # moved aside, not lost
    assert not (repo / _obj(b)).exists()

    # the object is missing now, and every verb says so
    assert dvcdoit("status").stdout == "data.dvc:\n\tchanged outs:\n\t\tnot in cache:       data\n"
    again = dvcdoit("push", check=False)
    assert again.returncode == 1
    assert f"name: data/b.txt, md5: {b}\n" in again.stderr
    assert not (set(objects()) & {_obj(b).removeprefix(".dvc/cache/")})

    dvcdoit("add", "data")  # the workspace copy is intact: adding it again restores the object
    assert dvcdoit("push").stdout == "2 files pushed\n"
    assert _assert_whole(objects()) == {_oid(r) for r in FILES} | {dir_oid}
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"


def test_push_to_a_local_remote_never_uploads_a_tampered_object(git_repo: Path, dvcdoit: Runner,
                                                                 tmp_path: Path) -> None:
    _repo(git_repo, dvcdoit, *_local_remote(tmp_path))
    _push_refuses_and_recovers(git_repo, dvcdoit, lambda: _local_objects(tmp_path / "remote"))
    assert not [p for p in (tmp_path / "remote").rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.s3
def test_push_to_s3_never_uploads_a_tampered_object(git_repo: Path, dvcdoit: Runner,
                                                    moto_endpoint: str, s3_bucket: str) -> None:
    _repo(git_repo, dvcdoit, *_s3_remote(moto_endpoint, s3_bucket))
    _push_refuses_and_recovers(git_repo, dvcdoit, lambda: _s3_objects(moto_endpoint, s3_bucket))


def _push_with_tampered_manifest(repo: Path, dvcdoit: Runner, objects: Callable[[], dict[str, bytes]]) -> None:
    dir_oid = _dir_oid(repo)
    evil = b'[{"md5": "' + _oid("x.csv").encode() + b'", "relpath": "a.txt"}]'
    _tamper(repo, dir_oid, evil)
    quarantined = f".dvc/cache/quarantine/{dir_oid}.{_md5(evil)}"
    proc = dvcdoit("push", check=False)
    assert (proc.returncode, proc.stdout) == (1, ""), proc.stderr
    assert proc.stderr == (
        f"ERROR: cache object '{_obj(dir_oid)}' for 'data' is corrupted (its md5 is "
        f"{_md5(evil)}); moved to '{quarantined}'\n"
        "ERROR: failed to push data to the cloud - 1 files failed to upload\n")
    assert _assert_whole(objects()) == {_oid("x.csv")}
    assert (repo / quarantined).read_bytes() == evil
    dvcdoit("add", "data")
    assert dvcdoit("push").stdout == "4 files pushed\n"
    assert _assert_whole(objects()) == {_oid(r) for r in FILES} | {dir_oid}


def test_push_to_a_local_remote_never_uploads_a_tampered_manifest(git_repo: Path,
                                                                  dvcdoit: Runner,
                                                                  tmp_path: Path) -> None:
    _repo(git_repo, dvcdoit, *_local_remote(tmp_path))
    _push_with_tampered_manifest(git_repo, dvcdoit, lambda: _local_objects(tmp_path / "remote"))


@pytest.mark.s3
def test_push_to_s3_never_uploads_a_tampered_manifest(git_repo: Path, dvcdoit: Runner,
                                                      moto_endpoint: str, s3_bucket: str) -> None:
    _repo(git_repo, dvcdoit, *_s3_remote(moto_endpoint, s3_bucket))
    _push_with_tampered_manifest(git_repo, dvcdoit,
                                 lambda: _s3_objects(moto_endpoint, s3_bucket))


@pytest.mark.interop
def test_real_dvc_ignores_the_quarantine(git_repo: Path, dvcdoit: Runner, dvc: Runner,
                                         tmp_path: Path) -> None:
    """DVC 3.67.1's status, push and gc -w -f work with quarantined objects present and
    leave them alone (gc only walks files/md5/ and the two-hex-digit legacy prefixes)."""
    _repo(git_repo, dvcdoit, *_local_remote(tmp_path))
    b = _oid("data/b.txt")
    _tamper(git_repo, b)
    assert dvcdoit("push", check=False).returncode == 1
    quarantined = git_repo / f".dvc/cache/quarantine/{b}.{BAD_MD5}"
    assert quarantined.exists()
    dvcdoit("add", "data")
    assert dvc("status").stdout == "Data and pipelines are up to date.\n"
    assert dvc("push").stdout == "2 files pushed\n"
    (git_repo / "x.csv.dvc").unlink()
    gc = dvc("gc", "-w", "-f")
    assert "Removed 1 objects from repo cache." in gc.stdout
    assert quarantined.read_bytes() == BAD
    assert dvc("status").stdout == "Data and pipelines are up to date.\n"


# -- dvcdoit cache verify ------------------------------------------------------------------
def test_cache_verify_a_clean_cache(git_repo: Path, dvcdoit: Runner) -> None:
    _repo(git_repo, dvcdoit)
    assert dvcdoit("cache", "verify").stdout == "5 objects verified, 0 corrupted\n"
    assert dvcdoit("cache", "verify", "--used").stdout == "5 objects verified, 0 corrupted\n"
    assert dvcdoit("cache", "verify", "x.csv").stdout == "1 object verified, 0 corrupted\n"


@pytest.mark.parametrize("jobs", [[], ["-j", "1"], ["-j", "2"]])
def test_cache_verify_reports_then_repairs(git_repo: Path, dvcdoit: Runner, jobs: list[str],
                                           tmp_path: Path) -> None:
    _repo(git_repo, dvcdoit, *_local_remote(tmp_path))
    assert dvcdoit("push").stdout == "5 files pushed\n"
    b = _oid("data/b.txt")
    _tamper(git_repo, b)
    bad = f"ERROR: cache object '{_obj(b)}' is corrupted (its md5 is {BAD_MD5})"
    proc = dvcdoit("cache", "verify", *jobs, check=False)
    assert (proc.returncode, proc.stderr) == (1, bad + "\n")
    assert proc.stdout == ("5 objects verified, 1 corrupted; run 'dvcdoit cache verify --repair' "
                           "to move the corrupted objects aside\n")
    assert (git_repo / _obj(b)).read_bytes() == BAD  # only reported

    used = dvcdoit("cache", "verify", "--used", *jobs, check=False)
    assert (used.returncode, used.stderr) == (
        1, f"ERROR: cache object '{_obj(b)}' for 'data/b.txt' is corrupted (its md5 is {BAD_MD5})\n")
    assert dvcdoit("cache", "verify", "x.csv", *jobs).stdout == "1 object verified, 0 corrupted\n"

    quarantined = f".dvc/cache/quarantine/{b}.{BAD_MD5}"
    fixed = dvcdoit("cache", "verify", "--repair", *jobs, check=False)
    assert (fixed.returncode, fixed.stderr) == (1, f"{bad}; moved to '{quarantined}'\n")
    assert fixed.stdout == ("5 objects verified, 1 corrupted; the corrupted objects were moved "
                            "aside: restore them with 'dvcdoit pull' or by adding their files "
                            "again\n")
    assert (git_repo / quarantined).read_bytes() == BAD
    assert dvcdoit("cache", "verify").stdout == "4 objects verified, 0 corrupted\n"
    assert dvcdoit("status").stdout == "data.dvc:\n\tchanged outs:\n\t\tnot in cache:       data\n"
    missing = dvcdoit("cache", "verify", "--used")
    assert missing.stdout == "4 objects verified, 0 corrupted, 1 missing (run 'dvcdoit pull' to get them)\n"
    (git_repo / "data/b.txt").unlink()
    checkout = dvcdoit("checkout", check=False)
    assert checkout.returncode == 3
    assert checkout.stderr == (f"ERROR: checkout failed for: 'data/b.txt': object {b} is missing "
                               "from the cache; run pull\n")
    assert not (git_repo / "data/b.txt").exists()
    assert dvcdoit("pull").stdout == "M       data/\n1 file fetched and 1 file added\n"  # NOTE: b
    assert (git_repo / "data/b.txt").read_text() == FILES["data/b.txt"]
    assert dvcdoit("cache", "verify").stdout == "5 objects verified, 0 corrupted\n"


def test_cache_verify_with_many_objects_in_workers(git_repo: Path, dvcdoit: Runner) -> None:
    """Over fanout.MIN_ITEMS small objects and a large one: forked workers and threads report
    the same bad objects as one process."""
    from dvcdoit.core.fanout import MIN_ITEMS

    dvcdoit("init")
    write_tree(git_repo, {f"many/f{k:05d}": f"file {k}\n" for k in range(MIN_ITEMS + 200)})
    (git_repo / "big.bin").write_bytes(bytes(range(256)) * (8 << 12))  # 8 MiB: a thread
    dvcdoit("add", "many", "big.bin")
    small = _md5(b"file 7\n")
    big = _md5((git_repo / "big.bin").read_bytes())
    _tamper(git_repo, small)
    _tamper(git_repo, big, b"rot")
    expected = sorted([f"ERROR: cache object '{_obj(small)}' is corrupted (its md5 is {BAD_MD5})",
                       f"ERROR: cache object '{_obj(big)}' is corrupted (its md5 is {_md5(b'rot')})"])
    for jobs in ("1", "2", "4"):
        proc = dvcdoit("cache", "verify", "-j", jobs, check=False)
        assert proc.returncode == 1
        assert sorted(proc.stderr.splitlines()) == expected
        assert proc.stdout.startswith(f"{MIN_ITEMS + 202} objects verified, 2 corrupted;")


def test_cache_verify_checks_manifests_and_skips_what_is_not_an_object(git_repo: Path,
                                                                       dvcdoit: Runner) -> None:
    _repo(git_repo, dvcdoit)
    # a manifest that hashes to its name but is not a valid one: unusable, so bad
    evil = b'[{"md5": "' + _oid("x.csv").encode() + b'", "relpath": "../escape"}]'
    evil_oid = _md5(evil) + ".dir"
    (git_repo / _obj(evil_oid)).parent.mkdir(parents=True, exist_ok=True)
    (git_repo / _obj(evil_oid)).write_bytes(evil)
    cache = git_repo / ".dvc/cache"
    (cache / "files/md5/ab").mkdir(parents=True, exist_ok=True)
    (cache / "files/md5/ab/.leftover.tmp").write_bytes(b"half")
    (cache / "files/md5/ab/NOTHEX").write_bytes(b"x")
    (cache / "files/md5/stray").write_bytes(b"x")
    (cache / "files/md5/zz").mkdir()
    (cache / "runs").mkdir(exist_ok=True)
    (cache / "tmp").mkdir(exist_ok=True)
    (cache / "tmp/whatever").write_bytes(b"x")
    proc = dvcdoit("cache", "verify", check=False)
    assert proc.returncode == 1
    assert proc.stderr == (
        "WARNING: '.dvc/cache/files/md5/ab/.leftover.tmp' is not a cache object; skipped\n"
        "WARNING: '.dvc/cache/files/md5/ab/NOTHEX' is not a cache object; skipped\n"
        "WARNING: '.dvc/cache/files/md5/stray' is not a cache object; skipped\n"
        "WARNING: '.dvc/cache/files/md5/zz' is not a cache object; skipped\n"
        f"ERROR: cache object '{_obj(evil_oid)}' is not a valid directory manifest ([0]: relpath "
        "'../escape' contains '..', '.' or an empty component)\n")
    assert proc.stdout.startswith("6 objects verified, 1 corrupted;")
    fixed = dvcdoit("cache", "verify", "--repair", check=False)
    assert fixed.returncode == 1
    assert (cache / f"quarantine/{evil_oid}.{_md5(evil)}").read_bytes() == evil
    assert dvcdoit("cache", "verify").stdout == "5 objects verified, 0 corrupted\n"


def test_cache_verify_checks_legacy_objects(git_repo: Path, dvcdoit: Runner) -> None:
    """DVC 2 objects (``md5-dos2unix``, at ``ab/cdef…``) are hashed under their own rule."""
    _repo(git_repo, dvcdoit)
    crlf = b"line\r\n"
    legacy = _md5(b"line\n")  # md5-dos2unix hashes text with CRLF turned to LF
    (git_repo / ".dvc/cache" / legacy[:2]).mkdir()
    (git_repo / ".dvc/cache" / legacy[:2] / legacy[2:]).write_bytes(crlf)
    assert dvcdoit("cache", "verify").stdout == "6 objects verified, 0 corrupted\n"
    (git_repo / ".dvc/cache" / legacy[:2] / legacy[2:]).write_bytes(b"other\r\n")
    proc = dvcdoit("cache", "verify", check=False)
    assert proc.stderr == (f"ERROR: cache object '.dvc/cache/{legacy[:2]}/{legacy[2:]}' is "
                           f"corrupted (its md5 is {_md5(b'other' + bytes([10]))})\n")


def test_cache_verify_reports_an_unreadable_object(git_repo: Path, dvcdoit: Runner) -> None:
    """An object that cannot be read is bad but is not moved (a directory where x.csv's
    object should be: unreadable for root too)."""
    _repo(git_repo, dvcdoit)
    path = git_repo / _obj(_oid("x.csv"))
    os.chmod(path, 0o644)
    path.unlink()
    path.mkdir()
    proc = dvcdoit("cache", "verify", "--used", "--repair", check=False)
    assert proc.returncode == 1
    assert proc.stderr == f"ERROR: cannot read cache object '{_obj(_oid('x.csv'))}': Is a directory\n"
    assert proc.stdout == "5 objects verified, 0 corrupted, 1 unreadable\n"
    assert path.is_dir()


def test_cache_verify_outside_a_repo_and_bad_jobs(tmp_path: Path, dvcdoit: Runner) -> None:
    proc = dvcdoit("cache", "verify", check=False, cwd=tmp_path)
    assert proc.returncode == 3
    assert proc.stderr.startswith("ERROR: you are not inside of a DVC repository")
    bad = dvcdoit("cache", "verify", "-j", "0", check=False, cwd=tmp_path)
    assert bad.returncode == 2
    assert "argument -j/--jobs: expected a whole number of at least 1, got '0'" in bad.stderr


def test_cache_verify_repair_takes_the_repo_lock(git_repo: Path, dvcdoit: Runner) -> None:
    _repo(git_repo, dvcdoit)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        "fd = os.open('.dvc/tmp/lock', os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(30)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert dvcdoit("cache", "verify").returncode == 0  # reading needs no lock
        proc = dvcdoit("cache", "verify", "--repair", check=False)
        assert proc.returncode == 3
        assert "'.dvc/tmp/lock' is held by another dvc or dvcdoit process" in proc.stderr
    finally:
        holder.kill()
        holder.wait()


# -- the remotes refuse a body that does not hash to the name they are given ------------------
MIB = 1024 * 1024


@pytest.mark.parametrize("size", [100, 9 * MIB])  # read whole, or copied while hashed
def test_local_remote_upload_refuses_a_body_that_does_not_match(tmp_path: Path, size: int) -> None:
    from dvcdoit.core.errors import ObjectCorruptError
    from dvcdoit.storage.remotes.local import LocalRemote

    remote = LocalRemote(tmp_path / "remote")
    src = tmp_path / "src"
    src.write_bytes(b"z" * size)
    good = _md5(src.read_bytes())
    wrong = _md5(b"something else")
    rel = f"files/md5/{wrong[:2]}/{wrong[2:]}"
    with pytest.raises(ObjectCorruptError, match=f"refusing to upload {rel}: its bytes hash to "
                                                 f"{good}, not {wrong}$") as info:
        remote.upload(src, rel, wrong)
    assert info.value.actual == good
    assert _local_objects(tmp_path / "remote") == {}  # no object, no temp file
    remote.upload(src, f"files/md5/{good[:2]}/{good[2:]}", good)
    assert _assert_whole(_local_objects(tmp_path / "remote")) == {good}


@pytest.mark.s3
def test_s3_single_put_is_hashed_first_and_sent_with_content_md5(
        s3_proxy: object, s3_bucket: str, tmp_path: Path) -> None:
    """A mismatch sends nothing; a match is sent with Content-MD5, which S3 checks against
    the body it receives (moto 5.2.5 does not check it, so only the header is seen here)."""
    import base64

    from dvcdoit.core.errors import ObjectCorruptError
    from tests.s3server import FaultProxy
    from tests.test_s3 import _remote

    assert isinstance(s3_proxy, FaultProxy)
    remote = _remote(s3_proxy.url, s3_bucket, prefix="p")
    sent: list[bytes | None] = []
    remote.client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(request.headers.get("Content-MD5")))
    src = tmp_path / "src"
    src.write_bytes(b"payload")
    good, wrong = _md5(b"payload"), _md5(b"other")
    s3_proxy.clear()
    with pytest.raises(ObjectCorruptError, match=f"its bytes hash to {good}, not {wrong}$"):
        remote.upload(src, f"files/md5/{wrong[:2]}/{wrong[2:]}", wrong)
    assert s3_proxy.total == 0
    remote.upload(src, f"files/md5/{good[:2]}/{good[2:]}", good)
    assert sent == [base64.b64encode(bytes.fromhex(good))]
    assert _assert_whole(_s3_objects(s3_proxy.url, s3_bucket)) == {good}


@pytest.mark.s3
def test_s3_multipart_upload_completes_only_if_the_file_matches(
        s3_proxy: object, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from boto3.s3.transfer import TransferConfig

    from dvcdoit.core.errors import ObjectCorruptError
    from dvcdoit.storage.remotes import s3 as s3mod
    from tests.s3server import FaultProxy
    from tests.test_s3 import _remote

    assert isinstance(s3_proxy, FaultProxy)
    monkeypatch.setattr(s3mod, "MULTIPART_THRESHOLD", 5 * MIB)
    remote = _remote(s3_proxy.url, s3_bucket, prefix="p")
    remote.transfer_config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB,
                                            max_concurrency=4, preferred_transfer_client="classic")
    src = tmp_path / "big"
    src.write_bytes(bytes(range(256)) * (12 * MIB // 256))
    good = _md5(src.read_bytes())
    wrong = _md5(b"what the .dvc file says")
    s3_proxy.clear()
    with pytest.raises(ObjectCorruptError, match=f"its bytes hash to {good}, not {wrong}$"):
        remote.upload(src, f"files/md5/{wrong[:2]}/{wrong[2:]}", wrong)
    assert s3_proxy.counts.get("PUT") == 3  # the parts went up, and then...
    assert _s3_objects(s3_proxy.url, s3_bucket) == {}  # ...no object was ever named
    client = boto3.client("s3", endpoint_url=s3_proxy.url, region_name="us-east-1")
    assert client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []  # aborted

    remote.upload(src, f"files/md5/{good[:2]}/{good[2:]}", good)
    assert _assert_whole(_s3_objects(s3_proxy.url, s3_bucket)) == {good}


# -- transfer: what a corrupt object becomes ------------------------------------------------
def test_transfer_push_sets_corrupt_objects_aside_and_goes_on(tmp_path: Path) -> None:
    from dvcdoit.core.hashing import LEGACY, MD5, HashInfo
    from dvcdoit.storage.cache import ObjectCache
    from dvcdoit.storage.quarantine import Corruption
    from dvcdoit.storage.transfer import push
    from tests.fakes import MemoryRemote

    cache = ObjectCache(tmp_path / "cache")
    good = HashInfo(MD5, _md5(b"good\n"))
    cache.add_bytes(b"good\n", good)
    bad = HashInfo(MD5, _md5(b"bad\n"))
    cache.add_bytes(b"bad\n", bad)
    legacy = HashInfo(LEGACY, _md5(b"text\n"))  # md5-dos2unix of b"text\r\n"
    cache.add_bytes(b"text\r\n", legacy)
    for hi in (bad, legacy):
        path = cache.path_for(hi)
        os.chmod(path, 0o644)
        path.write_bytes(b"rot\r\n")
        os.chmod(path, 0o444)
    remote = MemoryRemote()
    res = push(cache, remote, [("g", good), ("b", bad), ("l", legacy)])
    q = tmp_path / "cache" / "quarantine"
    rot, rot_unix = _md5(b"rot\r\n"), _md5(b"rot\n")
    assert res.transferred == (("g", good),)
    assert sorted(res.corrupted, key=lambda c: c.name) == [
        Corruption(bad, rot, str(tmp_path / "cache" / _obj(bad.value).removeprefix(".dvc/cache/")),
                   str(q / f"{bad.value}.{rot}"), "b"),
        Corruption(legacy, rot_unix,
                   str(tmp_path / "cache" / f"{legacy.value[:2]}/{legacy.value[2:]}"),
                   str(q / f"{legacy.value}.{rot_unix}"), "l")]
    assert not res.ok and not res.failed and not res.missing
    assert list(remote.objects) == [f"files/md5/{good.value[:2]}/{good.value[2:]}"]
    assert not cache.has(bad) and not cache.has(legacy)


def test_transfer_push_in_forked_workers_sets_a_tampered_object_aside(tmp_path: Path) -> None:
    """Over fanout.MIN_ITEMS objects to a local remote: the children report, the parent moves."""
    from dvcdoit.core.fanout import MIN_ITEMS
    from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry
    from dvcdoit.storage.cache import ObjectCache
    from dvcdoit.storage.remotes.local import LocalRemote
    from dvcdoit.storage.transfer import push

    cache = ObjectCache(tmp_path / "cache")
    members = []
    for k in range(MIN_ITEMS + 10):
        data = f"file {k}\n".encode()
        members.append(HashInfo(MD5, _md5(data)))
        cache.add_bytes(data, members[-1])
    dir_hi = cache.add_manifest([ManifestEntry(f"f{k:05d}", m.value) for k, m in enumerate(members)])
    victim = cache.path_for(members[700])
    os.chmod(victim, 0o644)
    victim.write_bytes(BAD)
    os.chmod(victim, 0o444)
    res = push(cache, LocalRemote(tmp_path / "remote"), [("d", dir_hi)])
    assert [(c.name, c.hi, c.actual) for c in res.corrupted] == [("d/f00700", members[700], BAD_MD5)]
    assert res.corrupted[0].moved_to == str(tmp_path / f"cache/quarantine/{members[700].value}.{BAD_MD5}")
    assert len(res.transferred) == len(members) - 1
    assert [f[0] for f in res.failed] == ["d"]  # the manifest is withheld
    assert len(_assert_whole(_local_objects(tmp_path / "remote"))) == len(members) - 1
