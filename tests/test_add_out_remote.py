"""``add -o/--out``, ``add -f``, ``add --to-remote`` and ``import-url --to-remote``: the same
``.dvc`` bytes, cache, remote objects and words as real DVC 3.67.1 on twin repos, and each
side's ``pull`` takes what the other uploaded."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree
from tests.httpserver import FileServer

pytestmark = pytest.mark.interop

DATA = {"d/a": "a\n", "d/sub/b": "b\n", "x.txt": "x\n"}


def _twins(tmp_path: Path, dvcdoit: Runner) -> tuple[Path, Path, Path]:
    """Two repos, each with a default remote and a remote ``other`` of its own, and data
    outside both (``ext``)."""
    ext = tmp_path / "ext"
    write_tree(ext, DATA)
    ours = tmp_path / "ours"
    ours.mkdir()
    subprocess.run(["git", "init", "-q", str(ours)], check=True)
    dvcdoit("init", "-q", cwd=ours)
    (ours / "data").mkdir()
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs, symlinks=True)
    for repo in (ours, theirs):
        dvcdoit("remote", "add", "-d", "rem", str(tmp_path / f"{repo.name}-rem"), cwd=repo)
        dvcdoit("remote", "add", "other", str(tmp_path / f"{repo.name}-other"), cwd=repo)
    return ours, theirs, ext


def _files(root: Path) -> list[str]:
    """Files below ``root``; DVC's stray ``.*.tmp`` upload leftovers are not objects."""
    if not root.exists():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and not p.name.startswith("."))


def _same(ours: Path, theirs: Path, *names: str) -> None:
    for name in names:
        assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name


def _words(text: str) -> str:
    return text.replace("dvc config", "dvcdoit config").replace("`dvc add`", "`dvcdoit add`")


def _hint(text: str) -> list[str]:
    """The git hint's files, in any order (DVC lists them in set order)."""
    line = next(x for x in text.splitlines() if x.startswith("\tgit add "))
    return sorted(line.split()[2:])


def test_out_copies_data_from_outside_into_the_repo(dvcdoit: Runner, dvc: Runner,
                                                    tmp_path: Path) -> None:
    ours, theirs, ext = _twins(tmp_path, dvcdoit)
    for args in (("x.txt", "-o", "data/y.txt"), ("d", "-o", "dd"), ("d", "-o", "data")):
        src = str(ext / args[0])
        res = dvcdoit("add", src, *args[1:], cwd=ours)
        ref = dvc("add", src, *args[1:], cwd=theirs)
        assert _hint(res.stdout) == _hint(ref.stdout)
        assert res.stderr == ref.stderr == ""
    _same(ours, theirs, "data/y.txt.dvc", "dd.dvc", "data/d.dvc", "data/.gitignore",
          ".gitignore")
    assert (ours / "data/y.txt").read_text() == "x\n"
    assert (ours / "dd/sub/b").read_text() == (ours / "data/d/sub/b").read_text() == "b\n"
    assert _files(ours / ".dvc/cache/files") == _files(theirs / ".dvc/cache/files") != []
    assert _files(ext) == ["d/a", "d/sub/b", "x.txt"]  # NOTE: the source stays as it was
    assert dvc("status", cwd=ours).stdout == "Data and pipelines are up to date.\n"
    (ours / "sub").mkdir()
    res = dvcdoit("add", "../x.txt", "-o", "../data/y.txt", cwd=ours / "sub", check=False)
    assert (res.returncode, res.stderr) == (3, ("ERROR: The file '../data/y.txt' already exists "
                                               "locally. To override it, re-run with '--force'.\n"))
    (ours / "x.txt").write_text("x\n")
    res = dvcdoit("add", "../x.txt", "-o", "../z.txt", cwd=ours / "sub")
    assert _hint(res.stdout) == ["../.gitignore", "../z.txt.dvc"]  # NOTE: from the cwd, as DVC


