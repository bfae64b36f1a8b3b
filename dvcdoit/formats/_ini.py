"""Read and write the configobj dialect of INI that DVC's config files use.

Hand-written because :mod:`configparser` mis-reads DVC's indented keys and knows nothing of
configobj's quoting. Reading lower-cases section names and keys (as DVC does). Writing
reproduces configobj's bytes as DVC produces them: top-level keys first, ``[section]``
markers (quoted with ``'`` when the name ends in ``"``, e.g. ``['remote "name"']``),
``key = value`` lines indented by 4 spaces, values with commas or edge whitespace quoted,
and a trailing newline.
"""

from __future__ import annotations

import re

from dvcdoit.core.errors import ConfigError

Value = str | tuple[str, ...]
Sections = dict[str, dict[str, Value]]
"""Section name → ordered {key: value}; top-level keys live under the ``""`` section."""

_WS_PLUS = " \r\n\v\t'\""
_SECTION = re.compile(r"^(\[+)\s*(.*?)\s*(\]+)\s*(?:#.*)?$")
_TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|[^\'",#]*')


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    return token.strip()


def _parse_value(raw: str, where: str) -> Value:
    """Parse the right-hand side: one (possibly quoted) value, or an unquoted comma list."""
    items: list[str] = []
    pos, n, saw_comma = 0, len(raw), False
    while True:
        while pos < n and raw[pos] in " \t":
            pos += 1
        m = _TOKEN.match(raw, pos)
        token = m.group(0) if m else ""
        if token.startswith(("'", '"')) and len(token) < 2:  # pragma: no cover - regex guarantees
            msg = f"{where}: unbalanced quotes"
            raise ConfigError(msg)
        pos += len(token)
        items.append(_unquote(token))
        while pos < n and raw[pos] in " \t":
            pos += 1
        if pos >= n or raw[pos] == "#":
            break
        if raw[pos] != ",":
            msg = f"{where}: cannot parse value {raw.strip()!r} (unbalanced quotes?)"
            raise ConfigError(msg)
        saw_comma = True
        pos += 1
    if not saw_comma:
        return items[0]
    if items and items[-1] == "":
        items.pop()  # NOTE: configobj's "a," is a one-item list
    return tuple(items)


def parse(text: str, source: str) -> Sections:
    """Parse configobj INI ``text``; ``source`` names the file in errors."""
    sections: Sections = {"": {}}
    current = ""
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{source}:{lineno}"
        if stripped.startswith("["):
            m = _SECTION.match(stripped)
            if not m or len(m.group(1)) != len(m.group(3)):
                msg = f"{where}: malformed section header {stripped!r}"
                raise ConfigError(msg)
            if len(m.group(1)) != 1:
                msg = f"{where}: nested sections are not supported: {stripped!r}"
                raise ConfigError(msg)
            current = _unquote(m.group(2)).lower()
            if current in sections:
                msg = f"{where}: duplicate section [{current}]"
                raise ConfigError(msg)
            sections[current] = {}
            continue
        key, eq, rhs = stripped.partition("=")
        if not eq or not key.strip():
            msg = f"{where}: expected '[section]' or 'key = value', got {stripped!r}"
            raise ConfigError(msg)
        name = _unquote(key.strip()).lower()
        if name in sections[current]:
            msg = f"{where}: duplicate key {name!r} in [{current}]"
            raise ConfigError(msg)
        sections[current][name] = _parse_value(rhs, f"{where}: [{current}] {name}")
    return sections


def _quote(value: str, multiline: bool = True) -> str:
    """Quote ``value`` the way configobj 5 does when writing."""
    if not value:
        return '""'
    if "\n" in value:
        msg = f"cannot write a value containing a newline: {value!r}"
        raise ConfigError(msg)
    if value[0] not in _WS_PLUS and value[-1] not in _WS_PLUS and "," not in value:
        return value
    if "'" in value and '"' in value:
        if multiline:
            return f"'''{value}'''" if "'''" not in value else f'"""{value}"""'
        msg = f"cannot quote a value containing both quote characters: {value!r}"
        raise ConfigError(msg)
    return f"'{value}'" if '"' in value else f'"{value}"'


def _dump_value(value: Value) -> str:
    if isinstance(value, tuple):
        if not value:
            return ","
        if len(value) == 1:
            return _quote(value[0], multiline=False) + ","
        return ", ".join(_quote(v, multiline=False) for v in value)
    return _quote(value)


def dump(sections: Sections) -> bytes:
    """Serialise ``sections`` exactly as configobj writes them (4-space indent, final newline)."""
    out: list[str] = [f"{_quote(k, False)} = {_dump_value(v)}" for k, v in sections.get("", {}).items()]
    for name, body in sections.items():
        if name == "":
            continue
        out.append(f"[{_quote(name, multiline=False)}]")
        out.extend(f"    {_quote(k, False)} = {_dump_value(v)}" for k, v in body.items())
    return ("\n".join(out) + "\n").encode("utf-8")
