"""``dvc.lock`` (schema '2.0') ⇄ ``{name: LockEntry}`` (spec §6), byte-identical to DVC's output.

Entry key order is ``cmd, deps, params, outs``; deps/outs are sorted by path, params put
``params.yaml`` first and sort the (top-level) keys of each file. An item without a ``hash``
key is legacy ``md5-dos2unix``. Updating one stage keeps every other entry's raw mapping
untouched and in place; new stages are appended; nothing is ever pruned (DVC does the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import FormatError, Problem, Problems
from dvcdoit.core.hashing import LEGACY, MD5, OID_RULE, HashInfo, is_oid
from dvcdoit.formats import _yaml
from dvcdoit.formats._paths import out_problem
from dvcdoit.formats.params import DEFAULT_PARAMS_FILE

LOCK_FILE = "dvc.lock"
SCHEMA = "2.0"
_ITEM_KEYS = ("path", "hash", "md5", "size", "nfiles", "isexec")


@dataclass(frozen=True)
class LockItem:
    """A dep or out as locked: ``path`` exactly as in dvc.yaml, its hash and metadata."""

    path: str
    hash: HashInfo | None
    size: int | None = None
    nfiles: int | None = None
    isexec: bool = False


@dataclass(frozen=True)
class LockEntry:
    """One stage's lock: the resolved cmd, hashed deps, params values, hashed outs."""

    cmd: str | tuple[str, ...]
    deps: tuple[LockItem, ...] = ()
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    outs: tuple[LockItem, ...] = ()

    def dep(self, path: str) -> LockItem | None:
        """The locked dep with this exact path, if any."""
        return next((d for d in self.deps if d.path == path), None)

    def out(self, path: str) -> LockItem | None:
        """The locked out with this exact path, if any."""
        return next((o for o in self.outs if o.path == path), None)


def item_to_dict(item: LockItem) -> dict[str, Any]:
    """Serialise one item in DVC's key order (``hash`` omitted for legacy)."""
    d: dict[str, Any] = {"path": item.path}
    if item.hash is not None:
        if not item.hash.legacy:
            d["hash"] = MD5
        d["md5"] = item.hash.value
    if item.size is not None:
        d["size"] = item.size
    if item.nfiles is not None:
        d["nfiles"] = item.nfiles
    if item.isexec:
        d["isexec"] = True
    return d


