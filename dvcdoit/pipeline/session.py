"""One session per process: the project, its index, and everything the process remembers.

A session is made at the entry point (each CLI command, dvcdoit's doit loader, or the first
task creator of a star-importing ``dodo.py``) and passed explicitly from there. Through its
:class:`~dvcdoit.repo.project.Project` it holds the repo lock this process holds
(:class:`~dvcdoit.repo.repolock.RepoLock`), what it last wrote to each ``dvc.lock``
(:class:`~dvcdoit.formats.lock.LockWrites`) and git's answers about ``.gitignore`` entries
(:class:`~dvcdoit.repo.gitignore.Gitignores`); it loads the :class:`Index` once.

A forked child (a doit ``-n`` worker) that uses its copy opens a fresh project and index,
because a sqlite connection must not cross a fork, but keeps the repo lock it inherited. A
pickled session (doit's ``forkserver`` workers) carries only the repo root.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dvcdoit.pipeline.index import Index, load_index
from dvcdoit.repo.project import Project


class Session:
    """The repo state of one process, passed explicitly from the entry point down."""

    def __init__(self, project: Project) -> None:
        self._project = project
        self._index: Index | None = None
        self._pid = os.getpid()

    @classmethod
    def find(cls, cwd: Path | None = None) -> Session:
        """A session on the repo containing ``cwd`` (one-line error outside of a repo)."""
        return cls(Project.find(cwd))

    @property
    def root(self) -> Path:
        """The repo root."""
        return self._project.root

    @property
    def project(self) -> Project:
        """The project (config, cache, state DB, workspace, repo lock) of this process."""
        if self._pid != os.getpid():
            self._forked()
        return self._project

    @property
    def index(self) -> Index:
        """The repo's stages, locks and data sources, loaded once (see :meth:`reload`)."""
        project = self.project
        if self._index is None:
            self._index = load_index(project)
        return self._index

    def reload(self) -> Index:
        """Load the index again (after this process edited ``dvc.yaml`` or ``.dvc`` files)."""
        self._index = None
        return self.index

    def _forked(self) -> None:
        """In a forked child: a fresh project and index, the inherited repo lock kept."""
        self._project = Project(self._project.root, self._project.repo_lock)
        self._index = None
        self._pid = os.getpid()

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by root: another process opens its own project (and takes no lock)."""
        return (_reopen, (os.fspath(self._project.root),))


def _reopen(root: str) -> Session:
    return Session(Project(Path(root)))
