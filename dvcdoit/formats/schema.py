"""DVC 3.67.1's config schema for the sections other than remotes, as data, with its words.

Every verb loads the config through this check, so ``[core] bogus = 1`` is refused the same
way everywhere, with DVC's words (``configuration error - config file error: extra keys not
allowed @ data['core']['bogus']``) followed by the file that holds the key and the fix.
Remote sections keep their own checks (:mod:`dvcdoit.formats.remoteoptions`).
``feature`` accepts any key, as DVC does (it warns and ignores unknown ones).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import NoReturn

from dvcdoit.core.errors import ConfigError
from dvcdoit.core.fsutil import LINK_TYPES

Check = Callable[[str], str | None]
"""A value check: None when the value is valid, else DVC's message for it."""


def _text(value: str) -> str | None:
    return None


def _bool(value: str) -> str | None:
    return None if value.strip().lower() in ("true", "false") else "expected true or false"


def _number(kind: type, minimum: float | None = None) -> Check:
    def check(value: str) -> str | None:
        try:
            n = kind(value.strip())
        except ValueError:
            return f"expected {kind.__name__}"
        if minimum is not None and n < minimum:
            return f"value must be at least {minimum}"
        return None

    return check


def _choices(*allowed: str) -> Check:
    def check(value: str) -> str | None:
        return None if value.strip().lower() in allowed else f"expected one of {', '.join(allowed)}"

    return check


def _cache_type(value: str) -> str | None:
    bad = sorted({t.strip() for t in value.split(",")} - set(LINK_TYPES))
    return f"Unsupported cache type(s): {', '.join(bad)}" if bad else None


_LOCAL_COMMON: dict[str, Check] = {
    "type": _cache_type, "protected": _bool, "shared": _choices("group"),
    "slow_link_warning": _bool, "verify": _bool,
}
SECTIONS: Mapping[str, Mapping[str, Check] | None] = MappingProxyType({
    "core": {"remote": _text, "checksum_jobs": _number(int, 1), "interactive": _bool,
             "analytics": _bool, "hardlink_lock": _bool, "no_scm": _bool, "autostage": _bool,
             "experiments": _bool, "check_update": _bool, "site_cache_dir": _text,
             "machine": _text},
    "cache": {"local": _text, "s3": _text, "gs": _text, "hdfs": _text, "webhdfs": _text,
              "ssh": _text, "azure": _text, "dir": _text, **_LOCAL_COMMON},
    "state": {"dir": _text, "row_limit": _number(int, 1), "row_cleanup_quota": _number(int, 0)},
    "index": {"dir": _text},
    "feature": None,
    "plots": {"html_template": _text, "auto_open": _bool, "out_dir": _text},
    "exp": {"code": _text, "data": _text, "models": _text, "metrics": _text, "params": _text,
            "plots": _text, "live": _text, "auto_push": _bool, "git_remote": _text},
    "parsing": {"bool": _choices("store_true", "boolean_optional"),
                "list": _choices("nargs", "append")},
    "hydra": {"enabled": _bool, "config_dir": _text, "config_module": _text,
              "config_name": _text, "plugins_path": _text},
    "studio": {"token": _text, "url": _text, "repo_url": _text, "offline": _bool},
})
"""Plain sections → option → check (None: any option, as DVC's ``feature``)."""

NAMED: Mapping[str, Mapping[str, Check]] = MappingProxyType({
    "machine": {"cloud": _choices("aws", "azure"),
                "region": _choices("us-west", "us-east", "eu-west", "eu-north"),
                "image": _text, "spot": _bool, "spot_price": _number(float),
                "instance_hdd_size": _number(int), "instance_type": _text,
                "instance_gpu": _text, "ssh_private": _text, "startup_script": _text,
                "setup_script": _text},
    "db": {"url": _text, "username": _text, "password": _text},
})
"""Named sections other than ``remote`` (``['machine "m"']``, ``['db "d"']``) → option → check."""


PREFIX = "configuration error - config file error: "
"""How DVC begins every config error."""


def dvc_words(message: str, *path: str) -> str:
    """DVC's wording of a schema error at ``path`` (``data['core']['bogus']``)."""
    at = "".join(f"[{p!r}]" for p in path)
    return f"{PREFIX}{message} @ data{at}"


def check_option(path: tuple[str, ...], value: str | None, source: str) -> None:
    """Refuse an unknown section or option, or a bad value, in DVC's words plus the file.

    ``path`` is ``(section, option)`` or ``(kind, name, option)`` for named sections; a None
    ``value`` only checks that the option exists.
    """
    options = _options(path, source)
    option = path[-1]
    if options is None:
        return
    check = options.get(option)
    if check is None:
        _refuse(dvc_words("extra keys not allowed", *path), source,
                f"remove '{option}' or fix its name")
    problem = check(value) if value is not None else None
    if problem is not None:
        fix = (f"use {', '.join(LINK_TYPES)}" if check is _cache_type
               else f"fix the value of '{'.'.join(path)}'")
        _refuse(dvc_words(f"{problem} for dictionary value", *path), source, fix)


def check_section(path: tuple[str, ...], source: str) -> None:
    """Refuse a section DVC does not know (``[foo]``), in DVC's words plus the file."""
    _options((*path, ""), source)


def _options(path: tuple[str, ...], source: str) -> Mapping[str, Check] | None:
    if len(path) == 3:
        named = NAMED.get(path[0])
        if named is None:
            _refuse(dvc_words("extra keys not allowed", path[0]), source,
                    f"remove the section '{path[0]} \"{path[1]}\"'")
        return named
    if path[0] not in SECTIONS:
        _refuse(dvc_words("extra keys not allowed", path[0]), source,
                f"remove the section '[{path[0]}]' or fix its name")
    return SECTIONS[path[0]]


def _refuse(words: str, source: str, fix: str) -> NoReturn:
    msg = f"{words} (in {source}; {fix})"
    raise ConfigError(msg)