def test_force_overrides_an_existing_out(dvcdoit: Runner, dvc: Runner, tmp_path: Path) -> None:
    ours, theirs, ext = _twins(tmp_path, dvcdoit)
    for repo in (ours, theirs):
        write_tree(repo, {"data/x.txt": "old\n", "dd/d/stale": "s\n", "dd/d/a": "old\n"})
    for args in (("x.txt", "-o", "data"), ("d", "-o", "dd")):
        src = str(ext / args[0])
        res = dvcdoit("add", src, *args[1:], cwd=ours, check=False)
        ref = dvc("add", src, *args[1:], cwd=theirs, check=False)
        assert res.returncode == 3
        assert res.stderr == ref.stderr.replace(" \nTo override", " To override")
        dvcdoit("add", "-q", src, *args[1:], "-f", cwd=ours)
        dvc("add", "-q", src, *args[1:], "--force", cwd=theirs)
    _same(ours, theirs, "data/x.txt.dvc", "dd/d.dvc", "data/.gitignore", "dd/.gitignore")
    assert (ours / "data/x.txt").read_text() == "x\n"
    assert (ours / "dd/d/a").read_text() == "a\n"
    assert _files(ours / "dd/d") == _files(theirs / "dd/d") == ["a", "sub/b"]
    assert dvc("status", cwd=ours).stdout == "Data and pipelines are up to date.\n"


@pytest.mark.parametrize("args", [
    ("x.txt", "d", "-o", "y"),
    ("x.txt", "d", "--to-remote"),
    ("x.txt", "-o", "y", "--glob"),
    ("x.txt", "--to-remote", "--no-commit"),
    ("x.txt", "-r", "other"),
    ("x.txt", "--remote-jobs", "2"),
    ("x.txt", "-o", ".git/x"),
    ("x.txt", "-o", ".dvc"),
    ("x.txt", "-o", "../outside"),
    ("x.txt", "-o", "nodir/x"),
    ("missing", "-o", "y"),
    ("missing", "--to-remote"),
])
def test_refusals_are_dvcs(dvcdoit: Runner, dvc: Runner, tmp_path: Path,
                           args: tuple[str, ...]) -> None:
    ours, theirs, _ = _twins(tmp_path, dvcdoit)
    for repo in (ours, theirs):
        write_tree(repo, DATA)
    res = dvcdoit("add", *args, cwd=ours, check=False)
    ref = dvc("add", *args, cwd=theirs, check=False)
    assert res.returncode == 3
    assert ref.returncode == 1
    assert res.stderr == ref.stderr.replace(str(theirs), str(ours))
    assert res.stderr.startswith("ERROR: ")
    assert res.stderr.count("\n") == 1


def test_to_remote_uploads_without_the_cache(dvcdoit: Runner, dvc: Runner,
                                             tmp_path: Path) -> None:
    ours, theirs, ext = _twins(tmp_path, dvcdoit)
    for repo in (ours, theirs):
        write_tree(repo, {"w.txt": "w\n"})
    runs = [(str(ext / "x.txt"), "--to-remote"),
            (str(ext / "d"), "-o", "data/dd", "--to-remote", "-r", "other", "--remote-jobs", "2"),
            ("w.txt", "--to-remote")]
    for args in runs:
        res = dvcdoit("add", *args, cwd=ours)
        ref = dvc("add", *args, cwd=theirs)
        assert res.stdout == _words(ref.stdout)
        assert res.stderr == ref.stderr == ""
    _same(ours, theirs, "x.txt.dvc", "data/dd.dvc", "w.txt.dvc")
    for remote in ("rem", "other"):
        assert _files(tmp_path / f"ours-{remote}") == _files(tmp_path / f"theirs-{remote}")
    assert _files(tmp_path / "ours-other") == [
        "files/md5/3b/5d5c3712955042212316173ccf37be",
        "files/md5/60/b725f10c9c85c70d97880dfe8191b3",
        "files/md5/8b/3662b0d460701f7734cdf533c5aa85.dir"]
    for repo in (ours, theirs):  # NOTE: nothing cached, nothing checked out, nothing ignored
        assert not (repo / ".dvc/cache").exists()
        assert not (repo / "x.txt").exists() and not (repo / "data/dd").exists()
        assert not (repo / ".gitignore").exists() and not (repo / "data/.gitignore").exists()
    dvc("pull", "-q", "x.txt.dvc", "w.txt.dvc", cwd=ours)
    dvc("pull", "-q", "-r", "other", "data/dd.dvc", cwd=ours)
    assert (ours / "x.txt").read_text() == "x\n" and (ours / "data/dd/sub/b").read_text() == "b\n"
    dvcdoit("pull", "-q", "x.txt.dvc", "w.txt.dvc", cwd=theirs)
    dvcdoit("pull", "-q", "-r", "other", "data/dd.dvc", cwd=theirs)
    assert _files(theirs / "data/dd") == ["a", "sub/b"]
    assert (theirs / "x.txt").read_text() == "x\n"


