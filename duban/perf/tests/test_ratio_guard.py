"""`make bench` keeps the ratio of each page to a hello-world as a regression guard (bench/pages_bench.py)."""

from __future__ import annotations

import sys

import pytest

from duban.conftest import REPO_DIR

# The benchmark scripts import their neighbours (``benchenv``) as a script run from bench/ does.
sys.path.insert(0, str(REPO_DIR / "bench"))
from bench.pages_bench import RATIO_GUARD, guard, pages  # noqa: E402

pytestmark = pytest.mark.nodb


def test_every_guard_names_a_measured_page():
    # a page renamed in the benchmark would otherwise lose its guard without a word
    names = {name for name, _, _ in pages({"meeting": 1, "county": 2, "unit": 3, "area": 4, "task": 5})}
    assert set(RATIO_GUARD) <= names - {"hello-world"}


def _row(page: str, wall_ratio: float, cpu_ms: float, raw_ms: float = 0.0) -> dict:
    return {"page": page, "ratio": wall_ratio, "cpu_median_ms": cpu_ms, "raw_sql_ms": raw_ms}


def test_a_page_over_its_guard_by_wall_and_cpu_time_fails_the_run():
    limit = RATIO_GUARD["task detail"]
    result = {"vendor": "sqlite", "pages": [
        _row("hello-world", 1.0, 2.0),
        # over by both: a regression
        _row("task detail", limit + 0.5, 2.0 * (limit + 0.5)),
        # under by both
        _row("search", RATIO_GUARD["search"] - 0.01, 2.0 * RATIO_GUARD["search"] - 2.0, raw_ms=1.0),
        # over by wall time only: the request waited for a core on a loaded machine
        _row("meeting page", RATIO_GUARD["meeting page"] * 3, 2.0 * RATIO_GUARD["meeting page"] - 0.1),
        {"page": "briefing .docx", "missing": True, "status": 404},
    ]}
    over = guard(result)
    assert len(over) == 1 and over[0].startswith("task detail: ratio")


def test_the_cpu_ratio_counts_the_raw_sql_with_the_hello_world():
    limit = RATIO_GUARD["search"]
    # 2 ms of hello-world CPU + 8 ms of SQL = 10 ms: a page of 10 * limit - 1 ms of CPU is under its guard
    under = {"vendor": "postgresql", "pages": [_row("hello-world", 1.0, 2.0),
                                               _row("search", limit + 1, 10 * limit - 1, raw_ms=8.0)]}
    over = {"vendor": "postgresql", "pages": [_row("hello-world", 1.0, 2.0),
                                              _row("search", limit + 1, 10 * limit + 1, raw_ms=8.0)]}
    assert guard(under) == [] and len(guard(over)) == 1
