"""``import-url``, ``update``, ``get-url`` against real DVC 3.67.1 on the same sources
(local paths, moto's S3, Python's http.server): ``.dvc`` bytes, printed text, cache, and each
tool's ``status`` on the other's result (issue 11.3)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree
from tests.httpserver import FileServer

pytestmark = pytest.mark.interop
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
UP_TO_DATE = "Data and pipelines are up to date.\n"


@pytest.fixture
def env(tmp_path: Path, dvc: Runner, http_server: FileServer, s3_bucket: str,
        moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path | str]:
    """Sources (a local tree, files served over http, a bucket) and two empty DVC repos."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)  # NOTE: both tools read it
    write_tree(tmp_path / "src", {"f.txt": "hello\n", "dir/a": "a\n", "dir/sub/b": "b\n"})
    write_tree(http_server.root, {"w.txt": "webdata\n"})
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    for key, body in (("s.txt", b"s3data\n"), ("pre/a", b"a\n"), ("pre/sub/b", b"b\n")):
        s3.put_object(Bucket=s3_bucket, Key=key, Body=body)
    made: dict[str, Path | str] = {"http": http_server.url, "s3": f"s3://{s3_bucket}",
                                   "src": tmp_path / "src"}
    for name in ("ours", "theirs"):
        root = tmp_path / name
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        dvc("init", "-q", cwd=root)
        made[name] = root
    return made


def _url(env: dict[str, Path | str], spec: str) -> str:
    scheme, _, rest = spec.partition(":")
    return f"{env[scheme]}/{rest}" if scheme in ("http", "s3") else spec


def _norm(text: str) -> list[str]:
    """Printed lines, with DVC's set-ordered ``git add`` files sorted and its command name."""
    lines = []
    for line in text.replace("dvcdoit config", "dvc config").splitlines():
        if line.startswith("\tgit add "):
            line = "\tgit add " + " ".join(sorted(line.split()[2:]))
        lines.append(line)
    return lines


def _tree(root: Path) -> dict[str, bytes]:
    rels = (p.relative_to(root) for p in sorted(root.rglob("*")) if p.is_file())
    return {r.as_posix(): (root / r).read_bytes() for r in rels
            if r.parts[0] not in (".git", ".dvc")}


def _cache(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / ".dvc/cache").rglob("*")
            if p.is_file()}


CASES = [
    ["../src/f.txt"], ["../src/dir"], ["../src/f.txt", "g.txt"], ["http:w.txt"],
    ["s3:s.txt"], ["s3:pre"], ["s3:pre/", "p2"], ["../src/f.txt", "ne", "--no-exec"],
    ["../src/dir", "nd", "--no-download"], ["s3:pre", "np", "--no-download"],
    ["http:w.txt", "nw", "--no-exec"],
]


def test_import_url_writes_what_dvc_writes(env: dict[str, Path | str], dvc: Runner,
                                           dvcdoit: Runner) -> None:
    """Every case into the same two repos (one status round at the end keeps it fast)."""
    ours, theirs = Path(env["ours"]), Path(env["theirs"])
    for spec in CASES:
        args = [_url(env, spec[0]), *spec[1:]]
        mine = dvcdoit("import-url", *args, cwd=ours)
        real = dvc("import-url", *args, cwd=theirs)
        assert _norm(mine.stdout) == _norm(real.stdout), spec
        assert _tree(ours) == _tree(theirs), spec
    extra = _cache(theirs) - _cache(ours)
    # NOTE: for an S3 prefix DVC also caches the dep's etag manifest (md5 of its etags)
    assert _cache(ours) <= _cache(theirs)
    assert [e.endswith(".dir") for e in extra] == [True]
    for root in (ours, theirs):
        mine, real = dvcdoit("status", cwd=root), dvc("status", cwd=root)
        assert _blocks(mine.stdout) == _blocks(real.stdout)  # NOTE: DVC's walk order
        assert sorted(mine.stderr.splitlines()) == sorted(real.stderr.splitlines())
    done = [f"{_out_name(spec)}.dvc" for spec in CASES
            if "--no-exec" not in spec and "--no-download" not in spec]
    for root in (ours, theirs):  # NOTE: each tool's status is clean on the other's result
        assert dvc("status", *done, cwd=root).stdout == UP_TO_DATE
        assert dvcdoit("status", *done, cwd=root).stdout == UP_TO_DATE


