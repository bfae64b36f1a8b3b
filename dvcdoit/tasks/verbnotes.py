"""What doit's own verbs mean for stage tasks, said where doit runs them.

``doit forget repro:x`` drops doit's record of a task, but a stage's state lives in
``dvc.lock``, so the stage is not rerun: :func:`tell_notes` says so and names the verb that
reruns it. ``doit auto`` moved out of doit in 0.36: without its plugin, one line says which.
Both mixing styles tell them: the loader directly, a star-importing dodo through
:func:`loading_command`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from doit.exceptions import InvalidDodoFile

from dvcdoit.tasks.doitdb import forget_note

BASENAME = "repro"


def tell_notes(cmd: Any, pos_args: list[str], stages: Iterable[str]) -> None:
    """The notes for doit command ``cmd`` run with ``pos_args`` on a pipeline of ``stages``."""
    name = getattr(cmd, "name", "")
    if name == "forget":
        named = [a.partition(":")[2] for a in pos_args if a.startswith(BASENAME + ":")]
        for stage in list(stages) if BASENAME in pos_args or not pos_args else named:
            sys.stdout.write(forget_note(stage) + "\n")
        sys.stdout.flush()
    elif name == "run" and pos_args[:1] == ["auto"]:
        msg = ("'doit auto' needs doit's watch plugin: pip install doit-auto1 "
               "(doit 0.36 moved 'auto' out of doit)")
        raise InvalidDodoFile(msg)


def loading_command() -> tuple[Any, list[str]] | None:
    """``(cmd, pos_args)`` of the doit command loading a star-importing dodo, unless its
    loader tells the notes itself (a class attribute ``tells_notes``, as dvcdoit's loader).

    NOTE: doit calls task creators bare, so they cannot be told which command runs; but
    every loader is called as ``load_tasks(cmd, pos_args)`` (doit's ``TaskLoader2`` API),
    so the frame of that call, up the stack, holds both.
    """
    frame = sys._getframe(1)
    while frame is not None:
        found = frame.f_locals
        if (frame.f_code.co_name == "load_tasks" and "cmd" in found
                and isinstance(found.get("pos_args"), list)):
            if getattr(found.get("self"), "tells_notes", False):
                return None
            return found["cmd"], found["pos_args"]
        frame = frame.f_back  # type: ignore[assignment]
    return None


__all__ = ["loading_command", "tell_notes"]
