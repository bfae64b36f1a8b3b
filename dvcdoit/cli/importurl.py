"""``dvcdoit import-url``, ``get-url`` and ``update``: data at a URL, tracked or copied."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from dvcdoit.cli._common import emit, open_session
from dvcdoit.core.errors import DvcDoitError, PathError, RemoteError

_URLS = ("local path, s3://bucket/key or http(s)://host/path of a file or directory")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register import-url, get-url and update."""
    p = sub.add_parser("import-url", help="download or copy a file from a URL and track it",
                       description="Download or copy file from URL and take it under DVC "
                       "control.")
    p.add_argument("url", help=_URLS)
    p.add_argument("out", nargs="?", help="destination path to put files to")
    p.add_argument("--no-exec", action="store_true",
                   help="only create the .dvc file, without downloading")
    p.add_argument("--no-download", action="store_true",
                   help="record the source's hashes, download nothing")
    p.add_argument("--to-remote", action="store_true",
                   help="upload the data straight to the remote, not into the cache")
    p.add_argument("-r", "--remote", metavar="NAME", help="remote to upload to (--to-remote)")
    p.add_argument("-f", "--force", action="store_true", help="override the destination")
    p.add_argument("-j", "--jobs", type=int,
                   help="parallel uploads with --to-remote (else accepted)")
    p.set_defaults(func=cmd_import_url)
    g = sub.add_parser("get-url", help="download or copy files from a URL (not tracked)",
                       description="Download or copy files from URL.")
    g.add_argument("url", help=_URLS)
    g.add_argument("out", nargs="?", help="destination path to put data to")
    g.add_argument("-f", "--force", action="store_true",
                   help="override local file or folder if exists")
    g.add_argument("-j", "--jobs", type=int, help="parallel downloads (accepted)")
    g.set_defaults(func=cmd_get_url)
    u = sub.add_parser("update", help="update data imported with import or import-url",
                       description="Update data artifacts imported from other DVC "
                       "repositories or URLs.")
    u.add_argument("targets", nargs="+", help=".dvc files of the imports to update")
    u.add_argument("--rev", help="git revision (branch, tag, commit) for repo imports")
    u.add_argument("-R", "--recursive", action="store_true",
                   help="update every import stage in the given directories")
    u.add_argument("--no-download", action="store_true",
                   help="update the recorded hashes, download nothing")
    u.add_argument("-j", "--jobs", type=int, help="parallel downloads")
    u.set_defaults(func=cmd_update)


def _dest(url: str, out: str | None) -> Path:
    """DVC's ``resolve_output``: OUT, or inside OUT when it is a directory, else the URL's
    last component in the cwd."""
    from dvcdoit.verbs.importurl import default_out

    name = default_out(url)
    if not out:
        return Path.cwd() / name
    dest = Path.cwd() / out
    return dest / name if dest.is_dir() else dest


def _wrapped(exc: DvcDoitError, text: str) -> DvcDoitError:
    kind = PathError if isinstance(exc, PathError) else RemoteError
    return kind(text)


def cmd_import_url(args: argparse.Namespace) -> int:
    """``import-url URL [OUT] [--no-exec] [--no-download] [--to-remote [-r NAME]] [-f]``."""
    from dvcdoit.storage.remotes.urls import safe
    from dvcdoit.verbs.importurl import UrlRequest, check_flags, dep_path, import_url, shown

    session = open_session()
    project = session.project
    dest = Path(os.path.normpath(_dest(args.url, args.out)))
    try:
        project.resolve(str(dest))  # NOTE: one line for a destination outside the repo
        req = UrlRequest(args.url, dest, args.force, args.no_exec, args.no_download,
                         args.to_remote, args.remote, args.jobs)
        check_flags(req)
        if not args.no_exec and not args.to_remote:  # NOTE: DVC says nothing with --to-remote
            path = dep_path(project, args.url, dest, Path.cwd())
            print(f"Importing '{shown(project, path, dest.parent, Path.cwd())}' -> "
                  f"'{os.path.relpath(dest, Path.cwd())}'")
        with project.lock():
            written = import_url(project, req, Path.cwd())
    except DvcDoitError as exc:
        raise _wrapped(exc, f"failed to import {safe(args.url)}. You could also try "
                       "downloading it manually, and adding it with `dvcdoit add`. - "
                       f"{exc}") from None
    files = sorted(project.rel(p) for p in written)
    print(f"\nTo track the changes with git, run:\n\n\tgit add {' '.join(files)}")
    print("\nTo enable auto staging, run:\n\n\tdvcdoit config core.autostage true")
    return 0


def cmd_get_url(args: argparse.Namespace) -> int:
    """``get-url URL [OUT] [-f]``: prints nothing on success, as DVC."""
    from dvcdoit.storage.remotes.urls import UrlMissing, safe
    from dvcdoit.verbs.importurl import get_url

    dest = Path(os.path.normpath(_dest(args.url, args.out)))
    try:
        get_url(args.url, dest, Path.cwd(), args.force)
    except UrlMissing:
        msg = f"failed to get '{safe(args.url)}' - The path '{safe(args.url)}' does not exist"
        raise RemoteError(msg) from None
    except DvcDoitError as exc:
        raise _wrapped(exc, f"failed to get '{safe(args.url)}' - {exc}") from None
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    """``update [--rev REV] [-R] [--no-download] TARGET…``."""
    from dvcdoit.verbs.update import apply, plan, targets

    session = open_session()
    project = session.project
    with project.lock():
        try:
            stages = targets(project, args.targets, args.recursive, Path.cwd())
            for stage in stages:
                step = plan(project, stage, args.rev, Path.cwd())
                emit([step.message])
                if step.changed:
                    apply(project, step, args.no_download, args.jobs)
        except DvcDoitError as exc:
            raise _wrapped(exc, f"failed update data - {exc}") from None
    return 0
