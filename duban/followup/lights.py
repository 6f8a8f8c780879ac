"""Lights (三色督办单): a pure function of a task's data and a date, so a light is right at any moment.

green  on track (绿灯·正常)
blue   a deadline or a report is due within ``DUBAN_REMIND_DAYS`` working days (蓝灯·提醒)
yellow a report is late, or progress trails the share of time elapsed (since ``schedule_start``) by more than
       the tolerance (黄灯·预警)
red    the deadline has passed (红灯·超期)
nodeadline  no deadline set, and nothing else calls for attention (无时限): not green, since nothing can be late

``light_rule`` is the one statement of these rules; ``task_light`` (a task, with the reason in words) and
``LightCodes`` (thousands of plain rows, code only) both feed it, so a threshold lives in one place.

Each non-green light carries a ``due_key`` naming the occurrence it is about ("deadline:2026-05-01",
"report:2026-04-10", "behind:2026-05-01"); the reminder of a stage is sent once per task per due key, so an
approved extension (a new deadline) or the next report cycle starts a fresh round.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Func, Prefetch, Q, TextField
from django.utils import timezone

from duban.tasks.workdays import add_workdays, next_report_due, workdays_until
from duban.tasks.models import SUPERVISED_STATUSES, ProgressReport, RollupMode, Task, TaskStatus, rollup_progress
from duban.tasks.palette import NO_DEADLINE as _NO_DEADLINE
# The report due rule lives with the tasks (which keep each task's due by it); the names are read from here too.
from duban.tasks.report_due import local_date as _local_date, report_base_date, task_report_due  # noqa: F401

GREEN, BLUE, YELLOW, RED, NONE = "green", "blue", "yellow", "red", "none"
NO_DEADLINE = _NO_DEADLINE  # 无时限: the palette and this rule share the code

LABELS = {GREEN: "绿灯", BLUE: "蓝灯", YELLOW: "黄灯", RED: "红灯", NO_DEADLINE: "无时限", NONE: ""}
# Reddest first: the order of the lights list and of anything that ranks by light.
ORDER = (RED, YELLOW, BLUE, NO_DEADLINE, GREEN, NONE)
# The stage of follow-up each light triggers (催办 / 预警 / 督办).
STAGE_OF = {BLUE: "remind", YELLOW: "warn", RED: "escalate"}
_HOUR_LAST = dt.timedelta(hours=1, microseconds=-1)  # from an hour's first microsecond to its last


@dataclass(frozen=True)
class Light:
    code: str
    label: str
    reason: str
    due_key: str = ""
    due_date: dt.date | None = None
    overdue_days: int = 0

    @property
    def stage(self) -> str | None:
        return STAGE_OF.get(self.code)


def _elapsed(start: dt.date | None, deadline: dt.date | None, today: dt.date) -> float | None:
    if start is None or deadline is None or deadline <= start:
        return None
    span = (deadline - start).days
    return 100.0 * min(max((today - start).days, 0), span) / span


def schedule_start(task: Task) -> dt.date | None:
    """The day a task's time runs from: its ``schedule_start`` when set (a livelihood project's period start),
    else the day it was assigned."""
    # (read with a default: rows given as other objects than tasks, like a test's, need not have the field)
    return getattr(task, "schedule_start", None) or _local_date(task.assigned_at)


def elapsed_percent(task: Task, today: dt.date) -> float | None:
    """The share of start→deadline that has passed (``schedule_start``), in percent (None without both dates)."""
    return _elapsed(schedule_start(task), task.deadline, today)


@functools.lru_cache(maxsize=256)
def blue_before(today: dt.date, remind_days: int) -> dt.date:
    """A date ``d`` is within ``remind_days`` working days of ``today`` (working days in (today, d] <= n) exactly
    when it comes before the (n+1)-th working day after today."""
    return add_workdays(today, remind_days + 1)


def light_rule(*, today: dt.date, status: str, deadline: dt.date | None, start: dt.date | None,
               progress_percent: int, report_due: dt.date | None, blue_from: dt.date, tolerance: int
               ) -> tuple[str, str]:
    """The light code of a task and what it is about ("deadline", "report", "behind", "closing" or ""), in the
    order of the rules: awaiting sign-off is green; only supervised tasks have lights; past the deadline is red;
    a late report, or progress below the elapsed share of time minus ``tolerance`` points, is yellow; a deadline or
    report due before ``blue_from`` (``blue_before``) is blue; otherwise green, or 无时限 without a deadline.
    ``report_due`` is the next report's due date, None when there is none before the deadline."""
    if status == TaskStatus.CLOSE_REQUESTED:
        return GREEN, "closing"
    if status not in SUPERVISED_STATUSES:
        return NONE, ""
    if deadline is not None and today > deadline:
        return RED, "deadline"
    if report_due is not None and today > report_due:
        return YELLOW, "report"
    elapsed = _elapsed(start, deadline, today)
    if elapsed is not None and progress_percent < elapsed - tolerance:
        return YELLOW, "behind"
    if deadline is not None and deadline < blue_from:
        return BLUE, "deadline"
    if report_due is not None and report_due < blue_from:
        return BLUE, "report"
    if deadline is None:
        return NO_DEADLINE, ""
    return GREEN, ""


