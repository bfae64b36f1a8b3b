"""The doit adapter: DVC stages as the group task ``repro`` (``repro:<stage>`` subtasks).

Use it either way:

* ``from dvcdoit.tasks import *`` in a dodo.py: brings ``task_repro`` and ``DOIT_CONFIG``
  (``default_tasks = ["repro"]``; define your own ``DOIT_CONFIG`` after the import to change
  it, e.g. ``DOIT_CONFIG = doit_config(verbosity=2)``). A user task whose ``file_dep`` names a
  stage output runs after the stage (the outputs are the stage's doit ``targets``).
* the loader, ``loader = "dvcdoit"`` under ``[tool.doit]`` (entry point ``doit.LOADER``), or
  ``dvcdoit repro``: loads ``dvc.yaml`` plus ``dodo.py`` if present, and also makes a stage
  whose dep is (inside) a user task's target depend on that task, and refuses user tasks
  named like ours.

Stage deps are not doit ``file_dep``s: :class:`dvcdoit.tasks.uptodate.StageUpToDate` checks them
against ``dvc.lock``. Actions are module-level functions with picklable args (``doit -n``
works in process mode, also with ``forkserver``); the lock entry travels back as the
action's value and is written by the main process. The other verbs (push/pull/fetch/status)
live in :mod:`dvcdoit.tasks.remote`; their ``task_*`` creators are re-exported here.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doit.cmd_base import DodoTaskLoader
from doit.exceptions import InvalidDodoFile
from doit.loader import generate_tasks

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.session import Session
from dvcdoit.tasks import expqueue
from dvcdoit.tasks import remote as tasks_remote
from dvcdoit.tasks.actions import source_action, stage_action
from dvcdoit.tasks.checker import MD5Checker
from dvcdoit.tasks.clean import clean_action
from dvcdoit.tasks.doitdb import our_db, user_settings
from dvcdoit.tasks.linking import StageLinks, link
from dvcdoit.tasks.remote import TASK_NAMES
from dvcdoit.tasks.reporter import DvcReporter
from dvcdoit.tasks.uptodate import SourceUpToDate, StageUpToDate
from dvcdoit.tasks.verbnotes import loading_command, tell_notes

BASENAME = "repro"


def doit_config(**overrides: Any) -> dict[str, Any]:
    """dvcdoit's DOIT_CONFIG with ``overrides`` applied.

    ``default_tasks = ["repro"]`` (a bare ``doit`` never pushes), DVC's lines for stages
    (:class:`~dvcdoit.tasks.reporter.DvcReporter`), and doit's own dep DB goes
    to ``.dvc/tmp/doit.sqlite3`` (git-ignored, like the rest of ``.dvc/tmp``) with the sqlite3
    backend, which concurrent doit runs share safely; nothing of doit's lands in the repo root.
    dvcdoit never needs that DB: stages are checked against ``dvc.lock``.
    """
    cfg: dict[str, Any] = {"default_tasks": [BASENAME]}
    db = our_db(Path.cwd())
    # NOTE: doit lets DOIT_CONFIG override pyproject.toml and doit.cfg, so our defaults step
    # aside themselves: a user's own choice there always wins
    chosen = user_settings(Path.cwd())
    if db is not None and not ({"dep_file", "backend"} & chosen.keys()):
        # NOTE: the directory is made when tasks are created (:func:`stage_task_dicts`), not
        # here: importing dvcdoit.tasks writes nothing
        cfg.update(dep_file=db[0], backend=db[1])
    if "check_file_uptodate" not in chosen:
        cfg["check_file_uptodate"] = MD5Checker  # NOTE: directories in file_dep work
    if "reporter" not in chosen:
        cfg["reporter"] = DvcReporter  # NOTE: DVC's sentences; `doit --reporter X` still wins
    return {**cfg, **overrides}


def __getattr__(name: str) -> Any:
    """``DOIT_CONFIG``: :func:`doit_config` made when it is asked for (a dodo's star import),
    so its paths are the repo of that moment, not of whoever imported this module first."""
    if name == "DOIT_CONFIG":
        return doit_config()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


@dataclass(frozen=True)
class RunOptions:
    """How ``repro`` runs its stages: ``--force``, ``--no-run-cache``, and what it tells.

    ``reasons``: a stage that runs first prints why (doit's routes do; ``dvcdoit repro``
    only with ``-v``, its default output is DVC's, through :mod:`dvcdoit.tasks.reporter`).
    """

    force: bool = False
    use_run_cache: bool = True
    reasons: bool = True
    only: frozenset[str] | None = None
    """``repro -s``/``--downstream``: just these stages, ``task_dep`` among them only (doit's
    ``run -s`` runs the first task named and no more)."""
    allow_missing: bool = False
    """``repro --allow-missing``: a stage whose only changes are missing data is unchanged."""
    pull: bool = False
    """``repro --pull``: such a stage's outputs are pulled instead of run (DVC's order)."""
    interactive: bool = False
    """``repro -i``: ask before each stage runs."""
    cluster: Any = field(default=None, compare=False)
    """``repro --executor dask``: the :class:`dvcdoit.verbs.daskrepro.DaskStages` that runs
    the commands of the stages it takes (doit's thread runner: it is not pickled)."""


@dataclass
class DodoRun:
    """What the task creators of one doit run share: the session and the run options.

    The loader makes one; a star-importing ``dodo.py`` gets one in its namespace (under
    :data:`DODO_KEY`) from the first creator doit calls, since doit calls creators bare.
    """

    session: Session
    options: RunOptions = field(default_factory=RunOptions)


DODO_KEY = "__dvcdoit_run__"


def _targets(session: Session, stage: Any, allow_missing: bool) -> list[str]:
    """The stage's outputs as doit ``targets``; with ``--allow-missing`` only those that
    exist (doit runs a task whose target is missing, whatever its up-to-date check says)."""
    paths = [stage.repo_path(o.path) for o in stage.outs]
    return [p for p in paths if (session.root / p).exists()] if allow_missing else paths


def _task_dep(index: Index, name: str, only: frozenset[str] | None = None) -> list[str]:
    return [f"{BASENAME}:{up}" for up in index.graph.edges[name] if only is None or up in only]


def stage_task_dicts(session: Session, options: RunOptions | None = None,
                     ) -> Iterator[dict[str, Any]]:
    """Yield one doit task dict per data source and stage, in graph order."""
    opts = options or RunOptions()
    index = session.index
    session.project.tmp_dir.mkdir(parents=True, exist_ok=True)  # NOTE: doit's DB goes there
    for name in index.graph.order:
        if name in index.sources:
            yield {"name": name, "actions": [(source_action, [session, name])],
                   "uptodate": [SourceUpToDate(session, name)], "task_dep": [],
                   "doc": f"verify data source {name}", "verbosity": 2}
            continue
        stage = index.stages[name]
        yield {
            "name": name,
            "actions": [(stage_action, [session, name, opts.force, opts.use_run_cache,
                                        opts.reasons, opts.pull, opts.interactive,
                                        *([opts.cluster] if opts.cluster is not None else [])])],
            "uptodate": [StageUpToDate(session, name, opts.allow_missing)],
            "task_dep": _task_dep(index, name, opts.only),
            "targets": _targets(session, stage, opts.allow_missing),
            "clean": [(clean_action, [session, name])],
            "doc": stage.desc or f"stage {name}: {' && '.join(stage.commands)}",
            "verbosity": 2,
            "meta": {"dvc_stage": name, "cmd": stage.cmd,
                     "deps": [stage.repo_path(d) for d in stage.deps],
                     "params": [stage.params_path(p) + (f": {', '.join(p.keys)}" if p.keys
                                                       else "") for p in stage.params],
                     "outs": [stage.repo_path(o.path) for o in stage.outs]},
        }


def _dodo_run() -> DodoRun:
    """The run of the star-importing dodo (made on first use), or a fresh one without a dodo."""
    ns = _star_importer()
    if ns is None:
        return DodoRun(Session.find())
    run_ = ns.get(DODO_KEY)
    if not isinstance(run_, DodoRun):
        run_ = ns[DODO_KEY] = DodoRun(Session.find())
    return run_


def task_repro() -> Iterator[dict[str, Any]]:
    """Reproduce DVC stages (dvc.yaml stages and .dvc stage files) that are out of date."""
    yield {"name": None, "doc": "Reproduce DVC stages (dvc.yaml stages and .dvc stage files)"}
    run_ = _dodo_run()
    dicts = list(stage_task_dicts(run_.session, run_.options))
    namespace = _star_importer()
    if namespace is not None:
        _refuse_shadowing(namespace)
        _link_star_imported(namespace, run_.session.index, dicts)
        loading = loading_command()
        if loading is not None:
            tell_notes(*loading, run_.session.index.stages)
    yield from dicts


def task_push() -> dict[str, Any]:
    """Upload cached data (and with --run-cache the run-cache) to a remote."""
    _refuse_shadowing(_star_importer())
    return tasks_remote.task_push(_dodo_run().session)


def task_pull() -> dict[str, Any]:
    """Download data from a remote and check it out."""
    _refuse_shadowing(_star_importer())
    return tasks_remote.task_pull(_dodo_run().session)


def task_fetch() -> dict[str, Any]:
    """Download data from a remote into the cache."""
    _refuse_shadowing(_star_importer())
    return tasks_remote.task_fetch(_dodo_run().session)


def task_status() -> dict[str, Any]:
    """Show changed stages and data; -c compares the cache with a remote."""
    _refuse_shadowing(_star_importer())
    return tasks_remote.task_status(_dodo_run().session)


_OURS = {"task_repro": "repro", "task_push": "push", "task_pull": "pull",
         "task_fetch": "fetch", "task_status": "status"}


def _star_importer() -> dict[str, Any] | None:
    """The namespace of the dodo module that star-imported us, if doit is loading one.

    NOTE: ``from dvcdoit.tasks import *`` copies our creators into the dodo module, which doit
    has imported (under ``sys.modules``) before it calls any creator; so a module holding one
    of our creator objects, other than this one, is the user's dodo.
    """
    ours = {id(f) for f in _creators().values()}
    for mod in list(sys.modules.values()):
        ns = getattr(mod, "__dict__", None)
        if not isinstance(ns, dict) or ns.get("__name__") in (__name__, "dvcdoit.tasks"):
            continue
        if any(id(ns.get(attr)) in ours for attr in _OURS):
            return ns
    return None


def _creators() -> dict[str, Any]:
    return {"task_repro": task_repro, "task_push": task_push, "task_pull": task_pull,
            "task_fetch": task_fetch, "task_status": task_status}


def _refuse_shadowing(ns: dict[str, Any] | None) -> None:
    """A dodo task defined after ``from dvcdoit.tasks import *`` must not replace one of ours."""
    if ns is None:
        return
    for attr, fn in _creators().items():
        if attr in ns and ns[attr] is not fn:
            msg = (f"dodo.py: task '{_OURS[attr]}' clashes with dvcdoit's task of that name "
                   "(it replaces the one 'from dvcdoit.tasks import *' brought); rename it")
            raise InvalidDodoFile(msg)


def _link_star_imported(ns: dict[str, Any], index: Index, dicts: list[dict[str, Any]]) -> None:
    """In a star-importing dodo: link user tasks and stages by path, as the loader route does
    (:func:`dvcdoit.tasks.linking.link`).

    User creators are called once more here to learn their targets and file deps (doit asks
    creators to be free of side effects).
    """
    user = []
    for attr, creator in ns.items():
        if (attr.startswith("task_") and callable(creator) and attr not in _OURS
                and getattr(creator, "__module__", None) != __name__):
            user += generate_tasks(attr[5:], creator(), creator.__doc__)
    link(index, user, {d["name"]: StageLinks(d["task_dep"], d.setdefault("targets", []))
                       for d in dicts})


class DvcDoitLoader(DodoTaskLoader):  # type: ignore[misc]
    """doit loader: ``dvc.yaml`` stages plus ``dodo.py`` if there is one (keeps -f/-d/-k).

    ``dvcdoit repro`` passes its session and options; doit's entry point makes it bare, and
    then the session is opened when the tasks are loaded.
    """

    tells_notes = True  # NOTE: see verbnotes.loading_command

    def __init__(self, session: Session | None = None, options: RunOptions | None = None) -> None:
        super().__init__()
        self._session = session
        self._options = options or RunOptions()

    def setup(self, opt_values: dict[str, Any]) -> None:
        """Load dodo.py when it exists; a repo without one is fine."""
        self.namespace: dict[str, Any] = {}
        dodo = Path(opt_values.get("cwdPath") or ".") / opt_values["dodoFile"]
        if dodo.exists():
            super().setup(opt_values)

    def load_doit_config(self) -> dict[str, Any]:
        """The dodo's DOIT_CONFIG, completed with :func:`doit_config`'s defaults."""
        cfg = dict(super().load_doit_config()) if self.namespace else {}
        for key, value in doit_config().items():
            cfg.setdefault(key, value)
        return cfg

    def load_tasks(self, cmd: Any, pos_args: list[str]) -> list[Any]:
        """User tasks + ours, linked both ways; a user task named like ours is an error."""
        ours_in_dodo = self.namespace.get("task_repro") is task_repro
        try:
            run_ = DodoRun(self._session or Session.find(), self._options)
        except DvcDoitError as exc:
            raise InvalidDodoFile(str(exc)) from None
        if ours_in_dodo:
            # NOTE: the dodo's creators find the run in their module's namespace, which
            # ``self.namespace`` (doit's copy of it) is not: without it they would open a
            # session of their own, whose repo lock collides with this one's
            self.namespace[DODO_KEY] = run_
            module_ns = _star_importer()
            if module_ns is not None:
                module_ns[DODO_KEY] = run_
        user = super().load_tasks(cmd, pos_args) if self.namespace else []
        tell_notes(cmd, pos_args, run_.session.index.stages)
        if ours_in_dodo:
            return list(user)  # NOTE: the dodo star-imported us; tasks are already there
        clash = [t.name for t in user if t.name in (BASENAME, *TASK_NAMES)
                 or t.name.startswith(BASENAME + ":")]
        if clash:
            msg = (f"dodo.py: task '{clash[0]}' clashes with dvcdoit's tasks "
                   f"('{BASENAME}', '{BASENAME}:<stage>', {', '.join(map(repr, TASK_NAMES))}); "
                   "rename it")
            raise InvalidDodoFile(msg)
        try:
            ours = list(generate_tasks(BASENAME, _repro_creator(run_)(), task_repro.__doc__))
            for creator in (tasks_remote.task_push, tasks_remote.task_pull,
                            tasks_remote.task_fetch, tasks_remote.task_status):
                ours += generate_tasks(creator.__name__[5:], creator(run_.session),
                                       creator.__doc__)
            ours += generate_tasks(expqueue.BASENAME, expqueue.queue_tasks(run_.session.project),
                                   expqueue.task_exp_queue.__doc__)
            _link_user_targets(run_.session.index, user, ours)
        except DvcDoitError as exc:
            raise InvalidDodoFile(str(exc)) from None
        return list(user) + list(ours)


def _repro_creator(run_: DodoRun) -> Any:
    """``task_repro`` bound to the loader's run."""

    def creator() -> Iterator[dict[str, Any]]:
        yield {"name": None, "doc": task_repro.__doc__}
        yield from stage_task_dicts(run_.session, run_.options)

    return creator


def _link_user_targets(index: Index, user: list[Any], ours: list[Any]) -> None:
    """Link user tasks and stage tasks by path (:func:`dvcdoit.tasks.linking.link`)."""
    link(index, user, {t.name.partition(":")[2]: StageLinks(t.task_dep, t.targets)
                       for t in ours if t.name.startswith(BASENAME + ":")})


__all__ = ["DvcDoitLoader", "doit_config", "task_fetch", "task_pull", "task_push", "task_repro",
           "task_status"]  # NOTE: and DOIT_CONFIG, made on demand (module __getattr__)
