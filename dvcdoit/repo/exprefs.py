"""Where DVC 3 keeps experiments in git: one ref per experiment, named after its baseline.

Measured with ``dvc==3.67.1`` (``git for-each-ref``, ``git cat-file``; see
docs/experiments.md): a finished experiment is the ref
``refs/exps/<baseline[:2]>/<baseline[2:]>/<name>``, pointing at one commit whose parent is
the baseline commit and whose message is ``dvc: commit experiment <sha256>``. Refs under
``refs/exps/exec/``, ``refs/exps/celery/``, ``refs/exps/tmp/`` and the stash refs are DVC's
bookkeeping, not experiments. Names are ``adjective-noun`` when the user gives none.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dvcdoit.core.errors import DvcDoitError
from dvcdoit.repo.revision import run_git

NAMESPACE = "refs/exps"
EXEC_NAMESPACE = "refs/exps/exec"
COMMIT_PREFIX = "dvc: commit experiment "
_REF = re.compile(r"refs/exps/([0-9a-f]{2})/([0-9a-f]{38})/(.+)")
_SHA = re.compile(r"[0-9a-f]{40}")
# NOTE: what `git check-ref-format` refuses in one component, plus the slash
_BAD_NAME = re.compile(r"[\x00-\x20\x7f~^:?*\[\\/]|\.\.|@\{|^\.|\.lock$|\.$|^@$|^-")

_ADJECTIVES = (
    "amber", "bold", "brisk", "calm", "civic", "cosy", "crisp", "dandy", "eager", "early",
    "fair", "fancy", "fleet", "fond", "frank", "fresh", "glad", "grand", "happy", "hardy",
    "jolly", "keen", "kind", "lean", "lucid", "lucky", "merry", "mild", "modal", "neat",
    "noble", "optic", "plain", "plush", "polar", "prime", "proud", "quick", "quiet", "rapid",
    "regal", "rosy", "royal", "sable", "sharp", "shiny", "sleek", "solar", "sonic", "stout",
    "sunny", "swift", "tidal", "tidy", "topaz", "urban", "vivid", "warm", "wise", "witty",
    "young", "zesty", "zonal", "agile",
)
_NOUNS = (
    "acorn", "anvil", "aspen", "badge", "basil", "bayou", "birch", "bison", "cairn", "canoe",
    "cedar", "comet", "coral", "crane", "delta", "dingo", "drum", "eagle", "elm", "ember",
    "fable", "ferry", "finch", "fjord", "flint", "gecko", "glade", "grove", "hazel", "heron",
    "inlet", "iris", "jetty", "kayak", "koala", "lark", "lotus", "lynx", "maple", "mesa",
    "moth", "nook", "oasis", "olive", "otter", "pecan", "perch", "plum", "quail", "raven",
    "reef", "ridge", "sage", "shoal", "spire", "tapir", "thyme", "tulip", "vale", "wharf",
    "willow", "yak", "yarrow", "zebra",
)


class ExperimentError(DvcDoitError):
    """An experiment name or ref that git or DVC would refuse, or that names nothing."""


@dataclass(frozen=True)
class ExpRef:
    """One experiment: the commit it was run on (``baseline``) and its name."""

    baseline: str
    name: str

    @property
    def ref(self) -> str:
        """The full git ref DVC stores the experiment under."""
        return f"{NAMESPACE}/{self.baseline[:2]}/{self.baseline[2:]}/{self.name}"

    @classmethod
    def parse(cls, refname: str) -> ExpRef | None:
        """The experiment a ref names, or None for a ref that is not one (DVC's bookkeeping)."""
        match = _REF.fullmatch(refname)
        if match is None or match.group(3).startswith(("exec/", "celery/", "tmp/")):
            return None
        return cls(match.group(1) + match.group(2), match.group(3))


def check_name(name: str) -> str:
    """``name`` if git can store it as the last part of a ref, else :class:`ExperimentError`."""
    if not name or _BAD_NAME.search(name):
        msg = f"Invalid exp name {name}, the exp name must follow rules in " \
              "https://git-scm.com/docs/git-check-ref-format"  # NOTE: DVC's words
        raise ExperimentError(msg)
    return name


def check_sha(sha: str) -> str:
    """``sha`` if it is a full 40-digit commit id, else :class:`ExperimentError`."""
    if not _SHA.fullmatch(sha):
        msg = f"'{sha}' is not a full commit id (40 hex digits)"
        raise ExperimentError(msg)
    return sha


def _parsed(text: bytes, sep: str) -> list[tuple[ExpRef, str]]:
    """``sha<sep>refname`` lines → the experiments among them, in order."""
    found: list[tuple[ExpRef, str]] = []
    for line in text.decode().splitlines():
        sha, _, refname = line.partition(sep)
        exp = ExpRef.parse(refname)
        if exp is not None:
            found.append((exp, sha))
    return found


def exp_refs(root: Path) -> list[tuple[ExpRef, str]]:
    """Every experiment of the repo as (ref, commit sha), in git's ref order."""
    out = run_git(root, "for-each-ref", "--format=%(objectname) %(refname)", NAMESPACE)
    return _parsed(out.stdout, " ")


def remote_exp_refs(root: Path, remote: str) -> list[tuple[ExpRef, str]]:
    """The experiments on git remote ``remote`` (a name or URL) as (ref, commit sha), in
    git's order; DVC's words when git cannot read it: ``'X' is not a valid Git remote or
    URL``."""
    out = run_git(root, "ls-remote", "--end-of-options", remote, f"{NAMESPACE}/*")
    if out.returncode != 0:
        msg = f"'{remote}' is not a valid Git remote or URL"
        raise ExperimentError(msg)
    return _parsed(out.stdout, "\t")


def for_baseline(refs: Iterable[tuple[ExpRef, str]], baseline: str) -> list[tuple[ExpRef, str]]:
    """The experiments run on ``baseline``."""
    return [(exp, sha) for exp, sha in refs if exp.baseline == baseline]


def new_name(taken: Iterable[str], rng: random.Random | None = None) -> str:
    """A fresh ``adjective-noun`` name (DVC's style) that is not in ``taken``."""
    used = set(taken)
    pick = rng or random.SystemRandom()
    for _ in range(64):
        name = f"{pick.choice(_ADJECTIVES)}-{pick.choice(_NOUNS)}"
        if name not in used:
            return name
    while True:  # NOTE: all 64 tries taken: a number makes it unique
        name = f"{pick.choice(_ADJECTIVES)}-{pick.choice(_NOUNS)}-{pick.randrange(10**6)}"
        if name not in used:
            return name


__all__ = ["COMMIT_PREFIX", "EXEC_NAMESPACE", "NAMESPACE", "ExpRef", "ExperimentError",
           "check_name", "check_sha", "exp_refs", "for_baseline", "new_name", "remote_exp_refs"]
