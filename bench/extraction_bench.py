"""Throughput of duban.extraction against a naive baseline, on one core.

The corpus is built at run time from the shared sample(s), the real texts of realworld/ and the test corpus (never copied into the repository),
repeated to about 10 MB of UTF-8. The baseline calls every sentence that contains 要 a directive; it shows what the
real rules cost. Usage: python bench/extraction_bench.py [--mb 10] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from duban.extraction import extract_text  # noqa: E402 - after the path is set
from duban.extraction.decoding import read_path  # noqa: E402

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


def naive_directives(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if "要" in m.group()]


def corpus_text(megabytes: float) -> tuple[str, list[str]]:
    shared = Path(os.environ.get("DUBAN_SHARED_DIR") or REPO_ROOT.parent / "shared") / "samples"
    sources = (sorted(shared.glob("*.txt")) + sorted((shared / "realworld").glob("*.txt"))
               + sorted((REPO_ROOT / "duban/extraction/tests/corpus").glob("*.txt")))
    texts = [read_path(path).text for path in sources]
    if not texts:
        sys.exit("no sample texts found")
    one_round = "\n".join(texts) + "\n"
    repeats = max(1, round(megabytes * 1024 * 1024 / len(one_round.encode("utf-8"))))
    return one_round * repeats, [path.name for path in sources]


def best_of(runs: int, function, text: str) -> tuple[float, float]:
    """Best (CPU seconds, wall seconds) over the runs. CPU time is what one core spends; wall time also counts
    waiting for the core when the machine is shared."""
    best_cpu = best_wall = float("inf")
    for _ in range(runs):
        cpu, wall = time.process_time(), time.perf_counter()
        function(text)
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    return best_cpu, best_wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text, names = corpus_text(args.mb)
    size_mb = len(text.encode("utf-8")) / 1024 / 1024
    extract_text("要预热。\n")  # load keyword tables and the calendar outside the timing
    extracted = extract_text(text)
    engine_cpu, engine_wall = best_of(args.runs, extract_text, text)
    baseline_cpu, baseline_wall = best_of(args.runs, naive_directives, text)
    print(f"corpus: {size_mb:.2f} MB UTF-8, {len(text):,} chars, from {len(names)} texts; "
          f"python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}")
    print(f"extraction: {size_mb / engine_cpu:7.2f} MB/s CPU, {size_mb / engine_wall:7.2f} MB/s wall "
          f"({len(extracted.directives):,} directives)")
    print(f"baseline:   {size_mb / baseline_cpu:7.2f} MB/s CPU, {size_mb / baseline_wall:7.2f} MB/s wall "
          f"({len(naive_directives(text)):,} sentences with 要)")
    print(f"ratio extraction/baseline (CPU): {baseline_cpu / engine_cpu:.3f}")


if __name__ == "__main__":
    main()