def rollup_rule(*, mode: str, today: dt.date, status: str, deadline: dt.date | None, start: dt.date | None,
                children: list[tuple[str, str, int]], blue_from: dt.date, tolerance: int) -> tuple[str, int]:
    """The light code and progress of a task split into sub-tasks, from its children's ``(status, light code,
    progress)`` (withdrawn ones left out by the caller), by the parent's roll-up ``mode``: the progress is
    ``rollup_progress`` ("all": 100 once every child is closed, else the least advanced child's; "share": the
    share closed; "worst": the mean); the light is ``light_rule`` on the parent's own status, deadline and start
    with that progress (reports come from the children, so no report of its own is due), and under "worst" no
    better than the worst child's light (``worst_of``). A parent outside supervision (closed, awaiting sign-off)
    keeps its own light. ``rollup_light`` is this rule over whole subtrees, with the reasons in words."""
    rolled = rollup_progress(mode, [(c[0], c[2]) for c in children])
    code, _ = light_rule(today=today, status=status, deadline=deadline, start=start, progress_percent=rolled,
                         report_due=None, blue_from=blue_from, tolerance=tolerance)
    if mode == RollupMode.WORST and status in SUPERVISED_STATUSES:
        code = worst_of([code, *(c[1] for c in children)])
    return code, rolled


def worst_of(codes: Iterable[str]) -> str:
    """The reddest of light codes (``ORDER``), a child without a light (closed, returned) counting for nothing."""
    return min((c for c in codes if c != NONE), key=ORDER.index, default=NONE)


def task_light(task: Task, today: dt.date | None = None, *, remind_days: int | None = None,
               tolerance: int | None = None, progress: int | None = None) -> Light:
    """The light of ``task`` on ``today`` (default: the local date) from its own row. Pure: no query beyond
    ``task.latest_report``. A task split into sub-tasks (``rolled_progress`` set) is lit by its rolled-up progress
    (``progress`` overrides it: ``rollup_light`` passes the one it computed) and has no report of its own due;
    under the "worst" roll-up its light may still be redder from a sub-task, which only ``rollup_light`` (reading
    the sub-tasks) adds: what shows or acts on a light uses that (``lights_for``)."""
    today = today or timezone.localdate()
    remind_days = settings.DUBAN_REMIND_DAYS if remind_days is None else remind_days
    tolerance = settings.DUBAN_PROGRESS_TOLERANCE if tolerance is None else tolerance
    supervised = task.status in SUPERVISED_STATUSES
    # (read with a default: rows given as other objects than tasks, like a test's, need not have the field)
    rolled = getattr(task, "rolled_progress", None) if progress is None else progress
    split = rolled is not None
    report_due = task_report_due(task) if supervised and not split else None
    deadline = task.deadline
    percent = rolled if split else task.progress_percent
    code, about = light_rule(today=today, status=task.status, deadline=deadline,
                             start=schedule_start(task) if supervised else None,
                             progress_percent=percent, report_due=report_due,
                             blue_from=blue_before(today, remind_days), tolerance=tolerance)
    label = LABELS[code]
    if code == GREEN and about == "closing":
        return Light(GREEN, label, "已申请办结，待督查室审核")
    if code == RED:
        days = (today - deadline).days
        return Light(RED, label, f"已超期{days}天（办理时限{deadline.isoformat()}）",
                     due_key=f"deadline:{deadline.isoformat()}", due_date=deadline, overdue_days=days)
    if code == YELLOW and about == "report":
        return Light(YELLOW, label, f"进展报告逾期未报（应于{report_due.isoformat()}前报送）",
                     due_key=f"report:{report_due.isoformat()}", due_date=report_due)
    if code == YELLOW:
        return Light(YELLOW, label,
                     f"进度滞后：已过时限{elapsed_percent(task, today):.0f}%，进度仅{percent}%",
                     due_key=f"behind:{deadline.isoformat()}", due_date=deadline)
    if code == BLUE and about == "deadline":
        left = workdays_until(today, deadline)
        text = "今天到期" if left == 0 else f"距办理时限还有{left}个工作日"
        return Light(BLUE, label, f"{text}（{deadline.isoformat()}）",
                     due_key=f"deadline:{deadline.isoformat()}", due_date=deadline)
    if code == BLUE:
        left = workdays_until(today, report_due)
        text = "今天应报送进展" if left == 0 else f"距下次报送进展还有{left}个工作日"
        return Light(BLUE, label, f"{text}（{report_due.isoformat()}）",
                     due_key=f"report:{report_due.isoformat()}", due_date=report_due)
    if code == NO_DEADLINE:
        return Light(NO_DEADLINE, label, "未设办理时限")
    if code == GREEN:
        return Light(GREEN, label, "按期推进")
    return Light(NONE, "", "")


