"""Order between a dodo's own tasks and the stages, both ways, by path.

doit links two tasks only when a ``file_dep`` string equals a target string, so on its own
it misses what matters most in a pipeline: paths *inside* a stage's output directory (a
user task reading ``data/prepared/train.tsv`` when the stage's output is ``data/prepared``)
and stage deps inside a user task's target directory. :func:`link` adds both:

* a stage whose dep equals or lies inside a user task's target gets a ``task_dep`` on it;
* a user task's ``file_dep`` that lies inside a stage's output (or names it spelled
  otherwise, ``./data/prepared/``) becomes one more target of that stage, so doit's own implicit link orders the two (and doit then checks the file's
  md5 as usual: the user task reruns when the stage changed that file).

A ``file_dep`` that *is* a directory is handled by :mod:`dvcdoit.tasks.checker`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dvcdoit.pipeline.index import Index


@dataclass(frozen=True)
class StageLinks:
    """The two mutable lists of one stage task that linking extends (a dict's or a Task's)."""

    task_dep: list[str]
    targets: list[str]


def _norm(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/")).rstrip("/")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def link(index: Index, user: Iterable[Any], stages: Mapping[str, StageLinks]) -> None:
    """Link the user's doit tasks (``Task`` objects) and the stage tasks ``stages`` by path."""
    user = list(user)
    user_targets = [(_norm(t), task.name) for task in user for t in task.targets]
    taken = {_norm(t) for task in user for t in task.targets}
    for name, links in stages.items():
        stage = index.stages.get(name)
        if stage is None:
            continue
        for dep in stage.deps:
            full = stage.repo_path(dep)
            for target, owner in user_targets:
                if _inside(full, target) and owner not in links.task_dep:
                    links.task_dep.append(owner)
        outs = [_norm(stage.repo_path(o.path)) for o in stage.outs]
        for task in user:
            for dep in sorted(task.file_dep):
                norm = _norm(dep)
                inside = any(_inside(norm, out) for out in outs)
                if inside and norm not in taken and dep not in links.targets:
                    links.targets.append(dep)
