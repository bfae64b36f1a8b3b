"""``checkout --relink``: put every file of the selected outputs back as a fresh link (or copy).

Run after the ordinary checkout (which restored what differed, and refused what is not
saved), so every file now holds its object's bytes: each is replaced through a temp name by
what ``cache.type`` makes now, as DVC's ``relink`` does. A file keeps its exec bit; an output
whose object is not in the cache is left to checkout's error.
"""

from __future__ import annotations

import os

from dvcdoit.core import fsutil
from dvcdoit.core.hashing import HashInfo
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.selection import Selection
from dvcdoit.verbs.tracked import tracked


def relink(index: Index, selection: Selection) -> int:
    """Re-place every file of the selected tracked outputs; return how many were placed."""
    ws = index.project.workspace
    done = 0
    for t in tracked(index, selection):
        path = index.project.root / t.path
        if not os.path.lexists(path) or not ws.cache.has(t.hi):
            continue
        if not t.hi.isdir:
            ws.links.place(path, t.hi, t.isexec)
            done += 1
            continue
        for e in ws.cache.read_manifest(t.hi):
            dest = path / e.relpath
            member = HashInfo(t.hi.name, e.md5)
            if os.path.lexists(dest) and ws.cache.has(member):
                ws.links.place(dest, member, fsutil.is_exec(os.stat(dest).st_mode))
                done += 1
    return done
