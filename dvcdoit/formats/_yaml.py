"""The only YAML load/dump in dvcdoit: YAML 1.2 core schema, bytes matching DVC's ruamel output.

DVC reads with ruamel ``typ="safe"`` (YAML 1.2): ``1e-3`` is a float, ``yes``/``on`` are
strings, ``012`` is 12. PyYAML defaults to YAML 1.1, so the implicit resolvers and the
int/float constructors are replaced here, on top of the C parser/emitter when present.
Dumping uses the same resolvers, so a string is quoted exactly when YAML 1.2 would
otherwise read it as something else, as ruamel does.
"""

from __future__ import annotations

import contextlib
import math
import re
from typing import Any

import yaml

from dvcdoit.core.errors import FormatError, Problem
from dvcdoit.formats import _yamlnodes

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - pure-Python PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.VERBOSE,
)
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.VERBOSE,
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BREAKS = "\n\x85\u2028\u2029"  # NOTE: YAML line breaks, as ruamel's emitter lists them

_RESOLVERS: list[tuple[str, re.Pattern[str], str]] = [
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:null", _NULL, "~nN"),
]


def _install_resolvers(cls: Any) -> None:
    table: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, regexp, first in _RESOLVERS:
        for ch in first:
            table.setdefault(ch, []).append((tag, regexp))
    table.setdefault(None, []).append(("tag:yaml.org,2002:null", _NULL))  # empty scalar
    cls.yaml_implicit_resolvers = table


