"""The only YAML load/dump in dvcdoit: YAML 1.2 core schema, bytes matching DVC's ruamel output.

DVC reads with ruamel ``typ="safe"`` (YAML 1.2): ``1e-3`` is a float, ``yes``/``on`` are
strings, ``012`` is 12. PyYAML defaults to YAML 1.1, so the implicit resolvers and the
int/float constructors are replaced here, on top of the C parser/emitter when present.
Dumping uses the same resolvers, so a string is quoted exactly when YAML 1.2 would
otherwise read it as something else, as ruamel does.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from dvcdoit.errors import FormatError

try:
    from yaml import CDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - pure-Python PyYAML build
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0o[0-7_]+
    |[-+]?[0-9_]+
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")

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


class Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Block-style dumper whose quoting follows YAML 1.2 resolution, like DVC's ruamel."""


def _represent_none(dumper: Any, _data: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:null", "")  # type: ignore[no-any-return]


def _represent_float(dumper: Any, data: float) -> yaml.ScalarNode:
    if data != data:
        text = ".nan"
    elif data in (math.inf, -math.inf):
        text = ".inf" if data > 0 else "-.inf"
    else:
        text = repr(data).lower()  # NOTE: ruamel in 1.2 mode writes 1e-05, not PyYAML's 1.0e-05
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)  # type: ignore[no-any-return]


_install_resolvers(Dumper)
Dumper.add_representer(type(None), _represent_none)
Dumper.add_representer(float, _represent_float)


def loads(text: str | bytes, source: str) -> Any:
    """Parse YAML text; a syntax error becomes ``FormatError`` naming ``source`` and the line."""
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}" if mark is not None else "?"
        problem = exc.problem or exc.context or "invalid YAML"
        raise FormatError(f"{source}:{line}", f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise FormatError(source, f"invalid YAML: {exc}") from None


def load_file(path: str, source: str | None = None) -> Any:
    """Read and parse a YAML file (see :func:`loads`)."""
    with open(path, "rb") as f:
        return loads(f.read(), source or path)


def dumps(data: Any) -> str:
    """Serialise plain dicts/lists the way DVC writes them: block style, width 80, key order kept."""
    return yaml.dump(  # type: ignore[no-any-return]
        data,
        Dumper=Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=80,
    )
