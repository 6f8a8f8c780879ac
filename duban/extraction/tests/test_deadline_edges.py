"""Deadline forms at their edges, worked out by hand: "N月前" is the day before month N begins, "下月底" the last
day of the month after the meeting's, "M月D日前" that very day, and a date before the meeting means next year's."""

import datetime as dt

import pytest

from duban.extraction.deadlines import find_deadline, official_calendar

MEETING = dt.date(2022, 9, 29)


@pytest.mark.parametrize("sentence, meeting, date", [
    ("10月前完成排查。", MEETING, "2022-09-30"),       # before October begins: the last day of September
    ("11月前完成排查。", MEETING, "2022-10-31"),
    ("3月前完成验收。", MEETING, "2023-02-28"),        # March is past: before next March, not a leap year
    ("3月前完成验收。", dt.date(2023, 9, 1), "2024-02-29"),  # 2024 is a leap year
    ("下月底前报送。", MEETING, "2022-10-31"),
    ("下月底前报送。", dt.date(2022, 12, 15), "2023-01-31"),  # December's next month is next year's January
    ("下月底前报送。", dt.date(2023, 1, 31), "2023-02-28"),
    ("9月29日前报送。", MEETING, "2022-09-29"),        # the meeting day itself is still this year's
    ("9月28日前报送。", MEETING, "2023-09-28"),        # one day earlier has passed: next year's
    ("9月30日前报送。", MEETING, "2022-09-30"),
    ("11月15日完成。", MEETING, "2022-11-15"),          # the day form without 前 before 完成
])
def test_deadline_form_edges(sentence, meeting, date):
    assert find_deadline(sentence, meeting, official_calendar()).date == date


@pytest.mark.parametrize("sentence", ["2月30日前报送。", "13月前完成。", "9月31日前报送。"])
def test_impossible_days_give_no_date(sentence):
    found = find_deadline(sentence, MEETING, official_calendar())
    assert found is None or found.date is None
