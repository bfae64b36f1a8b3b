"""Import stages (``dvc import``, ``dvc import-url``) kept as DVC writes them (issue 11.2).

Real DVC 3.67.1 makes the imports; dvcdoit's ``status``, ``commit``, ``repro`` and ``push``
must leave the ``.dvc`` files byte for byte as DVC would, and fetch a repo import's output
from its source repo (never push it), as DVC does.
"""

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
def repo(git_repo: Path, dvc: Runner, tmp_path: Path) -> Path:
    """``git_repo`` with a frozen ``dvc import`` of a file from a local DVC repo and an
    ``import-url`` of a local file, both made by real DVC."""
    src = tmp_path / "src"
    src.mkdir()
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    write_tree(src, {"data/data.xml": "<xml/>\n"})
    dvc("init", "-q", cwd=src)
    dvc("add", "-q", "data/data.xml", cwd=src)
    _commit(src, "source")
    (tmp_path / "ext.txt").write_text("external\n")
    dvc("init", "-q")
    dvc("import", "-q", "../src", "data/data.xml", "-o", "data.xml")
    dvc("import-url", "-q", str(tmp_path / "ext.txt"), "ext.txt")
    write_tree(git_repo, {"own.txt": "own\n"})
    dvc("add", "-q", "own.txt")
    _commit(git_repo, "imports")
    return git_repo


FILES = ("data.xml.dvc", "ext.txt.dvc", "own.txt.dvc")


def _texts(root: Path) -> dict[str, str]:
    return {f: (root / f).read_text() for f in FILES}


def test_status_commit_repro_leave_imports_as_dvc_wrote_them(repo: Path, dvc: Runner,
                                                             dvcdoit: Runner) -> None:
    before = _texts(repo)
    assert dvcdoit("status").stdout == "Data and pipelines are up to date.\n"
    dvcdoit("commit", "-f")
    dvcdoit("repro")
    assert _texts(repo) == before
    assert dvc("status").stdout.startswith("Data and pipelines are up to date.")


def test_a_changed_import_output_is_recorded_as_dvc_records_it(repo: Path, dvc: Runner,
                                                               dvcdoit: Runner,
                                                               tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(repo, twin, symlinks=True)
    for root in (repo, twin):
        (root / "data.xml").unlink()
        (root / "data.xml").write_text("<changed/>\n")
    status = dvcdoit("status").stdout
    assert status == "data.xml.dvc:\n\tchanged outs:\n\t\tmodified:           data.xml\n", status
    out = dvcdoit("repro").stdout
    assert "Verifying outputs in frozen stage: 'data.xml.dvc'" in out.splitlines()
    dvc("repro", "data.xml.dvc", cwd=twin)
    assert (repo / "data.xml.dvc").read_text() == (twin / "data.xml.dvc").read_text()
    assert dvc("status").stdout.startswith("Data and pipelines are up to date.")


def test_push_skips_a_repo_import_and_pull_fetches_it_from_its_source(
        repo: Path, dvc: Runner, dvcdoit: Runner, tmp_path: Path) -> None:
    dvc("remote", "add", "-d", "-q", "store", str(tmp_path / "store"))
    _commit(repo, "remote")
    assert dvcdoit("push").stdout.splitlines()[-1] == "2 files pushed"  # ext.txt, own.txt
    assert dvcdoit("status", "-c").stdout == "Cache and remote 'store' are in sync.\n"
    assert dvc("status", "-c").stdout == "Cache and remote 'store' are in sync.\n"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    assert dvcdoit("pull", cwd=clone).returncode == 0
    assert (clone / "data.xml").read_text() == "<xml/>\n"  # NOTE: from ../src's cache
    assert (clone / "ext.txt").read_text() == "external\n"
    assert dvc("status", cwd=clone).stdout.startswith("Data and pipelines are up to date.")
