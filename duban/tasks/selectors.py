"""Every read of tasks and progress reports, starting from the viewer's scoped queryset."""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (CharField, Count, DateField, DateTimeField, Exists, IntegerField, OuterRef, Prefetch, Q,
                              QuerySet, Subquery, TextField, Value)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from duban.core.errors import InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Unit
from duban.core.rows import lists_in_one, plain_rows
from duban.core.selectors import name_then, unit_may_have_been_renamed, unit_renames_after
from duban.tasks import unit_tally
from duban.tasks import permissions as perms
from duban.tasks.models import (LIST_ORDER, OPEN_STATUSES, REPORTABLE_STATUSES, SUPERVISED_STATUSES, CloseEvidenceRule,
                                Priority, ProgressReport, ReportFile, ReportStatus, Task, TaskKind, TaskStatus, count_rows,
                                count_rows_where)


def today_local() -> dt.date:
    return timezone.localdate()


DUE_SOON_DAYS = 3  # "三日内到期"
DUE_WEEK_DAYS = 7  # a unit's "逾期和即将到期"
NEW_RED_DAYS = 7  # "新亮红灯": the deadline passed within this many days
# The task list's filters, one implementation for the list page, its count, its export (台账) and the API list:
# ``list_filters`` reads them from a query string, ``_task_filtered`` applies them. Each that a 工作台 section or a
# dashboard figure links to is that number's own rule, so the list it opens holds exactly the tasks it counts.

# 时限 (``due``): each value one rule, which the 工作台's section of that name counts (``duban.workbench.selectors``).
DUE_FILTERS = {"soon": "三日内到期", "week": "逾期和七日内到期", "new_red": "近七日新超期", "none": "无时限"}
# 承办 (``unit_role``, with a unit): the tasks the unit leads, or those it cooperates on and does not lead; neither:
# both. The dashboard's 按牵头单位 figures count the tasks a unit leads.
UNIT_ROLES = {"lead": "牵头", "coop": "配合"}
# 待办 (``todo``): a 工作台 section's tasks, by the section's own rule (``todo_q``), each for whom has the section.
TODO_FILTERS = {"sign": "待签收", "report": "待报送", "coop": "待报送配合意见", "close_returned": "被退回的办结申请",
                "returned": "被退回交办", "deadline_change": "待确认批示时限", "issued_red": "下达事项超期",
                "unsigned": "未签收", "unreached": "牵头单位无人接收通知", "important": "重要紧急事项"}
# Who receives a unit's notices (``duban.tasks.actions.unit_people``): its active heads and staff. A lead unit
# without any has its notices held by the supervising office instead (代收).
# ``status``: besides a status, every task given to a unit (not a draft, not withdrawn): what the dashboard counts.
ISSUED = "issued"
# ``area_id``: tasks without an area (未分类), as the dashboard and the 工作台 count them.
NO_AREA = "none"


