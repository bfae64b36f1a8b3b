"""dvcdoit.api and ``import`` with a git URL or a local bare repo as the source: cloned for
the call, data from the source's default remote; the same answers as real ``dvc.api`` and the
same ``.dvc`` file as real ``dvc import`` (3.67.1)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from dvcdoit import api
from dvcdoit.core.errors import PathError
from tests.conftest import Runner, _find_dvc
from tests.exppipeline import git, make_pipeline

pytestmark = pytest.mark.interop

DVC_API = """\
import json, sys
import dvc.api as a
url, calls = sys.argv[1], json.loads(sys.argv[2])
out = []
for fn, path, rev in calls:
    out.append(a.read(path, repo=url, rev=rev) if fn == "read" else a.get_url(path, repo=url,
                                                                             rev=rev))
print(json.dumps(out))
"""


@pytest.fixture
def bare(git_repo: Path, dvcdoit: Runner) -> Path:
    """A bare clone of a pipeline repo whose data is on its default remote; tag v1 is the
    first run, HEAD a second one with another model."""
    make_pipeline(git_repo, dvcdoit)
    dvcdoit("remote", "add", "-d", "store", str(git_repo.parent / "store"))
    git(git_repo, "commit", "-qam", "remote")
    dvcdoit("push", "-q")
    git(git_repo, "tag", "v1")
    params = git_repo / "params.yaml"
    params.write_text(params.read_text().replace("n_est: 50", "n_est: 59"))
    dvcdoit("repro", "-q")
    dvcdoit("push", "-q")
    git(git_repo, "commit", "-qam", "v2")
    dest = git_repo.parent / "src.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(git_repo), str(dest)], check=True)
    return dest


CALLS = [("read", "model.pkl", None), ("read", "model.pkl", "v1"),
         ("read", "data/prepared/train.txt", None), ("get_url", "model.pkl", "v1"),
         ("get_url", "data/features/f.txt", None)]


@pytest.mark.parametrize("as_url", [True, False])
def test_api_answers_as_dvc_api(bare: Path, tmp_path: Path, private_tmp: Path,
                                as_url: bool) -> None:
    exe = _find_dvc()
    assert exe is not None
    url = f"file://{bare}" if as_url else str(bare)
    ours = [api.read(p, repo=url, rev=r) if fn == "read" else api.get_url(p, repo=url, rev=r)
            for fn, p, r in CALLS]
    python = Path(exe).parent / "python"
    theirs = json.loads(subprocess.run([str(python), "-c", DVC_API, url, json.dumps(CALLS)],
                                       capture_output=True, text=True, check=True,
                                       cwd=tmp_path).stdout)
    assert ours == theirs
    assert ours[0] != ours[1]  # NOTE: v1 and HEAD hold different models
    assert not list(private_tmp.glob("dvcdoit-clone-*"))  # NOTE: no clone left


def test_api_errors_for_a_git_url(bare: Path) -> None:
    with pytest.raises(PathError) as err:
        api.read("nope.txt", repo=f"file://{bare}")
    assert str(err.value) == f"'nope.txt' is not tracked by DVC in 'file://{bare}' at revision 'HEAD'"
    with pytest.raises(PathError) as err:
        api.read("model.pkl", repo=f"file://{bare}", rev="v9")
    assert str(err.value) == (f"dvcdoit.api cannot read from 'file://{bare}': unknown Git "
                              "revision 'v9'")


def test_import_from_a_bare_repo_is_dvcs(bare: Path, tmp_path: Path, dvcdoit: Runner,
                                         dvc: Runner) -> None:
    files = []
    for name, run in (("mine", dvcdoit), ("theirs", dvc)):
        root = tmp_path / name
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        run("init", "-q", cwd=root)
        run("import", str(bare), "model.pkl", "-o", "m.pkl", "--rev", "v1", cwd=root)
        files.append(((root / "m.pkl.dvc").read_text(), (root / "m.pkl").read_bytes()))
    assert files[0] == files[1]
    dep = yaml.safe_load(files[0][0])["deps"][0]["repo"]  # NOTE: a long url is folded, as DVC does
    assert (dep["url"], dep["rev"]) == (str(bare), "v1")
