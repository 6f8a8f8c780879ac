"""Pages of the task workflow: the task list and one task (签收, 退回, 报送进展), the review of progress reports
(采纳, 退回), and the draft-ledger edits used from a meeting's page (edit inline with HTMX, split, drop).

Thin: each handler parses, calls one selector or action from ``duban.tasks``, and renders; domain errors from a
form's action are shown next to the form, others become 404/403 through ``page_errors``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from html import escape as quote
from types import SimpleNamespace

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.utils import flatatt
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from duban.core import rules
from duban.core.audit import EventType, event_label
from duban.core.cache import cached, chain_head
from duban.core.cache import timeout_seconds as cache_timeout_seconds
from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.files import file_response, thumbnail_name
from duban.core.rows import lists_in_one
from duban.core.selectors import area_list, unit_filter_list, unit_list
from duban.core.views import (PAGE_SIZE, KeysFirstPaginator, is_htmx, page_errors, paginate, select_options,
                              select_options_marked)
from duban.tasks import actions, palette, selectors
from duban.tasks import permissions as perms
from duban.tasks.models import (OPEN_STATUSES, REPORTABLE_STATUSES, ProgressReport, ReportStatus, RollupMode,
                                TaskKind, TaskStatus, choice_label, deadline_warning, is_late, shown_progress)
from duban.tasks.page_parts import light_badge_of_values, light_of, meeting_choices, rollup_lights

# --- the audit trail in the office's words ------------------------------------------------------------------

FIELD_LABELS = {"title": "事项", "text": "内容", "area_id": "领域", "lead_unit_id": "牵头单位",
                "coop_unit_ids": "配合单位", "deadline": "时限", "deadline_text": "原文时限", "priority": "优先级",
                "report_cycle": "报送周期", "report_every": "报送间隔", "heading": "所属部署"}


class _EventFacts:
    """What ``event_detail`` reads of an event, from plain values."""

    __slots__ = ("event_type", "extra")

    def __init__(self, event_type, extra):
        self.event_type, self.extra = event_type, extra


def event_detail(event) -> str:
    extra = event.extra or {}
    if event.event_type == EventType.TASK_UPDATED:
        changed = [FIELD_LABELS.get(k, k) for k in (extra.get("new") or {})]
        return "修改了" + "、".join(changed) if changed else ""
    if event.event_type == EventType.REPORT_SUBMITTED:
        return (f"进度 {extra.get('progress_percent', 0)}%" + ("，申请办结" if extra.get("request_close") else "")
                + ("，由督查室代录" if extra.get("entered_by_office") else ""))
    if event.event_type == EventType.TASK_ACCEPTED and extra.get("entered_by_office"):
        return "牵头单位尚无能签收的人员，由督查室代为签收"
    if event.event_type == EventType.TASK_WITHDRAWN and extra.get("reason") == "merged":
        return f"并入事项 #{extra.get('into_task_id')}"
    if event.event_type == EventType.LIVELIHOOD_ACTUAL_RECORDED and extra.get("month"):
        unit = extra.get("measure_unit") or ""
        return (f"{extra['month']} 完成 {_figure(extra.get('value'))}{unit}"
                + (f"（更正，原为 {_figure(extra['old_value'])}{unit}）" if extra.get("old_value") else ""))
    if event.event_type == EventType.TASK_REASSIGNED and "lead_unit" in (extra.get("new") or {}):
        return _reassigned(extra)
    if event.event_type == EventType.TASK_DEADLINE_ADJUSTED:
        return f"{extra.get('old_deadline') or '未定'} → {extra.get('new_deadline')}：{extra.get('reason', '')}"
    if event.event_type == EventType.TASK_DEADLINE_CHANGE_CONFIRMED:  # a 批示's deadline, confirmed
        return f"{(extra.get('old') or {}).get('deadline') or '未定'} → {(extra.get('new') or {}).get('deadline')}"
    for key in ("reason", "comment", "message", "note"):  # note: a hazard's 复查意见
        if extra.get(key):
            return str(extra[key])
    return ""


def _figure(value) -> str:
    """A recorded figure ("120.00") as written (120)."""
    try:
        return f"{Decimal(str(value)).normalize():f}"
    except (InvalidOperation, ValueError):
        return str(value)


def _reassigned(extra: dict) -> str:
    """改派 in the history: which units it moved from and to (as they were named then), then why."""
    old, new = extra.get("old") or {}, extra.get("new") or {}
    parts = []
    if old.get("lead_unit_id") != new.get("lead_unit_id"):
        parts.append(f"牵头单位：{old.get('lead_unit') or '未定'} → {new.get('lead_unit')}")
    if old.get("coop_unit_ids") != new.get("coop_unit_ids"):
        parts.append(f"配合单位：{'、'.join(old.get('coop_units') or []) or '无'} → "
                     f"{'、'.join(new.get('coop_units') or []) or '无'}")
    return "；".join(parts + [f"理由：{extra.get('reason', '')}"])


def task_history_items(events) -> str:
    """A task page's history (``<li>`` items) from ``selectors.task_history_values`` dicts, built in one pass
    like the list's rows (the template loop with its ``default`` and ``date`` filters cost ~0.2 ms an event).
    Every value goes through ``quote`` (what ``{{ }}`` does), dates are local like the ``date`` filter's.
    Returning a close request is one step recorded twice (the report returned, the close request returned: see
    ``actions.report_return``): it shows once, as 办结申请被退回."""
    returned_closes = {e["report_id"] for e in events if e["event_type"] == EventType.TASK_CLOSE_RETURNED}
    out = []
    for e in events:
        if e["event_type"] == EventType.REPORT_RETURNED and e["report_id"] in returned_closes:
            continue
        fact = _EventFacts(e["event_type"], e["extra"])
        actor = e["actor__profile__display_name"] or e["actor__first_name"] or e["actor__username"]
        unit = e["unit__name"]
        detail = event_detail(fact)
        out.append(
            '\n        <li><div><span class="fw-semibold">' + quote(str(event_label(fact.event_type))) + "</span> · "
            + quote(str(actor)) + ("（" + quote(unit) + "）" if unit else "") + "</div>\n          "
            + ('<div class="text-muted">' + quote(detail) + "</div>" if detail else "")
            + '\n          <div class="text-muted">' + _local_minute(e["created_at"]) + "</div></li>\n        ")
    return mark_safe("".join(out))  # every part escaped above


def _local_minute(value) -> str:
    """``{{ value|date:"Y-m-d H:i" }}`` of an aware datetime."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


