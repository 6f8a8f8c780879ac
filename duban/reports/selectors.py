"""Every read of reporting: dashboard figures, the ranking, ledger lines, the briefing's content and the calendar
feed. Each starts from ``duban.tasks.selectors.task_list`` (itself scoped by ``tasks_visible_to``), so a chart,
an export or a feed never counts what its viewer may not open, and every figure is aggregated in SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import Avg, Case, CharField, Count, DateField, DecimalField, F, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from duban.core import selectors as core_selectors
from duban.core.errors import InvalidInput, NotFound
from duban.core.models import Unit
from duban.core.rows import lists_in_one, plain_rows
from duban.core.selectors import in_tree_order, unit_filter_list
from duban.extraction import default_calendar
from duban.extraction.deadlines import workdays_after
from duban.followup.lights import SUPERVISED_STATUSES, LightCodes
from duban.meetings.models import Meeting
from duban.meetings.permissions import meetings_visible_to
from duban.reports.ical import calendar_token_digest
from duban.reports.ledger import OTHER_SOURCE, LedgerLine
from duban.reports.scoring import ScoreRules, rules_for, score_of
from duban.tasks import permissions as perms
from duban.tasks.models import OPEN_STATUSES, ReportStatus, Task, TaskKind, TaskStatus, count_rows, shown_progress
from duban.tasks.palette import light_colours
from duban.tasks.selectors import (DUE_FILTERS, ISSUED, NO_AREA, TODO_FILTERS, UNIT_ROLES, list_filters, meeting_item_q,
                                   task_list, task_stats, today_local)

LIGHTS = (("red", "红灯"), ("yellow", "黄灯"), ("blue", "蓝灯"), ("green", "绿灯"), ("nodeadline", "无时限"),
          ("closed", "已办结"))
LIGHT_CODES = ("red", "yellow", "blue", "green", "nodeadline")
DEFAULT_WEEKS = 12
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class DashboardFilters:
    meeting_id: int | None = None
    area_id: int | None = None
    unit_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    subtree_id: int | None = None  # a unit: the figures of the tasks led by it or a unit under it (``Subtree``)

    def query(self) -> dict:
        """The filters as query-string values (for CSV links)."""
        out = {"meeting": self.meeting_id, "area": self.area_id, "unit": self.unit_id,
               "from": self.date_from.isoformat() if self.date_from else None,
               "to": self.date_to.isoformat() if self.date_to else None, "subtree": self.subtree_id}
        return {k: v for k, v in out.items() if v not in (None, "")}


# --- reports for a subtree of units (the city over its districts, a district over its townships) ---------------

@dataclass(frozen=True)
class Subtree:
    """A unit and every unit under it (``Unit.path`` prefix), as a report's scope. The counting rule, the same for
    every report: a task counts once, at its own lead unit, so it is in a subtree when its lead unit is. A task
    split into sub-tasks (分解下达) counts once as the directive, at the unit that leads it; each sub-task counts at
    its own lead unit. So the figures of sibling subtrees add up to their parent's, and nothing is counted twice
    or copied up. A subtree never widens what a viewer sees: it only narrows the viewer's own tasks."""
    unit_id: int
    name: str
    unit_ids: tuple[int, ...]

    def narrow(self, tasks: QuerySet[Task]) -> QuerySet[Task]:
        return tasks.filter(lead_unit_id__in=self.unit_ids)


def subtree_param(params) -> int | None:
    """The ``subtree`` parameter of a report's query string (a unit id), or None."""
    return _int(params.get("subtree"))


def subtree_get(*, viewer, unit_id: int | None) -> Subtree | None:
    """The subtree under ``unit_id`` (None for none), by the ``Unit.path`` prefix: two indexed queries, no walk.
    A unit the viewer may not see, or none with that id, is a clear error."""
    if unit_id is None:
        return None
    unit = perms.units_visible_to(viewer).filter(pk=unit_id).values_list("name", "path").first()
    if unit is None:
        raise InvalidInput("所选范围的单位不存在", "the unit of the report's scope does not exist")
    name, path = unit
    ids = tuple(Unit.objects.filter(path__startswith=path).values_list("id", flat=True)) if path else (unit_id,)
    return Subtree(unit_id, name, ids)


def subtree_choices(*, viewer) -> list[tuple[int, str]]:
    """The subtrees a report may be taken for, as ``(id, label)`` in tree order, each label indented by its depth:
    the active units that have units under them (the city, its districts, ...); for a unit's people, those in their
    own unit's subtree. One query."""
    units = Unit.objects.filter(is_active=True, children__isnull=False).distinct()
    if not perms.is_office(viewer):
        own = perms.unit_of(viewer)
        if own is None:
            return []
        units = units.filter(path__startswith=own.path)
    rows = sorted(units.values_list("id", "name", "path"), key=lambda r: [int(p) for p in r[2].strip("/").split("/")
                                                                           if p])
    return [(pk, "\u3000" * max(path.count("/") - 2, 0) + name) for pk, name, path in rows]


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
                               _date(params.get("from")), _date(params.get("to")), subtree_param(params))
    if filters.date_from and filters.date_to:
        if filters.date_from > filters.date_to:
            raise InvalidInput("开始日期不能晚于结束日期", "the start date is after the end date")
        if (filters.date_to - filters.date_from).days > MAX_DAYS:
            raise InvalidInput("统计期间不能超过三年", "the period must not exceed three years")
    return filters


def task_list_filters(params) -> dict:
    """The /tasks/ query string as ``task_list`` keywords, read by the list's own ``list_filters`` (so an export has
    the list's rows), and the reports' ``subtree`` (``ledger_lines``)."""
    return {**list_filters(params), "subtree_id": subtree_param(params)}


def _base(viewer, filters: DashboardFilters, subtree: Subtree | None = None) -> QuerySet[Task]:
    qs = task_list(viewer=viewer, meeting_id=filters.meeting_id, area_id=filters.area_id, unit_id=filters.unit_id)
    if subtree is not None:
        qs = subtree.narrow(qs)
    return qs.select_related(None).prefetch_related(None).order_by().exclude(status=TaskStatus.DRAFT)


def _late(today: dt.date) -> Q:
    return Q(status__in=OPEN_STATUSES, deadline__lt=today)


def _light_rows(scoped: QuerySet[Task], today: dt.date):
    """The other lights need report cycles and working days (``duban.followup.lights``): only supervised tasks
    not yet past their deadline, read as plain values (latest report joined) and classified by ``LightCodes``,
    which equals ``task_light`` at O(1) a task. One query, never one per row; plain rows (``plain_rows``):
    the two datetimes come as UTC text (``UtcText``), which ``LightCodes`` dates itself, ten times cheaper than
    the ORM's converters."""
    # Spelled as two (status, deadline) ranges so SQLite walks task_status_deadline_idx for the open tasks not yet
    # due (a MULTI-INDEX OR) instead of reading every supervised task's row to test its deadline.
    fields = LightCodes.columns()
    return plain_rows(scoped.filter(Q(status__in=SUPERVISED_STATUSES, deadline__gte=today)
                                     | Q(status__in=SUPERVISED_STATUSES, deadline__isnull=True))
                       .values_list("area_id", "lead_unit_id", *fields))


