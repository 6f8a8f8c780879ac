"""One test per deadline form. Expected dates are worked out by hand from the official calendar."""

import datetime as dt

import pytest

from duban.extraction.deadlines import Calendar, chinese_number, find_deadline, official_calendar, weekend_calendar

MEETING = dt.date(2022, 9, 29)  # a Thursday, two days before the National Day holiday


@pytest.mark.parametrize("sentence, text, date", [
    ("确保年底交出答卷。", "年底", "2022-12-31"),
    ("年底前全部完成。", "年底前", "2022-12-31"),
    ("年内全面建成。", "年内", "2022-12-31"),
    ("明年底前完成改造。", "明年底前", "2023-12-31"),
    ("10月底前完成整改。", "10月底前", "2022-10-31"),
    ("十月底前完成整改。", "十月底前", "2022-10-31"),
    ("3月底前完成验收。", "3月底前", "2023-03-31"),  # March has passed: next March
    ("11月15日前报市政府。", "11月15日前", "2022-11-15"),
    ("十二月二十日前报送。", "十二月二十日前", "2022-12-20"),
    ("11月上旬完成。", "11月上旬", "2022-11-10"),
    ("11月中旬完成。", "11月中旬", "2022-11-20"),
    ("11月下旬完成。", "11月下旬", "2022-11-30"),
    ("力争一季度开工。", "一季度", "2023-03-31"),
    ("确保四季度完成。", "四季度", "2022-12-31"),
    ("上半年完成。", "上半年", "2023-06-30"),
    ("下半年完成。", "下半年", "2022-12-31"),
    ("明年3月完成。", "明年3月", "2023-03-31"),
    ("本月内完成。", "本月内", "2022-09-30"),
    ("本周内报送。", "本周内", "2022-10-02"),
    ("15日内办结。", "15日内", "2022-10-14"),
    ("30天内整改到位。", "30天内", "2022-10-29"),
    ("今明两年内新建停车场6处。", "今明两年内", "2023-12-31"),  # this year and the next
    ("确保二季度末前完成。", "二季度末前", "2023-06-30"),
])
def test_calendar_words(sentence, text, date):
    deadline = find_deadline(sentence, MEETING, official_calendar())
    assert (deadline.text, deadline.date) == (text, date)


def test_working_days_skip_the_national_day_holiday_and_count_make_up_days():
    # 9-30 (1), 10-01..07 off, 10-08 Sat and 10-09 Sun are make-up working days (2, 3), 10-10 (4), 10-11 (5).
    deadline = find_deadline("限期5个工作日办结。", MEETING, official_calendar())
    assert (deadline.text, deadline.date) == ("限期5个工作日", "2022-10-11")
    deadline = find_deadline("10个工作日内反馈。", MEETING, official_calendar())
    assert (deadline.text, deadline.date) == ("10个工作日内", "2022-10-18")


def test_holidays_resolve_to_the_day_before_they_start():
    calendar = official_calendar()
    assert find_deadline("国庆前完成排查。", MEETING, calendar).date == "2022-09-30"
    assert find_deadline("国庆假期前完成排查。", MEETING, calendar).date == "2022-09-30"
    assert find_deadline("春节前足额发放。", MEETING, calendar).date == "2023-01-20"  # holiday began 2023-01-21
    assert find_deadline("元旦前完成。", MEETING, calendar).date == "2022-12-30"  # holiday began 2022-12-31
    # Once the holiday has begun this year, "国庆前" means next year's.
    assert find_deadline("国庆前完成。", dt.date(2022, 10, 3), calendar).date == "2023-09-28"


def test_calendar_is_injectable():
    # A calendar where only Mondays are working days.
    mondays = Calendar(lambda day: day.weekday() == 0, lambda key, year: dt.date(year, 10, 1))
    assert find_deadline("限期2个工作日。", MEETING, mondays).date == "2022-10-10"
    assert find_deadline("限期2个工作日。", MEETING, weekend_calendar()).date == "2022-10-03"


def test_no_deadline_and_unknown_meeting_date():
    assert find_deadline("要加强监管，严防事故发生。", MEETING) is None
    assert find_deadline("国庆假期及前后做好防控。", MEETING) is None
    assert find_deadline("前三季度经济运行平稳。", MEETING) is None
    # a quarter or half named as the period of the work, not as the time to finish it
    assert find_deadline("要抓好四季度工作，冲刺全年目标。", MEETING) is None
    assert find_deadline("会议部署了下半年工作。", MEETING) is None
    assert find_deadline("落实一季度各项任务。", MEETING) is None
    undated = find_deadline("年底前完成。", None)
    assert (undated.text, undated.date) == ("年底前", None)


def test_chinese_numbers():
    assert [chinese_number(word) for word in ("十", "十二", "二十", "三十一", "15", "１５", "两")] == \
        [10, 12, 20, 31, 15, 15, 2]
    assert chinese_number("甲") is None


def test_each_anchor_is_keyed_by_its_own_first_character():
    # _matches picks an anchor's forms by the anchor's first character, so every anchor must be one word pattern
    # (no "|" outside parentheses) starting with its key; an anchor breaking this would try the wrong forms.
    from duban.extraction.deadlines import _ANCHOR_FORMS, _FORMS_OF

    for first, (words, forms) in _ANCHOR_FORMS.items():
        assert len(first) == 1 and words.startswith(first), first
        depth = 0
        for char in words:
            depth += {"(": 1, ")": -1}.get(char, 0)
            assert not (char == "|" and depth == 0), words
        assert set(forms) <= set(_FORMS_OF[first].groupindex)
