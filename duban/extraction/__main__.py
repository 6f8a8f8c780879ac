"""`python -m duban.extraction PATH [--year Y] [--units FILE] [--json]`, the same as `duban extract`."""

import argparse
import sys

from .command import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="duban extract",
                                     description="从会议通报中提取交办事项 / extract directives from a meeting communique")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
