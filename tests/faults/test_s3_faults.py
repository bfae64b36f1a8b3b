"""S3 under injected faults (5xx, resets, stalls, truncated bodies) through a loopback proxy.

What must hold: transient faults are retried (the proxy counts the extra requests) and the
verb succeeds; persistent faults end in a per-object report (exit 1 naming the objects); and
no partial object is ever named, on either side: every object in the bucket and in the local
cache hashes to its name, and no temp file is left in the cache. Client timeouts are 1 s and
stalls 1.5 s, so every test ends by itself in seconds.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DVC_ENV, write_tree
from tests.faults import s3proxy
from tests.faults.s3proxy import FaultProxy

fault_proxy = s3proxy.fault_proxy  # NOTE: the fixture, used by `proxy` below

FILES = {f"data/f{i:02}": f"content {i}\n" * (i + 1) for i in range(12)}
N_OBJECTS = len(FILES) + 1  # NOTE: the files and the .dir manifest


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _dvcdoit(repo: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dvcdoit", *argv], cwd=repo, capture_output=True,
                          text=True, env={**os.environ, **DVC_ENV, **(env or {})}, timeout=120,
                          check=False)


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def _repo(root: Path, proxy: FaultProxy, bucket: str, prefix: str = "p",
          data: bool = True) -> Path:
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    _ok(_dvcdoit(root, "init"))
    for argv in (("remote", "add", "-d", "s3r", f"s3://{bucket}/{prefix}"),
                 ("remote", "modify", "s3r", "endpointurl", proxy.url),
                 ("remote", "modify", "s3r", "read_timeout", "1"),
                 ("remote", "modify", "s3r", "connect_timeout", "1")):
        _ok(_dvcdoit(root, *argv))
    if data:
        write_tree(root, FILES)
        _ok(_dvcdoit(root, "add", "data"))
    return root


def _clone(src: Path, dest: Path) -> Path:
    """A second checkout: the .dvc files and config of ``src``, no data and no cache."""
    dest.mkdir()
    subprocess.run(["git", "init", "-q", str(dest)], check=True)
    (dest / ".dvc").mkdir()
    for rel in (".dvc/config", "data.dvc", ".dvcignore"):
        (dest / rel).write_bytes((src / rel).read_bytes())
    return dest


def _bucket(moto_endpoint: str, bucket: str, prefix: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
            .get("Contents", [])]
    return {k[len(prefix) + 1:]: client.get_object(Bucket=bucket, Key=k)["Body"].read()
            for k in keys}


def assert_bucket_whole(moto_endpoint: str, bucket: str, prefix: str) -> set[str]:
    """Every object on the remote hashes to its name; return the names."""
    objects = _bucket(moto_endpoint, bucket, prefix)
    for rel, data in objects.items():
        parts = rel.split("/")
        assert parts[:2] == ["files", "md5"], rel
        assert _md5(data) == (parts[2] + parts[3]).removesuffix(".dir"), f"partial object {rel}"
    return {rel.split("/")[2] + rel.split("/")[3] for rel in objects}


def assert_cache_whole(repo: Path) -> set[str]:
    """Every object in the cache hashes to its name, and no temp file is left; the names."""
    cache = repo / ".dvc" / "cache"
    names = set()
    for path in cache.rglob("*"):
        if path.is_file():
            rel = path.relative_to(cache).parts
            assert rel[:2] == ("files", "md5"), f"left in the cache: {path}"
            assert _md5(path.read_bytes()) == (rel[2] + rel[3]).removesuffix(".dir"), path
            names.add(rel[2] + rel[3])
    return names


@pytest.fixture
def proxy(fault_proxy: FaultProxy, s3_env: object) -> Iterator[FaultProxy]:
    """The fault proxy, with dummy credentials in the environment."""
    fault_proxy.stall = 1.5
    yield fault_proxy


PUSH_FAULTS = ["500", "503", "reset", "stall"]
PULL_FAULTS = ["503", "reset", "stall", "truncate"]


@pytest.mark.parametrize("kind", PUSH_FAULTS)
def test_push_retries_transient_faults(kind: str, proxy: FaultProxy, s3_bucket: str,
                                       moto_endpoint: str, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "a", proxy, s3_bucket)
    proxy.add(kind, "PUT", times=2)
    out = _ok(_dvcdoit(repo, "push"))
    assert out.endswith(f"{N_OBJECTS} files pushed\n")
    assert proxy.injected == {kind: 2}
    assert proxy.counts["PUT"] == N_OBJECTS + 2  # NOTE: each faulted upload was sent again
    assert len(assert_bucket_whole(moto_endpoint, s3_bucket, "p")) == N_OBJECTS


@pytest.mark.parametrize("kind", PULL_FAULTS)
def test_pull_retries_transient_faults(kind: str, proxy: FaultProxy, s3_bucket: str,
                                       moto_endpoint: str, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "a", proxy, s3_bucket)
    _ok(_dvcdoit(repo, "push"))
    clean = _clone(repo, tmp_path / "clean")
    proxy.clear()
    _ok(_dvcdoit(clean, "pull"))
    baseline = proxy.counts["GET"]
    b = _clone(repo, tmp_path / "b")
    proxy.clear()
    proxy.add(kind, "GET", path="/files/md5/", times=2)
    _ok(_dvcdoit(b, "pull"))
    assert proxy.injected == {kind: 2}
    assert proxy.counts["GET"] == baseline + 2
    assert len(assert_cache_whole(b)) == N_OBJECTS
    assert {rel: (b / rel).read_text() for rel in FILES} == FILES


def _relpath_of(name: str) -> str:
    digest = _md5(FILES[name].encode())
    return f"files/md5/{digest[:2]}/{digest[2:]}"


def test_persistent_upload_faults_are_reported_per_object(proxy: FaultProxy, s3_bucket: str,
                                                          moto_endpoint: str,
                                                          tmp_path: Path) -> None:
    repo = _repo(tmp_path / "a", proxy, s3_bucket)
    bad = _relpath_of("data/f03")
    proxy.add("503", "PUT", path=bad, times=-1)
    proc = _dvcdoit(repo, "push", env={"AWS_MAX_ATTEMPTS": "2"})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    digest = bad.removeprefix("files/md5/").replace("/", "")
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR:")]
    assert errors[0] == (f"ERROR: failed to transfer 'data/f03' ({digest}) - remote "
                         f"s3://{s3_bucket}/p: upload {bad} failed: ServiceUnavailable")
    assert errors[1].startswith("ERROR: failed to transfer 'data' (")
    assert errors[1].endswith(".dir) - not uploaded because some of its files are missing "
                              "or failed")
    assert errors[2] == "ERROR: failed to push data to the cloud - 2 files failed to upload"
    assert proxy.counts["PUT"] == N_OBJECTS - 1 + 1  # NOTE: 11 good files, 2 tries of the bad one
    there = assert_bucket_whole(moto_endpoint, s3_bucket, "p")
    assert digest not in there and len(there) == N_OBJECTS - 2  # neither it nor the .dir


def test_persistent_truncated_downloads_never_enter_the_cache(proxy: FaultProxy, s3_bucket: str,
                                                              tmp_path: Path) -> None:
    repo = _repo(tmp_path / "a", proxy, s3_bucket)
    _ok(_dvcdoit(repo, "push"))
    b = _clone(repo, tmp_path / "b")
    bad = _relpath_of("data/f07")
    digest = bad.removeprefix("files/md5/").replace("/", "")
    proxy.clear()
    proxy.add("truncate", "GET", path=bad, times=-1)
    proc = _dvcdoit(b, "fetch", env={"AWS_MAX_ATTEMPTS": "2"})
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR:")]
    assert errors == [
        (f"ERROR: failed to transfer 'data/f07' ({digest}) - remote s3://{s3_bucket}/p: "
         f"download {bad} failed: IncompleteReadError"),
        "ERROR: failed to fetch data from the cloud - 1 files failed to download"]
    assert proxy.injected["truncate"] >= 2  # NOTE: retried before giving up
    names = assert_cache_whole(b)
    assert digest not in names and len(names) == N_OBJECTS - 1
    proxy.clear()
    _ok(_dvcdoit(b, "pull"))
    assert {rel: (b / rel).read_text() for rel in FILES} == FILES


@pytest.mark.parametrize("seed", [3, 7])
def test_seeded_fault_schedule_never_names_a_partial_object(seed: int, proxy: FaultProxy,
                                                            s3_bucket: str, moto_endpoint: str,
                                                            tmp_path: Path) -> None:
    """Faults of every kind on a quarter of the requests: whatever the outcome, both sides
    hold only whole objects, and a run without faults then completes the job."""
    repo = _repo(tmp_path / "a", proxy, s3_bucket)
    env = {"AWS_MAX_ATTEMPTS": "3"}
    proxy.clear()
    proxy.schedule(0.25, seed)
    _faulted_run(repo, "push", env)
    assert proxy.faults() > 0
    assert_bucket_whole(moto_endpoint, s3_bucket, "p")
    proxy.clear()
    _ok(_dvcdoit(repo, "push"))
    assert len(assert_bucket_whole(moto_endpoint, s3_bucket, "p")) == N_OBJECTS

    b = _clone(repo, tmp_path / "b")
    proxy.schedule(0.25, seed + 100)
    _faulted_run(b, "pull", env)
    assert_cache_whole(b)
    proxy.clear()
    _ok(_dvcdoit(b, "pull"))
    assert len(assert_cache_whole(b)) == N_OBJECTS
    assert {rel: (b / rel).read_text() for rel in FILES} == FILES


def _faulted_run(repo: Path, verb: str, env: dict[str, str]) -> None:
    """Run ``verb`` under faults: it succeeds, reports per object (1), or fails in one line (3,
    when the existence check itself could not get through)."""
    proc = _dvcdoit(repo, verb, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1, 3), proc.stderr
    if proc.returncode == 3:
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("ERROR: remote s3://")
