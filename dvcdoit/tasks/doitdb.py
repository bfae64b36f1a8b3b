"""doit's own settings files and dep DB, as dvcdoit reads them (never writes them).

:func:`user_settings` reads ``[tool.doit]`` in ``pyproject.toml`` and ``[GLOBAL]`` in
``doit.cfg``: doit lets a dodo's ``DOIT_CONFIG`` override those files, so dvcdoit's own
defaults (:func:`dvcdoit.tasks.loader.doit_config`) step aside for what the user chose there.

:func:`ignored` answers which stages ``doit ignore`` marked, through doit's own
``Dependency`` API on the DB doit would use here. doit keeps that mark in its DB, where
``dvc.lock`` cannot show it, so ``dvcdoit repro`` and ``dvcdoit status`` say it.
NOTE: importing doit costs ~0.13 s, more than a whole ``dvcdoit status``; so doit is imported
only when the DB file exists and holds doit's ``ignore:`` key at all (one read of the file).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_DB = (".doit.db", "dbm")  # NOTE: doit's own defaults (dep_file, backend)
IGNORE_KEY = b'"ignore:"'


def user_settings(cwd: Path) -> dict[str, Any]:
    """doit settings from ``pyproject.toml`` ``[tool.doit]`` and ``doit.cfg`` ``[GLOBAL]``."""
    found: dict[str, Any] = {}
    cfg = cwd / "doit.cfg"
    if cfg.is_file():
        import configparser  # NOTE: imported when used: start-up of status

        parser = configparser.ConfigParser()
        try:
            parser.read(cfg)
            if parser.has_section("GLOBAL"):
                found.update(parser.items("GLOBAL"))
        except configparser.Error:
            pass
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        found.update(_tool_doit(pyproject.read_text(errors="replace")))
    return found


def _tool_doit(text: str) -> dict[str, Any]:
    if sys.version_info < (3, 11):  # pragma: no cover - Python 3.10 has no tomllib
        return {"backend": "?"} if "tool.doit" in text else {}
    tomllib: Any = importlib.import_module("tomllib")
    try:
        table = tomllib.loads(text).get("tool", {}).get("doit", {})
    except tomllib.TOMLDecodeError:
        return {}
    return {k: v for k, v in table.items() if not isinstance(v, dict)}


def db_location(cwd: Path, ours: tuple[str, str] | None) -> tuple[Path, str]:
    """``(dep_file, backend)`` doit uses in ``cwd``: the user's choice, else ``ours``."""
    settings = user_settings(cwd)
    if "dep_file" in settings or "backend" in settings or ours is None:
        dep_file = str(settings.get("dep_file", DEFAULT_DB[0]))
        backend = str(settings.get("backend", DEFAULT_DB[1]))
    else:
        dep_file, backend = ours
    return cwd / dep_file, backend


def _may_hold_ignores(path: Path, backend: str) -> bool:
    """Cheap pre-check: does any file of the DB mention doit's ``ignore:`` key?"""
    files = [path] if backend != "dbm" else [path, path.with_name(path.name + ".dat"),
                                             path.with_name(path.name + ".db")]
    for file in files:
        try:
            if IGNORE_KEY in file.read_bytes():
                return True
        except OSError:
            continue
    return False


class _Named:
    """The one attribute of a task that doit's ``status_is_ignore`` reads."""

    def __init__(self, name: str) -> None:
        self.name = name


def ignored(task_names: Sequence[str], cwd: Path, ours: tuple[str, str] | None) -> list[str]:
    """The tasks of ``task_names`` that ``doit ignore`` marked in doit's DB in ``cwd``."""
    path, backend = db_location(cwd, ours)
    if not task_names or not _may_hold_ignores(path, backend):
        return []
    from doit.dependency import DbmDB, Dependency, JsonDB, SqliteDB

    db_class = {"json": JsonDB, "sqlite3": SqliteDB, "dbm": DbmDB}.get(backend)
    if db_class is None:
        return []
    deps = Dependency(db_class, str(path))
    found = [n for n in task_names if deps.status_is_ignore(_Named(n))]
    if backend == "sqlite3":
        deps.close()  # NOTE: a commit of nothing; json and dbm would rewrite their files
    return found


def our_db(cwd: Path) -> tuple[str, str] | None:
    """``(dep_file, backend)`` dvcdoit chooses for doit in the repo of ``cwd``, if any."""
    from dvcdoit.core.errors import DvcDoitError
    from dvcdoit.repo.project import find_root

    try:
        tmp = find_root(cwd) / ".dvc" / "tmp"
    except DvcDoitError:
        return None
    return str(tmp / "doit.sqlite3"), "sqlite3"


def ignored_stages(names: Sequence[str], cwd: Path | None = None) -> list[str]:
    """The stages of ``names`` that ``doit ignore repro:<stage>`` marked in doit's DB."""
    here = cwd or Path.cwd()
    found = ignored([f"repro:{n}" for n in names], here, our_db(here))
    return [n.partition(":")[2] for n in found]


def ignore_note(stage: str) -> str:
    """The one line that says a stage is ignored by doit and how to undo it."""
    return (f"Stage '{stage}' is ignored by doit ('doit ignore repro:{stage}'): "
            f"'dvcdoit repro' skips it until 'doit forget repro:{stage}'")


def forget_note(stage: str) -> str:
    """What ``doit forget repro:<stage>`` adds to doit's ``forgetting`` line."""
    return (f"Stage '{stage}': its state lives in dvc.lock, which 'doit forget' leaves alone; "
            f"to run it again use 'dvcdoit repro -f {stage}'")
