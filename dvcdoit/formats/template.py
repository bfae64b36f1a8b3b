"""``dvc.yaml`` templating (spec §14): ``${}`` interpolation, ``vars``, ``foreach``/``do``, ``matrix``.

The behaviour follows DVC 3.67.1's ``dvc/parsing``: a string that is exactly one ``${x}``
keeps x's type; otherwise values are rendered with ``str()`` (``true``/``false`` for bools),
and a dict is allowed only inside ``cmd`` where it expands to ``--k v`` options. ``\\${``
escapes a reference. The context is ``params.yaml`` of the ``dvc.yaml`` directory, then
top-level ``vars``, then stage ``vars``; redefining a key is an error, worded as DVC's.

Files are read through a ``read_file(repo_relpath) -> data`` callback, so this module does
no I/O. Shortcut: a ``dvc.yaml`` with no ``${`` at all and no ``vars`` never builds a
context, so ``params.yaml`` is not even read (DVC reads it anyway; only its errors differ).
"""

from __future__ import annotations

import copy
import itertools
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from dvcdoit.core.errors import FormatError, Problem
from dvcdoit.formats.params import DEFAULT_PARAMS_FILE

ReadFile = Callable[[str], Any]
"""``read_file(repo_relpath)`` returns parsed data or raises ``FileNotFoundError``."""

_KEYCRE = re.compile(r"(?<!\\)\$\{(?P<inner>.*?)\}")
_EXPR = re.compile(r"^[^.\[\]]+(?:\.[^.\[\]]+|\[[^.\[\]]+\])*$")
_PRIMITIVES = (int, float, str, bytes, bool)
JOIN = "@"


class TemplateError(Exception):
    """A problem inside one field; turned into a FormatError naming ``file:field``."""


