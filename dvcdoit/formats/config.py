"""DVC's config files (system < global < ``.dvc/config`` < ``.dvc/config.local``) ⇄ :class:`Config`.

Each file is parsed on its own, its relative paths (``url``, ``cache.dir``, ...) are resolved
against that file's directory, and only then are the files merged key by key, later levels
winning. The ``remote`` verbs edit one file and rewrite it with DVC's exact bytes
(see :mod:`dvcdoit.formats._ini`), applying DVC's checks and path conversion.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from dvcdoit.core import fsutil
from dvcdoit.core.errors import ConfigError
from dvcdoit.formats import _ini, schema
from dvcdoit.formats.remoteoptions import check_remote_option, parse_bool, parse_int

LEVELS = ("system", "global", "repo", "local")
_NAMED = re.compile(r'^\s*(remote|machine|db)\s*"(.*)"\s*$')
_URL = re.compile(r"\w+://")
REMOTE_PATH_KEYS = frozenset({
    "url", "credentialpath", "configpath", "keyfile", "cert_path", "key_path",
    "gdrive_user_credentials_file", "gdrive_service_account_json_file_path",
})
@dataclass(frozen=True)
class RemoteConfig:
    """One ``['remote "NAME"']`` section after merging; ``url`` is absolute for local paths."""

    name: str
    url: str
    # NOTE: options may hold credentials, so they stay out of repr() (and so out of logs)
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False)
    jobs: int | None = None
    verify: bool = False

    @property
    def scheme(self) -> str:
        """``""`` for a local directory, else the URL scheme (``s3``, ``gs``, ...)."""
        m = re.match(r"(\w+)://", self.url)
        return m.group(1).lower() if m else ""


@dataclass(frozen=True)
class Config:
    """The merged configuration dvcdoit uses."""

    core_remote: str | None = None
    cache_dir: str | None = None
    cache_type: tuple[str, ...] = ("reflink", "copy")
    cache_shared: str | None = None
    remotes: Mapping[str, RemoteConfig] = field(default_factory=lambda: MappingProxyType({}))
    checksum_jobs: int | None = None
    autostage: bool = False
    """``core.autostage``: ``git add`` what a verb changed instead of printing the hint."""
    no_scm: bool = False
    """``core.no_scm``: no git here; no git hint either."""
    interactive: bool = False
    """``core.interactive``: ``repro`` asks before each stage it runs (its ``-i``)."""

    def remote(self, name: str | None = None) -> RemoteConfig:
        """Return remote ``name``, or the default remote (``core.remote``) when ``name`` is None."""
        if name is None:
            name = self.core_remote
            if name is None:
                msg = ("no remote specified and no default remote set; use '-r NAME' or "
                       "'dvcdoit remote default NAME'")
                raise ConfigError(msg)
        try:
            return self.remotes[name.lower()]
        except KeyError:
            msg = f"remote '{name}' doesn't exist; known remotes: {', '.join(self.remotes) or 'none'}"
            raise ConfigError(msg) from None


def config_file(dvc_dir: Path, level: str) -> Path:
    """Return the path of the config file for ``level`` (system, global, repo or local)."""
    if level == "system":
        return Path(os.environ.get("DVC_SYSTEM_CONFIG_DIR") or "/etc/xdg/dvc") / "config"
    if level == "global":
        base = os.environ.get("DVC_GLOBAL_CONFIG_DIR")
        if not base:
            xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
            base = os.path.join(xdg, "dvc")
        return Path(base) / "config"
    if level == "repo":
        return dvc_dir / "config"
    if level == "local":
        return dvc_dir / "config.local"
    msg = f"unknown config level {level!r}; expected one of {', '.join(LEVELS)}"
    raise ConfigError(msg)


def read_file(path: Path) -> _ini.Sections:
    """Parse one config file; a missing file is empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"": {}}
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read config ({exc})"
        raise ConfigError(msg) from None
    return _ini.parse(text, str(path))


