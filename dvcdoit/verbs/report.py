"""Turn transfer and sync results into DVC-worded lines (the doit tasks and the CLI both show them).

Pure formatting: nothing here prints. Lines that start with ``ERROR:``/``WARNING:`` belong on
stderr; the caller decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from dvcdoit.core.errors import CheckoutError

if TYPE_CHECKING:  # NOTE: types only; importing sync/transfer costs start-up of every command
    from dvcdoit.storage.quarantine import Corruption
    from dvcdoit.storage.transfer import TransferResult
    from dvcdoit.storage.verify import VerifyResult
    from dvcdoit.verbs.cloud import SyncResult

STATUS_LEN = 20
_VERB_DONE = {"push": "pushed", "fetch": "fetched", "pull": "fetched"}
_VERB_METHOD = {"push": "upload", "fetch": "download", "pull": "download"}


def summary(stats: Iterable[tuple[str, int]]) -> str:
    """DVC's ``get_summary``: ``"4 files fetched and 1 file added"``; empty when all counts are 0."""
    words = [f"{n} file{'s' if n > 1 else ''} {state}" for state, n in stats if n]
    if len(words) > 1:
        return f"{', '.join(words[:-1])} and {words[-1]}"
    return words[0] if words else ""


def corruption_line(c: Corruption) -> str:
    """One ``ERROR:`` line for a corrupt cache object and what became of it, e.g.
    ``ERROR: cache object '.dvc/cache/files/md5/ab/cd…' for 'data/x.csv' is corrupted (its md5
    is 12…); moved to '.dvc/cache/quarantine/abcd….12…'``."""
    what = (f"is not a valid directory manifest ({c.problem})" if c.problem
            else f"is corrupted (its md5 is {c.actual})")
    name = f" for '{c.name}'" if c.name else ""
    if c.moved_to is not None:
        fate = f"; moved to '{c.moved_to}'"
    else:
        fate = f"; could not move it aside: {c.error}" if c.error else ""
    return f"ERROR: cache object '{c.path}'{name} {what}{fate}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verify_lines(res: VerifyResult, repair: bool) -> tuple[list[str], int]:
    """Lines and exit code (1 if any object is bad) of ``cache verify``.

    One line per file that is not an object (``WARNING:``), per bad object and per
    unreadable one (``ERROR:``), then ``N objects verified, K corrupted`` with what to do.
    """
    lines = [f"WARNING: '{path}' is not a cache object; skipped" for path in res.skipped]
    lines += [corruption_line(c) for c in res.corrupted]
    lines += [f"ERROR: cannot read cache object '{path}': {why}" for path, why in res.unreadable]
    text = f"{_count(res.checked, 'object')} verified, {len(res.corrupted)} corrupted"
    if res.unreadable:
        text += f", {len(res.unreadable)} unreadable"
    if res.missing:
        text += f", {len(res.missing)} missing (run 'dvcdoit pull' to get them)"
    if res.corrupted and repair:
        text += ("; the corrupted objects were moved aside: restore them with 'dvcdoit pull' "
                 "or by adding their files again")
    elif res.corrupted:
        text += "; run 'dvcdoit cache verify --repair' to move the corrupted objects aside"
    return [*lines, text], 0 if res.ok else 1


