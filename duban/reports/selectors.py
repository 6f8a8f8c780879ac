"""Every read of reporting: dashboard figures, the ranking, ledger lines, the briefing's content and the calendar
feed. Each starts from ``duban.tasks.selectors.task_list`` (itself scoped by ``tasks_visible_to``), so a chart,
an export or a feed never counts what its viewer may not open, and every figure is aggregated in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDate, TruncWeek

from duban.core import permissions as perms
from duban.core.errors import InvalidInput, NotFound
from duban.reports.ledger import LedgerLine
from duban.tasks.models import OPEN_STATUSES, Task, TaskStatus
from duban.tasks.selectors import task_list, today_local

LIGHTS = (("red", "红灯"), ("yellow", "黄灯"), ("blue", "蓝灯"), ("green", "绿灯"), ("closed", "已办结"))
LIGHT_CODES = ("red", "yellow", "blue", "green")
DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class DashboardFilters:
    meeting_id: int | None = None
    area_id: int | None = None
    unit_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def query(self) -> dict:
        """The filters as query-string values (for CSV links)."""
        out = {"meeting": self.meeting_id, "area": self.area_id, "unit": self.unit_id,
               "from": self.date_from.isoformat() if self.date_from else None,
               "to": self.date_to.isoformat() if self.date_to else None}
        return {k: v for k, v in out.items() if v not in (None, "")}


def _int(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("筛选条件不是有效的编号", "a filter id is not a number") from None
    return number if number > 0 else None


def _date(value) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"日期“{value}”格式应为 YYYY-MM-DD", "dates must be YYYY-MM-DD") from None


def dashboard_filters(params) -> DashboardFilters:
    """Parse ``meeting``, ``area``, ``unit``, ``from``, ``to`` from a query dict."""
    filters = DashboardFilters(_int(params.get("meeting")), _int(params.get("area")), _int(params.get("unit")),
                               _date(params.get("from")), _date(params.get("to")))
    if filters.date_from and filters.date_to:
        if filters.date_from > filters.date_to:
            raise InvalidInput("开始日期不能晚于结束日期", "the start date is after the end date")
        if (filters.date_to - filters.date_from).days > MAX_DAYS:
            raise InvalidInput("统计期间不能超过三年", "the period must not exceed three years")
    return filters


def task_list_filters(params) -> dict:
    """The /tasks/ query string (status, area, unit, meeting, overdue) as ``task_list`` keywords."""
    overdue = params.get("overdue")
    return {"status": (params.get("status") or None), "area_id": _int(params.get("area")),
            "unit_id": _int(params.get("unit")), "meeting_id": _int(params.get("meeting")),
            "overdue": None if overdue in (None, "") else overdue in ("1", "true", "yes", "on")}


def _base(viewer, filters: DashboardFilters) -> QuerySet[Task]:
    qs = task_list(viewer=viewer, meeting_id=filters.meeting_id, area_id=filters.area_id, unit_id=filters.unit_id)
    return qs.select_related(None).prefetch_related(None).order_by().exclude(status=TaskStatus.DRAFT)


def _late(today: dt.date) -> Q:
    return Q(status__in=OPEN_STATUSES, deadline__lt=today)


def _counts(today: dt.date) -> dict:
    return {"total": Count("id"), "closed": Count("id", filter=Q(status=TaskStatus.CLOSED)),
            "overdue": Count("id", filter=_late(today))}


def _lights(scoped: QuerySet[Task], today: dt.date) -> tuple[dict, dict, dict]:
    """Lights from the follow-up engine (``duban.followup.lights``), which weighs report cycles and progress as
    well as deadlines, so the dashboard and every badge agree. Lights are not expressible in SQL, so the open
    tasks are read once (only the fields a light needs, latest report joined) and tallied: one query, never one
    per row. Returns the totals, and the tallies by area id and by lead unit id."""
    from duban.followup.lights import task_light

    open_tasks = (scoped.filter(status__in=OPEN_STATUSES).select_related("latest_report")
                  .only("id", "status", "deadline", "area_id", "lead_unit_id", "assigned_at", "progress_percent",
                        "report_cycle", "report_every", "latest_report__id", "latest_report__created_at"))
    totals: dict[str, int] = {}
    by_area: dict = {}
    by_unit: dict = {}
    for task in open_tasks.iterator(chunk_size=2000):
        code = task_light(task, today).code
        code = code if code in LIGHT_CODES else "none"
        totals[code] = totals.get(code, 0) + 1
        for key, tally in ((task.area_id, by_area), (task.lead_unit_id, by_unit)):
            bucket = tally.setdefault(key, {})
            bucket[code] = bucket.get(code, 0) + 1
    return totals, by_area, by_unit


@dataclass
class Dashboard:
    filters: DashboardFilters
    today: dt.date
    total: int
    closed: int
    overdue: int
    completion_rate: float
    lights: dict[str, int]
    by_area: list[dict]
    by_unit: list[dict]
    weeks: list[dict]
    overdue_tasks: list
    week_from: dt.date
    week_to: dt.date

    def charts(self) -> dict:
        """Figures for the charts (JSON-ready)."""
        return {
            "lights": [{"code": code, "name": name, "value": self.lights.get(code, 0)} for code, name in LIGHTS],
            "by_area": self.by_area, "by_unit": self.by_unit,
            "weeks": [dict(w, week=w["week"].isoformat()) for w in self.weeks],
        }


def _rate(row: dict) -> dict:
    row["rate"] = round(100 * row["closed"] / row["total"], 1) if row["total"] else 0.0
    return row


def dashboard_stats(*, viewer, filters: DashboardFilters | None = None, today: dt.date | None = None,
                    overdue_limit: int = 200) -> Dashboard:
    """Completion and lights by area and by lead unit, completed and overdue per week, and the overdue list. A
    period (``from``/``to``) limits the area/unit figures to tasks due in it and sets the weeks shown (default:
    the twelve weeks up to today). A fixed number of queries whatever the number of tasks."""
    filters = filters or DashboardFilters()
    today = today or today_local()
    base = _base(viewer, filters)
    scoped = base
    if filters.date_from:
        scoped = scoped.filter(deadline__gte=filters.date_from)
    if filters.date_to:
        scoped = scoped.filter(deadline__lte=filters.date_to)
    counts = _counts(today)
    totals = scoped.aggregate(**counts)
    light_totals, area_lights, unit_lights = _lights(scoped, today)
    lights = {code: light_totals.get(code, 0) for code in LIGHT_CODES}
    lights["closed"] = totals["closed"]

    def with_lights(row: dict, tally: dict) -> dict:
        for code in LIGHT_CODES:
            row[code] = tally.get(row["id"], {}).get(code, 0)
        return _rate(row)

    by_area = [with_lights(dict(row, id=row.pop("area_id"), name=row.pop("area__name") or "未分类"), area_lights)
               for row in scoped.values("area_id", "area__name").annotate(**counts)
               .order_by("area__sort_order", "area_id")]
    by_unit = [with_lights(dict(row, id=row.pop("lead_unit_id"), name=row.pop("lead_unit__name") or "未指定"),
                           unit_lights)
               for row in scoped.values("lead_unit_id", "lead_unit__name").annotate(**counts)
               .order_by("-total", "lead_unit_id")]
    week_to = filters.date_to or today
    week_from = filters.date_from or (week_to - dt.timedelta(weeks=DEFAULT_WEEKS - 1))
    week_from -= dt.timedelta(days=week_from.weekday())  # weeks start on Monday, as TruncWeek does
    closed_on = TruncDate("closed_at")
    completed = dict(
        base.filter(status=TaskStatus.CLOSED).annotate(day=closed_on)
        .filter(day__gte=week_from, day__lte=week_to)
        .annotate(week=TruncWeek("closed_at")).values("week").annotate(n=Count("id")).values_list("week", "n"))
    # A task "fell overdue" in the week of its deadline if it was not closed by then (still open, or closed late).
    fell = dict(
        base.annotate(day=closed_on)
        .filter(deadline__gte=week_from, deadline__lte=min(week_to, today - dt.timedelta(days=1)))
        .filter(Q(status__in=OPEN_STATUSES) | Q(status=TaskStatus.CLOSED, day__gt=F("deadline")))
        .annotate(week=TruncWeek("deadline")).values("week").annotate(n=Count("id")).values_list("week", "n"))
    completed = {(k.date() if isinstance(k, dt.datetime) else k): v for k, v in completed.items()}
    fell = {(k.date() if isinstance(k, dt.datetime) else k): v for k, v in fell.items()}
    weeks, week = [], week_from
    while week <= week_to:
        weeks.append({"week": week, "completed": completed.get(week, 0), "overdue": fell.get(week, 0)})
        week += dt.timedelta(weeks=1)
    overdue_tasks = list(
        base.filter(_late(today)).select_related("lead_unit", "area", "meeting")
        .order_by("deadline", "id")[:overdue_limit])
    for task in overdue_tasks:
        task.days_overdue = (today - task.deadline).days
    total = totals["total"]
    return Dashboard(filters, today, total, totals["closed"], totals["overdue"],
                     round(100 * totals["closed"] / total, 1) if total else 0.0, lights, by_area, by_unit, weeks,
                     overdue_tasks, week_from, week_to)


# --- ranking -----------------------------------------------------------------------------------------------------

@dataclass
class RankingRow:
    rank: int
    unit_id: int
    unit: str
    closed: int
    average_score: float | None
    on_time: int
    on_time_rate: float
    closed_late: int
    overdue_open: int

    @property
    def overdue(self) -> int:
        return self.closed_late + self.overdue_open


def unit_ranking(*, viewer, date_from: dt.date | None = None, date_to: dt.date | None = None,
                 meeting_id: int | None = None, today: dt.date | None = None) -> list[RankingRow]:
    """Lead units ranked by the average score of tasks they closed in the period, then by on-time rate: tasks
    closed, on-time rate, closed late, and still open past the deadline. Two grouped queries."""
    today = today or today_local()
    base = task_list(viewer=viewer, meeting_id=meeting_id).select_related(None).prefetch_related(None).order_by()
    base = base.filter(lead_unit__isnull=False)
    closed = base.filter(status=TaskStatus.CLOSED).annotate(day=TruncDate("closed_at"))
    if date_from:
        closed = closed.filter(day__gte=date_from)
    if date_to:
        closed = closed.filter(day__lte=date_to)
    on_time = Q(deadline__isnull=True) | Q(day__lte=F("deadline"))
    rows = {r["lead_unit_id"]: r for r in closed.values("lead_unit_id", "lead_unit__name").annotate(
        closed=Count("id"), average=Avg("score"), on_time=Count("id", filter=on_time))}
    cutoff = min(date_to, today) if date_to else today
    open_late = dict(base.filter(status__in=OPEN_STATUSES, deadline__lt=cutoff)
                     .values("lead_unit_id").annotate(n=Count("id")).values_list("lead_unit_id", "n"))
    names = dict(base.filter(lead_unit_id__in=list(open_late)).values_list("lead_unit_id", "lead_unit__name")
                 .distinct()) if set(open_late) - set(rows) else {}
    result = []
    for unit_id in set(rows) | set(open_late):
        r = rows.get(unit_id)
        n_closed = r["closed"] if r else 0
        n_on_time = r["on_time"] if r else 0
        average = round(float(r["average"]), 1) if r and r["average"] is not None else None
        result.append(RankingRow(0, unit_id, r["lead_unit__name"] if r else names.get(unit_id, ""), n_closed,
                                 average, n_on_time, round(100 * n_on_time / n_closed, 1) if n_closed else 0.0,
                                 n_closed - n_on_time, open_late.get(unit_id, 0)))
    result.sort(key=lambda x: (x.average_score is None, -(x.average_score or 0), -x.on_time_rate, x.overdue,
                               x.unit))
    for index, row in enumerate(result, start=1):
        row.rank = index
    return result


# --- ledger ------------------------------------------------------------------------------------------------------

def _progress(task: Task) -> str:
    text = task.latest_report.text.strip() if task.latest_report_id and task.latest_report else ""
    percent = f"{task.progress_percent}%" if task.progress_percent else ""
    return "；".join(p for p in (percent, text) if p)


def ledger_lines(*, viewer, status=None, area_id=None, unit_id=None, meeting_id=None, overdue=None,
                 today: dt.date | None = None) -> tuple[list[LedgerLine], str]:
    """The rows of an exported ledger, with a subtitle naming the filters. Four queries whatever the size."""
    qs = task_list(viewer=viewer, status=status, area_id=area_id, unit_id=unit_id, meeting_id=meeting_id,
                   overdue=overdue, today=today)
    lines = []
    for index, task in enumerate(qs, start=1):
        lines.append(LedgerLine(index, task.title, task.lead_unit.name if task.lead_unit else "",
                                "、".join(u.name for u in task.coop_units.all()), task.deadline, task.deadline_text,
                                _progress(task), task.get_status_display()))
    parts = []
    if status:
        parts.append(str(TaskStatus(status).label) if status in TaskStatus.values else status)
    if overdue:
        parts.append("逾期")
    parts.append(f"导出日期{(today or today_local()).isoformat()}")
    return lines, "，".join(parts)


# --- briefing ----------------------------------------------------------------------------------------------------

@dataclass
class BriefingData:
    meeting: object
    title: str
    today: dt.date
    total: int
    closed: int
    in_progress: int
    overdue: int
    completion_rate: float
    areas: list[tuple[str, list[Task]]] = field(default_factory=list)
    overdue_tasks: list[Task] = field(default_factory=list)
    ranking: list[RankingRow] = field(default_factory=list)


def briefing_title(meeting) -> str:
    """关于X月X日市委常委会会议决定事项落实情况的通报 — from the meeting's date (or its undated "09-29") and body."""
    if meeting.date:
        when = f"{meeting.date.month}月{meeting.date.day}日"
    elif meeting.date_text and "-" in meeting.date_text:
        month, day = meeting.date_text.split("-")[-2:]
        when = f"{int(month)}月{int(day)}日" if month.isdigit() and day.isdigit() else ""
    else:
        when = ""
    body = (meeting.body or "").strip() or "市委常委会"
    if not body.endswith("会议"):
        body += "会议"
    return f"关于{when}{body}决定事项落实情况的通报"


