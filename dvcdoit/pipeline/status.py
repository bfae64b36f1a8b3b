"""What changed in the repo: stage and data-source status, as DVC's ``status --json`` blocks.

Shared by ``dvcdoit status``, ``doit status`` and ``repro``'s checks (``--dry``, the no-op
fast path); rendering is :mod:`dvcdoit.verbs.report`'s job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.selection import Selection
from dvcdoit.pipeline.stage import StageStatus, status
from dvcdoit.repo import sources

Blocks = dict[str, list[Any]]


def stage_status(index: Index, name: str) -> StageStatus:
    """Status of stage ``name`` against its lock entry (or its own ``.dvc`` file)."""
    single = index.singles.get(name)
    return status(index.project.workspace, index.stages[name], index.locks.get(name),
                  single.changed_checksum if single else False)


def stage_statuses(index: Index, targets: Sequence[str] | None = None,
                   with_deps: bool = True) -> list[StageStatus]:
    """Status of every stage (or of stages ``targets``, with their upstream when
    ``with_deps``), in pipeline order."""
    names = index.stage_order()
    if targets:
        wanted = ({u for t in targets for u in index.graph.upstream(t)} if with_deps
                  else set(targets))
        names = [n for n in names if n in wanted]
    return [stage_status(index, n) for n in names]


def status_blocks(index: Index, selection: Selection,
                  with_deps: bool = False) -> tuple[Blocks, bool]:
    """``({name: status items}, anything tracked)`` for stages then data sources.

    Selected stages come alone, as in DVC, or with their upstream (``status --with-deps``);
    data sources only when selected themselves (a target naming only stages shows none).
    """
    blocks: Blocks = {}
    if selection.stages or selection.everything:
        for st in stage_statuses(index, None if selection.everything else selection.stages,
                                 with_deps):
            if st.changed:
                blocks[st.name] = st.to_json()
    for name in selection.sources:
        found = sources.status(index.project.workspace, index.sources[name])
        if found is None:
            continue
        items: list[Any] = [{"changed outs": dict(found.outs)}] if found.outs else []
        if found.changed_checksum:
            items.append("changed checksum")
        blocks[found.name] = items
    return _by_file(index, blocks), bool(index.stages or index.sources)


def _by_file(index: Index, blocks: Blocks) -> Blocks:
    """The blocks in DVC's order: by the file that defines them (``data.dvc`` before
    ``dvc.yaml``), a ``dvc.yaml``'s stages in the order it lists them."""
    position = {name: i for i, name in enumerate(index.stages)}

    def key(name: str) -> tuple[str, int]:
        stage = index.stages.get(name)
        if stage is not None:
            return stage.file, position[name]
        return index.sources[name].relpath, 0

    return {name: blocks[name] for name in sorted(blocks, key=key)}


def would_run(index: Index, targets: Sequence[str], force: bool = False) -> list[str]:
    """``repro --dry``: the stages of ``targets`` (all when empty) that would run, in order.

    A stage runs when forced, changed, or downstream of one that runs.
    """
    would: dict[str, None] = {}
    for st in stage_statuses(index, targets or None):
        if force or st.changed or any(u in would for u in index.graph.edges[st.name]):
            would[st.name] = None
    return list(would)


MISSING_OUT = ("not in cache", "deleted")


def _upstream_differs(index: Index, name: str, path: str) -> bool:
    """True when an upstream stage records ``path`` (a deleted dep of ``name``) with another
    hash than ``name``'s lock entry does: DVC's ``allow_missing`` calls that ``modified``."""
    stage, lock = index.stages[name], index.locks.get(name)
    mine = next((d.hash for d in (lock.deps if lock else ()) if stage.repo_path(d.path) == path),
                None)
    for up in index.graph.upstream(name):
        up_stage, up_lock = index.stages.get(up), index.locks.get(up)
        if up == name or up_stage is None or up_lock is None:
            continue
        if any(up_stage.repo_path(o.path) == path and o.hash != mine for o in up_lock.outs):
            return True
    return False


def missing_only(index: Index, st: StageStatus) -> bool:
    """True when ``st``'s only changes are missing data: deps ``deleted`` (and not recorded
    otherwise upstream), outputs ``not in cache`` or ``deleted`` (DVC's ``changed(allow_missing=
    True)`` is False): ``repro --allow-missing`` skips such a stage, ``--pull`` pulls it."""
    if st.changed_command or st.changed_checksum or st.always_changed:
        return False
    if any(word not in MISSING_OUT for word in st.changed_outs.values()):
        return False
    return all(word == "deleted" and not _upstream_differs(index, st.name, path)
               for path, word in st.changed_deps.items())


def up_to_date(index: Index, names: Sequence[str], allow_missing: bool = False) -> bool:
    """True when every named stage matches its lock entry and every data source its file
    (with ``allow_missing``, or differs only by missing data).

    Stops at the first change (``repro``'s no-op fast path needs only the yes or no).
    """
    for name in names:
        if name in index.sources:
            if sources.status(index.project.workspace, index.sources[name]) is not None:
                return False
            continue
        st = stage_status(index, name)
        if st.changed and not (allow_missing and missing_only(index, st)):
            return False
    return True
