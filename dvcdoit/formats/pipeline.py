"""``dvc.yaml`` ⇄ ``{name: StageDef}`` (spec §5): templating, validation, and ``stage add`` writing.

Parsing resolves templates first (:mod:`dvcdoit.formats.template`), then checks every stage
against DVC's schema and collects *all* problems, each named like
``dvc.yaml:stages.train.outs[1]: ...``. Writing (``stage add``/``run -n``) loads the raw file,
replaces one stage's mapping in place and dumps the whole file, so every other key is kept;
comments are NOT kept (DVC's ruamel round-trip keeps them; PyYAML cannot).
"""

from __future__ import annotations

import posixpath
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import FormatError, Problem, Problems, StageError
from dvcdoit.formats import _yaml
from dvcdoit.formats._paths import out_problem
from dvcdoit.formats.params import DEFAULT_PARAMS_FILE, load_params
from dvcdoit.formats.template import ReadFile, Resolver

PIPELINE_FILE = "dvc.yaml"
OUT_KINDS = ("outs", "metrics", "plots")
TOP_KEYS = {"stages", "vars", "params", "metrics", "plots", "artifacts", "datasets"}
STAGE_KEYS = ("desc", "cmd", "wdir", "deps", "params", "outs", "metrics", "plots", "frozen",
              "always_changed", "meta")
_BOOL_FLAGS = ("cache", "persist", "push", "checkpoint")
_STR_FLAGS = ("remote", "desc", "type")
_OUT_FLAGS = {*_BOOL_FLAGS, *_STR_FLAGS, "labels", "meta"}
_PLOT_PROPS = {"template", "x", "y", "x_label", "y_label", "title", "header"}
_BAD_NAME_CHARS = set(string.punctuation) - {"_", "-"}


@dataclass(frozen=True)
class Out:
    """One output (``outs``, ``metrics`` or ``plots`` entry); ``path`` is as written (wdir-relative)."""

    path: str
    kind: str = "outs"
    cache: bool = True
    persist: bool = False
    push: bool = True
    remote: str | None = None
    flags: tuple[tuple[str, Any], ...] = ()
    """Every flag as written, in file order (kept for writing back)."""


@dataclass(frozen=True)
class ParamsDep:
    """A params file dependency: ``keys`` None tracks the whole file."""

    path: str
    keys: tuple[str, ...] | None


@dataclass(frozen=True)
class StageDef:
    """A resolved stage. ``file`` is the defining file (repo-relative); ``wdir`` is repo-relative."""

    name: str
    cmd: str | tuple[str, ...]
    file: str = PIPELINE_FILE
    wdir: str = "."
    deps: tuple[str, ...] = ()
    params: tuple[ParamsDep, ...] = ()
    outs: tuple[Out, ...] = ()
    frozen: bool = False
    always_changed: bool = False
    desc: str | None = None
    meta: Any = None
    wdir_def: str | None = None
    extra: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @property
    def single(self) -> bool:
        """True for a classic single-stage ``.dvc`` file."""
        return self.file.endswith(".dvc")

    @property
    def addressing(self) -> str:
        """How DVC names the stage: ``train``, ``sub/dvc.yaml:train`` or ``prepare.dvc``."""
        if self.single:
            return self.file
        return self.name if self.file == PIPELINE_FILE else f"{self.file}:{self.name}"

    @property
    def lock_cmd(self) -> str | list[str]:
        """The cmd as ``dvc.lock`` stores it (a list stays a list)."""
        return list(self.cmd) if isinstance(self.cmd, tuple) else self.cmd

    @property
    def commands(self) -> list[str]:
        """The command lines, each run in its own shell (§8.4)."""
        return list(self.cmd) if isinstance(self.cmd, tuple) else self.cmd.splitlines()

    @property
    def is_callback(self) -> bool:
        """A cmd stage with no deps (params included) and no outs: always changed."""
        return not self.deps and not self.params and not self.outs

    def repo_path(self, path: str) -> str:
        """Repo-relative normalised posix path of a wdir-relative ``path`` (absolute stays)."""
        if posixpath.isabs(path):
            return posixpath.normpath(path)
        return posixpath.normpath(posixpath.join(self.wdir, path))

    def params_path(self, p: ParamsDep) -> str:
        """Repo-relative path of a params file."""
        return self.repo_path(p.path)