# --- list and detail ----------------------------------------------------------------------------------------

def _int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


class ListPaginator(KeysFirstPaginator):
    """Pages a task list: reads a page's ids with ``keys_of(bottom, top, listed)`` (``selectors.task_list_keys``,
    ``listed`` the list's total), its rows with ``rows_of(keys)`` and counts with ``counted()`` (the same rows
    counted: see ``duban.tasks.permissions.tasks_visible_to`` for why the statements differ). The count scans
    every matching row (a county's 13k tasks: 90 ms on PostgreSQL), so it is kept in the cache of figures under
    the viewer's scope, the filters, the date and the audit chain head (``duban.core.cache``: never stale);
    ``counted`` is only called on a miss. ``head``: the chain head read for this request (see ``cached``)."""

    def __init__(self, per_page, *, keys_of, rows_of, counted, viewer, filters: dict, today, head=None):
        super().__init__((), per_page)
        self.counted, self.viewer, self.filters, self.today, self.head = counted, viewer, filters, today, head
        self.keys_of, self.rows_of = keys_of, rows_of

    def page_keys(self, bottom: int, top: int) -> list:
        return self.keys_of(bottom, top, self.count)

    @cached_property
    def count(self) -> int:
        return cached("task-list-count", self.viewer, tuple(sorted(self.filters.items())), self.today,
                      self.counted, head=self.head)


@login_required
@page_errors
def task_list(request):
    g = request.GET
    user = request.user
    chosen = selectors.list_filters(g)  # the export (台账) reads the same filters from the same query string
    filters = {"status": chosen["status"] or "", "area": chosen["area_id"], "unit": chosen["unit_id"],
               "role": chosen["unit_role"] or "", "meeting": chosen["meeting_id"], "kind": chosen["kind"] or "",
               "overdue": chosen["overdue"],
               "due": chosen["due"] or "", "todo": chosen["todo"] or ""}
    today = selectors.today_local()
    # A page that only reads: the audit chain head is read once for both cached figures below.
    head = chain_head() if cache_timeout_seconds() > 0 else None
    paginator = ListPaginator(PAGE_SIZE, keys_of=lambda bottom, top, listed: selectors.task_list_keys(
                                  viewer=user, bottom=bottom, top=top, listed=listed, **chosen),
                              rows_of=lambda keys: selectors.task_list_page_rows(viewer=user, keys=keys),
                              counted=lambda: selectors.task_list_count(viewer=user, **chosen),
                              viewer=user, filters=chosen, today=today, head=head)
    page = paginator.get_page(g.get("page"))
    # The filters' options (300 units at a province's scale) are the same for every page of a scope until an
    # audited change: kept rendered in the cache of figures, the chosen one marked per request.
    options = cached("task-list-options", user, (), today, lambda: _filter_options(user), head=head)
    return render(request, "tasks/list.html", {
        # the rows joined here: one template node instead of a loop (each row is built escaped)
        "page": page, "rows": mark_safe("".join(row + "\n  " for row in task_list_rows(page, today))),
        "filters": filters,
        "statuses": [(value, label) for value, label in TaskStatus.choices
                     if value != TaskStatus.DRAFT or perms.sees_drafts(user)],
        # what the dashboard counts (every task but drafts), for those who see drafts
        "issued": (selectors.ISSUED, "全部（不含草稿）") if perms.sees_drafts(user) else None,
        "due_choices": selectors.DUE_FILTERS.items(),
        "kind_choices": TaskKind.choices,
        "role_choices": selectors.UNIT_ROLES.items(),
        "todo_choices": selectors.todo_choices(user),
        "no_area": selectors.NO_AREA,
        "area_options": select_options_marked(options["area"],
                                              None if filters["area"] == selectors.NO_AREA else filters["area"]),
        # a unit's people choose among their own unit and those under it, none when that is their unit alone
        "unit_options": select_options_marked(options["unit"], filters["unit"])
        if options["unit"].count("<option") > 1 or filters["unit"] else "",
        "meeting_options": select_options_marked(options["meeting"], filters["meeting"]),
        "today": today,
        "reviews_reports": perms.reviews_reports(user), "keeps_ledger": perms.keeps_task_ledger(user),
    })


