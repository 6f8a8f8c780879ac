"""Dashboard figures and the ranking: right numbers, scoped to the viewer, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import chinese_calendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from duban.reports import selectors
from duban.reports.selectors import DashboardFilters, dashboard_stats, unit_ranking
from duban.tasks.models import Task
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db


def build(org):
    """Safety: 1 closed, 1 overdue, 1 due in 30 days. Education: 1 overdue. Health (coop only)."""
    closed = org.task_in("closed")
    late = org.task_in("in_progress", title="逾期事项", deadline=today_local() - dt.timedelta(days=5))
    ok = org.task_in("accepted", title="正常事项", area_id=org.area_health.pk)
    other = org.task_in("assigned", title="教育局逾期", lead_unit_id=org.other.pk, coop_unit_ids=[],
                        deadline=today_local() - dt.timedelta(days=2))
    org.draft_task(title="草稿不计")
    return closed, late, ok, other


def test_dashboard_figures_match_the_tasks(org):
    closed, late, ok, other = build(org)
    data = dashboard_stats(viewer=org.supervisor, today=today_local())
    assert (data.total, data.closed, data.overdue) == (4, 1, 2)
    assert data.completion_rate == 25.0
    assert data.lights["red"] == 2 and data.lights["closed"] == 1
    assert sum(data.lights[c] for c in ("red", "yellow", "blue", "green")) == 3
    areas = {r["name"]: r for r in data.by_area}
    assert (areas["安全生产"]["total"], areas["安全生产"]["closed"], areas["安全生产"]["overdue"]) == (3, 1, 2)
    assert areas["安全生产"]["rate"] == pytest.approx(33.3)
    assert areas["疫情防控"]["total"] == 1 and areas["疫情防控"]["red"] == 0
    units = {r["name"]: r for r in data.by_unit}
    assert units["市应急管理局"]["total"] == 3 and units["市应急管理局"]["red"] == 1
    assert units["市教育局"]["red"] == 1 and units["市教育局"]["overdue"] == 1
    assert [t.pk for t in data.overdue_tasks] == [late.pk, other.pk]
    assert data.overdue_tasks[0].days_overdue == 5
    this_week = today_local() - dt.timedelta(days=today_local().weekday())
    week = {w["week"]: w for w in data.weeks}
    assert week[this_week]["completed"] == 1
    assert sum(w["overdue"] for w in data.weeks) == 2
    assert len(data.weeks) == 12


def test_filters_by_area_unit_meeting_and_period(org):
    build(org)
    health = dashboard_stats(viewer=org.supervisor, filters=DashboardFilters(area_id=org.area_health.pk))
    assert health.total == 1
    edu = dashboard_stats(viewer=org.supervisor, filters=DashboardFilters(unit_id=org.other.pk))
    assert edu.total == 1 and edu.overdue == 1
    # The health unit cooperates on the safety tasks made by draft_task's defaults.
    assert dashboard_stats(viewer=org.supervisor, filters=DashboardFilters(unit_id=org.health.pk)).total == 3
    period = dashboard_stats(viewer=org.supervisor, filters=DashboardFilters(
        date_from=today_local() - dt.timedelta(days=10), date_to=today_local()))
    assert period.total == 2 and period.overdue == 2
    assert dashboard_stats(viewer=org.supervisor, filters=DashboardFilters(meeting_id=999)).total == 0


def test_dashboard_is_scoped_to_the_viewer(org):
    build(org)
    mine = dashboard_stats(viewer=org.other_staff)
    assert mine.total == 1 and [r["name"] for r in mine.by_unit] == ["市教育局"]
    assert [t.title for t in mine.overdue_tasks] == ["教育局逾期"]
    lead = dashboard_stats(viewer=org.lead_staff)
    assert lead.total == 3 and "市教育局" not in {r["name"] for r in lead.by_unit}


def test_dashboard_query_count_does_not_grow(org):
    build(org)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            dashboard_stats(viewer=org.supervisor)
        return len(ctx)

    # The first read counts every unit and keeps the counts (a fixed number of statements for any number of
    # units and tasks), the next reads the kept ones; a write makes its units stale, recounted by the next read.
    counting = count()
    first = count()
    for i in range(6):
        org.task_in("assigned", title=f"加量{i}", deadline=today_local() - dt.timedelta(days=i + 1),
                    lead_unit_id=org.other.pk, coop_unit_ids=[])
    assert count() <= counting + 1
    assert count() == first <= 10


def test_filter_parsing_errors_are_chinese():
    from duban.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        selectors.dashboard_filters({"from": "2024/1/1"})
    with pytest.raises(InvalidInput, match="开始日期不能晚于结束日期"):
        selectors.dashboard_filters({"from": "2024-02-01", "to": "2024-01-01"})
    with pytest.raises(InvalidInput, match="编号"):
        selectors.dashboard_filters({"unit": "abc"})


def late_by_rule(deadline: dt.date, day: dt.date) -> float:
    """The default rules' score of a task done on ``day`` past ``deadline``: 100 less 2 for each working day (the
    official calendar's) after the deadline up to that day."""
    days = sum(chinese_calendar.is_workday(deadline + dt.timedelta(days=i)) for i in range(1, (day - deadline).days + 1))
    return max(0.0, 100.0 - 2 * days)