def due_q(due: str, today: dt.date) -> Q:
    """The open tasks ``due`` (a key of ``DUE_FILTERS``) picks on ``today``: due within three days (the deadline
    today or later) while being worked on; overdue or due within seven days while being worked on; overdue
    since at most seven days; open without a deadline."""
    if due == "soon":
        return Q(status__in=SUPERVISED_STATUSES, deadline__gte=today,
                 deadline__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
    if due == "week":
        return Q(status__in=SUPERVISED_STATUSES, deadline__lte=today + dt.timedelta(days=DUE_WEEK_DAYS))
    if due == "new_red":
        return Q(status__in=OPEN_STATUSES, deadline__lt=today, deadline__gte=today - dt.timedelta(days=NEW_RED_DAYS))
    if due == "none":
        return Q(status__in=OPEN_STATUSES, deadline__isnull=True)
    raise InvalidInput(f"时限筛选条件无效：{due}", f"unknown due filter {due!r}; one of {', '.join(DUE_FILTERS)}")


def coop_parts_due_q(unit_ids) -> Q:
    """Tasks the units ``unit_ids`` cooperate on and do not lead, while the lead unit works on them, with their part
    (配合意见) not filed yet (``parts_filed_by``). "Not filed" is a NOT EXISTS per task (an anti-join on the reports'
    task index), not NOT IN over the units' reports: a county's 500,000 reports at a million tasks do not fit in
    PostgreSQL's work_mem as a hash, and an unhashed NOT IN rescans them for every task."""
    return (Q(status__in=REPORTABLE_STATUSES,
              pk__in=Task.coop_units.through.objects.filter(unit_id__in=unit_ids).values("task_id"))
            & ~Q(lead_unit_id__in=unit_ids) & ~Q(Exists(parts_filed_by(unit_ids).filter(task_id=OuterRef("pk")))))


def todo_q(todo: str, viewer, today: dt.date) -> Q:
    """The tasks of the 工作台 section ``todo`` (a key of ``TODO_FILTERS``) of ``viewer`` on ``today``, among the
    tasks it sees; open ones only. A unit's: to sign for (its units lead them, not the sub-tasks its own unit issued
    to the units below, which wait for those units), reports due within seven days (``Task.report_due``), its part
    to file as a cooperating unit, close requests the office returned. The supervising office's (``supervised_by``):
    assignments sent back, leaders' 批示 deadlines to confirm, what it issued now overdue, what it gave out and the
    lead unit has not signed for yet (未签收: the status the dashboard counts so), open tasks whose lead unit has
    nobody to receive notices (``permissions.unit_people``: the office receives them, 代收). A leader's: tasks marked
    important or urgent. Nobody else's section: no task."""
    from duban.tasks.page_parts import deadline_change_pending  # the follow-up app's rule, handed over

    open_ = Q(status__in=OPEN_STATUSES)
    if todo in ("sign", "report", "coop", "close_returned"):
        unit = perms.unit_of(viewer) if perms.is_unit_member(viewer) else None
        if unit is None:
            return Q(pk__in=[])
        unit_ids = perms.scope_unit_ids(viewer)
        if todo == "sign":
            return Q(status=TaskStatus.ASSIGNED, lead_unit_id__in=unit_ids) & ~Q(issuing_unit_id=unit.pk)
        if todo == "report":
            return open_ & Q(report_due__lte=today + dt.timedelta(days=DUE_WEEK_DAYS))
        if todo == "coop":
            return coop_parts_due_q(unit_ids)
        # from the few returned close requests (an index of them), not each task's latest report
        return Q(status=TaskStatus.IN_PROGRESS, lead_unit_id__in=unit_ids, latest_report__in=ProgressReport.objects
                 .filter(request_close=True, status=ReportStatus.RETURNED))
    if todo == "returned":
        return perms.supervised_by(viewer) & Q(status=TaskStatus.RETURNED)
    if todo == "deadline_change":
        return perms.supervised_by(viewer) & deadline_change_pending()
    if todo == "issued_red":
        return perms.supervised_by(viewer) & open_ & Q(deadline__lt=today)
    if todo == "unsigned":
        return perms.supervised_by(viewer) & Q(status=TaskStatus.ASSIGNED)
    if todo == "unreached":
        # the few units nobody in which receives notices, then their open tasks from the lead units' index (a test
        # of every open task against its unit's people read 150,000 tasks at a million: 220 ms on PostgreSQL)
        nobody = Unit.objects.filter(~Exists(perms.unit_people(OuterRef("pk")))).values("pk")
        return perms.supervised_by(viewer) & open_ & Q(lead_unit_id__in=nobody)
    if todo == "important":
        return open_ & Q(priority__in=(Priority.URGENT, Priority.HIGH))
    raise InvalidInput(f"待办筛选条件无效：{todo}", f"unknown todo filter {todo!r}; one of {', '.join(TODO_FILTERS)}")


def todo_choices(viewer) -> list[tuple[str, str]]:
    """The 待办 filters that are sections of the viewer's 工作台 (``TODO_FILTERS``), for the list's form."""
    keys: list[str] = []
    if perms.is_supervisor(viewer) or perms.is_unit_supervisor(viewer):
        keys += ["returned", "deadline_change", "unsigned", "unreached"]
    if perms.is_unit_supervisor(viewer):
        keys.append("issued_red")
    if perms.is_unit_member(viewer):
        keys += ["sign", "report", "coop", "close_returned"]
    elif perms.is_office(viewer) and not perms.is_supervisor(viewer):
        keys.append("important")
    return [(key, TODO_FILTERS[key]) for key in keys]


def _int_param(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def list_filters(params) -> dict:
    """The task list's query string as ``task_list``'s keywords (the list page, its export): ``status`` (a status or
    ``ISSUED``), ``area`` (an id, or ``none`` for 未分类: ``NO_AREA``), ``unit`` with ``role`` (``UNIT_ROLES``),
    ``meeting``, ``kind`` (来源: a ``TaskKind``), ``overdue`` (``1``: only the overdue ones, ``0``: none of them),
    ``due`` (``DUE_FILTERS``) and ``todo`` (``TODO_FILTERS``). A value not among them is no filter (a link typed by
    hand shows the whole list)."""
    status = params.get("status")
    area = params.get("area")
    overdue = params.get("overdue")
    unit_id = _int_param(params.get("unit"))
    return {"status": status if status in TaskStatus.values or status == ISSUED else None,
            "area_id": NO_AREA if area == NO_AREA else _int_param(area) or None,
            "unit_id": unit_id or None,
            "unit_role": params.get("role") if unit_id and params.get("role") in UNIT_ROLES else None,
            "meeting_id": _int_param(params.get("meeting")) or None,
            "kind": params.get("kind") if params.get("kind") in TaskKind.values else None,
            "overdue": True if overdue in ("1", "true", "yes", "on") else False if overdue in ("0", "false", "no")
            else None,
            "due": params.get("due") if params.get("due") in DUE_FILTERS else None,
            "todo": params.get("todo") if params.get("todo") in TODO_FILTERS else None}


def task_list(*, viewer, status: str | None = None, area_id: int | None = None, unit_id: int | None = None,
              meeting_id: int | None = None, kind: str | None = None, overdue: bool | None = None,
              include_withdrawn: bool = False, today: dt.date | None = None,
              in_list_order: bool = False, due: str | None = None, unit_role: str | None = None,
              todo: str | None = None) -> QuerySet[Task]:
    """Tasks the viewer may see, filtered (``list_filters`` says what each filter means). ``unit_id`` matches the
    lead unit or a cooperating unit, or one of them by ``unit_role``. ``in_list_order``: the same rows with the
    scope spelled for reading a page in list order (see ``tasks_visible_to``); count with the default spelling."""
    qs = _task_filtered(viewer=viewer, status=status, area_id=area_id, unit_id=unit_id, meeting_id=meeting_id,
                        kind=kind, overdue=overdue, include_withdrawn=include_withdrawn, today=today,
                        in_list_order=in_list_order, due=due, unit_role=unit_role, todo=todo)
    return _with_list_joins(qs).order_by(*LIST_ORDER)


def _with_list_joins(qs: QuerySet[Task], *, lead_unit_aliases: bool = False) -> QuerySet[Task]:
    # The meeting's communique and extraction (kilobytes of text and JSON) and a unit's aliases ride along with
    # every row otherwise; nothing on a list uses them (they load on access if something does). One task's page
    # reads the lead unit's aliases (``lead_unit_aliases``): without any, it was never renamed (``unit_name_at``).
    deferred = ("meeting__source_text", "meeting__extraction", "meeting__reports_heard",
                *(() if lead_unit_aliases else ("lead_unit__aliases",)))
    return (qs.select_related("area", "lead_unit", "meeting", "latest_report").defer(*deferred)
            .prefetch_related(Prefetch("coop_units", queryset=Unit.objects.only("id", "name"))))


def _task_filtered(*, viewer, status, area_id, unit_id, meeting_id, kind, overdue, include_withdrawn, today,
                   in_list_order, due=None, unit_role=None, todo=None) -> QuerySet[Task]:
    """``task_list``'s rows, unordered and without what rides along (see there)."""
    qs = perms.tasks_visible_to(viewer, in_list_order=in_list_order)
    if status == ISSUED:
        qs = qs.exclude(status__in=(TaskStatus.DRAFT, TaskStatus.WITHDRAWN))
    elif status:
        qs = qs.filter(status=status)
    elif not include_withdrawn:
        qs = qs.exclude(status=TaskStatus.WITHDRAWN)
    if area_id == NO_AREA:
        qs = qs.filter(area__isnull=True)
    elif area_id:
        qs = qs.filter(area_id=area_id)
    if unit_id:
        qs = qs.filter(unit_q(unit_id, unit_role))
    if meeting_id:
        qs = qs.filter(meeting_id=meeting_id)
    if kind:
        if kind not in TaskKind.values:
            raise InvalidInput(f"来源筛选条件无效：{kind}",
                               f"unknown source (kind) filter {kind!r}; one of {', '.join(TaskKind.values)}")
        qs = qs.filter(kind=kind)
    if overdue is not None:
        late = Q(status__in=OPEN_STATUSES, deadline__lt=today or today_local())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if due:
        qs = qs.filter(due_q(due, today or today_local()))
    if todo:
        qs = qs.filter(todo_q(todo, viewer, today or today_local()))
    return qs


def unit_q(unit_id: int, unit_role: str | None) -> Q:
    """The tasks of the unit ``unit_id`` in the role ``unit_role`` (``UNIT_ROLES``): those it leads, those it
    cooperates on and does not lead; None: either."""
    if unit_role == "lead":
        return Q(lead_unit_id=unit_id)
    if unit_role == "coop":
        return Q(pk__in=_cooperated_on_by(unit_id)) & ~Q(lead_unit_id=unit_id)
    if unit_role is None:
        return Q(lead_unit_id=unit_id) | Q(pk__in=_cooperated_on_by(unit_id))
    raise InvalidInput(f"承办筛选条件无效：{unit_role}",
                       f"unknown unit role filter {unit_role!r}; one of {', '.join(UNIT_ROLES)}")


def _cooperated_on_by(unit_id: int) -> QuerySet:
    """The ids of the tasks ``unit_id`` cooperates on, as a subquery."""
    return Task.coop_units.through.objects.filter(unit_id=unit_id).values("task_id")


# A task-list row's columns (and what its light needs: see ``duban.followup.templatetags.followup_tags``), in
# this order. Read as plain tuples: a page's 50 tasks built as model instances with their area, lead unit, meeting
# and latest report (~300 objects) cost more than the rest of the page.
LIST_ROW_FIELDS = ("pk", "seq", "title", "status", "deadline", "progress_percent", "meeting_id", "meeting__title",
                   "lead_unit__name", "area__name", "assigned_at", "report_cycle", "report_every",
                   "latest_report__created_at", "rolled_progress", "rollup_mode", "tree_path", "kind")


def task_list_page_keys(*, viewer, **filters) -> QuerySet[int]:
    """The ids of ``task_list(viewer=..., in_list_order=True, **filters)`` in list order,
    for a page to slice (a list page reads its keys first: see ``duban.core.views.KeysFirstPaginator``, then
    ``task_list_page_rows``). The tasks' table alone: a join, even one PostgreSQL removes as unused, keeps it from
    walking ``task_list_order_idx`` without reading each task's row."""
    return (_task_filtered(viewer=viewer, include_withdrawn=False, in_list_order=True, **_list_filters(filters))
            .order_by(*LIST_ORDER).values_list("pk", flat=True))


_LIST_FILTER_NAMES = ("status", "area_id", "unit_id", "unit_role", "meeting_id", "kind", "overdue", "due", "todo",
                      "today")


def _list_filters(filters: dict) -> dict:
    """The list's filters (``list_filters``' keywords and ``today``), those not given None."""
    unknown = set(filters) - set(_LIST_FILTER_NAMES)
    if unknown:
        raise TypeError(f"not a filter of the task list: {', '.join(sorted(unknown))}")
    return {name: filters.get(name) for name in _LIST_FILTER_NAMES}


# A list by one unit (``unit_id``: tasks it leads or cooperates on) is read one of two ways, by its size and the page
# (``task_list_keys``). The walk (``task_list_page_keys``) reads the list's index in its order and tests each task
# there (on PostgreSQL the cooperation against the unit's cooperations hashed once) until the page's end: the
# busiest unit at a million tasks has one task in 170 of the list, its first page walks ~8,700 entries (2 ms on
# PostgreSQL). But the walk grows with the page's end over the unit's share of the list: a unit with a few dozen
# tasks, or a page deep in a large unit's list, walks most of the index (a million tasks on PostgreSQL: the whole
# index 120-180 ms; a unit with 300 tasks 27-30 ms; page 100 of the busiest 190 ms). Those are read as the merge of
# the unit's two parts (``_unit_keys_merged``): the tasks it leads in the list's order from ``task_lead_order_idx``
# and those it cooperates on but does not lead, each of them read for its place, sorted together. Its cost follows
# the unit's cooperations, not the list's length (PostgreSQL: 14-21 ms for the unit with 300, mostly starting
# parallel workers; 35 ms for any page of the busiest, which cooperates on 2,400 tasks it does not lead). SQLite
# reads either way from indexes in a few milliseconds.
UNIT_MERGED_BELOW = 1000  # units listing fewer tasks than this are merged on every page
UNIT_MERGED_FROM = 1000  # pages starting at this row or later are merged


def task_list_keys(*, viewer, bottom: int, top: int, listed: int, **filters) -> list[int]:
    """The ids of rows ``bottom:top`` of ``task_list(viewer=..., **filters)`` in list order, ``listed`` being the
    list's total (``task_list_count``, which a page knows before it reads its rows): a list by one unit with fewer
    than ``UNIT_MERGED_BELOW`` tasks, or from row ``UNIT_MERGED_FROM`` on, as the merge of the unit's two parts (or
    the one part its ``unit_role`` names), otherwise a slice of ``task_list_page_keys`` (see above)."""
    filters = _list_filters(filters)
    if top <= bottom:
        return []  # an empty list's page
    if filters["unit_id"] and (listed < UNIT_MERGED_BELOW or bottom >= UNIT_MERGED_FROM):
        return [row[-1] for row in _unit_keys_merged(viewer=viewer, **filters)[bottom:top]]
    return list(task_list_page_keys(viewer=viewer, **filters)[bottom:top])


def _unit_parts(rows: QuerySet[Task], unit_id: int, unit_role: str | None) -> list[QuerySet[Task]]:
    """``rows`` (filtered but by the unit) of the unit ``unit_id`` in ``unit_role`` as the parts read each from its
    own index: the tasks it leads, those it cooperates on but does not lead (``unit_q``), or the one of them
    ``unit_role`` names."""
    return [rows.filter(unit_q(unit_id, role)) for role in UNIT_ROLES if unit_role in (None, role)]


def _unit_keys_merged(*, viewer, unit_id: int, unit_role: str | None = None, **filters) -> QuerySet[tuple]:
    """``task_list_page_keys(viewer=..., unit_id=unit_id, ...)`` as rows of the list's order's columns (the id
    last) in the same order: the tasks the unit leads and those it cooperates on but does not lead, each read
    from its own index, in one UNION ALL sorted by the list's order."""
    rows = _task_filtered(viewer=viewer, unit_id=None, include_withdrawn=False, in_list_order=True, **filters)
    columns = tuple(name.lstrip("-") for name in LIST_ORDER)  # the order's columns, the id last
    first, *rest = (part.order_by().values_list(*columns) for part in _unit_parts(rows, unit_id, unit_role))
    return first.union(*rest, all=True).order_by(*LIST_ORDER)


def task_list_page_rows(*, viewer, keys) -> QuerySet[tuple]:
    """The rows (``LIST_ROW_FIELDS``) of the tasks ``keys`` (a page of ``task_list_keys``) in list order,
    within the viewer's scope. The list's filters are not applied again: they chose these keys a moment before
    (a unit's filter, lead or cooperating, cost the statement a hash of the unit's cooperations)."""
    return (perms.tasks_visible_to(viewer, in_list_order=True).filter(pk__in=keys)
            .order_by(*LIST_ORDER).values_list(*LIST_ROW_FIELDS))


def task_list_count(*, viewer, **filters) -> int:
    """``task_list(viewer=..., **filters).count()`` (the same rows: a count drops the
    order and the joins). By one unit, the tasks it leads and those it cooperates on but does not lead are counted
    apart, each from its own index (the lead units' with the status; the unit's cooperations, then those tasks by
    id): one count of "leads or cooperates" cannot use either and reads every task (the busiest unit at a million
    tasks: 170 -> 30 ms). The few thousand tasks of one unit are each tested for a unit member's scope with the
    probe of a list page (``tasks_visible_to``), not against a hash of the whole scope's cooperations (a county's:
    400 -> 60 ms)."""
    filters = _list_filters(filters)
    unit_id, unit_role = filters.pop("unit_id"), filters.pop("unit_role")
    rows = _task_filtered(viewer=viewer, unit_id=None, include_withdrawn=False, in_list_order=bool(unit_id),
                          **filters)
    if not unit_id:
        return rows.count()
    return sum(part.count() for part in _unit_parts(rows, unit_id, unit_role))


def meeting_item_q(visible, *, prefix: str = "", all_visible: bool = False) -> Q:
    """The tasks that are a meeting's items (决定事项) for a reader who sees the tasks ``visible`` (a queryset of
    their keys): a task not split from another, or a sub-task (分解下达) whose task above is out of the reader's
    sight, which is then the reader's part of the meeting. ``all_visible``: the reader sees every task (the
    office), so only the tasks not split from another. ``prefix``: the path from the queried model to the task."""
    top = Q(**{f"{prefix}parent__isnull": True})
    return top if all_visible else top | ~Q(**{f"{prefix}parent__in": visible})


def task_coop_unit_names(*, task_ids) -> dict[int, list[str]]:
    """The cooperating units' names of each task in ``task_ids`` (tasks already read through the viewer's scope;
    unit names are visible to every signed-in user), in the units' order, as ``task_list``'s prefetch gives them."""
    names: dict[int, list[str]] = {}
    rows = (Task.coop_units.through.objects.filter(task_id__in=task_ids)
            .order_by("unit__sort_order", "unit_id").values_list("task_id", "unit__name"))
    for task_id, name in rows:
        names.setdefault(task_id, []).append(name)
    return names


def draft_counts(*, viewer, meeting_id: int) -> dict[str, int]:
    """What the draft ledger of a meeting says above its rows: how many tasks (``total``), and how many drafts
    have no lead unit (``missing_lead``) or no deadline (``missing_deadline``), of those the viewer sees."""
    drafts = Q(status=TaskStatus.DRAFT)
    return _task_filtered(viewer=viewer, status=None, area_id=None, unit_id=None, meeting_id=meeting_id, kind=None,
                          overdue=None, include_withdrawn=False, today=None, in_list_order=False).aggregate(
        total=Count("pk"), missing_lead=Count("pk", filter=drafts & Q(lead_unit__isnull=True)),
        missing_deadline=Count("pk", filter=drafts & Q(deadline__isnull=True)))


@dataclass(frozen=True)
class UnitsReach:
    """Whom a notice to tasks' lead and cooperating units reached, as ``task_units_notify_in_txn`` sent it (and
    ``task_reassign`` to the units a task left): the people of those units told, the units with nobody to tell
    (whom the clerk has to phone), and who in the supervision office received a lead unit's notice in its stead
    (代收; a cooperating unit's reaches nobody). Reaches of several notices of one action join with ``|``.

    ``told``: the ids of the units' people told. ``nobody``: (sort order, id, name, lead unit) of each unit with
    nobody. ``stood_in``: (office, id, name) of the people of an office (named as the notice names it:
    市委督查室, 临川区人民政府督查室) who received a 代收 notice; ``stood_in_by_actor``: the offices where the one
    who acted received it, as nobody else there could."""

    told: frozenset[int] = frozenset()
    nobody: frozenset[tuple[int, int, str, bool]] = frozenset()
    stood_in: frozenset[tuple[str, int, str]] = frozenset()
    stood_in_by_actor: frozenset[str] = frozenset()

    SHOWN = 10  # unit names in a message; the rest are counted
    SHOWN_PEOPLE = 3  # names of the office's people who stood in

    def __or__(self, other: UnitsReach) -> UnitsReach:
        return UnitsReach(told=self.told | other.told, nobody=self.nobody | other.nobody,
                          stood_in=self.stood_in | other.stood_in,
                          stood_in_by_actor=self.stood_in_by_actor | other.stood_in_by_actor)

    @classmethod
    def of(cls, reaches) -> UnitsReach:
        """The reaches of one action's notices joined (``分解下达``'s sub-tasks, a meeting's tasks)."""
        joined = cls()
        for reach in reaches:
            joined |= reach
        return joined

    @property
    def people(self) -> int:
        return len(self.told)

    @property
    def lead_unreached(self) -> bool:
        return any(lead for *_, lead in self.nobody)

    @property
    def unreached(self) -> tuple[str, ...]:
        """The units with nobody, lead units first (a unit that leads one task and cooperates on another leads),
        in the office's order within each."""
        lead = {pk for _, pk, _, is_lead in self.nobody if is_lead}
        units = {(pk not in lead, order, pk, name) for order, pk, name, _ in self.nobody}
        return tuple(name for *_, name in sorted(units))

    def sentence(self) -> str:
        """The message's truth, in the clerk's words: "已通知相关单位3人。" and, when some unit has nobody, which,
        and who in the office received the lead unit's notice."""
        told = f"已通知相关单位{self.people}人。"
        if not self.unreached:
            return told
        names = "、".join(self.unreached[:self.SHOWN])
        if len(self.unreached) > self.SHOWN:
            names += f"等{len(self.unreached)}个单位"
        return f"{told}{names}尚无可接收通知的人员，未能送达，请电话告知，或为其开通账号。{self._stand_in()}"

    def _stand_in(self) -> str:
        """Who held the lead units' notices, office by office: "牵头单位的通知已由市委督查室代收，发给了王芳。"."""
        if not self.lead_unreached:
            return ""
        if not self.stood_in:
            return "督查室也没有能接收通知的人员，牵头单位的通知无人代收。"
        held = []
        for office in sorted({office for office, *_ in self.stood_in}):
            if office in self.stood_in_by_actor:
                held.append(f"由{office}代收，发给了您（{office}只有您能接收通知）")
                continue
            people = [name for _, _, name in sorted(p for p in self.stood_in if p[0] == office)]
            names = "、".join(people[:self.SHOWN_PEOPLE])
            if len(people) > self.SHOWN_PEOPLE:
                names += f"等{len(people)}人"
            held.append(f"由{office}代收，发给了{names}")
        return f"牵头单位的通知已{'；'.join(held)}。"


def task_get(*, viewer, task_id: int, lead_staffed: bool = False) -> Task:
    """One task, or ``NotFound`` whether it is missing or out of the viewer's scope. ``lead_staffed``: with
    ``lead_unit_staffed`` (whether its lead unit has an active person of its own, in the same statement), which
    ``perms.has_lead_signer`` reads instead of asking."""
    # ``task_list``'s joins without its order, nor the model's (one row by key: an ORDER BY only costs compiling
    # the SQL, ~0.4 ms for the hundred columns of the task and what rides along).
    qs = _task_filtered(viewer=viewer, status=None, area_id=None, unit_id=None, meeting_id=None, kind=None,
                        overdue=None, include_withdrawn=True, today=None, in_list_order=False)
    qs = _with_list_joins(qs, lead_unit_aliases=True)
    if lead_staffed:
        qs = qs.annotate(lead_unit_staffed=Exists(perms.unit_members(OuterRef("lead_unit_id"))))
    task = next(iter(qs.filter(pk=task_id).order_by()[:1]), None)
    if task is None:
        raise NotFound()
    task.read_in_scope_of = viewer  # see ``in_scope_of``
    return task


def task_page_get(*, viewer, task_id: int) -> tuple[Task, bool]:
    """The task a task page shows and whether the viewer reads it in full: a task in scope (``task_get``), or,
    read-only and in part (title, deadline, issuing unit, status, tree), a task above one the viewer may see
    (``perms.can_read_ancestor_task``); ``NotFound`` otherwise."""
    try:
        return task_get(viewer=viewer, task_id=task_id, lead_staffed=True), True
    except NotFound:
        task = (Task.objects.filter(pk=task_id).exclude(tree_path="").select_related("issuing_unit", "lead_unit")
                .first())
        if task is None or not perms.can_read_ancestor_task(viewer, task):
            raise
        task.read_above_scope_of = viewer  # see ``read_above_scope``
        return task, False


def read_above_scope(task: Task, viewer) -> bool:
    """True when ``task_page_get`` read ``task`` for this very ``viewer`` as an ancestor of a task in its scope."""
    return getattr(task, "read_above_scope_of", None) is viewer


def in_scope_of(task: Task, viewer) -> bool:
    """True when ``task`` was read by ``task_get`` for this very ``viewer`` (the same object, so the same
    request), that is through the viewer's scope: a later read of the same task needs no second check.
    Templates cannot set the mark, so a task handed to a template any other way is still checked."""
    return getattr(task, "read_in_scope_of", None) is viewer


def task_history(*, viewer, task_id: int | None = None, task: Task | None = None) -> QuerySet[AuditEvent]:
    """The audit trail of one task the viewer may see (``NotFound`` otherwise), oldest first. Pass ``task`` (as
    returned by ``task_get`` for this viewer, so already checked) instead of ``task_id`` to skip the second check."""
    if task is not None:
        task_id = task.pk
    elif not perms.tasks_visible_to(viewer).filter(pk=task_id).exists():
        raise NotFound()
    return (AuditEvent.objects.filter(task_id=task_id).select_related("actor", "actor__profile", "unit", "report")
            .order_by("id"))


# What a task page shows of each event of its history and each of its reports (``task_history_values``,
# ``task_report_values``): read as plain values, not as events or reports with their users, profiles and units.
HISTORY_FIELDS = ("event_type", "extra", "created_at", "actor__username", "actor__first_name",
                  "actor__profile__display_name", "unit__name", "report_id")
REPORT_FIELDS = ("pk", "created_at", "unit_id", "unit__name", "author_id", "author__username",
                 "author__profile__display_name", "progress_percent", "request_close", "status", "text",
                 "review_comment", "entered_by_office")


def task_history_values(*, task: Task) -> list[dict]:
    """``task_history(task=task)`` as ``HISTORY_FIELDS`` dicts, oldest first. ``task`` as returned by ``task_get``
    for the viewer (so already checked)."""
    return list(task_history(viewer=None, task=task).values(*HISTORY_FIELDS))


def task_report_values(*, viewer, task: Task) -> list[dict]:
    """``report_list(viewer=viewer, task_id=task.pk)`` as ``REPORT_FIELDS`` dicts, newest first."""
    return list(report_list(viewer=viewer, task_id=task.pk).values(*REPORT_FIELDS))


# The task page's short lists (a report's files, the lead unit's name at 交办, and the follow-up app's: leaders'
# 批示, extension requests, reminders) come in one statement (``page_lists``): a UNION ALL of the lists, each row
# padded to these columns, of these types (what a list does not use is a typed NULL).
PAGE_LIST_COLUMNS = {"id": IntegerField, "at": DateTimeField, "day": DateField, "day2": DateField,
                     "code": CharField, "text": TextField, "text2": TextField, "text3": TextField,
                     "n": IntegerField, "n2": IntegerField}
PageRow = namedtuple("PageRow", PAGE_LIST_COLUMNS)
# typed NULLs: PostgreSQL takes a bare NULL in a part as text, which no other part's column matches (made once:
# a query copies an expression as it resolves it)
_PAGE_LIST_NULLS = {name: Cast(Value(None), output_field=field()) for name, field in PAGE_LIST_COLUMNS.items()}


def page_list_part(qs: QuerySet, **columns) -> tuple[QuerySet, tuple]:
    """One list of ``page_lists``: ``qs`` in its order, with ``columns`` (names of ``PAGE_LIST_COLUMNS`` -> a field
    or an expression of ``qs``); the other columns NULL. A list that must be short and cannot be sliced here (see
    ``lists_in_one``) is filtered by a sliced subquery of its ids."""
    return qs, tuple(columns.get(name) or null for name, null in _PAGE_LIST_NULLS.items())


def newest_rows(qs: QuerySet, n: int) -> QuerySet:
    """The ``n`` newest rows of ``qs`` (by id), newest first, as a part of ``page_lists`` takes a short list: by a
    sliced subquery of their ids (see ``page_list_part``)."""
    return qs.filter(pk__in=qs.order_by("-id").values("pk")[:n]).order_by("-id")


def page_lists(parts: dict[str, tuple[QuerySet, tuple]]) -> dict[str, list[PageRow]]:
    """The rows of each part (``page_list_part``) by its name, as ``PageRow``s, in one statement; no statement
    for no parts."""
    if not parts:
        return {}
    return {name: [PageRow(*row) for row in rows] for name, rows in lists_in_one(parts).items()}


def task_page_parts(*, task: Task, report_ids, with_files: bool) -> dict[str, tuple[QuerySet, tuple]]:
    """The tasks app's lists of a task page (``page_lists``): the files of its reports ``report_ids`` (already
    read through the viewer's scope), when ``with_files``, and the lead unit's rename after 交办, when it may have
    been renamed (``unit_name_at``). See ``files_of_rows`` and ``lead_name_then``."""
    parts = {}
    if with_files and report_ids:
        parts["files"] = report_files_part(ReportFile.objects.filter(report_id__in=list(report_ids)))
    if task.lead_unit_id and unit_may_have_been_renamed(task.lead_unit):
        renames = unit_renames_after(unit_id=task.lead_unit_id, when=task.assigned_at or task.created_at)
        parts["renamed"] = page_list_part(renames.filter(pk__in=renames.values("pk")[:1]), id="id",
                                          text="old_name")
    return parts


def report_files_part(files: QuerySet[ReportFile]) -> tuple[QuerySet, tuple]:
    """Reports' files as a list of ``page_lists``, by id; ``file_of_row`` reads each row back."""
    return page_list_part(files.order_by("id"), id="id", code="content_type", text="name", n="report_id", n2="size")


def file_of_row(row: PageRow) -> ReportFile:
    """A file of a ``report_files_part`` list (what a page shows of it: name, type, size, report)."""
    return ReportFile(id=row.id, content_type=row.code, name=row.text, report_id=row.n, size=row.n2)


def files_of_rows(rows: list[PageRow]) -> dict[int, list[ReportFile]]:
    """``report_files_of`` from the rows of ``task_page_parts``'s files."""
    out: dict[int, list[ReportFile]] = {}
    for r in rows:
        out.setdefault(r.n, []).append(file_of_row(r))
    return out


def lead_name_then(task: Task, lists: dict[str, list[PageRow]]) -> str:
    """The lead unit's name when the task was given to it (``unit_name_at``), from ``page_lists`` of
    ``task_page_parts``."""
    if not task.lead_unit_id:
        return ""
    return name_then((row.text for row in lists.get("renamed", ())), task.lead_unit.name)


def open_subtasks(parent) -> QuerySet[Task]:
    """The sub-tasks of ``parent`` (a task's id, or an ``OuterRef`` to one) still open: while there are any, the
    parent is signed off only with the office's reason (``actions.report_accept``)."""
    return Task.objects.filter(parent_id=parent, status__in=OPEN_STATUSES)


def open_subtasks_count(parent) -> Subquery:
    """``open_subtasks(parent)`` counted, as a scalar subquery (``parent`` an ``OuterRef``); 0 when none."""
    counted = open_subtasks(parent).order_by().values("parent_id").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def reports_to_review(viewer) -> QuerySet[ProgressReport]:
    """The progress reports waiting for ``viewer``'s review (待审核进展): submitted, on the tasks whose supervision
    it runs (``perms.supervised_by``: the office's those no unit issued, a unit's 督查室's those its unit issued).
    The 工作台's count and the review list are these."""
    return perms.reports_visible_to(viewer).filter(perms.supervised_by(viewer, "task__"), status=ReportStatus.SUBMITTED)


def report_list(*, viewer, task_id: int | None = None, status: str | None = None,
                to_review: bool = False, with_open_subtasks: bool = False) -> QuerySet[ProgressReport]:
    """The reports the viewer may read; ``to_review``: only those waiting for its review (``reports_to_review``);
    ``with_open_subtasks``: each with its task's ``open_subtasks`` counted (a close request's sign-off then needs
    a reason)."""
    qs = reports_to_review(viewer) if to_review else perms.reports_visible_to(viewer)
    if task_id is not None:
        qs = qs.filter(task_id=task_id)
    if status:
        qs = qs.filter(status=status)
    if with_open_subtasks:
        qs = qs.annotate(open_subtasks=open_subtasks_count(OuterRef("task_id")))
    return qs.select_related("unit", "author", "author__profile", "reviewed_by", "task",
                             "task__issuing_unit").order_by("-id")


def close_evidence_required_for(kind: str) -> bool:
    """Whether a close request on a task of this kind needs evidence: the office's rule for the kind, else
    ``DUBAN_CLOSE_EVIDENCE_KINDS``."""
    rule = CloseEvidenceRule.objects.filter(kind=kind).values_list("required", flat=True).first()
    return kind in settings.DUBAN_CLOSE_EVIDENCE_KINDS if rule is None else rule


def close_evidence_rules(*, viewer) -> list[tuple[str, str, bool]]:
    """(kind, label, required) for every kind of task, for the office's rules page."""
    if not perms.can_configure_close_evidence(viewer):
        raise PermissionDenied()
    return [(value, str(label), close_evidence_required_for(value)) for value, label in TaskKind.choices]


def parts_filed_by(unit_ids) -> QuerySet[ProgressReport]:
    """The reports that count as these units' part of a task (配合意见/配合进展): any not returned."""
    return ProgressReport.objects.filter(unit_id__in=unit_ids).exclude(status=ReportStatus.RETURNED)


def coop_parts_in(task: Task) -> dict[int, bool]:
    """For each cooperating unit of the task: has it filed its part (``parts_filed_by``)?"""
    coop = list(task.coop_units.values_list("pk", flat=True))
    filed = set(parts_filed_by(coop).filter(task=task).values_list("unit_id", flat=True))
    return {unit_id: unit_id in filed for unit_id in coop}


def report_file_get(*, viewer, file_id: int) -> ReportFile:
    """A file of a report the viewer may see; ``NotFound`` alike for missing and out of scope."""
    found = ReportFile.objects.filter(report__in=perms.reports_visible_to(viewer), pk=file_id).first()
    if found is None:
        raise NotFound()
    return found


def report_files_of(*, report_ids) -> dict[int, list[ReportFile]]:
    """The files of the given reports (already checked visible), by report id, in one query."""
    out: dict[int, list[ReportFile]] = {}
    for f in ReportFile.objects.filter(report_id__in=list(report_ids)).order_by("id"):
        out.setdefault(f.report_id, []).append(f)
    return out


def report_get(*, viewer, report_id: int) -> ProgressReport:
    report = report_list(viewer=viewer).filter(pk=report_id).first()
    if report is None:
        raise NotFound()
    return report


@dataclass(frozen=True)
class TaskStats:
    """Dashboard figures (``task_stats``). Each row of ``by_area`` and ``by_unit``: ``id`` (None: no area, no
    lead unit), ``name``, ``total``, ``closed``, ``overdue`` (open and past the deadline), ``unsigned`` (awaiting
    sign-off and not late: late ones are red) and ``rate`` (closed per cent of total). ``counts``: the
    ``grouped_task_counts`` they were summed from, for figures that other rules add per status (the lights)."""
    total: int
    by_status: dict[str, int]
    overdue: int
    closed: int
    completion_rate: float
    by_area: list[dict]
    by_unit: list[dict]
    counts: tuple[dict, dict] = ({}, {})
    # {("area", area id, light code): tasks, ("lead", lead unit id, light code): tasks} when the figures came
    # from the kept counts (``UnitTally``)
    lights: dict | None = None


def grouped_task_counts(scoped: QuerySet[Task], today: dt.date) -> tuple[dict, dict]:
    """The tasks of ``scoped`` (the viewer's tasks but drafts and withdrawn ones, perhaps filtered) counted per
    ``(area_id, status)`` and per ``(lead_unit_id, status)``: two dicts of ``[tasks, late]`` (late: past the
    deadline, which callers count for open statuses only), read as ``plain_rows``: one grouped pass over the
    covering ``task_lead_area_status_dl_idx`` (11,000 groups at 100k tasks), summed here. ``task_stats`` reads
    an unfiltered scope from the counts kept per unit instead, where they serve it."""
    by_area: dict = {}
    by_unit: dict = {}

    def add(groups: dict, key: tuple, n: int, late: int) -> None:
        sums = groups.get(key)
        if sums is None:
            groups[key] = [n, late]
        else:
            sums[0] += n
            sums[1] += late

    for lead, area, status, n, late in plain_rows(scoped.values_list("lead_unit_id", "area_id", "status").annotate(
            n=count_rows(), late=count_rows_where(Q(deadline__lt=today))).order_by()):
        add(by_area, (area, status), n, late)
        add(by_unit, (lead, status), n, late)
    return by_area, by_unit


def percent(part: int, whole: int) -> float:
    """``part`` as a per cent of ``whole`` to one decimal (0.0 of nothing): completion rates."""
    return round(100 * part / whole, 1) if whole else 0.0


def _kept_scope(viewer, subtree: tuple[int, ...] | None) -> tuple[list[int] | None, int] | None:
    """The units and level of ``UnitTally`` rows that count the viewer's tasks (led in ``subtree``, if given), or
    None when no sum of kept rows is that set: the office's are every unit's own (level 0, unit 0 for tasks
    without a lead unit); a unit member's, the level of its unit's depth over its unit subtree (each task of the
    scope counted once, ``duban.tasks.unit_tally``); a subtree inside the viewer's scope, its units' own."""
    if perms.is_office(viewer):
        if subtree is not None:
            return list(subtree), 0
        return None, 0  # every unit
    own = perms.unit_of(viewer) if perms.is_unit_member(viewer) else None
    if own is None or not own.path:
        return None
    scope = perms.scope_unit_ids(viewer)
    if subtree is None:
        return scope, unit_tally.scope_level(own.path)
    return (list(subtree), 0) if set(subtree) <= set(scope) else None


def _kept_groups(counts: dict) -> tuple[tuple[dict, dict], dict]:
    """``kept_figures`` rows as ``grouped_task_counts``'s two dicts, and the lights per (axis, key, code)."""
    by_area: dict = {}
    by_unit: dict = {}
    lights: dict = {}
    for (axis, key, status, light, late), n in counts.items():
        sums = (by_area if axis == "area" else by_unit).setdefault((key, status), [0, 0])
        sums[0] += n
        sums[1] += n if late else 0
        lights[(axis, key, light)] = lights.get((axis, key, light), 0) + n
    return (by_area, by_unit), lights


def task_stats(*, viewer, tasks: QuerySet[Task] | None = None, unfiltered: bool = False,
               subtree: tuple[int, ...] | None = None, today: dt.date | None = None) -> TaskStats:
    """Dashboard figures over the tasks the viewer may see (a chart must not count what its viewer cannot open),
    drafts and withdrawn tasks left out: the home page's and the reports dashboard's (which adds the lights).
    ``tasks``: the viewer's tasks filtered further (from ``task_list``), else all of them; ``unfiltered``: the
    caller's word that ``tasks`` has no filter of its own but ``subtree`` (the lead units it is narrowed to, for
    a report over a unit subtree). An unfiltered scope is read from the counts kept per unit and day
    (``duban.tasks.unit_tally``: a few hundred rows, with the lights, ``TaskStats.lights``); a filtered list is
    counted directly, per area and per lead unit (``grouped_task_counts``). One more query for the names,
    whatever the number of tasks."""
    from duban.core.models import Area

    qs = perms.tasks_visible_to(viewer) if tasks is None else tasks
    qs = qs.exclude(status__in=[TaskStatus.WITHDRAWN, TaskStatus.DRAFT])
    today = today or today_local()
    kept = _kept_scope(viewer, subtree) if tasks is None or unfiltered else None
    lights = None
    if kept is not None:
        grouped, lights = _kept_groups(unit_tally.kept_figures(*kept, today))
    else:
        grouped = grouped_task_counts(qs, today)
    by_status: dict[str, int] = {}
    areas: dict = {}
    units: dict = {}
    overdue = 0
    for groups, tally, with_totals in zip(grouped, (areas, units), (True, False)):
        for (key, status), (n, late) in groups.items():
            late = late if status in OPEN_STATUSES else 0
            if with_totals:
                by_status[status] = by_status.get(status, 0) + n
                overdue += late
            row = tally.setdefault(key, [0, 0, 0, 0])
            row[0] += n
            row[1] += n if status == TaskStatus.CLOSED else 0
            row[2] += late
            row[3] += n - late if status == TaskStatus.ASSIGNED else 0  # 未签收, its own series (late ones are red)
    total = sum(by_status.values())
    closed = by_status.get(TaskStatus.CLOSED, 0)
    names = (Area.objects.filter(pk__in=[k for k in areas if k]).values_list(Value("a"), "id", "name", "sort_order")
             .order_by().union(Unit.objects.filter(pk__in=[k for k in units if k]).values_list(
                 Value("u"), "id", "name", Value(0, output_field=IntegerField())).order_by(), all=True)) \
        if areas or units else []
    area_names, unit_names = {}, {}
    for kind, pk, name, order in names:
        if kind == "a":
            area_names[pk] = (name, order)
        else:
            unit_names[pk] = name

    def row_of(pk, name: str, counts: list) -> dict:
        total_n, closed_n, late, unsigned = counts
        return {"id": pk, "name": name, "total": total_n, "closed": closed_n, "overdue": late,
                "unsigned": unsigned, "rate": percent(closed_n, total_n)}

    # Unclassified areas and tasks without a lead unit come last.
    by_area = [row_of(pk, area_names[pk][0] if pk in area_names else "未分类", counts)
               for pk, counts in sorted(areas.items(), key=lambda item: (
                   item[0] is None, area_names.get(item[0], ("", 0))[1], item[0] or 0))]
    by_unit = [row_of(pk, unit_names.get(pk) or "未指定", counts)
               for pk, counts in sorted(units.items(), key=lambda item: (-item[1][0], item[0] is None, item[0] or 0))]
    return TaskStats(total=total, by_status=by_status, overdue=overdue, closed=closed,
                     completion_rate=percent(closed, total), by_area=by_area, by_unit=by_unit, counts=grouped,
                     lights=lights)


def split_unit_choices(*, viewer) -> QuerySet[Unit]:
    """The units a viewer's 分解下达 may name: any active unit for the office, the active units below its own for a
    unit's supervision office (``task_decompose`` refuses any other)."""
    units = (Unit.objects.filter(is_active=True, is_group=False).only("id", "name", "path")
             .order_by("path", "sort_order", "id"))
    if perms.is_supervisor(viewer):
        return units
    own = perms.unit_of(viewer)
    if not perms.is_unit_supervisor(viewer):
        return units.none()
    return units.filter(path__startswith=own.path).exclude(pk=own.pk)