def _escapes(path: str) -> bool:
    return posixpath.isabs(path) or path == ".." or path.startswith("../")


def _is_dvc_file(path: str) -> bool:
    return path.endswith(".dvc") or posixpath.basename(path) == PIPELINE_FILE


def _parse_cmd(ck: Problems, where: str, cmd: Any) -> str | tuple[str, ...]:
    if isinstance(cmd, str) and cmd.strip():
        return cmd
    if isinstance(cmd, list) and cmd and all(isinstance(c, str) for c in cmd):
        return tuple(cmd)
    ck.add(f"{where}.cmd", "required: a non-empty string or list of strings")
    return ""


def _parse_out(ck: Problems, where: str, kind: str, item: Any) -> Out | None:
    if isinstance(item, str):
        return Out(item, kind)
    if not (isinstance(item, Mapping) and len(item) == 1):
        ck.add(where, "expected a path or {path: {flag: value}}")
        return None
    (path, flags), = item.items()
    flags = flags or {}
    if not isinstance(path, str) or not isinstance(flags, Mapping):
        ck.add(where, "expected a path or {path: {flag: value}}")
        return None
    allowed = _OUT_FLAGS | (_PLOT_PROPS if kind == "plots" else set())
    for key, value in flags.items():
        if key not in allowed:
            ck.add(f"{where}.{key}", "extra keys not allowed")
        elif key in _BOOL_FLAGS and not isinstance(value, bool):
            ck.add(f"{where}.{key}", f"expected true or false, got {value!r}")
        elif key in _STR_FLAGS and not isinstance(value, str):
            ck.add(f"{where}.{key}", f"expected a string, got {value!r}")
    return Out(
        path, kind,
        cache=flags.get("cache", True) is not False,
        persist=flags.get("persist", False) is True,
        push=flags.get("push", True) is not False,
        remote=flags.get("remote") if isinstance(flags.get("remote"), str) else None,
        flags=tuple(flags.items()),
    )


def _parse_params(ck: Problems, where: str, value: Any) -> tuple[ParamsDep, ...]:
    default: list[str] = []
    files: dict[str, list[str] | None] = {}
    for i, item in enumerate(value or []):
        if isinstance(item, str):
            default.append(item)
            files.setdefault(DEFAULT_PARAMS_FILE, [])  # NOTE: first use keeps DVC's file order
            continue
        if not isinstance(item, Mapping):
            ck.add(f"{where}[{i}]", "expected a key or {file: [keys]}")
            continue
        for path, keys in item.items():
            if keys is None or keys == []:
                files[path] = None
            elif isinstance(keys, list) and all(isinstance(k, str) for k in keys):
                prev = files.get(path, [])
                files[path] = None if prev is None and path in files else [*(prev or []), *keys]
            else:
                ck.add(f"{where}[{i}].{path}", "expected a list of keys, or nothing")
    deps = []
    if default:
        files[DEFAULT_PARAMS_FILE] = (
            None if files[DEFAULT_PARAMS_FILE] is None
            else [*default, *(files[DEFAULT_PARAMS_FILE] or [])]
        )
    for path, keys in files.items():
        uniq = None if keys is None else tuple(dict.fromkeys(keys))
        deps.append(ParamsDep(path, uniq))
    return tuple(deps)


