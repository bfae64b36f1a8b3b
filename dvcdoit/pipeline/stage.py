"""Run one stage with DVC semantics (spec §7, §8) and tell whether it changed, as data.

``status`` compares a stage with its lock entry in DVC's words (``changed deps`` with
``modified: path``, params keys, ``changed outs``, ``changed command``, ``always changed``).
``run`` removes non-persist outs, restores them from the cache when cmd/deps/params match the
lock or the run-cache (``Stage 'x' is cached - skipping run, checking out outputs``), else runs
each command line in its own shell; then it hashes and commits the outs, adds ``.gitignore``
entries, saves a run-cache entry and returns the new :class:`LockEntry`. Writing the lock is
the caller's job (doit's main process does it).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcdoit.core import fsutil
from dvcdoit.core.errors import DvcDoitError, HashingError, StageError
from dvcdoit.core.hashing import LEGACY, MD5
from dvcdoit.core.timing import Timed
from dvcdoit.formats.lock import LOCK_FILE, LockEntry, LockItem, LockWrites, write_entries
from dvcdoit.formats.params import MISSING, load_params, lookup
from dvcdoit.formats.pipeline import StageDef
from dvcdoit.formats.stagefile import dump_stagefile
from dvcdoit.repo.workspace import Workspace
from dvcdoit.storage.runcache import RunCache

Log = Callable[[str], None]
Execute = Callable[["Workspace", StageDef, Log, bool], None]
"""How a stage's commands run: ``(workspace, stage, log, capture)``; raises
:class:`StageError` when one fails. The default runs them here (:func:`_execute`);
``repro --executor dask`` runs them on a worker and lands the outputs in the workspace."""


def _quiet(_msg: str) -> None:
    return None


@dataclass(frozen=True)
class StageStatus:
    """Why a stage must run; empty when it is up to date. Paths are repo-relative."""

    name: str
    changed_deps: dict[str, Any] = field(default_factory=dict)
    changed_outs: dict[str, str] = field(default_factory=dict)
    changed_command: bool = False
    changed_checksum: bool = False
    always_changed: bool = False

    @property
    def changed(self) -> bool:
        """True if the stage must run (or be restored)."""
        return bool(self.changed_deps or self.changed_outs or self.changed_command
                    or self.changed_checksum or self.always_changed)

    def reasons(self) -> list[str]:
        """One line per reason, in DVC's words: ``changed deps: modified: data/data.xml``."""
        lines = []
        for path, word in self.changed_deps.items():
            if isinstance(word, dict):
                lines += [f"changed deps: {path}: {w}: {k}" for k, w in word.items()]
            else:
                lines.append(f"changed deps: {word}: {path}")
        lines += [f"changed outs: {w}: {p}" for p, w in self.changed_outs.items()]
        if self.changed_command:
            lines.append("changed command")
        if self.changed_checksum:
            lines.append("changed checksum")
        if self.always_changed:
            lines.append("always changed")
        return lines

    def to_json(self) -> list[Any]:
        """DVC's ``status --json`` value for this stage."""
        out: list[Any] = []
        if self.changed_deps:
            out.append({"changed deps": self.changed_deps})
        if self.changed_outs:
            out.append({"changed outs": self.changed_outs})
        out += [w for w, on in (("changed command", self.changed_command),
                                ("changed checksum", self.changed_checksum),
                                ("always changed", self.always_changed)) if on]
        return out


def read_params(root: Path, stage: StageDef) -> dict[str, dict[str, Any]]:
    """Current params values ``{file (as written): {key: value}}``; missing file/key is an error."""
    values: dict[str, dict[str, Any]] = {}
    for p in stage.params:
        path = root / stage.params_path(p)
        where = f"{stage.file}:stages.{stage.name}.params"
        if not path.is_file():
            msg = f"{where}: parameters file '{stage.params_path(p)}' does not exist"
            raise StageError(msg)
        data = load_params(path, stage.params_path(p))
        if p.keys is None:
            values[p.path] = dict(data) if isinstance(data, dict) else {}
            continue
        found = {k: lookup(data, k) for k in p.keys}
        missing = [k for k, v in found.items() if v is MISSING]
        if missing:
            msg = (f"{where}: parameters {', '.join(repr(k) for k in missing)} are missing "
                   f"from '{stage.params_path(p)}'")
            raise StageError(msg)
        values[p.path] = found
    return values


