"""`make mutate`: mutation testing of the rule modules with mutmut (configured under [tool.mutmut] in
pyproject.toml: which modules are mutated and which tests must kill the mutants), then the kill rate.

A full run over every rule module takes hours on two cores; give mutant name patterns to run a subset, and
``--tests FILE ...`` to run only those test files instead of the whole selection (mutmut first runs every selected
test once, to learn which tests reach which function), e.g.

    MUTATE_MAX_CHILDREN=1 nice -n 10 .venv/bin/python scripts/mutate.py 'duban.followup.actions*' \\
        --tests duban/followup/tests/test_actions.py duban/followup/tests/test_extension_decisions.py

MUTATE_MAX_CHILDREN bounds the processes (default 2). The kill rate printed is that of the mutants the patterns
name (all of them without patterns). Results stay in mutants/ (``mutmut results``, ``mutmut show NAME``); a second
run with the same tests only re-tests what changed."""

from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import tempfile
from collections import Counter
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("patterns", nargs="*", help="mutant names or patterns, e.g. 'duban.followup.actions*'")
    parser.add_argument("--tests", nargs="+", metavar="FILE", help="test files to run instead of the configured ones")
    args = parser.parse_args(argv)
    os.chdir(REPO)  # mutmut reads pyproject.toml and writes mutants/ in the working directory
    os.environ["DUBAN_DATA_DIR"] = tempfile.mkdtemp(prefix="duban-mutate-")
    from mutmut.__main__ import cli
    from mutmut.configuration import config

    if args.tests:
        config().pytest_add_cli_args_test_selection = list(args.tests)
    # mutmut hides pytest's own message when a test file is missing ("Failed to run pytest with args: ...")
    missing = [t for t in config().pytest_add_cli_args_test_selection if not Path(t.split("::")[0]).exists()]
    if missing:
        print(f"no such test file: {', '.join(missing)} (pyproject.toml [tool.mutmut] or --tests)", file=sys.stderr)
        return 2
    children = os.environ.get("MUTATE_MAX_CHILDREN", "2")
    # in this process, so that mutmut's workers (forked from it) run the chosen tests
    try:
        cli(["run", "--max-children", children, *args.patterns], standalone_mode=False)
    except SystemExit as stop:
        if stop.code:
            print(f"mutmut stopped ({stop.code})", file=sys.stderr)
    listing = StringIO()
    with redirect_stdout(listing):
        cli(["results", "--all", "true"], standalone_mode=False)
    outcomes = Counter()
    for line in listing.getvalue().splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name and (not args.patterns or any(fnmatch.fnmatch(name, p) for p in args.patterns)):
            outcomes[status] += 1
    killed, survived, timeout = outcomes["killed"], outcomes["survived"], outcomes["timeout"]
    untested = outcomes["no tests"]
    tried = killed + survived + timeout + untested
    rate = (killed + timeout) / tried if tried else 0.0
    print(f"mutants tried {tried}: killed {killed}, timed out {timeout}, survived {survived}, no test reaches it "
          f"{untested}; kill rate {rate:.1%} (timeouts count as killed; not yet run: {outcomes['not checked']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
