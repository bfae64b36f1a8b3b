"""Repo-wide verbs in process: push / fetch / pull / status -c / checkout / commit.

The remotes are :class:`tests.fakes.MemoryRemote`, reached through the verbs' ``opener``
seam; faults are injected per object.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dvcdoit.core.hashing import HashInfo
from dvcdoit.formats import config
from dvcdoit.formats.config import RemoteConfig
from dvcdoit.pipeline import stage
from dvcdoit.pipeline.index import Index, load_index
from dvcdoit.pipeline.session import Session
from dvcdoit.repo import sources
from dvcdoit.repo.project import Project, init
from dvcdoit.repo.workspace import Changed
from dvcdoit.storage.remotes import Remote
from dvcdoit.verbs import cloud
from dvcdoit.verbs.checkout import checkout
from dvcdoit.verbs.commit import commit
from dvcdoit.verbs.tracked import tracked
from tests.conftest import write_tree
from tests.fakes import MemoryRemote

DVC_YAML = """stages:
  train:
    cmd: python -c "open('model.pkl', 'w').write('m'); open('log.txt', 'w').write('l')"
    outs: [model.pkl, log.txt]
  later:
    cmd: echo never run
    deps: [model.pkl]
    outs: [never.txt]
"""


class Remotes:
    """One MemoryRemote per configured remote name; the opener the verbs take."""

    def __init__(self) -> None:
        self.by_name: dict[str, MemoryRemote] = {}

    def __call__(self, cfg: RemoteConfig) -> Remote:
        return self.by_name.setdefault(cfg.name, MemoryRemote(f"memory://{cfg.name}"))

    def __getitem__(self, name: str) -> MemoryRemote:
        return self.by_name.setdefault(name, MemoryRemote(f"memory://{name}"))


@pytest.fixture
def project(git_repo: Path) -> Project:
    """A repo with a data file, a data directory and a stage that ran; default remote 'r'."""
    init(git_repo)
    config.add_remote(git_repo / ".dvc", "r", str(git_repo.parent / "unused"), default=True)
    write_tree(git_repo, {"data.txt": "data\n", "d/a.txt": "a\n", "d/b.txt": "b\n",
                          "dvc.yaml": DVC_YAML})
    proj = Project(git_repo)
    for rel in ("data.txt", "d"):
        sources.add(proj.workspace, git_repo / rel, {})
    index = load_index(proj)
    sdef = index.stages["train"]
    stage.record(git_repo, sdef, stage.run(proj.workspace, sdef, None, force=True))
    return Project(git_repo)


def _index(project: Project) -> Index:
    return load_index(Project(project.root))


def _rel(project: Project, hi: HashInfo) -> str:
    return project.cache.path_for(hi).relative_to(project.cache.root).as_posix()


def _drop_cache(project: Project) -> None:
    shutil.rmtree(project.cache.root)


def test_tracked_follows_the_selection(project: Project) -> None:
    index = _index(project)
    assert [t.path for t in tracked(index, index.select([]))] == [
        "d", "data.txt", "model.pkl", "log.txt"]  # sources, then stages; `later` never ran
    assert [t.path for t in tracked(index, index.select(["model.pkl"]))] == ["model.pkl"]
    assert [t.path for t in tracked(index, index.select(["train", "d"]))] == [
        "d", "model.pkl", "log.txt"]
    assert tracked(index, index.select(["later"])) == []  # a stage that never ran uses nothing


def test_push_status_fetch_pull_round_trip(project: Project) -> None:
    remotes = Remotes()
    index = _index(project)
    everything = index.select([])
    name, before = cloud.cloud_status(index, everything, opener=remotes)
    assert name == "r"
    assert before == {"d": "new", "d/a.txt": "new", "d/b.txt": "new", "data.txt": "new",
                      "model.pkl": "new", "log.txt": "new"}
    pushed = cloud.push(index, everything, opener=remotes)
    assert pushed.ok
    assert len(pushed.result.transferred) == len(remotes["r"].objects) == 6  # d: .dir + 2 files
    assert cloud.cloud_status(index, everything, opener=remotes) == ("r", {})

    _drop_cache(project)
    (project.root / "data.txt").unlink()
    fresh = _index(project)
    pulled = cloud.pull(fresh, fresh.select(["data.txt"]), opener=remotes)
    assert pulled.ok
    assert [t[0] for t in pulled.result.transferred] == ["data.txt"]
    assert pulled.checkout == (("A", "data.txt"),)
    assert (project.root / "data.txt").read_text() == "data\n"

    fetched = cloud.fetch(fresh, fresh.select([]), opener=remotes)
    assert fetched.ok
    assert len(fetched.result.transferred) == 5  # everything but data.txt, which pull fetched
    assert remotes["r"].calls["upload"] == 6


def test_push_of_one_output_moves_that_output_only(project: Project) -> None:
    remotes = Remotes()
    index = _index(project)
    res = cloud.push(index, index.select(["model.pkl"]), opener=remotes)
    assert [t[0] for t in res.result.transferred] == ["model.pkl"]
    lock = index.locks["train"].out("model.pkl")
    assert lock is not None and lock.hash is not None
    assert list(remotes["r"].objects) == [_rel(project, lock.hash)]


def test_failures_are_reported_per_object(project: Project) -> None:
    remotes = Remotes()
    index = _index(project)
    data_hi = index.sources["data.txt.dvc"].file.outs[0].hash
    assert data_hi is not None
    remotes["r"].fail_uploads.add(_rel(project, data_hi))
    pushed = cloud.push(index, index.select([]), opener=remotes)
    assert not pushed.ok
    assert [(f[0], f[2]) for f in pushed.result.failed] == [
        ("data.txt", f"remote memory://r: upload {_rel(project, data_hi)} failed: injected")]
    assert len(pushed.result.transferred) == 5

    remotes["r"].fail_uploads.clear()
    assert cloud.push(index, index.select([]), opener=remotes).ok
    model = index.locks["train"].out("model.pkl")
    assert model is not None and model.hash is not None
    remotes["r"].fail_downloads.add(_rel(project, model.hash))
    _drop_cache(project)
    for rel in ("data.txt", "model.pkl"):
        (project.root / rel).unlink()
    fresh = _index(project)
    pulled = cloud.pull(fresh, fresh.select([]), opener=remotes)
    assert not pulled.ok
    assert [f[0] for f in pulled.result.failed] == ["model.pkl"]
    assert ("A", "data.txt") in pulled.checkout  # the others are still restored
    assert len(pulled.checkout_failures) == 1
    assert "model.pkl" in pulled.checkout_failures[0]
    assert not (project.root / "model.pkl").exists()


def test_missing_objects_and_status_on_the_remote(project: Project) -> None:
    remotes = Remotes()
    index = _index(project)
    cloud.push(index, index.select(["data.txt"]), opener=remotes)
    _drop_cache(project)
    fresh = _index(project)
    fetched = cloud.fetch(fresh, fresh.select(["data.txt", "model.pkl"]), opener=remotes)
    assert [t[0] for t in fetched.result.transferred] == ["data.txt"]
    assert [m[0] for m in fetched.result.missing] == ["model.pkl"]
    _, st = cloud.cloud_status(fresh, fresh.select(["model.pkl", "data.txt"]), opener=remotes)
    assert st == {"model.pkl": "missing"}  # in neither the cache nor the remote


def test_an_explicit_remote_and_the_run_verb(project: Project) -> None:
    remotes = Remotes()
    config.add_remote(project.root / ".dvc", "two", str(project.root.parent / "two"))
    res = cloud.run(Session(Project(project.root)), "push", ["d"], remote="two", opener=remotes)
    assert res.ok
    assert len(remotes["two"].objects) == 3
    assert "r" not in remotes.by_name
    with pytest.raises(ValueError, match="unknown transfer verb 'pushh'"):
        cloud.run(Session(Project(project.root)), "pushh", [], opener=remotes)


def test_checkout_restores_and_reports(project: Project) -> None:
    (project.root / "data.txt").unlink()
    (project.root / "d/a.txt").write_text("changed\n")
    index = _index(project)
    changes, failures, counts = checkout(index, index.select(["data.txt"]))
    assert (changes, failures, counts) == ([("A", "data.txt")], [], Changed(added=1))
    changes, failures, counts = checkout(index, index.select([]), force=True)
    assert (changes, failures, counts) == ([("M", "d/")], [], Changed(modified=1))
    assert (project.root / "d/a.txt").read_text() == "a\n"


def test_commit_records_changed_sources_and_stages(project: Project) -> None:
    (project.root / "data.txt").write_text("new data\n")
    (project.root / "model.pkl").write_text("new model")
    index = _index(project)
    assert commit(index, index.select(["data.txt"])) == ["data.txt.dvc"]
    assert "md5: " in (project.root / "data.txt.dvc").read_text()
    again = _index(project)
    assert sources.status(again.project.workspace, again.sources["data.txt.dvc"]) is None
    assert commit(again, again.select(["model.pkl"])) == ["train"]
    after = _index(project)
    assert commit(after, after.select(["train", "d", "data.txt"])) == []  # nothing changed
    model = after.locks["train"].out("model.pkl")
    assert model is not None and model.hash is not None
    assert after.project.cache.has(model.hash)
