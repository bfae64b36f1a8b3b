"""doit tasks for the remote verbs and status: ``doit push|pull|fetch`` and ``doit status``.

Each is a task with params (``doit push -r myremote -j 8 --run-cache data.xml.dvc``; the
leftover words are targets) that always runs when named and never runs on a bare ``doit``
(``DOIT_CONFIG`` sets ``default_tasks = ["repro"]``). They call the same functions as the
``dvcdoit`` command line (:mod:`dvcdoit.verbs.cloud`, :mod:`dvcdoit.pipeline.status`) and print the same
DVC-worded lines. Each creator takes the process's
:class:`~dvcdoit.pipeline.session.Session`, which the actions get as their first argument.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from doit.exceptions import TaskFailed

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.core.progress import bar
from dvcdoit.pipeline.session import Session
from dvcdoit.pipeline.status import status_blocks
from dvcdoit.tasks.doitdb import ignore_note, ignored_stages
from dvcdoit.verbs.report import bar_title, render_cloud_status, render_status, sync_lines

_REMOTE = {"name": "remote", "short": "r", "long": "remote", "type": str, "default": "",
           "help": "remote name (default: core.remote)"}
_JOBS = {"name": "jobs", "short": "j", "long": "jobs", "type": int, "default": 0,
         "help": "parallel transfers (default: 4 x cores)"}
_RUN_CACHE = {"name": "run_cache", "long": "run-cache", "type": bool, "default": False,
              "help": "transfer the run-cache too"}


def _emit(lines: list[str]) -> None:
    to_err = False
    for line in lines:
        to_err = line.startswith(("ERROR:", "WARNING:")) or (to_err and line.startswith("name: "))
        print(line, file=sys.stderr if to_err else sys.stdout, flush=True)


def transfer_action(session: Session, verb: str, remote: str, jobs: int, run_cache: bool,
                    targets: list[str]) -> bool | TaskFailed:
    """Action of ``push``/``pull``/``fetch``: run the verb, print DVC's summary lines."""
    from dvcdoit.verbs import (
        cloud as sync,  # NOTE: lazy: `doit repro` need not import transfer code
    )

    try:
        with bar(None, bar_title(verb)) as progress:
            res = sync.run(session, verb, list(targets), remote or None, jobs or None,
                           run_cache, False, progress)
    except DvcDoitError as exc:
        return TaskFailed(str(exc))
    lines, code = sync_lines(verb, res)
    _emit(lines)
    return True if code == 0 else TaskFailed(f"{verb} failed for some objects (see above)")


def status_action(session: Session, cloud: bool, remote: str, jobs: int, as_json: bool,
                  targets: list[str]) -> bool | TaskFailed:
    """Action of ``status``: stage and data status, or with ``-c`` the remote comparison."""
    from dvcdoit.verbs import (
        cloud as sync,  # NOTE: lazy: `doit repro` need not import transfer code
    )

    try:
        index = session.index
        wanted = index.select(list(targets))
        if cloud or remote:
            name, st = sync.cloud_status(index, wanted, remote or None, jobs or None)
            lines = render_cloud_status(st, name, as_json, indent=not remote)
        else:
            blocks, tracked = status_blocks(index, wanted)
            lines = [json.dumps(blocks)] if as_json else render_status(blocks, tracked)
            if not as_json:
                lines += [ignore_note(n) for n in
                          ignored_stages([n for n in index.stage_order() if n in blocks])]
    except DvcDoitError as exc:
        return TaskFailed(str(exc))
    _emit(lines)
    return True


def _verb_task(session: Session, verb: str, doc: str) -> dict[str, Any]:
    return {
        "basename": verb,
        "doc": doc,
        "actions": [(transfer_action, [session, verb])],
        "params": [_REMOTE, _JOBS, _RUN_CACHE],
        "pos_arg": "targets",
        "uptodate": [False],
        "verbosity": 2,
    }


def task_push(session: Session) -> dict[str, Any]:
    """Upload cached data (and with --run-cache the run-cache) to a remote."""
    return _verb_task(session, "push", task_push.__doc__ or "")


def task_pull(session: Session) -> dict[str, Any]:
    """Download data from a remote and check it out."""
    return _verb_task(session, "pull", task_pull.__doc__ or "")


def task_fetch(session: Session) -> dict[str, Any]:
    """Download data from a remote into the cache."""
    return _verb_task(session, "fetch", task_fetch.__doc__ or "")


def task_status(session: Session) -> dict[str, Any]:
    """Show changed stages and data; -c compares the cache with a remote."""
    return {
        "basename": "status",
        "doc": task_status.__doc__,
        "actions": [(status_action, [session])],
        "params": [{"name": "cloud", "short": "c", "long": "cloud", "type": bool,
                    "default": False, "help": "compare the cache with a remote"},
                   _REMOTE, _JOBS,
                   {"name": "as_json", "long": "json", "type": bool, "default": False,
                    "help": "print JSON"}],
        "pos_arg": "targets",
        "uptodate": [False],
        "verbosity": 2,
    }


TASK_NAMES = ("push", "pull", "fetch", "status")
__all__ = ["task_fetch", "task_pull", "task_push", "task_status"]