def _local_start(day: dt.date) -> dt.datetime:
    """The first instant of a local calendar day (so a range on ``closed_at`` can use an index)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class _Bucket(Func):
    """The index of the first of the ascending ``bounds`` (aware datetimes) that the column is before, or
    ``len(bounds)``: CASEs of plain comparisons written as one string, because ``Case(When(...))`` compiles at
    ~0.3 ms a branch and these have up to a hundred (a day each). The CASEs are nested as a binary search, so a row
    is compared with about log2 of the bounds, not with each bound up to its own: a million tasks' dashboard
    bucketed 39,000 tasks closed in its twelve weeks by day, 84 bounds, 100 ms of comparisons, 10 ms so. A NULL
    compares as no bound does, so it falls through to ``len(bounds)`` as in a flat CASE. The bounds are adapted
    as a filter on the column would be, so it means the same on SQLite and PostgreSQL."""

    output_field = IntegerField()

    def __init__(self, column: str, bounds: list[dt.datetime]):
        super().__init__(F(column))
        self.bounds = bounds

    def as_sql(self, compiler, connection, **extra_context):
        if not self.bounds:  # an empty period
            return "0", []
        column, column_params = compiler.compile(self.source_expressions[0])

        def first_before(lo: int, hi: int) -> tuple[str, list]:
            """The answer, known to be within lo..hi (hi: none of bounds[lo:hi])."""
            if lo == hi:
                return str(lo), []
            mid = (lo + hi) // 2
            before, before_params = first_before(lo, mid)
            after, after_params = first_before(mid + 1, hi)
            return (f"CASE WHEN {column} < %s THEN {before} ELSE {after} END",
                    [*column_params, connection.ops.adapt_datetimefield_value(self.bounds[mid]), *before_params,
                     *after_params])

        return first_before(0, len(self.bounds))


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


def _light_counts(stats, scoped: QuerySet[Task], today: dt.date, areas: dict, units: dict, lights: dict) -> dict:
    """The lights of a filtered dashboard, counted directly: red (supervised and past the deadline, which
    ``task_light`` checks first) and green while awaiting sign-off from the grouped counts (added to ``areas``,
    ``units`` and ``lights`` here), the others by the light rule (``LightCodes``) over the supervised tasks not
    yet due, returned as {(area, lead unit, code): n}."""
    for groups, rows, with_totals in zip(stats.counts, (areas, units), (True, False)):
        for (pk, status), (n, late) in groups.items():
            for code, add in (("red", late if status in SUPERVISED_STATUSES else 0),
                              ("green", n if status == TaskStatus.CLOSE_REQUESTED else 0)):
                rows[pk][code] += add
                if with_totals:
                    lights[code] += add
    codes = LightCodes(today)
    light_counts: dict = {}
    for area_id, unit_id, *values in _light_rows(scoped, today):
        key = (area_id, unit_id, codes(*values))
        light_counts[key] = light_counts.get(key, 0) + 1
    return light_counts


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
    scope: str = ""  # the subtree's unit, when the figures are taken for one

    def charts(self) -> dict:
        """Figures for the charts (JSON-ready)."""
        return {
            "lights": [{"code": code, "name": name, "value": self.lights.get(code, 0)} for code, name in LIGHTS],
            "by_area": self.by_area, "by_unit": self.by_unit,
            "weeks": [dict(w, week=w["week"].isoformat()) for w in self.weeks],
            "palette": light_colours(),
        }


def dashboard_stats(*, viewer, filters: DashboardFilters | None = None, today: dt.date | None = None,
                    overdue_limit: int = 200) -> Dashboard:
    """Completion and lights by area and by lead unit, completed and overdue per week, and the overdue list. A
    period (``from``/``to``) limits the area/unit figures to tasks due in it and sets the weeks shown (default:
    the twelve weeks up to today). ``subtree``: only the tasks led in that unit subtree (``Subtree``). A fixed
    number of queries whatever the number of tasks."""
    filters = filters or DashboardFilters()
    today = today or today_local()
    subtree = subtree_get(viewer=viewer, unit_id=filters.subtree_id)
    base = _base(viewer, filters, subtree)
    scoped = base
    if filters.date_from:
        scoped = scoped.filter(deadline__gte=filters.date_from)
    if filters.date_to:
        scoped = scoped.filter(deadline__lte=filters.date_to)
    # The figures of the home page (one implementation), then the lights per area and unit: red (supervised and
    # past the deadline, which ``task_light`` checks first) and green while awaiting sign-off from the same grouped
    # counts, the others through the light rule (``LightCodes``) over the supervised tasks not yet due. A task
    # split into sub-tasks is counted by its own row with its kept rolled-up progress (``Task.rolled_progress``):
    # exactly its light under the "all" and "share" roll-ups; under "worst" the floor of its reddest sub-task is
    # not added here, since that sub-task is counted in its own right in the same tally (a task list shows it).
    # Without a filter but the subtree, the figures and the lights come from the counts kept per unit and day.
    stats = task_stats(viewer=viewer, tasks=scoped, unfiltered=filters == DashboardFilters(subtree_id=filters.subtree_id),
                       subtree=subtree.unit_ids if subtree else None, today=today)
    areas = {row["id"]: row for row in stats.by_area}
    units = {row["id"]: row for row in stats.by_unit}
    lights = dict.fromkeys(LIGHT_CODES, 0)
    for row in (*stats.by_area, *stats.by_unit):
        row.update(dict.fromkeys(LIGHT_CODES, 0))
    if stats.lights is not None:
        light_counts = stats.lights
    else:
        light_counts = {}
        for (area_id, unit_id, code), n in _light_counts(stats, scoped, today, areas, units, lights).items():
            for key in (("area", area_id, code), ("lead", unit_id, code)):
                light_counts[key] = light_counts.get(key, 0) + n
    for (axis, key, code), n in light_counts.items():
        if code in LIGHT_CODES:
            (areas if axis == "area" else units)[key][code] += n
            if axis == "area":
                lights[code] += n
    lights["closed"] = stats.closed
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
    return Dashboard(filters, today, stats.total, stats.closed, stats.overdue, stats.completion_rate, lights,
                     stats.by_area, stats.by_unit, weeks, overdue_tasks, week_from, week_to,
                     subtree.name if subtree else "")


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
    tasks: int = 0
    adjustment: float = 0.0
    adjustments: list = field(default_factory=list)

    @property
    def overdue(self) -> int:
        return self.closed_late + self.overdue_open

    @property
    def on_time_rate_label(self) -> str:
        """按时办结率 as every page and document shows it: "66.7%", or "—" while the unit has closed nothing (no
        rate: not 0%)."""
        return f"{self.on_time_rate:.1f}%" if self.closed else "—"

    @property
    def total_score(self) -> float | None:
        """The average score plus the manual 加减分; none while the unit has closed nothing scored."""
        return None if self.average_score is None else round(self.average_score + self.adjustment, 1)


UNRANKED_STATUSES = (TaskStatus.DRAFT, TaskStatus.WITHDRAWN)  # not (or no longer) a unit's task


def unit_ranking(*, viewer, date_from: dt.date | None = None, date_to: dt.date | None = None,
                 meeting_id: int | None = None, today: dt.date | None = None,
                 subtree: Subtree | None = None, rules: ScoreRules | None = None) -> list[RankingRow]:
    """Every lead unit with tasks in the period (assigned by its end and not closed before its start), ranked by
    the average score of its tasks plus the manual 加减分 of the period, then by on-time rate, then by fewer
    overdue tasks (units level on all three share a place): tasks, tasks closed, on-time rate, closed late, still
    open past the deadline, and each adjustment with its author. The average takes every task of the period: one
    closed in it by its stored score, one still open by the score it would get if closed at the period's end (or
    today): the on-time points while its deadline has not passed, late by the working days so far once it has
    (``score_of``; not stored). A unit does not rank above others by leaving its overdue work open. ``subtree``:
    the units of that subtree only, each with the tasks it leads. ``rules``: those in force at the period's end
    (``ranking_cutoff``), when the caller has read them. Three queries: those rules (unless given), the counts
    with the names, and the adjustments."""
    today = today or today_local()
    base = task_list(viewer=viewer, meeting_id=meeting_id).select_related(None).prefetch_related(None).order_by()
    base = base.filter(lead_unit__isnull=False) if subtree is None else subtree.narrow(base)
    # the period as closed_at ranges from local midnights (the local day of closing, as ``day`` says), so the
    # (lead unit, status, closed_at) index finds the tasks closed in it without dating every closed task
    closed = base.filter(status=TaskStatus.CLOSED).annotate(day=TruncDate("closed_at"))
    if date_from:
        closed = closed.filter(closed_at__gte=_local_start(date_from))
    if date_to:
        closed = closed.filter(closed_at__lt=_local_start(date_to + dt.timedelta(days=1)))
    on_time = Q(deadline__isnull=True) | Q(day__lte=F("deadline"))
    cutoff = ranking_cutoff(date_to, today)
    in_period = base.exclude(status__in=UNRANKED_STATUSES)
    if date_to:
        in_period = in_period.filter(Q(assigned_at__isnull=True) | Q(assigned_at__date__lte=date_to))
    if date_from:
        in_period = in_period.exclude(closed_at__date__lt=date_from)
    # The three counts per lead unit (each from its own index) and the units' names, in one statement: a UNION
    # ALL of the grouped parts, (part, unit, tasks, on time, average score, name). The names are every unit's (a
    # few hundred short rows), not those of the units found, which would take a second statement.
    zero, no_name = Value(0, output_field=IntegerField()), Value(None, output_field=CharField())
    no_average = Value(None, output_field=DecimalField())
    rules = rules or rules_for(cutoff)[0]
    late_day, late_returns = F("deadline"), F("returns_count")
    floor_on = _floor_deadline(rules, cutoff)
    if floor_on is not None:
        # a task this late scores the floor however often it was returned: one group for all of them (a
        # province's overdue tasks, months late, in a few hundred groups instead of one a unit and day)
        far = Q(deadline__lte=floor_on)
        late_day = Case(When(far, then=Value(floor_on)), default=F("deadline"), output_field=DateField())
        late_returns = Case(When(far, then=zero), default=F("returns_count"), output_field=IntegerField())
    parts = [
        closed.values_list(Value("closed"), "lead_unit_id").annotate(
            n=Count("id"), on_time=Count("id", filter=on_time), average=Avg("score"), name=no_name,
            scored=Count("score")),
        # open past the deadline, by (unit, returns, deadline), what a score as if closed today needs: the part's
        # columns carry (returns, tasks, -, the deadline as text, -)
        base.filter(status__in=OPEN_STATUSES, deadline__lt=cutoff).values_list(
            Value("late"), "lead_unit_id", late_returns).annotate(
            on_time=count_rows(), average=no_average, name=Cast(late_day, CharField()), scored=zero),
        in_period.values_list(Value("all"), "lead_unit_id").annotate(n=count_rows(), on_time=zero,
                                                                      average=no_average, name=no_name, scored=zero),
        # open and not past the deadline at the cutoff: on track, the on-time points if closed that day
        in_period.filter(status__in=OPEN_STATUSES).exclude(deadline__lt=cutoff).values_list(
            Value("track"), "lead_unit_id").annotate(n=count_rows(), on_time=zero, average=no_average, name=no_name,
                                                     scored=zero),
        Unit.objects.order_by().values_list(Value("name"), "pk", zero, zero, no_average, "name", zero),
    ]
    rows: dict[int, dict] = {}
    open_late: dict[int, int] = {}
    late_groups: dict[int, list[tuple[str, int, int]]] = {}
    counts: dict[int, int] = {}
    on_track: dict[int, int] = {}
    names: dict[int, str] = {}
    for part, unit_id, n, n_on_time, average, name, scored in parts[0].union(*parts[1:], all=True):
        if part == "closed":
            rows[unit_id] = {"closed": n, "on_time": n_on_time, "average": average, "scored": scored}
        elif part == "late":
            open_late[unit_id] = open_late.get(unit_id, 0) + n_on_time
            late_groups.setdefault(unit_id, []).append((name, n or 0, n_on_time))
        elif part == "all":
            counts[unit_id] = n
        elif part == "track":
            on_track[unit_id] = n
        else:
            names[unit_id] = name
    late_scores = _scores_if_closed(late_groups, on_track, cutoff, rules)
    unit_ids = set(rows) | set(open_late) | set(counts)
    adjustments = _adjustments(base, unit_ids, date_from, date_to, meeting_id)
    result = []
    for unit_id in unit_ids:
        r = rows.get(unit_id)
        n_closed = r["closed"] if r else 0
        n_on_time = r["on_time"] if r else 0
        total, weight = late_scores.get(unit_id, (0.0, 0))
        if r and r["average"] is not None:
            total, weight = total + float(r["average"]) * r["scored"], weight + r["scored"]
        average = round(total / weight, 1) if weight else None
        mine = adjustments.get(unit_id, [])
        result.append(RankingRow(0, unit_id, names.get(unit_id, ""), n_closed, average, n_on_time,
                                 round(100 * n_on_time / n_closed, 1) if n_closed else 0.0, n_closed - n_on_time,
                                 open_late.get(unit_id, 0), counts.get(unit_id, 0),
                                 round(float(sum(a["points"] for a in mine)), 1), mine))

    def standing(x: RankingRow) -> tuple:
        return x.total_score is None, -(x.total_score or 0), -x.on_time_rate, x.overdue

    # Units level on every figure share a place (并列), listed by name, and the next place is counted after
    # them ("1, 2, 2, 4"): a place the figures do not earn would tell a leader one unit did better.
    result.sort(key=lambda x: (standing(x), x.unit))
    for index, row in enumerate(result, start=1):
        row.rank = result[index - 2].rank if index > 1 and standing(result[index - 2]) == standing(row) else index
    return result


def ranking_cutoff(date_to: dt.date | None, today: dt.date) -> dt.date:
    """The day a ranking's open tasks are scored as if closed: the period's end, today at most."""
    return min(date_to, today) if date_to else today


def _floor_deadline(rules: ScoreRules, day: dt.date) -> dt.date | None:
    """The latest deadline from which a task still open on ``day`` scores the floor (``score_of``) whatever else,
    or None when lateness never brings it there (no points off a day late)."""
    if rules.per_overdue_workday <= 0:
        return None
    is_workday = default_calendar().is_workday
    late, deadline = 0, day
    while score_of(rules, late=late) > rules.floor:
        if (day - deadline).days > 36_600:
            return None
        deadline -= dt.timedelta(days=1)
        late += workdays_after(deadline, deadline + dt.timedelta(days=1), is_workday)
    return deadline


def _scores_if_closed(late: dict[int, list[tuple[str, int, int]]], on_track: dict[int, int],
                      day: dt.date, rules: ScoreRules) -> dict[int, tuple]:
    """For each unit, (sum, number) of the scores its open tasks would get if closed on ``day``, with the rules in
    force that day (``score_of``, the rule that scores a closed task: one rule): ``late`` the tasks past their
    deadline, as (deadline "YYYY-MM-DD", returns, tasks); ``on_track`` the number of the others, which would be
    closed on time. The working days late are counted once over the span of the deadlines, from the latest back
    (a million tasks' deadlines spread over years: each counted to ``day`` on its own took a second)."""
    if not late and not on_track:
        return {}
    is_workday = default_calendar().is_workday
    days_late: dict[str, int] = {}
    counted, since = 0, day
    for text in sorted({key[0] for parts in late.values() for key in parts}, reverse=True):
        deadline = dt.date.fromisoformat(str(text)[:10])
        counted += workdays_after(deadline, since, is_workday)  # days after it up to the later one, then on
        since = deadline
        days_late[text] = counted
    scores: dict[tuple[str, int], float] = {}
    out = {}
    for unit_id in set(late) | set(on_track):
        number = on_track.get(unit_id, 0)
        total = float(rules.on_time) * number
        for text, returns, n in late.get(unit_id, ()):
            points = scores.get((text, returns))
            if points is None:
                points = scores[text, returns] = float(score_of(rules, late=days_late[text], returns=returns))
            total += points * n
            number += n
        out[unit_id] = (total, number)
    return out


def _adjustments(tasks, unit_ids, date_from, date_to, meeting_id) -> dict[int, list[dict]]:
    """The manual 加减分 of the period for ``unit_ids``: those on a task only where the task is among ``tasks``
    (the viewer's, the meeting's); those on no task only in a ranking not limited to one meeting."""
    from duban.reports.models import ScoreAdjustment

    qs = ScoreAdjustment.objects.filter(unit_id__in=unit_ids)
    if date_from:
        qs = qs.filter(on__gte=date_from)
    if date_to:
        qs = qs.filter(on__lte=date_to)
    on_tasks = Q(task__in=tasks.values("pk"))
    qs = qs.filter(on_tasks if meeting_id else on_tasks | Q(task__isnull=True))
    out: dict[int, list[dict]] = {}
    for unit_id, task_id, points, reason, on, username, author in qs.values_list(
            "unit_id", "task_id", "points", "reason", "on", "created_by__username",
            "created_by__profile__display_name"):
        out.setdefault(unit_id, []).append({"task_id": task_id, "points": points, "reason": reason, "on": on,
                                            "author": author or username})
    return out


# --- ledger ------------------------------------------------------------------------------------------------------

def _progress(task: Task) -> str:
    """The latest report's text after the task's percent; a close request the office returned is said to be
    returned (the 100% it claimed is not the task's progress), with the office's reason. Reads
    ``task.latest_report``'s text, status, request_close and review_comment."""
    report = task.latest_report if task.latest_report_id else None
    text = report.text.strip() if report is not None else ""
    if report is not None and report.request_close and report.status == ReportStatus.RETURNED:
        reason = (report.review_comment or "").strip()
        return "办结申请已退回" + (f"（{reason}）" if reason else "") + (f"；{text}" if text else "")
    percent = f"{task.progress_percent}%" if task.progress_percent else ""
    return "；".join(p for p in (percent, text) if p)


def ledger_source(meeting) -> str:
    """来源会议/文号 of a task's meeting: its title, with the date when the title does not say it (as 2024-09-29
    or 2024年9月29日)."""
    if meeting is None:
        return OTHER_SOURCE
    when = meeting.date.isoformat() if meeting.date else meeting.date_text
    if meeting.date and f"{meeting.date.year}年{meeting.date.month}月{meeting.date.day}日" in meeting.title:
        return meeting.title
    return meeting.title if not when or when in meeting.title else f"{meeting.title}（{when}）"


_KIND_ORDER = {kind: n for n, kind in enumerate(TaskKind.values)}


def _ledger_sheet(task: Task, name: str | None) -> tuple[str, str, tuple]:
    """(来源会议/文号, the sheet of 按会议分表, the sheet's place) of a task: its meeting (sheets by the meeting's
    date), else the record it came from (批示 with its 文号, a case's number, …; one sheet a kind, after the
    meetings), else 其他来源 (last). ``name``: the record's (``page_parts.source_name``)."""
    if name is not None:
        return name, str(TaskKind(task.kind).label), (1, _KIND_ORDER.get(task.kind, 0))
    if task.meeting_id is None:
        return OTHER_SOURCE, OTHER_SOURCE, (2,)
    meeting = task.meeting
    return ledger_source(meeting), ledger_source(meeting), (
        0, meeting.date or dt.date.max, meeting.pk)


def _ledger_origins(tasks: list[Task]) -> dict[int, Task]:
    """The task each sub-task (分解下达) takes its 来源 from in a ledger: the root of its split (``tree_path``
    "/<root>/.../<task>/"), which holds the meeting or the record (领导批示 and its 文号, …) the work came from; a
    sub-task has no record of its own. One query for the roots (with the column ``source_name`` reads), none when
    nothing is split."""
    from duban.tasks.page_parts import source_name_column

    root_of = {t.pk: int(t.tree_path.split("/")[1]) for t in tasks if t.tree_path.count("/") > 2
               and int(t.tree_path.split("/")[1]) != t.pk}
    if not root_of:
        return {}
    roots = {r.pk: r for r in Task.objects.filter(pk__in=set(root_of.values())).select_related("meeting")
             .only("kind", "meeting__title", "meeting__date", "meeting__date_text")
             .annotate(source_record=source_name_column())}
    return {pk: roots[root] for pk, root in root_of.items() if root in roots}


def ledger_lines(*, viewer, status=None, subtree_id: int | None = None, today: dt.date | None = None,
                 overdue=None, due=None, todo=None, facts: bool = False, **filters) -> tuple[list[LedgerLine], str]:
    """The rows of an exported ledger (every column of ``ledger.LEDGER_COLUMNS``): the task list's rows by its
    filters (``task_list``'s keywords, as ``list_filters`` reads them), with a subtitle naming the filters; with
    ``subtree_id``, the tasks led in that unit subtree (``Subtree``). Three queries whatever the size
    (two more for a subtree, one for the sub-tasks of split ones): the tasks with their meeting, area, lead unit and latest report; the names of their
    cooperating units in the units' own order; the follow-ups (督办次数) per task."""
    from duban.followup.lights import lights_for
    from duban.followup.models import ReminderSent
    from duban.reports.ledger import task_key
    from duban.tasks.page_parts import source_facts as page_source_facts
    from duban.tasks.page_parts import source_name, source_name_column

    today = today or today_local()
    qs = task_list(viewer=viewer, status=status, overdue=overdue, due=due, todo=todo, today=today,
                   **filters).select_related(None).prefetch_related(None)
    subtree = subtree_get(viewer=viewer, unit_id=subtree_id)
    if subtree is not None:
        qs = subtree.narrow(qs)
    coop: dict[int, list[str]] = {}
    for task_id, name in (Task.coop_units.through.objects.filter(task_id__in=qs.values("pk"))
                          .order_by("unit__sort_order", "unit_id").values_list("task_id", "unit__name")):
        coop.setdefault(task_id, []).append(name)
    followups = dict(ReminderSent.objects.filter(task_id__in=qs.values("pk")).values("task_id")
                     .annotate(n=Count("id")).values_list("task_id", "n"))
    labels = {value: str(label) for value, label in TaskStatus.choices}
    lines = []
    tasks = (qs.select_related("meeting", "area", "lead_unit", "latest_report")
             .only("kind", "title", "text", "status", "deadline", "deadline_text", "progress_percent", "assigned_at", "parent",
                   "closed_at", "report_cycle", "report_every", "returns_count", "meeting__title", "meeting__date",
                   "meeting__date_text", "area__name", "lead_unit__name", "lead_unit__contact_name",
                   "lead_unit__contact_phone", "latest_report__text",
                   "latest_report__status", "latest_report__request_close", "latest_report__review_comment",
                   "latest_report__created_at", "rolled_progress", "rollup_mode", "tree_path", "schedule_start")
             .annotate(source_record=source_name_column()))
    tasks = list(tasks)
    lights = lights_for(tasks, today)  # a split task's rolled up: one more read for the split ones' sub-tasks
    origins = _ledger_origins(tasks)
    # a source's own sheet (按会议分表) adds its records' key facts; a sub-task shows its root's record's
    records = (page_source_facts({origins.get(t.pk, t).pk for t in tasks if t.kind != TaskKind.MEETING}) if facts
               else {})
    for task in tasks:
        light = lights[task.pk]
        origin = origins.get(task.pk, task)
        source, sheet, order = _ledger_sheet(origin, source_name(origin.kind, origin.source_record))
        lines.append(LedgerLine(sheet, order=order, values={
            "任务编号": task_key(task.pk), "上级任务编号": task_key(task.parent_id) if task.parent_id else "",
            "来源会议/文号": source, "督办事项": task.title, "督办内容": task.text,
            "领域": task.area.name if task.area else "", "牵头单位": task.lead_unit.name if task.lead_unit else "",
            "配合单位": "、".join(coop.get(task.pk, ())), "时限": task.deadline or task.deadline_text,
            "状态": labels.get(task.status, task.status), "亮灯": light.label,
            "进度（%）": shown_progress(task.status, task.progress_percent, task.rolled_progress),
            "交办日期": timezone.localdate(task.assigned_at) if task.assigned_at else None,
            "办结日期": timezone.localdate(task.closed_at) if task.closed_at else None,
            "最新进展": _progress(task), "责任领导/联系人": _contact(task.lead_unit),
            "督办次数": followups.get(task.pk, 0),
            "备注": _remark(task)}, facts=records.get(origin.pk, {})))
    parts = [f"{subtree.name}及其所属单位牵头"] if subtree else []
    if filters.get("kind") in TaskKind.values:
        parts.append(str(TaskKind(filters["kind"]).label))
    if status:
        parts.append(_status_label(status))
    if overdue:
        parts.append("逾期")
    parts += [labels[key] for labels, key in ((DUE_FILTERS, due), (TODO_FILTERS, todo)) if key in labels]
    parts.append(f"导出日期{today.isoformat()}")
    return lines, "，".join(parts)


_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _status_label(status: str) -> str:
    """A ``status`` filter's name (a status, or ``ISSUED``)."""
    if status == ISSUED:
        return "不含草稿"
    return str(TaskStatus(status).label) if status in TaskStatus.values else status


def ledger_file_name(*, viewer, status=None, area_id=None, unit_id=None, unit_role=None, meeting_id=None,
                     kind=None, overdue=None, due=None, todo=None, subtree_id: int | None = None, per_meeting: bool = False,
                     today: dt.date | None = None) -> str:
    """The name of an exported ledger: 督办事项台账, what it was filtered by (the meeting's title, the scope, the
    unit and its role, the area, the source, the status, 逾期, the 时限 and 待办 filters), 按会议分表, and the day, e.g.
    督办事项台账-市委常委会第12次会议-2024-09-30.xlsx. Names the viewer may not see are left out."""
    from duban.core.models import Area

    parts = []
    if meeting_id is not None:
        title = meetings_visible_to(viewer).filter(pk=meeting_id).values_list("title", flat=True).first()
        parts.append((title or "")[:30])
    for pk, suffix in ((subtree_id, "及所属单位"), (unit_id, UNIT_ROLES.get(unit_role, ""))):
        if pk is not None:
            name = perms.units_visible_to(viewer).filter(pk=pk).values_list("name", flat=True).first()
            parts.append(f"{name}{suffix}" if name else "")
    if area_id == NO_AREA:
        parts.append("未分类")
    elif area_id is not None:
        parts.append(Area.objects.filter(pk=area_id).values_list("name", flat=True).first() or "")
    if kind in TaskKind.values:
        parts.append(str(TaskKind(kind).label))
    if status:
        parts.append(_status_label(status) if status in TaskStatus.values or status == ISSUED else "")
    if overdue:
        parts.append("逾期")
    parts += [labels[key] for labels, key in ((DUE_FILTERS, due), (TODO_FILTERS, todo)) if key in labels]
    if per_meeting:
        parts.append("按会议分表")
    parts.append((today or today_local()).isoformat())
    cleaned = (_NOT_IN_FILE_NAMES.sub("", " ".join(part.split())) for part in ["督办事项台账", *parts])
    return "-".join(part for part in cleaned if part) + ".xlsx"


def _contact(unit) -> str:
    """责任领导/联系人: the lead unit's registered contact and telephone (units record no leader per task)."""
    if unit is None:
        return ""
    return " ".join(p for p in (unit.contact_name, unit.contact_phone) if p)


def _remark(task: Task) -> str:
    """What a reader of the ledger must not miss: a close request the office sent back, or one pending."""
    report = task.latest_report if task.latest_report_id else None
    if report is not None and report.request_close and report.status == ReportStatus.RETURNED:
        return "办结申请已退回，继续办理"
    if task.status == TaskStatus.CLOSE_REQUESTED:
        return "已申请办结，待审核"
    return ""


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
    meeting_day: str = ""  # 2024年9月29日, never empty (see meeting_day)
    # leaders' 批示 on the items: (task, its comments oldest first), in the order the items are listed
    comments: list[tuple[Task, list]] = field(default_factory=list)
    scope: str = ""  # the subtree's unit, when the briefing is taken for one


def _meeting_date(meeting) -> dt.date | None:
    """The meeting's date: its date; for a communique that gave only month and day ("09-29"), that day in the year
    the meeting record was made (the year before, if the day would come after the record); else None."""
    from django.utils import timezone as tz

    if meeting.date:
        return meeting.date
    parts = (meeting.date_text or "").split("-")[-2:]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    recorded = tz.localdate(meeting.created_at) if meeting.created_at else today_local()
    month, day = int(parts[0]), int(parts[1])
    try:
        return dt.date(recorded.year - 1 if (month, day) > (recorded.month, recorded.day) else recorded.year,
                       month, day)
    except ValueError:  # no such day ("02-30", or 02-29 outside a leap year)
        return None


def meeting_day(meeting) -> str:
    """The meeting's date as the briefing states it (``_meeting_date``); with no date at all, the day the record
    was made, said to be the record's."""
    from django.utils import timezone as tz

    when = _meeting_date(meeting)
    if when is not None:
        return f"{when.year}年{when.month}月{when.day}日"
    recorded = tz.localdate(meeting.created_at) if meeting.created_at else today_local()
    return f"{recorded.year}年{recorded.month}月{recorded.day}日（录入日期）"


@dataclass
class CircularData:
    """What the 督查通报 says: totals, the overdue items (oldest deadline first), the ranking; ``serial`` numbers
    the 发文字号 (``document_number_in_txn``)."""
    today: dt.date
    serial: int
    total: int
    closed: int
    overdue_tasks: list[Task]
    ranking: list[RankingRow]
    scope: str = ""  # the subtree's unit, when the circular is taken for one


def circular_data(*, viewer, serial: int, today: dt.date | None = None,
                  subtree: Subtree | None = None) -> CircularData:
    """The 督查通报's content over every task the viewer may see (drafts and withdrawn ones left out), or over
    those led in ``subtree``."""
    today = today or today_local()
    tasks = task_list(viewer=viewer).exclude(status__in=UNRANKED_STATUSES).select_related(None).prefetch_related(
        None)
    if subtree is not None:
        tasks = subtree.narrow(tasks)
    counts = tasks.aggregate(total=count_rows(), closed=Count("id", filter=Q(status=TaskStatus.CLOSED)))
    late = list(tasks.filter(status__in=OPEN_STATUSES, deadline__lt=today).select_related("lead_unit")
                .order_by("lead_unit__sort_order", "lead_unit_id", "deadline", "id"))
    for task in late:
        task.days_overdue = (today - task.deadline).days
    return CircularData(today, serial, counts["total"], counts["closed"], late,
                        unit_ranking(viewer=viewer, today=today, subtree=subtree), subtree.name if subtree else "")


def briefing_title(meeting, today: dt.date | None = None) -> str:
    """关于X月X日市委常委会会议决定事项落实情况的通报 — from the meeting's date (``_meeting_date``) and body; a
    meeting of another year than the document's (``today``) is named with its year: 关于2025年5月29日…."""
    held, today = _meeting_date(meeting), today or today_local()
    if held is None:
        when = ""
    elif held.year != today.year:
        when = f"{held.year}年{held.month}月{held.day}日"
    else:
        when = f"{held.month}月{held.day}日"
    body = (meeting.body or "").strip() or "市委常委会"
    if not body.endswith("会议"):
        body += "会议"
    return f"关于{when}{body}决定事项落实情况的通报"


def briefing_data(*, viewer, meeting_id: int, today: dt.date | None = None,
                  subtree: Subtree | None = None) -> BriefingData:
    """Everything the briefing says about one meeting's decisions: summary figures, the items grouped by area,
    the overdue items, the unit ranking for the meeting (``unit_ranking``, the one ranking rule) and the leaders'
    批示 on the items, over the tasks led in ``subtree`` when one is given. ``NotFound`` for a meeting out of
    scope. The meeting, its tasks with area, lead unit and latest report, the ranking's two grouped queries, and
    the 批示 with their authors."""
    today = today or today_local()
    meeting = (meetings_visible_to(viewer).filter(pk=meeting_id)
               .defer("source_text", "extraction", "reports_heard").first())
    if meeting is None:
        raise NotFound()
    scoped = task_list(viewer=viewer, meeting_id=meeting.pk)
    if subtree is not None:
        scoped = subtree.narrow(scoped)
    # the meeting's items (决定事项), not the sub-tasks they were split into (their progress rolls up to them)
    items = meeting_item_q(scoped.order_by().values("pk"), all_visible=subtree is None and perms.is_office(viewer))
    tasks = list(scoped.filter(items).exclude(status=TaskStatus.DRAFT)
                 .select_related(None).select_related("area", "lead_unit", "latest_report")
                 # the columns the briefing reads: building 600 wide model instances was most of the page
                 .only("meeting_id", "seq", "title", "area_id", "lead_unit_id", "latest_report_id", "deadline",
                       "deadline_text", "status", "progress_percent", "score", "closed_at", "area__name",
                       "area__sort_order", "lead_unit__name", "latest_report__text",
                       "latest_report__status", "latest_report__request_close", "latest_report__review_comment").prefetch_related(None)
                 # the tasks of no area last, under 其他, on every database (NULL sorts first on SQLite)
                 .order_by(F("area__sort_order").asc(nulls_last=True), F("area_id").asc(nulls_last=True),
                           "seq", "id"))
    closed = sum(t.status == TaskStatus.CLOSED for t in tasks)
    late = [t for t in tasks if t.status in OPEN_STATUSES and t.deadline and t.deadline < today]
    areas: dict[str, list[Task]] = {}
    for task in tasks:
        areas.setdefault(task.area.name if task.area else "其他", []).append(task)
    for task in late:
        task.days_overdue = (today - task.deadline).days
    return BriefingData(meeting, briefing_title(meeting, today), today, len(tasks), closed, len(tasks) - closed,
                        len(late), round(100 * closed / len(tasks), 1) if tasks else 0.0, list(areas.items()),
                        sorted(late, key=lambda t: (t.deadline, t.pk)),
                        unit_ranking(viewer=viewer, meeting_id=meeting.pk, today=today, subtree=subtree),
                        meeting_day(meeting),
                        _briefing_comments(meeting.pk, [t for area_tasks in areas.values() for t in area_tasks]),
                        subtree.name if subtree else "")


def _briefing_comments(meeting_id: int, tasks: list[Task]) -> list[tuple[Task, list]]:
    """Leaders' 批示 on the listed tasks (already scoped to the viewer), with their authors: one query."""
    from duban.followup.models import LeaderComment

    listed = {t.pk: t for t in tasks}
    found: dict[int, list] = {}
    for comment in (LeaderComment.objects.filter(task__meeting_id=meeting_id).select_related("author__profile")
                    .order_by("created_at", "id")):
        if comment.task_id in listed:
            found.setdefault(comment.task_id, []).append(comment)
    return [(task, found[task.pk]) for task in tasks if task.pk in found]


def latest_progress(task: Task) -> str:
    return _progress(task) or "暂无报送"


# --- calendar feed -----------------------------------------------------------------------------------------------

def calendar_token_get(*, token: str):
    """The feed's owner for a token, or ``NotFound`` (a wrong token is indistinguishable from a missing one)."""
    from duban.reports.models import CalendarToken

    if not token or len(token) > 64:
        raise NotFound()
    row = CalendarToken.objects.select_related("user", "user__profile", "user__profile__unit").filter(
        token=calendar_token_digest(token), user__is_active=True).first()
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


def _filter_choices(viewer, subtree: Subtree | None = None) -> tuple[QuerySet, QuerySet, QuerySet]:
    """What the dashboard's filters offer: meetings the viewer may see (newest first), areas, the units of the task
    list's 单位 filter (``unit_filter_list``: a district's its own subtree, not the city's units). Under a
    ``subtree``, the meetings of the viewer's tasks led there (a subset of those the viewer may see, read from the
    lead units' covering index instead of testing every meeting against the viewer's whole scope)."""
    from duban.core.models import Area

    meetings = meetings_visible_to(viewer)
    if subtree is not None:
        meetings = Meeting.objects.filter(pk__in=subtree.narrow(task_list(viewer=viewer)).order_by()
                                          .values("meeting_id"))
    return (meetings.exclude(status="withdrawn").order_by("-date", "-id"),
            Area.objects.filter(is_active=True), unit_filter_list(viewer=viewer))


def filter_options(*, viewer) -> FilterOptions:
    """Choices for the dashboard's filters (``_filter_choices``): the 200 newest meetings, areas, active units
    (three queries)."""
    meetings, areas, units = _filter_choices(viewer)
    read = {unit.pk: unit for unit in units.only("id", "name", "path", "sort_order")}  # one statement
    tree = in_tree_order((unit.pk, unit.name, unit.path, unit.sort_order) for unit in read.values())
    return FilterOptions(list(meetings.only("id", "title", "date")[:200]), list(areas.only("id", "name")),
                         [read[pk] for pk, _name in tree])


def filter_option_values(*, viewer, subtree_id: int | None = None) -> FilterOptions:
    """``filter_options`` as plain tuples, for options built in one pass (the dashboard): meetings as
    ``(id, title, date)``, areas and units as ``(id, name)``, in the same order; the meetings of a subtree's tasks
    under ``subtree_id``. One query (three with a subtree), no model instances: a UNION ALL of the three lists,
    each row with its list and its place in that list's order (the 200 newest meetings by a sliced subquery of
    their ids, as SQLite allows no LIMIT in a part of a compound statement)."""
    meetings, areas, units = _filter_choices(viewer, subtree_get(viewer=viewer, unit_id=subtree_id))
    # typed NULLs: PostgreSQL takes a bare NULL as text, which an integer column of another part does not match
    no_date, no_path, no_order = (Value(None, output_field=DateField()), Cast(Value(None), output_field=CharField()),
                                  Cast(Value(None), output_field=IntegerField()))
    lists = lists_in_one({
        "m": (Meeting.objects.filter(pk__in=meetings.values("pk")[:200]).order_by(*meetings.query.order_by),
              ("id", "title", "date", no_path, no_order)),
        "a": (areas, ("id", "name", no_date, no_path, no_order)),
        "u": (units, ("id", "name", no_date, "path", "sort_order"))})
    lists["m"] = [row[:3] for row in lists["m"]]
    lists["a"] = [(pk, name) for pk, name, *_ in lists["a"]]
    lists["u"] = in_tree_order((pk, name, path, order) for pk, name, _, path, order in lists["u"])
    return FilterOptions(lists["m"], lists["a"], lists["u"])


def ranking_period(params, *, today: dt.date | None = None) -> tuple[dt.date, dt.date, int | None]:
    """``from``/``to``/``meeting`` of the ranking page; by default this year up to today."""
    today = today or today_local()
    filters = dashboard_filters(params)
    return (filters.date_from or dt.date(today.year, 1, 1), filters.date_to or today, filters.meeting_id)


# --- ledger re-import ----------------------------------------------------------------------------------------------

@dataclass
class LedgerChange:
    """What one line of an edited ledger changes in its task (任务编号): the fields for ``task_update``, the new
    cooperating units (None: unchanged), the new status (None: unchanged), and the changes as the preview shows
    them, (column, old, new)."""
    row: int
    task_id: int
    version: int
    fields: dict = field(default_factory=dict)
    coop_unit_ids: list[int] | None = None
    status: str | None = None
    progress: tuple[int, str] | None = None  # (percent, text) the office enters for the lead unit
    note: str = ""
    shown: list[tuple[str, str, str]] = field(default_factory=list)
    title: str = ""  # the task's title before the change, to name it in the preview

    def as_dict(self) -> dict:
        return {"row": self.row, "task_id": self.task_id, "title": self.title,
                "changes": [{"column": c, "old": o, "new": n} for c, o, n in self.shown]}


# The status changes a ledger line may make, through the action a person would use; any other is refused.
LEDGER_STATUS_MOVES = {
    (TaskStatus.DRAFT, TaskStatus.ASSIGNED), (TaskStatus.RETURNED, TaskStatus.ASSIGNED),
    *((s, TaskStatus.WITHDRAWN) for s in (TaskStatus.DRAFT, TaskStatus.RETURNED, *OPEN_STATUSES)),
}


def _shown(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


# 最新进展 as the ledger writes it (``_progress``): the percent, then the latest report's text.
_PROGRESS_CELL = re.compile(r"^\s*(\d{1,3})\s*[%％]\s*[；;]?\s*(.*)$", re.S)


def _ledger_progress(viewer, task: Task, cell: str, change: LedgerChange) -> str:
    """An edited 最新进展 is progress the office enters for the lead unit (由督查室代录, ``report_submit`` with
    ``for_unit``): "60%；已完成招标" reports 60% and the text, a text alone keeps the task's percent. Records it on
    ``change`` and returns "", or says why the line cannot be taken: no emptying (reports are never deleted), only
    while the unit is working on the task, the percent never below the task's (it only grows), and the report
    rules every report keeps."""
    from duban.core.rules import check_report
    from duban.tasks.models import REPORTABLE_STATUSES

    match = _PROGRESS_CELL.match(cell)
    percent, text = (int(match[1]), match[2].strip()) if match else (task.progress_percent, cell.strip())
    if not text:
        return "最新进展须写明进展情况（已报送的进展不会删除）"
    if not perms.can_enter_report_for_unit(viewer, task):
        return "事项没有牵头单位，不能代录最新进展"
    if task.status not in REPORTABLE_STATUSES:
        return f"事项{task.get_status_display()}，不能录入最新进展（牵头单位签收后、申请办结前才能报送进展）"
    try:
        check_report(text, percent)
    except InvalidInput as exc:
        return f"最新进展：{exc.message_zh}"
    if percent < task.progress_percent:
        return f"最新进展的进度{percent}%低于系统中的{task.progress_percent}%（进度只增不减）"
    change.progress = (percent, text)
    change.shown.append(("最新进展", _progress(task), cell))
    return ""


def ledger_changes(*, viewer, rows, columns: set[str]) -> tuple[list[LedgerChange], list]:
    """Compare the lines of an edited ledger that carry a 任务编号 with their tasks as the viewer sees them: the
    changes to make and, row by row, what cannot be done (unknown or unseen task, a closed task, a status change no
    action makes, progress the office cannot enter for the unit: ``_ledger_progress``). ``columns`` are the file's columns: a column the file
    lacks changes nothing. Two queries for the tasks and their cooperating units."""
    from duban.reports.ledger import RowError

    ids = [row.task_id for row in rows]
    tasks = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's parameter limit
        chunk = ids[start:start + 500]
        tasks.update((t.pk, t) for t in perms.tasks_visible_to(viewer).filter(pk__in=chunk)
                     .select_related("lead_unit", "area", "latest_report"))
    coop: dict[int, list[int]] = {}
    for start in range(0, len(ids), 500):
        for task_id, unit_id in Task.coop_units.through.objects.filter(
                task_id__in=ids[start:start + 500]).values_list("task_id", "unit_id"):
            coop.setdefault(task_id, []).append(unit_id)
    from duban.core.models import Area, Unit

    unit_names = dict(Unit.objects.values_list("id", "name"))
    area_names = dict(Area.objects.values_list("id", "name"))
    by_label = {str(label): value for value, label in TaskStatus.choices}
    changes, refused = [], []
    for row in rows:
        task = tasks.get(row.task_id)
        if task is None:
            refused.append(RowError(row.row, "任务编号对应的事项不存在或无权查看，本行未导入", "任务编号"))
            continue
        change = LedgerChange(row.row, task.pk, task.version, note=row.note, title=task.title)
        if "事项" in columns and row.title != task.title:
            change.fields["title"] = row.title
            change.shown.append(("督办事项", task.title, row.title))
        if "内容" in columns and row.text and row.text != task.text:
            change.fields["text"] = row.text
            change.shown.append(("督办内容", task.text, row.text))
        if "牵头单位" in columns and row.lead_unit_id != task.lead_unit_id:
            change.fields["lead_unit_id"] = row.lead_unit_id
            change.shown.append(("牵头单位", task.lead_unit.name if task.lead_unit else "",
                                 unit_names.get(row.lead_unit_id, "")))
        if "配合单位" in columns and sorted(row.coop_unit_ids) != sorted(coop.get(task.pk, [])):
            change.coop_unit_ids = list(row.coop_unit_ids)
            change.shown.append(("配合单位", "、".join(unit_names.get(i, "") for i in coop.get(task.pk, [])),
                                 "、".join(unit_names.get(i, "") for i in row.coop_unit_ids)))
        if "时限" in columns:
            if row.deadline is not None and row.deadline != task.deadline:
                change.fields["deadline"] = row.deadline
                change.shown.append(("时限", _shown(task.deadline or task.deadline_text), _shown(row.deadline)))
            elif row.deadline is None and (task.deadline is not None or row.deadline_text != task.deadline_text):
                change.fields.update(deadline=None, deadline_text=row.deadline_text)
                change.shown.append(("时限", _shown(task.deadline or task.deadline_text), row.deadline_text))
        if "领域" in columns and row.area_id is not None and row.area_id != task.area_id:
            change.fields["area_id"] = row.area_id
            change.shown.append(("领域", task.area.name if task.area else "", area_names.get(row.area_id, "")))
        problem = ""
        if "上级任务编号" in columns and row.parent_id != task.parent_id:
            problem = "上级任务不能通过台账修改（分解下达在事项页面办理）"
        if not problem and "状态" in columns and row.status and row.status != str(task.get_status_display()):
            target = by_label.get(row.status)
            if target is None:
                problem = f"状态“{row.status[:20]}”不是系统中的状态"
            elif (task.status, target) not in LEDGER_STATUS_MOVES:
                problem = (f"状态不能由“{task.get_status_display()}”改为“{row.status}”：签收、报送和办结审核"
                           "须在系统中由相应人员办理")
            elif target == TaskStatus.WITHDRAWN and not row.note:
                problem = "撤销事项须在“备注”中写明理由"
            else:
                change.status = target
                change.shown.append(("状态", str(task.get_status_display()), row.status))
        if not problem and "进展" in columns and row.progress != _progress(task):
            problem = _ledger_progress(viewer, task, row.progress, change)
        if not problem and (change.fields or change.coop_unit_ids is not None) and not perms.can_edit_task(
                viewer, task):
            problem = f"事项已{task.get_status_display()}，不能修改"
        if problem:
            refused.append(RowError(row.row, problem + "，本行未导入"))
        elif change.shown:
            changes.append(change)
    return changes, refused


# --- evaluation rules and manual 加减分 --------------------------------------------------------------------------

def score_rules_in_force(*, day: dt.date | None = None):
    """The evaluation rules for a task closed on ``day`` (today by default); every signed-in person may read
    them, since the ranking they explain is shown to all."""
    from duban.reports.scoring import rules_for

    return rules_for(day or today_local())[0]


def score_rule_versions(*, viewer):
    from duban.reports.models import ScoreRuleSet

    if perms.role_of(viewer) is None:
        return ScoreRuleSet.objects.none()
    return ScoreRuleSet.objects.select_related("created_by", "created_by__profile")


def score_adjustment_list(*, viewer, limit: int = 200):
    """The latest manual 加减分 the viewer may see: all for the office, those of their unit subtree otherwise."""
    from duban.reports.models import ScoreAdjustment

    qs = ScoreAdjustment.objects.select_related("unit", "task", "created_by", "created_by__profile")
    if not perms.is_office(viewer):
        qs = qs.filter(unit__in=perms.units_in_scope(viewer))
    return qs.order_by("-on", "-id")[:limit]



def briefing_file_name(*, viewer, meeting_id: int, fmt: str, today: dt.date, subtree_id: int | None = None,
                       issued: bool = False) -> str:
    """The briefing's file name names the meeting and, once issued, its 发文字号:
    ``2026年12月18日县政府常务会议-落实情况通报-督查〔2026〕1号.docx``; a preview says 草稿."""
    from duban.reports.models import DocumentNumber

    title = meetings_visible_to(viewer).filter(pk=meeting_id).values_list("title", flat=True).first() or ""
    number = ""
    if issued:
        serial = (DocumentNumber.objects.filter(scope=subtree_id or 0, kind="briefing", subject=f"meeting:{meeting_id}",
                                                day=today).values_list("serial", flat=True).first())
        number = core_selectors.letterhead().number(today.year, serial) if serial is not None else ""
    parts = [_NOT_IN_FILE_NAMES.sub("", " ".join(title.split()))[:60], "落实情况通报", number or "草稿"]
    return "-".join(part for part in parts if part) + f".{fmt}"