def _filter_options(viewer) -> dict[str, str]:
    """The task list's filter options, nothing selected, read in one statement (``lists_in_one``). A unit's
    meetings are found through its tasks (80 ms for a county on PostgreSQL at 100k). The office's units are every
    unit; a unit's people's are their unit and those under it (the city's other units are only ever partners on
    a few of their tasks)."""
    lists = lists_in_one({"area": (area_list(viewer=viewer), ("id", "name")),
                          "unit": (unit_filter_list(viewer=viewer), ("id", "name")),
                          "meeting": (meeting_choices(viewer=viewer), ("id", "title"))})
    return {name: str(select_options(rows, None)) for name, rows in lists.items()}


# One task row (the task list's, a confirmed meeting's table); every field is escaped in task_list_rows.
TASK_ROW = (
    '\n    <tr{attrs}>\n'
    '      <td class="d-none d-sm-table-cell text-nowrap small text-muted">{seq}</td>\n'
    '      <td class="cell-text"><a href="{url}" class="fw-semibold">{title}</a>{marks}\n'
    '        {meeting}\n'
    '        <div class="d-sm-none small">牵头：{lead} · <span class="text-nowrap">时限：<span class="{late}">'
    '{deadline}</span></span> · <span class="text-nowrap">进度 {pct}%</span></div></td>\n'
    '      <td class="d-none d-sm-table-cell small">{units}</td>\n'
    '      <td class="d-none d-md-table-cell text-nowrap small">{area}</td>\n'
    '      <td class="d-none d-sm-table-cell text-nowrap small{late_td}">{deadline}</td>\n'
    '      <td class="text-nowrap"><span class="badge status-{status} {status_css}">{status_label}</span>'
    ' {light}</td>\n'
    '      <td class="d-none d-sm-table-cell"><div class="progress progress-thin" role="progressbar"'
    ' aria-valuenow="{pct}" aria-valuemin="0" aria-valuemax="100" aria-label="进度">'
    '<div class="progress-bar bg-success" data-width="{pct}"></div></div>\n'
    '        <span class="small text-muted">{pct}%</span></td>\n'
    '    </tr>'
)


SUBTASK_MARK = ' <span class="badge text-bg-light border fw-normal">子任务</span>'
SPLIT_MARK = ' <span class="badge text-bg-light border fw-normal">已分解</span>'


def task_list_rows(rows, today, *, in_meeting: bool = False) -> list[str]:
    """Task rows as HTML from ``selectors.LIST_ROW_FIELDS`` tuples (``task_list_page_rows``; values after them
    are passed over), built in one pass: the same cells through the template language (lookups, filters,
    ``{% if %}`` chains, a tag a row) cost ~0.5 ms a row, a page of 50 rows most of the page's time. Every user-entered value goes through ``quote`` (the standard library's
    ``html.escape``, which Django's ``escape`` wraps), the light badge is ``light_badge_of_values`` (the same
    badge as ``{% light_badge task %}``). ``in_meeting``: the rows of one meeting's table, which needs no meeting
    line and ties each row to its sentence in the communique (``data-span-for``)."""
    rows = list(rows)
    coops = selectors.task_coop_unit_names(task_ids=[row[0] for row in rows])
    # A split task under the "worst" roll-up takes its light from its sub-tasks too: one read for the page's.
    rolled = rollup_lights([SimpleNamespace(pk=row[0], rolled_progress=row[14], rollup_mode=row[15],
                                            tree_path=row[16]) for row in rows], today)
    labels = {value: quote(str(label)) for value, label in TaskStatus.choices}  # in the active language
    # a task from another source than a meeting (领导批示, 督察交办件...) says which, where a meeting's says the meeting
    sources = {value: f'<div class="small text-muted">来源：{quote(str(label))}</div>'
               for value, label in TaskKind.choices if value != TaskKind.MEETING}
    prefix = reverse("tasks:list")
    out = []
    for (pk, seq, title, status, deadline, pct, meeting_id, meeting_title, lead_name, area_name, assigned_at,
         report_cycle, report_every, reported_at, rolled_progress, _mode, path, kind, *_) in rows:
        lead = quote(lead_name or "—")
        units = lead
        if pk in coops:
            units += '<div class="text-muted">配合：' + "、".join(quote(name) for name in coops[pk]) + "</div>"
        late = is_late(status, deadline, today)
        pct = shown_progress(status, pct, rolled_progress)
        out.append(mark_safe(TASK_ROW.format(  # every part escaped above
            attrs=f' data-span-for="{int(pk)}"' if in_meeting else "",
            seq=int(seq) if seq else "", url=f"{prefix}{int(pk)}/", title=quote(title),
            meeting="" if in_meeting else f'<div class="small text-muted">{quote(meeting_title)}</div>'
            if meeting_id is not None else sources.get(kind, ""),
            # a sub-task (分解下达) shares its parent's 序号 and title: the marks tell them apart (``tree_path``
            # is "/<root>/.../<task>/" on every task of a split, "" on one never split)
            marks=(SUBTASK_MARK if path.count("/") > 2 else "") + (SPLIT_MARK if rolled_progress is not None else ""),
            lead=lead, units=units, area=quote(area_name or "—"),
            late="text-danger fw-semibold" if late else "", late_td=" text-danger fw-semibold" if late else "",
            deadline=deadline.isoformat() if deadline else "无时限", status=quote(status),
            status_css=palette.status_class(status),
            status_label=labels[status] if status in labels else quote(status),
            light=light_of(rolled[pk].light) if pk in rolled else light_badge_of_values(
                status, deadline, assigned_at, pct, report_cycle, report_every, reported_at, today, rolled_progress),
            pct=pct)))
    return out


