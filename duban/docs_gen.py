"""Regenerate the documents that tests keep equal to the code: docs/cli.md (from --help) and docs/openapi.json.

Run ``make docs`` (or ``python -m duban.docs_gen``) after changing a command or an API operation.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _help_of(parser: argparse.ArgumentParser) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        parser.print_help()
    return buffer.getvalue().rstrip() + "\n"


def cli_markdown() -> str:
    """Every subcommand's --help, in the order the command lists them. Wrapped at a fixed width so the file
    does not depend on the terminal."""
    os.environ["COLUMNS"] = "100"
    from duban.cli import build_parser

    parser = build_parser()
    parts = ["# The `duban` command\n", "Generated from `--help` by `make docs`; a test keeps it current.\n",
             "```text\n" + _help_of(parser) + "```\n"]
    for action in parser._subparsers._group_actions:  # argparse keeps subparsers here; no public accessor
        for name, sub in action.choices.items():
            parts.append(f"## duban {name}\n")
            parts.append("```text\n" + _help_of(sub) + "```\n")
            nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
            for group in nested:
                for sub_name, sub_sub in group.choices.items():
                    parts.append(f"### duban {name} {sub_name}\n")
                    parts.append("```text\n" + _help_of(sub_sub) + "```\n")
    return "\n".join(parts)


def openapi_json() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    import django

    django.setup()
    from duban.api import api

    return json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), ensure_ascii=False, indent=1,
                      sort_keys=True) + "\n"


def main() -> None:
    (DOCS / "cli.md").write_text(cli_markdown(), encoding="utf-8")
    (DOCS / "openapi.json").write_text(openapi_json(), encoding="utf-8")
    print("wrote docs/cli.md and docs/openapi.json")


if __name__ == "__main__":
    main()
