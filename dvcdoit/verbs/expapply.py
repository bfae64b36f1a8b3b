"""``exp apply``, ``exp branch`` and ``exp remove``: what DVC 3.67.1 does to git and the workspace.

Measured (docs/experiments.md): ``apply`` first saves the workspace, if it has any change
(tracked, staged or untracked), as a stash commit on ``refs/exps/apply/stash`` (message
``On <branch>: dvc-exp-apply:<head>:<exp>:<name>``, the untracked files as a third parent, as
``git stash -u`` makes it, even when empty) and points ``refs/exps/apply/ORIG_HEAD`` at ``HEAD``; then every
file of the experiment's tree overwrites the workspace's (uncommitted changes to them are
lost, but kept in that stash), files the experiment lacks are deleted only when there was
nothing to stash, untracked files stay; the index is reset to ``HEAD`` (the changes show
unstaged, ``HEAD`` does not move); the outputs are checked out from the cache (``checkout
--force``) and ``refs/exps/exec/EXEC_APPLY`` is set. All of it is plain git plumbing
(a temporary ``GIT_INDEX_FILE``), so the user's ``refs/stash`` is untouched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from dvcdoit.core.errors import CheckoutError, DvcDoitError
from dvcdoit.pipeline.session import Session
from dvcdoit.repo.exprefs import ExperimentError, ExpRef
from dvcdoit.repo.revision import run_git
from dvcdoit.verbs import expname, expqueue
from dvcdoit.verbs.checkout import checkout

APPLY_STASH = "refs/exps/apply/stash"
APPLY_HEAD = "refs/exps/apply/ORIG_HEAD"
EXEC_APPLY = "refs/exps/exec/EXEC_APPLY"
EXEC_BRANCH = "refs/exps/exec/EXEC_BRANCH"


def _git(root: Path, *args: str, env: Mapping[str, str] | None = None,
         stdin: bytes | None = None) -> str:
    out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False,
                         input=stdin, env=None if env is None else {**os.environ, **env})
    if out.returncode:
        msg = f"git {args[0]} failed: {out.stderr.decode(errors='replace').strip()}"
        raise DvcDoitError(msg)
    return out.stdout.decode().strip()


def _files(root: Path, tree: str) -> list[str]:
    out = _git(root, "ls-tree", "-r", "-z", "--name-only", tree)
    return [p for p in out.split("\0") if p]


def _temp_index(root: Path) -> str:
    """A fresh path for a temporary git index under ``.dvc/tmp`` (no file there yet)."""
    folder = root / ".dvc" / "tmp"
    folder.mkdir(parents=True, exist_ok=True)
    fd, index = tempfile.mkstemp(prefix="exp-index-", dir=folder)
    os.close(fd)
    os.unlink(index)  # NOTE: git wants no file there, or a real index
    return index


def _tree_of(root: Path, setup: Sequence[Sequence[str]], stdin: bytes | None = None) -> str:
    """The tree ``write-tree`` makes after running ``setup`` on a temporary, empty index."""
    env = {"GIT_INDEX_FILE": _temp_index(root)}
    try:
        for args in setup:
            _git(root, *args, env=env, stdin=stdin)
        return _git(root, "write-tree", env=env)
    finally:
        Path(env["GIT_INDEX_FILE"]).unlink(missing_ok=True)


def stash_workspace(root: Path, head: str, rev: str, name: str) -> str | None:
    """Save the workspace as ``git stash -u`` would, on :data:`APPLY_STASH`; its sha, or
    None when there is nothing to save (the ref is then left absent, as DVC leaves it)."""
    run_git(root, "update-ref", "-d", APPLY_STASH)  # NOTE: DVC clears the old apply stash
    index_tree = _git(root, "write-tree")
    work_tree = _tree_of(root, [("read-tree", index_tree), ("add", "-u", "--", ".")])
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    head_tree = _git(root, "rev-parse", f"{head}^{{tree}}")
    if work_tree == index_tree == head_tree and not untracked:
        return None
    branch = run_git(root, "symbolic-ref", "--short", "-q", "HEAD").stdout.decode().strip()
    on = f"{branch or '(no branch)'}: {head[:7]} " + _git(root, "log", "-1", "--format=%s",
                                                           head)
    index_commit = _git(root, "commit-tree", index_tree, "-p", head, "-m", f"index on {on}")
    # NOTE: DVC (scmrepo) adds the untracked-files parent even when it is an empty tree
    tree = _tree_of(root, [("update-index", "--add", "-z", "--stdin")], untracked.encode())
    parents = ["-p", head, "-p", index_commit,
               "-p", _git(root, "commit-tree", tree, "-m", f"untracked files on {on}")]
    message = f"On {branch or '(no branch)'}: dvc-exp-apply:{head}:{rev}:{name}"
    stash = _git(root, "commit-tree", work_tree, *parents, "-m", message)
    _git(root, "update-ref", "--create-reflog", "-m", message, APPLY_STASH, stash)
    return stash


def write_tree(root: Path, rev: str, delete: Sequence[str]) -> None:
    """Overwrite the workspace with every file of commit ``rev``; remove ``delete``."""
    env = {"GIT_INDEX_FILE": _temp_index(root)}
    try:
        _git(root, "read-tree", rev, env=env)
        _git(root, "checkout-index", "-a", "-f", env=env)
    finally:
        Path(env["GIT_INDEX_FILE"]).unlink(missing_ok=True)
    for rel in delete:
        path = root / rel
        if path.is_file() or path.is_symlink():
            path.unlink()


def apply(session: Session, rev: str, name: str) -> None:
    """Put experiment commit ``rev`` in the workspace as DVC's ``exp apply NAME`` does."""
    project = session.project
    root = project.root
    head = expname.head_sha(root)
    if head is None:
        msg = f"'{name}' does not appear to be an experiment commit."
        raise ExperimentError(msg)
    with project.lock():
        _git(root, "update-ref", APPLY_HEAD, head)
        stash = stash_workspace(root, head, rev, name)
        gone: list[str] = []
        if stash is None:  # NOTE: with a stash, DVC copies those files back from it
            kept = set(_files(root, rev))
            gone = [p for p in _files(root, head) if p not in kept]
        write_tree(root, rev, gone)
        _git(root, "read-tree", head)  # NOTE: DVC's `reset` (mixed): the index is HEAD's
        run_git(root, "update-index", "-q", "--refresh")
        index = session.reload()
        _, failures, _ = checkout(index, index.select([]), force=True)
        if failures:
            raise CheckoutError(failures)
        _git(root, "update-ref", EXEC_APPLY, rev)