def lights_for(tasks: Iterable[Task], today: dt.date | None = None) -> dict[int, Light]:
    """Lights of many tasks keyed by task id, a split task's rolled up from its sub-tasks (``rollup_light``). A
    queryset is loaded once with its latest report joined, so a list of any length costs one query, and one more
    for the sub-tasks of the split ones among them under the "worst" roll-up."""
    if hasattr(tasks, "select_related"):
        tasks = tasks.select_related("latest_report")
    today = today or timezone.localdate()
    tasks = list(tasks)
    lights = {task.pk: task_light(task, today) for task in tasks}
    rolled = rollup_lights(tasks, today)
    return {pk: rolled[pk].light if pk in rolled else light for pk, light in lights.items()}


def rolled_light(task: Task, today: dt.date | None = None) -> Light:
    """The light of one task as every page shows it and the follow-up acts on it (``lights_for``)."""
    return lights_for([task], today)[task.pk]


@dataclass(frozen=True)
class Rolled:
    """A task's light and progress rolled up from its sub-tasks, and how many live ones it has and how many of
    them are closed."""
    light: Light
    progress: int
    subtasks: int = 0
    closed: int = 0


def needs_subtasks(rolled_progress: int | None, rollup_mode: str) -> bool:
    """Whether a task's light needs its sub-tasks' lights: a split task under the "worst" roll-up (under the
    others its own row, with the kept rolled-up progress, says it all)."""
    return rolled_progress is not None and rollup_mode == RollupMode.WORST


# Prefixes OR-ed in one query at most: a statement with thousands of them costs PostgreSQL seconds to check each
# row read against all of them (600k tasks, the reminder pass: 1,800 prefixes, 3.4 s for 11k rows).
PREFIXES_A_QUERY = 100
# What ``rollup_light`` reads of each task of a subtree (and ``task_light`` of a row), and its latest report's time.
ROLLUP_FIELDS = ("id", "parent_id", "tree_path", "status", "rollup_mode", "rolled_progress", "deadline",
                 "assigned_at", "progress_percent", "report_cycle", "report_every", "latest_report_id",
                 "schedule_start")


