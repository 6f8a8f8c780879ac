"""Docs that can drift will: these tests keep docs/ equal to what the code produces."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from duban import docs_gen

REPO = Path(__file__).resolve().parents[3]


def test_cli_md_matches_help():
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == docs_gen.cli_markdown(), \
        "docs/cli.md is stale: run `make docs`"


def test_openapi_json_matches_api():
    assert (REPO / "docs" / "openapi.json").read_text(encoding="utf-8") == docs_gen.openapi_json(), \
        "docs/openapi.json is stale: run `make docs`"


def test_every_setting_is_documented():
    source = (REPO / "duban" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'env(?:_bool|_int)?\("((?:DUBAN_|DATABASE_)[A-Z_]+)"', source))
    assert "DATABASE_URL" in names and len(names) > 10
    settings_doc = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    env_example = (REPO / ".env.example").read_text(encoding="utf-8")
    assert sorted(n for n in names if f"`{n}`" not in settings_doc) == [], "undocumented in docs/settings.md"
    assert sorted(n for n in names if f"\n{n}=" not in "\n" + env_example) == [], "missing from .env.example"


def test_console_script_lists_its_subcommands():
    result = subprocess.run([sys.executable, "-m", "duban.cli", "--help"], capture_output=True, text=True,
                            timeout=60, cwd=REPO)
    assert result.returncode == 0
    for name in ("serve", "demo", "extract", "import", "export", "backup", "restore", "remind"):
        assert re.search(rf"^\s+{name}\s", result.stdout, re.M), name


def test_unknown_file_is_one_line_error_not_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "duban.cli", "extract", str(tmp_path / "nope.txt")],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "错误" in result.stderr and "error" in result.stderr
