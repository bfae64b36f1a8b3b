"""Which experiment a name, a sha or a ref names: DVC 3.67.1's ``resolve_name`` and ``resolve_rev``.

A full ``refs/exps/…`` ref names itself. A bare name is looked up among the experiment refs
(:mod:`dvcdoit.repo.exprefs`), locally or on a git remote: one match is it; several (the same
name on two baselines) resolve to the one run on ``HEAD``, and otherwise DVC's "Ambiguous
name" error lists the full refs. :func:`commit` is DVC's ``resolve_rev``: a git revision
first (a sha, branch or tag: ``exp apply`` takes any commit), then an experiment name.
DVC lists refs in dulwich's set order, which changes from run to run; dvcdoit in git's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from dvcdoit.core.errors import PathError
from dvcdoit.repo.exprefs import ExperimentError, ExpRef, exp_refs, remote_exp_refs
from dvcdoit.repo.revision import resolve, run_git

Found = tuple[ExpRef, str]
"""An experiment and its commit sha (on a git remote: the sha the remote lists)."""


class AmbiguousNameError(ExperimentError):
    """A name that is an experiment on several baselines, none of them ``HEAD``."""

    def __init__(self, name: str, refs: Sequence[ExpRef]) -> None:
        lines = [(f"Ambiguous name '{name}' refers to multiple experiments. Use one of the "
                 "following full refnames instead:"), "", *(f"\t{e.ref}" for e in refs)]
        super().__init__("\n".join(lines))  # NOTE: DVC's lines, as it prints them


def head_sha(root: Path) -> str | None:
    """The commit ``HEAD`` names, or None before the first commit."""
    out = run_git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    return out.stdout.decode().strip() if out.returncode == 0 else None


def refs_of(root: Path, remote: str | None = None) -> list[Found]:
    """Every experiment of the repo (or of git remote ``remote``), in git's ref order."""
    if remote:
        return list(remote_exp_refs(root, remote))
    return [(exp, sha) for exp, sha in exp_refs(root)]


def by_baseline(refs: Iterable[Found], baselines: set[str] | None = None,
                ) -> dict[str, list[Found]]:
    """Baseline sha → its experiments (of ``baselines`` only, unless None), in ``refs``'
    order: what DVC's ``exp list`` and ``exp remove --rev`` group."""
    grouped: dict[str, list[Found]] = {}
    for exp, sha in refs:
        if baselines is None or exp.baseline in baselines:
            grouped.setdefault(exp.baseline, []).append((exp, sha))
    return grouped


def _pick(name: str, hits: list[Found], head: str | None) -> Found:
    if len(hits) == 1:
        return hits[0]
    for hit in hits:
        if hit[0].baseline == head:
            return hit
    raise AmbiguousNameError(name, [exp for exp, _ in hits])


def resolve_names(root: Path, names: Sequence[str], refs: Sequence[Found] | None = None,
                  ) -> dict[str, Found | None]:
    """Each name (as typed, once) → the experiment it names, or None for none.

    ``refs`` are the experiments to look in (default: the local ones); a full
    ``refs/exps/…`` ref matches only itself. :class:`AmbiguousNameError` for a name on
    several baselines, none of them ``HEAD``'s.
    """
    pool = list(refs_of(root) if refs is None else refs)
    head = head_sha(root)
    result: dict[str, Found | None] = {}
    for name in dict.fromkeys(names):
        if name.startswith("refs/"):
            hits = [hit for hit in pool if hit[0].ref == name]
        else:
            hits = [hit for hit in pool if hit[0].name == name]
        result[name] = _pick(name, hits, head) if hits else None
    return result


def commit(root: Path, rev: str) -> str:
    """The commit ``rev`` names: a git revision, else an experiment's (DVC's ``resolve_rev``).

    :class:`~dvcdoit.core.errors.PathError` ``unknown Git revision 'X'`` when it is neither,
    :class:`AmbiguousNameError` for a name on several baselines, none of them ``HEAD``'s.
    """
    try:
        return resolve(root, rev)
    except PathError:
        if rev == "HEAD" or rev.startswith("refs/"):
            raise
        found = resolve_names(root, [rev]).get(rev)
        if found is None:
            raise
        return found[1]


def containing(root: Path, sha: str) -> list[ExpRef]:
    """The experiments whose history holds commit ``sha`` (DVC's ``exp_refs_by_rev``)."""
    out = run_git(root, "for-each-ref", "--format=%(refname)", f"--contains={sha}",
                  "refs/exps/")
    found = (ExpRef.parse(line) for line in out.stdout.decode().splitlines())
    return [exp for exp in found if exp is not None]


__all__ = ["AmbiguousNameError", "Found", "by_baseline", "commit", "containing", "head_sha",
           "refs_of", "resolve_names"]
