"""``dvcdoit import`` and ``get`` from a local DVC repo, byte for byte as real DVC (issue 11.3)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Runner, write_tree

pytestmark = pytest.mark.interop
GIT = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]


def _commit(root: Path, message: str) -> None:
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run([*GIT, "-C", str(root), "commit", "-qm", message], check=True)


@pytest.fixture
def src(tmp_path: Path, dvc: Runner) -> Path:
    """A DVC repo with a tracked file and a tracked directory, tagged v1 then changed."""
    root = tmp_path / "registry"
    root.mkdir()
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    write_tree(root, {"data/data.xml": "<v1/>\n", "images/a.png": "a", "images/sub/b.png": "b"})
    dvc("init", "-q", cwd=root)
    dvc("add", "-q", "data/data.xml", "images", cwd=root)
    _commit(root, "v1")
    subprocess.run(["git", "-C", str(root), "tag", "v1"], check=True)
    (root / "data/data.xml").write_text("<v2/>\n")
    dvc("add", "-q", "data/data.xml", cwd=root)
    _commit(root, "v2")
    return root


@pytest.fixture
def twins(tmp_path: Path, dvc: Runner) -> tuple[Path, Path]:
    """Two empty DVC repos beside the registry: one for dvcdoit, one for DVC."""
    made = []
    for name in ("ours", "theirs"):
        root = tmp_path / name
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        dvc("init", "-q", cwd=root)
        made.append(root)
    return made[0], made[1]


CASES = [
    ["../registry", "data/data.xml"],
    ["../registry", "data/data.xml", "--rev", "v1", "-o", "old.xml"],
    ["../registry", "images"],
    ["../registry", "images/sub/b.png", "-o", "b.png"],
    ["../registry", "data/data.xml", "--no-exec", "-o", "ne.xml"],
    ["../registry", "data/data.xml", "--no-download", "-o", "nd.xml"],
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a[1:]))
def test_import_writes_what_dvc_writes(src: Path, twins: tuple[Path, Path], dvc: Runner,
                                       dvcdoit: Runner, args: list[str]) -> None:
    ours, theirs = twins
    out = dvcdoit("import", *args, cwd=ours).stdout
    assert out.startswith(f"Importing '{args[1]} ({args[0]})' -> '"), out
    dvc("import", "-q", *args, cwd=theirs)
    made = sorted(p.name for p in theirs.iterdir() if p.name not in (".git", ".dvc"))
    assert sorted(p.name for p in ours.iterdir() if p.name not in (".git", ".dvc")) == made
    for name in made:
        if name.endswith(".dvc") or name == ".gitignore":
            assert (ours / name).read_text() == (theirs / name).read_text(), name
    assert dvc("status", cwd=ours).stdout == dvc("status", cwd=theirs).stdout, args


def test_imported_data_is_checked_out_and_dvc_reads_our_import(src: Path,
                                                               twins: tuple[Path, Path],
                                                               dvc: Runner,
                                                               dvcdoit: Runner) -> None:
    ours, _ = twins
    dvcdoit("import", "../registry", "images", cwd=ours)
    dvcdoit("import", "--rev", "v1", "../registry", "data/data.xml", cwd=ours)
    assert (ours / "images/sub/b.png").read_text() == "b"
    assert (ours / "data.xml").read_text() == "<v1/>\n"
    shutil.rmtree(ours / "images")
    dvc("checkout", "-q", cwd=ours)
    assert (ours / "images/a.png").read_text() == "a"


def test_bad_imports_are_one_line(src: Path, twins: tuple[Path, Path],
                                  dvcdoit: Runner, tmp_path: Path) -> None:
    ours, _ = twins
    (tmp_path / "plain").mkdir()
    dvcdoit("import", "../registry", "data/data.xml", cwd=ours)
    cases = [
        (["../registry", "data/data.xml"],
         ("ERROR: failed to import 'data/data.xml' from '../registry'. - The file 'data.xml' "
          "already exists locally. To override it, re-run with '--force'.")),
        (["../registry", "data/data.xml", "--rev", "nope", "-o", "q"],
         "ERROR: failed to import from '../registry': unknown Git revision 'nope'"),
        (["../registry", "nope.txt"],
         ("ERROR: failed to import 'nope.txt' from '../registry': 'nope.txt' is not tracked "
          "by DVC at revision 'HEAD' (only DVC-tracked data can be imported)")),
        (["../plain", "x"], ("ERROR: failed to import from '../plain': no git repository "
                             "was found at ../plain")),
        ([(tmp_path / "nowhere").as_uri(), "x"],
         (f"ERROR: failed to import from '{(tmp_path / 'nowhere').as_uri()}': cannot clone it "
          f"with git: fatal: '{tmp_path / 'nowhere'}' does not appear to be a git repository")),
        ([(tmp_path / "plain").as_uri(), "x"],
         (f"ERROR: failed to import from '{(tmp_path / 'plain').as_uri()}': cannot clone it "
          f"with git: fatal: '{tmp_path / 'plain'}' does not appear to be a git repository")),
    ]
    for args, message in cases:
        proc = dvcdoit("import", *args, cwd=ours, check=False)
        assert (proc.returncode, proc.stderr.strip()) == (3, message), args
    assert dvcdoit("import", "-f", "../registry", "data/data.xml", cwd=ours).returncode == 0


def test_get_copies_without_tracking(src: Path, tmp_path: Path, dvcdoit: Runner) -> None:
    work = tmp_path / "work"
    work.mkdir()
    dvcdoit("get", str(src), "images", cwd=work)
    dvcdoit("get", str(src), "data/data.xml", "--rev", "v1", "-o", "old.xml", cwd=work)
    dvcdoit("get", str(src), "images/sub/b.png", cwd=work)
    assert (work / "images/sub/b.png").read_text() == "b"
    assert (work / "old.xml").read_text() == "<v1/>\n"
    assert (work / "b.png").read_text() == "b"
    assert sorted(p.name for p in work.iterdir()) == ["b.png", "images", "old.xml"]
    again = dvcdoit("get", str(src), "images", cwd=work, check=False)
    assert again.returncode == 3 and "already exists; use --force" in again.stderr
