"""``config NAME [VALUE]``: get, set, unset and list options, one level at a time, as DVC does.

Names are ``section.option``, ``remote.NAME.option`` or ``db.NAME.option`` (lowercased, as
DVC does). A get with no level looks from the local file down to the system one and prints
the first value it finds (nothing when none has it, exit 0); with a level, a missing option is
an error. A set or unset edits one file and rewrites it with DVC's bytes
(:func:`~dvcdoit.formats.config.write_file`), after checking the new value against DVC's
schema (:mod:`dvcdoit.formats.schema`, and the remote checks of
:mod:`dvcdoit.formats.config`). Values are stored as given, never normalised.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core import fsutil
from dvcdoit.core.errors import ConfigError
from dvcdoit.formats import _ini, schema
from dvcdoit.formats import config as cfg

_NAME = re.compile(r"^(?:(remote|db)\.)?([^.]*)\.([^.]*)$")
_PREFIX = schema.PREFIX


@dataclass(frozen=True)
class OptionName:
    """A parsed ``section.option`` (``kind`` is ``remote``/``db`` for named sections)."""

    kind: str | None
    section: str
    option: str

    @classmethod
    def parse(cls, text: str) -> OptionName:
        """Parse a name the way DVC's ``config`` does; refuse others in DVC's words."""
        m = _NAME.match(text)
        if m is None:
            msg = ("name argument should look like remote.name.option or db.name.option or "
                   "section.option")
            raise ConfigError(msg)
        return cls(m.group(1), m.group(2).lower(), m.group(3).lower())

    @property
    def key(self) -> str:
        """The section's name in the file (``core``, ``remote "r"``)."""
        return f'{self.kind} "{self.section}"' if self.kind else self.section

    def absent(self, sections: _ini.Sections) -> str | None:
        """DVC's words for this option not being in ``sections``, or None when it is there.

        DVC's schema gives every known plain section (``core``, ``cache``…) even when the
        file has none, so only an option is missing there.
        """
        body = sections.get(self.key)
        if body is None and (self.kind or self.section not in schema.SECTIONS):
            return f"{_PREFIX}{self.kind or 'section'} '{self.section}' doesn't exist"
        return None if body is not None and self.option in body else self.missing()

    @property
    def path(self) -> tuple[str, ...]:
        """The schema path (``("core", "remote")``, ``("db", "d", "url")``)."""
        return (self.kind, self.section, self.option) if self.kind else (self.section, self.option)

    def missing(self) -> str:
        """DVC's words for a section or option that is not set."""
        name = self.kind or "section"
        return f"{_PREFIX}option '{self.option}' doesn't exist in {name} '{self.section}'"


@dataclass(frozen=True)
class Found:
    """One value and where it came from."""

    level: str
    path: Path
    name: str
    value: str


def get(dvc_dir: Path, name: OptionName, level: str | None = None) -> Found | None:
    """The value of ``name`` at ``level``, or at the highest level that sets it."""
    levels = [level] if level else list(reversed(cfg.LEVELS))
    for lv in levels:
        path = cfg.config_file(dvc_dir, lv)
        value = cfg.read_file(path).get(name.key, {}).get(name.option)
        if value is not None:
            return Found(lv, path, ".".join(name.path), cfg.scalar(value))
    if level:
        raise ConfigError(name.absent(cfg.read_file(cfg.config_file(dvc_dir, level))) or "")
    return None


def listing(dvc_dir: Path, level: str | None = None) -> list[Found]:
    """Every value set at ``level`` (or at each level, system first), flattened as DVC does."""
    found = []
    for lv in [level] if level else list(cfg.LEVELS):
        path = cfg.config_file(dvc_dir, lv)
        named: list[Found] = []
        plain: list[Found] = []
        for key, body in cfg.read_file(path).items():
            kind = cfg.section_name(key)
            prefix = f"{kind[0]}.{kind[1]}" if kind else key
            (named if kind else plain).extend(
                Found(lv, path, f"{prefix}.{k}", cfg.scalar(v)) for k, v in body.items())
        found += named + plain  # NOTE: DVC lists named sections (remotes…) before plain ones
    return found


def set_value(dvc_dir: Path, name: OptionName, value: str, level: str = "repo",
              cwd: Path | None = None) -> None:
    """Set ``name`` to ``value`` in ``level``'s file (a remote is created by its url)."""
    cfg.check_level(level)
    path = cfg.config_file(dvc_dir, level)
    with _validated(dvc_dir, path):
        if name.kind == "remote":
            _set_remote(dvc_dir, name, value, level, cwd)
            return
        schema.check_option(name.path, value, str(path))
        sections = cfg.read_file(path)
        sections.setdefault(name.key, {})[name.option] = value
        cfg.write_file(path, sections)


@contextlib.contextmanager
def _validated(dvc_dir: Path, path: Path) -> Iterator[None]:
    """Check the whole config after the edit in the block, as DVC does; on a refusal put
    ``path`` back as it was (so a bad file elsewhere cannot be made worse, only fixed)."""
    try:
        old: bytes | None = path.read_bytes()
    except FileNotFoundError:
        old = None
    try:
        yield
        cfg.load_config(dvc_dir)
    except ConfigError:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            fsutil.atomic_write(path, old)
        raise


def _set_remote(dvc_dir: Path, name: OptionName, value: str, level: str,
                cwd: Path | None) -> None:
    if f"remote:{name.section}" in cfg.merged_up_to(dvc_dir, level):
        cfg.modify_remote(dvc_dir, name.section, name.option, value, level=level, cwd=cwd)
    elif name.option == "url":
        cfg.add_remote(dvc_dir, name.section, value, level=level, cwd=cwd)
    else:
        msg = f"{_PREFIX}expected 'url' for dictionary value @ data['remote']['{name.section}']"
        raise ConfigError(msg)


def unset(dvc_dir: Path, name: OptionName, level: str = "repo") -> None:
    """Remove ``name`` from ``level``'s file; refuse one that is not set there."""
    cfg.check_level(level)
    path = cfg.config_file(dvc_dir, level)
    sections = cfg.read_file(path)
    problem = name.absent(sections)
    if problem is not None:
        raise ConfigError(problem)
    if name.kind == "remote" and name.option == "url":
        msg = f"{_PREFIX}expected 'url' for dictionary value @ data['remote']['{name.section}']"
        raise ConfigError(msg)
    with _validated(dvc_dir, path):
        del sections[name.key][name.option]
        cfg.write_file(path, sections)
