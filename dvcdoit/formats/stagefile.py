"""Classic single-stage ``.dvc`` files (DVC 0.x–2.x, spec §10) ⇄ ``SingleStage`` values.

A ``.dvc`` file with ``cmd:`` is a stage file (this module); one without is a data source
(:mod:`dvcdoit.formats.dvcfile`). Parsing yields the same :class:`StageDef` a ``dvc.yaml``
stage gives, plus the :class:`LockEntry` its recorded hashes amount to, so the rest of
dvcdoit treats both alike. ``dvcdoit run -f`` writes this form (with ``hash: md5`` entries,
since dvcdoit hashes with plain md5); DVC 3 refuses such files, so ``dvcdoit migrate``
converts them into ``dvc.yaml`` stages.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import FormatError, Problem, Problems
from dvcdoit.core.hashing import LEGACY, MD5, HashInfo
from dvcdoit.core.hashing import stage_md5 as compute_stage_md5
from dvcdoit.formats import _yaml
from dvcdoit.formats._paths import out_problem
from dvcdoit.formats.lock import LockEntry, LockItem, parse_md5
from dvcdoit.formats.pipeline import Out, StageDef

_TOP_KEYS = frozenset({"md5", "cmd", "wdir", "deps", "outs", "locked", "frozen",
                       "always_changed", "desc", "meta"})
_ITEM_KEYS = frozenset({"md5", "size", "nfiles", "isexec", "hash", "path"})
_OUT_FLAG_KEYS = frozenset({"cache", "metric", "plot", "persist", "checkpoint", "desc", "type",
                            "labels", "meta", "remote", "push"})


@dataclass(frozen=True)
class SingleStage:
    """A parsed stage file: the stage, its recorded lock, and its stage checksums."""

    stage: StageDef
    lock: LockEntry
    md5: str | None
    """The ``md5:`` recorded in the file (None if absent)."""
    computed_md5: str
    """The stage md5 of the file's current content (§10)."""

    @property
    def changed_checksum(self) -> bool:
        """True when the recorded stage md5 does not match the content (``changed checksum``)."""
        return self.md5 != self.computed_md5


def _item(problems: Problems, where: str, raw: Any, keys: frozenset[str]
          ) -> LockItem | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("path"), str):
        problems.add(where, "expected a mapping with a 'path'")
        return None
    for key in raw:
        if key not in keys:
            problems.add(f"{where}.{key}", "extra keys not allowed")
    md5, size, nfiles = raw.get("md5"), raw.get("size"), raw.get("nfiles")
    md5 = parse_md5(problems, f"{where}.md5", md5)
    name = MD5 if raw.get("hash") == MD5 else LEGACY
    return LockItem(raw["path"], None if md5 is None else HashInfo(name, md5),
                    size if isinstance(size, int) else None,
                    nfiles if isinstance(nfiles, int) else None, raw.get("isexec") is True)


def _escapes(path: str) -> bool:
    return posixpath.isabs(path) or path == ".." or path.startswith("../")


def _list(problems: Problems, key: str, data: Mapping[str, Any]) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(key, "expected a list")
        return []
    return value


def _check_out_paths(problems: Problems, outs: list[LockItem | None], wdir: str) -> None:
    """Refuse outputs outside the repo or inside ``.dvc/`` and ``.git/``."""
    for i, item in enumerate(outs):
        if item is None:
            continue
        full = posixpath.normpath(posixpath.join(wdir, item.path))
        if _escapes(full):
            problems.add(f"outs[{i}]", f"output '{item.path}' is outside the repo")
        elif (why := out_problem(item.path, full)) is not None:
            problems.add(f"outs[{i}]", *why)


def _out_def(raw: Mapping[str, Any]) -> Out:
    kind = "plots" if raw.get("plot") else "metrics" if raw.get("metric") else "outs"
    flags = tuple((k, v) for k, v in raw.items() if k in _OUT_FLAG_KEYS - {"metric", "plot"})
    return Out(raw["path"], kind, cache=raw.get("cache", True) is not False,
               persist=raw.get("persist") is True, push=raw.get("push", True) is not False,
               remote=raw.get("remote") if isinstance(raw.get("remote"), str) else None,
               flags=flags)


