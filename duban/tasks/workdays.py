"""Working days from the official holiday calendar (国务院办公厅节假日安排), and report due dates.

All calendar access goes through ``is_workday``, which is the extraction's official calendar (``chinese_calendar``,
falling back to Monday–Friday in years it does not cover yet instead of failing the reminder pass), and every
count through ``duban.extraction.deadlines.add_workdays``/``workdays_after``: one calendar, one way to count.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools

from duban.extraction import deadlines
from duban.extraction.deadlines import default_calendar
from duban.tasks.models import ReportCycle

ONE_DAY = dt.timedelta(days=1)


def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is an official working day (adjusted weekends count; public holidays do not): the
    calendar of ``duban.extraction`` (cached there; Monday–Friday in years the package does not cover yet)."""
    return default_calendar().is_workday(day)


def next_workday_on_or_after(day: dt.date) -> dt.date:
    while not is_workday(day):
        day += ONE_DAY
    return day


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``day`` itself not counted)."""
    return deadlines.add_workdays(day, n, is_workday)


@functools.lru_cache(maxsize=65536)
def workdays_until(today: dt.date, target: dt.date) -> int:
    """Working days after ``today`` up to and including ``target`` (0 when ``target`` is today or past). Cached:
    a list's lights ask it for the same few hundred deadlines on every request, and each answer walks the days."""
    return deadlines.workdays_after(today, target, is_workday)


def _add_month(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def next_report_due(*, cycle: str, every: int, since: dt.date, deadline: dt.date | None) -> dt.date | None:
    """When the next progress report is due, counting from ``since`` (the last report, or the assignment).

    Weekly, biweekly and monthly dues that land on a holiday move to the next working day; "every N working days"
    counts working days. A one-off task reports by its deadline, so it has no separate report due. A due on or after
    the deadline is the deadline's business, not a report's, so it is dropped.
    """
    if cycle == ReportCycle.WEEKLY:
        due = next_workday_on_or_after(since + dt.timedelta(days=7))
    elif cycle == ReportCycle.BIWEEKLY:
        due = next_workday_on_or_after(since + dt.timedelta(days=14))
    elif cycle == ReportCycle.MONTHLY:
        due = next_workday_on_or_after(_add_month(since))
    elif cycle == ReportCycle.WORKDAYS and every > 0:
        due = add_workdays(since, every)
    else:
        return None
    if deadline is not None and due >= deadline:
        return None
    return due