def _blocks(text: str) -> list[str]:
    """A status text as its sorted stage blocks (a block starts at an unindented line)."""
    blocks: list[str] = []
    for line in text.splitlines():
        if line.startswith("\t") and blocks:
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return sorted(blocks)


def _out_name(spec: list[str]) -> str:
    return spec[1] if len(spec) > 1 else spec[0].rstrip("/").rpartition("/")[2].rpartition(":")[2]


def test_status_warns_of_frozen_stages_as_dvc(env: dict[str, Path | str], dvc: Runner,
                                              dvcdoit: Runner) -> None:
    ours = Path(env["ours"])
    for url in ("../src/f.txt", "../src/dir", _url(env, "s3:s.txt")):
        dvcdoit("import-url", "-q", url, cwd=ours)
    mine, real = dvcdoit("status", cwd=ours), dvc("status", cwd=ours)
    assert (mine.stdout, sorted(mine.stderr.splitlines())) == (
        real.stdout, sorted(real.stderr.splitlines()))
    assert "WARNING: stage: 'dir.dvc' is frozen. Its dependencies are not going to be shown " \
           "in the status output." in mine.stderr
    assert dvcdoit("status", "-q", cwd=ours).stderr == ""


def _both(env: dict[str, Path | str], fn: Callable[[Path], None]) -> None:
    for name in ("ours", "theirs"):
        fn(Path(env[name]))


def test_update_refetches_changed_sources_as_dvc(env: dict[str, Path | str], dvc: Runner,
                                                 dvcdoit: Runner) -> None:
    import boto3

    ours, theirs = Path(env["ours"]), Path(env["theirs"])
    urls = ["../src/f.txt", "../src/dir", _url(env, "s3:s.txt"), _url(env, "s3:pre"),
            _url(env, "http:w.txt")]
    for url in urls:
        dvcdoit("import-url", "-q", url, cwd=ours)
        dvc("import-url", "-q", url, cwd=theirs)
    targets = ["f.txt.dvc", "dir.dvc", "s.txt.dvc", "pre.dvc", "w.txt.dvc"]
    mine, real = dvcdoit("update", *targets, cwd=ours), dvc("update", *targets, cwd=theirs)
    assert sorted(mine.stdout.splitlines()) == sorted(real.stdout.splitlines())
    assert "'dir.dvc' didn't change, skipping" in mine.stdout
    src = Path(env["src"])
    (src / "f.txt").write_text("changed\n")
    (src / "dir/sub/b").write_text("b2\n")
    s3 = boto3.client("s3", endpoint_url=None, region_name="us-east-1")
    s3.put_object(Bucket=str(env["s3"])[5:], Key="pre/sub/b", Body=b"bb\n")
    s3.put_object(Bucket=str(env["s3"])[5:], Key="s.txt", Body=b"s3 v2\n")
    mine, real = dvcdoit("update", *targets, cwd=ours), dvc("update", *targets, cwd=theirs)
    assert sorted(mine.stdout.splitlines()) == sorted(real.stdout.splitlines())
    assert f"Importing '{src / 'dir'}' -> 'dir'" in mine.stdout
    assert _tree(ours) == _tree(theirs)
    assert (ours / "s.txt").read_text() == "s3 v2\n"
    for root in (ours, theirs):
        assert dvc("status", cwd=root).stdout == UP_TO_DATE
        assert dvcdoit("status", cwd=root).stdout == UP_TO_DATE