def briefing_data(*, viewer, meeting_id: int, today: dt.date | None = None) -> BriefingData:
    """Everything the briefing says about one meeting's decisions: summary figures, the items grouped by area,
    the overdue items and the unit ranking for the meeting. ``NotFound`` for a meeting out of scope."""
    today = today or today_local()
    meeting = perms.meetings_visible_to(viewer).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound()
    tasks = list(task_list(viewer=viewer, meeting_id=meeting.pk).exclude(status=TaskStatus.DRAFT)
                 .order_by("area__sort_order", "area_id", "seq", "id"))
    closed = sum(t.status == TaskStatus.CLOSED for t in tasks)
    late = [t for t in tasks if t.status in OPEN_STATUSES and t.deadline and t.deadline < today]
    areas: dict[str, list[Task]] = {}
    for task in tasks:
        areas.setdefault(task.area.name if task.area else "其他", []).append(task)
    for task in late:
        task.days_overdue = (today - task.deadline).days
    return BriefingData(meeting, briefing_title(meeting), today, len(tasks), closed, len(tasks) - closed,
                        len(late), round(100 * closed / len(tasks), 1) if tasks else 0.0, list(areas.items()),
                        sorted(late, key=lambda t: (t.deadline, t.pk)),
                        unit_ranking(viewer=viewer, meeting_id=meeting.pk, today=today))


