"""What each person must act on today (工作台), read from the viewer's scoped querysets.

The office: progress reports to review, extension requests to decide, assignments units sent back, tasks newly
red, tasks due within three days, open tasks without a deadline. A unit: tasks to sign for, reports due by each
task's report cycle, the tasks it cooperates on whose part it has not filed, deadlines coming up, close requests
the office returned, and what the office changed or urged and leaders commented (批示) lately. A leader: the tasks
they follow (重点关注) with their lights, reddest first, the tasks marked important or urgent, and the red (overdue)
tasks by area and by lead unit.

Each list is a handful of rows and its full count, so the page costs the same number of queries at any size; the
lists of tasks are read together, in one statement (``_read``), so adding a list of tasks adds no query."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (Case, CharField, Count, DateField, IntegerField, OuterRef, Subquery, TextField, Value,
                              When, Window)
from django.db.models.functions import RowNumber

from duban.core.models import Notification, Unit
from duban.followup.selectors import extensions_to_decide, watch_list
from duban.tasks import permissions as perms
from duban.tasks.models import OPEN_STATUSES, Task
from duban.tasks.selectors import (DUE_WEEK_DAYS, NEW_RED_DAYS, coop_parts_due_q, due_q, open_subtasks_count,
                                   reports_to_review, task_stats, todo_q)

SHOWN = 8  # rows a section shows; its count says how many there are
UNIT_SOON_DAYS = DUE_WEEK_DAYS  # a unit's "即将到期" and reports due
# What the office and the leaders asked of a unit lately: changes, urging, returns, leaders' 批示, a 批示's
# deadline the office confirmed (根据领导批示，办理时限调整为…) and a hazard's review (复查未通过，请继续整改).
OFFICE_NEWS = ("task_reassigned", "task_deadline_adjusted", "task_urged", "notice_issued", "task_updated",
               "task_withdrawn", "report_returned", "task_commented", "deadline_changed", "hazard_reviewed")


# Sections that inform rather than wait for this person's decision: news, summaries, and what waits for the units
# (未签收, a lead unit with nobody to receive notices). The navigation's count leaves them out.
INFORMED = ("news", "important", "watch", "unsigned", "unreached")


@dataclass
class Section:
    key: str
    title: str
    count: int
    rows: list = field(default_factory=list)
    more_url: str = ""
    empty: str = "暂无"
    # the list at ``more_url`` holds exactly the ``count`` items (the same rule), so its link says 全部 N 项
    more_counted: bool = False


@dataclass
class Workbench:
    role: str  # "office", "unit", "leader" or ""
    sections: list[Section]
    summary: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        """What the navigation counts: the items waiting for this person (``INFORMED`` sections excluded)."""
        return sum(s.count for s in self.sections if s.key not in INFORMED)


@dataclass
class _Wanted:
    """A section to read (``_read``): its rows are the first ``SHOWN`` of ``qs`` (ordered), its count all of them."""
    key: str
    title: str
    qs: object
    more_url: str = ""
    empty: str = "暂无"
    more_counted: bool = False

    def section(self, count: int, rows: list) -> Section:
        return Section(self.key, self.title, count, rows, self.more_url, self.empty, self.more_counted)


def _section(key: str, title: str, qs, *, more_url: str = "", empty: str = "暂无",
             more_counted: bool = False) -> _Wanted:
    return _Wanted(key, title, qs, more_url, empty, more_counted)


def _matching(qs) -> Subquery:
    """How many rows ``qs`` has, as a scalar subquery of its bare filtered rows (computed once, from an index where
    one fits), not a window over the page's joins: a window counts after the joins, so it joined every matching
    row (the office's 32,000 reports to review at a million tasks: 1.3 s)."""
    return Subquery(qs.order_by().values(one=Value(1)).annotate(n=Count("*")).values("n"),
                    output_field=IntegerField())


def _read(wanted: list[_Wanted]) -> list[Section]:
    """The sections, in their order: all the sections of tasks in one statement (``_task_sections``), each other
    one in its own (its first rows, each carrying the count of all)."""
    of_tasks = iter(_task_sections([w for w in wanted if w.qs.model is Task]))
    out = []
    for w in wanted:
        if w.qs.model is Task:
            out.append(next(of_tasks))
            continue
        rows = list(w.qs.annotate(matching=_matching(w.qs))[:SHOWN])
        out.append(w.section(rows[0].matching if rows else 0, rows))
    return out


def _task_sections(wanted: list[_Wanted]) -> list[Section]:
    """Several sections of tasks read in one statement, whatever their number (a county's 工作台 has five). Each
    section's bare filtered rows (ids, from an index where one fits) are numbered in its order and counted by window
    functions, and the first ``SHOWN`` of them kept: a UNION ALL of one such part per section, joined to the tasks
    for the columns a row shows (``_task_rows``). So each section's matches are read once, for its count and its
    first rows together: a count reads every match anyway, and a unit's sections, tested against its scope (lead
    unit, cooperation or issuing unit), are sorted after that test, so first rows read in a part of their own, beside
    the count, read every match twice (a county at a million tasks on SQLite: 126 -> 85 ms). The join to a derived
    table is one the ORM does not write, hence the raw statement around the ORM's own parts. Their SQL comes
    from ``Query.sql_with_params()``, which Django uses for its own subqueries but does not document (one of
    the three places that reach under the ORM's public API, listed in docs/architecture.md), kept because the
    alternative (the tasks' columns by a statement of their own) takes a district office's 工作台 to eleven
    statements. Tested on both databases (``test_unit_sections.py``, ``test_workbench.py``)."""
    if not wanted:
        return []
    parts = [w.qs.order_by().annotate(wb_section=Value(i, output_field=IntegerField()),
                                      wb_rank=Window(RowNumber(), order_by=list(w.qs.query.order_by)),
                                      wb_count=Window(Count("*")))
             .filter(wb_rank__lte=SHOWN).values_list("pk", "wb_section", "wb_rank", "wb_count")
             for i, w in enumerate(wanted)]
    picked, params = parts[0].union(*parts[1:], all=True).query.sql_with_params()
    rows = _task_rows(picked, params)
    out = []
    for i, w in enumerate(wanted):
        mine = sorted((row for row in rows if row.wb_section == i), key=lambda row: row.wb_rank)
        out.append(w.section(mine[0].wb_count if mine else 0, mine))
    return out


def _task_rows(picked: str, params) -> list[Task]:
    """What a section's row shows of each task ``picked`` (a statement of ``pk, wb_section, wb_rank, wb_count``):
    tasks with those columns, their lead unit's name and, to tell apart tasks of one title, who issued each
    (``wb_issuer_name``: the issuing unit, None for the office) and where it comes from (``wb_meeting_title``, its
    kind) (the other fields deferred, as ``only`` leaves them)."""
    q = connection.ops.quote_name
    meetings = q(Task.meeting.field.related_model._meta.db_table)
    rows = list(Task.objects.raw(
        f"SELECT t.id, t.title, t.lead_unit_id, t.deadline, t.status, t.version, t.report_due, t.kind, t.meeting_id, "
        f"t.issuing_unit_id, u.name AS wb_lead_name, i.name AS wb_issuer_name, m.title AS wb_meeting_title, "
        f"w.wb_section, w.wb_rank, w.wb_count FROM ({picked}) w INNER JOIN {q(Task._meta.db_table)} t ON t.id = w.pk "
        f"LEFT OUTER JOIN {q(Unit._meta.db_table)} u ON u.id = t.lead_unit_id "
        f"LEFT OUTER JOIN {q(Unit._meta.db_table)} i ON i.id = t.issuing_unit_id "
        f"LEFT OUTER JOIN {meetings} m ON m.id = t.meeting_id", params))
    for row in rows:
        row.lead_unit = None if row.lead_unit_id is None else Unit.from_db(
            connection.alias, ["id", "name"], [row.lead_unit_id, row.wb_lead_name])
    return rows


def _open_tasks(viewer):
    return perms.tasks_visible_to(viewer).filter(status__in=OPEN_STATUSES)


def _todo(key: str, title: str, tasks, todo: str, viewer, today: dt.date, order: tuple, *, empty: str) -> _Wanted:
    """A section of the tasks by the task list's 待办 filter ``todo`` (``todo_q``), which its 全部 link opens, so the
    count and the list are the same tasks."""
    return _section(key, title, tasks.filter(todo_q(todo, viewer, today)).order_by(*order),
                    more_url=f"/tasks/?todo={todo}", empty=empty, more_counted=True)


def _due(key: str, title: str, tasks, due: str, today: dt.date, order: tuple, *, empty: str) -> _Wanted:
    """A section of the tasks by their deadline: the task list's 时限 filter ``due`` (``due_q``), which its 全部
    link opens, so the count and the list are the same tasks."""
    return _section(key, title, tasks.filter(due_q(due, today)).order_by(*order), more_url=f"/tasks/?due={due}",
                    empty=empty, more_counted=True)


def workbench_get(*, viewer, today: dt.date) -> Workbench:
    if perms.is_supervisor(viewer):
        return _office(viewer, today)
    if perms.is_unit_supervisor(viewer):
        return _unit_supervisor(viewer, today)
    if perms.is_unit_member(viewer):
        return _unit(viewer, today)
    if perms.is_office(viewer):
        return _leader(viewer, today)
    return Workbench("", [])


def _review_sections(viewer, tasks, today: dt.date) -> list[_Wanted]:
    """What the supervising office must decide on the tasks it supervises (``perms.tasks_supervised_by``):
    reports to review, extension requests, leaders' 批示 deadlines to confirm, assignments sent back."""
    # a close request's open sub-tasks: its sign-off needs a reason, asked on the task page, not in one click
    reports = (reports_to_review(viewer)
               .select_related("task", "unit").only("id", "request_close", "progress_percent", "created_at",
                                                    "task__id", "task__title", "unit__name")
               .annotate(open_subtasks=open_subtasks_count(OuterRef("task_id")))
               .order_by("-request_close", "created_at"))
    extensions = extensions_to_decide(viewer).select_related("task", "unit")
    return [
        _section("reports", "待审核进展", reports, more_url="/tasks/reports/pending/", empty="没有待审核的进展",
                 more_counted=True),
        _section("extensions", "待审批延期", extensions, more_url="/followup/extensions/", empty="没有待审批的延期申请",
                 more_counted=True),
        _todo("deadline_changes", "待确认批示时限", tasks, "deadline_change", viewer, today, ("deadline", "id"),
              empty="没有待确认的批示时限"),
        _todo("returned", "被退回交办", tasks, "returned", viewer, today, ("-updated_at",), empty="没有被退回的事项"),
        # what the units have not taken up yet, and the lead units nobody in which hears of their tasks (the office
        # holds their notices: 代收), to telephone or to open accounts for
        _todo("unsigned", "未签收", tasks, "unsigned", viewer, today, ("assigned_at", "id"),
              empty="交办的事项均已签收"),
        _todo("unreached", "牵头单位无人接收通知", tasks, "unreached", viewer, today, ("lead_unit_id", "deadline", "id"),
              empty="各牵头单位均有人接收通知"),
    ]


def _unit_supervisor(viewer, today: dt.date) -> Workbench:
    """A unit's own 督查室 (a district's): what it must decide on the sub-tasks its unit issued, the issued ones
    newly red, then its unit's own work as any unit's."""
    issued = _open_tasks(viewer).filter(issuing_unit_id=perms.unit_of(viewer).pk)
    return Workbench("unit", _read([
        *_review_sections(viewer, issued, today),
        _todo("issued_red", "下达事项超期", issued, "issued_red", viewer, today, ("deadline", "id"),
              empty="本级下达的事项没有超期"),
        *_unit_sections(viewer, today),
    ]))


def _office(viewer, today: dt.date) -> Workbench:
    tasks = _open_tasks(viewer)
    return Workbench("office", _read([
        *_review_sections(viewer, tasks, today),
        _due("new_red", "新亮红灯", tasks, "new_red", today, ("-deadline", "id"),
             empty=f"近{NEW_RED_DAYS}天没有新超期的事项"),
        _due("due_soon", "三日内到期", tasks, "soon", today, ("deadline", "id"), empty="三日内没有到期的事项"),
        _due("no_deadline", "无时限事项", tasks, "none", today, ("id",), empty="所有在办事项都有时限"),
    ]))


def _unit(viewer, today: dt.date) -> Workbench:
    return Workbench("unit", _read(_unit_sections(viewer, today)))


def _unit_sections(viewer, today: dt.date) -> list[_Wanted]:
    unit_ids = perms.scope_unit_ids(viewer)
    tasks = _open_tasks(viewer)
    # Reports due by each task's cycle: the next report due is kept on each task (``Task.report_due``, by the
    # light rule's own function: ``duban.tasks.report_due``), None for a task not working, a one-off cycle, a task
    # split into sub-tasks (its progress comes from them) or a due on or after the deadline, so the section is an
    # indexed filter with its count, not the scope's working tasks read and computed (a county's 25,000: 1.2 s).
    # Tasks the unit cooperates on (not leads) while the lead unit works on them, its part not yet filed
    # (``coop_parts_due_q``). They are in its scope by definition (``perms.tasks_visible_to``'s cooperation arm;
    # not drafts, being reportable), so they are not tested against the whole scope again: that test hashed the
    # scope's cooperations once more for every task read (a county at a million tasks: 115 -> 92 ms).
    coop_open = Task.objects.filter(coop_parts_due_q(unit_ids)).order_by("deadline", "id")
    news = (Notification.objects.filter(recipient_id=viewer.pk, kind__in=OFFICE_NEWS,
                                        created_at__date__gte=today - dt.timedelta(days=14))
            .select_related("task").annotate(**_comment_now()).order_by("-id"))
    return [
        # 待签收 is what this unit is to sign for: not the sub-tasks its own unit issued to the units below (they
        # wait for those units, and their issuer sees them as the office sees what it assigned: in its list)
        _todo("to_sign", "待签收", tasks, "sign", viewer, today, ("deadline", "id"), empty="没有待签收的事项"),
        _todo("to_report", "待报送", tasks, "report", viewer, today, ("report_due", "id"),
              empty=f"{UNIT_SOON_DAYS}日内没有到期的报送"),
        _section("coop", "待报送配合意见", coop_open, more_url="/tasks/?todo=coop", empty="没有待报送配合意见的事项",
                 more_counted=True),
        _due("due_soon", "逾期和即将到期", tasks, "week", today, ("deadline", "id"), empty="近期没有到期的事项"),
        _todo("close_returned", "被退回的办结申请", tasks, "close_returned", viewer, today, ("-updated_at",),
              empty="没有被退回的办结申请"),
        _section("news", "督查室最新要求和领导批示", news, more_url="/notifications/", empty="近两周没有新的要求"),
    ]


def _comment_now() -> dict:
    """A 批示's news as it stands now, not as it was sent (its notice said "待督查室确认" for good): the 批示 the
    notice told of (the task's latest up to the notice: made in the same transaction, just before it), its text,
    its deadline and whether the office has confirmed it since (``wb_deadline_status``). None for other news."""
    from duban.followup.models import LeaderComment

    comment = (LeaderComment.objects.filter(task_id=OuterRef("task_id"), created_at__lte=OuterRef("created_at"))
               .order_by("-created_at", "-id"))

    def of_comment(column: str, output_field):
        return Case(When(kind="task_commented", then=Subquery(comment.values(column)[:1])), default=None,
                    output_field=output_field)
    return {"wb_comment_text": of_comment("text", TextField()),
            "wb_proposed": of_comment("proposed_deadline", DateField()),
            "wb_deadline_status": of_comment("deadline_status", CharField())}


def _leader(viewer, today: dt.date) -> Workbench:
    tasks = _open_tasks(viewer)
    stats = task_stats(viewer=viewer, today=today)  # the dashboard's figures: its overdue tasks are the red ones

    def most_red(rows: list[dict]) -> list[dict]:
        return sorted((row for row in rows if row["overdue"]), key=lambda row: (-row["overdue"], row["name"]))[:10]
    # The leader's own 重点关注 marks: a leader follows tens of tasks, read with their lights in one pass.
    watched = watch_list(viewer=viewer, today=today)
    return Workbench("leader", [
        Section("watch", "重点关注", len(watched), watched[:SHOWN], more_url="/followup/watchlist/",
                empty="尚未设置重点关注事项，在事项页面点“重点关注”加入", more_counted=True),
        *_read([_todo("important", "重要紧急事项", tasks, "important", viewer, today, ("priority", "deadline", "id"),
                      empty="没有标为重要或紧急的事项")]),
    ], summary={"red_total": stats.overdue, "by_area": most_red(stats.by_area), "by_unit": most_red(stats.by_unit)})

