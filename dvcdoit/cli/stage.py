"""Stage sub-commands: ``run``, ``stage add``, ``repro``, ``migrate``; status rendering."""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import posixpath
import sys
from pathlib import Path
from typing import Any

from dvcdoit.cli._common import open_session, quiet
from dvcdoit.core import fsutil
from dvcdoit.core.errors import DvcDoitError, StageError
from dvcdoit.formats.pipeline import PIPELINE_FILE, Out, ParamsDep, StageDef, write_stage
from dvcdoit.formats.stagefile import dump_stagefile
from dvcdoit.pipeline import status as overview
from dvcdoit.pipeline.index import Index
from dvcdoit.pipeline.session import Session
from dvcdoit.pipeline.stage import record, run
from dvcdoit.verbs.report import UP_TO_DATE


def _params(specs: list[str]) -> tuple[ParamsDep, ...]:
    files: dict[str, list[str] | None] = {}
    for spec in specs:
        file, sep, keys = spec.rpartition(":") if ":" in spec else ("", "", spec)
        file = file or "params.yaml"
        if sep and not keys:
            files[file] = None
        elif files.get(file, []) is not None:
            files[file] = [*(files.get(file) or []), *[k for k in keys.split(",") if k]]
    return tuple(ParamsDep(f, None if k is None else tuple(k)) for f, k in files.items())


def _stage_from_args(args: argparse.Namespace, name: str, file: str) -> StageDef:
    if not args.command:
        msg = "a command is required: dvcdoit run -n NAME [options] COMMAND"
        raise StageError(msg)
    outs = [Out(p) for p in args.outs] + [Out(p, cache=False) for p in args.outs_no_cache]
    outs += [Out(p, "metrics") for p in args.metrics]
    outs += [Out(p, "metrics", cache=False) for p in args.metrics_no_cache]
    outs += [Out(p, persist=True) for p in args.outs_persist]
    wdir_def = args.wdir or "."
    wdir = posixpath.normpath(posixpath.join(posixpath.dirname(file), wdir_def))
    cmd = " ".join(args.command) if len(args.command) > 1 else args.command[0]
    return StageDef(name=name, cmd=cmd, file=file, wdir=wdir, deps=tuple(args.deps),
                    params=_params(args.params), outs=tuple(outs), wdir_def=wdir_def,
                    always_changed=args.always_changed, desc=args.desc)


def _validate(session: Session, path: Path, old: bytes | None) -> Index:
    try:
        return session.reload()
    except DvcDoitError:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            fsutil.atomic_write(path, old)  # NOTE: put the user's file back whole
        raise


def cmd_run(args: argparse.Namespace) -> int:
    """``run`` / ``stage add``: write the stage, add .gitignore entries, and run it."""
    session = open_session()
    project = session.project
    if bool(args.name) == bool(getattr(args, "file", None)):
        msg = "give exactly one of -n NAME (dvc.yaml stage) or -f FILE.dvc (single-stage file)"
        raise StageError(msg)
    single = bool(getattr(args, "file", None))
    file = project.rel(project.resolve(args.file)) if single else PIPELINE_FILE
    if single and not file.endswith(".dvc"):
        msg = f"'{args.file}': a single-stage file name must end with '.dvc'"
        raise StageError(msg)
    stage = _stage_from_args(args, file if single else args.name, file)
    path = project.root / file
    old = path.read_bytes() if path.exists() else None
    if single:
        if old is not None and not args.force:
            msg = f"'{file}' already exists. Use '--force' to overwrite."
            raise StageError(msg)
        dump_stagefile(project.root, stage, None)
    else:
        write_stage(project.root, stage, force=args.force)
    index = _validate(session, path, old)
    stage = index.stages[stage.addressing]
    project.gitignores.add([stage.repo_path(o.path) for o in stage.outs if o.cache])
    if args.no_exec or args.handler_name == "stage add":
        return 0
    with project.lock():
        entry = run(project.workspace, stage, index.locks.get(stage.addressing), force=True,
                    log=print)
        record(project.root, stage, entry, project.lock_writes)
    return 0