def _same(a: Any, b: Any) -> bool:
    """Equality where a tuple and a list with equal items count as equal (DVC §7.1)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _params_status(root: Path, stage: StageDef, lock: LockEntry | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for p in stage.params:
        rel = stage.params_path(p)
        path = root / rel
        if not path.is_file():
            changes[rel] = "deleted"
            continue
        data = load_params(path, rel)
        locked = lock.params.get(p.path) if lock else None
        if not locked:
            changes[rel] = "new"
            continue
        keys = list(p.keys) if p.keys is not None else list(
            dict.fromkeys([*(data if isinstance(data, dict) else {}), *locked]))
        words = {}
        for k in keys:
            now = lookup(data, k) if p.keys is not None else (
                data.get(k, MISSING) if isinstance(data, dict) else MISSING)
            if k not in locked:
                words[k] = "new" if now is not MISSING else "deleted"
            elif now is MISSING:
                words[k] = "deleted"
            elif not _same(now, locked[k]):
                words[k] = "modified"
        if words:
            changes[rel] = words
    return changes


def status(ws: Workspace, stage: StageDef, lock: LockEntry | None,
           changed_checksum: bool = False) -> StageStatus:
    """Compare ``stage`` with its lock entry (§7.2); deps are hashed through the state DB."""
    deps: dict[str, Any] = {}
    always = stage.always_changed or stage.is_callback
    if not stage.frozen and not always:
        for dep in stage.deps:
            rec = lock.dep(dep) if lock else None
            word = ws.status(ws.root / stage.repo_path(dep), rec.hash if rec else None, False)
            if word:
                deps[stage.repo_path(dep)] = word
        deps.update(_params_status(ws.root, stage, lock))
    outs: dict[str, str] = {}
    for out in stage.outs:
        rec = lock.out(out.path) if lock else None
        word = ws.status(ws.root / stage.repo_path(out.path), rec.hash if rec else None, out.cache)
        if word:
            outs[stage.repo_path(out.path)] = word
    cmd_changed = lock is not None and not stage.single and lock.cmd != stage.cmd
    return StageStatus(stage.addressing, deps, outs, cmd_changed, changed_checksum,
                       always and not stage.frozen)


def _restorable(stage: StageDef) -> bool:
    """§8.5 eligibility: never for always-changed, callback, dep-less/out-less or persist stages."""
    if stage.always_changed or stage.is_callback or (not stage.deps and not stage.params):
        return False
    if not stage.outs or any(o.persist for o in stage.outs):
        return False
    return not any(not o.cache and o.kind == "outs" for o in stage.outs)


def _remove_outs(ws: Workspace, stage: StageDef) -> None:
    for out in stage.outs:
        path = ws.root / stage.repo_path(out.path)
        if not out.persist:
            fsutil.remove(path)
        elif path.is_symlink() or (path.is_file() and os.stat(path).st_nlink > 1):
            tmp = fsutil.tmp_name(path)
            fsutil.copyfile(str(path), tmp)
            os.replace(tmp, path)  # NOTE: persist outs become private writable copies
            fsutil.make_writable(path)


def _try_restore(ws: Workspace, stage: StageDef, entry: LockEntry | None) -> bool:
    if entry is None or any(entry.out(o.path) is None or entry.out(o.path).hash is None  # type: ignore[union-attr]
                            for o in stage.outs):
        return False
    his = [entry.out(o.path).hash for o in stage.outs]  # type: ignore[union-attr]
    if not all(hi is not None and ws.in_cache(hi) for hi in his):
        return False
    for out in stage.outs:
        item = entry.out(out.path)
        assert item is not None and item.hash is not None
        ws.checkout(ws.root / stage.repo_path(out.path), item.hash, item.isexec, force=True)
    return True


def _hash_deps(ws: Workspace, stage: StageDef, lock: LockEntry | None) -> tuple[LockItem, ...]:
    items = []
    for dep in stage.deps:
        rec = lock.dep(dep) if lock else None
        path = ws.root / stage.repo_path(dep)
        try:
            h = ws.hash(path, MD5)
            if rec and rec.hash and rec.hash.legacy and ws.hash(path, LEGACY).hi == rec.hash:
                h = ws.hash(path, LEGACY)  # NOTE: unchanged legacy deps keep their legacy hash
        except HashingError:
            msg = (f"{stage.file}:stages.{stage.name}.deps: dependency '{dep}' does not exist "
                   "(missing data 'source')")
            raise StageError(msg) from None
        items.append(LockItem(dep, h.hi, h.size, h.nfiles, h.isexec))
    return tuple(items)


def shell_command(line: str) -> list[str]:
    """``[shell, *opts, "-c", line]`` as DVC builds it (§8.4)."""
    shell = os.environ.get("SHELL") or "/bin/sh"
    base = os.path.basename(shell)
    opts = {"bash": ["--noprofile", "--norc"], "zsh": ["--no-rcs"], "fish": ["--no-config"]}
    return [shell, *opts.get(base, []), "-c", line]


def _execute(ws: Workspace, stage: StageDef, log: Log, capture: bool = False) -> None:
    """Run each command line; with ``capture`` its stdout and stderr (merged, in order) go
    to ``log`` as one text when it ends instead of to this process's file descriptors."""
    env = dict(os.environ)
    env.setdefault("DVC_ROOT", str(ws.root))
    env["DVC_STAGE"] = stage.addressing
    cwd = ws.root / stage.wdir
    for line in stage.commands:
        log(f"> {line}")
        import subprocess  # NOTE: imported when used: start-up of status

        with Timed("dvcdoit.stage", f"stage '{stage.addressing}': ran '{line}'"):
            if capture:
                proc = subprocess.run(shell_command(line), cwd=cwd, env=env, check=False,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                if proc.stdout:
                    log(proc.stdout.decode(errors="replace").removesuffix("\n"))
                rc = proc.returncode
            else:
                rc = subprocess.call(shell_command(line), cwd=cwd, env=env)
        if rc != 0:
            msg = f"failed to run: {line}, exited with {rc}"
            raise StageError(msg)


def _commit_outs(ws: Workspace, stage: StageDef) -> tuple[LockItem, ...]:
    items = []
    for out in stage.outs:
        path = ws.root / stage.repo_path(out.path)
        if not os.path.lexists(path):
            msg = f"output '{out.path}' does not exist (stage '{stage.addressing}' did not create it)"
            raise StageError(msg)
        h = ws.commit(path) if out.cache else ws.hash(path)
        items.append(LockItem(out.path, h.hi, h.size, h.nfiles, h.isexec))
    return tuple(items)


def run(ws: Workspace, stage: StageDef, lock: LockEntry | None, force: bool = False,
        use_run_cache: bool = True, log: Log = _quiet, capture: bool = False,
        execute: Execute | None = None) -> LockEntry:
    """Bring ``stage`` up to date (restore or run) and return its new lock entry (§8.2).

    ``capture`` hands the commands' output to ``log`` instead of letting them write to this
    process's stdout and stderr (doit's parallel workers print each stage as one block).
    ``execute`` runs the commands when the stage is not restored (see :data:`Execute`).
    """
    params = read_params(ws.root, stage)
    deps = _hash_deps(ws, stage, lock)
    if stage.frozen:
        log(f"Verifying outputs in frozen stage: '{stage.addressing}'")
    else:
        _remove_outs(ws, stage)
        restored = False
        if not force and _restorable(stage):
            current = LockEntry(stage.cmd, deps, params, ())
            same = lock is not None and lock.cmd == stage.cmd and _same(
                [(d.path, d.hash) for d in sorted(deps, key=lambda d: d.path)],
                [(d.path, d.hash) for d in sorted(lock.deps, key=lambda d: d.path)],
            ) and _same(params, lock.params)
            restored = _try_restore(ws, stage, lock) if same else False
            if not restored and use_run_cache:
                found = RunCache(ws.cache).find(LockEntry(
                    current.cmd, deps, params, tuple(LockItem(o.path, None) for o in stage.outs)))
                restored = _try_restore(ws, stage, found)
        if restored:
            log(f"Stage '{stage.addressing}' is cached - skipping run, checking out outputs")
        else:
            log(f"Running stage '{stage.addressing}':")
            (execute or _execute)(ws, stage, log, capture)
    outs = _commit_outs(ws, stage)
    ws.gitignores.add([stage.repo_path(o.path) for o in stage.outs if o.cache])
    entry = LockEntry(stage.cmd, deps, params, outs)
    if _restorable(stage) and not stage.frozen:
        for out, item in zip(stage.outs, outs, strict=True):
            if not out.cache and item.hash is not None:  # NOTE: metrics/plots with cache: false
                ws.cache.add_file(ws.root / stage.repo_path(out.path), item.hash)
        with contextlib.suppress(OSError, DvcDoitError):  # NOTE: the run-cache is optional
            RunCache(ws.cache).save(entry)
    return entry


def record(root: Path, stage: StageDef, entry: LockEntry, memo: LockWrites | None = None) -> str:
    """Write ``entry`` where DVC keeps it: ``dvc.lock`` next to the ``dvc.yaml``, or the
    single-stage ``.dvc`` file itself (rewritten with its new stage md5).

    ``memo`` is the session's record of its own lock writes (see :func:`write_entries`).
    Returns :func:`write_entries`'s ``created``/``updated``/``unchanged``, or ``stagefile``."""
    if stage.single:
        dump_stagefile(root, stage, entry)
        return "stagefile"
    lock_path = (root / stage.file).with_name(LOCK_FILE)
    return write_entries(lock_path, {stage.name: entry}, memo)


def commit(ws: Workspace, stage: StageDef, lock: LockEntry | None) -> LockEntry:
    """Record ``stage``'s current deps, params and outputs without running it (``dvc commit``).

    Cached outputs go into the cache; the caller writes the returned entry with :func:`record`.
    """
    params = read_params(ws.root, stage)
    deps = _hash_deps(ws, stage, lock)
    outs = _commit_outs(ws, stage)
    ws.gitignores.add([stage.repo_path(o.path) for o in stage.outs if o.cache])
    return LockEntry(stage.cmd, deps, params, outs)


def run_cache_entry(ws: Workspace, stage: StageDef, lock: LockEntry | None) -> LockEntry | None:
    """The newest run-cache entry for ``stage``'s current cmd, deps and params, if any.

    ``fetch --run-cache`` uses it to bring the outputs such an entry names, so a machine that
    never ran the stage can restore it instead of running it. None when the stage is not
    restorable or a dep is missing.
    """
    if not _restorable(stage):
        return None
    try:
        deps = _hash_deps(ws, stage, lock)
        params = read_params(ws.root, stage)
    except DvcDoitError:
        return None
    return RunCache(ws.cache).find(LockEntry(stage.cmd, deps, params,
                                             tuple(LockItem(o.path, None) for o in stage.outs)))