FILE_EVENTS = frozenset((EventType.REPORT_SUBMITTED, EventType.TASK_CLOSE_EVIDENCE_ADDED))


@login_required
@page_errors
def task_detail(request, task_id: int):
    user = request.user
    task, full = selectors.task_page_get(viewer=user, task_id=task_id)
    if not full:
        return _task_above(request, task)
    # Only what the page shows, as plain values (not reports and events with their users, profiles and units).
    reports = selectors.task_report_values(viewer=user, task=task)
    events = selectors.task_history_values(task=task)
    # The history (read anyway) says whether any report has files, whether a leader commented and whether there
    # were reminders or extension requests: a task without them reads no list of them. The lists there are (the
    # reports' files, the lead unit's name at 交办, the follow-up's) come in one statement.
    kinds = {e["event_type"] for e in events if e["event_type"] not in FILE_EVENTS or (e["extra"] or {}).get("files")}
    # the follow-up app's and the sources' (``page_parts``)
    from duban.tasks.page_parts import close_note, source_link, source_parts, task_page_parts, task_tree

    lists = selectors.page_lists({
        **selectors.task_page_parts(task=task, report_ids=[r["pk"] for r in reports],
                                    with_files=bool(kinds & FILE_EVENTS)),
        **task_page_parts(viewer=user, task=task, history_kinds=kinds), **source_parts(task=task)})
    files = selectors.files_of_rows(lists.get("files", ()))
    coop_ids = {unit.pk for unit in task.coop_units.all()}  # prefetched with the task
    for r in reports:
        r["status_label"] = choice_label(ReportStatus, r["status"])
        r["coop_part"] = r["unit_id"] in coop_ids  # a cooperating unit's 配合意见, not the task's progress
        r["files"] = files.get(r["pk"], [])
        # 采纳/退回 on each report: the supervising office's, never on a report of the reviewer's own
        r["can_review"] = perms.can_review_report(user, ProgressReport(task=task, author_id=r["author_id"]))
    history = task_history_items(events)
    can_accept = task.status == TaskStatus.ASSIGNED and perms.can_accept_task(user, task)
    can_report = (task.status in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
                  and perms.can_report_on_task(user, task))
    can_review = perms.supervises_task(user, task)
    # a cooperating unit's person on a task its lead unit has not signed for yet: nothing to do, and told why
    waiting_for_lead = (task.status == TaskStatus.ASSIGNED and not can_accept and not can_review
                        and perms.is_coop_member(user, task))
    # A unit renamed since the task was made (机构更名) shows the name the task was given to as well.
    lead_name_then = selectors.lead_name_then(task, lists)
    office = _office_actions(user, task)
    may_edit = perms.can_edit_task(user, task)
    tree = task_tree(viewer=user, task=task)  # None (and no query) for a task never split
    return render(request, "tasks/detail.html", {
        "tree": tree, "rolled": tree.top if tree is not None and tree.top.subtasks else None,
        "office": office,
        "task": task, "reports": reports, "history": history, "today": selectors.today_local(),
        "lead_name_then": lead_name_then if task.lead_unit_id and lead_name_then != task.lead_unit.name else "",
        "can_accept": can_accept, "can_decline": can_accept, "waiting_for_lead": waiting_for_lead,
        "source": source_link(task=task, lists=lists),
        "can_report": can_report, "can_request_close": can_report and perms.can_request_close(user, task),
        # what the task's own record would refuse a close request for, said before it is sent
        "close_note": close_note(task=task) if can_report and perms.can_request_close(user, task) else "",
        "can_review": can_review,
        "can_assign": task.status == TaskStatus.RETURNED and perms.can_assign_task(user, task),
        # a draft outside a meeting (a ledger import's, one made by hand) is edited and issued here; a meeting's
        # drafts are issued together by its 确认交办
        "can_issue_draft": (task.status == TaskStatus.DRAFT and task.meeting_id is None
                            and perms.can_assign_task(user, task) and may_edit),
        "can_withdraw": (task.status in OPEN_STATUSES or task.status == TaskStatus.DRAFT) and may_edit,
        # a deadline on a non-working day is for whoever may still change it to check, not for the unit doing it
        "deadline_warning": task.deadline_warning if may_edit else "",
        "commented": EventType.TASK_COMMENTED in kinds, "lists": lists,
        "history_kinds": {e["event_type"] for e in events},
        "split": _split_form(user, task, office.get("unit_options")),
        "note_attrs": flatatt(deadline_note_attrs()),  # the 调整时限 and 分解下达 date fields'
    })


def _task_above(request, task):
    """The page of a task above one the viewer may see: what ``selectors.task_page_get`` lets it read (title,
    status, deadline, issuing and lead unit, the rolled-up light and progress, the tree), nothing to act on."""
    from duban.tasks.page_parts import task_tree

    tree = task_tree(viewer=request.user, task=task)
    return render(request, "tasks/above.html", {
        "task": task, "tree": tree, "rolled": tree.top if tree is not None and tree.top.subtasks else None,
        # who issued it, named as the 工作台 names it: a level's office after its unit (临川区人民政府督查室), the
        # office by its own name (市委督查室)
        "issuer": (f"{task.issuing_unit.name}督查室" if task.issuing_unit_id else actions.supervision_office().name)})


