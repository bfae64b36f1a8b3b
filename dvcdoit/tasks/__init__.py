"""Layer 6, the doit adapter: stages and verbs as doit tasks, the loader, the up-to-date check.

The only layer besides :mod:`dvcdoit.cli` that imports doit. May import :mod:`dvcdoit.verbs`
and below. ``from dvcdoit.tasks import *`` in a ``dodo.py`` brings ``task_repro``,
``task_push``, ``task_pull``, ``task_fetch``, ``task_status`` and ``DOIT_CONFIG``; the doit
loader entry point is ``dvcdoit.tasks:DvcDoitLoader``.
"""

from dvcdoit.tasks.loader import (
    DOIT_CONFIG,
    DvcDoitLoader,
    doit_config,
    task_fetch,
    task_pull,
    task_push,
    task_repro,
    task_status,
)

__all__ = ["DOIT_CONFIG", "DvcDoitLoader", "doit_config", "task_fetch", "task_pull", "task_push",
           "task_repro", "task_status"]
