"""Dashboard figures (``task_stats``), the one implementation behind the home page's 统计概览 and the reports
dashboard, at the edges of their rules: a task is overdue (逾期) from the day after its deadline while it is not
办结; 未签收 counts tasks awaiting sign-off that are not yet overdue (late ones are red); the completion rate is
办结 over all tasks, in per cent to one decimal; drafts and withdrawn tasks count nowhere."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.tasks.figures import dashboard_figures_html
from duban.reports.selectors import DashboardFilters, dashboard_stats
from duban.tasks.selectors import task_list, task_stats, today_local

pytestmark = pytest.mark.django_db


def day() -> dt.date:
    """The day the figures are asked for; deadlines around it."""
    return today_local() + dt.timedelta(days=20)


def build(org):
    """Five tasks of 市应急管理局 (安全生产) around ``day()`` and one of 市教育局 (疫情防控), plus a draft and a
    withdrawn task that must not count."""
    before, on, after = day() - dt.timedelta(days=1), day(), day() + dt.timedelta(days=1)
    org.task_in("in_progress", deadline=before)  # overdue: its deadline was yesterday
    org.task_in("in_progress", deadline=on)  # due today: not yet overdue
    org.task_in("assigned", deadline=after)  # 未签收
    org.task_in("assigned", deadline=before)  # overdue, so not among 未签收
    org.task_in("closed", deadline=before)  # 办结 is never overdue
    org.task_in("assigned", deadline=after, lead_unit_id=org.other.pk, area_id=org.area_health.pk)
    org.task_in("draft", deadline=before)
    org.task_in("withdrawn", deadline=before)


def figures(rows) -> dict:
    return {row["name"]: (row["total"], row["closed"], row["overdue"], row["unsigned"], row["rate"]) for row in rows}


def test_the_figures_at_the_edges_of_their_rules(org):
    build(org)
    # The office sees every task, a unit its own; unfiltered, both read the counts kept per unit, and a list's
    # tasks (here all of them) are counted in one grouped pass: the same rules on both paths.
    office = task_stats(viewer=org.supervisor, today=day())
    passed = task_stats(viewer=org.supervisor, tasks=task_list(viewer=org.supervisor), today=day())
    for stats in (office, passed):
        assert (stats.total, stats.closed, stats.overdue, stats.completion_rate) == (6, 1, 2, 16.7)
        assert figures(stats.by_area) == {"安全生产": (5, 1, 2, 1, 20.0), "疫情防控": (1, 0, 0, 1, 0.0)}
        assert figures(stats.by_unit) == {"市应急管理局": (5, 1, 2, 1, 20.0), "市教育局": (1, 0, 0, 1, 0.0)}
    assert office.lights is not None and passed.lights is None  # which path each took
    unit = task_stats(viewer=org.lead_staff, today=day())
    assert (unit.total, unit.closed, unit.overdue, unit.completion_rate) == (5, 1, 2, 20.0)
    assert figures(unit.by_unit) == {"市应急管理局": (5, 1, 2, 1, 20.0)}
    # A day later the task due today is overdue too.
    later = task_stats(viewer=org.supervisor, today=day() + dt.timedelta(days=1))
    assert later.overdue == 3 and figures(later.by_area)["安全生产"][2:4] == (3, 1)
    # A day earlier none of yesterday's deadlines has passed.
    earlier = task_stats(viewer=org.lead_staff, today=day() - dt.timedelta(days=1))
    assert (earlier.overdue, figures(earlier.by_unit)["市应急管理局"][3]) == (0, 2)


def test_the_home_page_and_the_reports_dashboard_show_these_figures(org):
    build(org)
    html = dashboard_figures_html(org.supervisor, day())
    for element, value in (("stat-total", "6"), ("stat-closed", "1"), ("stat-overdue", "2"), ("stat-rate", "16.7%")):
        assert f'id="{element}">{value}<' in html
    data = dashboard_stats(viewer=org.supervisor, today=day())
    assert (data.total, data.closed, data.overdue, data.completion_rate) == (6, 1, 2, 16.7)
    assert figures(data.by_area) == {"安全生产": (5, 1, 2, 1, 20.0), "疫情防控": (1, 0, 0, 1, 0.0)}
    assert (data.lights["red"], data.lights["closed"]) == (2, 1)  # red: overdue and not awaiting review
    filtered = dashboard_stats(viewer=org.lead_staff, filters=DashboardFilters(area_id=org.area_safety.pk),
                               today=day() + dt.timedelta(days=1))
    assert (filtered.total, filtered.overdue, filtered.completion_rate) == (5, 3, 20.0)
    assert figures(filtered.by_unit) == {"市应急管理局": (5, 1, 3, 1, 20.0)}
