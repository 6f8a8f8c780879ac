"""Every change to a task or a progress report. Each public function is one transaction that authorizes,
validates, writes, appends one audit event and queues notifications (see docs/audit-events.md).

Entry points run ``durable_action`` (``atomic(durable=True)``, run again on a deadlock); ``*_in_txn`` helpers join
the caller's transaction and are called by other actions only. Locks follow ``duban.core.txn``'s order: the task
row, then its kept counts (the row's update), then the audit chain (``audit_log`` after every update).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from duban.core import rules
from duban.core.rules import check_text
from duban.core.audit import EventType, audit_log
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.files import Upload, check_upload, files_follow_transaction, store_upload
from duban.core.locking import update_versioned_in_txn
from duban.core.models import Area, Role, Unit
from duban.core.notifications import notify
from duban.core.txn import durable_action
from duban.extraction.directives import has_modal
from duban.tasks import permissions as perms
from duban.tasks.permissions import unit_people as unit_people  # one rule for who hears about a unit
from duban.tasks.models import (OPEN_STATUSES, REPORTABLE_STATUSES, CloseEvidenceRule, Priority, ProgressReport,
                                ReportCycle, ReportFile, ReportStatus, RollupMode, Task, TaskKind, TaskStatus,
                                rollup_progress)
from duban.tasks.report_due import DUE_FIELDS, report_due_refresh_in_txn
from duban.tasks.selectors import UnitsReach, close_evidence_required_for, coop_parts_in, open_subtasks
from duban.tasks.signals import report_accepted, task_closed, task_closing

EDITABLE_FIELDS = ("title", "text", "area_id", "lead_unit_id", "deadline", "deadline_text", "priority",
                   "report_cycle", "report_every", "heading")
MAX_COOP_UNITS = 10


def units_people(unit_ids):
    """The active staff and heads of several units (each person once): the units a change concerns."""
    ids = {int(u) for u in unit_ids if u is not None}
    return get_user_model().objects.filter(is_active=True, profile__unit_id__in=ids,
                                           profile__role__in=[Role.UNIT_ADMIN, Role.UNIT_STAFF])


def supervisors():
    return get_user_model().objects.filter(is_active=True, profile__role=Role.SUPERVISOR)


class Office(NamedTuple):
    """A supervision office as it receives notices: its people who can (read with their profiles and units) and
    its name as a notice or a page says it."""

    people: list
    name: str


def supervision_office(task: Task | None = None) -> Office:
    """The office that supervises ``task`` and hears what its units send up (reports, close requests, 退回, 延期,
    督办) or cannot receive (代收): for a sub-task, the supervision office of the unit that issued it (本级督查室,
    named after that unit: 临川区人民政府督查室); for any other task, no task, or when that unit has nobody in the
    role, the supervision office (named after the unit its people sit in: 市委督查室)."""
    if task is not None and task.issuing_unit_id is not None:
        own = list(get_user_model().objects.filter(is_active=True, profile__unit_id=task.issuing_unit_id,
                                                   profile__role=Role.UNIT_SUPERVISOR).select_related("profile__unit"))
        if own:
            return Office(own, f"{own[0].profile.unit.name}督查室")
    people = list(supervisors().select_related("profile__unit"))
    units = {user.profile.unit.name for user in people if user.profile.unit is not None}
    # its people all sit in one unit (the 督查室's own): that unit's name; else, or nobody, just 督查室
    return Office(people, units.pop() if len(units) == 1 else "督查室")


def task_supervisors(task: Task) -> list:
    """Who supervises ``task`` (``supervision_office``'s people)."""
    return supervision_office(task).people


def unit_recipients(unit_id: int | None, *, task: Task | None = None,
                    first=(Role.UNIT_ADMIN, Role.UNIT_STAFF)) -> list:
    """Who hears about a unit's task, so that no notice reaches nobody: the unit's people of the ``first`` roles;
    when it has none of those, all its people; when the unit has nobody (or no unit is set), the office that
    supervises ``task`` (``supervision_office``). Empty only when the office has nobody either (the caller records
    that as undelivered)."""
    return unit_recipients_standing_in(unit_id, task=task, first=first)[0]


def unit_recipients_standing_in(unit_id: int | None, *, task: Task | None = None,
                                first=(Role.UNIT_ADMIN, Role.UNIT_STAFF)) -> tuple[list, Office | None]:
    """``unit_recipients``, and the office that stands in for a unit that has nobody to tell (None when the unit
    has someone)."""
    people = list(unit_people(unit_id).select_related("profile"))
    preferred = [user for user in people if user.profile.role in first]
    if preferred or people:
        return preferred or people, None
    office = supervision_office(task)
    return office.people, office


def task_lock_in_txn(task_id: int) -> Task:
    """The task row locked for this transaction (with what actions read of it), or ``NotFound``. Also used by the
    follow-up actions, which change the same rows."""
    try:
        return (Task.objects.select_for_update(of=("self",)).select_related("lead_unit", "latest_report", "meeting")
                .get(pk=task_id))
    except Task.DoesNotExist:
        raise NotFound() from None


def task_lock_visible_in_txn(actor, task_id: int) -> Task:
    """The task as the actor may see it; ``NotFound`` alike for missing and out of scope, ``PermissionDenied``
    for a task the actor may only read as the ancestor of one it sees (``perms.can_read_ancestor_task``)."""
    if not perms.tasks_visible_to(actor).filter(pk=task_id).exists():
        above = Task.objects.filter(pk=task_id).exclude(tree_path="").only("id", "tree_path").first()
        if above is not None and perms.can_read_ancestor_task(actor, above):
            raise PermissionDenied()
        raise NotFound()
    return task_lock_in_txn(task_id)


TASK_CHANGED = ("该事项已被他人修改，请刷新后重试", "the task was changed by someone else; reload and try again")
NOT_REPORTER = ("只有牵头单位和配合单位可以报送进展；下达子任务的单位负责审核，不代为报送",
                "only the lead and cooperating units report progress; the unit that issued a sub-task reviews it and "
                "does not report for it")


def _bump(task: Task, *, expected_version: int | None = None, **fields) -> None:
    """Optimistic locking: the row changes only if nobody changed it since ``expected_version`` was read. A
    change of what the next report due depends on keeps ``report_due``; a sub-task whose status or progress
    changes passes the change up to its parent's roll-up."""
    update_versioned_in_txn(task, version=task.version if expected_version is None else expected_version,
                            conflict=TASK_CHANGED, updated_at=timezone.now(), **fields)
    if DUE_FIELDS.intersection(fields):
        report_due_refresh_in_txn([task.pk])
    if task.parent_id is not None and ("status" in fields or "progress_percent" in fields):
        rollup_refresh_in_txn(task_id=task.parent_id)


def rollup_refresh_in_txn(*, task_id: int) -> None:
    """Keep ``Task.rolled_progress`` of task ``task_id`` and of every task above it, nearest first, from their live
    (not withdrawn) sub-tasks, in the caller's transaction, after the sub-task's own write and before the audit
    chain head (``duban.core.txn``'s lock order: a task, then its ancestors from the nearest up). Each is locked
    before its sub-tasks are read, so two sub-tasks changing at once cannot both write a roll-up computed without
    the other's change. Stops at the first one left unchanged (the ones above depend only on it). No event: the
    value is derived, and the sub-task's change is audited by its action."""
    path = Task.objects.filter(pk=task_id).values_list("tree_path", flat=True).first()
    if not path:
        return
    for pk in reversed([int(part) for part in path.strip("/").split("/")]):
        mode, before = Task.objects.select_for_update().filter(pk=pk).values_list(
            "rollup_mode", "rolled_progress").get()
        children = [(status, own if rolled is None else rolled) for status, own, rolled in
                    Task.objects.filter(parent_id=pk).exclude(status=TaskStatus.WITHDRAWN)
                    .values_list("status", "progress_percent", "rolled_progress")]
        after = rollup_progress(mode, children) if children else None
        if after == before:
            return
        Task.objects.filter(pk=pk).update(rolled_progress=after)
        if (before is None) != (after is None):  # split or no longer: whether a report of its own is due
            report_due_refresh_in_txn([pk])


def _check_units(lead_unit_id, coop_unit_ids) -> list[int]:
    ids = [int(u) for u in dict.fromkeys(coop_unit_ids or [])]
    if lead_unit_id is not None:
        ids = [u for u in ids if u != int(lead_unit_id)]
    if len(ids) > MAX_COOP_UNITS:
        raise InvalidInput(f"配合单位最多 {MAX_COOP_UNITS} 个", f"at most {MAX_COOP_UNITS} cooperating units")
    wanted = set(ids) | ({int(lead_unit_id)} if lead_unit_id is not None else set())
    if wanted and Unit.objects.filter(pk__in=wanted, is_active=True).count() != len(wanted):
        raise InvalidInput("单位不存在或已停用", "unknown or inactive unit")
    return ids


def _check_text(title: str, text: str) -> None:
    if not (title or "").strip():
        raise InvalidInput("事项名称不能为空", "the title must not be empty")
    if not (text or "").strip():
        raise InvalidInput("事项内容不能为空", "the text must not be empty")
    check_text(title, label_zh="事项名称", label_en="title", max_length=rules.TITLE_MAX, single_line=True)
    check_text(text, label_zh="事项内容", label_en="text")


_CLAUSE = re.compile(r"[^，,；;。！？!?]+")
_MODAL = re.compile(r"要|必须|务必")


def _from_the_request(sentence: str) -> str:
    """A directive that opens with a clause of fact ("国庆假期即将来临，各级各部门要全面落实…", "本市是交通枢纽，全市
    要深化…") is named from the clause that asks, after its subject and modal: the fact is not the work."""
    clauses = list(_CLAUSE.finditer(sentence))
    if len(clauses) < 2 or has_modal(clauses[0].group()):
        return sentence
    for clause in clauses[1:3]:
        words = clause.group()
        for modal in _MODAL.finditer(words):
            if modal.start() <= 12 and has_modal(words[:modal.end()]):
                return sentence[clause.start() + modal.end():]
    return sentence


def title_from_text(text: str, limit: int = 40) -> str:
    """A ledger line's name: the directive without its "会议强调，要" lead-in or a leading clause of fact, cut at the
    first clause. A first clause longer than ``limit`` is cut at its last pause that leaves at least half of it
    (``_cut_title``) and ends in "…", the whole name within ``limit``."""
    s = text.strip()
    for prefix in ("会议强调", "会议要求", "会议指出", "会议提出"):
        if s.startswith(prefix):
            s = s[len(prefix):].lstrip("，,：: ")
    s = _from_the_request(s)
    for prefix in ("各级各部门要", "要"):
        if s.startswith(prefix) and len(s) > len(prefix) + 2:
            s = s[len(prefix):]
            break
    for i, ch in enumerate(s):
        if ch in "，,；;。！？!?" and i >= 6:
            s = s[:i]
            break
    return _cut_title(" ".join((s or text).split()), limit)  # a title is one line


_PAUSES = "，,；;、：:"


def _cut_title(name: str, limit: int) -> str:
    """``name`` if it fits ``limit``, else its head up to the last pause (，；、：) that keeps at least half of the
    room, or the room's worth of characters where there is none, followed by "…"."""
    if len(name) <= limit:
        return name
    room = name[:limit - 1]  # one character left for the "…"
    pause = max(room.rfind(p) for p in _PAUSES)
    head = room[:pause] if pause >= (limit - 1) // 2 else room
    return head.rstrip() + "…"


def task_create_in_txn(*, actor, title: str, text: str, meeting=None, kind: str = TaskKind.MEETING, seq: int = 0,
                       area_id=None, lead_unit_id=None, coop_unit_ids=(), deadline: dt.date | None = None,
                       deadline_text: str = "", source_start=None, source_end=None, heading: str = "",
                       priority: int = Priority.NORMAL, report_cycle: str = ReportCycle.ONCE,
                       report_every: int = 0, schedule_start: dt.date | None = None,
                       extra: dict | None = None) -> Task:
    """Create a draft task inside the caller's transaction (meeting import, ledger import, other sources);
    ``schedule_start`` when its time runs from before its assignment (a livelihood project's period)."""
    if not perms.is_supervisor(actor):
        raise PermissionDenied()
    _check_text(title, text)
    coop_ids = _check_units(lead_unit_id, coop_unit_ids)
    task = Task(kind=kind, meeting=meeting, seq=seq, title=title, text=text, area_id=area_id,
                lead_unit_id=lead_unit_id, deadline=deadline, deadline_text=deadline_text, source_start=source_start,
                source_end=source_end, heading=heading, priority=priority, report_cycle=report_cycle,
                report_every=report_every, schedule_start=schedule_start, created_by=actor)
    task.full_clean(exclude=["meeting", "area", "lead_unit", "created_by", "latest_report"])
    task.save()
    if coop_ids:
        task.coop_units.set(coop_ids)
    audit_log(actor=actor, event_type=EventType.TASK_CREATED, task=task, meeting=meeting,
              extra={"title": title, "kind": kind, "lead_unit_id": lead_unit_id, "coop_unit_ids": coop_ids,
                     "deadline": deadline.isoformat() if deadline else None, **(extra or {})})
    return task


def task_bulk_create_in_txn(*, actor, rows: list[dict], assign: bool = False) -> list[Task]:
    """Create many tasks inside the caller's transaction, as ``task_create_in_txn`` (and ``task_assign_in_txn``
    with ``assign``) would one by one, with bulk inserts: ledger imports of thousands of rows. Each row holds
    ``task_create_in_txn``'s keyword arguments. Events TASK_CREATED (and TASK_ASSIGNED) per task; with ``assign``
    the lead units' people are told, as on a single assignment.

    Rows go from plain values to their inserts and events (no model object is built per row until the tasks are
    returned): a ``Task`` and an ``AuditEvent`` object each cost more than checking and inserting the row."""
    from django.core.exceptions import ValidationError

    from duban.core.audit import audit_log_many, insert_rows_in_txn, reserve_ids_in_txn
    from duban.core.models import Notification

    if not perms.is_supervisor(actor):
        raise PermissionDenied()
    wanted = {int(r["lead_unit_id"]) for r in rows if r.get("lead_unit_id") is not None}
    wanted |= {int(u) for r in rows for u in r.get("coop_unit_ids") or ()}
    active = set(Unit.objects.filter(pk__in=wanted, is_active=True).values_list("id", flat=True)) if wanted else set()
    if wanted - active:
        raise InvalidInput("单位不存在或已停用", "unknown or inactive unit")
    now = timezone.now()
    concrete = Task._meta.concrete_fields
    # Each row as the column values ``Task(**fields)`` would hold: the defaults, then the row's own values.
    allowed = {"title", "text", "meeting", "meeting_id", "kind", "seq", "area_id", "lead_unit_id", "deadline",
               "deadline_text", "source_start", "source_end", "heading", "priority", "report_cycle", "report_every"}
    defaults = {f.attname: f.get_default() for f in concrete if not (f.has_default() and callable(f.default))}
    factories = [(f.attname, f.get_default) for f in concrete if f.has_default() and callable(f.default)]
    defaults.update(created_by_id=actor.pk, status=TaskStatus.ASSIGNED if assign else TaskStatus.DRAFT,
                    assigned_at=now if assign else None)
    # What ``full_clean(exclude=..., validate_constraints=False)`` checks, field by field, with each (field, value)
    # cleaned once: the defaults and repeated values (kind, status, units...) of 10 000 rows are not re-checked.
    excluded = {"meeting", "area", "lead_unit", "created_by", "latest_report"}
    checked = [f for f in concrete if f.name not in excluded]
    cleaned: dict = {}
    placeholder = Task()

    def clean(values: dict) -> None:
        errors = {}
        for f in checked:
            raw = values[f.attname]
            if f.blank and raw in f.empty_values:
                continue
            try:
                key = (f.attname, type(raw), raw)
                outcome = cleaned.get(key)
            except TypeError:  # an unhashable value is checked every time
                key = outcome = None
            if outcome is None:
                try:
                    outcome = (True, f.clean(raw, placeholder))
                except ValidationError as e:
                    outcome = (False, e.error_list)
                if key is not None:
                    cleaned[key] = outcome
            if outcome[0]:
                values[f.attname] = outcome[1]
            else:
                errors[f.name] = outcome[1]
        if errors:
            raise ValidationError(errors)

    values_list, coop_ids, extras, meetings = [], [], [], {}
    for fields in rows:
        fields = dict(fields)
        extra = fields.pop("extra", None) or {}
        coop = [int(u) for u in dict.fromkeys(fields.pop("coop_unit_ids", None) or ())
                if int(u) != fields.get("lead_unit_id")]
        if len(coop) > MAX_COOP_UNITS:
            raise InvalidInput(f"配合单位最多 {MAX_COOP_UNITS} 个", f"at most {MAX_COOP_UNITS} cooperating units")
        _check_text(fields.get("title", ""), fields.get("text", ""))
        if assign and fields.get("lead_unit_id") is None:
            raise InvalidInput(f"事项“{fields['title']}”未指定牵头单位", "a task to assign has no lead unit")
        unknown = set(fields) - allowed
        if unknown:
            raise TypeError(f"task_bulk_create_in_txn: unexpected fields {sorted(unknown)}")
        meeting = fields.pop("meeting", None)
        if meeting is not None:
            fields["meeting_id"] = meeting.pk
            meetings[meeting.pk] = meeting
        values = dict(defaults)
        for name, factory in factories:
            values[name] = factory()
        values.update(fields)
        # Constraints are left to the database here: Django checks each CheckConstraint with one query per row.
        clean(values)
        values_list.append(values)
        coop_ids.append(coop)
        extras.append(extra)
    # meeting_date: the meeting's date copied onto the task, as Task.objects.bulk_create does
    wanted_meetings = {v["meeting_id"] for v in values_list if v["meeting_id"] is not None} - set(meetings)
    if wanted_meetings:
        # The meeting model through the task's own foreign key: the tasks app sits below meetings, importing none of it
        meetings.update(Task.meeting.field.related_model.objects.in_bulk(wanted_meetings))
    for values in values_list:
        values["meeting_date"] = meetings[values["meeting_id"]].date if values["meeting_id"] is not None else None
    # Ids first, then one prepared insert per table (``bulk_create`` compiles a statement per 35 tasks on SQLite).
    for values, pk in zip(values_list, reserve_ids_in_txn(Task, len(values_list))):
        values["id"] = pk
    insert_rows_in_txn(Task, values_list)
    through = Task.coop_units.through
    links = [{"task_id": v["id"], "unit_id": u} for v, coop in zip(values_list, coop_ids) for u in coop]
    for link, pk in zip(links, reserve_ids_in_txn(through, len(links)) if links else ()):
        link["id"] = pk
    insert_rows_in_txn(through, links)
    events = []
    created, assigned = EventType.TASK_CREATED, EventType.TASK_ASSIGNED
    for values, coop, extra in zip(values_list, coop_ids, extras):
        events.append({"actor": actor, "event_type": created, "task_id": values["id"],
                       "meeting_id": values["meeting_id"],
                       "extra": {"title": values["title"], "kind": values["kind"],
                                 "lead_unit_id": values["lead_unit_id"], "coop_unit_ids": coop,
                                 "deadline": _jsonable(values["deadline"]), **extra}})
        if assign:
            events.append({"actor": actor, "event_type": assigned, "task_id": values["id"],
                           "meeting_id": values["meeting_id"], "target_unit_id": values["lead_unit_id"],
                           "extra": {"old_status": TaskStatus.DRAFT, "lead_unit_id": values["lead_unit_id"]}})
    audit_log_many(events)
    names = [f.attname for f in concrete]
    alias = transaction.get_connection().alias
    tasks = [Task.from_db(alias, names, [values[name] for name in names]) for values in values_list]
    cache_meeting = Task.meeting.field.set_cached_value
    for task in tasks:
        if task.meeting_id is not None:
            cache_meeting(task, meetings[task.meeting_id])
    if assign:
        people: dict[int, list] = {}
        for user in get_user_model().objects.filter(
                is_active=True, profile__unit_id__in={t.lead_unit_id for t in tasks},
                profile__role__in=[Role.UNIT_ADMIN, Role.UNIT_STAFF]).exclude(pk=actor.pk).select_related("profile"):
            people.setdefault(user.profile.unit_id, []).append(user)
        Notification.objects.bulk_create(
            [Notification(recipient=user, kind="task_assigned", task=task, title=f"新交办事项：{task.title}"[:200],
                          body=f"办理时限：{task.deadline.isoformat() if task.deadline else '未定'}")
             for task in tasks for user in people.get(task.lead_unit_id, [])], batch_size=500)
    return tasks


@durable_action
def task_create(*, actor, **fields) -> Task:
    """Supervisors create a task by hand (立项). Event TASK_CREATED; nobody is told until it is assigned."""
    return task_create_in_txn(actor=actor, **fields)


def check_deadline(deadline: dt.date | None, *, today: dt.date | None = None) -> None:
    """A deadline a person sets must not lie in the past (a typo such as 2025 for 2026 would light every task red
    on the day it is assigned)."""
    if deadline is not None and deadline < (today or timezone.localdate()):
        raise InvalidInput(f"时限 {deadline.isoformat()} 早于今天，请选择今天或以后的日期",
                           f"the deadline {deadline.isoformat()} is in the past")


@durable_action
def task_update(*, actor, task_id: int, version: int, changes: dict, coop_unit_ids=None,
                allow_past_deadline: bool = False) -> Task:
    """Supervisors edit a task that is not closed. ``version`` is the one the editor read; a stale one is a
    ``Conflict``; a deadline moved into the past is refused unless ``allow_past_deadline`` (the demo's overdue
    examples). Event TASK_UPDATED with old and new values; the lead unit is told when an assigned task changes."""
    return task_update_in_txn(actor=actor, task=task_lock_visible_in_txn(actor, task_id), version=version,
                              changes=changes, coop_unit_ids=coop_unit_ids, allow_past_deadline=allow_past_deadline)


def task_update_in_txn(*, actor, task: Task, version: int, changes: dict, coop_unit_ids=None,
                       allow_past_deadline: bool = False) -> Task:
    """``task_update`` on a task locked by the caller, joining the caller's transaction (bulk edits, 确认交办 with
    one deadline for the tasks that have none)."""
    if not perms.can_edit_task(actor, task):
        raise PermissionDenied()
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput("不能修改这些字段：" + "、".join(sorted(unknown)), "fields not editable: " + ", ".join(sorted(unknown)))
    new = {k: v for k, v in changes.items() if getattr(task, k) != v}
    _check_text(new.get("title", task.title), new.get("text", task.text))
    if "deadline" in new and not allow_past_deadline:
        check_deadline(new["deadline"])
    if "area_id" in new and new["area_id"] is not None and not Area.objects.filter(pk=new["area_id"]).exists():
        raise InvalidInput("工作领域不存在", "unknown area")
    if "report_cycle" in new or "report_every" in new:
        _check_report_cycle(new.get("report_cycle", task.report_cycle), new.get("report_every", task.report_every))
    lead = new.get("lead_unit_id", task.lead_unit_id)
    old_coop = sorted(task.coop_units.values_list("id", flat=True))
    coop = _check_units(lead, coop_unit_ids if coop_unit_ids is not None else old_coop)
    if task.status != TaskStatus.DRAFT and "lead_unit_id" in new and lead is None:
        raise InvalidInput("已交办事项必须有牵头单位", "an assigned task needs a lead unit")
    old = {k: _jsonable(getattr(task, k)) for k in new}
    if sorted(coop) == old_coop and not new:
        return task
    _bump(task, expected_version=version, **new)
    if sorted(coop) != old_coop:
        task.coop_units.set(coop)
        old["coop_unit_ids"] = old_coop
        new["coop_unit_ids"] = sorted(coop)
    audit_log(actor=actor, event_type=EventType.TASK_UPDATED, task=task, meeting=task.meeting,
              extra={"old": old, "new": {k: _jsonable(v) for k, v in new.items()}})
    if task.status in OPEN_STATUSES:
        notify(actor=actor, recipients=unit_recipients(task.lead_unit_id, task=task), kind="task_updated", task=task,
               title=f"督办事项有变更：{task.title}")
    return task


MAX_REPORT_EVERY = 250  # working days: about a year


def _check_report_cycle(cycle: str, every: int) -> None:
    """A report cycle is one of ``ReportCycle``; "every N working days" needs N between 1 and a year's worth."""
    if cycle not in ReportCycle.values:
        raise InvalidInput("报送周期不正确", "unknown report cycle",
                           details={"choices": list(ReportCycle.values)})
    if not isinstance(every, int) or not 0 <= every <= MAX_REPORT_EVERY:
        raise InvalidInput(f"报送间隔应在0到{MAX_REPORT_EVERY}个工作日之间",
                           f"report_every must be between 0 and {MAX_REPORT_EVERY} working days")
    if cycle == ReportCycle.WORKDAYS and every < 1:
        raise InvalidInput("按工作日报送须填写间隔天数", "the 'workdays' cycle needs report_every of at least 1")


@durable_action
def task_bulk_update(*, actor, task_ids: list[int], deadline: dt.date | None = None,
                     lead_unit_id: int | None = None) -> list[Task]:
    """Supervisors set one deadline and/or one lead unit on many tasks at once (the draft ledger's 批量修改). All
    or nothing: one refused task (closed, out of scope, a past deadline) changes none. Event TASK_UPDATED per
    task that changed, as ``task_update`` writes; lead units of assigned tasks are told as there."""
    ids = list(dict.fromkeys(int(i) for i in task_ids))
    if not ids:
        raise InvalidInput("请先勾选事项", "choose at least one task")
    changes = {}
    if deadline is not None:
        changes["deadline"] = deadline
    if lead_unit_id is not None:
        changes["lead_unit_id"] = int(lead_unit_id)
    if not changes:
        raise InvalidInput("请填写要统一设置的时限或牵头单位", "give a deadline or a lead unit to set")
    tasks = [task_lock_visible_in_txn(actor, task_id) for task_id in ids]
    return [task_update_in_txn(actor=actor, task=task, version=task.version, changes=changes) for task in tasks]


def _jsonable(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _require_status(task: Task, *allowed: str) -> None:
    if task.status not in allowed:
        raise Conflict(f"当前状态“{task.get_status_display()}”不允许此操作",
                       f"not allowed while the task is {task.status}")


@durable_action
def task_merge(*, actor, task_ids: list[int]) -> Task:
    """Supervisors merge draft tasks into the first: its text becomes the texts joined, its span the union; the
    others are withdrawn as merged. Event TASK_MERGED on the kept task, TASK_WITHDRAWN on each merged one."""
    if len(set(task_ids)) < 2:
        raise InvalidInput("至少选择两项才能合并", "choose at least two tasks to merge")
    tasks = [task_lock_visible_in_txn(actor, tid) for tid in dict.fromkeys(task_ids)]
    keep, others = tasks[0], tasks[1:]
    for task in tasks:
        if not perms.can_edit_task(actor, task):
            raise PermissionDenied()
        _require_status(task, TaskStatus.DRAFT)
        if task.meeting_id != keep.meeting_id:
            raise InvalidInput("只能合并同一会议的事项", "only tasks of one meeting can be merged")
    ordered = sorted(tasks, key=lambda t: (t.source_start is None, t.source_start or 0, t.seq))
    spans = [(t.source_start, t.source_end) for t in tasks if t.source_start is not None]
    coop = set(keep.coop_units.values_list("id", flat=True))
    for other in others:
        coop |= set(other.coop_units.values_list("id", flat=True))
        _bump(other, status=TaskStatus.WITHDRAWN)
    _bump(keep, text="".join(t.text for t in ordered),
          source_start=min(s for s, _ in spans) if spans else None,
          source_end=max(e for _, e in spans) if spans else None,
          lead_unit_id=keep.lead_unit_id or next((t.lead_unit_id for t in others if t.lead_unit_id), None),
          deadline=min((t.deadline for t in tasks if t.deadline), default=None))
    keep.coop_units.set(_check_units(keep.lead_unit_id, sorted(coop))[:MAX_COOP_UNITS])
    for other in others:  # the audit chain last: lock order
        audit_log(actor=actor, event_type=EventType.TASK_WITHDRAWN, task=other, meeting=other.meeting,
                  extra={"reason": "merged", "into_task_id": keep.pk})
    audit_log(actor=actor, event_type=EventType.TASK_MERGED, task=keep, meeting=keep.meeting,
              extra={"merged_task_ids": [t.pk for t in others]})
    return keep


@durable_action
def task_split(*, actor, task_id: int, at: int) -> tuple[Task, Task]:
    """Supervisors split a draft task at character ``at`` of its text into two drafts; the second is new and
    inherits area, units and deadline. A name a person gave the task stays the first part's (only a name still
    the one made from the text is made again from the first part); the second is named from its text. The second
    is numbered right after the first and the meeting's later rows one further, so no two rows share a number.
    Event TASK_SPLIT on the first, TASK_CREATED on the second."""
    meeting_id = Task.objects.filter(pk=task_id).values_list("meeting_id", flat=True).first()
    if meeting_id is not None:  # the meeting before its task, as 确认交办 locks them: two splits renumber in turn
        list(Task.meeting.field.related_model.objects.select_for_update().filter(pk=meeting_id).values_list("pk"))
    task = task_lock_visible_in_txn(actor, task_id)
    if not perms.can_edit_task(actor, task):
        raise PermissionDenied()
    _require_status(task, TaskStatus.DRAFT)
    if not 0 < at < len(task.text):
        raise InvalidInput("拆分位置必须在内容中间", "the split point must fall inside the text")
    first, second = task.text[:at], task.text[at:]
    if not first.strip() or not second.strip():
        raise InvalidInput("拆分后两部分都不能为空", "both parts must contain text")
    # Only a text still equal to its source span can split its span too; an edited text keeps the old span.
    split_source = task.source_start is not None and task.source_end - task.source_start == len(task.text)
    old_end = task.source_end
    named_by_hand = task.title != title_from_text(task.text)
    renumbered = 0
    if task.meeting_id is not None:  # the rows below make room for the second part
        renumbered = Task.objects.filter(meeting_id=task.meeting_id, seq__gt=task.seq).update(seq=F("seq") + 1)
    _bump(task, text=first, title=task.title if named_by_hand else title_from_text(first),
          source_end=task.source_start + at if split_source else task.source_end)
    new = task_create_in_txn(
        actor=actor, title=title_from_text(second), text=second, meeting=task.meeting, kind=task.kind,
        seq=task.seq + 1 if task.meeting_id is not None else task.seq, area_id=task.area_id,
        lead_unit_id=task.lead_unit_id, coop_unit_ids=list(task.coop_units.values_list("id", flat=True)), deadline=task.deadline,
        deadline_text=task.deadline_text, source_start=task.source_start + at if split_source else None,
        source_end=old_end if split_source else None, heading=task.heading, extra={"split_from": task.pk})
    audit_log(actor=actor, event_type=EventType.TASK_SPLIT, task=task, meeting=task.meeting,
              extra={"at": at, "new_task_id": new.pk, "title_kept": named_by_hand, "renumbered": renumbered})
    return task, new


@durable_action
def task_withdraw(*, actor, task_id: int, reason: str) -> Task:
    """Supervisors drop a draft or cancel an open task (撤销). Nothing is deleted. Event TASK_WITHDRAWN; the lead
    unit is told if the task had been assigned."""
    return task_withdraw_in_txn(actor=actor, task_id=task_id, reason=reason)


def task_withdraw_in_txn(*, actor, task_id: int, reason: str) -> Task:
    """``task_withdraw`` joining the caller's transaction (a ledger import edits many tasks in one)."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not perms.can_edit_task(actor, task):
        raise PermissionDenied()
    if task.status == TaskStatus.WITHDRAWN:
        return task
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写撤销理由", "a reason is required")
    was_open = task.status in OPEN_STATUSES
    old_status = task.status
    _bump(task, status=TaskStatus.WITHDRAWN)
    audit_log(actor=actor, event_type=EventType.TASK_WITHDRAWN, task=task, meeting=task.meeting,
              extra={"reason": reason, "old_status": old_status})
    if was_open:
        notify(actor=actor, recipients=unit_recipients(task.lead_unit_id, task=task), kind="task_withdrawn", task=task,
               title=f"督办事项已撤销：{task.title}", body=reason)
    return task


def task_assign_in_txn(*, actor, task: Task) -> Task:
    """Assign (交办) a draft or returned task to its lead unit, joining the caller's transaction. ``reach`` on the
    result says whom the notice reached (``task_units_notify_in_txn``)."""
    if not perms.can_assign_task(actor, task):
        raise PermissionDenied()
    _require_status(task, TaskStatus.DRAFT, TaskStatus.RETURNED)
    if task.lead_unit_id is None:
        raise InvalidInput(f"事项“{task.title}”未指定牵头单位", f"task {task.pk} has no lead unit")
    old_status = task.status
    _bump(task, status=TaskStatus.ASSIGNED, assigned_at=timezone.now())
    audit_log(actor=actor, event_type=EventType.TASK_ASSIGNED, task=task, meeting=task.meeting,
              target_unit=task.lead_unit, extra={"old_status": old_status, "lead_unit_id": task.lead_unit_id})
    task.reach = task_assigned_notify_in_txn(actor=actor, task=task).reach
    return task


def task_assigned_notify_in_txn(*, actor, task: Task) -> Told:
    """The 交办 notice to the task's lead and cooperating units (a task assigned, a sub-task issued), joining the
    caller's transaction."""
    return task_units_notify_in_txn(actor=actor, task=task, kind="task_assigned", title=f"新交办事项：{task.title}",
                                    body=f"办理时限：{task.deadline.isoformat() if task.deadline else '未定'}")


class Told(NamedTuple):
    """What a notice to a task's units did: the notification rows (for delivery over the channels) and whom they
    reached (the page's message)."""

    rows: list
    reach: UnitsReach


def units_reach(units: dict, people, rows, *, lead_unit_id: int | None = None) -> UnitsReach:
    """Whom ``rows``, the notices to ``people`` (read with their profiles) of ``units`` (id → (sort order, name)),
    reached: the people told, and the units none of ``people`` belongs to (``lead_unit_id``'s as the lead unit)."""
    reached = {user.profile.unit_id for user in people}
    return UnitsReach(told=frozenset(row.recipient_id for row in rows),
                      nobody=frozenset((order, pk, name, pk == lead_unit_id) for pk, (order, name) in units.items()
                                       if pk not in reached))


def task_units_notify_in_txn(*, actor, task: Task, kind: str, title: str, body: str = "",
                             payload: dict | None = None) -> Told:
    """Tell the lead unit and every cooperating unit about the task (交办, 改派, 催办, 督办通知单), joining the
    caller's transaction; a cooperating unit's notice says it cooperates; ``payload`` is added to each row's.
    A lead unit with nobody has its notice held (代收) by the office that supervises the task
    (``supervision_office``: a sub-task's by the 督查室 of the unit that issued it), which the notice names. The
    ``actor`` is not told (``notify``), nor of that 代收 notice, unless nobody else in that office could receive it
    (then nobody would hold it but the actor). Returns the rows and whom they reached (``UnitsReach``), which the
    page says: nothing is read again for it."""
    extra = payload or {}
    # never nobody: staff, else anyone there, else the task's office, which is told that it stands in and for whom
    lead, standing_in = unit_recipients_standing_in(task.lead_unit_id, task=task)
    lead_ids = {u.pk for u in lead}
    coop_units = {pk: (order, name) for pk, order, name in task.coop_units.values_list("pk", "sort_order", "name")}
    coop = [u for u in units_people(coop_units).select_related("profile") if u.pk not in lead_ids]
    lead_name = task.lead_unit.name if task.lead_unit_id else "牵头单位"
    stood_in, by_actor = frozenset(), frozenset()
    if standing_in is not None:
        # the unit's own notice, held by the office to pass on; the clerk who acted keeps it only when the office
        # has nobody else to hold it
        alone = actor is not None and all(u.pk == actor.pk for u in lead)
        rows = notify(actor=None if alone else actor, recipients=lead, kind=kind, task=task, title=f"（代收）{title}",
                      body=f"{lead_name}尚无可接收通知的人员，由{standing_in.name}代收：请另行告知该单位，或为其开通账号。"
                           f"{body}", payload={**extra, "role": "stand_in"})
        names = {u.pk: str(u.profile) for u in lead}
        stood_in = frozenset((standing_in.name, row.recipient_id, names[row.recipient_id]) for row in rows)
        by_actor = frozenset({standing_in.name} if alone and rows else ())
        told_lead = []
    else:
        rows = told_lead = notify(actor=actor, recipients=lead, kind=kind, task=task, title=title, body=body,
                                  payload={**extra, "role": "lead"})
    told_coop = notify(actor=actor, recipients=coop, kind=kind, task=task, title=f"（配合）{title}",
                       body=f"牵头单位：{lead_name if task.lead_unit_id else '未定'}。{body}",
                       payload={**extra, "role": "coop"})
    units = dict(coop_units)
    if task.lead_unit_id is not None:
        units[task.lead_unit_id] = (task.lead_unit.sort_order, lead_name)
    reach = units_reach(units, coop if standing_in is not None else [*lead, *coop], [*told_lead, *told_coop],
                        lead_unit_id=task.lead_unit_id)
    return Told(rows + told_coop, dataclasses.replace(reach, stood_in=stood_in, stood_in_by_actor=by_actor))


@durable_action
def task_assign(*, actor, task_id: int) -> Task:
    """Supervisors assign a task (交办). Event TASK_ASSIGNED; the lead unit's people are told (``reach`` on the
    result: whom it reached)."""
    return task_assign_in_txn(actor=actor, task=task_lock_visible_in_txn(actor, task_id))


MAX_SUBTASKS = 50  # one per district or township of a city: far more is a ledger import, not a split


SUBTASK_DEADLINE = ("子任务时限", "the sub-task's deadline")


def check_subtask_deadline(task: Task, deadline: dt.date | None, *, what: tuple[str, str] = SUBTASK_DEADLINE) -> None:
    """A sub-task's deadline may not fall after its parent's (the level above must report on time), nor a
    parent's before an open sub-task's: refused with a message wherever a deadline in a tree is set (分解,
    调整时限, 延期: asked for and approved). ``what`` names the date in the message (the unit's 申请延至)."""
    if deadline is None or not task.tree_path:
        return
    if task.parent_id is not None:
        _within_parent(deadline, Task.objects.filter(pk=task.parent_id).values_list("deadline", flat=True).first(),
                       what=what)
    latest = (Task.objects.filter(parent_id=task.pk, status__in=OPEN_STATUSES, deadline__gt=deadline)
              .order_by("-deadline").values_list("deadline", flat=True).first())
    if latest is not None:
        raise InvalidInput(f"时限 {deadline.isoformat()} 早于未办结子任务的时限 {latest.isoformat()}，请先调整子任务",
                           f"the deadline {deadline.isoformat()} is before an open sub-task's {latest.isoformat()}")


def _within_parent(deadline: dt.date | None, parent_deadline: dt.date | None, *,
                   what: tuple[str, str] = SUBTASK_DEADLINE) -> None:
    if deadline is not None and parent_deadline is not None and deadline > parent_deadline:
        raise InvalidInput(f"{what[0]} {deadline.isoformat()} 晚于上级任务时限 {parent_deadline.isoformat()}",
                           f"{what[1]} {deadline.isoformat()} is after its parent's {parent_deadline.isoformat()}")


def _subtask_part(task: Task, part: dict, seen: set[int], today: dt.date) -> dict:
    """One listed part of a split, checked: a lead unit (each unit once), its cooperating units, a deadline no
    later than the parent's (the parent's when none is given), a title and text (the parent's by default)."""
    if not part.get("lead_unit_id"):
        raise InvalidInput("每个子任务都须选择牵头单位", "every sub-task needs a lead unit")
    lead = int(part["lead_unit_id"])
    if lead in seen:
        raise InvalidInput("同一单位只能分到一个子任务", "a unit may lead only one sub-task of a split")
    seen.add(lead)
    coop = _check_units(lead, part.get("coop_unit_ids") or ())
    deadline = part.get("deadline") or task.deadline
    _within_parent(deadline, task.deadline)
    check_deadline(deadline, today=today)
    title = (part.get("title") or task.title).strip()
    text = (part.get("text") or task.text).strip()
    _check_text(title, text)
    return {"lead_unit_id": lead, "coop_unit_ids": coop, "deadline": deadline, "title": title, "text": text}


def _check_below_issuer(issuing_unit_id: int | None, unit_ids: set[int]) -> None:
    """A level's office gives its sub-tasks (分解, 改派) to the units below its own, never to another level's; the
    office (no issuing unit) to any."""
    if issuing_unit_id is None or not unit_ids:
        return
    issuer = Unit.objects.get(pk=issuing_unit_id)
    below = Unit.objects.filter(pk__in=unit_ids, path__startswith=issuer.path).exclude(pk=issuer.pk).count()
    if below != len(unit_ids):
        raise InvalidInput(f"子任务只能交给{issuer.name}下属的单位", "sub-tasks go to the units under the issuing unit")


@durable_action
def task_decompose(*, actor, task_id: int, version: int, parts: list[dict], rollup_mode: str = RollupMode.WORST,
                   today: dt.date | None = None) -> list[Task]:
    """Split an assigned task into sub-tasks (分解下达), one per listed unit (``parts``: ``lead_unit_id``,
    ``coop_unit_ids``, ``deadline``, optional ``title`` and ``text``), each assigned at once to its lead unit with
    a deadline no later than the parent's. Who may: the office once the task is assigned, or the lead unit's own
    supervision office (``can_split_task``), whose unit then issues and supervises the sub-tasks (the office's
    own split issues them as the office). Sub-tasks may split again, to any depth. ``rollup_mode`` says how the
    parent takes its progress and light from them. All parts or none; ``version`` is the parent's as read.
    Events SUBTASK_ISSUED per sub-task, then TASK_DECOMPOSED on the parent; each sub-task's units are told as on
    交办 (``reach`` on each sub-task: whom its notice reached)."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not perms.can_split_task(actor, task):
        raise PermissionDenied()
    _require_status(task, *perms.SPLITTABLE_STATUSES)
    if rollup_mode not in RollupMode.values:
        raise InvalidInput("汇总方式不正确", "unknown roll-up mode", details={"choices": list(RollupMode.values)})
    parts = [p for p in (parts or ()) if any(p.values())]
    if not parts:
        raise InvalidInput("请至少列出一个子任务的牵头单位", "list at least one sub-task")
    if len(parts) > MAX_SUBTASKS:
        raise InvalidInput(f"一次最多分解为{MAX_SUBTASKS}个子任务", f"at most {MAX_SUBTASKS} sub-tasks at once")
    today = today or timezone.localdate()
    seen: set[int] = set()
    checked = [_subtask_part(task, part, seen, today) for part in parts]
    root_path = task.tree_path or f"/{task.pk}/"
    if len(root_path) + 12 > Task._meta.get_field("tree_path").max_length:
        raise InvalidInput("分解层级过深", "the task tree is too deep to split further")
    issuing_unit_id = None if perms.is_supervisor(actor) else perms.unit_of(actor).pk
    _check_below_issuer(issuing_unit_id,
                        {p["lead_unit_id"] for p in checked} | {u for p in checked for u in p["coop_unit_ids"]})
    _bump(task, expected_version=version, tree_path=root_path, rollup_mode=rollup_mode)
    now = timezone.now()
    children = []
    for part in checked:
        child = Task(kind=task.kind, meeting=task.meeting, seq=task.seq, title=part["title"], text=part["text"],
                     heading=task.heading, area_id=task.area_id, lead_unit_id=part["lead_unit_id"],
                     deadline=part["deadline"], priority=task.priority, report_cycle=task.report_cycle,
                     report_every=task.report_every, created_by=actor, status=TaskStatus.ASSIGNED, assigned_at=now,
                     parent=task, issuing_unit_id=issuing_unit_id)
        child.full_clean(exclude=["meeting", "area", "lead_unit", "created_by", "latest_report", "parent",
                                  "issuing_unit"])
        child.save()
        child.tree_path = f"{root_path}{child.pk}/"
        Task.objects.filter(pk=child.pk).update(tree_path=child.tree_path)
        if part["coop_unit_ids"]:
            child.coop_units.set(part["coop_unit_ids"])
        children.append((child, part))
    rollup_refresh_in_txn(task_id=task.pk)  # the parent's progress now comes from its sub-tasks (and above it)
    for child, part in children:  # the audit chain after every row: lock order
        audit_log(actor=actor, event_type=EventType.SUBTASK_ISSUED, task=child, meeting=task.meeting,
                  target_unit=child.lead_unit,
                  extra={"parent_id": task.pk, "lead_unit_id": part["lead_unit_id"],
                         "coop_unit_ids": part["coop_unit_ids"], "deadline": _jsonable(part["deadline"]),
                         "issuing_unit_id": issuing_unit_id})
    audit_log(actor=actor, event_type=EventType.TASK_DECOMPOSED, task=task, meeting=task.meeting,
              extra={"child_ids": [c.pk for c, _ in children], "rollup_mode": rollup_mode,
                     "issuing_unit_id": issuing_unit_id})
    for child, _ in children:
        child.reach = task_assigned_notify_in_txn(actor=actor, task=child).reach
    return [child for child, _ in children]


REASSIGNABLE = (TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)


@durable_action
def task_reassign(*, actor, task_id: int, version: int, lead_unit_id: int, coop_unit_ids=(), reason: str) -> Task:
    """Supervisors change the lead and/or cooperating units of an assigned task (改派), or give a task a unit
    returned a new lead and assign it again in one step (重新交办). A new lead unit must sign again: the task goes
    back to 已交办 from now; a change of cooperating units alone keeps the status. Not while a close request waits
    (review it first). Event TASK_REASSIGNED with the old and new units; every unit concerned is told, old and new,
    lead and cooperating (the new ones as ``task_units_notify_in_txn`` tells them); ``reach`` on the result says
    whom it reached, the units it left included."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not perms.can_reassign_task(actor, task):
        raise PermissionDenied()
    _require_status(task, *REASSIGNABLE)
    if not (reason or "").strip():
        raise InvalidInput("请填写改派理由", "a reason is required")
    if not lead_unit_id:
        raise InvalidInput("请选择牵头单位", "choose a lead unit")
    lead = int(lead_unit_id)
    coop = sorted(_check_units(lead, coop_unit_ids))
    _check_below_issuer(task.issuing_unit_id, {lead, *coop})
    old_lead, old_status = task.lead_unit_id, task.status
    old_coop = sorted(task.coop_units.values_list("id", flat=True))
    if lead == old_lead and coop == old_coop and old_status != TaskStatus.RETURNED:
        raise InvalidInput("牵头单位和配合单位都没有变化",
                           "neither the lead nor the cooperating units changed")
    fields = {"lead_unit_id": lead}
    if lead != old_lead or old_status == TaskStatus.RETURNED:
        fields.update(status=TaskStatus.ASSIGNED, assigned_at=timezone.now(), accepted_at=None)
    _bump(task, expected_version=version, **fields)
    if coop != old_coop:
        task.coop_units.set(coop)
    # the units' names as they were (the history names them: "市市场监管局 → 市卫健委"; a unit may be renamed later)
    units = {pk: (order, name) for pk, order, name in Unit.objects.filter(
        pk__in={old_lead, lead, *old_coop, *coop} - {None}).values_list("pk", "sort_order", "name")}
    names = {pk: name for pk, (_, name) in units.items()}
    audit_log(actor=actor, event_type=EventType.TASK_REASSIGNED, task=task, meeting=task.meeting,
              target_unit=task.lead_unit,
              extra={"reason": reason, "old_status": old_status,
                     "old": {"lead_unit_id": old_lead, "coop_unit_ids": old_coop, "lead_unit": names.get(old_lead),
                             "coop_units": [names[u] for u in old_coop]},
                     "new": {"lead_unit_id": lead, "coop_unit_ids": coop, "lead_unit": names.get(lead),
                             "coop_units": [names[u] for u in coop]}})
    # the units it now goes to as on 交办 (a lead unit with nobody to tell: the office stands in and phones it),
    # the units it left as well
    title = f"督办事项改派：{task.title}"
    told = task_units_notify_in_txn(actor=actor, task=task, kind="task_reassigned", title=title,
                                    body=f"改派理由：{reason}")
    left = {old_lead, *old_coop} - {lead, *coop} - {None}
    left_people = list(units_people(left).select_related("profile"))
    rows = notify(actor=actor, recipients=left_people, kind="task_reassigned", task=task,
                  title=title, body=f"牵头单位：{task.lead_unit.name}。改派理由：{reason}")
    task.reach = told.reach | units_reach({pk: units[pk] for pk in left}, left_people, rows)
    return task


@durable_action
def task_deadline_adjust(*, actor, task_id: int, version: int, deadline: dt.date, reason: str) -> Task:
    """Supervisors move the deadline of an assigned task (调整时限), saying why; a unit asks for 延期 instead
    (``duban.followup.actions.extension_request``). The new deadline must not lie in the past. Event
    TASK_DEADLINE_ADJUSTED; the lead and cooperating units are told (``task_units_notify_in_txn``; ``reach`` on
    the result: whom it reached)."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not perms.can_adjust_deadline(actor, task):
        raise PermissionDenied()
    _require_status(task, *OPEN_STATUSES)
    if deadline is None:
        raise InvalidInput("请选择新的时限", "choose the new deadline")
    if not (reason or "").strip():
        raise InvalidInput("请填写调整理由", "a reason is required")
    check_deadline(deadline)
    check_subtask_deadline(task, deadline)
    if deadline == task.deadline:
        raise InvalidInput("新时限与原时限相同", "the deadline did not change")
    old = task.deadline
    _bump(task, expected_version=version, deadline=deadline)
    audit_log(actor=actor, event_type=EventType.TASK_DEADLINE_ADJUSTED, task=task, meeting=task.meeting,
              target_unit=task.lead_unit,
              extra={"old_deadline": _jsonable(old), "new_deadline": deadline.isoformat(), "reason": reason})
    task.reach = task_units_notify_in_txn(
        actor=actor, task=task, kind="task_deadline_adjusted", title=f"办理时限调整：{task.title}",
        body=f"时限由 {_jsonable(old) or '未定'} 调整为 {deadline.isoformat()}。理由：{reason}").reach
    return task


@durable_action
def task_accept(*, actor, task_id: int, for_unit: bool = False) -> Task:
    """The lead unit signs for an assigned task (签收). With ``for_unit`` the office that supervises the task signs
    for a lead unit that has nobody who could (代为签收, ``can_accept_for_unit``), so that it can then take down the
    unit's progress (代录); recorded as the office's, for the unit. Repeating it changes nothing. Event
    TASK_ACCEPTED (``extra.entered_by_office`` when signed for the unit); nobody is told (the unit has nobody)."""
    task = task_lock_visible_in_txn(actor, task_id)
    if for_unit:
        if not perms.can_accept_for_unit(actor, task):
            raise PermissionDenied("只有督办该事项的督查室，在牵头单位尚无能签收的人员时，才能代为签收",
                                   "only the supervising office signs for a lead unit, and only when nobody of the "
                                   "unit can sign")
    elif not perms.can_accept_task(actor, task):
        raise PermissionDenied("只有牵头单位可以签收或退回交办", "only the lead unit signs for or sends back a task")
    if task.status == TaskStatus.ACCEPTED:
        return task
    _require_status(task, TaskStatus.ASSIGNED)
    _bump(task, status=TaskStatus.ACCEPTED, accepted_at=timezone.now())
    audit_log(actor=actor, event_type=EventType.TASK_ACCEPTED, task=task, meeting=task.meeting,
              **({"target_unit": task.lead_unit, "extra": {"entered_by_office": True}} if for_unit else {}))
    return task


@durable_action
def task_decline(*, actor, task_id: int, reason: str) -> Task:
    """The lead unit sends an assignment back (退回), saying why (not its duty, say). Event TASK_DECLINED; the
    supervision office is told and reassigns."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not perms.can_accept_task(actor, task):
        raise PermissionDenied("只有牵头单位可以签收或退回交办", "only the lead unit signs for or sends back a task")
    _require_status(task, TaskStatus.ASSIGNED)
    if not (reason or "").strip():
        raise InvalidInput("请填写退回理由", "a reason is required")
    _bump(task, status=TaskStatus.RETURNED)
    audit_log(actor=actor, event_type=EventType.TASK_DECLINED, task=task, meeting=task.meeting,
              extra={"reason": reason})
    notify(actor=actor, recipients=task_supervisors(task), kind="task_declined", task=task,
           title=f"交办事项被退回：{task.title}", body=reason)
    return task


def report_uploads_check(files) -> list[Upload]:
    """Check a report's files (name, bytes) before anything is written: at most ``DUBAN_REPORT_MAX_FILES``, each a
    photo, PDF or Office file by its content and at most ``DUBAN_REPORT_FILE_MAX_BYTES``."""
    files = list(files or ())
    if len(files) > settings.DUBAN_REPORT_MAX_FILES:
        raise InvalidInput(f"每次最多上传{settings.DUBAN_REPORT_MAX_FILES}个文件",
                           f"at most {settings.DUBAN_REPORT_MAX_FILES} files per report")
    return [check_upload(name, content, limit=settings.DUBAN_REPORT_FILE_MAX_BYTES) for name, content in files]


def report_files_store_in_txn(*, actor, report: ProgressReport, uploads: list[Upload], kept=()) -> list[ReportFile]:
    """Stage checked uploads (``duban.core.files``) and record them on the report, joining the caller's
    transaction (which must be a ``files_follow_transaction`` action). ``kept``: files the same action already
    stored and checked elsewhere (dicts of name, content_type, size, sha256, storage_name: a hazard's rectification
    photos), recorded on the report by reference, their bytes not copied. Writes no audit row: the caller's event
    lists the files."""
    rows = [ReportFile(report=report, task_id=report.task_id, name=u.name, content_type=u.content_type, size=u.size,
                       sha256=u.sha256, storage_name=store_upload(f"reports/{report.task_id}", u), uploaded_by=actor)
            for u in uploads]
    rows += [ReportFile(report=report, task_id=report.task_id, uploaded_by=actor, **k) for k in kept]
    return ReportFile.objects.bulk_create(rows)


def files_audit(rows: list[ReportFile]) -> list[dict]:
    return [{"id": f.pk, "name": f.name, "content_type": f.content_type, "size": f.size, "sha256": f.sha256}
            for f in rows]


@durable_action
def close_evidence_rule_set(*, actor, kind: str, required: bool) -> bool:
    """The supervision office sets whether close requests on a kind of task need evidence. Setting what is in
    force changes nothing. Event CLOSE_EVIDENCE_RULE_SET with the old and new rule; nobody is told. Returns whether
    the rule changed."""
    if not perms.can_configure_close_evidence(actor):
        raise PermissionDenied()
    if kind not in TaskKind.values:
        raise InvalidInput("事项类型不正确", "unknown kind of task")
    required = bool(required)
    list(CloseEvidenceRule.objects.select_for_update().filter(kind=kind))  # two offices at once: one after the other
    old = close_evidence_required_for(kind)
    if old == required:
        return False
    CloseEvidenceRule.objects.update_or_create(kind=kind, defaults={"required": required, "updated_by": actor})
    audit_log(actor=actor, event_type=EventType.CLOSE_EVIDENCE_RULE_SET,
              extra={"kind": kind, "old": {"required": old}, "new": {"required": required}})
    return True


@files_follow_transaction
@durable_action
def report_submit(*, actor, task_id: int, text: str, progress_percent: int, request_close: bool = False,
                  evidence_text: str = "", files=(), for_unit: bool = False) -> ProgressReport:
    """Lead or cooperating units report progress (a cooperating unit's report is its part, 配合意见/配合进展), with
    photos and documents (``files``: name and bytes); the lead may ask to close (申请办结) — the one path to it,
    needing evidence (``evidence_text`` or files) for the kinds in ``DUBAN_CLOSE_EVIDENCE_KINDS``. The lead unit's
    first report moves an accepted task into 办理中; a cooperating unit's part changes nothing of the task (its
    status, progress and latest report are the lead unit's). With ``for_unit`` the supervision office records the lead unit's progress
    on its behalf (由督查室代录): the report is the lead unit's, marked as entered by the office, and needs no
    review of the office's own. Event REPORT_SUBMITTED (and TASK_CLOSE_REQUESTED, which records which cooperating
    units' parts are in); supervisors are told, and on a cooperating unit's part or the office's entry the lead
    unit too."""
    return report_submit_in_txn(actor=actor, task_id=task_id, text=text, progress_percent=progress_percent,
                                request_close=request_close, evidence_text=evidence_text, files=files,
                                for_unit=for_unit)


def report_submit_in_txn(*, actor, task_id: int, text: str, progress_percent: int, request_close: bool = False,
                         evidence_text: str = "", files=(), for_unit: bool = False, kept_files=()) -> ProgressReport:
    """``report_submit`` joining the caller's transaction (an edited ledger's 最新进展 is the office's entry for
    the unit, a hazard's 整改 the unit's report); files only when the caller is a ``files_follow_transaction``
    action; ``kept_files`` as ``report_files_store_in_txn``'s ``kept``."""
    task = task_lock_visible_in_txn(actor, task_id)
    if for_unit:
        if not perms.can_enter_report_for_unit(actor, task) or request_close:
            raise PermissionDenied("督查室只能代录牵头单位的进展，不能代为申请办结",
                                   "the office may enter a lead unit's progress, never a completion request")
    elif not perms.can_report_on_task(actor, task):
        raise PermissionDenied(*NOT_REPORTER)
    if request_close and not perms.can_request_close(actor, task):
        raise PermissionDenied("只有牵头单位可以申请办结", "only the lead unit may request closing")
    _require_status(task, *REPORTABLE_STATUSES)
    rules.check_report(text, progress_percent)
    uploads = report_uploads_check(files)
    evidence_text = (evidence_text or "").strip()
    if request_close and close_evidence_required_for(task.kind) and not evidence_text and not uploads and not kept_files:
        raise InvalidInput("申请办结须提供佐证说明或佐证材料", "a completion request needs evidence (a description or a file)")
    if request_close:  # a kind's own record refuses now what its sign-off would refuse (a livelihood target unmet)
        task_closing.send(sender=Task, task=task, requesting=True)
    unit = task.lead_unit if for_unit else perms.unit_of(actor)
    office_entry = {"entered_by_office": True, "status": ReportStatus.ACCEPTED, "reviewed_by": actor,
                    "reviewed_at": timezone.now()} if for_unit else {}
    report = ProgressReport.objects.create(task=task, unit=unit, author=actor, text=text,
                                           progress_percent=int(progress_percent), request_close=request_close,
                                           evidence_text=evidence_text if request_close else "", **office_entry)
    stored = report_files_store_in_txn(actor=actor, report=report, uploads=uploads, kept=kept_files)
    lead_member = for_unit or perms.is_lead_member(actor, task)
    if lead_member:  # a cooperating unit's part is its own: the task's progress, latest report and status stay
        fields = {"latest_report_id": report.pk, "progress_percent": max(task.progress_percent, int(progress_percent))}
        if request_close:
            fields["status"] = TaskStatus.CLOSE_REQUESTED
        elif task.status == TaskStatus.ACCEPTED:
            fields["status"] = TaskStatus.IN_PROGRESS
        _bump(task, **fields)
    audit_log(actor=actor, event_type=EventType.REPORT_SUBMITTED, task=task, report=report, meeting=task.meeting,
              target_unit=unit if for_unit else None,
              extra={"progress_percent": report.progress_percent, "request_close": request_close,
                     "files": files_audit(stored), **({"entered_by_office": True} if for_unit else {})})
    if request_close:
        audit_log(actor=actor, event_type=EventType.TASK_CLOSE_REQUESTED, task=task, report=report,
                  meeting=task.meeting,
                  extra={"evidence_text": evidence_text, "evidence_files": len(stored),
                         "coop_parts": {str(k): v for k, v in coop_parts_in(task).items()}})
    recipients = task_supervisors(task)
    if for_unit or not lead_member:
        recipients += list(unit_people(task.lead_unit_id))
    prefix = ("申请办结：" if request_close else "督查室代录进展：" if for_unit
              else "配合单位报送：" if not lead_member else "新进展：")
    notify(actor=actor, recipients=recipients, kind="report_submitted", task=task, title=prefix + task.title,
           body=text[:500])
    return report


def task_close_in_txn(*, actor, task: Task, report: ProgressReport | None = None, now=None) -> None:
    """Close (办结销号) a locked task, joining the caller's transaction: a kind's own record reaching its end (a
    hazard struck off the ledger). The task's rows are written before the audit chain (the lock order). Event
    TASK_CLOSED; the task is scored."""
    closed_reports = _close_bump(task, now, actor=actor)
    _close_log(actor=actor, task=task, report=report, closed_reports=closed_reports)


def _close_bump(task: Task, now=None, *, actor) -> list[int]:
    """The task closed, and the reports still waiting on it closed too (nothing is left to review; they leave the
    review list). Returns those reports' ids."""
    now = now or timezone.now()
    pending = ProgressReport.objects.filter(task=task, status=ReportStatus.SUBMITTED)
    closed_reports = sorted(pending.values_list("pk", flat=True))
    pending.update(status=ReportStatus.CLOSED, reviewed_by=actor, reviewed_at=now, review_comment="事项已办结")
    _bump(task, status=TaskStatus.CLOSED, closed_at=now, progress_percent=100)
    return closed_reports


def _close_log(*, actor, task: Task, report: ProgressReport | None, closed_reports: list[int]) -> None:
    audit_log(actor=actor, event_type=EventType.TASK_CLOSED, task=task, report=report, meeting=task.meeting,
              target_unit=task.lead_unit, extra={"closed_reports": closed_reports})
    task_closed.send(sender=Task, actor=actor, task=task)  # the score (reports)


def task_progress_set_in_txn(*, task: Task, percent: int) -> None:
    """Set a locked task's percent from its kind's own figures (a livelihood project's share of its target),
    joining the caller's transaction, whose action audits the figure."""
    _bump(task, progress_percent=percent)


def _reviewable_report(actor, report_id: int) -> ProgressReport:
    report = perms.reports_visible_to(actor).select_related("task").filter(pk=report_id).first()
    if report is None:
        raise NotFound()
    if not perms.can_review_report(actor, report):
        if perms.wrote_report(actor, report):
            raise PermissionDenied("不能审核本人报送的进展，须由其他人员审核",
                                   "you may not review a report you submitted; another reviewer must")
        raise PermissionDenied()
    return report


def _record_review(actor, report: ProgressReport, status: str, comment: str):
    """Mark a submitted report reviewed; returns its locked task and the review time. The task is locked first
    (the lock order of every write), then the report is updated only while it is still submitted: of two reviews
    at once, the second finds it reviewed and gets a ``Conflict`` (or, the same way twice, nothing changes)."""
    task = task_lock_in_txn(report.task_id)
    now = timezone.now()
    if ProgressReport.objects.filter(pk=report.pk, status=ReportStatus.SUBMITTED).update(
            status=status, review_comment=comment, reviewed_by=actor, reviewed_at=now) != 1:
        current = ProgressReport.objects.filter(pk=report.pk).values_list("status", flat=True).first()
        if current == status:
            return task, None
        raise Conflict("该报告已审核", "the report was already reviewed")
    report.status, report.review_comment, report.reviewed_by, report.reviewed_at = (status, comment, actor, now)
    return task, now


@durable_action
def report_accept(*, actor, report_id: int, comment: str = "", override_reason: str = "") -> ProgressReport:
    """The office that supervises the task accepts a report; accepting a close request closes the task (办结销号).
    A task split into sub-tasks is not signed off while one of them is open, unless the office gives
    ``override_reason`` (then TASK_CLOSED_OVER_OPEN_SUBTASKS records it). Events REPORT_ACCEPTED (and TASK_CLOSED);
    the reporting unit is told; when closed over open sub-tasks, it and the offices that issued them
    (``supervision_office``) are told the reason and which are open; those who watch the task through the
    follow-up (``task_closed``, ``report_accepted``). Repeating it changes nothing."""
    report = _reviewable_report(actor, report_id)
    if report.status == ReportStatus.ACCEPTED:
        return report
    task, now = _record_review(actor, report, ReportStatus.ACCEPTED, comment)
    if now is None:  # accepted meanwhile by someone else
        report.refresh_from_db()
        return report
    closing = report.request_close and task.status == TaskStatus.CLOSE_REQUESTED
    if closing:
        task_closing.send(sender=Task, task=task)  # a kind's own record may refuse the close (sources)
        open_ids = _open_subtasks_check(task, override_reason)
        closed_reports = _close_bump(task, now, actor=actor)  # before the chain: lock order
    audit_log(actor=actor, event_type=EventType.REPORT_ACCEPTED, task=task, report=report, meeting=task.meeting,
              target_unit=report.unit, extra={"comment": comment})
    if closing and open_ids:
        audit_log(actor=actor, event_type=EventType.TASK_CLOSED_OVER_OPEN_SUBTASKS, task=task, report=report,
                  meeting=task.meeting, extra={"reason": override_reason.strip(), "open_subtask_ids": open_ids})
    if closing:
        _close_log(actor=actor, task=task, report=report, closed_reports=closed_reports)
    else:
        report_accepted.send(sender=Task, actor=actor, task=task, report=report)  # its watchers (follow-up)
    told = unit_recipients(report.unit_id, task=task)
    if not (closing and open_ids):
        notify(actor=actor, recipients=told, kind="report_accepted", task=task,
               title=("已办结：" if task.status == TaskStatus.CLOSED else "进展已采纳：") + task.title, body=comment)
        return report
    # closed over open sub-tasks: the unit, and the offices that issued those sub-tasks and go on supervising
    # them (``supervision_office`` of each), learn why and which are still open
    still_open = list(Task.objects.filter(pk__in=open_ids).select_related("lead_unit").order_by("pk"))
    title = f"已办结（尚有{len(still_open)}项子任务未办结）：{task.title}"
    note = (f"尚有{len(still_open)}项子任务未办结，{supervision_office(task).name}同意办结，"
            f"理由：{override_reason.strip()}\n未办结的子任务："
            + "；".join(f"{sub.lead_unit.name if sub.lead_unit else '未定单位'}“{sub.title}”"
                       f"（{sub.get_status_display()}）" for sub in still_open))
    notify(actor=actor, recipients=told, kind="report_accepted", task=task, title=title,
           body="\n".join(part for part in (comment, note) if part))
    offices = {sub.issuing_unit_id: sub for sub in still_open}  # one office per issuing unit
    told_ids = {user.pk for user in told}
    office_people = [user for sub in offices.values() for user in supervision_office(sub).people
                     if user.pk not in told_ids]
    notify(actor=actor, recipients=office_people, kind="report_accepted", task=task, title=title, body=note)
    return report


def _open_subtasks_check(task: Task, override_reason: str) -> list[int]:
    """The ids of the task's sub-tasks still open; refused while there are any and no reason overrides (a parent
    is signed off when its parts are, or by the office's explicit, audited decision)."""
    open_ids = sorted(open_subtasks(task.pk).values_list("pk", flat=True))
    if open_ids and not (override_reason or "").strip():
        raise Conflict(f"该事项还有{len(open_ids)}项子任务未办结；如确需办结，请填写理由",
                       f"{len(open_ids)} sub-task(s) are still open; give a reason to sign off anyway",
                       details={"open_subtask_ids": open_ids})
    return open_ids


def _standing_progress(task: Task, returned: ProgressReport) -> dict:
    """What the task shows once ``returned`` is returned: a returned report's percent and text no longer stand.
    The percent is the lead unit's best report still standing; the latest report (最新进展 on the list, the ledger
    and the 通报, and the date the reporting cycle counts from) the lead unit's newest one still standing, unless
    the returned one is a close request, which stays the latest so the ledger and the 工作台 say it was returned
    (``被退回的办结申请``). The fields to change, none when nothing does."""
    standing = ProgressReport.objects.filter(task=task, unit_id=task.lead_unit_id).exclude(status=ReportStatus.RETURNED)
    fields = {}
    if returned.unit_id == task.lead_unit_id:
        percent = standing.aggregate(m=Max("progress_percent"))["m"] or 0
        if percent != task.progress_percent:
            fields["progress_percent"] = percent
    if task.latest_report_id == returned.pk and not returned.request_close:
        fields["latest_report_id"] = standing.order_by("-created_at", "-pk").values_list("pk", flat=True).first()
    return fields


@durable_action
def report_return(*, actor, report_id: int, reason: str) -> ProgressReport:
    """Supervisors return a report with a reason (退回); it is no longer the task's progress (``_standing_progress``),
    and a returned close request puts the task back into 办理中 and counts against the unit. Events REPORT_RETURNED (and TASK_CLOSE_RETURNED); the unit is told."""
    return report_return_in_txn(actor=actor, report_id=report_id, reason=reason)


def report_return_in_txn(*, actor, report_id: int, reason: str) -> ProgressReport:
    """``report_return`` joining the caller's transaction (a hazard's failed re-inspection returns the
    rectification's report)."""
    report = _reviewable_report(actor, report_id)
    if report.status == ReportStatus.RETURNED:
        return report
    if not (reason or "").strip():
        raise InvalidInput("请填写退回理由", "a reason is required")
    task, now = _record_review(actor, report, ReportStatus.RETURNED, reason)
    if now is None:  # returned meanwhile by someone else
        report.refresh_from_db()
        return report
    returning = report.request_close and task.status == TaskStatus.CLOSE_REQUESTED
    fields = _standing_progress(task, report)
    if returning:
        fields.update(status=TaskStatus.IN_PROGRESS, returns_count=task.returns_count + 1)
    if fields:  # before the chain: lock order
        _bump(task, **fields)
    audit_log(actor=actor, event_type=EventType.REPORT_RETURNED, task=task, report=report, meeting=task.meeting,
              target_unit=report.unit, extra={"reason": reason})
    if returning:
        audit_log(actor=actor, event_type=EventType.TASK_CLOSE_RETURNED, task=task, report=report,
                  meeting=task.meeting, extra={"reason": reason})
    notify(actor=actor, recipients=unit_recipients(report.unit_id, task=task), kind="report_returned", task=task,
           title=f"{'办结申请' if report.request_close else '进展'}被退回：{task.title}", body=reason)
    return report


# --- 机构改革: the tasks' part in the changes of the unit tree (``duban.core.unit_signals``) ----------------------

def unit_tasks_move_in_txn(*, actor, unit: Unit, into: Unit) -> dict:
    """Joins ``duban.core.actions.unit_merge``'s transaction (by ``unit_merging``), which has authorized and
    checked the merge and writes the one event, UNIT_MERGED: every task ``unit`` leads is led by ``into``; where
    ``unit`` cooperates, ``into`` cooperates instead. Returns the ids for the event: ``task_ids`` (every task
    moved) and ``lead_task_ids``."""
    lead_ids = list(Task.objects.filter(lead_unit_id=unit.pk).values_list("pk", flat=True))
    Task.objects.filter(pk__in=lead_ids).update(lead_unit_id=into.pk, version=F("version") + 1)
    Coop = Task.coop_units.through
    coop_ids = list(Coop.objects.filter(unit_id=unit.pk).values_list("task_id", flat=True))
    # A task the new unit already leads or cooperates on keeps one link, not two: the old unit's link goes, as
    # ``task_update`` replaces a task's cooperating units (a link, not a record; the event lists the tasks).
    taken = set(Coop.objects.filter(unit_id=into.pk, task_id__in=coop_ids).values_list("task_id", flat=True))
    taken |= set(Task.objects.filter(pk__in=coop_ids, lead_unit_id=into.pk).values_list("pk", flat=True))
    unit.coop_tasks.remove(*taken)
    Coop.objects.filter(unit_id=unit.pk).update(unit_id=into.pk)
    Task.objects.filter(pk__in=set(coop_ids) - set(lead_ids)).update(version=F("version") + 1)
    return {"task_ids": sorted(set(lead_ids) | set(coop_ids)), "lead_task_ids": sorted(lead_ids)}


def unit_tasks_left(*, unit: Unit) -> list[tuple[str, str]]:
    """What keeps ``duban.core.actions.unit_deactivate`` from retiring ``unit`` (by ``unit_retiring``): the open
    tasks it leads (merge the unit instead)."""
    if Task.objects.filter(lead_unit_id=unit.pk, status__in=OPEN_STATUSES).exists():
        return [("在办事项", "open tasks")]
    return []
