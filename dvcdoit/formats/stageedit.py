"""Edits of one stage in ``dvc.yaml``/``dvc.lock`` as ``dvc remove`` and ``dvc freeze`` make them.

Each edit loads the raw file, changes one stage's mapping and dumps the whole file, as DVC's
ruamel round trip does: a canonical file (what ``stage add``/``repro`` write) comes out byte for
byte as DVC leaves it. A file left with no stage is deleted, as DVC deletes it (a ``dvc.yaml``
with ``plots:`` but no stage included). Comments are lost (PyYAML; DVC keeps them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import FormatError, Problem
from dvcdoit.formats import _yaml


def _stages(path: Path, source: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The raw file data and its ``stages`` mapping; None when the file does not exist."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    data = _yaml.loads(text, source)
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(stages, dict):
        raise FormatError([Problem(source, "stages", "expected a mapping of stages")])
    return data, stages


def raw_stage(path: Path, source: str, name: str) -> Any:
    """The stage ``name`` as written in the file (before templating); None if absent."""
    found = _stages(path, source)
    return None if found is None else found[1].get(name)


def drop_stages(path: Path, source: str, names: Iterable[str]) -> bool:
    """Delete stages ``names`` from the file at ``path``; delete the file if none is left.

    Returns True when the file changed. A missing file or stage is no change (DVC's too).
    """
    found = _stages(path, source)
    if found is None:
        return False
    data, stages = found
    gone = [n for n in names if n in stages]
    if not gone:
        return False
    for name in gone:
        del stages[name]
    if stages:
        fsutil.atomic_write_text(path, _yaml.dumps(data))
    else:
        os.unlink(path)
    return True


def set_frozen(path: Path, source: str, name: str, frozen: bool) -> None:
    """Write ``frozen: true`` as the stage's last key, or drop the key (``unfreeze``)."""
    found = _stages(path, source)
    stage = None if found is None else found[1].get(name)
    if found is None or not isinstance(stage, dict):
        raise FormatError([Problem(source, f"stages.{name}", "expected a stage mapping")])
    if frozen:
        stage["frozen"] = True
    else:
        stage.pop("frozen", None)
    fsutil.atomic_write_text(path, _yaml.dumps(found[0]))
