"""Existence of many objects through sorted prefix listings: the check of the object stores.

S3, GCS and Azure list names in sorted pages. Up to ``head_limit`` objects are probed one by
one. More: the objects' common prefix (``files/md5/``) is listed page by page — a small or
empty store answers in one request — within a budget of half as many pages as there are
parent prefixes; the parents the budget did not reach are then listed (or probed, when they
hold at most ``head_limit`` of the objects) in parallel. Names come back sorted, so every
relpath up to the last name seen is settled by a partial listing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

Lister = Callable[[str, "int | None"], "tuple[list[str], bool]"]
"""``(prefix, max_pages) -> (sorted relpaths below prefix, listing complete)``."""


def exists_by_listing(rels: set[str], head: Callable[[str], bool], listing: Lister,
                      jobs: int | None, head_limit: int = 2,
                      parent_listing: Lister | None = None) -> set[str]:
    """The subset of ``rels`` present; ``parent_listing`` lists one parent (default
    ``listing``)."""
    if len(rels) <= head_limit:
        return {r for r in rels if head(r)}
    by_dir: dict[str, list[str]] = {}
    for rel in rels:
        by_dir.setdefault(posixpath.dirname(rel), []).append(rel)
    parents = list(by_dir)
    root = posixpath.commonpath(parents) if all(parents) else ""
    listed, complete = listing(root + "/" if root else "", max(1, len(by_dir) // 2))
    found = rels.intersection(listed)
    if complete:
        return found
    last = listed[-1] if listed else ""
    todo = {d: [r for r in rs if r > last] for d, rs in by_dir.items()}
    todo = {d: rs for d, rs in todo.items() if rs}
    one = parent_listing or listing

    def check(item: tuple[str, list[str]]) -> set[str]:
        parent, some = item
        if len(some) <= head_limit:
            return {r for r in some if head(r)}
        there = set(one(parent + "/" if parent else "", None)[0])
        return {r for r in some if r in there}

    with ThreadPoolExecutor(max(1, min(len(todo), jobs or 16))) as pool:
        return found.union(*pool.map(check, todo.items()))


__all__ = ["Lister", "exists_by_listing"]
