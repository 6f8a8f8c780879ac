"""`make mutate`: mutation testing of the rule modules with mutmut (configured under [tool.mutmut] in
pyproject.toml: which modules are mutated and which tests must kill the mutants), then the kill rate.

A full run over every rule module takes hours on two cores; give mutant name patterns to run a subset, e.g.
``scripts/mutate.py 'duban.followup.lights*'``, and MUTATE_MAX_CHILDREN to bound the processes (default 2).
Results stay in mutants/ (``mutmut results``, ``mutmut show NAME``); a second run only re-tests what changed."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import Counter


def main() -> int:
    env = dict(os.environ, DUBAN_DATA_DIR=tempfile.mkdtemp(prefix="duban-mutate-"))
    children = os.environ.get("MUTATE_MAX_CHILDREN", "2")
    subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", children, *sys.argv[1:]], env=env,
                   check=False)
    listing = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], env=env,
                             capture_output=True, text=True, check=True).stdout
    outcomes = Counter(line.rsplit(": ", 1)[-1].strip() for line in listing.splitlines() if ": " in line)
    killed, survived = outcomes["killed"], outcomes["survived"]
    tried = killed + survived + outcomes["timeout"]
    rate = (killed + outcomes["timeout"]) / tried if tried else 0.0
    print(f"mutants tried {tried}: killed {killed}, timed out {outcomes['timeout']}, survived {survived}; "
          f"kill rate {rate:.1%} (not yet run: {outcomes['not checked']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
