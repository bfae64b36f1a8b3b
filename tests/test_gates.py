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


_MUTABLE_CALLS = {"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"}


def _mutable_state(node: ast.stmt) -> str | None:
    """The name a module-level statement binds to an empty mutable container, else None.

    An empty ``{}``, ``[]``, ``set()``, ``dict()``… at module level is state that fills up at
    run time (it was ``_HELD``, ``_WRITTEN``, ``_CACHE``, ``_PRIMED``, ``_KNOWN``): such state
    belongs to the :class:`~dvcdoit.pipeline.session.Session`.
    """
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return None
    empty = (isinstance(value, (ast.Dict, ast.List, ast.Set)) and not (
        getattr(value, "keys", None) or getattr(value, "elts", None))) or (
        isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
        and value.func.id in _MUTABLE_CALLS and not value.args)
    names = [t.id for t in targets if isinstance(t, ast.Name)]
    return names[0] if empty and names else None


@pytest.mark.parametrize("path", MODULES, ids=_rel)
def test_no_module_holds_state(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [f"{name} (line {node.lineno})" for node in tree.body
             if (name := _mutable_state(node)) is not None]
    assert not found, f"{_rel(path)}: module-level state {', '.join(found)}; keep it in the Session"


def test_the_state_gate_sees_the_pattern() -> None:
    tree = ast.parse("_A: dict[str, int] = {}\nB = set()\nC = {'x': 1}\nD = ()\n_E = []\n")
    assert [_mutable_state(n) for n in tree.body] == ["_A", "B", None, None, "_E"]
