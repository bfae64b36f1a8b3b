"""Save the workspace as a DVC experiment: one commit on the baseline, and its ref.

As ``dvc==3.67.1`` does (``executor/base.py``, ``commit`` and ``hash_exp``): the commit's only
parent is ``HEAD``; it holds the git-tracked files as they are in the workspace (``git add
-u``: changed params, ``dvc.lock``, metrics kept in git; new untracked files are left out);
its message is ``dvc: commit experiment <sha256>`` where the hash is the SHA-256 of the JSON
(sorted keys) of the ``dvc.lock`` entries of the stages the run reproduced. It is built in a
temporary index (``GIT_INDEX_FILE``) with ``write-tree``/``commit-tree``, so the user's index,
branch and ``HEAD`` stay as they were; the ref is created last, in one ``update-ref``: a run
cut short leaves no ref.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.formats import _yaml
from dvcdoit.repo.exprefs import COMMIT_PREFIX, ExperimentError, ExpRef
from dvcdoit.repo.revision import run_git

LOCK_NAME = "dvc.lock"


def exp_hash(entries: Mapping[str, Any]) -> str:
    """DVC's ``dict_sha256`` of ``{stage name: lock entry}``."""
    return hashlib.sha256(json.dumps(entries, sort_keys=True).encode("utf-8")).hexdigest()


def lock_entries(root: Path, lock_files: Iterable[str]) -> dict[str, Any]:
    """Every stage entry of the given ``dvc.lock`` files, as written (stage name → entry)."""
    found: dict[str, Any] = {}
    for rel in lock_files:
        path = root / rel
        if not path.exists():
            continue
        data = _yaml.loads(path.read_bytes(), rel)
        stages = data.get("stages") if isinstance(data, dict) else None
        if isinstance(stages, dict):
            found.update(stages)
    return found


def changed_entries(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The entries a run wrote: those that differ from (or are missing in) ``before``."""
    return {name: entry for name, entry in after.items() if before.get(name) != entry}


def head(root: Path) -> str:
    """The commit ``HEAD`` names (the baseline of an experiment run here)."""
    out = run_git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    if out.returncode:
        msg = "experiments need a git commit to run on: commit your repo first (git commit)"
        raise ExperimentError(msg)
    return out.stdout.decode().strip()


def _git(root: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False,
                         env=None if env is None else {**os.environ, **env})
    if out.returncode:
        msg = f"git {args[0]} failed: {out.stderr.decode(errors='replace').strip()}"
        raise DvcDoitError(msg)
    return out.stdout.decode().strip()


def ref_sha(root: Path, ref: str) -> str | None:
    """The commit ``ref`` points at, or None."""
    out = run_git(root, "rev-parse", "--verify", "-q", ref)
    return out.stdout.decode().strip() if out.returncode == 0 else None


def conflict(name: str) -> ExperimentError:
    """DVC's refusal to replace an experiment without ``-f`` (its three lines made one)."""
    return ExperimentError(f"Experiment conflicts with existing experiment '{name}'. To "
                           "overwrite the existing experiment run: dvcdoit exp run -f ...")


def write_commit(root: Path, baseline: str, digest: str, message: str | None = None) -> str:
    """The experiment commit of the workspace at ``root`` on ``baseline`` (no ref yet), with
    DVC's message (``dvc: commit experiment <digest>``) or ``message`` (``-m``)."""
    fd, index = tempfile.mkstemp(prefix="exp-index-", dir=root / ".dvc" / "tmp")
    os.close(fd)
    env = {"GIT_INDEX_FILE": index}
    try:
        _git(root, "read-tree", baseline, env=env)
        _git(root, "add", "-u", "--", ".", env=env)
        tree = _git(root, "write-tree", env=env)
    finally:
        os.unlink(index)
    return _git(root, "commit-tree", tree, "-p", baseline, "-m",
                message or COMMIT_PREFIX + digest)


def save(root: Path, exp: ExpRef, digest: str, force: bool = False,
         message: str | None = None) -> str:
    """Commit the workspace as experiment ``exp``; its commit sha.

    An existing experiment of that name is replaced with ``force``; without it, a commit
    with the same tree is reused (DVC's duplicate check) and any other is a conflict.
    """
    sha = write_commit(root, exp.baseline, digest, message)
    old = ref_sha(root, exp.ref)
    if old is not None and not force:
        if _git(root, "rev-parse", f"{old}^{{tree}}") == _git(root, "rev-parse", f"{sha}^{{tree}}"):
            return old
        raise conflict(exp.name)
    _git(root, "update-ref", exp.ref, sha, *([] if force or old else ["0" * 40]))
    return sha


__all__ = ["LOCK_NAME", "changed_entries", "conflict", "exp_hash", "head", "lock_entries",
           "ref_sha", "save", "write_commit"]