def render_transfer(result: TransferResult, verb: str, extra: Iterable[tuple[str, int]] = (),
                    runs: TransferResult | None = None, allow_missing: bool = False) -> list[str]:
    """Lines for a push/fetch/pull result, in DVC's wording.

    ``verb`` is ``push``, ``fetch`` or ``pull``; ``extra`` adds pull's checkout counts (e.g.
    ``[("added", 1)]``); ``runs`` is the run-cache result, counted with the objects as DVC does.
    """
    lines: list[str] = []
    if result.missing:
        lines.append("WARNING: Some of the cache files do not exist neither locally nor on remote."
                     " Missing cache files:")
        lines.extend(f"name: {name}, {hi.name}: {hi.value}" for name, hi in result.missing)
    lines.extend(corruption_line(c) for c in result.corrupted)
    failed = list(result.failed) + list(runs.failed if runs else ())
    lines.extend(f"ERROR: failed to transfer '{name}' ({hi.value}) - {reason}"
                 for name, hi, reason in failed)
    moved = len(result.transferred) + (len(runs.transferred) if runs else 0)
    if not failed and not result.corrupted:  # NOTE: DVC's summary is skipped by its error
        lines.append(summary([(_VERB_DONE[verb], moved), *extra]) or "Everything is up to date.")
    bad = len(failed) + (0 if allow_missing else len(result.missing)) + len(result.corrupted)
    if bad:
        what = {"push": "push data to", "fetch": "fetch data from", "pull": "pull data from"}[verb]
        lines.append(f"ERROR: failed to {what} the cloud - {bad} files failed to "
                     f"{_VERB_METHOD[verb]}")
    return lines


def render_cloud_status(status: Mapping[str, str], remote_name: str, as_json: bool = False,
                        indent: bool = True) -> list[str]:
    """Lines for ``status -c`` (``indent``) or ``status -r NAME`` (no indent), or ``--json``."""
    if as_json:
        return [json.dumps(dict(status))]
    if not status:
        return [f"Cache and remote '{remote_name}' are in sync."]
    ind = "\t" if indent else ""
    return [f"{ind}{(state + ':').ljust(STATUS_LEN)}{name}" for name, state in status.items()]


def bar_title(verb: str) -> str:
    """The progress bar's words for ``push``/``pull``/``fetch``, as DVC's bars have them."""
    return {"push": "Pushing", "pull": "Pulling", "fetch": "Fetching"}[verb]


def sync_lines(verb: str, res: SyncResult) -> tuple[list[str], int]:
    """Lines and exit code for a push/fetch/pull :class:`SyncResult`, worded as DVC does."""
    extra: list[tuple[str, int]] = []
    if verb == "pull":  # NOTE: DVC counts files (a directory's members), in this order
        n = res.counts
        extra = [("modified", n.modified), ("added", n.added), ("deleted", n.deleted)]
    lines = [f"{letter}       {path}" for letter, path in res.checkout]
    lines += render_transfer(res.result, verb, extra, res.runs, res.allow_missing)
    if res.checkout_failures:
        lines.append(f"ERROR: {CheckoutError(list(res.checkout_failures))}")
    return lines, 0 if res.ok else 1


UP_TO_DATE = "Data and pipelines are up to date."


def track_hint(files: list[str]) -> str:
    """DVC's git hint for ``files`` (sorted; DVC lists them in set order, which varies)."""
    return (f"\nTo track the changes with git, run:\n\n\tgit add {' '.join(sorted(files))}\n"
            "\nTo enable auto staging, run:\n\n\tdvcdoit config core.autostage true")
NOTHING_TRACKED = ("There are no data or pipelines tracked in this project yet.\n"
                   "See <https://dvc.org/doc/start> to get started!")


def render_status(blocks: Mapping[str, list[Any]], tracked: bool = True) -> list[str]:
    """DVC's human ``status`` lines (§7.3): tabs, status words padded to 20."""
    if not blocks:
        return [UP_TO_DATE if tracked else NOTHING_TRACKED]
    lines: list[str] = []
    for name, items in blocks.items():
        lines.append(f"{name}:")
        for item in items:
            if isinstance(item, str):
                lines.append(f"\t{item}")
                continue
            for section, changes in item.items():
                lines.append(f"\t{section}:")
                for path, word in changes.items():
                    if isinstance(word, dict):
                        lines.append(f"\t\t{path}:")
                        lines += [f"\t\t\t{w + ':':<{STATUS_LEN}}{k}" for k, w in word.items()]
                    else:
                        lines.append(f"\t\t{word + ':':<{STATUS_LEN}}{path}")
    return lines
