"""``dvcdoit gc``: what it keeps, in which order it deletes, its words, against real DVC."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dvcdoit.core.errors import CacheError, RemoteError
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes
from dvcdoit.formats import _yaml
from dvcdoit.storage import gc as store
from dvcdoit.storage.cache import ObjectCache
from dvcdoit.storage.remotes.local import LocalRemote
from tests.conftest import DVC_ENV, Runner, write_tree
from tests.fakes import MemoryRemote

WARNING = ("WARNING: This will remove all cache except items used in the workspace of the "
           "current repo.\n")
NO_SCOPE = ("ERROR: Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` "
            "`--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.\n")
STAGE = ("stages:\n  twice:\n    cmd: mkdir -p out && cp data/a.txt out/a2.txt && "
         "cp data/b.txt out/b2.txt\n    deps:\n    - data\n    outs:\n    - out\n")


def objects(repo: Path, sub: str = ".dvc/cache") -> list[str]:
    """Every file below ``repo/sub``, relative and sorted (the tree gc leaves)."""
    base = repo / sub
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


def build(dvcdoit: Runner, repo: Path) -> None:
    """A repo with a data dir, a file and a stage, each changed once: old objects are unused."""
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    dvcdoit("init", cwd=repo)
    write_tree(repo, {"data/a.txt": "a1\n", "data/b.txt": "shared\n", "f.txt": "f1\n",
                      "dvc.yaml": STAGE})
    dvcdoit("add", "data", "f.txt", cwd=repo)
    dvcdoit("repro", cwd=repo)
    write_tree(repo, {"data/a.txt": "a2\n", "f.txt": "f2\n"})
    dvcdoit("add", "data", "f.txt", cwd=repo)
    dvcdoit("repro", cwd=repo)


def twin(repo: Path, to: Path) -> Path:
    """An identical copy of ``repo`` (modes kept) at ``to``."""
    subprocess.run(["cp", "-a", str(repo), str(to)], check=True)
    return to


@pytest.mark.interop
def test_gc_w_leaves_the_same_cache_as_dvc(dvcdoit: Runner, dvc: Runner, tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    build(dvcdoit, ours)
    theirs = twin(ours, tmp_path / "theirs")
    before = objects(ours)
    res = dvcdoit("gc", "-w", "-f", cwd=ours)
    ref = dvc("gc", "-w", "-f", cwd=theirs)
    assert res.stdout == ref.stdout == ("Removed 4 objects from repo cache.\n"
                                        "No unused 'legacy' cache to remove.\n")
    assert res.stderr == ref.stderr == WARNING
    assert objects(ours) == objects(theirs)
    assert len(objects(ours)) < len(before)
    assert [o for o in before if o.startswith("runs/")] == [o for o in objects(ours)
                                                            if o.startswith("runs/")]
    assert dvc("status", cwd=ours).stdout == "Data and pipelines are up to date.\n"
    again = dvcdoit("gc", "-w", "-f", cwd=ours)
    assert again.stdout == dvc("gc", "-w", "-f", cwd=theirs).stdout == (
        "No unused 'repo' cache to remove.\nNo unused 'legacy' cache to remove.\n")


@pytest.mark.interop
def test_dry_prints_what_dvc_prints_and_deletes_nothing(dvcdoit: Runner, dvc: Runner,
                                                        tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    build(dvcdoit, ours)
    theirs = twin(ours, tmp_path / "theirs")
    before = objects(ours)
    res = dvcdoit("gc", "-w", "--dry", cwd=ours)
    ref = dvc("gc", "-w", "--dry", cwd=theirs)
    assert objects(ours) == before == objects(theirs)
    mine = res.stdout.replace(str(ours), "ROOT").splitlines()
    dvcs = ref.stdout.replace(str(theirs), "ROOT").splitlines()
    assert mine[-2:] == dvcs[-2:] == ["Removed 4 objects from repo cache.",
                                      "No unused 'legacy' cache to remove."]
    assert sorted(mine) == sorted(dvcs)
    removing = [ln for ln in mine if ln.startswith("Removing ")]
    kinds = [ln.endswith(".dir") for ln in removing]
    assert kinds == sorted(kinds, reverse=True) and any(kinds), "manifests are listed first"
    assert res.stderr == ref.stderr == WARNING


def _with_local_remote(dvcdoit: Runner, base: Path) -> Path:
    repo = base / "repo"
    build(dvcdoit, repo)
    dvcdoit("remote", "add", "-d", "store", "../store", cwd=repo)
    write_tree(repo, {"f.txt": "f1\n"})  # NOTE: push the old version too, then come back
    dvcdoit("add", "f.txt", cwd=repo)
    dvcdoit("push", cwd=repo)
    write_tree(repo, {"f.txt": "f2\n"})
    dvcdoit("add", "f.txt", cwd=repo)
    dvcdoit("push", cwd=repo)
    return repo


@pytest.mark.interop
def test_cloud_on_a_local_remote_matches_dvc(dvcdoit: Runner, dvc: Runner, tmp_path: Path) -> None:
    ours = _with_local_remote(dvcdoit, tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b", symlinks=True)
    theirs = tmp_path / "b" / "repo"
    dry = dvcdoit("gc", "-w", "-c", "--dry", cwd=ours).stdout
    ref_dry = dvc("gc", "-w", "-c", "--dry", cwd=theirs).stdout
    assert sorted(dry.replace(str(tmp_path / "a"), "X").splitlines()) == sorted(
        ref_dry.replace(str(tmp_path / "b"), "X").splitlines())
    assert "Removing " + str(tmp_path / "a" / "store" / "files" / "md5") in dry
    res = dvcdoit("gc", "-w", "-c", "-f", cwd=ours)
    ref = dvc("gc", "-w", "-c", "-f", cwd=theirs)
    assert res.stdout == ref.stdout
    assert res.stdout.endswith("Removed 1 objects from remote.\n"
                               "No unused cache to remove from remote.\n")
    assert objects(tmp_path / "a", "store") == objects(tmp_path / "b", "store")
    assert objects(ours) == objects(theirs)
    assert dvc("status", "-c", cwd=ours).stdout == "Cache and remote 'store' are in sync.\n"


@pytest.mark.s3
@pytest.mark.interop
def test_cloud_on_s3_matches_dvc(dvcdoit: Runner, dvc: Runner, tmp_path: Path,
                                 moto_endpoint: str, s3_bucket: str) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    repos = []
    for name in ("ours", "theirs"):
        repo = tmp_path / name
        build(dvcdoit, repo)
        dvcdoit("remote", "add", "-d", "s3r", f"s3://{s3_bucket}/{name}", cwd=repo)
        dvcdoit("remote", "modify", "s3r", "endpointurl", moto_endpoint, cwd=repo)
        dvcdoit("push", cwd=repo)
        repos.append(repo)
    junk = HashInfo(MD5, md5_bytes(b"unused on the remote only\n"))
    for name in ("ours", "theirs"):
        client.put_object(Bucket=s3_bucket, Key=f"{name}/files/md5/{junk.value[:2]}/"
                          f"{junk.value[2:]}", Body=b"unused on the remote only\n")
        client.put_object(Bucket=s3_bucket, Key=f"{name}/files/md5/ab/not-an-object",
                          Body=b"left alone\n")

    def keys(name: str) -> list[str]:
        listing = client.list_objects_v2(Bucket=s3_bucket, Prefix=f"{name}/")
        return sorted(o["Key"][len(name) + 1:] for o in listing.get("Contents", ()))

    assert keys("ours") == keys("theirs")
    dry = dvcdoit("gc", "-w", "-c", "--dry", cwd=repos[0]).stdout
    assert f"Removing {s3_bucket}/ours/files/md5/{junk.value[:2]}/{junk.value[2:]}\n" in dry
    res = dvcdoit("gc", "-w", "-c", "-f", cwd=repos[0])
    ref = dvc("gc", "-w", "-c", "-f", cwd=repos[1])
    # NOTE: DVC also deletes the stray name in files/md5/ab/ (any name in a 2-char dir)
    assert res.stdout == ref.stdout.replace("Removed 2 objects from remote", "Removed 1 objects "
                                            "from remote")
    assert res.stdout.endswith("Removed 1 objects from remote.\n"
                               "No unused cache to remove from remote.\n")
    assert "files/md5/ab/not-an-object" in keys("ours")
    assert "files/md5/ab/not-an-object" not in keys("theirs")
    assert [k for k in keys("ours") if k != "files/md5/ab/not-an-object"] == [
        k for k in keys("theirs") if k != "files/md5/ab/not-an-object"]
    assert dvc("status", "-c", cwd=repos[0]).stdout == "Cache and remote 's3r' are in sync.\n"


@pytest.mark.parametrize(("flags", "message"), [
    ((), NO_SCOPE),
    (("-c", "-f"), NO_SCOPE),
    (("-p",), NO_SCOPE),
    (("-w", "-n", "2"),
     "ERROR: `--num` can only be used alongside `--rev` or `--all-branches`\n"),
    (("-T", "-n", "2"),
     "ERROR: `--num` can only be used alongside `--rev` or `--all-branches`\n"),
    (("-w", "-c", "--not-in-remote"),
     "ERROR: `--not-in-remote` and `--cloud` are mutually exclusive\n"),
    (("-w", "--date", "01/02/2024"),
     "ERROR: gc --date '01/02/2024' is not a date: give it as YYYY-MM-DD\n"),
    (("--rev", "nope", "-f"),  # NOTE: DVC warns first too
     ("WARNING: This will remove all cache except items used in the workspace and last 1 "
     "commits from nope of the current repo.\nERROR: unknown Git revision 'nope'\n")),
])
def test_refusals_delete_nothing(dvcdoit: Runner, tmp_path: Path, flags: tuple[str, ...],
                                 message: str) -> None:
    repo = tmp_path / "repo"
    build(dvcdoit, repo)
    before = objects(repo)
    res = dvcdoit("gc", *flags, check=False, cwd=repo)
    assert (res.returncode, res.stdout, res.stderr) == (3, "", message)
    assert objects(repo) == before


@pytest.mark.interop
def test_no_scope_is_dvcs_refusal(dvc: Runner, git_repo: Path) -> None:
    dvc("init", "-q")
    assert dvc("gc", check=False).stderr == NO_SCOPE


@pytest.mark.parametrize(("path", "text", "expect"), [
    ("dvc.lock", "schema: '2.0'\nstages:\n  twice: [not, a, mapping]\n", "dvc.lock"),
    ("dvc.lock", "{{{ not yaml\n", "dvc.lock"),
    ("f.txt.dvc", "outs:\n- md5: ../../etc/passwd\n  path: f.txt\n", "f.txt.dvc"),
    ("other.dvc", "outs: 7\n", "other.dvc"),
])
def test_an_invalid_file_refuses_the_whole_gc(dvcdoit: Runner, tmp_path: Path, path: str,
                                              text: str, expect: str) -> None:
    repo = tmp_path / "repo"
    build(dvcdoit, repo)
    before = objects(repo)
    (repo / path).write_text(text)
    res = dvcdoit("gc", "-w", "-f", check=False, cwd=repo)
    assert res.returncode == 3 and res.stdout == ""
    err = res.stderr.removeprefix(WARNING)
    assert err.startswith("ERROR: ") and err.count("\n") == 1 and expect in err, err
    assert objects(repo) == before


def test_a_missing_kept_manifest_refuses(dvcdoit: Runner, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build(dvcdoit, repo)
    oid = _yaml.loads((repo / "data.dvc").read_text(), "data.dvc")["outs"][0]["md5"]
    (repo / ".dvc/cache/files/md5" / oid[:2] / oid[2:]).unlink()
    before = objects(repo)
    res = dvcdoit("gc", "-w", "-f", check=False, cwd=repo)
    assert res.returncode == 3
    assert res.stderr == WARNING + (
        f"ERROR: gc: the manifest of directory 'data' ({oid}) is not in the cache, so the "
        "files inside it cannot be kept; run 'dvcdoit fetch data' first\n")
    assert objects(repo) == before


def test_kept_dir_keeps_every_member_and_only_objects_are_touched(dvcdoit: Runner,
                                                                  tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    dvcdoit("init", cwd=repo)
    write_tree(repo, {f"big/d{i % 7}/f{i}.txt": f"member {i}\n" for i in range(300)})
    dvcdoit("add", "big", cwd=repo)
    cache = ObjectCache(repo / ".dvc/cache")
    oid = _yaml.loads((repo / "big.dvc").read_text(), "big.dvc")["outs"][0]["md5"]
    members = [HashInfo(MD5, e.md5) for e in cache.read_manifest(HashInfo(MD5, oid))]
    junk = HashInfo(MD5, md5_bytes(b"junk\n"))
    cache.add_bytes(b"junk\n", junk)
    strays = ["files/md5/ab/not-an-object", "files/md5/ab/.dvcdoit-123-x.tmp", "files/md5/zz/"
              + "0" * 30, "files/md5/" + "c" * 32, "quarantine/files/md5/ab/" + "d" * 30,
              "tmp/leftover", "ab/" + "e" * 30, "files/md5/ab/" + "f" * 30 + ".unknown"]
    write_tree(repo / ".dvc/cache", dict.fromkeys(strays, "keep me\n"))
    res = dvcdoit("gc", "-w", "-f", cwd=repo)
    assert res.stdout.startswith("Removed 1 objects from repo cache.\n")
    assert not cache.has(junk)
    assert all(cache.has(m) for m in members) and len(members) == 300
    assert all((repo / ".dvc/cache" / s).read_text() == "keep me\n" for s in strays)


def test_run_cache_entries_of_a_kept_stage_keep_their_objects(dvcdoit: Runner,
                                                              tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    dvcdoit("init", cwd=repo)
    write_tree(repo, {"in.txt": "in\n", "dvc.yaml": (
        "stages:\n  rnd:\n    cmd: python -c \"import os; open('out.txt','w').write("
        "os.urandom(8).hex())\"\n    deps:\n    - in.txt\n    outs:\n    - out.txt\n")})
    dvcdoit("repro", cwd=repo)
    first = md5_bytes((repo / "out.txt").read_bytes())
    dvcdoit("repro", "-f", cwd=repo)
    second = md5_bytes((repo / "out.txt").read_bytes())
    assert first != second
    runs = [o for o in objects(repo) if o.startswith("runs/")]
    assert len(runs) == 2, "two entries under the same key"
    dvcdoit("gc", "-w", "-f", cwd=repo)
    cache = ObjectCache(repo / ".dvc/cache")
    assert cache.has(HashInfo(MD5, first)) and cache.has(HashInfo(MD5, second))
    (repo / "in.txt").write_text("changed\n")
    dvcdoit("repro", cwd=repo)
    third = md5_bytes((repo / "out.txt").read_bytes())
    dvcdoit("gc", "-w", "-f", cwd=repo)
    assert cache.has(HashInfo(MD5, third))
    assert not cache.has(HashInfo(MD5, first)) and not cache.has(HashInfo(MD5, second))
    assert set(runs) < {o for o in objects(repo) if o.startswith("runs/")}, "runs/ is left"


def test_manifests_go_before_their_members(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "cache")
    member = HashInfo(MD5, md5_bytes(b"m\n"))
    cache.add_bytes(b"m\n", member)
    manifest = cache.add_manifest([ManifestEntry("m.txt", member.value)])
    path = cache.path_for(member)
    path.unlink()
    (path / "sub").mkdir(parents=True)  # NOTE: a member that cannot be unlinked
    garbage = store.unused([*store.list_cache(cache.root), member.value], set())
    assert garbage.ordered() == [manifest.value, member.value]
    with pytest.raises(CacheError, match=r"gc: cannot delete .*"):
        store.delete_cache(cache.root, garbage)
    assert not cache.path_for(manifest).exists(), "the manifest went first"
    remote = MemoryRemote()
    remote.objects = {store.relpath(o): b"" for o in (manifest.value, member.value, "a" * 32)}
    store.delete_remote(remote, store.unused(store.list_remote(remote), {"a" * 32}))
    assert remote.log == [f"delete {store.relpath(manifest.value)}",
                          f"delete {store.relpath(member.value)}"]


@pytest.mark.parametrize("bad", ["files/md5/ab/../../config", "runs/ab/" + "a" * 64,
                                 "files/md5/ab/cdef", "config", "files/md5/AB/" + "a" * 30])
def test_remotes_delete_object_paths_only(tmp_path: Path, bad: str) -> None:
    (tmp_path / "config").write_text("x")
    for remote in (LocalRemote(tmp_path), MemoryRemote()):
        with pytest.raises(RemoteError, match="refusing to delete"):
            remote.delete([store.relpath("a" * 32), bad])
    assert (tmp_path / "config").read_text() == "x"


def test_prompt_is_dvcs_and_no_means_nothing_deleted(dvcdoit: Runner, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    build(dvcdoit, repo)
    before = objects(repo)
    env = {**os.environ, **DVC_ENV}
    for answer in ("n\n", "maybe\nno\n", ""):
        proc = subprocess.run([sys.executable, "-m", "dvcdoit", "gc", "-w"], input=answer,
                              capture_output=True, text=True, env=env, cwd=repo, check=False)
        assert proc.returncode == 1 and proc.stderr == WARNING
        ask = "Are you sure you want to proceed? [y/n]: "
        expect = ask + ("Your response must be one of: ['yes', 'no', 'y', 'n']. Please try "
                        "again.\n" + ask if answer.startswith("maybe") else "")
        assert proc.stdout == expect
        assert objects(repo) == before
    proc = subprocess.run([sys.executable, "-m", "dvcdoit", "gc", "-w"], input="y\n",
                          capture_output=True, text=True, env=env, cwd=repo, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith(
        "Are you sure you want to proceed? [y/n]: Removed 4 objects from repo cache.\n")


def test_a_kill_mid_gc_keeps_every_kept_object_and_a_rerun_finishes(dvcdoit: Runner,
                                                                    tmp_path: Path) -> None:
    """kill -9 while gc deletes: kept objects all stay, and a manifest never outlives members.

    (tests/faults/killer.py does not exist yet; this is gc's own kill test.)
    """
    import signal
    import time

    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    dvcdoit("init", cwd=repo)
    write_tree(repo, {f"data/f{i}.txt": f"kept {i}\n" for i in range(500)})
    dvcdoit("add", "data", cwd=repo)
    cache = ObjectCache(repo / ".dvc/cache")
    kept = set(store.list_cache(cache.root))
    manifests, members = [], []
    for d in range(40):
        entries = []
        for i in range(50):
            data = f"unused {d}/{i}\n".encode()
            hi = HashInfo(MD5, md5_bytes(data))
            cache.add_bytes(data, hi)
            entries.append(ManifestEntry(f"f{i}", hi.value))
            members.append(cache.path_for(hi))
        manifests.append(cache.path_for(cache.add_manifest(entries)))
    env = {**os.environ, **DVC_ENV}
    proc = subprocess.Popen([sys.executable, "-m", "dvcdoit", "gc", "-w", "-f"], cwd=repo,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # NOTE: the group holds gc's workers too
    violations = 0
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        gone_member = any(not p.exists() for p in members[::97])
        if gone_member and any(p.exists() for p in manifests):
            violations += 1
        if gone_member:
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert violations == 0, "a member went while a manifest was still there"
    left = set(store.list_cache(cache.root))
    assert kept <= left
    assert not any(p.exists() for p in manifests) or all(p.exists() for p in members)
    res = dvcdoit("gc", "-w", "-f", cwd=repo)
    assert res.returncode == 0 and set(store.list_cache(cache.root)) == kept