def branch(root: Path, exp_rev: str, name: str | None) -> tuple[str, str]:
    """Make git branch ``name`` (default ``<exp>-branch``) at experiment ``exp_rev``;
    (branch, experiment name). DVC's errors: the name alone for one it cannot resolve,
    ``Git branch 'B' already exists.``"""
    try:
        sha = expname.commit(root, exp_rev)
    except DvcDoitError:
        raise ExperimentError(exp_rev) from None  # NOTE: DVC's whole message: the name
    exp = _containing_one(root, exp_rev, sha)
    new = name or f"{exp.name}-branch"
    ref = f"refs/heads/{new}"
    if run_git(root, "check-ref-format", ref).returncode:
        msg = f"the given reference name '{ref}' is not valid"
        raise ExperimentError(msg)
    if run_git(root, "rev-parse", "--verify", "-q", ref).returncode == 0:
        msg = f"Git branch '{new}' already exists."
        raise ExperimentError(msg)
    target = _git(root, "rev-parse", exp.ref)
    _git(root, "update-ref", "--create-reflog", "-m",
         f"dvc: Created from experiment '{exp.name}'", ref, target, "0" * 40)
    return new, exp.name


def _containing_one(root: Path, exp_rev: str, sha: str) -> ExpRef:
    """The experiment whose ref holds commit ``sha``; of several, the first on ``HEAD``'s
    baseline (DVC's choice), else DVC's "Ambiguous experiment name" error."""
    found = expname.containing(root, sha)
    if len(found) > 1:
        head = expname.head_sha(root)
        on_head = [e for e in found if e.baseline == head]
        if not on_head:
            lines = [(f"Ambiguous experiment name '{exp_rev}' can refer to multiple "
                      "experiments. To create a branch use a full experiment ref:"), "",
                     *(e.ref for e in found)]
            raise ExperimentError("\n".join(lines))
        found = on_head
    if not found:
        msg = f"'{exp_rev}' does not appear to be an experiment commit."
        raise ExperimentError(msg)
    return found[0]


def remove_refs(root: Path, exps: Sequence[ExpRef], remote: str | None = None) -> None:
    """Delete the refs of ``exps`` (on git remote ``remote``: one push of deletions).

    Locally, ``EXEC_APPLY`` goes with the experiment it points at, as in DVC.
    """
    if not exps:
        return
    if remote:
        out = run_git(root, "push", "--quiet", "--", remote, *(f":{e.ref}" for e in exps))
        if out.returncode:
            msg = f"cannot remove experiments from '{remote}': " \
                  f"{out.stderr.decode(errors='replace').strip()}"
            raise ExperimentError(msg)
        return
    applied = run_git(root, "rev-parse", "--verify", "-q", EXEC_APPLY).stdout.decode().strip()
    lines = []
    for exp in exps:
        sha = run_git(root, "rev-parse", "--verify", "-q", exp.ref).stdout.decode().strip()
        if applied and sha == applied:
            lines.append(f"delete {EXEC_APPLY}\n")
        lines.append(f"delete {exp.ref}\n")
    run_git(root, "update-ref", "-d", EXEC_BRANCH)
    _git(root, "update-ref", "--stdin", stdin="".join(dict.fromkeys(lines)).encode())


def remove_queued(root: Path, names: Sequence[str] | None = None) -> list[str]:
    """Forget the queue's ``Queued`` entries (``names`` only, unless None); their names."""
    removed: list[str] = []
    for entry in expqueue.entries(root):
        if entry.status != expqueue.QUEUED:
            continue
        if names is None or entry.name in names or entry.id in names:
            expqueue.drop(root, entry)
            removed.append(entry.name)
    return removed


__all__ = ["APPLY_HEAD", "APPLY_STASH", "EXEC_APPLY", "apply", "branch", "remove_queued",
           "remove_refs", "stash_workspace", "write_tree"]