def test_ranking(org):
    on_time = org.task_in("closed", title="按期")
    late = org.task_in("closed", title="逾期办结", lead_unit_id=org.child.pk, coop_unit_ids=[])
    Task.objects.filter(pk=late.pk).update(deadline=today_local() - dt.timedelta(days=10), score=Decimal("80"))
    # three weeks late: working days late on any day of the year (a holiday week has working days around it)
    three_weeks = today_local() - dt.timedelta(days=21)
    org.task_in("assigned", title="分局逾期未办", lead_unit_id=org.child.pk, coop_unit_ids=[], deadline=three_weeks)
    org.task_in("assigned", title="卫健委逾期未办", lead_unit_id=org.health.pk, coop_unit_ids=[], deadline=three_weeks)
    rows = unit_ranking(viewer=org.supervisor, date_from=today_local() - dt.timedelta(days=30), date_to=today_local(), today=today_local())
    assert [r.unit for r in rows] == ["市应急管理局", "市应急管理局临川分局", "市卫健委"]
    safety, edu, health = rows
    assert (safety.rank, safety.closed, safety.average_score, safety.on_time_rate, safety.overdue) == (
        1, 1, float(Task.objects.get(pk=on_time.pk).score), 100.0, 0)
    # the open task past its deadline counts in the average as if closed today
    open_late = late_by_rule(three_weeks, today_local())
    assert open_late < 80
    assert (edu.closed, edu.average_score, edu.on_time, edu.closed_late, edu.overdue_open, edu.overdue) == (
        1, round((80 + open_late) / 2, 1), 0, 1, 1, 2)
    # nothing closed, but its overdue task is scored: it does not escape the ranking by leaving the task open
    assert (health.closed, health.average_score, health.overdue_open) == (0, open_late, 1)
    # Out of the period: nothing closed counts.
    old = unit_ranking(viewer=org.supervisor, date_from=today_local() - dt.timedelta(days=90),
                       date_to=today_local() - dt.timedelta(days=60), today=today_local())
    assert all(r.closed == 0 for r in old)
    # Scoped: the district office ranks only what it sees.
    assert [r.unit for r in unit_ranking(viewer=org.child_staff, today=today_local())] == ["市应急管理局临川分局"]
    assert unit_ranking(viewer=org.other_staff, today=today_local()) == []


def test_units_level_on_every_figure_share_a_place_and_the_next_place_counts_them(org):
    """Two units whose tasks closed with the same score, on time, share first place, listed by name; the unit
    after them is third, not second. Two units with nothing closed and one open task past its deadline each
    share a place too; one with nothing late ranks above them."""
    # closed by the safety unit's staff, then handed to the unit each stands for (as test_briefing does)
    for unit, score in ((org.safety, "95"), (org.health, "95"), (org.child, "90")):
        task = org.task_in("closed", title=f"{unit.name}按期", coop_unit_ids=[])
        Task.objects.filter(pk=task.pk).update(lead_unit_id=unit.pk, score=Decimal(score))
    rows = unit_ranking(viewer=org.supervisor, today=today_local())
    assert [(r.rank, r.unit) for r in rows] == [(1, "市卫健委"), (1, "市应急管理局"), (3, "市应急管理局临川分局")]
    # nothing closed: no late task ranks above late ones, and the late ones are level
    org.task_in("assigned", title="教育局未到期", lead_unit_id=org.other.pk, coop_unit_ids=[],
                deadline=today_local() + dt.timedelta(days=9))
    for unit in (org.safety, org.health):
        org.task_in("assigned", title=f"{unit.name}逾期未办", lead_unit_id=unit.pk, coop_unit_ids=[],
                    deadline=today_local() - dt.timedelta(days=21))
    rows = unit_ranking(viewer=org.supervisor, date_from=today_local() + dt.timedelta(days=1), today=today_local())
    assert [(r.rank, r.unit, r.overdue) for r in rows] == [
        (1, "市教育局", 0), (2, "市卫健委", 1), (2, "市应急管理局", 1)]


def test_ranking_uses_local_close_date(org):
    task = org.task_in("closed")
    Task.objects.filter(pk=task.pk).update(closed_at=timezone.now() - dt.timedelta(days=400))
    assert unit_ranking(viewer=org.supervisor, date_from=today_local() - dt.timedelta(days=30), date_to=today_local()) == []