def _pull_run_cache(session: Any) -> None:
    """``repro --pull``: the remote's run-cache entries first (DVC's ``stage_cache.pull``)."""
    from dvcdoit.pipeline.selection import Selection
    from dvcdoit.verbs import cloud

    with session.project.lock():
        cloud.fetch(session.index, Selection(), run_cache=True)


def cmd_repro(args: argparse.Namespace) -> int:
    """``repro``: run the doit tasks through DoitMain with dvcdoit's loader."""
    session = open_session()
    project = session.project
    index = session.index  # NOTE: the doit tasks reuse this one, not a 2nd load
    targets = _repro_targets(index, args)
    if args.dry:
        would = overview.would_run(index, targets, args.force)
        for name in would:
            print(f"Running stage '{name}':")
            print("\n".join(f"> {c}" for c in index.stages[name].commands))
        if not would:
            print(UP_TO_DATE)
        return 0
    if not args.force and not args.verbose and not _doit_configured(Path.cwd()):
        # NOTE: the no-op fast path: the same checks doit's uptodate objects make, without
        # importing and setting up doit (about a third of a no-op run). Any change falls
        # through to doit, which checks again (cheap: the state DB remembers the hashes).
        order = index.graph.run_order(targets, args.single_item)
        with project.lock():
            settled = overview.up_to_date(index, order, args.allow_missing)
        if settled:
            _ignore_notes(order)
            if not quiet(args):
                print("".join(_skip_line(index, n) + "\n" for n in order) + UP_TO_DATE)
            return 0
    from doit.doit_cmd import DoitMain

    from dvcdoit.tasks import doitstore
    from dvcdoit.tasks.loader import DvcDoitLoader, RunOptions
    from dvcdoit.tasks.reporter import DvcReporter, QuietReporter

    _ignore_notes(index.graph.run_order(targets, args.single_item))
    cluster = _cluster(project, args)
    options = RunOptions(force=args.force, use_run_cache=not args.no_run_cache,
                         reasons=args.verbose,
                         only=frozenset(targets) if args.single_item else None,
                         allow_missing=args.allow_missing, pull=args.pull,
                         interactive=args.interactive or project.config.interactive,
                         cluster=cluster)
    if args.pull and not args.no_run_cache:
        _pull_run_cache(session)
    reporter = QuietReporter if quiet(args) else DvcReporter
    ours = not _doit_configured(Path.cwd())  # NOTE: no dodo or doit settings: doit's DB is ours
    argv = ["run", *(["-a"] if args.force else []),
            *(["--backend", doitstore.NAME] if ours else []),
            *(["-n", str(args.jobs)] if args.jobs else []),
            *(["--continue"] if args.keep_going else [])]
    # NOTE: every stage to run, in DVC's order: doit runs the tasks it is given in that order
    argv += [f"repro:{t}" for t in index.graph.run_order(targets, args.single_item)
             ] if targets else ["repro"]
    streams = sys.stdout, sys.stderr
    with project.lock(), cluster or contextlib.nullcontext():
        if cluster is not None:  # NOTE: each thread only waits for its stage's Dask task
            argv[1:1] = [] if args.jobs else ["-n", str(cluster.threads())]
            argv[1:1] = ["-P", "thread"]
        # NOTE: doit's default ``outfile`` is the sys.stdout of when doit was imported; give
        # it today's (the PipeGuard of cli.run), as a default that doit's config files override
        main = DoitMain(DvcDoitLoader(session, options),
                        extra_config={"run": {"outfile": sys.stdout, "reporter": reporter},
                                      "BACKEND": {doitstore.NAME: doitstore.LOCATION}})
        try:
            code = int(main.run(argv))
        finally:  # NOTE: doit's threads swap sys.stdout/err around each action: put them back
            sys.stdout, sys.stderr = streams
    # NOTE: with -k doit reports the `repro` group as an unmet dependency (2): a stage failed
    return 1 if code == 2 and args.keep_going else code


def _cluster(project: Any, args: argparse.Namespace) -> Any:
    """``--executor dask``: the :class:`~dvcdoit.verbs.daskrepro.DaskStages` of this run."""
    if args.executor != "dask":
        return None
    from dvcdoit.verbs.daskrepro import DaskStages

    return DaskStages(project, args.scheduler, args.git_url)


