"""``version`` / ``doctor``: what DVC 3.67.1's ``dvc doctor`` reports, with dvcdoit's own names.

The layout is DVC's (``dvc/info.py``): a version line underlined with dashes, the platform,
the libraries (DVC's "Subprojects"), the remote kinds whose client libraries are installed
("Supports", one per line with their versions), the global and system config dirs, and inside
a repo: the link types the cache's filesystem supports (tried for real, as DVC's
``test_links`` does: a file in the cache linked into the workspace), the filesystems of the
cache and the workspace (from ``/proc/self/mounts``, as psutil reads it), the configured
remotes' kinds, and what kind of repo it is. DVC's last line, its site cache dir, has no
dvcdoit counterpart; dvcdoit prints its repo root and cache dir instead.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

from dvcdoit import __version__
from dvcdoit.core import fsutil, tempname
from dvcdoit.core.errors import DvcDoitError, NotARepoError
from dvcdoit.formats import config as cfg
from dvcdoit.formats import settings
from dvcdoit.repo.project import Project

LIBRARIES = ("doit", "PyYAML", "tqdm", "boto3", "urllib3")
REMOTE_KINDS = (
    ("azure", ("azure-storage-blob", "azure-identity")),
    ("gs", ("google-cloud-storage",)),
    ("http", ("urllib3",)),
    ("https", ("urllib3",)),
    ("s3", ("boto3",)),
    ("ssh", ("asyncssh",)),
    ("webdav", ("webdav4",)),
    ("webdavs", ("webdav4",)),
)
"""Each remote kind and the distributions it needs (the pip extras of pyproject.toml)."""
TRIED_LINKS = ("reflink", "hardlink", "symlink")


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _supported() -> list[str]:
    out = []
    for kind, dists in REMOTE_KINDS:
        versions = [_version(d) for d in dists]
        if all(v is not None for v in versions):
            out.append(f"{kind} (" + ", ".join(f"{d} = {v}" for d, v in zip(dists, versions,
                                                                          strict=True)) + ")")
    return out


def link_types(cache_dir: Path, workspace: Path) -> list[str]:
    """The link types that work from ``cache_dir`` into ``workspace``, tried for real."""
    src = cache_dir / tempname.name("doctor")
    fsutil.atomic_write(src, b"test")
    works = []
    try:
        for kind in TRIED_LINKS:
            dst = workspace / tempname.name(f"doctor-{kind}")
            try:
                fsutil.link(str(src), str(dst), kind)
            except OSError:
                continue
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(dst)
            works.append(kind)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(src)
    return works


def _unescape(field: str) -> str:
    for code, ch in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, ch)
    return field


def fs_type(path: Path) -> str:
    """``"ext4 on /dev/vda"``: the filesystem holding ``path`` (DVC's tuple when unknown)."""
    partitions: dict[Path, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mounts").read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2]:
                with contextlib.suppress(OSError):
                    point = Path(_unescape(fields[1])).resolve()
                    partitions[point] = f"{fields[2]} on {_unescape(fields[0])}"
    resolved = path.resolve()
    for parent in (resolved, *resolved.parents):
        if parent in partitions:
            return partitions[parent]
    return str(("unknown", "none"))


def _repo_kind(project: Project) -> str:
    no_scm = settings.get(project.root / ".dvc", settings.OptionName(None, "core", "no_scm"))
    if no_scm is not None and no_scm.value.strip().lower() in ("true", "1", "yes", "on"):
        return "dvc (no_scm)"
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=project.root,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "dvc (no_scm)"
    return "dvc, git" if Path(top).resolve() == project.root.resolve() else "dvc (subdir), git"


def _repo_lines(project: Project) -> list[str]:
    cache_dir = Path(project.config.cache_dir or project.root / ".dvc" / "cache")
    lines = []
    if cache_dir.exists():
        try:
            links = ", ".join(link_types(cache_dir, project.root))
        except OSError as exc:  # NOTE: a read-only cache: say why instead of failing doctor
            links = f"unknown ({exc.strerror or exc})"
        lines.append(f"Cache types: {links}")
        lines.append(f"Cache directory: {fs_type(cache_dir)}")
    else:
        lines.append("Cache types: <https://error.dvc.org/no-dvc-cache>")
    kinds = [r.scheme or "local" for r in project.config.remotes.values()]
    lines += ["Caches: local",
              f"Remotes: {', '.join(kinds) if kinds else None}",
              f"Workspace directory: {fs_type(project.root)}",
              f"Repo: {_repo_kind(project)}",
              f"Repo.root: {project.root}",
              f"Repo.cache_dir: {cache_dir}"]
    return lines


def report(cwd: Path) -> str:
    """The whole report, lines joined by newlines (no final one)."""
    head = f"dvcdoit version: {__version__}"
    libs = [f"{d} = {v}" for d in LIBRARIES if (v := _version(d)) is not None]
    dvc_dir = cwd / ".dvc"
    lines = [
        head, "-" * len(head),
        f"Platform: Python {platform.python_version()} on {platform.platform()}",
        "Subprojects:" + "".join(f"\n\t{lib}" for lib in libs),
        "Supports:\n\t" + ",\n\t".join(_supported()),
        (f"Config:\n\tGlobal: {cfg.config_file(dvc_dir, 'global').parent}"
         f"\n\tSystem: {cfg.config_file(dvc_dir, 'system').parent}"),
    ]
    try:
        project = Project.find(cwd)
    except NotARepoError:
        return "\n".join(lines)
    try:
        lines += _repo_lines(project)
    except DvcDoitError as exc:
        lines.append(f"Repo: dvc ({exc})")
    return "\n".join(lines)
