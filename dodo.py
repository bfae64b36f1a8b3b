"""dvcdoit's own dev tasks, run with doit: ``doit lint``, ``doit types``, ``doit test`` ..."""

from __future__ import annotations

from pathlib import Path

DOIT_CONFIG = {"default_tasks": ["lint", "types", "layers", "test"], "verbosity": 2,
               "backend": "sqlite3", "dep_file": ".doit-dev.db"}

SOURCES = sorted(str(p) for p in Path("dvcdoit").rglob("*.py"))


def task_lint() -> dict[str, object]:
    """ruff over the package and the tests."""
    return {"actions": ["ruff check dvcdoit tests"], "file_dep": SOURCES}


def task_types() -> dict[str, object]:
    """mypy --strict over the package."""
    return {"actions": ["mypy"], "file_dep": SOURCES}


def task_layers() -> dict[str, object]:
    """import-linter: the layering contract of docs/design.md."""
    return {"actions": ["lint-imports"], "file_dep": SOURCES}


def task_test() -> dict[str, object]:
    """The whole pytest suite (interop tests need DVCDOIT_DVC_BIN or ~/venvs/dvc)."""
    return {"actions": ["python -m pytest -q -n 2 --dist loadfile"], "uptodate": [False]}


def task_bench() -> dict[str, object]:
    """Benchmarks against real DVC (``--quick`` size); writes docs/benchmarks.md."""
    return {"actions": ["python bench/run.py --quick"], "uptodate": [False]}


def task_bench_scale() -> dict[str, object]:
    """Scale sweep against real DVC, 2,000 to 200,000 files (``--full``: 1,000,000 too);
    writes its block of docs/benchmarks.md and docs/scale-*.png (needs the ``bench`` extra)."""
    return {"actions": ["python bench/scale.py"], "uptodate": [False]}