def _unit_options(units) -> str:
    """The ``<option>`` elements of units, none selected, built once for every unit drop-down of the task page:
    twelve in the split form and two in the 改派 form, 300 units each at a province's scale, cost ~50 ms through
    the template language."""
    return select_options(units.values_list("pk", "name"), None)


def _split_form(user, task, office_options=None) -> dict:
    """What the 分解下达 form offers: the units a sub-task may go to (``unit_options``), blank rows, the roll-up
    modes; empty for a viewer who may not split the task. The office may name any active unit, the options its
    改派 form has built already (``office_options``: one query less on the page)."""
    if task.status not in perms.SPLITTABLE_STATUSES or not perms.can_split_task(user, task):
        return {}
    options = (office_options if office_options is not None and perms.is_supervisor(user)
               else _unit_options(selectors.split_unit_choices(viewer=user)))
    return {"unit_options": options, "rows": range(SPLIT_ROWS), "max_rows": actions.MAX_SUBTASKS,
            "modes": RollupMode.choices,
            # the latest deadline a row may take, as its ``max`` (the ``date`` filter cost ~40 µs on each row)
            "max_deadline": task.deadline.isoformat() if task.deadline else ""}


def _office_actions(user, task) -> dict:
    """What the office may do with a task after 交办 (the ``tasks/_office_actions.html`` panel), and the units its
    改派 form offers; empty for everyone else."""
    from duban.tasks.models import SUPERVISED_STATUSES
    from duban.tasks.page_parts import can_issue_notice, can_urge_task

    reassign = task.status in actions.REASSIGNABLE and perms.can_reassign_task(user, task)
    supervised = task.status in SUPERVISED_STATUSES
    office = {
        "reassign": reassign,
        "adjust_deadline": task.status in OPEN_STATUSES and perms.can_adjust_deadline(user, task),
        "urge": supervised and can_urge_task(user, task),
        "notice": supervised and can_issue_notice(user, task),
        "enter_report": task.status in REPORTABLE_STATUSES and perms.can_enter_report_for_unit(user, task),
        "accept_for_unit": task.status == TaskStatus.ASSIGNED and perms.can_accept_for_unit(user, task),
    }
    if not any(office.values()):
        return {}
    if reassign:  # a level's own office gives its sub-tasks only to the units below it
        options = _unit_options(unit_list(viewer=user).select_related(None) if perms.is_supervisor(user)
                                else selectors.split_unit_choices(viewer=user))
        office["unit_options"] = options
        office["lead_options"] = select_options_marked(options, task.lead_unit_id)
        coop = options
        for u in task.coop_units.all():  # prefetched with the task
            coop = select_options_marked(coop, u.pk)
        office["coop_options"] = coop
    return office


def _back_to_task(request, task_id: int, error: Exception | None = None, ok: str = "", sent: bool = False):
    """Back to the task's page with the outcome. ``sent``: the page's kept draft (``data-draft``) arrived and the
    browser may forget it."""
    if error is not None:
        messages.error(request, error.message_zh)
    elif ok:
        messages.success(request, ok, extra_tags="draft-sent" if sent else "")
    return redirect("tasks:detail", task_id=task_id)


def _task_step(request, task_id: int, action, ok: str, **kwargs):
    """Run one workflow action on the task and go back to its page with the outcome as a message."""
    try:
        action(actor=request.user, task_id=task_id, **kwargs)
    except (Conflict, InvalidInput) as exc:
        return _back_to_task(request, task_id, exc)
    return _back_to_task(request, task_id, ok=ok)


def _told_step(request, task_id: int, action, done: str, **kwargs):
    """``_task_step`` for a step that tells the units of tasks (重新交办, 改派, 调整时限, 分解下达), saying whom it
    reached: a warning naming the units with nobody to tell, so that the clerk phones them. ``action`` returns the
    task or the tasks whose units were told, each with its ``reach`` (``selectors.UnitsReach``)."""
    try:
        told = action(actor=request.user, task_id=task_id, **kwargs)
    except (Conflict, InvalidInput) as exc:
        return _back_to_task(request, task_id, exc)
    reach = selectors.UnitsReach.of(t.reach for t in (told if isinstance(told, list) else [told]))
    (messages.warning if reach.unreached else messages.success)(request, done + reach.sentence())
    return redirect("tasks:detail", task_id=task_id)


@login_required
@require_POST
@page_errors
def task_accept(request, task_id: int):
    if request.POST.get("for_unit"):  # the office's 代为签收 for a lead unit with nobody who can sign
        return _task_step(request, task_id, actions.task_accept, "已代为签收，可代录该单位的进展。", for_unit=True)
    return _task_step(request, task_id, actions.task_accept, "已签收。")


@login_required
@require_POST
@page_errors
def task_decline(request, task_id: int):
    return _task_step(request, task_id, actions.task_decline, "已退回督查室。",
                      reason=request.POST.get("reason", "").strip())


@login_required
@require_POST
@page_errors
def task_assign(request, task_id: int):
    """交办 of a draft, 重新交办 of a task a unit returned: the same action."""
    task = selectors.task_get(viewer=request.user, task_id=task_id)
    return _told_step(request, task_id, actions.task_assign,
                      "已交办。" if task.status == TaskStatus.DRAFT else "已重新交办。")


class ReassignForm(forms.Form):
    version = forms.IntegerField()
    lead_unit = forms.IntegerField(min_value=1, error_messages={"required": "请选择牵头单位"})
    reason = forms.CharField(max_length=500, required=False)


