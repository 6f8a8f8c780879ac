"""What is installed is what the code needs: every third-party module the application imports comes from a
declared runtime dependency, every declared runtime dependency is imported, and the runtime lock holds no test
tool (a production server installs requirements.lock only; tests add requirements-test.lock)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[3]
# Declared dependencies used without an import of their own: the PostgreSQL driver (Django's backend imports it)
# and its compiled half, argon2 (Django's hasher imports it), the server started as a program, python-docx's parser.
USED_INDIRECTLY = {"psycopg", "psycopg-binary", "argon2-cffi", "gunicorn", "lxml"}


def _pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _application_imports() -> set[str]:
    names = set()
    for path in (REPO / "duban").rglob("*.py"):
        if "tests" in path.parts or path.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif (path.name == "settings.py" and isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and re.fullmatch(r"[a-z_]+(\.[A-Za-z_]+)+", node.value)):
                names.add(node.value.split(".")[0])  # apps, middleware and backends Django imports by name
    return {n for n in names if n != "duban" and n not in sys.stdlib_module_names}


def _runtime() -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in _pyproject()["project"]["dependencies"]}


def _optional() -> set[str]:
    """Dependencies of the optional features (extras other than ``test``, e.g. LDAP sign-in) and what they pull in
    that the code imports by name (python-ldap's ``ldap``)."""
    extras = _pyproject()["project"]["optional-dependencies"]
    names = {canonicalize_name(Requirement(r).name) for key, reqs in extras.items() if key != "test" for r in reqs}
    return names | ({"python-ldap"} if "django-auth-ldap" in names else set())


def test_every_imported_module_is_a_declared_runtime_dependency():
    dists = packages_distributions()
    undeclared = {}
    for module in _application_imports():
        owners = {canonicalize_name(d) for d in dists.get(module, [module])}
        if not owners & (_runtime() | _optional()):
            undeclared[module] = sorted(owners)
    assert undeclared == {}


def test_every_runtime_dependency_is_used():
    dists = packages_distributions()
    imported = {canonicalize_name(d) for m in _application_imports() for d in dists.get(m, [])}
    assert sorted(_runtime() - imported - USED_INDIRECTLY) == []


def test_the_runtime_lock_has_no_test_tools_and_the_test_lock_builds_on_it():
    runtime_lock = [line.split("==")[0] for line in (REPO / "requirements.lock").read_text().splitlines()
                    if "==" in line]
    names = {canonicalize_name(n) for n in runtime_lock}
    test_tools = {canonicalize_name(Requirement(r).name) for r in _pyproject()["project"]["optional-dependencies"]["test"]}
    assert names & test_tools == set()
    assert _runtime() - {"psycopg"} <= names  # psycopg[binary] pins psycopg and psycopg-binary
    assert "-r requirements.lock" in (REPO / "requirements-test.lock").read_text().splitlines()


def test_mutation_testing_names_modules_and_tests_that_exist():
    """`make mutate` runs mutmut over the rule modules against the tests listed under [tool.mutmut]: a file moved
    away leaves pytest with a path it cannot find, and mutmut stops before its first mutant ("Failed to run pytest")
    without saying which."""
    mutmut = _pyproject()["tool"]["mutmut"]
    listed = mutmut["only_mutate"] + mutmut["pytest_add_cli_args_test_selection"]
    assert [path for path in listed if not (REPO / path).is_file()] == []
