"""Data-source ``.dvc`` files (what ``dvc add`` writes) ⇄ frozen :class:`DvcFile` values.

Reading validates everything at once and raises one :class:`FormatError` naming the file and
each field (``data.xml.dvc: outs[0].md5: ...``). DVC 3 refuses ``cmd:`` (a DVC 2 single-stage
file, see :func:`is_stage_file` and ``formats/stagefile.py``), ``metric:``/``plot:`` on outs, and
unknown keys; so do we. Keys DVC allows but dvcdoit does not model (``files``, ``cloud``,
``version_id``, ``etag``, ``checksum``, ``fs_config``; ``repo``/``db`` on deps) are kept in
``extra`` and written back untouched.

Writing a fresh file gives DVC 3's bytes (key order of spec §3.1). Rewriting an existing file
applies the new data as a diff onto the old parsed text, as DVC's ``apply_diff`` does (§3.4):
changed values are replaced in place, new keys are appended at the end of their mapping, keys
no longer present are deleted. NOTE: DVC keeps comments and flow style (``labels: [a, b]``)
through ruamel's round-trip mode; PyYAML cannot, so a rewrite drops comments and re-emits
flow collections in block style. Files written by DVC itself have neither, so they round-trip
byte for byte.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import FormatError, PathError, Problem, Problems
from dvcdoit.core.hashing import LEGACY, MD5, OID_RULE, HashInfo, is_oid, stage_md5
from dvcdoit.formats import _yaml
from dvcdoit.formats._diff import apply_diff
from dvcdoit.formats._paths import out_problem

# Fresh-write key order, as DVC's Output.dumpd / stage get_dump produce them.
_OUT_ORDER = ("md5", "etag", "checksum", "size", "nfiles", "isexec", "version_id", "hash",
              "path", "fs_config", "repo", "db", "desc", "type", "labels", "meta", "cache",
              "persist", "remote", "push", "cloud", "files")
_TOP_ORDER = ("desc", "md5", "wdir", "frozen", "deps", "outs", "always_changed", "meta")

_OUT_EXTRA = frozenset({"etag", "checksum", "version_id", "cloud", "files", "fs_config"})
_DEP_EXTRA = _OUT_EXTRA | {"repo", "db"}
_CORE_KEYS = frozenset({"md5", "size", "nfiles", "isexec", "hash", "path"})
_OUT_KEYS = _CORE_KEYS | _OUT_EXTRA | {"desc", "type", "labels", "meta", "cache", "persist",
                                       "remote", "push"}
_DEP_KEYS = _CORE_KEYS | _DEP_EXTRA
_TOP_KEYS = frozenset({"outs", "deps", "md5", "wdir", "frozen", "locked", "always_changed",
                       "desc", "meta"})


@dataclass(frozen=True)
class Out:
    """One output (or, for import stages, dependency) of a ``.dvc`` file.

    ``hash`` is None when no ``md5`` is recorded. An entry without a ``hash:`` key is legacy
    (DVC 2): its HashInfo name is ``md5-dos2unix`` and it is written back without ``hash:``.
    ``extra`` holds keys DVC allows but dvcdoit does not interpret; they are kept untouched.
    """

    path: str
    hash: HashInfo | None = None
    size: int | None = None
    nfiles: int | None = None
    isexec: bool = False
    cache: bool = True
    persist: bool = False
    push: bool = True
    remote: str | None = None
    desc: str | None = None
    type: str | None = None
    labels: tuple[str, ...] = ()
    meta: Any = field(default=None, hash=False)
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def isdir(self) -> bool:
        """True when the recorded hash is a ``.dir`` manifest."""
        return self.hash is not None and self.hash.isdir


@dataclass(frozen=True)
class DvcFile:
    """A parsed ``.dvc`` file: its outs plus the top-level keys DVC allows.

    ``md5`` is the old stage hash. ``dvc add`` keeps it as it is; ``dvc commit`` drops it
    (DVC computes no stage hash for a data source), so the caller decides by setting it.
    ``deps`` is non-empty only for import stages (``dvc import-url``), which are not data sources.
    """

    outs: tuple[Out, ...]
    deps: tuple[Out, ...] = ()
    md5: str | None = None
    wdir: str | None = None
    frozen: bool = False
    always_changed: bool = False
    desc: str | None = None
    meta: Any = field(default=None, hash=False)

    @property
    def is_data_source(self) -> bool:
        """True for a ``dvc add`` file: outs only, no deps."""
        return not self.deps

    @property
    def is_import(self) -> bool:
        """True for what ``dvc import`` (a dep with ``repo:``) or ``import-url`` writes."""
        return bool(self.deps)

    def computed_md5(self) -> str:
        """The stage md5 DVC records in an import's ``.dvc`` file (of this content)."""
        return stage_md5(to_dict(replace(self, md5=None)))


