"""``update``: bring import stages (``import-url`` and ``import``) up to their source.

:func:`plan` asks the source what it holds now and compares it with the ``.dvc`` file (the
dependency's recorded keys, or the repo's resolved commit, and the output in the workspace);
:func:`apply` re-imports what changed. DVC 3.67.1's words: ``Importing '…' -> '…'`` for a
changed import, ``'x.dvc' didn't change, skipping`` otherwise. With ``--no-download`` a
changed import gets its new dependency, its output entry cleared and its workspace copy
removed, as DVC does (its stage ``md5:`` is then, as DVC's, that of the new dependency with
the old output).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path

from dvcdoit.core.errors import PathError
from dvcdoit.formats import dvcfile as fmt
from dvcdoit.repo.project import Project
from dvcdoit.storage.remotes.urls import UrlInfo, UrlMissing, UrlSource, safe
from dvcdoit.verbs.imports import ImportRequest, import_repo, open_source
from dvcdoit.verbs.importurl import dep_entry, fetch_out, source, stage_file


@dataclass(frozen=True)
class Step:
    """One import stage, what its source holds now, and whether it changed."""

    dvc_path: Path
    stage: fmt.DvcFile
    changed: bool
    message: str
    src: UrlSource | None = None
    info: UrlInfo | None = None
    rev: str | None = None
    missing: str | None = None
    """Set when the source is gone: DVC says ``Importing …``, then fails with this line."""


def targets(project: Project, given: list[str], recursive: bool, cwd: Path) -> list[Path]:
    """The ``.dvc`` files named (an output path names its ``.dvc``; ``-R``: every ``.dvc``
    below a directory), in order."""
    found: list[Path] = []
    for target in given:
        path = Path(os.path.abspath(cwd / target))
        if recursive and path.is_dir():
            found.extend(sorted(p for p in project.dvcfiles() if path in p.parents))
            continue
        if path.suffix != ".dvc" and path.with_name(path.name + ".dvc").exists():
            path = path.with_name(path.name + ".dvc")
        if not path.exists():
            msg = f"'{path}' does not exist"
            raise PathError(msg)
        found.append(path)
    return found


def _rel(path: Path, cwd: Path) -> str:
    return os.path.relpath(path, cwd)


def _out_changed(project: Project, dvc_path: Path, out: fmt.Out) -> bool:
    return project.workspace.status(dvc_path.parent / out.path, out.hash) is not None


def plan(project: Project, dvc_path: Path, rev: str | None, cwd: Path) -> Step:
    """What updating ``dvc_path`` would do."""
    stage = fmt.load(dvc_path, project.rel(dvc_path))
    out = stage.outs[0]
    out_rel = _rel(dvc_path.parent / out.path, cwd)
    if not stage.deps:
        return Step(dvc_path, stage, False,
                    f"WARNING: Could not update '{out_rel}', it was never pushed to a remote")
    dep = stage.deps[0]
    skip = f"'{_rel(dvc_path, cwd)}' didn't change, skipping"
    if "repo" in dep.extra:
        repo = dict(dep.extra["repo"])
        try:
            src = open_source(str(repo["url"]), rev or repo.get("rev"), dvc_path.parent)
        except PathError as exc:
            if "unknown Git revision" not in str(exc):
                raise
            msg = f"unknown Git revision '{rev or repo.get('rev') or 'HEAD'}'"
            raise PathError(msg) from None
        changed = (src.revision.sha != repo.get("rev_lock") or (rev or repo.get("rev"))
                   != repo.get("rev") or _out_changed(project, dvc_path, out))
        text = f"Importing '{dep.path} ({repo['url']})' -> '{out_rel}'"
        return Step(dvc_path, stage, changed, text if changed else skip,
                    rev=rev or repo.get("rev"))
    url_src = source(project, dep.path, dvc_path.parent, cwd)
    text = f"Importing '{safe(url_src.shown)}' -> '{out_rel}'"
    try:
        info = url_src.info()
    except UrlMissing as exc:
        return Step(dvc_path, stage, True, text, url_src, missing=str(exc))
    new_dep = dep_entry(dep.path, info)
    changed = (fmt.to_dict(replace(stage, deps=(new_dep,)))["deps"] != fmt.to_dict(stage)["deps"]
               or _out_changed(project, dvc_path, out))
    return Step(dvc_path, stage, changed, text if changed else skip, url_src, info)


def apply(project: Project, step: Step, no_download: bool, jobs: int | None = None) -> None:
    """Re-import ``step``'s stage and rewrite its ``.dvc`` file as DVC does."""
    stage = step.stage
    out = stage.outs[0]
    dest = step.dvc_path.parent / out.path
    if step.missing is not None:
        raise UrlMissing(step.missing)
    if step.src is None or step.info is None:
        dep = stage.deps[0]
        repo = dict(dep.extra["repo"])
        req = ImportRequest(str(repo["url"]), dep.path, dest, step.rev, force=True,
                            no_download=no_download)
        import_repo(project, req, step.dvc_path.parent, jobs)
        return
    new_dep = dep_entry(stage.deps[0].path, step.info)
    if no_download:
        if os.path.lexists(dest):
            (shutil.rmtree if dest.is_dir() and not dest.is_symlink() else os.unlink)(dest)
        new_out = replace(out, hash=None, size=None, nfiles=None)
    else:
        got = fetch_out(project, step.src, step.info, dest)
        new_out = replace(out, hash=got.hash, size=got.size, nfiles=got.nfiles)
    fresh = stage_file(new_dep, new_out, True)
    md5 = fresh.md5
    if no_download:
        # NOTE: DVC 3.67.1 computes the stage md5 before it clears the output, so the md5
        # it writes is that of the new dep with the *old* output; so do we
        md5 = stage_file(new_dep, out, True).md5
    fmt.dump(step.dvc_path, replace(stage, deps=fresh.deps, outs=fresh.outs, md5=md5))


__all__ = ["Step", "apply", "plan", "targets"]
