"""Every read of reporting: dashboard figures, the ranking, ledger lines, the briefing's content and the calendar
feed. Each starts from ``duban.tasks.selectors.task_list`` (itself scoped by ``tasks_visible_to``), so a chart,
an export or a feed never counts what its viewer may not open, and every figure is aggregated in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, DateField, F, Func, IntegerField, Q, QuerySet, TextField, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.errors import InvalidInput, NotFound
from duban.followup.lights import SUPERVISED_STATUSES, LightCodes
from duban.reports.ledger import LedgerLine
from duban.tasks.models import OPEN_STATUSES, Task, TaskStatus, count_rows
from duban.tasks.palette import light_colours
from duban.tasks.selectors import grouped_task_counts, plain_rows, task_list, today_local

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


def _light_rows(scoped: QuerySet[Task], today: dt.date):
    """The other lights need report cycles and working days (``duban.followup.lights``): only supervised tasks
    not yet past their deadline, read as plain values (latest report joined) and classified by ``LightCodes``,
    which equals ``task_light`` at O(1) a task. One query, never one per row; plain rows (``plain_rows``):
    the two datetimes come as UTC text (``_UtcText``), which ``LightCodes`` dates itself, ten times cheaper than
    the ORM's converters."""
    # Spelled as two (status, deadline) ranges so SQLite walks task_status_deadline_idx for the open tasks not yet
    # due (a MULTI-INDEX OR) instead of reading every supervised task's row to test its deadline.
    fields = [_UtcText(f) if f in ("assigned_at", "latest_report__created_at") else f for f in LightCodes.FIELDS]
    return plain_rows(scoped.filter(Q(status__in=SUPERVISED_STATUSES, deadline__gte=today)
                                     | Q(status__in=SUPERVISED_STATUSES, deadline__isnull=True))
                       .values_list("area_id", "lead_unit_id", *fields))