def test_to_remote_needs_a_remote(dvcdoit: Runner, tmp_path: Path) -> None:
    ours, _, ext = _twins(tmp_path, dvcdoit)
    dvcdoit("remote", "default", "--unset", cwd=ours)
    res = dvcdoit("add", str(ext / "x.txt"), "--to-remote", cwd=ours, check=False)
    assert (res.returncode, res.stderr) == (
        3, ("ERROR: no remote given and no default remote set; run 'dvcdoit remote add -d NAME "
           "URL' or pass -r NAME\n"))
    assert not (ours / "x.txt.dvc").exists()


def test_import_url_to_remote(dvcdoit: Runner, dvc: Runner, tmp_path: Path) -> None:
    ours, theirs, ext = _twins(tmp_path, dvcdoit)
    for args in ((str(ext / "x.txt"), "--to-remote"),
                 (str(ext / "d"), "data/di", "--to-remote", "-r", "other", "-j", "2")):
        res = dvcdoit("import-url", *args, cwd=ours)
        ref = dvc("import-url", *args, cwd=theirs)
        assert _hint(res.stdout) == _hint(ref.stdout)
        assert "Importing" not in res.stdout
        assert res.stderr == ref.stderr == ""
    _same(ours, theirs, "x.txt.dvc", "data/di.dvc", ".gitignore", "data/.gitignore")
    for remote in ("rem", "other"):
        assert _files(tmp_path / f"ours-{remote}") == _files(tmp_path / f"theirs-{remote}") != []
    for repo in (ours, theirs):
        assert not (repo / ".dvc/cache").exists() and not (repo / "x.txt").exists()
    for bad in (("--no-exec",), ("--no-download",), ("-r", "other")):
        flags = bad if bad[0] == "-r" else ("--to-remote", *bad)
        res = dvcdoit("import-url", str(ext / "x.txt"), "y", *flags, cwd=ours, check=False)
        ref = dvc("import-url", str(ext / "x.txt"), "y", *flags, cwd=theirs, check=False)
        assert res.returncode == 3
        assert res.stderr == _words(ref.stderr)
    dvc("pull", "-q", "x.txt.dvc", cwd=ours)
    dvc("pull", "-q", "-r", "other", "data/di.dvc", cwd=ours)
    assert (ours / "x.txt").read_text() == "x\n" and _files(ours / "data/di") == ["a", "sub/b"]
    dvcdoit("pull", "-q", "x.txt.dvc", cwd=theirs)
    dvcdoit("pull", "-q", "-r", "other", "data/di.dvc", cwd=theirs)
    assert (theirs / "x.txt").read_text() == "x\n" and _files(theirs / "data/di") == ["a", "sub/b"]


def test_import_url_to_remote_from_http(dvcdoit: Runner, dvc: Runner, tmp_path: Path,
                                        http_server: FileServer) -> None:
    ours, theirs, _ = _twins(tmp_path, dvcdoit)
    write_tree(http_server.root, {"w.txt": "webdata\n"})
    url = f"{http_server.url}/w.txt"
    dvcdoit("import-url", "-q", url, "--to-remote", cwd=ours)
    dvc("import-url", "-q", url, "--to-remote", cwd=theirs)
    _same(ours, theirs, "w.txt.dvc", ".gitignore")
    assert _files(tmp_path / "ours-rem") == _files(tmp_path / "theirs-rem") == [
        "files/md5/a9/bd2815a04b487cae4c6b9ed8d8900f"]
    assert not (ours / ".dvc/cache").exists() and not (ours / "w.txt").exists()
    assert [p.name for p in (ours / ".dvc/tmp").iterdir() if p.name.endswith(".tmp")] == []
    dvc("pull", "-q", cwd=ours)
    assert (ours / "w.txt").read_text() == "webdata\n"