def rollup_lights(tasks: Iterable, today: dt.date, *, chunk: int = PREFIXES_A_QUERY) -> dict[int, Rolled]:
    """``rollup_light`` for the split tasks among ``tasks`` (model instances or anything with ``pk``,
    ``tree_path``, ``rolled_progress`` and ``rollup_mode``) whose light needs their sub-tasks
    (``needs_subtasks``), keyed by id: one query reads all their descendants by ``tree_path`` prefix (a page's
    worth; a path under another asked for is read once; more than ``chunk`` tasks, as in the reminder pass, a
    query a chunk), and one their latest reports; none when there are none."""
    wanted = {t.pk for t in tasks if needs_subtasks(t.rolled_progress, t.rollup_mode)}
    tops = _top_paths([t.tree_path for t in tasks if t.pk in wanted])
    subtree = []
    for start in range(0, len(tops), chunk):
        found = functools.reduce(operator.or_, (Q(tree_path__startswith=p) for p in tops[start:start + chunk]))
        # what the rule reads of each task; the latest reports by their ids in a second query, not joined: over
        # many prefixes PostgreSQL misjudges the rows and hashes every report for the join (600k tasks: 4 s).
        # Unordered, sorted here by id (a tree shares its meeting and number, so that is the model's order): to
        # serve the model's ORDER BY, SQLite walked every task in meeting order rather than read ~40 prefixes from
        # the tree paths' index (a million tasks: 5.4 s against 1 ms).
        subtree += sorted(Task.objects.filter(found).order_by().only(*ROLLUP_FIELDS).prefetch_related(
            Prefetch("latest_report", queryset=ProgressReport.objects.only("id", "created_at"))), key=lambda t: t.pk)
    return {pk: node for pk, node in rollup_light(subtree, today).items() if pk in wanted}


def _top_paths(paths: Iterable[str]) -> list[str]:
    """The paths not under another of them, sorted (a subtree read once). Sorted, the paths under one come right
    after it (all that start with it), so each is tested against the last one kept only."""
    tops: list[str] = []
    for path in sorted(set(paths)):
        if not tops or not path.startswith(tops[-1]):
            tops.append(path)
    return tops


def rollup_light(subtree: list[Task], today: dt.date) -> dict[int, Rolled]:
    """Every task of ``subtree`` (whole subtrees: each task's descendants are in it, as a ``tree_path`` prefix read
    gives them) with its light and progress, a task with live sub-tasks rolled up from them bottom-up through any
    depth by its ``rollup_mode`` (the rule of ``rollup_rule``, with reasons in words). A withdrawn sub-task and
    everything below it leave its parent's roll-up. Under "worst" a sub-task redder than the parent's own light
    gives the parent its light, its reason and its occurrence (``due_key`` "sub<id>:…"), so the reminder pass
    follows a red child to the parent's lead unit once per such occurrence. Pure: no query beyond each task's
    ``latest_report``."""
    children: dict[int, list[Task]] = {}
    for t in subtree:
        if t.status != TaskStatus.WITHDRAWN:
            children.setdefault(t.parent_id, []).append(t)
    rolled: dict[int, Rolled] = {}
    for t in sorted(subtree, key=lambda t: -t.tree_path.count("/")):  # deepest first: children before parents
        kids = [(k, rolled[k.pk]) for k in children.get(t.pk, ())]
        if not kids:
            rolled[t.pk] = Rolled(task_light(t, today), 100 if t.status == TaskStatus.CLOSED else t.progress_percent)
            continue
        progress = rollup_progress(t.rollup_mode, [(k.status, node.progress) for k, node in kids])
        light = task_light(t, today, progress=progress)
        if t.rollup_mode == RollupMode.WORST and t.status in SUPERVISED_STATUSES:
            worst = worst_of(node.light.code for _, node in kids)
            if worst != NONE and ORDER.index(worst) < ORDER.index(light.code):
                k, node = next((k, node) for k, node in kids if node.light.code == worst)
                child = node.light
                # the reason names no sub-task: a reader of the parent need not be one of the sub-task
                light = Light(child.code, child.label, f"有子任务{child.reason}",
                              due_key=f"sub{k.pk}:{child.due_key}"[:60] if child.due_key else "",
                              due_date=child.due_date, overdue_days=child.overdue_days)
        closed = sum(1 for k, _ in kids if k.status == TaskStatus.CLOSED)
        rolled[t.pk] = Rolled(light, 100 if t.status == TaskStatus.CLOSED else progress, len(kids), closed)
    return rolled


class UtcText(Func):
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