def to_str(value: Any) -> str:
    """Render a value the way DVC does inside a larger string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _dict_to_options(value)
    return str(value)


def _flatten(d: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            yield from _flatten(v, key + ".")
        else:
            yield key, v


def _dict_to_options(d: Mapping[str, Any]) -> str:
    """``{k: v, b: true, n: [1, 2]}`` → ``--k v --b --n 1 2`` (DVC's default parsing config)."""
    parts: list[str] = []
    for k, v in _flatten(d):
        if isinstance(v, bool):
            if v:
                parts.append(f"--{k}")
        elif isinstance(v, str):
            parts.append(f"--{k} {shlex.quote(v)}")
        elif isinstance(v, (list, tuple)):
            items = []
            for item in v:
                if isinstance(item, (list, tuple, dict)):
                    msg = f"Cannot interpolate nested iterable in '{k}'"
                    raise TemplateError(msg)
                items.append(shlex.quote(item) if isinstance(item, str) else str(item))
            parts.append(" ".join([f"--{k}", *items]))
        else:
            parts.append(f"--{k} {v}")
    return " ".join(parts)


class Context:
    """Template variables, with the source of every merged subtree for DVC's error text."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self._sources: dict[tuple[str, ...], str] = {}
        self._imports: dict[str, list[str] | None] = {}

    def clone(self) -> Context:
        """Return an independent copy (used for stage-local vars)."""
        new = Context()
        new.data = copy.deepcopy(self.data)
        new._sources = dict(self._sources)
        new._imports = copy.deepcopy(self._imports)
        return new

    def _source_of(self, path: tuple[str, ...]) -> str:
        for n in range(len(path), 0, -1):
            if path[:n] in self._sources:
                return self._sources[path[:n]]
        return "<local>"

    def merge(self, update: Mapping[str, Any], source: str) -> None:
        """Merge ``update`` recursively; a leaf that already exists is a redefinition error."""
        self._merge(self.data, update, (), source)

    def _merge(
        self, into: dict[str, Any], update: Mapping[str, Any], path: tuple[str, ...], src: str
    ) -> None:
        for key, val in update.items():
            sub = (*path, str(key))
            if isinstance(into.get(key), dict) and isinstance(val, Mapping):
                self._merge(into[key], val, sub, src)
                continue
            if key in into:
                dotted = ".".join(sub)
                msg = (
                    f"cannot redefine '{dotted}' from '{src}' as it already exists in "
                    f"'{self._source_of(sub)}'"
                )
                raise TemplateError(msg)
            into[key] = copy.deepcopy(val)
            self._sources[sub] = src

    def load_file(self, read_file: ReadFile, item: str, wdir: str) -> None:
        """Merge ``file.yaml`` or ``file.yaml:k1,k2`` (relative to ``wdir``) into the context."""
        file, _, keys_str = item.partition(":")
        path = posixpath.normpath(posixpath.join(wdir, file)) if wdir else posixpath.normpath(file)
        keys = [k for k in keys_str.split(",") if k] or None
        if path in self._imports:
            prev = self._imports[path]
            if keys is None and prev is None:
                return  # NOTE: DVC allows naming the same whole file more than once
            if keys is None or prev is None or set(keys) & set(prev):
                how = "partially load" if prev is None else "load"
                tail = "it's already loaded." if prev is None else "it's partially loaded already"
                msg = f"cannot {how} '{item}' as {tail}"
                raise TemplateError(msg)
        try:
            data = read_file(path)
        except FileNotFoundError:
            msg = f"'{path}' does not exist"
            raise TemplateError(msg) from None
        except IsADirectoryError:
            msg = f"'{path}' is a directory"
            raise TemplateError(msg) from None
        if not isinstance(data, Mapping):
            msg = f"expected a dictionary, got '{type(data).__name__}' in file '{path}'"
            raise TemplateError(msg)
        if keys is not None:
            missing = [k for k in keys if k not in data]
            if missing:
                msg = f"could not find '{missing[0]}' in '{path}'"
                raise TemplateError(msg)
            data = {k: data[k] for k in keys}
        self.merge(data, path)
        if keys is not None and self._imports.get(path):
            self._imports[path] = [*(self._imports[path] or []), *keys]
        else:
            self._imports[path] = keys

    def load_vars(self, read_file: ReadFile, vars_: Any, wdir: str, stage: str = "") -> None:
        """Merge a ``vars`` list: file names (``x.yaml``, ``x.yaml:k1,k2``) or inline dicts."""
        if not isinstance(vars_, list):
            msg = "'vars' must be a list of file names or dicts"
            raise TemplateError(msg)
        for index, item in enumerate(vars_):
            if isinstance(item, str):
                if _KEYCRE.search(item):
                    msg = "interpolating is not allowed"
                    raise TemplateError(msg)
                self.load_file(read_file, item, wdir)
            elif isinstance(item, Mapping):
                self.merge(item, f"{stage}.vars[{index}]" if stage else f"vars[{index}]")
            else:
                msg = f"vars[{index}] must be a file name or a dict"
                raise TemplateError(msg)

    def select(self, expr: str) -> Any:
        """Return the value at ``a.b[0].c``; raise TemplateError ``Could not find 'expr'``."""
        node: Any = self.data
        for raw in expr.replace("[", ".").replace("]", "").split("."):
            part = raw.strip()
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(
                part
            ) < len(node):
                node = node[int(part)]
            else:
                msg = f"Could not find '{expr}'"
                raise TemplateError(msg)
        return node

    @contextmanager
    def temporarily(self, values: Mapping[str, Any]) -> Iterator[None]:
        """Set top-level ``item``/``key`` while one generated stage is resolved."""
        saved = {k: self.data[k] for k in values if k in self.data}
        self.data.update(values)
        try:
            yield
        finally:
            for k in values:
                self.data.pop(k, None)
            self.data.update(saved)


def _check_value(value: Any, key: str | None) -> None:
    if value is None or isinstance(value, _PRIMITIVES) or key is None:
        return
    if isinstance(value, dict) and key == "cmd":
        return
    msg = f"Cannot interpolate data of type '{type(value).__name__}'"
    raise TemplateError(msg)


def _expression(inner: str) -> str:
    if not _EXPR.match(inner):
        msg = f"invalid expression '${{{inner}}}'"
        raise TemplateError(msg)
    return inner


def resolve_str(src: str, ctx: Context, key: str | None) -> Any:
    """Interpolate one string; an exact ``${x}`` returns x itself (keeping its type)."""
    matches = list(_KEYCRE.finditer(src))
    if len(matches) == 1 and matches[0].group(0) == src:
        value = ctx.select(_expression(matches[0]["inner"]))
        _check_value(value, key)
        return copy.deepcopy(value)
    buf, index = "", 0
    for m in matches:
        value = ctx.select(_expression(m["inner"]))
        _check_value(value, key)
        buf += src[index : m.start()] + to_str(value)
        index = m.end()
    return (buf + src[index:]).replace("\\${", "${")


def resolve(data: Any, ctx: Context, key: str | None) -> Any:
    """Interpolate every string (keys included) inside ``data``, recursively."""
    if isinstance(data, Mapping):
        return {resolve(k, ctx, key): resolve(v, ctx, key) for k, v in data.items()}
    if isinstance(data, list):
        return [resolve(v, ctx, key) for v in data]
    if isinstance(data, str):
        return resolve_str(data, ctx, key)
    return data


def has_template(data: Any) -> bool:
    """True if any string inside ``data`` contains ``${`` (escaped or not)."""
    if isinstance(data, Mapping):
        return any(has_template(k) or has_template(v) for k, v in data.items())
    if isinstance(data, list):
        return any(has_template(v) for v in data)
    return isinstance(data, str) and "${" in data


def _is_map_or_seq(value: Any) -> bool:
    return isinstance(value, (Mapping, list, tuple))


class Resolver:
    """Expand the ``stages`` of one ``dvc.yaml`` into ``{name: resolved definition}``.

    Args:
        data: the parsed ``dvc.yaml`` mapping.
        file: the ``dvc.yaml`` path used in messages (repo-relative).
        wdir: the directory of ``dvc.yaml`` relative to the repo root (``""`` for the root).
        read_file: reads a repo-relative file (params/vars).
    """

    def __init__(self, data: Mapping[str, Any], file: str, wdir: str, read_file: ReadFile) -> None:
        self.data = data
        self.file = file
        self.wdir = wdir
        self.read_file = read_file
        self._ctx: Context | None = None
        self.needed = has_template(data.get("stages")) or bool(data.get("vars"))

    def _fail(self, field: str, exc: TemplateError | str) -> FormatError:
        return FormatError([Problem(self.file, field, str(exc))])

    @property
    def context(self) -> Context:
        """The global context (params.yaml + top-level vars), built on first use."""
        if self._ctx is None:
            ctx = Context()
            try:
                try:
                    ctx.load_file(self.read_file, DEFAULT_PARAMS_FILE, self.wdir)
                except TemplateError as exc:
                    if "does not exist" not in str(exc):
                        raise
                ctx.load_vars(self.read_file, self.data.get("vars", []), self.wdir)
            except TemplateError as exc:
                err = self._fail("vars", exc)
                raise err from None
            self._ctx = ctx
        return self._ctx

    def resolve_all(self) -> dict[str, dict[str, Any]]:
        """Return every stage, generated ones expanded, in definition order."""
        stages = self.data.get("stages") or {}
        out: dict[str, dict[str, Any]] = {}
        if not isinstance(stages, Mapping):
            return out
        if self.needed:
            _ = self.context  # NOTE: report vars errors even when no stage uses them
        for name, definition in stages.items():
            if not isinstance(definition, Mapping):
                out[str(name)] = definition  # NOTE: the schema check reports it
            elif "foreach" in definition:
                out.update(self._foreach(str(name), definition))
            elif "matrix" in definition:
                out.update(self._matrix(str(name), definition))
            else:
                out[str(name)] = self._entry(str(name), definition)
        return out

    def _entry(self, name: str, definition: Mapping[str, Any]) -> dict[str, Any]:
        if not self.needed and "vars" not in definition:
            return dict(definition)
        ctx = self.context
        definition = dict(definition)
        vars_ = definition.pop("vars", [])
        where = f"stages.{name}"
        if vars_:
            ctx = ctx.clone()
            wdir = definition.get("wdir")
            stage_wdir = self.wdir
            if isinstance(wdir, str):
                try:
                    stage_wdir = posixpath.join(self.wdir, to_str(resolve_str(wdir, ctx, None)))
                except TemplateError as exc:
                    err = self._fail(f"{where}.wdir", exc)
                    raise err from None
            try:
                ctx.load_vars(self.read_file, vars_, stage_wdir, stage=name)
            except TemplateError as exc:
                err = self._fail(f"{where}.vars", exc)
                raise err from None
        resolved: dict[str, Any] = {}
        for key, value in definition.items():
            try:
                resolved[key] = resolve(value, ctx, key)
            except TemplateError as exc:
                err = self._fail(f"{where}.{key}", exc)
                raise err from None
        return resolved

    def _iterable(self, name: str, kw: str, value: Any) -> Any:
        try:
            return resolve(value, self.context, None)
        except TemplateError as exc:
            err = self._fail(f"stages.{name}.{kw}", exc)
            raise err from None

    def _foreach(self, name: str, definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        data = self._iterable(name, "foreach", definition["foreach"])
        template = definition.get("do")
        if not _is_map_or_seq(data) or not isinstance(template, Mapping):
            what = type(data).__name__ if not _is_map_or_seq(data) else "no 'do' mapping"
            msg = f"expected list/dictionary, got {what}"
            field = f"stages.{name}.foreach"
            raise self._fail(field, msg)
        if isinstance(data, Mapping):
            items = {to_str(k): (v, {"key": to_str(k)}) for k, v in data.items()}
        elif any(_is_map_or_seq(v) for v in data):
            items = {str(i): (v, {}) for i, v in enumerate(data)}
        else:
            items = {to_str(v): (v, {}) for v in data}
        out = {}
        for key, (item, extra) in items.items():
            generated = f"{name}{JOIN}{key}"
            with self.context.temporarily({"item": item, **extra}):
                out[generated] = self._entry(generated, template)
        return out

    def _matrix(self, name: str, definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        matrix = self._iterable(name, "matrix", definition["matrix"])
        if not isinstance(matrix, Mapping) or not all(isinstance(v, list) for v in matrix.values()):
            msg = "expected a mapping of lists"
            field = f"stages.{name}.matrix"
            raise self._fail(field, msg)
        template = {k: v for k, v in definition.items() if k != "matrix"}
        out = {}
        keys = list(matrix)
        for combo in itertools.product(*(list(enumerate(matrix[k])) for k in keys)):
            pairs = list(zip(keys, combo, strict=True))
            item = {k: v for k, (_, v) in pairs}
            frags = [f"{k}{i}" if _is_map_or_seq(v) else to_str(v) for k, (i, v) in pairs]
            key = "-".join(frags)
            generated = f"{name}{JOIN}{key}"
            with self.context.temporarily({"item": item, "key": key}):
                out[generated] = self._entry(generated, template)
        return out
