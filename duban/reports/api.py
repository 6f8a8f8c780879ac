"""JSON API of reporting, mounted under /api/v1 by duban.api: the dashboard figures and the ranking, scoped to
the caller like the pages."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema

from duban.reports import selectors

router = Router()


class GroupOut(Schema):
    id: int | None
    name: str
    total: int
    closed: int
    overdue: int
    rate: float
    red: int
    yellow: int
    blue: int
    green: int


class WeekOut(Schema):
    week: str
    completed: int
    overdue: int


class DashboardOut(Schema):
    total: int
    closed: int
    overdue: int
    completion_rate: float
    lights: dict[str, int]
    by_area: list[GroupOut]
    by_unit: list[GroupOut]
    weeks: list[WeekOut]


class AdjustmentOut(Schema):
    task_id: int | None
    points: float
    reason: str
    on: dt.date
    author: str


class RankingOut(Schema):
    rank: int
    unit_id: int
    unit: str
    closed: int
    average_score: float | None
    on_time: int
    on_time_rate: float
    closed_late: int
    overdue_open: int
    tasks: int
    adjustment: float
    total_score: float | None
    adjustments: list[AdjustmentOut]


@router.get("/stats/dashboard", response=DashboardOut)
def dashboard(request, meeting: int | None = None, area: int | None = None, unit: int | None = None,
              date_from: str | None = None, date_to: str | None = None, subtree: int | None = None):
    """Completion and lights by area and unit, and completed/overdue per week (same filters as /reports/);
    ``subtree``: a unit id, the figures of the tasks led by it or a unit under it."""
    filters = selectors.dashboard_filters({"meeting": meeting, "area": area, "unit": unit, "from": date_from,
                                           "to": date_to, "subtree": subtree})
    data = selectors.dashboard_stats(viewer=request.user, filters=filters, overdue_limit=0)
    return {"total": data.total, "closed": data.closed, "overdue": data.overdue,
            "completion_rate": data.completion_rate, "lights": data.lights, "by_area": data.by_area,
            "by_unit": data.by_unit, "weeks": [dict(w, week=w["week"].isoformat()) for w in data.weeks]}


@router.get("/stats/ranking", response=list[RankingOut])
def ranking(request, date_from: str | None = None, date_to: str | None = None, meeting: int | None = None,
            subtree: int | None = None):
    """Lead units ranked by the average score of their tasks in the period (default: this year), an open one
    scored as if closed at the period's end (see docs/administration.md); ``subtree``: a unit id, the units of its
    subtree only."""
    start, end, meeting_id = selectors.ranking_period({"from": date_from, "to": date_to, "meeting": meeting})
    scope = selectors.subtree_get(viewer=request.user, unit_id=selectors.subtree_param({"subtree": subtree}))
    return selectors.unit_ranking(viewer=request.user, date_from=start, date_to=end, meeting_id=meeting_id,
                                  subtree=scope)