def resolve_path(conf_dir: Path, value: str) -> str:
    """Resolve a path value from a config file in ``conf_dir``: URLs stay, ``~`` expands."""
    if _URL.match(value) or os.path.isabs(value):
        return value
    expanded = os.path.expanduser(value)
    if os.path.isabs(expanded):
        return expanded
    return os.path.abspath(os.path.join(conf_dir, value))


def to_config_path(conf_dir: Path, value: str, cwd: Path) -> str:
    """Convert user input (relative to ``cwd``) to what DVC stores in a file in ``conf_dir``."""
    if _URL.match(value) or os.path.isabs(value) or os.path.expanduser(value) != value:
        return value
    return fsutil.relpath_posix(os.path.join(cwd, value), conf_dir.absolute())


def scalar(value: _ini.Value) -> str:
    """One value as text (a list value joined by commas, as DVC reads it)."""
    return ",".join(value) if isinstance(value, tuple) else value


def section_name(name: str) -> tuple[str, str] | None:
    """``(kind, name)`` of a named section (``remote "r"`` → ``("remote", "r")``), else None."""
    m = _NAMED.match(name)
    return (m.group(1), m.group(2)) if m else None


def _load_level(path: Path) -> dict[str, dict[str, str]]:
    """One file as {"core": {...}, "cache": {...}, "remote:NAME": {...}} with paths resolved."""
    conf_dir = path.parent.absolute()
    out: dict[str, dict[str, str]] = {}
    for section, body in read_file(path).items():
        named = section_name(section)
        key = f"{named[0]}:{named[1]}" if named else section
        values = {k: scalar(v) for k, v in body.items()}
        for k, v in values.items():
            if not v.strip():
                continue  # NOTE: an empty path is refused later, never resolved to conf_dir
            if (named and named[0] == "remote" and k in REMOTE_PATH_KEYS) or (
                    section == "cache" and k == "dir"):
                values[k] = resolve_path(conf_dir, v)
        values["\0file"] = str(path)
        out[key] = values
    return out


