"""Score the extractor on the development set (the shared sample and realworld/), as the tests do.

Prints directive F1, area accuracy, heading recall, meeting facts and named-unit recall for all files, for the
files rules were developed on, and for the files held back as unseen. With --errors, lists every miss.
Usage: python bench/extraction_score.py [--errors] [--only dev|unseen|all]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from duban.extraction.tests.devset import gold_files, is_unseen, score_set  # noqa: E402 - after the path is set


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true", help="list every miss")
    parser.add_argument("--only", choices=("dev", "unseen", "all"), default="all",
                        help="which files' misses to list with --errors")
    args = parser.parse_args()
    shared = Path(os.environ.get("DUBAN_SHARED_DIR") or REPO_ROOT.parent / "shared") / "samples"
    paths = gold_files(shared)
    if not paths:
        sys.exit(f"no gold files under {shared}")
    groups = {"all": paths, "dev": [p for p in paths if not is_unseen(p)], "unseen": [p for p in paths if is_unseen(p)]}
    for label, group in groups.items():
        totals = score_set(group)
        print(totals.line(label))
        if args.errors and label == args.only:
            for name, what, detail in totals.misses:
                print(f"  {name[:22]:<22} {what:<8} {detail}")


if __name__ == "__main__":
    main()