def _str_list(ck: Problems, where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        ck.add(where, "expected a list")
        return []
    good = []
    for i, v in enumerate(value):
        if isinstance(v, str):
            good.append(v)
        else:
            ck.add(f"{where}[{i}]", f"expected a path string, got {v!r}")
    return good


def _parse_wdir(ck: Problems, where: str, d: Mapping[str, Any], file: str) -> tuple[str, str | None]:
    """Return ``(repo-relative wdir, wdir as written)``."""
    wdir_def = d.get("wdir")
    if wdir_def is not None and not isinstance(wdir_def, str):
        ck.add(f"{where}.wdir", "expected a string")
        wdir_def = None
    wdir = posixpath.normpath(posixpath.join(posixpath.dirname(file), wdir_def or "."))
    if _escapes(wdir):
        ck.add(f"{where}.wdir", f"'{wdir_def}' is outside the repo")
    return wdir, wdir_def


def _parse_outs(ck: Problems, where: str, d: Mapping[str, Any], wdir: str) -> list[Out]:
    outs: list[Out] = []
    for kind in OUT_KINDS:
        raw = d.get(kind)
        if raw is not None and not isinstance(raw, list):
            ck.add(f"{where}.{kind}", "expected a list")
            continue
        for i, item in enumerate(raw or []):
            out = _parse_out(ck, f"{where}.{kind}[{i}]", kind, item)
            if out is None:
                continue
            full = posixpath.normpath(posixpath.join(wdir, out.path))
            if _escapes(full):
                ck.add(f"{where}.{kind}[{i}]", f"output '{out.path}' is outside the repo")
            elif _is_dvc_file(full):
                ck.add(f"{where}.{kind}[{i}]", f"'{out.path}' is a DVC file; it cannot be an output")
            elif (why := out_problem(out.path, full)) is not None:
                ck.add(f"{where}.{kind}[{i}]", *why)
            outs.append(out)
    return outs


def _check_flags(ck: Problems, where: str, d: Mapping[str, Any]) -> None:
    for key in ("frozen", "always_changed"):
        if key in d and not isinstance(d[key], bool):
            ck.add(f"{where}.{key}", f"expected true or false, got {d[key]!r}")
    desc = d.get("desc")
    if desc is not None and not isinstance(desc, str):
        ck.add(f"{where}.desc", "expected a string")


def _check_deps(ck: Problems, where: str, deps: list[str]) -> None:
    for i, dep in enumerate(deps):
        if _is_dvc_file(dep):
            ck.add(f"{where}.deps[{i}]", f"'{dep}' is a DVC file; it cannot be a dependency")


def parse_stage(ck: Problems, name: str, d: Any, file: str) -> StageDef | None:
    """Validate one resolved stage mapping; problems go to ``ck``."""
    where = f"stages.{name}"
    base = name.split("@", 1)[0]
    if not base or any(c in _BAD_NAME_CHARS for c in base):
        ck.add(where, f"invalid stage name '{name}': use letters, digits, '_' and '-' only")
    if not isinstance(d, Mapping):
        ck.add(where, "expected a mapping with at least 'cmd'")
        return None
    for key in d:
        if key not in STAGE_KEYS:
            ck.add(f"{where}.{key}", "extra keys not allowed")
    cmd = _parse_cmd(ck, where, d.get("cmd"))
    wdir, wdir_def = _parse_wdir(ck, where, d, file)
    deps = _str_list(ck, f"{where}.deps", d.get("deps"))
    outs = _parse_outs(ck, where, d, wdir)
    _check_deps(ck, where, deps)
    params_raw = d.get("params")
    if params_raw is not None and not isinstance(params_raw, list):
        ck.add(f"{where}.params", "expected a list")
        params_raw = None
    params = _parse_params(ck, f"{where}.params", params_raw)
    _check_flags(ck, where, d)
    desc = d.get("desc")
    return StageDef(
        name=name, cmd=cmd, file=file, wdir=wdir, deps=tuple(deps), params=params,
        outs=tuple(outs), frozen=d.get("frozen") is True,
        always_changed=d.get("always_changed") is True,
        desc=desc if isinstance(desc, str) else None, meta=d.get("meta"), wdir_def=wdir_def,
    )


def parse_pipeline(data: Any, file: str, read_file: ReadFile) -> dict[str, StageDef]:
    """Turn parsed ``dvc.yaml`` data into ``{name: StageDef}`` (generated stages expanded).

    Raises ``FormatError`` listing every problem found (``file:field: message; ...``).
    """
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise FormatError([Problem(file, "", "expected a mapping with 'stages'")])
    ck = Problems(file)
    for key in data:
        if key not in TOP_KEYS:
            ck.add(str(key), "extra keys not allowed")
    stages_raw = data.get("stages")
    if stages_raw is not None and not isinstance(stages_raw, Mapping):
        ck.add("stages", "expected a mapping of stage names to definitions")
    ck.raise_if_any()
    resolved = Resolver(data, file, posixpath.dirname(file), read_file).resolve_all()
    stages: dict[str, StageDef] = {}
    for name, d in resolved.items():
        stage = parse_stage(ck, name, d, file)
        if stage is not None:
            stages[name] = stage
    ck.raise_if_any()
    return stages


def file_reader(root: Path) -> ReadFile:
    """A ``read_file`` callback reading repo-relative params/vars files below ``root``."""

    def read(relpath: str) -> Any:
        return load_params(root / relpath, relpath)

    return read


def load_pipeline(root: Path, file: str = PIPELINE_FILE) -> dict[str, StageDef]:
    """Read ``root/file`` and parse it (empty dict if the file does not exist)."""
    path = root / file
    if not path.exists():
        return {}
    return parse_pipeline(_yaml.load_file(str(path), file), file, file_reader(root))


def _out_to_yaml(out: Out) -> Any:
    """Flags in DVC's order: annotations, cache, persist, plot props, remote, push."""
    written = dict(out.flags)
    flags: dict[str, Any] = {k: written[k] for k in ("desc", "type", "labels", "meta") if k in written}
    if not out.cache:
        flags["cache"] = False
    if out.persist:
        flags["persist"] = True
    flags.update((k, v) for k, v in out.flags if k in _PLOT_PROPS)
    if out.remote:
        flags["remote"] = out.remote
    if not out.push:
        flags["push"] = False
    return {out.path: flags} if flags else out.path


def _params_to_yaml(params: tuple[ParamsDep, ...]) -> list[Any]:
    keys: list[Any] = []
    for p in sorted(params, key=lambda p: p.path):
        k = sorted(p.keys or ())
        if k and p.path == DEFAULT_PARAMS_FILE:
            keys = k + keys
        else:
            keys.append({p.path: k or None})
    return keys


def stage_to_dict(stage: StageDef) -> dict[str, Any]:
    """Serialise a stage as ``dvc stage add`` does (§5 key order, sorted entries, no empties)."""
    buckets: dict[str, list[Any]] = {k: [] for k in OUT_KINDS}
    for out in sorted(stage.outs, key=lambda o: o.path):
        buckets[out.kind].append(_out_to_yaml(out))
    wdir = stage.wdir_def if stage.wdir_def not in (None, ".") else None
    items = [
        ("desc", stage.desc), ("cmd", stage.lock_cmd), ("wdir", wdir),
        ("deps", sorted(stage.deps)), ("params", _params_to_yaml(stage.params)),
        ("outs", buckets["outs"]), ("metrics", buckets["metrics"]), ("plots", buckets["plots"]),
        ("frozen", stage.frozen), ("always_changed", stage.always_changed), ("meta", stage.meta),
    ]
    return {k: v for k, v in items if v}


def write_stage(root: Path, stage: StageDef, force: bool = False) -> None:
    """Add (or with ``force`` replace) ``stage`` in ``root/stage.file``, keeping other content.

    A replaced stage keeps its position. Raises ``StageError`` if the name exists and not
    ``force``. Comments in the file are lost (see module docstring).
    """
    path = root / stage.file
    data: Any = _yaml.load_file(str(path), stage.file) if path.exists() else None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FormatError([Problem(stage.file, "", "expected a mapping with 'stages'")])
    stages = data.get("stages")
    if stages is None:
        stages = data["stages"] = {}
    if not isinstance(stages, dict):
        raise FormatError([Problem(stage.file, "stages", "expected a mapping")])
    if stage.name in stages and not force:
        msg = f"Stage '{stage.name}' already exists in '{stage.file}'. Use '--force' to overwrite."
        raise StageError(msg)
    stages[stage.name] = stage_to_dict(stage)
    fsutil.atomic_write_text(path, _yaml.dumps(data))
