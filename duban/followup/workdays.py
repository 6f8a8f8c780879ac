"""Working days from the official holiday calendar (国务院办公厅节假日安排), and report due dates.

All calendar access goes through ``is_workday`` so a test can pass any date, and so the years the
``chinese_calendar`` package does not cover yet fall back to Monday–Friday instead of failing the reminder pass.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools

import chinese_calendar

from duban.tasks.models import ReportCycle

ONE_DAY = dt.timedelta(days=1)


@functools.lru_cache(maxsize=8192)
def is_workday(day: dt.date) -> bool:
    """Whether ``day`` is an official working day (adjusted weekends count; public holidays do not). Cached:
    the package scans its table on every call, and lights ask about the same days for every open task (the
    reports dashboard spent 35 of 40 s here at 100k tasks)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the package has no State Council notice for yet
        return day.weekday() < 5


def next_workday_on_or_after(day: dt.date) -> dt.date:
    while not is_workday(day):
        day += ONE_DAY
    return day


def add_workdays(day: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``day`` (``day`` itself not counted)."""
    count = 0
    while count < n:
        day += ONE_DAY
        if is_workday(day):
            count += 1
    return day


@functools.lru_cache(maxsize=65536)
def workdays_until(today: dt.date, target: dt.date) -> int:
    """Working days after ``today`` up to and including ``target`` (0 when ``target`` is today or past). Cached:
    a list's lights ask it for the same few hundred deadlines on every request, and each answer walks the days."""
    if target <= today:
        return 0
    return sum(1 for i in range(1, (target - today).days + 1) if is_workday(today + dt.timedelta(days=i)))


def workdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is before ``start``."""
    if end >= start:
        return workdays_until(start, end)
    return -workdays_until(end, start)


def _add_month(day: dt.date) -> dt.date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def next_report_due(*, cycle: str, every: int, since: dt.date, deadline: dt.date | None) -> dt.date | None:
    """When the next progress report is due, counting from ``since`` (the last report, or the assignment).

    Weekly, biweekly and monthly dues that land on a holiday move to the next working day; "every N working days"
    counts working days. A one-off task reports by its deadline, so it has no separate report due. A due after the
    deadline is the deadline's business, not a report's, so it is dropped.
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