def is_stage_file(data: object) -> bool:
    """True if parsed YAML ``data`` is a DVC ≤2 single-stage file (it has ``cmd:``).

    Such files belong to ``formats/stagefile.py`` (migration); :func:`parse` refuses them.
    """
    return isinstance(data, Mapping) and "cmd" in data


# ---------------------------------------------------------------------------- parsing


def _type_check(problems: Problems, where: str, value: object, kind: type | tuple[type, ...],
                expected: str) -> bool:
    """True if ``value`` is a ``kind`` (a bool is no int); otherwise record a problem."""
    ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
    if not ok:
        problems.add(where, f"expected {expected}, got {_show(value)}")
    return ok


def _show(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a mapping"
    return "a list" if isinstance(value, list) else f"a {type(value).__name__}"


def _checksum(value: object, where: str, problems: Problems) -> str | None:
    """DVC's CHECKSUM_SCHEMA (null/"" → None, int → str, lower-cased) plus a strict md5 check.

    NOTE: the strict check matters: the value becomes a cache path, so ``../x`` must never pass.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        problems.add(where, f"expected an md5 hash string, got {_show(value)}")
        return None
    text = value.lower()
    if not is_oid(text):
        problems.add(where, f"{value!r} is not an md5 hash ({OID_RULE})")
        return None
    return text


def _check_keys(raw: Mapping[Any, Any], where: str, problems: Problems, is_out: bool) -> None:
    for key in raw:
        if key in ("metric", "plot") and is_out:
            problems.add(f"{where}.{key}", "not allowed in a .dvc file (DVC 3 refuses it)",
                         fix="declare metrics and plots in dvc.yaml")
        elif key not in (_OUT_KEYS if is_out else _DEP_KEYS):
            problems.add(f"{where}.{key}", "unknown key (DVC 3 refuses it)")


def _check_path(raw: Mapping[str, Any], where: str, problems: Problems) -> None:
    path = raw.get("path")
    if path is None:
        problems.add(f"{where}.path", "missing")
    elif _type_check(problems, f"{where}.path", path, str, "a path string") and not path:
        problems.add(f"{where}.path", "empty")


def _ints(raw: Mapping[str, Any], where: str, problems: Problems) -> dict[str, Any]:
    ints = {k: raw.get(k) for k in ("size", "nfiles")}
    for k, v in ints.items():
        if v is not None and _type_check(problems, f"{where}.{k}", v, int, "an integer") and v < 0:
            problems.add(f"{where}.{k}", "must not be negative")
    return ints


def _flags(raw: Mapping[str, Any], where: str, problems: Problems) -> dict[str, Any]:
    flags: dict[str, Any] = {"isexec": False, "cache": True, "persist": False, "push": True}
    for k in flags:
        if k in raw and _type_check(problems, f"{where}.{k}", raw[k], bool, "true or false"):
            flags[k] = raw[k]
    for k in ("remote", "desc", "type"):
        flags[k] = raw.get(k)
        if flags[k] is not None:
            _type_check(problems, f"{where}.{k}", flags[k], str, "a string")
    labels = raw.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        problems.add(f"{where}.labels", "expected a list of strings")
    flags["labels"] = tuple(labels) if isinstance(labels, list) else ()
    return flags


def _parse_entry(raw: object, where: str, problems: Problems, *, is_out: bool) -> Out | None:
    if not isinstance(raw, Mapping):
        problems.add(where, f"expected a mapping with 'path', got {_show(raw)}")
        return None
    start = len(problems)
    _check_keys(raw, where, problems, is_out)
    _check_path(raw, where, problems)
    md5 = _checksum(raw.get("md5"), f"{where}.md5", problems)
    name = raw.get("hash", LEGACY)
    if "hash" in raw and name != MD5:
        problems.add(f"{where}.hash", f"unsupported hash {_show(name)}; only 'md5' exists")
    ints = _ints(raw, where, problems)
    flags = _flags(raw, where, problems)
    if len(problems) > start:
        return None
    allowed_extra = _OUT_EXTRA if is_out else _DEP_EXTRA
    extra = {k: v for k, v in raw.items() if k in allowed_extra}
    if not is_out and md5 is None and "hash" in raw:
        extra["hash"] = MD5  # NOTE: an import-url dep not hashed yet keeps its `hash: md5`
    return Out(path=str(raw["path"]), hash=HashInfo(str(name), md5) if md5 else None,
               size=ints["size"], nfiles=ints["nfiles"], meta=raw.get("meta"),
               extra=extra, **flags)


def _parse_list(data: Mapping[str, Any], key: str, problems: Problems,
                is_out: bool) -> tuple[Out, ...]:
    raw = data.get(key)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(key, f"expected a list, got {_show(raw)}")
        return ()
    items = [_parse_entry(x, f"{key}[{i}]", problems, is_out=is_out) for i, x in enumerate(raw)]
    return tuple(x for x in items if x is not None)


def parse(data: object, source: str) -> DvcFile:
    """Turn parsed YAML ``data`` into a :class:`DvcFile`; every problem goes into one FormatError.

    ``source`` names the file in messages (use the repo-relative path).
    """
    if not isinstance(data, Mapping):
        msg = f"expected a mapping with 'outs', got {_show(data)}"
        raise FormatError([Problem(source, "", msg)])
    problems = Problems(source, sep=": ")
    if "cmd" in data:
        problems.add("cmd", "not allowed in a DVC 3 .dvc file: this is a DVC 2 single-stage "
                     "file", fix="convert it to a dvc.yaml stage")
    for key in data:
        if key not in _TOP_KEYS and key != "cmd":
            problems.add(str(key), "unknown key (DVC 3 refuses it)")
    outs = _parse_list(data, "outs", problems, is_out=True)
    deps = _parse_list(data, "deps", problems, is_out=False)
    if data.get("outs") in (None, []):
        problems.add("outs", "missing; a .dvc file must list at least one output")
    md5 = _checksum(data.get("md5"), "md5", problems)
    for key in ("wdir", "desc"):
        if data.get(key) is not None:
            _type_check(problems, key, data[key], str, "a string")
    flags = {"frozen": False, "locked": False, "always_changed": False}
    for key in flags:
        if key in data and _type_check(problems, key, data[key], bool, "true or false"):
            flags[key] = data[key]
    problems.raise_if_any()
    return DvcFile(outs=outs, deps=deps, md5=md5, wdir=data.get("wdir"),
                   frozen=flags["frozen"] or flags["locked"],
                   always_changed=flags["always_changed"], desc=data.get("desc"),
                   meta=data.get("meta"))


def loads(text: str | bytes, source: str) -> DvcFile:
    """Parse the text of a ``.dvc`` file (YAML 1.2, like DVC); see :func:`parse`."""
    return parse(_yaml.loads(text, source), source)


def load(path: str | os.PathLike[str], source: str | None = None) -> DvcFile:
    """Read and parse the ``.dvc`` file at ``path``; ``source`` (default: path) names it."""
    data = Path(path).read_bytes()
    return loads(data, source or os.fspath(path))


# ---------------------------------------------------------------------------- writing


def _out_dict(out: Out, *, is_out: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = dict(out.extra)
    if out.hash is not None:
        d["md5"] = out.hash.value
    for key in ("size", "nfiles"):
        if getattr(out, key) is not None:
            d[key] = getattr(out, key)
    if out.isexec:
        d["isexec"] = True
    if (out.hash is None and is_out) or (out.hash is not None and not out.hash.legacy):
        d["hash"] = MD5  # NOTE: a dep without a hash (an import's repo dep) has no hash key
    d["path"] = out.path
    if is_out:
        for key in ("desc", "type", "labels", "meta", "remote"):
            value = getattr(out, key)
            if value:
                d[key] = list(value) if key == "labels" else value
        if not out.cache:
            d["cache"] = False
        if out.persist:
            d["persist"] = True
        if not out.push:
            d["push"] = False
    return {k: d[k] for k in _OUT_ORDER if k in d}


def to_dict(dvcfile: DvcFile) -> dict[str, Any]:
    """Return the plain dict DVC 3 would dump for ``dvcfile``, in DVC's key order.

    Only true flags and set values are written (defaults never are), as DVC does.
    """
    d: dict[str, Any] = {
        "desc": dvcfile.desc,
        "md5": dvcfile.md5,
        "wdir": None if dvcfile.wdir in (None, ".") else dvcfile.wdir,
        "frozen": dvcfile.frozen,
        "deps": [_out_dict(x, is_out=False) for x in dvcfile.deps],
        "outs": [_out_dict(x) for x in dvcfile.outs],
        "always_changed": dvcfile.always_changed,
        "meta": dvcfile.meta,
    }
    return {k: d[k] for k in _TOP_ORDER if d[k]}


def dumps(dvcfile: DvcFile, old_text: str | bytes | None = None) -> str:
    """Serialise ``dvcfile`` as DVC 3 does.

    With ``old_text`` (the file's current content) the new data is applied as a diff onto it
    (spec §3.4), so user ordering and unknown-to-us-but-valid fields survive, and unchanged data
    gives identical bytes. Comments in ``old_text`` are lost (PyYAML limitation).
    """
    new = to_dict(dvcfile)
    if old_text is not None:
        try:
            old = _yaml.loads(old_text, "<old>")
        except FormatError:
            old = None
        if isinstance(old, dict):
            apply_diff(new, old)
            new = old
    return _yaml.dumps(new)


def dump(path: str | os.PathLike[str], dvcfile: DvcFile) -> bool:
    """Write ``dvcfile`` to ``path`` atomically, rewriting an existing file per :func:`dumps`.

    Returns False (and leaves the file and its mtime alone) when the bytes would not change.
    """
    p = Path(path)
    try:
        old: bytes | None = p.read_bytes()
    except FileNotFoundError:
        old = None
    data = dumps(dvcfile, old).encode("utf-8")
    if data == old:
        return False
    fsutil.atomic_write(p, data)
    return True


def resolve_path(dvcfile_relpath: str, dvcfile: DvcFile, out: Out) -> str:
    """Return ``out``'s path relative to the repo root (posix), given the ``.dvc`` file's relpath.

    Paths are relative to the ``.dvc`` file's directory, or to its ``wdir``. An absolute path,
    one that leaves the repo, or one inside ``.dvc/`` or ``.git/`` is a :class:`PathError`.
    """
    base = posixpath.dirname(dvcfile_relpath)
    if dvcfile.wdir:
        base = posixpath.join(base, dvcfile.wdir)
    joined = posixpath.normpath(posixpath.join(base, out.path))
    if posixpath.isabs(out.path) or joined == ".." or joined.startswith("../"):
        msg = f"{dvcfile_relpath}: output {out.path!r} is outside the repository"
        raise PathError(msg)
    why = out_problem(out.path, joined)
    if why is not None:
        field = f"outs[{dvcfile.outs.index(out)}].path" if out in dvcfile.outs else "outs"
        msg = str(Problem(dvcfile_relpath, field, *why, sep=": "))
        raise PathError(msg)
    return joined
