"""Layer 6, the doit adapter: stages and verbs as doit tasks, the loader, the up-to-date check.

The only layer besides :mod:`dvcdoit.cli` that imports doit. May import :mod:`dvcdoit.verbs`
and below. ``from dvcdoit.tasks import *`` in a ``dodo.py`` brings ``task_repro``,
``task_push``, ``task_pull``, ``task_fetch``, ``task_status``, ``task_exp_queue`` (the experiment queue,
:mod:`dvcdoit.tasks.expqueue`) and ``DOIT_CONFIG``; the doit
loader entry point is ``dvcdoit.tasks:DvcDoitLoader``.

NOTE: the names are looked up in :mod:`dvcdoit.tasks.loader` on first use (PEP 562), so that
the command line can use a small module of this package (:mod:`dvcdoit.tasks.doitdb`)
without importing doit, which costs more than a whole ``dvcdoit status``.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "DOIT_CONFIG",
    "DvcDoitLoader",
    "doit_config",
    "task_exp_queue",
    "task_fetch",
    "task_pull",
    "task_push",
    "task_repro",
    "task_status",
]


def __getattr__(name: str) -> Any:
    """The public names, from :mod:`dvcdoit.tasks.loader` (imported on first use)."""
    if name == "task_exp_queue":
        return importlib.import_module("dvcdoit.tasks.expqueue").task_exp_queue
    if name in __all__:
        return getattr(importlib.import_module("dvcdoit.tasks.loader"), name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
