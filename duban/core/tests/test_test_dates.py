"""The tests read the date when they run: a date read when a test module is imported (collected) is the day before
for every test that runs after local midnight, while the application reads its new day (a run that passed 16:00
UTC, midnight in Asia/Shanghai, failed that way)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parents[2]  # duban/
CLOCK_CALLS = {"today", "localdate", "now"}


def _reads_the_clock(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in CLOCK_CALLS
               for n in ast.walk(node))


def _at_import(tree: ast.Module):
    """What a module evaluates when imported: its top-level assignments and its functions' default values."""
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            yield node, node.value
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    yield node, default


def test_no_test_module_reads_the_date_when_it_is_imported():
    found = []
    for path in sorted(ROOT.rglob("tests/*.py")) + [ROOT / "conftest.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found += [f"{path.relative_to(ROOT.parent)}:{node.lineno}" for node, value in _at_import(tree)
                  if _reads_the_clock(value)]
    assert found == []
