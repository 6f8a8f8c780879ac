"""Every change made by reporting: scoring a closed task, importing and exporting ledgers, exporting briefings,
rotating calendar-feed tokens. Each public function authorizes, validates, writes, appends one audit event (see
docs/audit-events.md) in one transaction. Exports are reads, but the office must be able to show who took which
list out of the system, so they are audited like changes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from duban.core.audit import EventType, audit_log, insert_rows_in_txn, reserve_ids_in_txn
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.txn import durable_action
from duban.core.uploads import check_zip_package
from duban.reports import ledger as ledger_mod
from duban.reports import permissions as report_perms
from duban.reports.ical import calendar_token_digest
from duban.reports.models import CalendarToken, DocumentNumber, ImportedRow, LedgerImport
from duban.reports.scoring import RULE_FIELDS, overdue_workdays, rules_for, rules_from, score_task
from duban.reports.scoring import points as rule_points
from duban.tasks import permissions as perms
from duban.tasks.models import Task, TaskStatus


def task_score_in_txn(*, actor, task: Task) -> Decimal:
    """Score a task that has just been closed (办结), joining the closing transaction (the receiver of
    ``duban.tasks.signals.task_closed``). Only supervisors sign off, so only they score. Event TASK_SCORED with the figures that made the score; nobody is
    told (the closing itself already told the unit)."""
    if not perms.can_close_task(actor, task):
        raise PermissionDenied()
    if task.status != TaskStatus.CLOSED or task.closed_at is None:
        raise Conflict("只有已办结的事项才能考评", "only a closed task can be scored")
    closed_on = timezone.localdate(task.closed_at)
    rules, source = rules_for(closed_on)
    score = score_task(task, closed_on, rules=rules)
    old = task.score
    Task.objects.filter(pk=task.pk).update(score=score)
    task.score = score
    audit_log(actor=actor, event_type=EventType.TASK_SCORED, task=task, meeting=task.meeting,
              target_unit=task.lead_unit,
              extra={"score": str(score), "old_score": str(old) if old is not None else None,
                     "closed_on": closed_on.isoformat(),
                     "deadline": task.deadline.isoformat() if task.deadline else None,
                     "overdue_workdays": overdue_workdays(task.deadline, closed_on), "returns": task.returns_count,
                     "rules": rules.as_dict(), "rules_source": source})
    return score


def _max_rows() -> int:
    return int(getattr(settings, "DUBAN_LEDGER_MAX_ROWS", 10000))


@durable_action
def ledger_import(*, actor, data: bytes, filename: str = "", assign: bool = False, dry_run: bool = False,
                  today: dt.date | None = None, plan: str | None = None) -> ledger_mod.ImportResult:
    """Supervisors import an .xlsx ledger. A line with a 任务编号 (an exported ledger, edited) updates its task
    through the actions a person would use (``task_update``, ``task_assign``, ``task_withdraw``, and for an
    edited 最新进展 ``report_submit`` as the office's entry for the lead unit, each writing its own event and
    telling whom it tells); a line whose change no action allows (a status only the unit or the close review may
    set, progress on a task nobody works on yet, a closed task) is refused with its reason and changes nothing. Every
    other line becomes a draft task (and is assigned with ``assign``). When any line is unreadable (unknown unit,
    bad date...), nothing is written and ``InvalidInput.details`` lists every row's errors in Chinese. Lines
    imported before (same 事项, 牵头单位, 时限) are skipped; a file that neither creates nor changes anything is a
    no-op that writes nothing and says so. Event LEDGER_IMPORTED (plus TASK_CREATED and TASK_ASSIGNED per new
    task). ``dry_run`` checks only and returns the preview of the changes, with its ``plan`` (a digest of what it
    shows); applying with that ``plan`` refuses (``Conflict``, nothing written) when the file would now do anything
    else than the preview showed (a task edited, a line imported meanwhile)."""
    if not report_perms.can_import_ledger(actor):
        raise PermissionDenied()
    if not data:
        raise InvalidInput("文件为空", "the file is empty")
    if len(data) > settings.DUBAN_MAX_UPLOAD_BYTES:
        raise InvalidInput("文件过大", "the file is too large")
    check_zip_package(data, kind=".xlsx")
    parsed = ledger_mod.parse_ledger(data, today=today or timezone.localdate(), max_rows=_max_rows())
    if parsed.errors:
        shown = "；".join(str(e) for e in parsed.errors[:3])
        more = f"等{len(parsed.errors)}处问题" if len(parsed.errors) > 3 else ""
        raise InvalidInput(f"台账有错误，未导入任何事项：{shown}{more}",
                           f"the ledger has {len(parsed.errors)} error(s); nothing was imported",
                           details=[e.as_dict() for e in parsed.errors])
    from duban.reports.selectors import ledger_changes

    changes, refused = ledger_changes(viewer=actor, rows=[r for r in parsed.rows if r.task_id],
                                      columns=parsed.columns)
    new_rows = [row for row in parsed.rows if not row.task_id]
    keys = [row.key for row in new_rows]
    known = set()
    for start in range(0, len(keys), 500):  # stay under SQLite's parameter limit
        known |= set(ImportedRow.objects.filter(key__in=keys[start:start + 500]).values_list("key", flat=True))
    fresh = [row for row in new_rows if row.key not in known]
    skipped = len(new_rows) - len(fresh)
    updates = [c.as_dict() for c in changes]
    refusals = "" if not refused else f"，{len(refused)}行未能更新"
    if not fresh and not changes:
        message = (f"该台账的{skipped}项均已导入过，本次未新建任何事项" if skipped else "台账与系统一致，无需更新")
        return ledger_mod.ImportResult(0, skipped, len(parsed.rows), [], [], True, message + refusals, 0, [],
                                       refused)
    digest = ledger_mod.plan_digest(fresh=[(row.row, row.key) for row in fresh], updates=updates,
                                    refused=[e.as_dict() for e in refused], assign=assign)
    if dry_run:
        return ledger_mod.ImportResult(0, skipped, len(parsed.rows), [], [], False,
                                       f"检查通过：将新建{len(fresh)}项，更新{len(changes)}项，跳过已导入的{skipped}项"
                                       + refusals, 0, updates, refused, plan=digest)
    if plan is not None and plan != digest:
        raise Conflict("检查之后事项已有变动，导入结果将与预览不同，未导入任何内容。请重新检查后再确认导入",
                       "the tasks changed since the preview; nothing was imported: check the file again")
    assigned = _ledger_apply_changes_in_txn(actor=actor, changes=changes)
    from duban.tasks.actions import task_assign_in_txn, task_bulk_create_in_txn, task_lock_visible_in_txn, title_from_text
    from duban.tasks.selectors import UnitsReach

    record = LedgerImport.objects.create(actor=actor, filename=filename[:255], sha256=parsed.sha256,
                                         rows=len(parsed.rows), created_count=len(fresh), skipped_count=skipped)
    # created as drafts, then each assigned (交办) as 确认交办 assigns a meeting's: the same notices to the lead and
    # cooperating units (代收 by the office for a unit with nobody), and the same account of whom they reached
    # No 序号 (``seq``): that is an item's number in its meeting (第N项), and a ledger line has no meeting; its row
    # in the file is kept with the import (``ImportedRow.row_number``, the task's TASK_CREATED event).
    tasks = task_bulk_create_in_txn(actor=actor, rows=[dict(
        title=" ".join(row.title.split()) if len(row.title) <= 200 else title_from_text(row.title, limit=200),
        text=row.text or row.title, kind="other", area_id=row.area_id, lead_unit_id=row.lead_unit_id,
        coop_unit_ids=row.coop_unit_ids, deadline=row.deadline, deadline_text=row.deadline_text,
        extra={"ledger_import_id": record.pk, "row": row.row}) for row in fresh]) if fresh else []
    task_ids = [task.pk for task in tasks]
    if assign:
        assigned += [task_assign_in_txn(actor=actor, task=task_lock_visible_in_txn(actor, pk)) for pk in task_ids]
    reach = UnitsReach.of(task.reach for task in assigned) if assigned else None
    # Plain rows with reserved ids through one prepared insert (bulk_create builds and compiles per 200 rows).
    if fresh:
        insert_rows_in_txn(ImportedRow, [
            {"id": pk, "ledger_import_id": record.pk, "row_number": row.row, "key": row.key, "task_id": task_id}
            for row, task_id, pk in zip(fresh, task_ids, reserve_ids_in_txn(ImportedRow, len(fresh)))])
    audit_log(actor=actor, event_type=EventType.LEDGER_IMPORTED,
              extra={"ledger_import_id": record.pk, "filename": filename, "sha256": parsed.sha256,
                     "rows": len(parsed.rows), "created": len(fresh), "skipped": skipped, "assigned": assign,
                     "updated": len(changes), "refused": [e.as_dict() for e in refused]})
    message = (f"已导入{len(fresh)}项" + (f"，跳过已导入的{skipped}项" if skipped else "")
               + ("并已交办" if assign and fresh else "") + (f"，更新{len(changes)}项" if changes else "") + refusals
               + (f"。交办{len(assigned)}项：{reach.sentence()}" if reach is not None else ""))
    return ledger_mod.ImportResult(len(fresh), skipped, len(parsed.rows), [], task_ids, False, message,
                                   len(changes), updates, refused, reach=reach)


def _ledger_apply_changes_in_txn(*, actor, changes) -> list:
    """Each line's changes through the task actions, in the caller's transaction: the edit (``task_update``,
    with the version read when the line was compared, so an edit made meanwhile is a ``Conflict`` and nothing is
    imported), the 最新进展 (``report_submit`` for the lead unit, 由督查室代录), then the status (``task_assign``
    or ``task_withdraw`` with the line's 备注 as the reason). Returns the tasks it assigned (with their
    ``reach``)."""
    from duban.tasks.actions import (report_submit_in_txn, task_assign_in_txn, task_lock_visible_in_txn,
                                     task_update_in_txn, task_withdraw_in_txn)

    assigned = []
    for change in changes:
        if change.fields or change.coop_unit_ids is not None:
            task_update_in_txn(actor=actor, task=task_lock_visible_in_txn(actor, change.task_id),
                               version=change.version, changes=change.fields,
                               coop_unit_ids=change.coop_unit_ids)
        if change.progress is not None:
            percent, text = change.progress
            report_submit_in_txn(actor=actor, task_id=change.task_id, text=text, progress_percent=percent,
                                 for_unit=True)
        if change.status == TaskStatus.ASSIGNED:
            assigned.append(task_assign_in_txn(actor=actor, task=task_lock_visible_in_txn(actor, change.task_id)))
        elif change.status == TaskStatus.WITHDRAWN:
            task_withdraw_in_txn(actor=actor, task_id=change.task_id, reason=change.note)
    return assigned


@durable_action
def ledger_export(*, actor, filters: dict | None = None, today: dt.date | None = None, per_meeting: bool = False,
                  columns: list[str] | None = None) -> bytes:
    """Anyone signed in exports the tasks they may see, filtered like /tasks/ (status, area, unit, meeting,
    overdue), as an .xlsx ledger: one sheet with a 来源会议/文号 column, or one sheet per meeting; the columns of
    DUBAN_LEDGER_COLUMNS or ``columns``. Event LEDGER_EXPORTED with the filters and row count; nobody is told."""
    from duban.reports.selectors import ledger_lines

    if perms.role_of(actor) is None:
        raise PermissionDenied()
    filters = dict(filters or {})
    lines, subtitle = ledger_lines(viewer=actor, today=today, facts=per_meeting, **filters)
    data = ledger_mod.write_ledger(lines, subtitle=subtitle, per_meeting=per_meeting, columns=columns)
    audit_log(actor=actor, event_type=EventType.LEDGER_EXPORTED,
              extra={"filters": {k: v for k, v in filters.items() if v not in (None, "")}, "rows": len(lines),
                     "per_meeting": per_meeting})
    return data


def document_number_in_txn(*, actor, kind: str, subject: str = "", scope: int | None = None,
                           day: dt.date) -> tuple[int, bool]:
    """The serial of the 发文字号 of a document (``DocumentNumber``), joining the caller's transaction: the one it
    was given when the same document (kind, subject, day, issuing scope) was first generated, or the next of the
    year's one sequence for every kind. Returns (serial, whether it was given before). Two first downloads at once
    cannot take the same number: the unique constraints refuse the second, which reads again."""
    scope = scope or 0
    for _attempt in range(5):
        given = (DocumentNumber.objects.filter(scope=scope, kind=kind, subject=subject, day=day)
                 .values_list("serial", flat=True).first())
        if given is not None:
            return given, True
        last = DocumentNumber.objects.filter(scope=scope, year=day.year).aggregate(last=Max("serial"))["last"]
        try:
            with transaction.atomic():
                DocumentNumber.objects.create(scope=scope, year=day.year, serial=(last or 0) + 1, kind=kind,
                                              subject=subject, day=day, issued_by=actor)
        except IntegrityError:
            continue  # another download took this number (or this document) meanwhile
        return (last or 0) + 1, False
    raise Conflict("文号分配繁忙，请稍后重试", "the document number could not be given; try again")


@durable_action
def briefing_export(*, actor, meeting_id: int, fmt: str = "docx", today: dt.date | None = None,
                    subtree_id: int | None = None, issue: bool = False) -> bytes:
    """The office (supervisors, leaders, sysadmins) generates the briefing on a meeting's decisions as .docx (or
    .pdf through LibreOffice); for a subtree of units (``subtree_id``, the tasks led there), so may a unit's own
    supervision office within its unit's subtree. By default a preview: marked as a draft, its serial left blank,
    no number taken, so looking at it as often as one likes leaves no gap in the 发文登记. With ``issue`` (正式生成)
    it takes its 发文字号, once for the meeting and the day, from the sequence the 督查通报 also takes its numbers
    from (``document_number_in_txn``): issuing it again that day gives the same number. Event BRIEFING_EXPORTED
    (with the subtree, and the serial when issued); nobody is told."""
    from duban.reports.briefing import briefing_docx, docx_to_pdf
    from duban.core.selectors import letterhead
    from duban.reports.selectors import briefing_data, subtree_get

    subtree = subtree_get(viewer=actor, unit_id=subtree_id)
    if not report_perms.can_export_briefing(actor, subtree.unit_ids if subtree else ()):
        raise PermissionDenied()
    if fmt not in ("docx", "pdf"):
        raise InvalidInput("格式只能是 docx 或 pdf", "the format must be docx or pdf")
    data = briefing_data(viewer=actor, meeting_id=meeting_id, today=today, subtree=subtree)
    serial, again = (document_number_in_txn(actor=actor, kind="briefing", subject=f"meeting:{data.meeting.pk}",
                                            scope=subtree.unit_id if subtree else None, day=data.today)
                     if issue else (None, False))
    content = briefing_docx(data, serial=serial, letterhead=letterhead())
    if fmt == "pdf":
        content = docx_to_pdf(content)
    audit_log(actor=actor, event_type=EventType.BRIEFING_EXPORTED, meeting=data.meeting,
              extra={"format": fmt, "tasks": data.total, "issued": bool(issue),
                     **({"serial": serial, "year": data.today.year, "number_again": again} if issue else {}),
                     **({"subtree": subtree.unit_id} if subtree else {})})
    return content


@durable_action
def circular_export(*, actor, fmt: str = "docx", today: dt.date | None = None,
                    subtree_id: int | None = None) -> bytes:
    """The office (those who may write briefings) generates the 督查通报 on overdue items and the units' ranking,
    over every task it sees, as .docx (or .pdf); or over the tasks led in a subtree of units (``subtree_id``),
    which a unit's own supervision office may also do within its unit's subtree. Its 发文字号 is the next of the
    year's documents of the same scope (each level numbers its own; ``document_number_in_txn``), the same again
    for the same day's 通报. Event CIRCULAR_EXPORTED (with the subtree and the serial); nobody is told (the office
    circulates the signed document)."""
    from duban.reports.briefing import circular_docx, docx_to_pdf
    from duban.core.selectors import letterhead
    from duban.reports.selectors import circular_data, subtree_get

    subtree = subtree_get(viewer=actor, unit_id=subtree_id)
    if not report_perms.can_export_briefing(actor, subtree.unit_ids if subtree else ()):
        raise PermissionDenied()
    if fmt not in ("docx", "pdf"):
        raise InvalidInput("格式只能是 docx 或 pdf", "the format must be docx or pdf")
    today = today or timezone.localdate()
    serial, again = document_number_in_txn(actor=actor, kind="circular",
                                           scope=subtree.unit_id if subtree else None, day=today)
    data = circular_data(viewer=actor, serial=serial, today=today, subtree=subtree)
    content = circular_docx(data, letterhead=letterhead())
    if fmt == "pdf":
        content = docx_to_pdf(content)
    audit_log(actor=actor, event_type=EventType.CIRCULAR_EXPORTED,
              extra={"serial": serial, "year": today.year, "number_again": again, "format": fmt,
                     "overdue": len(data.overdue_tasks), **({"subtree": subtree.unit_id} if subtree else {})})
    return content


@durable_action
def calendar_token_rotate(*, actor) -> CalendarToken:
    """Anyone signed in creates, or replaces, the secret token of their own iCalendar feed; the old feed URL stops
    working at once. Only the token's hash is stored: the returned row's ``plain_token`` is the one chance to show
    the feed's URL. Event CALENDAR_TOKEN_ROTATED (the token itself is never logged); nobody is told."""
    if perms.role_of(actor) is None:
        raise PermissionDenied()
    token = secrets.token_urlsafe(32)
    digest = calendar_token_digest(token)
    row = CalendarToken.objects.filter(user=actor).first()
    if row is None:
        row = CalendarToken.objects.create(user=actor, token=digest)
        rotated = False
    else:
        row.token, row.rotated_at = digest, timezone.now()
        row.save(update_fields=["token", "rotated_at"])
        rotated = True
    row.plain_token = token
    audit_log(actor=actor, event_type=EventType.CALENDAR_TOKEN_ROTATED, target_user=actor,
              extra={"rotated": rotated})
    return row


