import datetime as dt

from duban.tasks.workdays import (add_workdays, is_workday, next_report_due, next_workday_on_or_after,
                                     workdays_until)

D = dt.date


def test_official_calendar_holidays_and_adjusted_weekends():
    assert is_workday(D(2025, 10, 1)) is False  # National Day
    assert is_workday(D(2025, 9, 28)) is True  # a Sunday worked in exchange
    assert is_workday(D(2025, 9, 27)) is False  # an ordinary Saturday


def test_years_without_a_published_calendar_fall_back_to_monday_to_friday():
    assert is_workday(D(2031, 1, 1)) is True  # a Wednesday; the package has no 2031 notice
    assert is_workday(D(2031, 1, 4)) is False  # Saturday


def test_add_workdays_skips_the_national_day_holiday():
    assert add_workdays(D(2025, 9, 30), 1) == D(2025, 10, 9)
    assert add_workdays(D(2025, 9, 26), 2) == D(2025, 9, 29)  # Sunday 28 September is a working day


def test_workdays_until_counts_after_today_up_to_target():
    assert workdays_until(D(2025, 9, 3), D(2025, 9, 8)) == 3
    assert workdays_until(D(2025, 9, 8), D(2025, 9, 8)) == 0
    assert workdays_until(D(2025, 9, 9), D(2025, 9, 8)) == 0
    assert next_workday_on_or_after(D(2025, 10, 1)) == D(2025, 10, 9)


def test_next_report_due_per_cycle():
    since, deadline = D(2025, 9, 24), D(2025, 12, 31)
    assert next_report_due(cycle="weekly", every=0, since=since, deadline=deadline) == D(2025, 10, 9)
    assert next_report_due(cycle="biweekly", every=0, since=D(2025, 9, 1), deadline=deadline) == D(2025, 9, 15)
    assert next_report_due(cycle="monthly", every=0, since=D(2025, 1, 31), deadline=deadline) == D(2025, 2, 28)
    assert next_report_due(cycle="workdays", every=5, since=D(2025, 9, 26), deadline=deadline) == D(2025, 10, 10)
    assert next_report_due(cycle="once", every=0, since=since, deadline=deadline) is None
    # a due on or after the deadline belongs to the deadline
    assert next_report_due(cycle="weekly", every=0, since=since, deadline=D(2025, 10, 5)) is None


def test_next_report_due_at_the_edges_of_its_rules():
    deadline = D(2025, 12, 31)
    friday = D(2025, 9, 26)  # the next working day is Sunday 28 September (worked in exchange)
    # every N working days: one working day is the next one; none is no cycle at all
    assert next_report_due(cycle="workdays", every=1, since=friday, deadline=deadline) == D(2025, 9, 28)
    assert next_report_due(cycle="workdays", every=0, since=friday, deadline=deadline) is None
    # a one-off task has no report due, whatever number rides along
    assert next_report_due(cycle="once", every=5, since=friday, deadline=deadline) is None
    # a weekly due on the deadline day itself belongs to the deadline; one day before it is a report's
    since = D(2025, 9, 24)  # a Wednesday: due the next working day on or after 1 October, 9 October
    assert next_report_due(cycle="weekly", every=0, since=since, deadline=D(2025, 10, 9)) is None
    assert next_report_due(cycle="weekly", every=0, since=since, deadline=D(2025, 10, 10)) == D(2025, 10, 9)
