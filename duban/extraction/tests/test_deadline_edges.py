"""Deadline forms at their edges, worked out by hand: "N月前" is the day before month N begins, "下月底" the last
day of the month after the meeting's, "M月D日前" that very day, and a date before the meeting means next year's."""

import datetime as dt

import pytest

from duban.extraction.deadlines import (add_workdays, chinese_number, default_calendar, find_deadline,
                                       official_calendar, weekend_calendar, workdays_after)

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


@pytest.mark.parametrize("sentence", ["2月30日前报送。", "13月前完成。", "9月31日前报送。", "11月31日前报送。",
                                      "13月15日前报送。", "13月底前完成。", "明年13月完成。", "11月0日前报送。"])
def test_impossible_days_give_no_date(sentence):
    found = find_deadline(sentence, MEETING, official_calendar())
    assert found is None or found.date is None


# A year word makes the year explicit: 明年/次年 the meeting's next year, 今年 and 20XX年 that year, and an explicit
# date is never moved to the next year, even when it is before the meeting; without one, a date before the meeting
# means next year's.
@pytest.mark.parametrize("sentence, date", [
    ("明年3月15日前报送。", "2023-03-15"),
    ("次年3月15日前报送。", "2023-03-15"),
    ("明年3月底前完成。", "2023-03-31"),
    ("明年1月上旬完成。", "2023-01-10"),
    ("明年一季度完成。", "2023-03-31"),
    ("明年上半年完成。", "2023-06-30"),
    ("明年3月前完成。", "2023-02-28"),
    ("今年11月15日前报送。", "2022-11-15"),
    ("2024年6月底前完成。", "2024-06-30"),
    ("2022年3月15日前报送。", "2022-03-15"),  # explicit: not rolled to 2023
    ("2022年3月底前完成。", "2022-03-31"),
    ("2022年3月前完成。", "2022-02-28"),
    ("2022年一季度完成。", "2022-03-31"),
    ("2022年上半年完成。", "2022-06-30"),
    ("1月1日前报送。", "2023-01-01"),  # January and the first day are months and days like the others
    ("1月中旬完成。", "2023-01-20"),
    ("12月31日前报送。", "2022-12-31"),
    ("12月底前完成。", "2022-12-31"),
    ("12月前完成。", "2022-11-30"),
    ("1月前完成。", "2022-12-31"),
    ("明年1月完成。", "2023-01-31"),
    ("明年12月完成。", "2023-12-31"),
    ("2023年底前完成。", "2023-12-31"),
    ("2023年内完成。", "2023-12-31"),
    ("本周内报送。", "2022-10-02"),  # the meeting's week ends on Sunday
    ("下周内报送。", "2022-10-09"),  # next week's Sunday
])
def test_year_words_and_month_edges(sentence, date):
    assert find_deadline(sentence, MEETING, official_calendar()).date == date


def test_holiday_forms_count_from_the_first_day_off():
    calendar = official_calendar()
    # On the first day of the National Day break "国庆前" can only mean next year's.
    assert find_deadline("国庆前完成。", dt.date(2022, 10, 1), calendar).date == "2023-09-28"
    # 清明 2023 was one day off (Wednesday 5 April): "清明前" is Tuesday the 4th.
    assert find_deadline("清明前完成。", dt.date(2023, 3, 1), calendar).date == "2023-04-04"


def test_the_weekend_calendar_knows_the_fixed_holidays_only():
    calendar = weekend_calendar()
    assert find_deadline("国庆前完成排查。", MEETING, calendar).date == "2022-09-30"
    assert find_deadline("元旦前完成。", MEETING, calendar).date == "2022-12-30"  # 31 December 2022 is a Saturday
    assert find_deadline("五一前完成。", MEETING, calendar).date == "2023-04-28"  # 29-30 April: a weekend
    assert find_deadline("春节前完成。", MEETING, calendar).date is None  # a lunar date it does not know


def test_the_default_calendar_is_the_official_one():
    calendar = default_calendar()
    assert calendar is default_calendar()
    assert calendar.is_workday(dt.date(2022, 10, 8))  # a Saturday made a working day for the National Day break
    assert not calendar.is_workday(dt.date(2022, 10, 3))


def test_the_text_is_quoted_from_the_source_of_the_same_length():
    found = find_deadline("国庆前完成。", MEETING, official_calendar(), source="國慶前完成。")
    assert (found.text, found.date) == ("國慶前", "2022-09-30")
    found = find_deadline("国庆前完成。", MEETING, official_calendar(), source="國慶前完成")  # not the same text
    assert found.text == "国庆前"


@pytest.mark.parametrize("text, number", [("一百", 100), ("一百二十", 120), ("一百零五", 105), ("三百", 300),
                                          ("两百五十", 250), ("九十九", 99), ("十", 10), ("３０", 30)])
def test_chinese_numbers_with_hundreds(text, number):
    assert chinese_number(text) == number


def test_a_day_count_in_hundreds():
    assert find_deadline("一百二十天内完成。", MEETING, official_calendar()).date == "2023-01-27"


def test_working_days_are_counted_after_the_start_up_to_the_end():
    weekdays = weekend_calendar().is_workday
    friday, monday = dt.date(2022, 9, 23), dt.date(2022, 9, 26)
    assert workdays_after(friday, monday, weekdays) == 1  # Saturday and Sunday are not counted, Monday is
    assert workdays_after(monday, monday + dt.timedelta(days=4), weekdays) == 4  # Tuesday to Friday
    assert workdays_after(monday, monday, weekdays) == 0
    assert workdays_after(monday, friday, weekdays) == 0  # an end before the start
    assert add_workdays(friday, 0, weekdays) == friday  # nothing to add: the start itself
    assert add_workdays(friday, 1, weekdays) == monday
    assert add_workdays(friday, 6, weekdays) == dt.date(2022, 10, 3)