def test_an_object_that_does_not_match_its_md5_never_gets_its_name(tmp_path: Path) -> None:
    from dvcdoit.storage import intake
    from dvcdoit.storage.remotes.local import LocalRemote
    from dvcdoit.storage.remotes.urls import LocalUrl, UrlFile, UrlInfo

    write_tree(tmp_path / "d", {"a": "a\n", "b": "b\n"})
    good = "60b725f10c9c85c70d97880dfe8191b3"  # NOTE: md5 of "a\n"
    lying = UrlInfo(True, (UrlFile("a", 2, good), UrlFile("b", 2, good)))  # b's is wrong
    remote = LocalRemote(tmp_path / "rem")
    took = intake.to_remote(remote, LocalUrl(tmp_path / "d"), lying, tmp_path / "tmp", jobs=1)
    assert not took.result.ok
    assert [(name.rsplit("/", 1)[1], why.split(" was read")[0]) for name, _, why
            in took.result.failed] == [("b", f"b of {tmp_path / 'd'}")]
    # NOTE: a's object only (the one named ``good``, holding b's bytes, never appeared),
    # and no .dir: the directory is not complete on the remote
    assert _files(tmp_path / "rem") == [f"files/md5/60/{good[2:]}"]
    assert (tmp_path / "rem/files/md5/60" / good[2:]).read_text() == "a\n"
    assert _files(tmp_path / "tmp") == []


def test_an_existing_out_dvc_keeps_its_other_fields(dvcdoit: Runner, dvc: Runner,
                                                    tmp_path: Path) -> None:
    ours, theirs, ext = _twins(tmp_path, dvcdoit)
    old = ("outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n  size: 9\n  hash: md5\n"
           "  path: x.txt\n  desc: the x\n  remote: other\nmeta:\n  owner: me\n")
    for repo in (ours, theirs):
        write_tree(repo, {"x.txt.dvc": old, "data/y.txt.dvc": old.replace("x.txt", "y.txt")})
    dvcdoit("add", "-q", str(ext / "x.txt"), "--to-remote", cwd=ours)
    dvc("add", "-q", str(ext / "x.txt"), "--to-remote", cwd=theirs)
    dvcdoit("add", "-q", str(ext / "x.txt"), "-o", "data/y.txt", cwd=ours)
    dvc("add", "-q", str(ext / "x.txt"), "-o", "data/y.txt", cwd=theirs)
    _same(ours, theirs, "x.txt.dvc", "data/y.txt.dvc")
    assert "desc: the x" in (ours / "x.txt.dvc").read_text()
    assert _files(tmp_path / "ours-rem") == _files(tmp_path / "theirs-rem") != []
    assert _files(tmp_path / "ours-other") == _files(tmp_path / "theirs-other") == []


def test_autostage_stages_what_the_hint_would_name(dvcdoit: Runner, dvc: Runner,
                                                   tmp_path: Path) -> None:
    ours, theirs, ext = _twins(tmp_path, dvcdoit)
    (ours / "sub").mkdir()
    (theirs / "sub").mkdir()
    for repo, tool in ((ours, dvcdoit), (theirs, dvc)):
        tool("config", "core.autostage", "true", cwd=repo)
        res = tool("add", str(ext / "x.txt"), "-o", "../data/y.txt", cwd=repo / "sub")
        assert res.stdout == ""
        tool("add", "-q", str(ext / "d"), "--to-remote", cwd=repo / "sub")
    staged = [subprocess.run(["git", "diff", "--cached", "--name-only"], cwd=repo, check=True,
                             capture_output=True, text=True).stdout for repo in (ours, theirs)]
    assert staged[0] == staged[1]
    assert "data/y.txt.dvc\n" in staged[0] and "sub/d.dvc\n" in staged[0]