def params_to_dict(params: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Order params as DVC does: ``params.yaml`` first, files and top-level keys sorted."""
    files = sorted(params, key=lambda f: (f != DEFAULT_PARAMS_FILE, f))
    return {f: {k: params[f][k] for k in sorted(params[f])} for f in files}


def entry_to_dict(entry: LockEntry) -> dict[str, Any]:
    """Serialise an entry (sorting deps/outs/params); empty sections are left out."""
    d: dict[str, Any] = {"cmd": list(entry.cmd) if isinstance(entry.cmd, tuple) else entry.cmd}
    if entry.deps:
        d["deps"] = [item_to_dict(i) for i in sorted(entry.deps, key=lambda i: i.path)]
    if entry.params:
        d["params"] = params_to_dict(entry.params)
    if entry.outs:
        d["outs"] = [item_to_dict(i) for i in sorted(entry.outs, key=lambda i: i.path)]
    return d


def _at(where: str, key: str) -> str:
    """The field path of ``key`` below ``where`` (``where`` is empty for a run-cache entry)."""
    return f"{where}.{key}" if where else key


def parse_md5(problems: Problems, where: str, value: Any) -> str | None:
    """The ``md5`` of a lock item, lower-cased; None when absent or ``""`` (as DVC reads it).

    NOTE: the value becomes a cache and remote path, so anything but an md5 object id
    (``../x``) is a problem, as it is in a ``.dvc`` file.
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        problems.add(where, "expected a string")
        return None
    if not is_oid(value.lower()):
        problems.add(where, f"{value!r} is not an md5 hash ({OID_RULE})")
        return None
    return value.lower()


def _parse_item(problems: Problems, where: str, raw: Any) -> LockItem | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("path"), str):
        problems.add(where, "expected a mapping with a 'path'")
        return None
    extra = [k for k in raw if k not in _ITEM_KEYS]
    if extra:
        problems.add(_at(where, str(extra[0])), "extra keys not allowed")
    name = raw.get("hash")
    if name not in (None, MD5):
        problems.add(_at(where, "hash"), f"unsupported hash {name!r}; expected 'md5'")
    md5 = parse_md5(problems, _at(where, "md5"), raw.get("md5"))
    size, nfiles = raw.get("size"), raw.get("nfiles")
    for key, value in (("size", size), ("nfiles", nfiles)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            problems.add(_at(where, key), "expected an integer")
    return LockItem(
        path=raw["path"],
        hash=None if md5 is None else HashInfo(MD5 if name == MD5 else LEGACY, md5),
        size=size if isinstance(size, int) else None,
        nfiles=nfiles if isinstance(nfiles, int) else None,
        isexec=raw.get("isexec") is True,
    )


def _parse_items(problems: Problems, where: str, raw: Any) -> list[LockItem]:
    """The ``deps`` or ``outs`` (``where`` ends with which) of one entry."""
    if not raw:
        return []
    if not isinstance(raw, list):
        problems.add(where, "expected a list")
        return []
    items = []
    for i, item in enumerate(raw):
        parsed = _parse_item(problems, f"{where}[{i}]", item)
        if parsed is None:
            continue
        why = out_problem(parsed.path, parsed.path) if where.endswith("outs") else None
        if why is not None:
            problems.add(f"{where}[{i}].path", *why)
        items.append(parsed)
    return items


def _parse_entry(problems: Problems, where: str, raw: Any) -> LockEntry | None:
    if not isinstance(raw, Mapping):
        problems.add(where, "expected a mapping")
        return None
    extra = [k for k in raw if k not in ("cmd", "deps", "params", "outs")]
    if extra:
        problems.add(_at(where, str(extra[0])), "extra keys not allowed")
    cmd = raw.get("cmd")
    if isinstance(cmd, list) and all(isinstance(c, str) for c in cmd):
        cmd = tuple(cmd)
    elif not isinstance(cmd, str):
        problems.add(_at(where, "cmd"), "required: a string or list of strings")
        cmd = ""
    items = {kind: _parse_items(problems, _at(where, kind), raw.get(kind))
             for kind in ("deps", "outs")}
    params = raw.get("params") or {}
    if not isinstance(params, Mapping) or not all(isinstance(v, Mapping) for v in params.values()):
        problems.add(_at(where, "params"), "expected {file: {key: value}}")
        params = {}
    return LockEntry(cmd, tuple(items["deps"]), {f: dict(v) for f, v in params.items()},
                     tuple(items["outs"]))


def parse_lock(data: Any, source: str = LOCK_FILE) -> dict[str, LockEntry]:
    """Turn parsed ``dvc.lock`` data into entries, reporting every problem at once."""
    if data is None:
        return {}
    if not isinstance(data, Mapping) or data.get("schema") != SCHEMA:
        raise FormatError([Problem(source, "", "not a schema '2.0' lock file (DVC 1.x lock "
                                   "files are not supported)", fix="delete it")])
    problems = Problems(source)
    entries: dict[str, LockEntry] = {}
    stages = data.get("stages") or {}
    if not isinstance(stages, Mapping):
        raise FormatError([Problem(source, "stages", "expected a mapping")])
    for name, raw in stages.items():
        entry = _parse_entry(problems, f"stages.{name}", raw)
        if entry is not None:
            entries[str(name)] = entry
    problems.raise_if_any()
    return entries


def load_lock(path: Path, source: str | None = None) -> dict[str, LockEntry]:
    """Read a lock file; a missing file means no entries."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return {}
    return parse_lock(_yaml.loads(text, source or path.name), source or path.name)


@dataclass
class _Written:
    """What this process last wrote to a lock file: the whole text and each stage's part."""

    text: bytes
    chunks: dict[Any, str]


class LockWrites:
    """What one process last wrote to each lock file (path → :class:`_Written`); a session's."""

    def __init__(self) -> None:
        self.by_path: dict[str, _Written] = {}


_HEADER = f"schema: '{SCHEMA}'\nstages:\n"


def _chunk(name: Any, raw: Any) -> str:
    """One stage's text below ``stages:``; a block mapping's entries are emitted independently,
    so the chunks joined give the bytes of dumping the whole file."""
    return _yaml.dumps({"stages": {name: raw}})[len("stages:\n"):]


def write_entries(path: Path, updates: Mapping[str, LockEntry],
                  memo: LockWrites | None = None) -> str:
    """Set the given stages' entries in the lock file at ``path``, atomically.

    Existing stages keep their position (their whole entry is replaced), new ones are
    appended, and other entries are kept byte for byte as raw data.

    NOTE: a run writes the lock once per stage; re-parsing and re-dumping the whole file
    each time made a 50-stage repro spend seconds in YAML (O(N²)). So each stage's text is
    remembered in ``memo`` (the session's) while the file still holds exactly what this
    process last wrote, and only the updated stages are dumped again.

    Returns what happened, for DVC's lines: ``created`` (no lock file before; DVC says
    ``Generating lock file`` then ``Updating lock file``), ``updated``, or ``unchanged``
    (every entry already as given: the file is left alone, as DVC leaves it).
    """
    memo = memo if memo is not None else LockWrites()
    key = str(path)
    try:
        current: bytes | None = path.read_bytes()
    except FileNotFoundError:
        current = None
    last = memo.by_path.get(key)
    if last is not None and current == last.text:
        chunks = dict(last.chunks)
    else:
        data: Any = None
        if current is not None:
            data = _yaml.loads(current, path.name)
            parse_lock(data, path.name)  # NOTE: refuse to rewrite a file we cannot read
        stages = data.get("stages") if isinstance(data, dict) else None
        raw = dict(stages) if isinstance(stages, Mapping) else {}
        chunks = {name: _chunk(name, value) for name, value in raw.items()}
    same = current is not None
    for name, entry in updates.items():
        chunk = _chunk(name, entry_to_dict(entry))
        same = same and chunks.get(name) == chunk
        chunks[name] = chunk
    if same:
        return "unchanged"
    text = _HEADER + "".join(chunks.values()) if chunks else _yaml.dumps(
        {"schema": SCHEMA, "stages": {}})
    fsutil.atomic_write_text(path, text)
    memo.by_path[key] = _Written(text.encode("utf-8"), chunks)
    return "created" if current is None else "updated"


def parse_entry(data: Any, source: str) -> LockEntry:
    """Parse one stage entry (e.g. a run-cache file, which is an entry without its name)."""
    problems = Problems(source)
    entry = _parse_entry(problems, "", data)
    if entry is None or problems:
        raise problems.error()
    return entry