def test_update_no_download_clears_the_output_as_dvc(env: dict[str, Path | str], dvc: Runner,
                                                     dvcdoit: Runner) -> None:
    ours, theirs = Path(env["ours"]), Path(env["theirs"])
    dvcdoit("import-url", "-q", "../src/dir", cwd=ours)
    dvc("import-url", "-q", "../src/dir", cwd=theirs)
    (Path(env["src"]) / "dir/a").write_text("new\n")
    mine = dvcdoit("update", "--no-download", "dir.dvc", cwd=ours)
    real = dvc("update", "--no-download", "dir.dvc", cwd=theirs)
    assert mine.stdout == real.stdout
    assert _tree(ours) == _tree(theirs)
    assert not (ours / "dir").exists()
    assert dvc("status", cwd=ours).stdout == dvc("status", cwd=theirs).stdout
    mine, real = dvcdoit("update", "dir.dvc", cwd=ours), dvc("update", "dir.dvc", cwd=theirs)
    assert mine.stdout == real.stdout
    assert _tree(ours) == _tree(theirs)


def test_update_of_a_repo_import_and_of_plain_data(env: dict[str, Path | str], tmp_path: Path,
                                                   dvc: Runner, dvcdoit: Runner) -> None:
    ours, theirs = Path(env["ours"]), Path(env["theirs"])
    reg = tmp_path / "registry"
    reg.mkdir()
    subprocess.run(["git", "init", "-q", str(reg)], check=True)
    dvc("init", "-q", cwd=reg)
    write_tree(reg, {"data.xml": "<v1/>\n"})
    dvc("add", "-q", "data.xml", cwd=reg)
    subprocess.run(["git", "-C", str(reg), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(reg), "commit", "-qm", "v1"], check=True)
    subprocess.run(["git", "-C", str(reg), "tag", "v1"], check=True)
    (reg / "data.xml").write_text("<v2/>\n")
    dvc("add", "-q", "data.xml", cwd=reg)
    subprocess.run([*GIT, "-C", str(reg), "commit", "-qam", "v2"], check=True)
    for root in (ours, theirs):
        dvc("import", "-q", "../registry", "data.xml", "--rev", "v1", cwd=root)
        write_tree(root, {"plain.txt": "p\n"})
        dvc("add", "-q", "plain.txt", cwd=root)
    mine = dvcdoit("update", "--rev", "HEAD", "data.xml.dvc", cwd=ours)
    real = dvc("update", "--rev", "HEAD", "data.xml.dvc", cwd=theirs)
    assert mine.stdout == real.stdout == "Importing 'data.xml (../registry)' -> 'data.xml'\n"
    assert _tree(ours) == _tree(theirs)
    assert (ours / "data.xml").read_text() == "<v2/>\n"
    mine = dvcdoit("update", "plain.txt.dvc", cwd=ours)
    real = dvc("update", "plain.txt.dvc", cwd=theirs)
    assert (mine.stdout, mine.stderr) == (real.stdout, real.stderr)
    mine = dvcdoit("update", "--rev", "nope", "data.xml.dvc", cwd=ours, check=False)
    real = dvc("update", "--rev", "nope", "data.xml.dvc", cwd=theirs, check=False)
    assert mine.stderr == real.stderr == "ERROR: failed update data - unknown Git revision 'nope'\n"
    gone = Path(env["src"]) / "gone.txt"
    gone.write_text("soon gone\n")
    for root in (ours, theirs):
        dvc("import-url", "-q", str(gone), cwd=root)
    gone.unlink()
    mine = dvcdoit("update", "gone.txt.dvc", cwd=ours, check=False)
    real = dvc("update", "gone.txt.dvc", cwd=theirs, check=False)
    assert (mine.returncode, real.returncode) == (3, 1)
    assert (mine.stdout, mine.stderr) == (real.stdout, real.stderr)
    assert mine.stderr == f"ERROR: failed update data - dependency '{gone}' does not exist\n"
    # NOTE: DVC has removed its copy of the output by then; dvcdoit leaves it in place
    assert not (theirs / "gone.txt").exists()
    assert (ours / "gone.txt").read_text() == "soon gone\n"
    assert _tree(ours) == {**_tree(theirs), "gone.txt": b"soon gone\n"}


