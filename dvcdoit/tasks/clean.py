"""``doit clean repro:<stage>``: remove a stage's outputs, only those the cache keeps.

doit's ``clean`` removes a task's targets without asking. For a stage that would lose data
that exists nowhere else, so an output is removed only when it is exactly what ``dvc.lock``
records and that content is in the cache (``dvcdoit checkout <stage>`` brings it back); any
other output is kept, with one line saying why. ``dvc.yaml``, ``dvc.lock`` and ``.gitignore``
are left alone (DVC's ``remove --outs`` also drops the stage; dvcdoit has no ``remove`` yet).
"""

from __future__ import annotations

import os

from dvcdoit.core import fsutil
from dvcdoit.pipeline.session import Session


def clean_action(session: Session, name: str, dryrun: bool = False) -> None:
    """doit clean action of ``repro:<stage>``; ``dryrun`` (``doit clean -n``) only tells."""
    index = session.index
    index.project.hold_lock()
    ws = index.project.workspace
    stage = index.stages[name]
    lock = index.locks.get(name)
    task = f"repro:{name}"
    for out in stage.outs:
        rel = stage.repo_path(out.path)
        path = ws.root / rel
        if not os.path.lexists(path):
            continue
        rec = lock.out(out.path) if lock else None
        if not out.cache or rec is None or rec.hash is None:
            print(f"{task} - keeping '{rel}': not saved in the cache")
            continue
        word = ws.status(path, rec.hash, True)
        if word:
            print(f"{task} - keeping '{rel}': {word} since dvc.lock "
                  f"(run 'dvcdoit commit -f {name}' to save it first)")
            continue
        print(f"{task} - removing '{rel}' (in the cache: 'dvcdoit checkout {name}' restores it)")
        if not dryrun:
            fsutil.remove(path)