class LightCodes:
    """The light code of many tasks from plain column values through ``light_rule`` (as ``task_light``), O(1) a
    task after a per-day setup, for tallies over thousands of open tasks (the reports dashboard): the blue limit
    is one date a day (``blue_before``), and a report due depends only on (cycle, every, since), which repeat, so
    it is memoized. Feed it the values of ``LightCodes.FIELDS`` (``values_list(*LightCodes.FIELDS)``), or the same
    columns as the database driver returns them (``local_date`` takes both forms of the two datetimes).
    ``duban/followup/tests/test_lights.py`` checks it against ``task_light`` over generated tasks and dates."""

    FIELDS = ("status", "deadline", "assigned_at", "progress_percent", "report_cycle", "report_every",
              "latest_report__created_at", "schedule_start", "rolled_progress")

    @classmethod
    def columns(cls) -> list:
        """``FIELDS`` for ``values_list``, the two datetimes as UTC text (``UtcText``): the cheapest form to read
        for thousands of rows."""
        return [UtcText(f) if f in ("assigned_at", "latest_report__created_at") else f for f in cls.FIELDS]

    def __init__(self, today: dt.date, *, remind_days: int | None = None, tolerance: int | None = None):
        self.today = today
        self.remind_days = settings.DUBAN_REMIND_DAYS if remind_days is None else remind_days
        self.tolerance = settings.DUBAN_PROGRESS_TOLERANCE if tolerance is None else tolerance
        self.blue_before = blue_before(today, self.remind_days)
        self.zone = timezone.get_current_timezone()
        self._dues: dict = {}
        self._days: dict = {}
        self._text_days: dict = {}

    def local_date(self, value) -> dt.date | None:
        """The local calendar date of an instant: an aware datetime, or a naive one or an ISO string in UTC (what
        SQLite's driver gives for a datetime column; PostgreSQL's gives aware UTC datetimes). Equals
        ``timezone.localdate(value)`` of the aware instant. Converting with ``astimezone`` costs ~1.6 µs a value,
        most of a dashboard's 10,000; the date is instead memoized per UTC hour, for the hours whose local date is
        the same from the first to the last microsecond with the same UTC offset at both ends (so constant between:
        no zone has two transitions within an hour). Other hours (a zone's offset with minutes, a transition) are
        converted value by value."""
        if value is None:
            return None
        if type(value) is str:
            # The text of a naive UTC instant (SQLite's stored form; PostgreSQL's through to_char): its first 13
            # characters name the hour, so an hour already seen needs no parsing.
            text = value
            # "YYYY-MM-DD HH:MM:SS" with or without a fraction is naive (an offset or a "Z" would follow)
            naive = text[16:17] == ":" and (len(text) == 19 or (text[19:20] == "." and text[20:].isdigit()))
            day = self._text_days.get(text[:13]) if naive else None
            if day is not None:
                return day
            value = dt.datetime.fromisoformat(text)
            if naive:
                day = self._hour_day(value)
                if day is not False:
                    self._text_days[text[:13]] = day
                    return day
        tzinfo = value.tzinfo
        if tzinfo is not None and tzinfo is not dt.timezone.utc:
            if tzinfo.utcoffset(value) != dt.timedelta(0):
                return value.astimezone(self.zone).date()
        day = self._hour_day(value)
        if day is False:
            return value.replace(tzinfo=dt.timezone.utc).astimezone(self.zone).date()
        return day

    def _hour_day(self, value: dt.datetime) -> dt.date | bool:
        """The local date of every instant in ``value``'s UTC hour, or False if they are not all on one."""
        key = (value.year, value.month, value.day, value.hour)
        day = self._days.get(key)
        if day is None:
            start = dt.datetime(*key, tzinfo=dt.timezone.utc)
            first, last = start.astimezone(self.zone), (start + _HOUR_LAST).astimezone(self.zone)
            same = first.date() == last.date() and first.utcoffset() == last.utcoffset()
            day = self._days[key] = first.date() if same else False
        return day

    def _due(self, cycle: str, every: int, since: dt.date) -> dt.date | None:
        key = (cycle, every, since)
        try:
            return self._dues[key]
        except KeyError:
            due = self._dues[key] = next_report_due(cycle=cycle, every=every, since=since, deadline=None)
            return due

    def __call__(self, status, deadline, assigned_at, progress_percent, report_cycle, report_every,
                 reported_at, schedule_start=None, rolled_progress=None) -> str:
        """The code of a task's own row, as ``task_light``: a split task (``rolled_progress`` set) by its kept
        rolled-up progress with no report of its own due. Under the "worst" roll-up a sub-task may make it
        redder, which this pass over plain rows does not read (``needs_subtasks``: callers that show or act on a
        light add it through ``rollup_lights``; the tallies count each sub-task in its own right instead)."""
        if status not in SUPERVISED_STATUSES:
            return GREEN if status == TaskStatus.CLOSE_REQUESTED else NONE
        assigned = self.local_date(assigned_at)
        report_due = None
        if rolled_progress is not None:
            progress_percent = rolled_progress
        else:
            since = self.local_date(reported_at) if reported_at is not None else assigned
            if since is not None:
                report_due = self._due(report_cycle, report_every, since)
                if report_due is not None and deadline is not None and report_due >= deadline:
                    report_due = None
        return light_rule(today=self.today, status=status, deadline=deadline, start=schedule_start or assigned,
                          progress_percent=progress_percent, report_due=report_due, blue_from=self.blue_before,
                          tolerance=self.tolerance)[0]