def test_bad_urls_are_one_line_and_leave_nothing(env: dict[str, Path | str], dvcdoit: Runner,
                                                 tmp_path: Path) -> None:
    ours = Path(env["ours"])
    locked = FileServer(tmp_path / "served", credentials=("u", "pw"))
    tail = "You could also try downloading it manually, and adding it with `dvcdoit add`. - "
    src = Path(env["src"])
    try:
        cases = [
            ("../src/nope", f"dependency '{src / 'nope'}' does not exist"),
            (_url(env, "http:nope.txt"), f"dependency '{env['http']}/nope.txt' does not exist"),
            (f"{locked.url}/w.txt", (f"cannot read '{locked.url}/w.txt': 401 Unauthorized; "
             "check user and password")),
            ("http://u:secret@127.0.0.1:9/x", ("cannot read 'http://127.0.0.1:9/x': connection "
             "refused")),
            (_url(env, "s3:nope"), f"dependency '{env['s3']}/nope' does not exist"),
            ("s3://no-such-bucket-here/x", ("dependency 's3://no-such-bucket-here/x' does not "
             "exist")),
            ("ftp://h/x", ("unsupported URL type ftp:// (dvcdoit reads local paths, s3:// and "
             "http(s):// URLs)")),
        ]
        for url, why in cases:
            proc = dvcdoit("import-url", url, cwd=ours, check=False)
            shown = url.replace("u:secret@", "")
            assert (proc.returncode, proc.stderr) == (
                3, f"ERROR: failed to import {shown}. {tail}{why}\n"), url
        assert sorted(p.name for p in ours.iterdir()) == [".dvc", ".dvcignore", ".git"]
        assert _cache(ours) == set()
        write_tree(locked.root, {"w.txt": "locked\n"})
        url = locked.url.replace("://", "://u:pw@") + "/w.txt"
        dvcdoit("import-url", "-q", url, "lw.txt", cwd=ours)  # NOTE: URL credentials are basic auth
        assert (ours / "lw.txt").read_text() == "locked\n"
        (ours / "lw.txt").unlink()
        (ours / "lw.txt.dvc").unlink()
        (ours / ".gitignore").unlink()
    finally:
        locked.close()
    dvcdoit("import-url", "-q", "../src/f.txt", cwd=ours)
    proc = dvcdoit("import-url", "../src/f.txt", cwd=ours, check=False)
    assert proc.stderr == (f"ERROR: failed to import ../src/f.txt. {tail}The file 'f.txt' "
                           "already exists locally. To override it, re-run with '--force'.\n")
    assert dvcdoit("import-url", "-f", "-q", "../src/f.txt", cwd=ours).returncode == 0


def test_push_and_pull_treat_import_url_outputs_as_dvc(env: dict[str, Path | str], dvc: Runner,
                                                       dvcdoit: Runner, tmp_path: Path) -> None:
    ours, theirs = Path(env["ours"]), Path(env["theirs"])
    for root, tool in ((ours, dvcdoit), (theirs, dvc)):
        tool("import-url", "-q", "../src/dir", cwd=root)
        tool("import-url", "-q", _url(env, "http:w.txt"), cwd=root)
        dvc("remote", "add", "-q", "-d", "r", str(tmp_path / f"store-{root.name}"), cwd=root)
    assert dvcdoit("push", cwd=ours).stdout == dvc("push", cwd=theirs).stdout == \
        "4 files pushed\n"
    for root, tool in ((ours, dvcdoit), (theirs, dvc)):
        shutil.rmtree(root / ".dvc/cache")
        shutil.rmtree(root / "dir")
        (Path(env["src"]) / "dir/a").write_text("changed at the source\n")
        tool("pull", "-q", cwd=root)
        assert (root / "dir/a").read_text() == "a\n"  # NOTE: from the remote, not the source


