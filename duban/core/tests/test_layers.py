"""Lower apps never import higher ones (docs/architecture.md, "Rules"): every ``import`` and ``from ... import`` in
an app's production code (its modules, templatetags and migrations; not its tests), at the top of a module or
inside a function, names only the app itself, the apps below it, or modules outside the apps. The apps' order is
``LAYERS``, once; the architecture's layout lists them in it."""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

import duban

pytestmark = pytest.mark.nodb

# From the bottom: an app may import the apps before it, never one after it. A higher app takes part in a lower
# one's work through what the lower one offers (a signal, a registered part), as docs/architecture.md describes.
LAYERS = ("extraction", "core", "tasks", "meetings", "followup", "reports", "sources", "workbench", "ops", "perf",
          "demo")
NOT_APPS = frozenset({"formats"})  # Django's date and number formats (FORMAT_MODULE_PATH): data, no app
ROOT = pathlib.Path(duban.__file__).parent


def production_files(app: str) -> list[pathlib.Path]:
    """The app's modules but its tests (``tests/`` packages, ``test_*.py``, ``conftest.py``)."""
    return [path for path in sorted((ROOT / app).rglob("*.py"))
            if "tests" not in path.relative_to(ROOT / app).parts
            and not path.name.startswith("test_") and path.name != "conftest.py"]


def imported_names(source: str, module: str) -> list[tuple[int, str]]:
    """(line, dotted name) of every import in ``source`` (the module ``module``): top level, in functions and in
    ``import_module("...")`` calls; relative imports resolved against the module's package."""
    package = module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return sorted(found)


def upward_imports(app: str, source: str, module: str) -> list[str]:
    """The imports of ``source`` (a module of ``app``) that name an app above ``app``."""
    rank = LAYERS.index(app)
    out = []
    for line, name in imported_names(source, module):
        parts = name.split(".")
        if parts[0] == "duban" and len(parts) > 1 and parts[1] in LAYERS and LAYERS.index(parts[1]) > rank:
            out.append(f"{module}:{line} imports {name}")
    return out


def test_every_app_has_its_place_in_the_layers():
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert packages - NOT_APPS == set(LAYERS)


def test_no_app_imports_an_app_above_it():
    found = []
    for app in LAYERS:
        for path in production_files(app):
            module = ".".join(("duban", *path.relative_to(ROOT).with_suffix("").parts))
            found += upward_imports(app, path.read_text(encoding="utf-8"), module)
    assert found == []


def test_the_check_sees_imports_inside_functions_relative_ones_and_by_name():
    source = ("from duban.core.models import Unit\n"
              "def merge():\n    from duban.tasks.models import Task\n"
              "def pages():\n    from ..meetings import selectors\n"
              "import importlib\nimportlib.import_module('duban.followup.lights')\n"
              "import duban.workbench.views\n")
    assert upward_imports("core", source, "duban.core.actions") == [
        "duban.core.actions:3 imports duban.tasks.models.Task",
        "duban.core.actions:5 imports duban.meetings.selectors",
        "duban.core.actions:7 imports duban.followup.lights",
        "duban.core.actions:8 imports duban.workbench.views"]
    assert upward_imports("workbench", source, "duban.workbench.views") == []  # all below it


def test_the_architecture_lays_the_apps_out_in_their_order():
    layout = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8").split("## Layout", 1)[1]
    listed = [name for name in re.findall(r"^duban/(\w+)/", layout.split("## Rules", 1)[0], re.M)
              if name in LAYERS]
    assert listed == list(LAYERS)
