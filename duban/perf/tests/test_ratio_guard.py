"""`make bench` keeps the ratio of each page to a hello-world as a regression guard (bench/pages_bench.py)."""

from __future__ import annotations

import pytest

from bench.pages_bench import RATIO_GUARD, guard, pages

pytestmark = pytest.mark.nodb


def test_every_guard_names_a_measured_page():
    # a page renamed in the benchmark would otherwise lose its guard without a word
    names = {name for name, _, _ in pages({"meeting": 1, "county": 2, "unit": 3, "area": 4, "task": 5})}
    assert set(RATIO_GUARD) <= names - {"hello-world"}


def test_a_page_over_its_guard_fails_the_run_and_one_under_it_does_not():
    result = {"vendor": "sqlite", "pages": [
        {"page": "task detail", "ratio": RATIO_GUARD["task detail"] + 0.01},
        {"page": "search", "ratio": RATIO_GUARD["search"] - 0.01},
        {"page": "hello-world", "ratio": 1.0},
        {"page": "briefing .docx", "missing": True, "status": 404},
    ]}
    over = guard(result)
    assert len(over) == 1 and over[0].startswith("task detail: ratio")
