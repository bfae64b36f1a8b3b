"""Workspace: hashing through the state DB, commit, checkout safety, status words."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from dvcdoit.core.errors import CheckoutError, DvcDoitError, FormatError, HashingError
from dvcdoit.core.fanout import MIN_ITEMS
from dvcdoit.core.hashing import MD5, HashInfo, ManifestEntry, md5_bytes
from dvcdoit.core.state import StateDB
from dvcdoit.repo.hasher import Hashed, Members
from dvcdoit.repo.ignore import DvcIgnore
from dvcdoit.repo.workspace import Workspace
from dvcdoit.storage.cache import ObjectCache
from tests.conftest import write_tree

DIR_OID = "5369cb520f35f5d77e793cf181884a27.dir"


def make_ws(root: Path, link_types: tuple[str, ...] = ("reflink", "copy")) -> Workspace:
    (root / ".dvc").mkdir(exist_ok=True)
    cache = ObjectCache(root / ".dvc" / "cache", link_types)
    return Workspace(root, cache, StateDB(root / ".dvc/tmp/state.db"), DvcIgnore.load(root))


def test_hash_dir_matches_spec_vector(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n"})
    h = make_ws(tmp_path).hash(tmp_path / "data")
    assert (h.hi.value, h.size, h.nfiles) == (DIR_OID, 12, 2)


def _sneaky_edit(f: Path) -> None:
    """Change content, keep size and mtime: only a stored hash can still claim the old md5."""
    st = os.stat(f)
    f.write_text(f.read_text().upper())
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_unchanged_files_are_not_read_again(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "hello\n"})
    first = make_ws(tmp_path).hash(tmp_path / "data")
    f = tmp_path / "data/a.txt"
    _sneaky_edit(f)
    (tmp_path / "data/b.txt").write_text("new\n")  # the tree changed: no whole-dir shortcut
    os.chmod(f, 0)  # unreadable: a re-read would fail
    try:
        again = make_ws(tmp_path).hash(tmp_path / "data")
    finally:
        os.chmod(f, 0o644)
    assert again.members is Members.LISTED
    assert ManifestEntry("a.txt", md5_bytes(b"hello\n")) in again.entries
    assert again.hi != first.hi


def test_unchanged_tree_is_not_walked_into_the_state_db_again(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n"})
    first = make_ws(tmp_path).hash(tmp_path / "data")
    _sneaky_edit(tmp_path / "data/a.txt")
    memo = make_ws(tmp_path).hash(tmp_path / "data")
    assert (memo.hi, memo.size, memo.nfiles) == (first.hi, 12, 2)
    assert (first.members, memo.members, memo.entries) == (Members.LISTED, Members.UNLISTED, ())
    os.utime(tmp_path / "data/a.txt")  # a real change of mtime invalidates the tree signature
    fresh = make_ws(tmp_path).hash(tmp_path / "data")
    assert fresh.hi != first.hi


def test_hash_is_a_query_that_never_writes_the_cache(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "f.bin": "zz"})
    ws = make_ws(tmp_path)
    hf = ws.hash(tmp_path / "f.bin")
    assert (hf.members, hf.entries, hf.nfiles) == (Members.NONE, (), None)
    assert ws.hash(tmp_path / "data").members is Members.LISTED
    assert not (tmp_path / ".dvc/cache").exists() or not [
        p for p in (tmp_path / ".dvc/cache").rglob("*") if p.is_file()]
    hd = ws.commit(tmp_path / "data")  # a commit after a hash still stores every member
    assert hd.hi.value == DIR_OID and ws.in_cache(hd.hi)


def test_broken_symlink_in_dir_is_an_error(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "x"})
    os.symlink(tmp_path / "nowhere", tmp_path / "data/broken")
    with pytest.raises(HashingError, match="broken"):
        make_ws(tmp_path).hash(tmp_path / "data")


def test_commit_and_checkout_roundtrip_copy(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "hello\n", "data/sub/b.txt": "world\n", "f.bin": "zz"})
    ws = make_ws(tmp_path)
    hd = ws.commit(tmp_path / "data")
    hf = ws.commit(tmp_path / "f.bin")
    assert ws.in_cache(hd.hi) and ws.in_cache(hf.hi)
    ws.cache.path_for(hf.hi).stat()
    for p in ("data", "f.bin"):
        target = tmp_path / p
        if target.is_dir():
            import shutil

            shutil.rmtree(target)
        else:
            target.unlink()
    assert ws.status(tmp_path / "data", hd.hi) == "deleted"
    assert ws.checkout(tmp_path / "data", hd.hi)
    assert ws.checkout(tmp_path / "f.bin", hf.hi)
    assert (tmp_path / "data/sub/b.txt").read_text() == "world\n"
    assert stat.S_IMODE(os.stat(tmp_path / "f.bin").st_mode) & 0o200  # copies are writable
    assert ws.status(tmp_path / "data", hd.hi) is None
    assert not ws.checkout(tmp_path / "data", hd.hi)  # nothing to do


def test_commit_of_many_files_in_forked_workers(tmp_path: Path) -> None:
    """Over fanout.MIN_ITEMS files: stored by several processes, recorded here all the same."""
    files = {f"data/d{k % 7}/f{k}.txt": f"content {k}\n" * (k % 5) for k in range(2 * MIN_ITEMS)}
    write_tree(tmp_path, files)
    (tmp_path / ".dvc/cache/files/md5/00").mkdir(parents=True)  # a listed, empty object dir
    ws = make_ws(tmp_path)
    seen: list[int] = []
    hd = ws.commit(tmp_path / "data", progress=seen.append)
    assert sum(seen) == len(files)
    expected = sorted((rel.removeprefix("data/"), md5_bytes(text.encode()))
                      for rel, text in files.items())
    assert hd.members is Members.LISTED
    assert sorted((e.relpath, e.md5) for e in hd.entries) == expected
    for _rel, md5 in expected:
        obj = ws.cache.path_for(HashInfo(MD5, md5))
        assert md5_bytes(obj.read_bytes()) == md5
        assert stat.S_IMODE(obj.stat().st_mode) == 0o444
    assert not list((tmp_path / ".dvc/cache").rglob("*.tmp"))
    assert sorted((e.relpath, e.md5) for e in ws.cache.read_manifest(hd.hi)) == expected
    fresh = make_ws(tmp_path)  # the state DB has every file: nothing is read again
    for rel in files:
        os.chmod(tmp_path / rel, 0)
    try:
        assert fresh.hash(tmp_path / "data").hi == hd.hi
    finally:
        for rel in files:
            os.chmod(tmp_path / rel, 0o644)


def _commit_lose_and_delete(root: Path, files: dict[str, str],
                            lost_text: str) -> tuple[Hashed, HashInfo]:
    """Commit ``data/``, delete the cache object of ``lost_text``, then delete ``data/``."""
    write_tree(root, files)
    ws = make_ws(root)
    hd = ws.commit(root / "data")
    lost = HashInfo(MD5, md5_bytes(lost_text.encode()))
    os.chmod(ws.cache.path_for(lost), 0o644)
    os.unlink(ws.cache.path_for(lost))
    shutil.rmtree(root / "data")
    return hd, lost


def test_checkout_of_many_new_files_in_forked_workers(tmp_path: Path) -> None:
    files = {f"data/d{k % 7}/f{k}.txt": f"content {k}\n" for k in range(2 * MIN_ITEMS)}
    hd, lost = _commit_lose_and_delete(tmp_path, files, "content 1234\n")
    fresh = make_ws(tmp_path)
    seen: list[int] = []
    with pytest.raises(CheckoutError) as exc:
        fresh.checkout(tmp_path / "data", hd.hi, progress=seen.append)
    assert str(exc.value) == (f"checkout failed for: 'data/d2/f1234.txt': object {lost.value} "
                              "is missing from the cache; run pull")
    assert sum(seen) == len(files)
    for rel, text in files.items():
        if rel != "data/d2/f1234.txt":
            assert (tmp_path / rel).read_text() == text
    assert not (tmp_path / "data/d2/f1234.txt").exists()
    assert not list((tmp_path / "data").rglob("*.tmp"))
    assert fresh.status(tmp_path / "data", hd.hi) == "not in cache"


@pytest.mark.parametrize("kind", ["hardlink", "symlink"])
def test_linked_workspace_is_never_writable(tmp_path: Path, kind: str) -> None:
    write_tree(tmp_path, {"f.txt": "data\n"})
    ws = make_ws(tmp_path, (kind,))
    h = ws.commit(tmp_path / "f.txt")
    obj = ws.cache.path_for(h.hi)
    f = tmp_path / "f.txt"
    if kind == "hardlink":
        assert os.stat(f).st_ino == os.stat(obj).st_ino
    else:
        assert os.readlink(f) == str(obj)
    assert stat.S_IMODE(os.stat(f).st_mode) == 0o444


def test_checkout_removes_extra_files_only_when_saved(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "hello\n"})
    ws = make_ws(tmp_path)
    h = ws.commit(tmp_path / "data")
    (tmp_path / "data/new.txt").write_text("precious")
    with pytest.raises(DvcDoitError, match=r"refusing to overwrite unsaved 'data/new.txt'; commit it or use --force"):
        ws.checkout(tmp_path / "data", h.hi)
    assert (tmp_path / "data/new.txt").read_text() == "precious"
    ws.checkout(tmp_path / "data", h.hi, force=True)
    assert not (tmp_path / "data/new.txt").exists()


def test_missing_object_names_path_and_restores_others(tmp_path: Path) -> None:
    h, _ = _commit_lose_and_delete(tmp_path, {"data/a.txt": "hello\n", "data/b.txt": "world\n"},
                                   "hello\n")
    ws = make_ws(tmp_path)
    with pytest.raises(CheckoutError) as err:
        ws.checkout(tmp_path / "data", h.hi)
    assert str(err.value) == ("checkout failed for: 'data/a.txt': object "
                              "b1946ac92492d2347c6235b4d2611184 is missing from the cache; run pull")
    assert (tmp_path / "data/b.txt").read_text() == "world\n"


def test_evil_manifest_never_writes_outside(tmp_path: Path) -> None:
    ws = make_ws(tmp_path)
    payload = b"pwned"
    ws.cache.add_bytes(payload, HashInfo(MD5, md5_bytes(payload)))
    manifest = (f'[{{"md5": "{md5_bytes(payload)}", "relpath": "../outside.txt"}}]').encode()
    hi = HashInfo(MD5, md5_bytes(manifest) + ".dir")
    ws.cache.add_bytes(manifest, hi)
    with pytest.raises(FormatError, match=r"relpath '../outside.txt' contains '..'"):
        ws.checkout(tmp_path / "data", hi)
    assert not (tmp_path / "outside.txt").exists()


def test_symlinked_subdir_inside_output_is_replaced_not_followed(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/sub/x.txt": "x\n"})
    ws = make_ws(tmp_path)
    h = ws.commit(tmp_path / "data")
    import shutil

    shutil.rmtree(tmp_path / "data/sub")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, tmp_path / "data/sub")
    ws.checkout(tmp_path / "data", h.hi, force=True)
    assert not (tmp_path / "data/sub").is_symlink()
    assert (tmp_path / "data/sub/x.txt").read_text() == "x\n"
    assert list(elsewhere.iterdir()) == []


def test_status_words(tmp_path: Path) -> None:
    write_tree(tmp_path, {"f.txt": "1"})
    ws = make_ws(tmp_path)
    h = ws.commit(tmp_path / "f.txt")
    assert ws.status(tmp_path / "f.txt", h.hi) is None
    (tmp_path / "f.txt").write_text("22")
    assert ws.status(tmp_path / "f.txt", h.hi) == "modified"
    (tmp_path / "f.txt").unlink()
    assert ws.status(tmp_path / "f.txt", h.hi) == "deleted"
    assert ws.status(tmp_path / "f.txt", HashInfo(MD5, "0" * 32)) == "not in cache"


def test_commit_remembers_a_complete_directory_and_a_failed_checkout_forgets(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data/a.txt": "hello\n", "data/b.txt": "world\n"})
    ws = make_ws(tmp_path)
    hd = ws.commit(tmp_path / "data")
    key = f"{ws.cache.root}:{hd.hi.value}"
    assert ws.state.is_complete(key)  # the first status stats no member
    lost = ws.cache.path_for(HashInfo(MD5, md5_bytes(b"hello\n")))
    os.chmod(lost, 0o644)
    os.unlink(lost)
    shutil.rmtree(tmp_path / "data")
    with pytest.raises(CheckoutError):
        ws.checkout(tmp_path / "data", hd.hi)
    assert not ws.state.is_complete(key)
    assert ws.status(tmp_path / "data", hd.hi) == "not in cache"