def _form_error(form) -> InvalidInput:
    return InvalidInput("；".join(str(v[0]) for v in form.errors.values()) or "请检查填写内容", "invalid input")


@login_required
@require_POST
@page_errors
def task_reassign(request, task_id: int):
    """改派 / 重新交办 from the task page."""
    form = ReassignForm(request.POST)
    if not form.is_valid():
        return _back_to_task(request, task_id, _form_error(form))
    d = form.cleaned_data
    coop = [int(v) for v in request.POST.getlist("coop_units") if v.isdigit()]  # the action checks each unit
    return _told_step(request, task_id, actions.task_reassign, "已改派。", version=d["version"],
                      lead_unit_id=d["lead_unit"], coop_unit_ids=coop, reason=d["reason"].strip())


# The split form's blank rows as the page comes; 再加一行 adds more in the browser, up to ``actions.MAX_SUBTASKS``
# (each row is two drop-downs of every unit the office may name: six rows made the office's task page 230 KB at a
# province's 300 units, for a form most visits never open).
SPLIT_ROWS = 2


@login_required
@require_POST
@page_errors
def task_decompose(request, task_id: int):
    """分解下达 from the task page: rows of a lead unit, its cooperating units and a deadline."""
    parts = []
    try:
        for i in range(actions.MAX_SUBTASKS):
            lead = request.POST.get(f"lead_{i}", "")
            if f"lead_{i}" not in request.POST:
                break
            deadline = request.POST.get(f"deadline_{i}", "").strip()
            parts.append({"lead_unit_id": int(lead) if lead.isdigit() else None,
                          "coop_unit_ids": [int(v) for v in request.POST.getlist(f"coop_{i}") if v.isdigit()],
                          "deadline": dt.date.fromisoformat(deadline) if deadline else None,
                          "title": request.POST.get(f"title_{i}", "").strip()})
        version = int(request.POST.get("version", ""))
    except ValueError:
        return _back_to_task(request, task_id, InvalidInput("日期或版本格式不正确", "a date or the version is malformed"))
    parts = [p for p in parts if p["lead_unit_id"] or p["deadline"] or p["coop_unit_ids"] or p["title"]]
    return _told_step(request, task_id, actions.task_decompose, "已分解下达。", version=version,
                      parts=parts, rollup_mode=request.POST.get("rollup_mode", "worst"))


class DeadlineAdjustForm(forms.Form):
    version = forms.IntegerField()
    deadline = forms.DateField(error_messages={"required": "请选择新的时限", "invalid": "日期格式不正确"})
    reason = forms.CharField(max_length=500, required=False)


@login_required
@require_POST
@page_errors
def task_deadline_adjust(request, task_id: int):
    """调整时限 from the task page."""
    form = DeadlineAdjustForm(request.POST)
    if not form.is_valid():
        return _back_to_task(request, task_id, _form_error(form))
    d = form.cleaned_data
    return _told_step(request, task_id, actions.task_deadline_adjust, "时限已调整。",
                      version=d["version"], deadline=d["deadline"], reason=d["reason"].strip())


class ReportForm(forms.Form):
    text = forms.CharField(label="进展情况", widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=rules.PROGRESS_TEXT_MAX)
    progress_percent = forms.IntegerField(label="完成进度（%）", min_value=0, max_value=100, initial=0)
    request_close = forms.BooleanField(label="申请办结", required=False)
    evidence_text = forms.CharField(label="佐证说明", required=False, max_length=5000)
    for_unit = forms.BooleanField(label="由督查室代录", required=False)  # the office's panel, for the lead unit


@login_required
@require_POST
@page_errors
def report_submit(request, task_id: int):
    form = ReportForm(request.POST)
    if not form.is_valid():
        errors = "；".join(f"{form.fields[k].label}：{v[0]}" for k, v in form.errors.items() if k in form.fields)
        messages.error(request, errors or "请检查填写内容")
        return redirect("tasks:detail", task_id=task_id)
    d = form.cleaned_data
    files = [(f.name, f.read()) for f in request.FILES.getlist("files") if f.size]
    try:
        actions.report_submit(actor=request.user, task_id=task_id, text=d["text"],
                              progress_percent=d["progress_percent"], request_close=d["request_close"],
                              evidence_text=d["evidence_text"], files=files, for_unit=d["for_unit"])
    except (Conflict, InvalidInput) as exc:
        if not (d["request_close"] and isinstance(exc.details, dict) and exc.details.get("close_refused_by_record")):
            return _back_to_task(request, task_id, exc)
        # The task's own record refuses the close (a 民生实事 short of its target): what the unit typed and attached
        # is still its progress, kept as an ordinary report rather than dropped, and the page says so.
        return _report_kept_without_close(request, task_id, d, files, exc)
    return _back_to_task(request, task_id, sent=True,
                         ok="已提交办结申请，等待督查室审核。" if form.cleaned_data["request_close"] else
                         "已代录进展，并通知牵头单位。" if form.cleaned_data["for_unit"] else "进展已报送。")


def _report_kept_without_close(request, task_id: int, d: dict, files, refusal):
    evidence = d["evidence_text"].strip()
    try:
        actions.report_submit(actor=request.user, task_id=task_id,
                              text=d["text"] + (f"\n佐证说明：{evidence}" if evidence else ""),
                              progress_percent=d["progress_percent"], files=files)
    except (Conflict, InvalidInput) as exc:
        return _back_to_task(request, task_id, exc)
    messages.warning(request, f"未申请办结：{refusal.message_zh}。您填写的内容和附件已作为一般进展报送。",
                     extra_tags="draft-sent")
    return redirect("tasks:detail", task_id=task_id)