def test_get_url_copies_as_dvc(env: dict[str, Path | str], dvc: Runner, dvcdoit: Runner,
                               tmp_path: Path) -> None:
    for name, tool in (("a", dvcdoit), ("b", dvc)):
        work = tmp_path / name
        work.mkdir()
        for args in (["../src/f.txt"], ["../src/dir"], [_url(env, "http:w.txt"), "x.txt"],
                     [_url(env, "s3:pre"), "p"]):
            assert tool("get-url", *args, cwd=work).stdout == ""
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    again = dvcdoit("get-url", "../src/f.txt", cwd=tmp_path / "a", check=False)
    assert again.stderr == ("ERROR: failed to get '../src/f.txt' - The file 'f.txt' already "
                            "exists locally. To override it, re-run with '--force'.\n")
    gone = dvcdoit("get-url", "../src/nope", cwd=tmp_path / "a", check=False)
    assert gone.stderr == ("ERROR: failed to get '../src/nope' - The path '../src/nope' does "
                           "not exist\n")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["dir", "f.txt", "p", "x.txt"]


def test_import_url_into_a_subdirectory_as_dvc(env: dict[str, Path | str], dvc: Runner,
                                               dvcdoit: Runner) -> None:
    """DVC resolves a relative URL from the ``.dvc`` file's directory, and rewrites a path
    inside the repo relative to it; its messages name an in-repo path from the cwd."""
    ours, theirs = Path(env["ours"]), Path(env["theirs"])
    for root in (ours, theirs):
        write_tree(root, {"data/.keep": "", "src/in.txt": "in\n"})
    for args in (["../src/f.txt", "data/f.txt"], ["src/in.txt", "data/in.txt"],
                 ["../../src/f.txt", "data/rel.txt"]):
        mine = dvcdoit("import-url", *args, cwd=ours, check=False)
        real = dvc("import-url", *args, cwd=theirs, check=False)
        assert _norm(mine.stdout) == _norm(real.stdout)
        assert mine.stderr.replace("dvcdoit add", "dvc add") == real.stderr
    assert _tree(ours) == _tree(theirs)
    assert "path: ../src/in.txt" in (ours / "data/in.txt.dvc").read_text()


def test_import_and_get_from_a_git_url_as_dvc(env: dict[str, Path | str], tmp_path: Path,
                                              private_tmp: Path, dvc: Runner,
                                              dvcdoit: Runner) -> None:
    """A git URL is cloned; the data comes from the source's default remote."""
    ours, theirs = Path(env["ours"]), Path(env["theirs"])
    reg = tmp_path / "registry"
    reg.mkdir()
    subprocess.run(["git", "init", "-q", str(reg)], check=True)
    dvc("init", "-q", cwd=reg)
    write_tree(reg, {"data.xml": "<v1/>\n", "imgs/a.png": "a", "imgs/sub/b.png": "b"})
    dvc("add", "-q", "data.xml", "imgs", cwd=reg)
    dvc("remote", "add", "-q", "-d", "store", str(tmp_path / "regstore"), cwd=reg)
    dvc("push", "-q", cwd=reg)
    subprocess.run(["git", "-C", str(reg), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(reg), "commit", "-qm", "v1"], check=True)
    url = reg.as_uri()
    for args in (["data.xml"], ["imgs"], ["imgs/sub/b.png", "-o", "b.png"]):
        mine = dvcdoit("import", url, *args, cwd=ours)
        real = dvc("import", url, *args, cwd=theirs)
        assert _norm(mine.stdout) == _norm(real.stdout)
    assert _tree(ours) == _tree(theirs)
    assert dvc("status", cwd=ours).stdout == UP_TO_DATE
    dvcdoit("get", url, "imgs", "-o", str(tmp_path / "got"), cwd=ours)
    assert (tmp_path / "got/sub/b.png").read_text() == "b"
    assert not list(private_tmp.glob("dvcdoit-clone-*"))