# --- evaluation rules and manual 加减分 ------------------------------------------------------------------------

@durable_action
def score_rules_set(*, actor, effective_from: dt.date, values: dict, note: str = "",
                    today: dt.date | None = None):
    """The office sets a new version of the evaluation rules, in force for tasks closed from ``effective_from``
    (today or later: a stored score is never silently rescored). Every field is required and checked here, so a
    saved version can never break closing a task. Event SCORE_RULES_CHANGED (old and new values)."""
    from duban.reports.models import ScoreRuleSet

    if not report_perms.can_set_score_rules(actor):
        raise PermissionDenied()
    today = today or timezone.localdate()
    if effective_from < today:
        raise InvalidInput("生效日期不能早于今天（已办结事项的得分不追溯调整）",
                           "the rules cannot start before today (closed tasks keep their scores)")
    missing = [k for k in RULE_FIELDS if values.get(k) in (None, "")]
    if missing:
        raise InvalidInput("请填写全部规则项", "every rule needs a value: " + ", ".join(missing))
    checked = rules_from({k: values[k] for k in RULE_FIELDS})
    new = {k: getattr(checked, k) for k in RULE_FIELDS}
    old, _source = rules_for(effective_from)
    row = ScoreRuleSet.objects.create(effective_from=effective_from, note=note.strip()[:200], created_by=actor,
                                      **new)
    audit_log(actor=actor, event_type=EventType.SCORE_RULES_CHANGED,
              extra={"version": row.pk, "effective_from": effective_from.isoformat(), "old": old.as_dict(),
                     "new": {k: str(v) for k, v in new.items()}, "note": row.note})
    return row