def parse_stagefile(data: Any, file: str) -> SingleStage:
    """Turn a parsed stage file into a :class:`SingleStage`, reporting every problem."""
    if not isinstance(data, Mapping):
        raise FormatError([Problem(file, "", "expected a mapping with 'cmd'")])
    problems = Problems(file)
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(str(key), "extra keys not allowed")
    cmd = data.get("cmd")
    if not isinstance(cmd, str) or not cmd.strip():
        problems.add("cmd", "required: a non-empty string")
        cmd = ""
    wdir_def = data.get("wdir", ".")
    if not isinstance(wdir_def, str):
        problems.add("wdir", "expected a string")
        wdir_def = "."
    wdir = posixpath.normpath(posixpath.join(posixpath.dirname(file), wdir_def))
    if _escapes(wdir):
        problems.add("wdir", f"'{wdir_def}' is outside the repo")
    deps = [_item(problems, f"deps[{i}]", d, _ITEM_KEYS)
            for i, d in enumerate(_list(problems, "deps", data))]
    outs_raw = _list(problems, "outs", data)
    outs = [_item(problems, f"outs[{i}]", o, _ITEM_KEYS | _OUT_FLAG_KEYS)
            for i, o in enumerate(outs_raw)]
    _check_out_paths(problems, outs, wdir)
    problems.raise_if_any()
    out_defs = tuple(_out_def(o) for o in outs_raw)
    stage = StageDef(
        name=file, cmd=cmd, file=file, wdir=wdir, deps=tuple(d.path for d in deps if d),
        outs=out_defs, frozen=bool(data.get("frozen") or data.get("locked")),
        always_changed=data.get("always_changed") is True, desc=data.get("desc"),
        meta=data.get("meta"), wdir_def=wdir_def,
    )
    lock = LockEntry(cmd, tuple(d for d in deps if d), {}, tuple(o for o in outs if o))
    md5 = data.get("md5") if isinstance(data.get("md5"), str) else None
    return SingleStage(stage, lock, md5, compute_stage_md5(data))


def _item_dict(item: LockItem | None, path: str) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if item is not None and item.hash is not None:
        d["md5"] = item.hash.value
        if item.size is not None:
            d["size"] = item.size
        if item.nfiles is not None:
            d["nfiles"] = item.nfiles
        if item.isexec:
            d["isexec"] = True
        if not item.hash.legacy:
            d["hash"] = MD5
    d["path"] = path
    return d


def stagefile_dict(stage: StageDef, entry: LockEntry | None) -> dict[str, Any]:
    """The stage file content for ``stage`` after a run recorded as ``entry`` (md5 included).

    Top-level order ``desc, md5, cmd, wdir, frozen, deps, outs, always_changed, meta``;
    items are ``md5, size, nfiles, isexec, hash, path`` then non-default flags.
    """
    deps = [_item_dict(entry.dep(p) if entry else None, p) for p in stage.deps]
    outs = []
    for out in stage.outs:
        d = _item_dict(entry.out(out.path) if entry else None, out.path)
        if not out.cache:
            d["cache"] = False
        if out.kind == "metrics":
            d["metric"] = True
        if out.kind == "plots":
            d["plot"] = True
        if out.persist:
            d["persist"] = True
        outs.append(d)
    body: dict[str, Any] = {"cmd": stage.lock_cmd}
    if stage.wdir_def not in (None, "."):
        body["wdir"] = stage.wdir_def
    if stage.frozen:
        body["frozen"] = True
    if deps:
        body["deps"] = deps
    if outs:
        body["outs"] = outs
    if stage.always_changed:
        body["always_changed"] = True
    if stage.meta is not None:
        body["meta"] = stage.meta
    head: dict[str, Any] = {"desc": stage.desc} if stage.desc else {}
    return {**head, "md5": compute_stage_md5(body), **body}


def dump_stagefile(root: Path, stage: StageDef, entry: LockEntry | None) -> None:
    """Write ``root/stage.file`` atomically (see :func:`stagefile_dict`)."""
    fsutil.atomic_write_text(root / stage.file, _yaml.dumps(stagefile_dict(stage, entry)))