def latest_progress(task: Task) -> str:
    return _progress(task) or "暂无报送"


# --- calendar feed -----------------------------------------------------------------------------------------------

def calendar_token_get(*, token: str):
    """The feed's owner for a token, or ``NotFound`` (a wrong token is indistinguishable from a missing one)."""
    from duban.reports.models import CalendarToken

    if not token or len(token) > 64:
        raise NotFound()
    row = CalendarToken.objects.select_related("user", "user__profile", "user__profile__unit").filter(
        token=token, user__is_active=True).first()
    if row is None:
        raise NotFound()
    return row


def calendar_token_for(*, viewer):
    from duban.reports.models import CalendarToken

    return CalendarToken.objects.filter(user=viewer).first()


def deadline_feed(*, viewer) -> QuerySet[Task]:
    """The open tasks the viewer may see that have a deadline: what belongs in their calendar."""
    return (task_list(viewer=viewer).filter(status__in=OPEN_STATUSES, deadline__isnull=False)
            .select_related(None).select_related("lead_unit", "meeting").prefetch_related(None)
            .order_by("deadline", "id"))


# --- filter choices ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FilterOptions:
    meetings: list
    areas: list
    units: list


def filter_options(*, viewer) -> FilterOptions:
    """Choices for the dashboard's filters: meetings the viewer may see, areas, active units (three queries)."""
    from duban.core.models import Area

    meetings = list(perms.meetings_visible_to(viewer).exclude(status="withdrawn").only("id", "title", "date")
                    .order_by("-date", "-id")[:200])
    areas = list(Area.objects.filter(is_active=True).only("id", "name"))
    units = list(perms.units_visible_to(viewer).filter(is_active=True).only("id", "name"))
    return FilterOptions(meetings, areas, units)


def ranking_period(params, *, today: dt.date | None = None) -> tuple[dt.date, dt.date, int | None]:
    """``from``/``to``/``meeting`` of the ranking page; by default this year up to today."""
    today = today or today_local()
    filters = dashboard_filters(params)
    return (filters.date_from or dt.date(today.year, 1, 1), filters.date_to or today, filters.meeting_id)