# --- reviewing reports ---------------------------------------------------------------------------------------

@login_required
@page_errors
def reports_pending(request):
    # a reviewing office sees what waits for its own review (the 工作台's count), or every pending report it reads
    reviewer = perms.is_supervisor(request.user) or perms.is_unit_supervisor(request.user)
    mine = reviewer and request.GET.get("all") != "1"
    reports = selectors.report_list(viewer=request.user, status=ReportStatus.SUBMITTED, to_review=mine,
                                    with_open_subtasks=True)
    page = paginate(request, reports)
    files = selectors.report_files_of(report_ids=[r.pk for r in page])
    for r in page:
        r.shown_files = files.get(r.pk, [])
        r.can_review = perms.can_review_report(request.user, r)  # a level's office reviews only what it issued
    return render(request, "tasks/reports_pending.html", {
        "page": page, "can_review": perms.is_supervisor(request.user), "reviewer": reviewer, "mine": mine,
    })


@login_required
@page_errors
def close_evidence_rules(request):
    """The office's rule: which kinds of task need evidence (a description or a file) to request closing."""
    rules = selectors.close_evidence_rules(viewer=request.user)
    if request.method == "POST":
        wanted = set(request.POST.getlist("required"))
        changed = 0
        try:
            for kind, _label, _required in rules:
                changed += actions.close_evidence_rule_set(actor=request.user, kind=kind, required=kind in wanted)
        except InvalidInput as exc:
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, f"已保存（{changed}项改动）" if changed else "没有改动")
        return redirect("tasks:close_evidence_rules")
    return render(request, "tasks/close_evidence_rules.html", {"rules": rules})


@login_required
@page_errors
def report_file_download(request, file_id: int):
    """A report's photo or document, for a viewer who may see the report (404 otherwise). Images and PDFs open
    in the browser; ``?thumb=1`` gives a photo's small copy (``thumbnail_name``: the lists of reports), or the photo
    when none can be made; ``?download=1`` saves them instead."""
    found = selectors.report_file_get(viewer=request.user, file_id=file_id)
    if request.GET.get("thumb") == "1" and found.is_image:
        thumb = thumbnail_name(found.storage_name)
        if thumb is not None:
            return file_response(thumb, shown=found.name, content_type="image/jpeg", inline=True)
    return file_response(found.storage_name, shown=found.name, content_type=found.content_type,
                         inline=request.GET.get("download") != "1")


def _back_to_reports(request, error=None, ok=""):
    if error is not None:
        messages.error(request, error.message_zh)
    elif ok:
        messages.success(request, ok)
    target = request.POST.get("next", "")
    if target.startswith("/tasks/") and "//" not in target:
        return redirect(target)
    return redirect("tasks:reports_pending")


@login_required
@require_POST
@page_errors
def report_accept(request, report_id: int):
    try:
        report = actions.report_accept(actor=request.user, report_id=report_id,
                                       comment=request.POST.get("comment", "").strip(),
                                       override_reason=request.POST.get("override_reason", ""))
    except (Conflict, InvalidInput) as exc:
        return _back_to_reports(request, exc)
    return _back_to_reports(request, ok="已采纳，事项已办结销号。" if report.request_close else "已采纳。")


@login_required
@require_POST
@page_errors
def report_return(request, report_id: int):
    try:
        actions.report_return(actor=request.user, report_id=report_id,
                              reason=request.POST.get("reason", "").strip())
    except (Conflict, InvalidInput) as exc:
        return _back_to_reports(request, exc)
    return _back_to_reports(request, ok="已退回。")


# --- editing the draft ledger (from the meeting page) ---------------------------------------------------------

@login_required
@page_errors
def deadline_note(request):
    """A date field's warning as the office picks a deadline (HTMX on the field's change, before anything is saved):
    ``deadline_warning`` of the date sent (the field's own value, whatever its name), or nothing."""
    try:
        day = dt.date.fromisoformat(next(iter(request.GET.values()), "").strip())
    except ValueError:
        return HttpResponse("")
    return HttpResponse(quote(deadline_warning(day)))


def deadline_note_attrs() -> dict[str, str]:
    """What a date field needs to show ``deadline_note`` in the ``.workday-note`` element after it."""
    return {"hx-get": reverse("tasks:deadline_note"), "hx-trigger": "change", "hx-target": "next .workday-note",
            "hx-swap": "innerHTML", "hx-sync": "this:queue last"}


class TaskEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label="事项", max_length=rules.TITLE_MAX)
    text = forms.CharField(label="内容", widget=forms.Textarea(attrs={"rows": 3}))
    area = forms.ModelChoiceField(label="领域", queryset=None, required=False, empty_label="（未分类）")
    lead_unit = forms.ModelChoiceField(label="牵头单位", queryset=None, required=False, empty_label="（未指定）")
    coop_units = forms.ModelMultipleChoiceField(label="配合单位", queryset=None, required=False)
    deadline = forms.DateField(label="时限", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = area_list(viewer=viewer)
        units = unit_list(viewer=viewer)
        self.fields["lead_unit"].queryset = units
        self.fields["coop_units"].queryset = units
        for name, field in self.fields.items():
            css = "form-select form-select-sm" if isinstance(field, forms.ModelChoiceField) else \
                "form-control form-control-sm"
            field.widget.attrs.setdefault("class", css)
        self.fields["coop_units"].widget.attrs["class"] += " units-select"
        self.fields["deadline"].widget.attrs.update(deadline_note_attrs())

    @classmethod
    def for_task(cls, task, *, viewer):
        return cls(viewer=viewer, initial={
            "version": task.version, "title": task.title, "text": task.text, "area": task.area_id,
            "lead_unit": task.lead_unit_id, "coop_units": [u.pk for u in task.coop_units.all()],
            "deadline": task.deadline})


def _row_context(request, task, **extra):
    return {"t": task, "editable": perms.can_edit_task(request.user, task), **extra}


@login_required
@page_errors
def task_row(request, task_id: int):
    """One draft-ledger row (HTMX: what "取消" swaps back in)."""
    task = selectors.task_get(viewer=request.user, task_id=task_id)
    return render(request, "tasks/_draft_row.html", _row_context(request, task))


@login_required
@page_errors
def task_edit(request, task_id: int):
    """Edit a task's title, text, area, units and deadline; HTMX swaps the table row, a plain request gets a page."""
    user = request.user
    task = selectors.task_get(viewer=user, task_id=task_id)
    if not perms.can_edit_task(user, task):
        raise PermissionDenied()
    error = ""
    if request.method == "POST":
        form = TaskEditForm(request.POST, viewer=user)
        if form.is_valid():
            d = form.cleaned_data
            changes = {"title": d["title"].strip(), "text": d["text"].strip(),
                       "area_id": d["area"].pk if d["area"] else None,
                       "lead_unit_id": d["lead_unit"].pk if d["lead_unit"] else None, "deadline": d["deadline"]}
            try:
                actions.task_update(actor=user, task_id=task.pk, version=d["version"], changes=changes,
                                    coop_unit_ids=[u.pk for u in d["coop_units"]])
            except Conflict as exc:
                error = exc.message_zh  # 已被他人修改: show the current row so the clerk edits the latest
                task = selectors.task_get(viewer=user, task_id=task_id)
                form = TaskEditForm.for_task(task, viewer=user)
            except InvalidInput as exc:
                error = exc.message_zh
            else:
                task = selectors.task_get(viewer=user, task_id=task_id)
                if is_htmx(request):  # the row, and the draft ledger's counts it may have changed
                    counts = (selectors.draft_counts(viewer=user, meeting_id=task.meeting_id)
                              if task.meeting_id and task.status == TaskStatus.DRAFT else None)
                    return render(request, "tasks/_draft_row.html", _row_context(request, task, saved=True,
                                                                                  changed_counts=counts))
                messages.success(request, "已保存。")
                if task.deadline_warning:
                    messages.warning(request, task.deadline_warning)
                return redirect(_task_home(task))
    else:
        form = TaskEditForm.for_task(task, viewer=user)
    template = "tasks/_edit_row.html" if is_htmx(request) else "tasks/edit.html"
    return render(request, template, {"t": task, "form": form, "error": error,
                                      "cancel_url": _task_home(task)})


def _task_home(task) -> str:
    if task.meeting_id:
        return reverse("meetings:detail", args=[task.meeting_id]) + f"#task-row-{task.pk}"
    return reverse("tasks:detail", args=[task.pk])


def split_points(text: str) -> list[dict]:
    """Candidate split positions: after each sentence or clause end inside the text."""
    points = []
    for i, ch in enumerate(text[:-1]):
        if ch in "。；;！？!?" and text[i + 1:].strip():
            points.append({"at": i + 1, "before": text[max(0, i - 11):i + 1], "after": text[i + 1:i + 13]})
    return points


@login_required
@page_errors
def task_split(request, task_id: int):
    user = request.user
    task = selectors.task_get(viewer=user, task_id=task_id)
    error = ""
    if request.method == "POST":
        at = _int(request.POST.get("at"))
        try:
            if at is None:
                raise InvalidInput("请选择拆分位置", "choose where to split")
            first, second = actions.task_split(actor=user, task_id=task.pk, at=at)
        except (Conflict, InvalidInput) as exc:
            error = exc.message_zh
        else:
            messages.success(request, f"已拆分为两项：“{first.title}”和“{second.title}”。")
            return redirect(_task_home(first))
    points = split_points(task.text)
    return render(request, "tasks/split.html", {"task": task, "points": points, "error": error,
                                                "default_at": points[0]["at"] if points else ""})


@login_required
@require_POST
@page_errors
def task_withdraw(request, task_id: int):
    task, _ = selectors.task_page_get(viewer=request.user, task_id=task_id)  # one read above: the action says 403
    reason = request.POST.get("reason", "").strip() or "审核时删除：非督办事项"
    try:
        actions.task_withdraw(actor=request.user, task_id=task.pk, reason=reason)
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        # a draft's row is deleted from the draft ledger (its button says 删除); an issued task is kept as 已撤销
        done = "已删除事项" if task.status == TaskStatus.DRAFT else "已撤销事项"
        messages.success(request, f"{done}“{task.title}”。" + ("" if task.status == TaskStatus.DRAFT
                                                              else "事项保留，状态为“已撤销”。"))
    if task.meeting_id and task.status == TaskStatus.DRAFT:
        return redirect("meetings:detail", meeting_id=task.meeting_id)
    return redirect("tasks:detail", task_id=task.pk)