class RollupCodes:
    """``rollup_light``'s codes over plain rows (``FIELDS``), for passes over thousands of tasks that keep only a
    code (the lights list): each row's own code by ``LightCodes`` (a split task's with its kept rolled-up
    progress), and a split task under "worst" made no better than its reddest lit sub-task, bottom-up through any
    depth. Rows are ``add``-ed as streamed; a task needing its sub-tasks is held back (``add`` returns None) until
    ``code_of`` after the stream. Only lit sub-tasks matter (``worst_of`` passes over the others, and a sub-task
    outside supervision takes no floor from below), so a stream of every lit task (the office's) holds all it
    needs; for a narrower one, ``fill`` reads the lit descendants of the held-back tasks by ``tree_path`` prefix,
    a chunk of tasks a query. Memory: a code per split task, not per row.
    ``duban/followup/tests/test_rollup_everywhere.py`` checks it against ``lights_for``."""

    FIELDS = ("pk", "parent_id", "rollup_mode", *LightCodes.FIELDS)
    LIT = (*SUPERVISED_STATUSES, TaskStatus.CLOSE_REQUESTED)
    RANK = {code: i for i, code in enumerate(ORDER)}

    def __init__(self, codes: LightCodes):
        self.codes = codes
        self.held: dict[int, str] = {}  # pk -> own code
        self.worst_child: dict[int, str] = {}  # parent id -> the reddest own code of its lit sub-tasks
        self.split_kids: dict[int, set[int]] = {}  # parent id -> its sub-tasks that are held back themselves
        self._rolled: dict[int, str] = {}

    @classmethod
    def columns(cls) -> list:
        return [*cls.FIELDS[:3], *LightCodes.columns()]

    def add(self, pk, parent_id, rollup_mode, *values) -> str | None:
        code = self.codes(*values)
        held = values[-1] is not None and rollup_mode == RollupMode.WORST and values[0] in SUPERVISED_STATUSES
        if parent_id is not None and code != NONE and values[0] in self.LIT:
            worst = self.worst_child.get(parent_id)
            if worst is None or self.RANK[code] < self.RANK[worst]:
                self.worst_child[parent_id] = code
            if held:
                self.split_kids.setdefault(parent_id, set()).add(pk)
        if held:
            self.held[pk] = code
            return None
        return code

    def fill(self, chunk: int = PREFIXES_A_QUERY) -> None:
        """Read the lit descendants of the held-back tasks, for a stream narrower than every lit task (rows
        streamed already come again: adding one twice changes nothing)."""
        held = list(self.held)
        tops = _top_paths(path for start in range(0, len(held), 1000)
                          for path in Task.objects.filter(pk__in=held[start:start + 1000])
                          .values_list("tree_path", flat=True))
        for start in range(0, len(tops), chunk):
            found = functools.reduce(operator.or_, (Q(tree_path__startswith=p) for p in tops[start:start + chunk]))
            for row in Task.objects.filter(found, status__in=self.LIT).order_by().values_list(*self.columns()):
                self.add(*row)

    def code_of(self, pk: int) -> str:
        """The rolled-up code of a held-back task (after the stream, and ``fill`` if it was narrower)."""
        code = self._rolled.get(pk)
        if code is None:
            code = self._rolled[pk] = worst_of((self.held[pk], self.worst_child.get(pk, NONE),
                                                *(self.code_of(k) for k in self.split_kids.get(pk, ()))))
        return code
