"""``install``: git hooks that run dvcdoit, written the way DVC 3.67.1's ``dvc install`` writes its own.

DVC writes ``post-checkout``, ``pre-commit`` and ``pre-push`` into the git hooks directory,
each ``#!<which sh>\\nexec dvc git-hook NAME $@\\n`` with mode 0777, after refusing if any of
the three exists. dvcdoit writes the same bytes with ``dvcdoit`` in place of ``dvc``, so the
two never collide: each refuses while the other's hooks (or any hook of that name) are there,
with DVC's words (and exit 1), and neither has a ``-f``: remove the other's hooks first.
:func:`owner` tells whose a hook file is. DVC also registers a git merge driver
(``merge.dvc.*`` in ``.git/config``); dvcdoit has no merge driver and writes none, so
``.git/config`` is left as it is.

``--use-pre-commit-tool`` adds a ``repo: local`` entry running ``dvcdoit git-hook`` to
``.pre-commit-config.yaml`` (DVC adds its own ``https://github.com/treeverse/dvc`` entry).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from dvcdoit.core import fsutil
from dvcdoit.core.errors import ConfigError, DvcDoitError
from dvcdoit.formats import _yaml, settings

HOOKS = ("post-checkout", "pre-commit", "pre-push")
VERB: Mapping[str, str] = MappingProxyType(
    {"post-checkout": "checkout", "pre-commit": "status", "pre-push": "push"})
DOC_LINK = "<https://man.dvc.org/install>"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


class HookError(DvcDoitError):
    """A hook of that name exists already (DVC's refusal, exit 1)."""


def hook_text(name: str, program: str = "dvcdoit") -> str:
    """The hook file's text, as scmrepo's ``install_hook`` writes it for ``program``."""
    directive = f"#!{shutil.which('sh') or '/bin/sh'}"
    return f"{directive}\nexec {program} git-hook {name} $@\n"


def owner(path: Path) -> str | None:
    """``"dvc"`` or ``"dvcdoit"`` for a hook that one of them installed, else None."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for program in ("dvcdoit", "dvc"):
        if len(lines) == 2 and lines[1].startswith(f"exec {program} git-hook "):
            return program
    return None


def hooks_dir(git_root: Path) -> Path:
    """The git hooks directory (``git rev-parse --git-path hooks``: honours worktrees and
    ``core.hooksPath``; DVC always uses ``<root>/.git/hooks``)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--git-path", "hooks"], cwd=git_root,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return git_root / ".git" / "hooks"
    return git_root / out


def git_root(root: Path) -> Path | None:
    """The top of the git work tree containing ``root``, or None (no git: nothing to install)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return Path(out)


def uses_git(root: Path) -> Path | None:
    """The git work tree of the repo at ``root``, or None: no git, or ``core.no_scm`` set
    (DVC then installs nothing and says nothing)."""
    name = settings.OptionName(None, "core", "no_scm")
    found = settings.get(root / ".dvc", name)
    if found is not None and found.value.strip().lower() in ("true", "1", "yes", "on"):
        return None
    return git_root(root)


def install(root: Path) -> list[Path]:
    """Write the three hooks; refuse (DVC's words) when any exists. Returns the files written."""
    top = uses_git(root)
    if top is None:
        return []
    where = hooks_dir(top)
    for name in HOOKS:
        path = where / name
        if path.exists():
            msg = (f"failed to install DVC Git hooks - Hook '{name}' already exists. "
                   f"Please refer to {DOC_LINK} for more info.")
            raise HookError(msg)
    where.mkdir(exist_ok=True)
    written = []
    for name in HOOKS:
        path = where / name
        fsutil.atomic_write(path, hook_text(name).encode())
        path.chmod(0o777)  # NOTE: the mode DVC gives its hooks
        written.append(path)
    return written


def pre_commit_entry() -> dict[str, object]:
    """The ``repos:`` entry dvcdoit adds to ``.pre-commit-config.yaml``."""
    hooks: list[dict[str, object]] = []
    for name in ("pre-commit", "pre-push", "post-checkout"):
        hook: dict[str, object] = {
            "id": f"dvcdoit-{name}", "name": f"dvcdoit {VERB[name]}",
            "entry": f"dvcdoit git-hook {name}", "language": "system",
            "pass_filenames": False, "stages": [name]}
        if name == "post-checkout":
            hook["always_run"] = True
        hooks.append(hook)
    return {"repo": "local", "hooks": hooks}


def install_pre_commit(top: Path) -> Path:
    """Add :func:`pre_commit_entry` to ``.pre-commit-config.yaml`` unless it is there."""
    path = top / PRE_COMMIT_CONFIG
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    data = _yaml.loads(text, str(path)) if text.strip() else {}
    if not isinstance(data, dict):
        msg = f"{path}: expected a mapping at the top; fix or remove the file"
        raise ConfigError(msg)
    repos = data.get("repos") or []
    if not isinstance(repos, list):
        msg = f"{path}: repos: expected a list; fix the file"
        raise ConfigError(msg)
    entry = pre_commit_entry()
    if entry not in repos:
        repos.append(entry)
    data["repos"] = repos
    fsutil.atomic_write(path, _yaml.dumps(data).encode())
    return path


def hook_verb(name: str, args: list[str], root: Path) -> str | None:
    """The verb a hook runs, or None for nothing (DVC's ``git-hook`` rules).

    ``post-checkout`` runs ``checkout`` only for a branch checkout (git's third argument, or
    ``PRE_COMMIT_CHECKOUT_TYPE``, is ``1``) and not in the middle of a rebase.
    """
    if name != "post-checkout":
        return VERB.get(name)
    flag = os.environ.get("PRE_COMMIT_CHECKOUT_TYPE")
    if flag is None and len(args) >= 3:
        flag = args[2]
    if flag != "1" or (root / ".git" / "rebase-merge").is_dir():
        return None
    return "checkout"