def _weeks_by_rule(tasks, week_from, week_to, today):
    """The weekly series restated per task, as the dashboard defines it (local dates of closing)."""
    from duban.tasks.models import OPEN_STATUSES

    fell_to = min(week_to, today - dt.timedelta(days=1))
    completed, fell = {}, {}
    for t in tasks:
        closed_on = timezone.localdate(t.closed_at) if t.closed_at else None
        if t.status == "closed" and closed_on and week_from <= closed_on <= week_to:
            monday = closed_on - dt.timedelta(days=closed_on.weekday())
            completed[monday] = completed.get(monday, 0) + 1
        if t.deadline and week_from <= t.deadline <= fell_to and (
                t.status in OPEN_STATUSES or (t.status == "closed" and closed_on and closed_on > t.deadline)):
            monday = t.deadline - dt.timedelta(days=t.deadline.weekday())
            fell[monday] = fell.get(monday, 0) + 1
    return completed, fell


def test_a_bucket_is_the_first_bound_a_value_is_before(org):
    """``_Bucket`` (nested as a binary search) is, for every row, the index of the first bound its value is before,
    or the number of bounds (after them all, or no value): values on, a second before and a second after each of
    84 local midnights, for 1 to 84 bounds."""
    import bisect

    model = org.task_in("closed")
    bounds = [timezone.make_aware(dt.datetime.combine(today_local() + dt.timedelta(days=k), dt.time())) for k in range(84)]
    values = [None, bounds[0] - dt.timedelta(days=3)] + [b + dt.timedelta(seconds=s) for b in bounds for s in (-1, 0, 1)]
    Task.objects.bulk_create(Task(title=f"分桶{i}", meeting_id=model.meeting_id, area_id=model.area_id,
                                  lead_unit_id=model.lead_unit_id, status="closed", closed_at=value,
                                  created_by_id=model.created_by_id) for i, value in enumerate(values))
    for n in (1, 2, 3, 5, 12, 83, 84):
        got = dict(Task.objects.filter(title__startswith="分桶").values_list(
            "closed_at", selectors._Bucket("closed_at", bounds[:n])))
        assert got == {v: n if v is None else bisect.bisect_right(bounds[:n], v) for v in values}, n
    # a row is compared with about log2 of the bounds (the CASEs' depth), not with each bound up to its own
    sql = str(Task.objects.values_list(selectors._Bucket("closed_at", bounds)).query)
    depth = deepest = 0
    for word in sql.split():
        depth += (word == "CASE") - (word == "END")
        deepest = max(deepest, depth)
    assert deepest == 7, sql  # 85 answers


@pytest.mark.parametrize("seed", [1, 2])
def test_weekly_series_matches_the_per_task_rule_at_local_midnights(org, seed):
    """The weeks are counted in SQL over ``closed_at`` ranges; generated tasks closed just before and after local
    midnights (and on, before and after their deadlines) land in the same weeks as the per-task rule says."""
    import random

    rnd = random.Random(seed)
    today = dt.date(2026, 6, 17)
    model = org.task_in("closed")
    rows = []
    for _ in range(80):
        day = today - dt.timedelta(days=rnd.randint(-3, 100))
        status = rnd.choice(["closed", "closed", "in_progress", "close_requested", "returned", "withdrawn"])
        closed_at = None
        if status == "closed":
            on = day + dt.timedelta(days=rnd.randint(-3, 3))
            instant = timezone.make_aware(dt.datetime.combine(on, dt.time()))
            closed_at = instant + dt.timedelta(seconds=rnd.choice([-1, 0, 1, 3600 * 12]))
        rows.append(Task(title=f"生成{len(rows)}", meeting_id=model.meeting_id, area_id=model.area_id,
                         lead_unit_id=model.lead_unit_id, status=status, deadline=day, closed_at=closed_at,
                         created_by_id=model.created_by_id))
    Task.objects.bulk_create(rows)
    for filters in (DashboardFilters(), DashboardFilters(date_from=today - dt.timedelta(days=40),
                                                         date_to=today + dt.timedelta(days=3))):
        data = dashboard_stats(viewer=org.supervisor, filters=filters, today=today)
        tasks = list(Task.objects.exclude(status__in=["draft", "withdrawn"]))
        completed, fell = _weeks_by_rule(tasks, data.week_from, data.week_to, today)
        assert {w["week"]: w["completed"] for w in data.weeks if w["completed"]} == completed
        assert {w["week"]: w["overdue"] for w in data.weeks if w["overdue"]} == fell
        assert sum(completed.values()) > 0 and sum(fell.values()) > 0
