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


# --- Templates ------------------------------------------------------------------------------------------------
# A page imports what its template loads, includes and extends: an app's template that loads a higher app's
# template library, or includes or extends a template from a higher app's templates directory, makes the lower app's
# pages import the higher app, whatever its Python does. Whose a template is goes by the file Django's loader finds
# for its name (the project's directory first, then the apps' in INSTALLED_APPS order), a library by the app whose
# templatetags/ defines it (Django's own, such as ``static``, belong to no app and are free to all).
# The project's templates, duban/templates/ (base.html, _pagination.html, the error pages, registration/), are the
# project's as urls.py is, not an app's: every app may extend or include them. Being the frame of every app's pages,
# they in turn load no app's library and include or extend no app's template, or every page would. Templates kept
# there under an app's name (duban/templates/core/: the core app's pages) are that app's and checked as its.
PROJECT = "the project"
TEMPLATE_USE = re.compile(r"{%\s*(load|include|extends)\s+(.*?)\s*%}", re.S)
TEMPLATE_COMMENT = re.compile(r"{#.*?#}|{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S)


def template_owner(path: pathlib.Path) -> str:
    """The app a template file belongs to, or ``PROJECT``."""
    parts = path.resolve().relative_to(ROOT.resolve()).parts
    if parts[0] == "templates":
        return parts[1] if len(parts) > 2 and parts[1] in LAYERS else PROJECT
    assert parts[0] in LAYERS and parts[1] == "templates", path
    return parts[0]


def template_files() -> list[tuple[str, pathlib.Path]]:
    """(owner, path) of every template in the project's and the apps' templates directories."""
    paths = sorted(ROOT.glob("templates/**/*.html")) + sorted(ROOT.glob("*/templates/**/*.html"))
    return [(template_owner(path), path) for path in paths]


def library_owners() -> dict[str, str]:
    """Each template library of an app (``{% load name %}``) and that app."""
    return {path.stem: path.parent.parent.name for path in ROOT.glob("*/templatetags/*.py")
            if path.stem != "__init__"}


def owner_of_template(name: str) -> str:
    """Whose the template Django's loader finds for ``name`` is."""
    from django.template.loader import get_template

    return template_owner(pathlib.Path(get_template(name).origin.name))


def may_use(user: str, used: str) -> bool:
    """Whether a template of ``user`` may load or include what belongs to ``used`` (an app or ``PROJECT``)."""
    if used == PROJECT or used == user:
        return True
    return user != PROJECT and LAYERS.index(used) < LAYERS.index(user)


def upward_template_uses(owner: str, source: str, name: str, libraries: dict[str, str], where=owner_of_template
                         ) -> list[str]:
    """What ``source`` (the template ``name`` of ``owner``) loads, includes or extends above ``owner``; a template
    named by a variable, which cannot be checked, is listed too."""
    found = []
    for tag, args in TEMPLATE_USE.findall(TEMPLATE_COMMENT.sub("", source)):
        if tag == "load":
            words = args.split()
            for library in words[-1:] if "from" in words else words:
                if library in libraries and not may_use(owner, libraries[library]):
                    found.append(f"{name} loads {library} ({libraries[library]})")
            continue
        quoted = re.match(r"""(["'])(.+?)\1""", args)
        verb = "extends" if tag == "extends" else "includes"
        if quoted is None:
            found.append(f"{name} {verb} a template named by a variable ({args})")
        elif not may_use(owner, where(quoted.group(2))):
            found.append(f"{name} {verb} {quoted.group(2)} ({where(quoted.group(2))})")
    return found


def test_no_template_loads_includes_or_extends_what_is_above_its_app():
    libraries = library_owners()
    found = []
    for owner, path in template_files():
        found += upward_template_uses(owner, path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)),
                                      libraries)
    assert found == []


def test_the_template_check_sees_libraries_includes_and_extends_and_knows_the_projects():
    libraries = library_owners()
    assert libraries["followup_tags"] == "followup" and libraries["palette_tags"] == "tasks"
    assert owner_of_template("base.html") == PROJECT and owner_of_template("core/account.html") == "core"
    source = ('{% extends "workbench/home.html" %}{% load static palette_tags %}{% load light_of from followup_tags %}'
              '{# {% load followup_tags %} #}{% include "followup/_task_tree.html" with tree=tree %}'
              "{% include '_pagination.html' %}{% include name %}")
    assert upward_template_uses("tasks", source, "t.html", libraries) == [
        "t.html extends workbench/home.html (workbench)", "t.html loads followup_tags (followup)",
        "t.html includes followup/_task_tree.html (followup)", "t.html includes a template named by a variable (name)"]
    assert upward_template_uses("workbench", source, "t.html", libraries) == [
        "t.html includes a template named by a variable (name)"]
    assert upward_template_uses(PROJECT, '{% load static %}{% include "_pagination.html" %}{% load palette_tags %}'
                                '{% include "core/account.html" %}', "base.html", libraries) == [
        "base.html loads palette_tags (tasks)", "base.html includes core/account.html (core)"]


# A template named in Python (``render(request, "x/page.html")``, ``get_template``, ``render_to_string``): the page
# imports it as surely as a template that includes it. Links are not imports: ``{% url 'reports:briefing' %}`` in
# a lower app's template names a route in the project's URL table (duban/urls.py), as docs/architecture.md says.
def upward_template_names(app: str, source: str, where=owner_of_template) -> list[str]:
    """The templates of apps above ``app`` that ``source`` (a module of ``app``) names in a string: every string
    that looks like a template's path and that Django's loader finds."""
    from django.template import TemplateDoesNotExist

    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and re.fullmatch(r"[\w./-]+/[\w.-]+\.(?:html|txt)", node.value)):
            continue
        try:
            owner = where(node.value)
        except TemplateDoesNotExist:
            continue
        if not may_use(app, owner):
            found.append(f"line {node.lineno} names {node.value} ({owner})")
    return found


def test_no_apps_code_names_a_template_above_it():
    found = [f"{path.relative_to(ROOT)}: {use}" for app in LAYERS for path in production_files(app)
             for use in upward_template_names(app, path.read_text(encoding="utf-8"))]
    assert found == []


def test_the_template_name_check_sees_render_and_knows_the_projects():
    source = ('from django.shortcuts import render\n'
              'def page(request):\n    return render(request, "reports/ranking.html", {})\n'
              'def other(request):\n    return render(request, "base.html") or render(request, "tasks/list.html")\n')
    assert upward_template_names("tasks", source) == ["line 3 names reports/ranking.html (reports)"]
    assert upward_template_names("reports", source) == []


# The places that take a queryset's SQL from Django's undocumented ``Query.sql_with_params()`` (docs/architecture.md,
# "Libraries through their public API"): the list there and this one agree, and no other module calls it.
UNDER_THE_ORM = {"workbench/selectors.py", "core/rows.py", "sources/search.py"}


def test_only_the_listed_modules_reach_under_the_orms_public_api():
    calling = {str(path.relative_to(ROOT)) for app in LAYERS for path in production_files(app)
               if "sql_with_params" in path.read_text(encoding="utf-8")}
    assert calling == UNDER_THE_ORM
    architecture = (ROOT.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    rule = architecture[architecture.index("- Libraries through their public API."):]
    rule = rule[:rule.index("\n- ")]
    assert {place for place in UNDER_THE_ORM if f"`{place}`" in rule} == UNDER_THE_ORM
