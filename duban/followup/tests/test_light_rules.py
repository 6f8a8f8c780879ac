"""The light rules at each threshold, one day or one percentage point either side, with the expected light taken
from the rules' text (``duban/followup/lights.py``; 三色督办):

- red: the deadline has passed (the deadline day itself is not late);
- yellow: a report is late (the day after its due date), or progress trails the elapsed share of the time from
  assignment to deadline by more than the tolerance (20 points here);
- blue: the deadline, or the next report, is within ``remind_days`` (3 here) working days;
- 无时限: no deadline and nothing above applies; green: on track; a task awaiting sign-off is green; tasks outside
  supervision have no light.

Each case runs through both ways into the one rule: ``task_light`` (a task) and ``LightCodes`` (plain columns).
November 2025 has no public holiday: its working days are Monday to Friday.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from duban.followup.lights import LABELS, LightCodes, task_light

D = dt.date
REMIND_DAYS, TOLERANCE = 3, 20


def aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, 9))


def lights(today, *, deadline, assigned=D(2025, 11, 3), progress=100, status="in_progress", cycle="once",
           every=0, reported=None) -> tuple[str, str]:
    """The light code of one task on ``today`` through ``task_light`` and through ``LightCodes``."""
    reported_at = aware(reported) if reported else None
    task = SimpleNamespace(status=status, deadline=deadline, assigned_at=aware(assigned),
                           progress_percent=progress, report_cycle=cycle, report_every=every,
                           latest_report_id=1 if reported else None,
                           latest_report=SimpleNamespace(created_at=reported_at) if reported else None)
    one = task_light(task, today, remind_days=REMIND_DAYS, tolerance=TOLERANCE).code
    many = LightCodes(today, remind_days=REMIND_DAYS, tolerance=TOLERANCE)(
        status, deadline, aware(assigned), progress, cycle, every, reported_at)
    return one, many


@pytest.mark.parametrize("today, expected", [
    (D(2025, 11, 13), "blue"),   # the day before the deadline
    (D(2025, 11, 14), "blue"),   # the deadline day: due today, not late
    (D(2025, 11, 15), "red"),    # the day after: late
])
def test_red_from_the_day_after_the_deadline(today, expected):
    assert lights(today, deadline=D(2025, 11, 14)) == (expected, expected)


def test_red_counts_the_days_overdue():
    task = SimpleNamespace(status="accepted", deadline=D(2025, 11, 14), assigned_at=aware(D(2025, 11, 3)),
                           progress_percent=0, report_cycle="once", report_every=0, latest_report_id=None,
                           latest_report=None)
    light = task_light(task, D(2025, 11, 15), remind_days=REMIND_DAYS, tolerance=TOLERANCE)
    assert (light.overdue_days, light.due_key, light.label) == (1, "deadline:2025-11-14", "红灯")
    assert task_light(task, D(2025, 11, 24), remind_days=REMIND_DAYS, tolerance=TOLERANCE).overdue_days == 10


@pytest.mark.parametrize("today, deadline, expected", [
    # Monday 11-03: Tue(1) Wed(2) Thu(3) are within three working days, Friday is the fourth
    (D(2025, 11, 3), D(2025, 11, 6), "blue"),
    (D(2025, 11, 3), D(2025, 11, 7), "green"),
    # Thursday 11-06: Fri(1) Mon(2) Tue(3); the weekend does not count
    (D(2025, 11, 6), D(2025, 11, 11), "blue"),
    (D(2025, 11, 6), D(2025, 11, 12), "green"),
    # a deadline on Sunday 11-09 seen on Wednesday 11-05: Thu(1) Fri(2), nothing more before it
    (D(2025, 11, 5), D(2025, 11, 9), "blue"),
])
def test_blue_within_remind_days_working_days_of_the_deadline(today, deadline, expected):
    assert lights(today, deadline=deadline) == (expected, expected)


@pytest.mark.parametrize("today, expected", [
    (D(2025, 11, 5), "blue"),     # Wed: the report due Monday 11-10 is three working days away
    (D(2025, 11, 4), "green"),    # Tue: four working days away
    (D(2025, 11, 10), "blue"),    # the due day itself: report today
    (D(2025, 11, 11), "yellow"),  # the day after: late
])
def test_a_weekly_report_due_a_week_after_the_last(today, expected):
    assert lights(today, deadline=D(2026, 6, 30), cycle="weekly", reported=D(2025, 11, 3)) == (expected, expected)


# Assigned 2025-01-01, deadline 100 days later (2025-04-11): on 2025-02-20, 50 days (50%) have passed; on 02-21, 51%.
BEHIND = dict(assigned=D(2025, 1, 1), deadline=D(2025, 4, 11))


@pytest.mark.parametrize("today, progress, expected", [
    (D(2025, 2, 20), 29, "yellow"),  # 50% elapsed, 29% done: 21 points behind
    (D(2025, 2, 20), 30, "green"),   # exactly the tolerance behind is still on track
    (D(2025, 2, 20), 31, "green"),
    (D(2025, 2, 21), 30, "yellow"),  # a day later (51%) the same 30% is 21 points behind
])
def test_yellow_when_progress_trails_time_by_more_than_the_tolerance(today, progress, expected):
    assert lights(today, progress=progress, **BEHIND) == (expected, expected)


def test_no_deadline_is_its_own_light_not_green():
    assert lights(D(2025, 11, 20), deadline=None) == ("nodeadline", "nodeadline")
    task = SimpleNamespace(status="assigned", deadline=None, assigned_at=aware(D(2025, 11, 3)), progress_percent=0,
                           report_cycle="once", report_every=0, latest_report_id=None, latest_report=None)
    light = task_light(task, D(2025, 11, 20))
    assert (light.code, light.label, light.stage) == ("nodeadline", "无时限", None)
    assert LABELS["nodeadline"] == "无时限"


def test_without_a_deadline_a_late_report_is_still_yellow():
    assert lights(D(2025, 11, 11), deadline=None, cycle="weekly", reported=D(2025, 11, 3)) == ("yellow", "yellow")


@pytest.mark.parametrize("status, expected", [
    ("close_requested", "green"), ("closed", "none"), ("draft", "none"), ("withdrawn", "none"),
    ("returned", "none"), ("assigned", "red"), ("accepted", "red"), ("in_progress", "red"),
])
def test_which_statuses_are_lit(status, expected):
    assert lights(D(2025, 12, 1), deadline=D(2025, 11, 14), status=status) == (expected, expected)


def test_on_the_day_of_assignment_no_time_has_passed_so_nothing_is_behind():
    # with no tolerance at all, 0% done on day 0 is on track; one day later (1% of 100 days) it is behind
    task = SimpleNamespace(status="assigned", deadline=D(2025, 4, 11), assigned_at=aware(D(2025, 1, 1)),
                           progress_percent=0, report_cycle="once", report_every=0, latest_report_id=None,
                           latest_report=None)
    assert task_light(task, D(2025, 1, 1), remind_days=REMIND_DAYS, tolerance=0).code == "green"
    assert task_light(task, D(2025, 1, 2), remind_days=REMIND_DAYS, tolerance=0).code == "yellow"
    codes = LightCodes(D(2025, 1, 1), remind_days=REMIND_DAYS, tolerance=0)
    assert codes("assigned", D(2025, 4, 11), aware(D(2025, 1, 1)), 0, "once", 0, None) == "green"


@pytest.mark.parametrize("since, due", [
    (D(2025, 12, 15), D(2026, 1, 15)),  # December's next month is next year's January
    (D(2025, 1, 31), D(2025, 2, 28)),   # no 31 February: its last day
    (D(2024, 1, 31), D(2024, 2, 29)),   # a leap year's
    (D(2025, 3, 31), D(2025, 4, 30)),
    (D(2025, 11, 3), D(2025, 12, 3)),
])
def test_a_monthly_report_is_due_on_the_same_day_next_month(since, due):
    from duban.tasks.workdays import next_report_due

    assert next_report_due(cycle="monthly", every=0, since=since, deadline=None) == due
