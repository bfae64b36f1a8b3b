"""DVC's ``parse_target`` for the verbs that take stages, not outputs: remove, freeze, unfreeze.

``NAME`` is a stage of the cwd's ``dvc.yaml``, ``FILE:NAME`` a stage of ``FILE``, ``X.dvc``
a ``.dvc`` file and ``dvc.yaml`` every stage of that file. An output path is no target here
(DVC's words: ``Stage 'b.txt' not found inside 'dvc.yaml' file``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core.errors import PathError, StageError
from dvcdoit.formats.pipeline import PIPELINE_FILE
from dvcdoit.pipeline.index import Index

NOT_FOUND = "Stage '{name}' not found inside '{file}' file"
NO_FILE = "'{path}' does not exist"
NOT_DVC_FILE = "'{target}' is not a .dvc file. Do you mean '{target}.dvc'?"


@dataclass(frozen=True)
class StageTarget:
    """What one target names: the file (repo-relative) and the stage names in it.

    For a ``.dvc`` file ``names`` is empty; for ``dvc.yaml`` they are the stages' names as
    the file writes them (``train``, ``build@x``).
    """

    text: str
    file: str
    names: tuple[str, ...] = ()

    @property
    def is_dvcfile(self) -> bool:
        """True for a ``.dvc`` file (data source or classic stage file)."""
        return self.file.endswith(".dvc")


def _split(text: str) -> tuple[str, str | None, bool]:
    """``(file, name, file_given)`` as DVC's ``parse_target`` splits ``text``."""
    if ":" in text:
        file, _, name = text.rpartition(":")
        return file or PIPELINE_FILE, name or None, bool(file)
    if text.endswith(".dvc") or os.path.basename(text) == PIPELINE_FILE:
        return text, None, True
    return PIPELINE_FILE, text, False


def resolve(index: Index, text: str, cwd: Path | None = None, hint: bool = False) -> StageTarget:
    """The stages ``text`` names, or DVC's one line (:class:`StageError`/:class:`PathError`).

    With ``hint`` (``remove``'s) a name whose ``NAME.dvc`` exists gets DVC's "Do you mean"
    in front of the reason.
    """
    base = cwd or Path.cwd()
    project = index.project
    file, name, given = _split(text)
    absolute = os.path.normpath(base / file)
    if not os.path.isfile(absolute):
        msg = NO_FILE.format(path=absolute if given else file)
        raise PathError(_hinted(msg, text, base) if hint else msg)
    rel = project.rel(project.resolve(absolute))
    if rel.endswith(".dvc"):
        if rel not in index.sources and rel not in index.singles:
            raise PathError(NO_FILE.format(path=absolute))
        return StageTarget(text, rel)
    names = tuple(s.name for s in index.stages.values() if s.file == rel and not s.single)
    if name is None:
        return StageTarget(text, rel, names)
    if name not in names:
        msg = NOT_FOUND.format(name=name, file=file)
        raise StageError(_hinted(msg, text, base) if hint else msg)
    return StageTarget(text, rel, (name,))


def _hinted(msg: str, text: str, base: Path) -> str:
    """DVC's remove: ``'a.txt' is not a .dvc file. Do you mean 'a.txt.dvc'?: <msg>``."""
    if os.path.isfile(os.path.normpath(base / (text + ".dvc"))):
        return f"{NOT_DVC_FILE.format(target=text)}: {msg}"
    return msg