def _repro_targets(index: Index, args: argparse.Namespace) -> list[str]:
    """The stages ``repro`` is given, with DVC's selectors applied: ``--glob`` wildcards,
    ``-R`` directories, ``-p`` whole pipelines, ``-P`` everything, ``--downstream`` (then
    the run is single-item over the targets and what depends on them, in order)."""
    from dvcdoit.verbs import stagelist

    if args.all_pipelines:
        return []
    typed = [t.removeprefix("repro:") if t not in index.stages else t for t in args.targets]
    if not typed and (Path.cwd() / PIPELINE_FILE).exists():
        typed = [PIPELINE_FILE]  # NOTE: DVC's default target: the dvc.yaml here, not every one
    if args.glob:
        typed = [n for t in typed for n in (fnmatch.filter(index.stages, t) or [t])]
    if args.recursive:
        typed = [n for t in typed for n in (
            [s for s in stagelist.recursive(index, t.rstrip("/")) if s in index.stages] or [t])]
    targets = index.select_stages(typed)
    if args.pipeline:
        wanted = set().union(*(p for p in index.graph.pipelines() if p & set(targets)))
        targets = [n for n in index.graph.order if n in wanted]
    if args.downstream and targets:
        hit = set(targets).union(*(index.graph.downstream(t) for t in targets))
        targets = [n for n in index.graph.order if n in hit]
        args.single_item = True
    return targets


def _skip_line(index: Index, name: str) -> str:
    """DVC's line for an unchanged stage (a ``.dvc`` data source is named by its file)."""
    from dvcdoit.tasks.stagelog import skip_line

    return f"'{name}' didn't change, skipping" if name in index.sources else skip_line(name)


def _ignore_notes(names: list[str]) -> None:
    """One line per stage that ``doit ignore`` marked (doit prints only ``!! repro:x``)."""
    from dvcdoit.tasks.doitdb import ignore_note, ignored_stages

    for name in ignored_stages(names):
        print(ignore_note(name))


def _doit_configured(cwd: Path) -> bool:
    """True if doit would load user tasks or settings here (dodo.py, doit.cfg, [tool.doit])."""
    if (cwd / "dodo.py").exists() or (cwd / "doit.cfg").exists():
        return True
    try:
        return "[tool.doit" in (cwd / "pyproject.toml").read_text(errors="replace")
    except OSError:
        return False


def _stage_list_names(index: Index, args: argparse.Namespace) -> list[str]:
    from dvcdoit.verbs import stagelist

    if args.all:
        return stagelist.every(index)
    names: list[str] = []
    for target in args.targets or [PIPELINE_FILE]:
        path = (Path.cwd() / target).resolve()
        if args.recursive and path.is_dir() and path.is_relative_to(index.project.root):
            names += stagelist.recursive(index, index.project.rel(path))
            continue
        if not args.targets and not path.exists():
            msg = f"'{path}' does not exist"
            raise StageError(msg)
        names += index.select_stages([target], Path.cwd()) or []
    return names


def cmd_stage_list(args: argparse.Namespace) -> int:
    """``stage list``: stage names and DVC's descriptions, as a plain table."""
    from dvcdoit.verbs import stagelist

    index = open_session().index
    rows = stagelist.listing(index, _stage_list_names(index, args), Path.cwd(), args.name_only)
    width = max((len(name) for name, _ in rows), default=0)
    for name, desc in rows:
        print(f"{name.ljust(width)}  {desc}".rstrip() if desc else name)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """``migrate``: turn single-stage ``.dvc`` files into dvc.yaml stages + dvc.lock entries."""
    from dvcdoit.pipeline.migrate import migrate

    session = open_session()
    with session.project.lock():
        done = migrate(session.index, args.force)
        session.reload()  # NOTE: validates the result; errors name the file and field
    for m in done:
        print(f"migrated '{m.file}' to stage '{m.stage}' in {PIPELINE_FILE}")
    if not done:
        print("no single-stage .dvc files to migrate")
    return 0