def _construct_int(loader: Any, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if text.startswith(prefix):
            return sign * int(text[2:], base)
    return sign * int(text, 10)  # NOTE: YAML 1.2: a leading 0 is still decimal (012 == 12)


def _construct_float(loader: Any, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).replace("_", "").lower()
    if text in (".nan",):
        return math.nan
    if text.lstrip("+-") == ".inf":
        return -math.inf if text.startswith("-") else math.inf
    return float(text)


def _construct_bool(loader: Any, node: yaml.ScalarNode) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"


class Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader with YAML 1.2 core-schema resolution."""


_install_resolvers(Loader)
Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
Loader.add_constructor("tag:yaml.org,2002:float", _construct_float)
Loader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


class Dumper(yaml.SafeDumper):
    """Block-style dumper whose quoting follows YAML 1.2 resolution, like DVC's ruamel.

    NOTE: pure-Python emitter on purpose: ruamel folds long plain scalars differently from
    libyaml (it breaks *before* a word that would pass the width, and at ``>=`` width), and
    ``dvc.lock`` must be byte-identical. Only :meth:`write_plain` differs from PyYAML.
    """

    def choose_scalar_style(self) -> str:
        """As PyYAML, but like ruamel a string with ``'`` or a newline gets double quotes."""
        style: str = super().choose_scalar_style()
        event: Any = self.event
        analysis: Any = self.analysis
        if (style == "'" and not event.style and ("'" in event.value or "\n" in event.value)
                and analysis.allow_double_quoted):
            return '"'
        return style

    def _dq_needs_escape(self, ch: str | None) -> bool:
        if ch is None or ch in '"\\\x85\u2028\u2029\ufeff':
            return True
        if "\x20" <= ch <= "\x7e":
            return False
        return not (self.allow_unicode and ("\xa0" <= ch <= "\ud7ff" or "\ue000" <= ch <= "\ufffd"
                                            or "\U00010000" <= ch <= "\U0010ffff"))

    def _dq_backslash(self, text: str, start: int, end: int) -> bool:
        """ruamel's rule: fold without a trailing backslash when the next line re-reads the same."""
        try:
            space_pos = text.index(" ", end)
            with contextlib.suppress(ValueError):
                space_pos = text.index("\n", end, space_pos)
            if text[space_pos] == "\n" and text[space_pos + 1] != " ":
                return True
            return not (
                '"' not in text[end:space_pos] and "'" not in text[end:space_pos]
                and text[space_pos + 1] not in " \n" and text[end - 1 : end + 1] != "  "
                and start != end
            )
        except (ValueError, IndexError):
            return True

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        """ruamel.yaml 0.18's ``Emitter.write_double_quoted`` (its folding differs from PyYAML)."""
        self.write_indicator('"', True)
        start = end = 0
        while end <= len(text):
            ch = text[end] if end < len(text) else None
            if self._dq_needs_escape(ch):
                if start < end:
                    self.column += end - start
                    self.stream.write(text[start:end])
                    start = end
                if ch is not None:
                    if ch in self.ESCAPE_REPLACEMENTS:
                        data = "\\" + self.ESCAPE_REPLACEMENTS[ch]
                    elif ch <= "\xff":
                        data = f"\\x{ord(ch):02X}"
                    elif ch <= "\uffff":
                        data = f"\\u{ord(ch):04X}"
                    else:
                        data = f"\\U{ord(ch):08X}"
                    self.column += len(data)
                    self.stream.write(data)
                    start = end + 1
            if (0 < end < len(text) - 1 and (ch == " " or start >= end)
                    and self.column + (end - start) > self.best_width and split):
                need_backslash = self._dq_backslash(text, start, end)
                data = text[start:end] + ("\\" if need_backslash else "")
                start = max(start, end)
                self.column += len(data)
                self.stream.write(data)
                self.write_indent()
                self.whitespace = False
                self.indention = False
                if text[start] == " ":
                    if not need_backslash:
                        start += 1
                    data = "\\" if need_backslash else ""
                    self.column += len(data)
                    self.stream.write(data)
            end += 1
        self.write_indicator('"', False)

    def write_plain(self, text: str, split: bool = True) -> None:
        """ruamel.yaml 0.18's ``Emitter.write_plain`` (line folding rules), minus comments."""
        if self.root_context:
            self.open_ended = True
        if not text:
            if self.states and self.states[-1] == self.expect_block_sequence_item:
                self.column += 1
                self.stream.write(" ")  # NOTE: ruamel writes "- " for a null list item
            return
        if not self.whitespace:
            self.column += 1
            self.stream.write(" ")
        self.whitespace = False
        self.indention = False
        spaces = breaks = False
        start = end = 0
        while end <= len(text):
            ch = text[end] if end < len(text) else None
            if spaces:
                if ch != " ":
                    start = self._plain_spaces(text, start, end, split)
            elif breaks:
                if (ch or "") not in _BREAKS:
                    start = self._plain_breaks(text, start, end)
            elif ch is None or ch in " " + _BREAKS:
                start = self._plain_word(text, start, end)
            if ch is not None:
                spaces = ch == " "
                breaks = ch in _BREAKS
            end += 1

    def _plain_spaces(self, text: str, start: int, end: int, split: bool) -> int:
        """Write the run of spaces ``text[start:end]`` (or fold the line at a single space)."""
        if start + 1 == end and self.column >= self.best_width and split:
            self.write_indent()
            self.whitespace = False
            self.indention = False
        else:
            self.column += end - start
            self.stream.write(text[start:end])
        return end

    def _plain_breaks(self, text: str, start: int, end: int) -> int:
        """Write the run of line breaks ``text[start:end]``, then indent."""
        if text[start] == "\n":
            self.write_line_break()
        for br in text[start:end]:
            self.write_line_break(None if br == "\n" else br)
        self.write_indent()
        self.whitespace = False
        self.indention = False
        return end

    def _plain_word(self, text: str, start: int, end: int) -> int:
        """Write the word ``text[start:end]``, on a new line if it would pass the width."""
        data = text[start:end]
        if (len(data) + self.column > self.best_width and self.indent is not None
                and self.column > self.indent):
            self.write_indent()  # NOTE: ruamel puts an over-long word on its own line
        self.column += len(data)
        self.stream.write(data)
        return end


def _represent_none(dumper: Any, _data: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")  # type: ignore[no-any-return]


def _represent_float(dumper: Any, data: float) -> yaml.ScalarNode:
    if math.isnan(data):
        text = ".nan"
    elif data in (math.inf, -math.inf):
        text = ".inf" if data > 0 else "-.inf"
    else:
        text = repr(data).lower()  # NOTE: ruamel in 1.2 mode writes 1e-05, not PyYAML's 1.0e-05
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)  # type: ignore[no-any-return]


_install_resolvers(Dumper)
Dumper.add_representer(type(None), _represent_none)
Dumper.add_representer(float, _represent_float)


def _load(text: str | bytes) -> Any:
    """``yaml.load``, with the node graph checked (:mod:`._yamlnodes`) before construction."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _yamlnodes.check(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def loads(text: str | bytes, source: str) -> Any:
    """Parse YAML text; a syntax error becomes ``FormatError`` naming ``source`` and the line.

    Duplicate keys, recursive aliases and alias bombs are syntax errors too (see
    :mod:`._yamlnodes`).
    """
    try:
        return _load(text)
    except _yamlnodes.NodeGraphError as exc:
        line = str(exc.line) if exc.line else ""
        raise FormatError([Problem(source, line, f"invalid YAML: {exc.message}")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}" if mark is not None else "?"
        problem = exc.problem or exc.context or "invalid YAML"
        raise FormatError([Problem(source, line, f"invalid YAML: {problem}")]) from None
    except yaml.reader.ReaderError as exc:
        msg = f"invalid YAML: not UTF-8 text ({exc.reason} at byte {exc.position})"
        raise FormatError([Problem(source, "", msg)]) from None
    except yaml.YAMLError as exc:
        one_line = " ".join(str(exc).split())
        raise FormatError([Problem(source, "", f"invalid YAML: {one_line}")]) from None


def load_file(path: str, source: str | None = None) -> Any:
    """Read and parse a YAML file (see :func:`loads`)."""
    with open(path, "rb") as f:
        return loads(f.read(), source or path)


def dumps(data: Any) -> str:
    """Serialise plain dicts/lists the way DVC writes them: block style, width 80, key order kept."""
    fast = _fast_dumps(data)
    return fast if fast is not None else _emit(data)


# NOTE: the fast path below writes what the emitter would for the common shape of dvc.lock,
# .dvc and run-cache files (mappings, lists, ints, bools and "boring" strings on lines that
# need no folding); anything else returns None and goes through the full emitter. PyYAML's
# pure-Python emitter costs ~3 ms per stage entry, which a 50-stage repro paid 100 times.
_SAFE_STR = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./=+@-]*(?: [A-Za-z0-9_./=+@-]+)*")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@-]*")
_MAX_LINE = 78  # NOTE: folding starts past 80 columns; keep a margin


def _fast_scalar(value: Any) -> str | None:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return str(value)
    if type(value) is str and _SAFE_STR.fullmatch(value) and not value.startswith("..."):
        if any(rx.match(value) for _tag, rx, _first in _RESOLVERS):
            return None  # NOTE: would read back as a bool/number/null: needs quotes
        return value
    return None


def _fast_mapping(d: dict[Any, Any], indent: int, first: str | None, out: list[str]) -> bool:
    """Append ``d``'s lines at ``indent``; ``first`` replaces the first line's indentation."""
    if not d:
        return False
    for i, (key, value) in enumerate(d.items()):
        if type(key) is not str or not _SAFE_KEY.fullmatch(key) or _fast_scalar(key) is None:
            return False
        lead = first if (i == 0 and first is not None) else " " * indent
        if isinstance(value, dict):
            out.append(f"{lead}{key}:")
            if not _fast_mapping(value, indent + 2, None, out):
                return False
        elif isinstance(value, list):
            out.append(f"{lead}{key}:")
            if not _fast_sequence(value, indent, out):
                return False
        elif not _fast_line(f"{lead}{key}: ", value, out):
            return False
    return True


def _fast_sequence(items: list[Any], indent: int, out: list[str]) -> bool:
    if not items:
        return False
    for item in items:
        if isinstance(item, dict):
            if not _fast_mapping(item, indent + 2, " " * indent + "- ", out):
                return False
        elif isinstance(item, list) or not _fast_line(f"{' ' * indent}- ", item, out):
            return False
    return True


def _fast_line(prefix: str, value: Any, out: list[str]) -> bool:
    """Append ``prefix`` + the plain scalar; False when it needs the full emitter."""
    text = _fast_scalar(value)
    line = f"{prefix}{text}"
    if text is None or len(line) > _MAX_LINE:
        return False
    out.append(line)
    return True


def _fast_dumps(data: Any) -> str | None:
    out: list[str] = []
    if not isinstance(data, dict) or not _fast_mapping(data, 0, None, out):
        return None
    return "\n".join(out) + "\n"


def _emit(data: Any) -> str:
    """The full emitter (ruamel-compatible quoting and folding)."""
    return yaml.dump(  # type: ignore[no-any-return]
        data,
        Dumper=Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=80,
    )