def _merge(levels: list[dict[str, dict[str, str]]]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    files: dict[tuple[str, str], str] = {}
    for level in levels:
        for section, values in level.items():
            target = merged.setdefault(section, {})
            target["\0file"] = values["\0file"]
            for k, v in values.items():
                if k != "\0file":
                    target[k] = v
                    files[(section, k)] = values["\0file"]
    for (section, k), f in files.items():
        merged[section][f"\0file:{k}"] = f
    return merged


def _where(sect: Mapping[str, str], section: str, key: str) -> str:
    source = sect.get(f"\0file:{key}") or sect.get("\0file", "config")
    return f"{source}: [{section}] {key}"


def _remote(name: str, sect: Mapping[str, str]) -> RemoteConfig:
    section = f'remote "{name}"'
    values = {k: v for k, v in sect.items() if not k.startswith("\0")}
    if "url" not in values:
        msg = f"{_where(sect, section, 'url')}: missing; every remote needs a url"
        raise ConfigError(msg)
    if not values["url"].strip():
        msg = f"{_where(sect, section, 'url')}: empty; every remote needs a url"
        raise ConfigError(msg)
    scheme = RemoteConfig(name, values["url"]).scheme
    for k, v in values.items():
        check_remote_option(scheme, k, v, _where(sect, section, k), name,
                            sect.get(f"\0file:{k}") or sect.get("\0file", "config"))
    jobs = parse_int(values["jobs"], _where(sect, section, "jobs")) if "jobs" in values else None
    verify = parse_bool(values["verify"], _where(sect, section, "verify")) if "verify" in values \
        else False
    options = {k: v for k, v in values.items() if k != "url"}
    return RemoteConfig(name, values["url"], MappingProxyType(options), jobs, verify)


def _check_schema(merged: Mapping[str, Mapping[str, str]]) -> None:
    """Every section but the remotes against DVC's schema (:mod:`dvcdoit.formats.schema`)."""
    for key, sect in merged.items():
        if not key or key.startswith("remote:"):
            continue
        path = tuple(key.split(":", 1))
        schema.check_section(path, sect["\0file"])
        for option, value in sect.items():
            if not option.startswith("\0"):
                schema.check_option((*path, option), value, sect.get(f"\0file:{option}", ""))


def load_config(dvc_dir: Path, level: str | None = None) -> Config:
    """Load the merged config (or only one ``level``'s file) for the repo whose ``.dvc`` is ``dvc_dir``."""
    levels = LEVELS if level is None else (level,)
    merged = _merge([_load_level(config_file(dvc_dir, lv)) for lv in levels])
    _check_schema(merged)
    core, cache = merged.get("core", {}), merged.get("cache", {})
    remotes = {k.split(":", 1)[1]: _remote(k.split(":", 1)[1], v)
               for k, v in merged.items() if k.startswith("remote:")}
    cache_type = tuple(t.strip() for t in cache.get("type", "reflink,copy").split(",") if t.strip())
    bad = [t for t in cache_type if t not in fsutil.LINK_TYPES]
    if bad or not cache_type:
        msg = (f"{_where(cache, 'cache', 'type')}: unknown link type(s) {', '.join(bad) or '(empty)'};"
               f" use {', '.join(fsutil.LINK_TYPES)}")
        raise ConfigError(msg)
    shared = cache.get("shared")
    if shared is not None and shared.lower() != "group":
        msg = f"{_where(cache, 'cache', 'shared')}: expected 'group', got {shared!r}"
        raise ConfigError(msg)
    jobs = core.get("checksum_jobs")
    core_remote = core.get("remote")
    return Config(
        core_remote=core_remote.lower() if core_remote else None,
        cache_dir=cache.get("dir"),
        cache_type=cache_type,
        cache_shared=shared.lower() if shared else None,
        remotes=MappingProxyType(remotes),
        checksum_jobs=parse_int(jobs, _where(core, "core", "checksum_jobs")) if jobs else None,
        autostage=core.get("autostage", "false").strip().lower() == "true",
        no_scm=core.get("no_scm", "false").strip().lower() == "true",
        interactive=core.get("interactive", "false").strip().lower() == "true",
    )


# --- editing one file, as the ``remote`` verbs do -------------------------------------------

def write_file(path: Path, sections: _ini.Sections) -> None:
    """Rewrite ``path`` in DVC's order: plain sections (empty ones dropped), then named ones."""
    plain = {k: v for k, v in sections.items() if section_name(k) is None and (v or k == "")}
    named: _ini.Sections = {}
    for kind in ("remote", "machine", "db"):
        named.update({k: v for k, v in sections.items()
                      if (n := section_name(k)) is not None and n[0] == kind})
    path.parent.mkdir(parents=True, exist_ok=True)
    fsutil.atomic_write(path, _ini.dump({**plain, **named}))


def _remote_key(name: str) -> str:
    return f'remote "{name}"'


def merged_up_to(dvc_dir: Path, level: str) -> dict[str, dict[str, str]]:
    """The levels up to ``level`` merged (what a remote edited at ``level`` may refer to)."""
    upto = LEVELS[: LEVELS.index(level) + 1]
    return _merge([_load_level(config_file(dvc_dir, lv)) for lv in upto])


def check_level(level: str) -> None:
    """Refuse a level name that is not one of :data:`LEVELS`."""
    if level not in LEVELS:
        msg = f"unknown config level {level!r}; expected one of {', '.join(LEVELS)}"
        raise ConfigError(msg)


def add_remote(dvc_dir: Path, name: str, url: str, *, level: str = "repo", default: bool = False,
               force: bool = False, cwd: Path | None = None) -> None:
    """``remote add``: write ``['remote "name"']`` with ``url`` (cwd-relative input is re-based)."""
    check_level(level)
    name = name.lower()
    path = config_file(dvc_dir, level)
    sections = read_file(path)
    key = _remote_key(name)
    if key in sections and not force:
        msg = f"{path}: remote '{name}' already exists. Use `-f|--force` to overwrite it."
        raise ConfigError(msg)
    sections[key] = {"url": to_config_path(path.parent, url, cwd or Path.cwd())}
    if default:
        sections.setdefault("core", {})["remote"] = name
    write_file(path, sections)


def modify_remote(dvc_dir: Path, name: str, option: str, value: str | None, *,
                  level: str = "repo", cwd: Path | None = None) -> None:
    """``remote modify``: set ``option`` (or unset it when ``value`` is None) in one file.

    The remote must exist in this file or a lower level; the option must be valid for the
    remote's scheme (local and S3 are checked key by key, like DVC's schema).
    """
    check_level(level)
    name, option = name.lower(), option.lower()
    path = config_file(dvc_dir, level)
    merged = merged_up_to(dvc_dir, level)
    if f"remote:{name}" not in merged:
        msg = f"{path}: remote '{name}' doesn't exist."
        raise ConfigError(msg)
    sections = read_file(path)
    section = sections.setdefault(_remote_key(name), {})
    if value is None:
        section.pop(option, None)
    else:
        url = value if option == "url" else merged[f"remote:{name}"].get("url", "")
        where = f"{path}: [{_remote_key(name)}] {option}"
        check_remote_option(RemoteConfig(name, url).scheme, option, value, where, name, str(path))
        if option in REMOTE_PATH_KEYS:
            value = to_config_path(path.parent, value, cwd or Path.cwd())
        section[option] = value
    write_file(path, sections)


def set_default_remote(dvc_dir: Path, name: str | None, *, level: str = "repo") -> None:
    """``remote default NAME`` (or ``--unset`` when ``name`` is None) in one file."""
    check_level(level)
    path = config_file(dvc_dir, level)
    sections = read_file(path)
    if name is None:
        sections.get("core", {}).pop("remote", None)
    else:
        name = name.lower()
        if f"remote:{name}" not in merged_up_to(dvc_dir, level):
            msg = f"{path}: [core] remote: default remote must be present in remote list."
            raise ConfigError(msg)
        sections.setdefault("core", {})["remote"] = name
    write_file(path, sections)


def remove_remote(dvc_dir: Path, name: str, *, level: str = "repo") -> None:
    """``remote remove``: drop the section, then ``core.remote`` refs to it in shadowing files."""
    check_level(level)
    name = name.lower()
    path = config_file(dvc_dir, level)
    sections = read_file(path)
    if _remote_key(name) not in sections:
        msg = f"{path}: remote '{name}' doesn't exist."
        raise ConfigError(msg)
    del sections[_remote_key(name)]
    write_file(path, sections)
    for lv in reversed(LEVELS[LEVELS.index(level):]):  # NOTE: local first, down to ``level``
        other = config_file(dvc_dir, lv)
        if not other.exists():
            continue
        conf = read_file(other)
        if scalar(conf.get("core", {}).get("remote", "")).lower() == name:
            del conf["core"]["remote"]
            write_file(other, conf)


def rename_remote(dvc_dir: Path, old: str, new: str, *, level: str = "repo") -> None:
    """``remote rename OLD NEW`` at ``level``, DVC's way: NEW (kept as typed) must not name a
    remote at any level, the section moves to the end of its file, and ``core.remote`` is
    renamed in that file and every file above it (each of which DVC rewrites, even unchanged:
    so a missing ``config.local`` is written as one empty line)."""
    check_level(level)
    known = {k.split(":", 1)[1].lower() for k in merged_up_to(dvc_dir, "local")
             if k.startswith("remote:")}
    if new in known:
        msg = f"{schema.PREFIX}Rename failed. Remote name {new!r} already exists."
        raise ConfigError(msg)
    path = config_file(dvc_dir, level)
    sections = read_file(path)
    key = next((k for k in sections if (n := section_name(k)) is not None
                and n[0] == "remote" and n[1].lower() == old.lower()), None)
    if key is None:
        msg = f"{schema.PREFIX}remote '{old}' doesn't exist."
        raise ConfigError(msg)
    sections[_remote_key(new)] = sections.pop(key)
    for lv in reversed(LEVELS[LEVELS.index(level):]):  # NOTE: local first, down to ``level``
        target = path if lv == level else config_file(dvc_dir, lv)
        conf = sections if lv == level else read_file(target)
        if scalar(conf.get("core", {}).get("remote", "")).lower() == old:
            conf["core"]["remote"] = new
        write_file(target, conf)
