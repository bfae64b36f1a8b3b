"""Code-shape gates that CI enforces beyond ruff and mypy: module size and docstrings."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dvcdoit"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 400


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_module_passes_400_lines(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{_rel(path)} has {lines} lines; split it (limit {MAX_LINES})"


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_public_modules_and_classes_have_docstrings(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    missing = [] if ast.get_docstring(tree) else ["module"]
    missing += [f"class {node.name} (line {node.lineno})" for node in ast.walk(tree)
                if isinstance(node, ast.ClassDef) and not node.name.startswith("_")
                and not ast.get_docstring(node)]
    assert not missing, f"{_rel(path)}: no docstring on " + ", ".join(missing)


def test_the_gates_see_the_whole_package() -> None:
    assert len(MODULES) > 40
    assert PACKAGE / "cli" / "__init__.py" in MODULES