def _add_stage_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-n", "--name", help="stage name in dvc.yaml")
    p.add_argument("-d", "--deps", action="append", default=[], metavar="PATH")
    p.add_argument("-o", "--outs", action="append", default=[], metavar="PATH")
    p.add_argument("-O", "--outs-no-cache", action="append", default=[], metavar="PATH")
    p.add_argument("--outs-persist", action="append", default=[], metavar="PATH")
    p.add_argument("-m", "--metrics", action="append", default=[], metavar="PATH")
    p.add_argument("-M", "--metrics-no-cache", action="append", default=[], metavar="PATH")
    p.add_argument("-p", "--params", action="append", default=[], metavar="[FILE:]KEYS")
    p.add_argument("-w", "--wdir", help="working directory of the command")
    p.add_argument("--always-changed", action="store_true")
    p.add_argument("--desc")
    p.add_argument("--force", action="store_true", help="overwrite an existing stage")
    p.add_argument("command", nargs=argparse.REMAINDER)


def add_parsers(sub: Any) -> None:
    """Register ``run``, ``stage add``, ``repro`` and ``migrate``."""
    p = sub.add_parser("run", help="add a stage (dvc.yaml with -n, .dvc file with -f) and run it")
    _add_stage_options(p)
    p.add_argument("-f", "--file", help="write a classic single-stage .dvc file")
    p.add_argument("--no-exec", action="store_true", help="only write the stage")
    p.set_defaults(func=cmd_run, handler_name="run")
    stage = sub.add_parser("stage", help="stage commands").add_subparsers(dest="stage_cmd")
    p = stage.add_parser("add", help="add a stage to dvc.yaml without running it")
    _add_stage_options(p)
    p.set_defaults(func=cmd_run, handler_name="stage add", no_exec=True, file=None)
    p = stage.add_parser("list", help="list stages with their descriptions")
    p.add_argument("targets", nargs="*", metavar="TARGET")
    p.add_argument("--all", action="store_true", help="every stage of the repo")
    p.add_argument("-R", "--recursive", action="store_true",
                   help="every stage in the stage files under a directory")
    p.add_argument("--name-only", "--names-only", action="store_true", dest="name_only")
    p.set_defaults(func=cmd_stage_list)
    p = sub.add_parser("repro", help="reproduce stages through doit")
    p.add_argument("targets", nargs="*", metavar="STAGE")
    p.add_argument("-f", "--force", action="store_true", help="run even if unchanged")
    p.add_argument("-s", "--single-item", action="store_true", help="only the named stages")
    p.add_argument("--dry", action="store_true", help="print what would run")
    p.add_argument("-j", "--jobs", type=int, default=0, help="parallel stages (doit -n)")
    p.add_argument("--no-run-cache", action="store_true",
                   help="run stages even when the run-cache holds their outputs")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say why each stage runs or is skipped")
    p.add_argument("--downstream", action="store_true",
                   help="start from the named stages: they and every stage that depends on them")
    p.add_argument("-p", "--pipeline", action="store_true",
                   help="the whole pipeline each named stage belongs to")
    p.add_argument("-P", "--all-pipelines", action="store_true", help="every stage of the repo")
    p.add_argument("-R", "--recursive", action="store_true",
                   help="a directory target names every stage in the stage files under it")
    p.add_argument("--glob", action="store_true",
                   help="targets are shell-style wildcards over stage names")
    p.add_argument("-k", "--keep-going", action="store_true",
                   help="after a failure, go on with the stages that do not depend on it")
    p.add_argument("--pull", action="store_true",
                   help="pull the outputs of stages whose only change is missing data, and "
                        "the run-cache, instead of running them")
    p.add_argument("--allow-missing", action="store_true",
                   help="skip stages whose only change is missing data")
    p.add_argument("-i", "--interactive", action="store_true",
                   help="ask for confirmation before reproducing each stage")
    p.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="where the stages' commands run: here, or on a Dask cluster")
    p.add_argument("--scheduler", metavar="ADDR",
                   help="the Dask scheduler (default: $DASK_SCHEDULER_ADDRESS)")
    p.add_argument("--git-url", metavar="URL",
                   help="where the Dask workers clone the project (default: origin's URL)")
    p.set_defaults(func=cmd_repro)
    p = sub.add_parser("migrate", help="convert single-stage .dvc files for DVC 3")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_migrate)