@durable_action
def score_adjust(*, actor, unit_id: int, points, reason: str, on: dt.date, task_id: int | None = None):
    """The office adds or deducts points (加减分) for a unit, optionally on one task it leads or cooperates on,
    with a reason; the ranking of the period containing ``on`` shows it with its author. Event SCORE_ADJUSTED;
    the unit is not notified (the ranking is published)."""
    from duban.core.models import Unit
    from duban.reports.models import ScoreAdjustment

    if not report_perms.can_adjust_score(actor):
        raise PermissionDenied()
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    value = rule_points(points, "分值", "points", signed=True)
    if value == 0 or abs(value) > 100:
        raise InvalidInput("分值须在 -100～100 之间且不为 0", "points must be between -100 and 100 and not 0")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写加减分理由", "a reason is required")
    task = None
    if task_id is not None:
        task = perms.tasks_visible_to(actor).filter(pk=task_id).first()
        if task is None:
            raise NotFound()
        if task.lead_unit_id != unit.pk and not task.coop_units.filter(pk=unit.pk).exists():
            raise InvalidInput("该事项不由此单位承办", "the task is not this unit's")
    row = ScoreAdjustment.objects.create(unit=unit, task=task, points=value, reason=reason[:200], on=on,
                                         created_by=actor)
    audit_log(actor=actor, event_type=EventType.SCORE_ADJUSTED, target_unit=unit, task=task,
              extra={"adjustment_id": row.pk, "points": str(value), "reason": row.reason, "on": on.isoformat()})
    return row
