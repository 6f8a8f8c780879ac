"""The ``duban`` command: one group of subcommands, each a thin shell over library functions and actions.

``duban extract`` needs neither settings nor a database; every other command sets Django up lazily. Errors exit
non-zero with one line in Chinese and English; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each module defines ``register(subparsers)``; apps add commands here, so the core uses the same seam.
COMMAND_MODULES = (
    "duban.core.commands",
    "duban.demo.commands",
    "duban.meetings.commands",
    "duban.tasks.commands",
    "duban.followup.commands",
    "duban.reports.commands",
    "duban.sources.commands",
    "duban.ops.commands",
    "duban.perf.commands",
)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    import django

    django.setup()


class CommandError(Exception):
    """A failure to report on one line: ``CommandError("中文", "English")``."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(f"错误：{message_zh} / error: {message_en}")


def _register_extract(subparsers) -> None:
    from duban.extraction import command

    parser = subparsers.add_parser("extract", help="从通报中抽取督办台账草稿 extract a draft ledger from a communique",
                                   description="读取会议通报（.txt/.docx），输出会议要素、部署事项、牵头单位和时限。")
    command.add_arguments(parser)
    parser.set_defaults(handler=command.run, needs_django=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="duban", description="督办 duban：会议决定事项督查督办平台 / supervision and follow-up platform")
    parser.add_argument("--debug", action="store_true", help="出错时显示完整回溯 show tracebacks")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _register_extract(subparsers)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        if getattr(args, "needs_django", True):
            setup_django()
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line for people, a traceback only when asked for
        if args.debug:
            raise
        print(_one_line(exc), file=sys.stderr)
        return 2


def _one_line(exc: Exception) -> str:
    from duban.extraction import ExtractionError

    if isinstance(exc, (CommandError, ExtractionError)):
        return str(exc)
    message_zh = getattr(exc, "message_zh", None)
    if message_zh:
        return f"错误：{message_zh} / error: {getattr(exc, 'message_en', '') or message_zh}"
    return f"错误：{type(exc).__name__}: {exc} / error: unexpected failure (run with --debug for details)"


if __name__ == "__main__":
    sys.exit(main())