class _UtcText(Func):
    """A datetime column as the text of its naive UTC value, "YYYY-MM-DD HH:MM:SS[.ffffff]", which
    ``LightCodes.local_date`` dates by its first 13 characters (the hour) without parsing: 10,000 values a
    cold dashboard, where the drivers would build a datetime each (SQLite's by a Python call a value, the
    converters Django registers by declared type; an expression has none, so SQLite returns the stored text)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="CAST(%(expressions)s AS text)", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        # to_char, not ::text: the text of a timestamp follows the session's DateStyle
        return super().as_sql(compiler, connection, template=(
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"), **extra_context)


def _local_start(day: dt.date) -> dt.datetime:
    """The first instant of a local calendar day (so a range on ``closed_at`` can use an index)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class _Bucket(Func):
    """The index of the first of the ascending ``bounds`` (aware datetimes) that the column is before, or
    ``len(bounds)``: a CASE of plain comparisons written as one string, because ``Case(When(...))`` compiles at
    ~0.3 ms a branch and these have up to a hundred (a day each). The bounds are adapted as a filter on the column
    would be, so it means the same on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def __init__(self, column: str, bounds: list[dt.datetime]):
        super().__init__(F(column))
        self.bounds = bounds

    def as_sql(self, compiler, connection, **extra_context):
        if not self.bounds:  # an empty period
            return "0", []
        column, column_params = compiler.compile(self.source_expressions[0])
        sql, params = [], []
        for index, bound in enumerate(self.bounds):
            sql.append(f"WHEN {column} < %s THEN {index}")
            params += [*column_params, connection.ops.adapt_datetimefield_value(bound)]
        return f"CASE {' '.join(sql)} ELSE {len(self.bounds)} END", params


def _weeks(base: QuerySet[Task], week_from: dt.date, week_to: dt.date, today: dt.date) -> tuple[dict, dict]:
    """Completed (closed in the week, local time) and "fell overdue" (deadline in the week and not closed by then:
    still open, or closed on a later local day) per Monday, counted in SQL by one statement of three grouped
    parts, each on an index: closed tasks by week of ``closed_at`` (``task_status_closed_idx`` alone), open tasks
    by deadline (``task_status_deadline_idx`` alone), and tasks closed after a deadline in the period, by local
    day of closing. Local days are ``closed_at`` ranges (CASE over the days' first instants), so no date function
    runs on a row and the answer is the same on SQLite and PostgreSQL. A few hundred rows come back, not one per
    task (5,000 at 100k tasks)."""
    fell_to = min(week_to, today - dt.timedelta(days=1))
    n_weeks = (week_to - week_from).days // 7 + 1
    week_of = _Bucket("closed_at", [_local_start(week_from + dt.timedelta(weeks=i + 1)) for i in range(n_weeks)])
    parts = [base.filter(status=TaskStatus.CLOSED, closed_at__gte=_local_start(week_from),
                         closed_at__lt=_local_start(week_to + dt.timedelta(days=1)))
             .values_list(Value("c"), Value(week_from, output_field=DateField()), week_of).annotate(n=count_rows())]
    if fell_to >= week_from:
        days = (fell_to - week_from).days
        # the local day of closing as days after week_from, capped past the last deadline counted
        day_of = _Bucket("closed_at", [_local_start(week_from + dt.timedelta(days=k + 1)) for k in range(days + 1)])
        parts.append(base.filter(status__in=OPEN_STATUSES, deadline__gte=week_from, deadline__lte=fell_to)
                     .values_list(Value("o"), "deadline", Value(0, output_field=IntegerField()))
                     .annotate(n=count_rows()))
        parts.append(base.filter(status=TaskStatus.CLOSED, deadline__gte=week_from, deadline__lte=fell_to,
                                 closed_at__gte=_local_start(week_from + dt.timedelta(days=1)))
                     .values_list(Value("x"), "deadline", day_of).annotate(n=count_rows()))
    completed: dict = {}
    fell: dict = {}
    for kind, day, bucket, n in parts[0].union(*parts[1:], all=True):
        if kind == "c":
            week = week_from + dt.timedelta(weeks=bucket)
            completed[week] = completed.get(week, 0) + n
        elif kind == "x" and week_from + dt.timedelta(days=bucket) <= day:
            continue  # closed on or before its deadline
        else:
            week = day - dt.timedelta(days=day.weekday())
            fell[week] = fell.get(week, 0) + n
    return completed, fell


def _names(area_ids, unit_ids) -> tuple[dict, dict]:
    """Names (and the area order) of the groups, in one small query (areas, and the lead units present)."""
    from duban.core.models import Area, Unit

    areas = Area.objects.filter(pk__in=[i for i in area_ids if i]).values_list(
        Value("a"), "id", "name", "sort_order").order_by()
    units = Unit.objects.filter(pk__in=[i for i in unit_ids if i]).values_list(
        Value("u"), "id", "name", Value(0, output_field=IntegerField())).order_by()
    area_names, unit_names = {}, {}
    for kind, pk, name, order in areas.union(units, all=True):
        if kind == "a":
            area_names[pk] = (name, order)
        else:
            unit_names[pk] = name
    return area_names, unit_names


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
            "palette": light_colours(),
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
    codes = LightCodes(today)
    empty = {"total": 0, "closed": 0, "overdue": 0, "red": 0, "yellow": 0, "blue": 0, "green": 0}
    totals = dict(empty)
    areas: dict = {}
    units: dict = {}
    # Per (area, status) and per (unit, status), a few hundred keys, spread here over the five figures: enough for
    # the totals and for the lights SQL can decide alone: red (supervised and past the deadline, which
    # ``task_light`` checks first) and green while awaiting sign-off. The office's unfiltered view reads the
    # counts the database keeps (``grouped_task_counts``).
    by_area_status, by_unit_status = grouped_task_counts(scoped, today, viewer=viewer,
                                                         unfiltered=filters == DashboardFilters())
    for groups, tallies, with_totals in ((by_area_status, areas, True), (by_unit_status, units, False)):
        for (pk, status), (n, late) in groups.items():
            add = {"total": n, "closed": n if status == TaskStatus.CLOSED else 0,
                   "overdue": late if status in OPEN_STATUSES else 0,
                   "red": late if status in SUPERVISED_STATUSES else 0,
                   "green": n if status == TaskStatus.CLOSE_REQUESTED else 0}
            for tally in ((totals, tallies.setdefault(pk, dict(empty))) if with_totals
                          else (tallies.setdefault(pk, dict(empty)),)):
                for name, value in add.items():
                    tally[name] += value
    light_counts: dict = {}
    for area_id, unit_id, *values in _light_rows(scoped, today):
        key = (area_id, unit_id, codes(*values))
        light_counts[key] = light_counts.get(key, 0) + 1
    for (area_id, unit_id, code), n in light_counts.items():
        if code in LIGHT_CODES:
            totals[code] += n
            areas[area_id][code] += n
            units[unit_id][code] += n
    lights = {code: totals[code] for code in LIGHT_CODES}
    lights["closed"] = totals["closed"]
    area_names, unit_names = _names(areas, units)

    def row_of(pk, name: str, tally: dict) -> dict:
        return _rate({"id": pk, "name": name, **tally})

    # Unclassified areas and tasks without a lead unit come last.
    by_area = [row_of(pk, area_names.get(pk, ("未分类", 0))[0] if pk else "未分类", tally)
               for pk, tally in sorted(areas.items(), key=lambda item: (
                   item[0] is None, area_names.get(item[0], ("", 0))[1], item[0] or 0))]
    by_unit = [row_of(pk, unit_names.get(pk, "未指定") if pk else "未指定", tally)
               for pk, tally in sorted(units.items(), key=lambda item: (-item[1]["total"], item[0] is None,
                                                                        item[0] or 0))]
    week_to = filters.date_to or today
    week_from = filters.date_from or (week_to - dt.timedelta(weeks=DEFAULT_WEEKS - 1))
    week_from -= dt.timedelta(days=week_from.weekday())  # weeks start on Monday
    completed, fell = _weeks(base, week_from, week_to, today)
    weeks, week = [], week_from
    while week <= week_to:
        weeks.append({"week": week, "completed": completed.get(week, 0), "overdue": fell.get(week, 0)})
        week += dt.timedelta(weeks=1)
    # The page of late tasks is chosen on the (status, deadline) index alone, then only those rows are read:
    # sorting the full rows of every late task first cost 0.1 s at 100k tasks.
    # Only the columns the list shows (``tables.chart_table``): a task's full row and its meeting's (the
    # communique's text and extraction) are kilobytes each.
    late_ids = base.filter(_late(today)).order_by("deadline", "id").values("id")[:overdue_limit]
    overdue_tasks = list(
        Task.objects.filter(pk__in=late_ids).select_related("lead_unit")
        .only("title", "deadline", "status", "lead_unit__name").order_by("deadline", "id")) if overdue_limit else []
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
                     .values("lead_unit_id").annotate(n=count_rows()).values_list("lead_unit_id", "n"))
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
    """The rows of an exported ledger, with a subtitle naming the filters. Two queries whatever the size, reading
    plain values (no model instances: a 10 000-row export spent most of its time building them): the tasks'
    columns, and the names of their cooperating units in the units' own order."""
    qs = task_list(viewer=viewer, status=status, area_id=area_id, unit_id=unit_id, meeting_id=meeting_id,
                   overdue=overdue, today=today).select_related(None).prefetch_related(None)
    coop: dict[int, list[str]] = {}
    for task_id, name in (Task.coop_units.through.objects.filter(task_id__in=qs.values("pk"))
                          .order_by("unit__sort_order", "unit_id").values_list("task_id", "unit__name")):
        coop.setdefault(task_id, []).append(name)
    labels = {value: str(label) for value, label in TaskStatus.choices}
    lines = []
    rows = qs.values_list("pk", "title", "lead_unit__name", "deadline", "deadline_text", "progress_percent",
                          "latest_report__text", "status")
    for index, (pk, title, lead, deadline, deadline_text, percent, report, status_) in enumerate(rows, start=1):
        progress = "；".join(p for p in (f"{percent}%" if percent else "", (report or "").strip()) if p)
        lines.append(LedgerLine(index, title, lead or "", "、".join(coop.get(pk, ())), deadline, deadline_text,
                                progress, labels.get(status_, status_)))
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


def _ranking_of(tasks: list[Task], today: dt.date) -> list[RankingRow]:
    """``unit_ranking(viewer=..., meeting_id=...)`` computed from a meeting's tasks already read (the briefing
    has every one of them in hand; the grouped queries cost 0.4 s on SQLite at 100k tasks, whose planner takes the
    status index over the meeting's). Same rows and order; the average is exact decimal arithmetic, as PostgreSQL's
    ``AVG`` of a numeric column."""
    zone = timezone.get_current_timezone()
    units: dict[int, dict] = {}
    for task in tasks:
        if task.lead_unit_id is None:
            continue
        if task.status == TaskStatus.CLOSED:
            u = units.setdefault(task.lead_unit_id, {"name": task.lead_unit.name, "closed": 0, "on_time": 0,
                                                     "scores": [], "open_late": 0})
            u["closed"] += 1
            if task.score is not None:
                u["scores"].append(Decimal(task.score))
            closed_on = task.closed_at.astimezone(zone).date() if task.closed_at is not None else None
            if task.deadline is None or (closed_on is not None and closed_on <= task.deadline):
                u["on_time"] += 1
        elif task.is_late(today):
            u = units.setdefault(task.lead_unit_id, {"name": task.lead_unit.name, "closed": 0, "on_time": 0,
                                                     "scores": [], "open_late": 0})
            u["open_late"] += 1
    result = []
    for unit_id, u in units.items():
        n_closed, n_on_time, scores = u["closed"], u["on_time"], u["scores"]
        average = round(float(sum(scores) / len(scores)), 1) if scores else None
        result.append(RankingRow(0, unit_id, u["name"], n_closed, average, n_on_time,
                                 round(100 * n_on_time / n_closed, 1) if n_closed else 0.0, n_closed - n_on_time,
                                 u["open_late"]))
    result.sort(key=lambda x: (x.average_score is None, -(x.average_score or 0), -x.on_time_rate, x.overdue,
                               x.unit))
    for index, row in enumerate(result, start=1):
        row.rank = index
    return result


def briefing_data(*, viewer, meeting_id: int, today: dt.date | None = None) -> BriefingData:
    """Everything the briefing says about one meeting's decisions: summary figures, the items grouped by area,
    the overdue items and the unit ranking for the meeting. ``NotFound`` for a meeting out of scope. Two queries
    (the meeting, its tasks with area, lead unit and latest report): the ranking is counted from the same rows."""
    today = today or today_local()
    meeting = (perms.meetings_visible_to(viewer).filter(pk=meeting_id)
               .defer("source_text", "extraction", "reports_heard").first())
    if meeting is None:
        raise NotFound()
    tasks = list(task_list(viewer=viewer, meeting_id=meeting.pk).exclude(status=TaskStatus.DRAFT)
                 .select_related(None).select_related("area", "lead_unit", "latest_report")
                 # the columns the briefing reads: building 600 wide model instances was most of the page
                 .only("meeting_id", "seq", "title", "area_id", "lead_unit_id", "latest_report_id", "deadline",
                       "deadline_text", "status", "progress_percent", "score", "closed_at", "area__name",
                       "area__sort_order", "lead_unit__name", "latest_report__text").prefetch_related(None)
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
                        sorted(late, key=lambda t: (t.deadline, t.pk)), _ranking_of(tasks, today))


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


def _filter_choices(viewer) -> tuple[QuerySet, QuerySet, QuerySet]:
    """What the dashboard's filters offer: meetings the viewer may see (newest first), areas, active units."""
    from duban.core.models import Area

    return (perms.meetings_visible_to(viewer).exclude(status="withdrawn").order_by("-date", "-id"),
            Area.objects.filter(is_active=True), perms.units_visible_to(viewer).filter(is_active=True))


def filter_options(*, viewer) -> FilterOptions:
    """Choices for the dashboard's filters (``_filter_choices``): the 200 newest meetings, areas, active units
    (three queries)."""
    meetings, areas, units = _filter_choices(viewer)
    return FilterOptions(list(meetings.only("id", "title", "date")[:200]), list(areas.only("id", "name")),
                         list(units.only("id", "name")))


def filter_option_values(*, viewer) -> FilterOptions:
    """``filter_options`` as plain tuples, for options built in one pass (the dashboard): meetings as
    ``(id, title, date)``, areas and units as ``(id, name)``, in the same order. Three queries, no model
    instances."""
    meetings, areas, units = _filter_choices(viewer)
    return FilterOptions(list(meetings.values_list("id", "title", "date")[:200]),
                         list(areas.values_list("id", "name")), list(units.values_list("id", "name")))


def ranking_period(params, *, today: dt.date | None = None) -> tuple[dt.date, dt.date, int | None]:
    """``from``/``to``/``meeting`` of the ranking page; by default this year up to today."""
    today = today or today_local()
    filters = dashboard_filters(params)
    return (filters.date_from or dt.date(today.year, 1, 1), filters.date_to or today, filters.meeting_id)
