"""Every change to instructions, inspection cases, livelihood projects, hazards, attachments and phrases.

Each record's tasks are made with ``duban.tasks.actions.task_create_in_txn`` (kind set) inside the same transaction,
so the workflow (assign, accept, report, close) stays in ``duban.tasks.actions``. Entry points run
``durable_action`` (``atomic(durable=True)``, run again on a deadlock); ``*_in_txn`` helpers join the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from duban.core import permissions as core
from duban.core.audit import EventType, audit_log
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.files import Upload, check_upload, files_follow_transaction, store_upload
from duban.core.locking import update_versioned_in_txn
from duban.core.notifications import notify
from duban.core.rules import PROGRESS_TEXT_MAX, check_text
from duban.core.txn import durable_action
from duban.meetings.models import Meeting
from duban.sources import permissions as perms
from duban.sources.models import (HAZARD_TRANSITIONS, Attachment, Hazard, HazardCategory, HazardPhotoStage,
                                  HazardSeverity, HazardStatus, InspectionCase, Instruction, InstructionTask,
                                  LivelihoodActual, LivelihoodProject, Phrase, PhraseOccurrence)
from duban.sources.selectors import HAZARD_CLOSES_BY_STRIKE_OFF, livelihood_percent, livelihood_short_of_target
from duban.tasks import permissions as task_perms
from duban.tasks.actions import (check_deadline, report_return_in_txn, report_submit_in_txn, supervisors,
                                 task_assign_in_txn, task_close_in_txn, task_create_in_txn, task_lock_in_txn,
                                 task_progress_set_in_txn, title_from_text, unit_recipients)
from duban.tasks.models import OPEN_STATUSES, ProgressReport, ReportStatus, Task, TaskKind, TaskStatus
from duban.tasks.selectors import UnitsReach


def _require(condition: bool) -> None:
    if not condition:
        raise PermissionDenied()


def _text(value: str | None, name_zh: str, name_en: str, *, limit: int | None = None) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{name_zh}不能为空", f"{name_en} must not be empty")
    if limit is not None and len(value) > limit:
        raise InvalidInput(f"{name_zh}不能超过{limit}字", f"{name_en} must be at most {limit} characters")
    return value


def _check_deadline(deadline: dt.date | None, field: str, *, allow_past: bool = False) -> None:
    """The one rule for a deadline a person sets (``duban.tasks.actions.check_deadline``: not before today, or the
    task is born red and its unit told a date already passed), with the form field it belongs to in ``details`` so
    a page shows the error at that field. ``allow_past``: a record entered as it was (the demo's overdue ones)."""
    if allow_past:
        return
    try:
        check_deadline(deadline)
    except InvalidInput as exc:
        raise InvalidInput(exc.message_zh, exc.message_en, details={"field": field}) from None


def _make_task(*, actor, kind: str, title: str, text: str, lead_unit_id=None, coop_unit_ids=(), deadline=None,
               assign: bool = False, extra: dict | None = None, schedule_start: dt.date | None = None) -> Task:
    # titles made from a complaint or a place may hold line breaks: a title is one line
    task = task_create_in_txn(actor=actor, kind=kind, title=" ".join(title.split())[:200], text=text, lead_unit_id=lead_unit_id,
                              coop_unit_ids=coop_unit_ids or (), deadline=deadline, extra=extra,
                              schedule_start=schedule_start)
    if assign:
        task_assign_in_txn(actor=actor, task=task)  # sets ``task.reach``: whom the 交办 notice reached
    return task


def _reach(record, task: Task):
    """``record`` with ``reach``: whom its task's 交办 notice reached (``UnitsReach``), None when not assigned."""
    record.reach = getattr(task, "reach", None)
    return record


# --- leader instructions (领导批示) ----------------------------------------------------------------------------

def _task_spec(spec: dict, default_text: str) -> dict:
    text = (spec.get("text") or default_text).strip()
    return dict(title=(spec.get("title") or title_from_text(text)).strip(), text=text,
                lead_unit_id=spec.get("lead_unit_id"), coop_unit_ids=spec.get("coop_unit_ids") or (),
                deadline=spec.get("deadline"))


@durable_action
def instruction_create(*, actor, text: str, leader: str, date: dt.date, doc_number: str = "",
                       tasks: list[dict], assign: bool = False, allow_past_deadline: bool = False) -> Instruction:
    """Supervisors register a leader instruction (领导批示) and the tasks made from it (each a dict of title, text,
    lead_unit_id, coop_unit_ids, deadline; text defaults to the instruction's). A deadline before today is refused
    (unless ``allow_past_deadline``). Events INSTRUCTION_CREATED and TASK_CREATED per task (TASK_ASSIGNED too when
    ``assign``; then each lead unit is told)."""
    _require(perms.can_create_source(actor))
    text = _text(text, "批示内容", "the instruction text")
    leader = _text(leader, "批示领导", "the leader", limit=50)
    if not isinstance(date, dt.date):
        raise InvalidInput("请填写批示日期", "the date is required")
    if len(doc_number or "") > 100:
        raise InvalidInput("文号不能超过100字", "the document number must be at most 100 characters")
    if not tasks:
        raise InvalidInput("至少要交办一项任务", "at least one task is required")
    for spec in tasks:
        _check_deadline(spec.get("deadline"), "deadline", allow_past=allow_past_deadline)
    instruction = Instruction.objects.create(text=text, leader=leader, date=date, doc_number=(doc_number or "").strip(),
                                             created_by=actor)
    made, reaches = [], []
    for spec in tasks:
        task = _make_task(actor=actor, kind=TaskKind.INSTRUCTION, assign=assign,
                          extra={"instruction_id": instruction.pk}, **_task_spec(spec, text))
        InstructionTask.objects.create(instruction=instruction, task=task)
        made.append(task.pk)
        reaches.append(getattr(task, "reach", None))
    instruction.reach = UnitsReach.of(reaches) if assign else None
    audit_log(actor=actor, event_type=EventType.INSTRUCTION_CREATED, task=Task.objects.get(pk=made[0]),
              extra={"instruction_id": instruction.pk, "leader": leader, "date": date.isoformat(),
                     "doc_number": instruction.doc_number, "task_ids": made})
    return instruction


@durable_action
def instruction_add_task(*, actor, instruction_id: int, task: dict, assign: bool = False) -> Task:
    """Supervisors make one more task from an instruction. Events TASK_CREATED and INSTRUCTION_TASK_ADDED (and
    TASK_ASSIGNED when ``assign``)."""
    instruction = perms.instructions_visible_to(actor).filter(pk=instruction_id).first()
    if instruction is None:
        raise NotFound()
    _require(perms.can_create_source(actor))
    _check_deadline(task.get("deadline"), "deadline")
    made = _make_task(actor=actor, kind=TaskKind.INSTRUCTION, assign=assign,
                      extra={"instruction_id": instruction.pk}, **_task_spec(task, instruction.text))
    InstructionTask.objects.create(instruction=instruction, task=made)
    audit_log(actor=actor, event_type=EventType.INSTRUCTION_TASK_ADDED, task=made,
              extra={"instruction_id": instruction.pk})
    made.reach = getattr(made, "reach", None)
    return made


# --- inspection cases (督察交办件) -------------------------------------------------------------------------------

_CLAUSE_ENDS = "，,；;。！？!?、 "


def summary(text: str, limit: int = 30) -> str:
    """The start of ``text`` as a title's part of at most ``limit`` characters: all of it when it fits (without a
    closing 。), else its whole clauses that fit followed by "…", or, when the first clause alone is too long, its
    first ``limit`` - 1 characters and "…": a cut is always marked."""
    s = " ".join(text.split())
    if len(s) <= limit:
        return s.rstrip("。；;，, ")
    head = s[:limit]
    cut = max(head.rfind(ch) for ch in _CLAUSE_ENDS)
    if cut >= limit // 2:
        return head[:cut].rstrip(_CLAUSE_ENDS) + "…"
    return s[:limit - 1] + "…"


@durable_action
def case_create(*, actor, case_number: str, complaint: str, lead_unit_id: int, batch: str = "",
                inspection: str = "", reply_due: dt.date | None = None, coop_unit_ids=(), title: str = "",
                assign: bool = False, allow_past_deadline: bool = False) -> InspectionCase:
    """Supervisors register a case handed over by an inspection, with its task (kind inspection, deadline = the
    required reply date, not before today unless ``allow_past_deadline``). Case numbers are unique. Events
    TASK_CREATED and CASE_CREATED."""
    _require(perms.can_create_source(actor))
    case_number = _text(case_number, "案件编号", "the case number", limit=50)
    complaint = _text(complaint, "投诉内容", "the complaint")
    if InspectionCase.objects.filter(case_number=case_number).exists():
        raise Conflict(f"案件编号“{case_number}”已存在", f"case number {case_number} already exists")
    if lead_unit_id is None:
        raise InvalidInput("请指定承办单位", "a lead unit is required")
    _check_deadline(reply_due, "reply_due", allow_past=allow_past_deadline)
    task = _make_task(actor=actor, kind=TaskKind.INSPECTION, assign=assign, lead_unit_id=lead_unit_id,
                      coop_unit_ids=coop_unit_ids, deadline=reply_due,
                      title=(title or "").strip() or f"{(batch or '').strip()}督察交办件{case_number}：{summary(complaint)}",
                      text=complaint, extra={"case_number": case_number})
    case = InspectionCase.objects.create(task=task, case_number=case_number, inspection=(inspection or "").strip()[:100],
                                         batch=(batch or "").strip()[:50], complaint=complaint, reply_due=reply_due)
    audit_log(actor=actor, event_type=EventType.CASE_CREATED, task=task, target_unit=task.lead_unit,
              extra={"case_id": case.pk, "case_number": case_number, "batch": case.batch,
                     "reply_due": reply_due.isoformat() if reply_due else None})
    return _reach(case, task)


@durable_action
def case_record_rectification(*, actor, case_id: int, version: int, rectification: str,
                              disclose: bool) -> InspectionCase:
    """Supervisors record the rectification report (整改情况) and whether it is published (是否公开); both are
    required before the case's task can close. Event CASE_RECTIFICATION_RECORDED with old and new values; the lead
    unit is told."""
    case = perms.cases_visible_to(actor).select_related("task").filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    _require(perms.can_record_case(actor, case))
    rectification = _text(rectification, "整改情况", "the rectification report")
    if disclose not in (True, False):
        raise InvalidInput("请选择是否公开", "choose whether to disclose")
    if case.rectification == rectification and case.disclose == disclose:
        return case
    old = {"rectification": case.rectification, "disclose": case.disclose}
    update_versioned_in_txn(case, version=version, rectification=rectification, disclose=disclose,
          rectification_at=timezone.now())
    audit_log(actor=actor, event_type=EventType.CASE_RECTIFICATION_RECORDED, task=case.task,
              extra={"case_id": case.pk, "old": old, "new": {"rectification": rectification, "disclose": disclose}})
    notify(actor=actor, recipients=unit_recipients(case.task.lead_unit_id), kind="case_rectification", task=case.task,
           title=f"督察交办件{case.case_number}整改情况已登记")
    return case


# The details of a close request refused by its task's own record (``check_can_close_in_txn``), not by its form.
CLOSE_REFUSED_BY_RECORD = {"close_refused_by_record": True}


def check_can_close_in_txn(task: Task, *, requesting: bool = False) -> None:
    """Run by ``duban.tasks.signals.task_closing`` before a task is closed, inside its transaction: a kind's own
    record owns the fact that its work is done, so the task closes only when that record says so.

    - inspection case: its rectification report and disclosure decision are recorded (a case missing altogether is
      refused too, so an inspection task cannot slip through unrecorded);
    - hazard: the hazard is closed by being struck off the ledger (销号), which closes its task itself
      (``hazard_close``), so a close request on a hazard task is refused while the hazard is open;
    - livelihood project: the target is met (``livelihood_short_of_target``).

    With ``requesting`` (the lead unit applying to close, 申请办结) the rules a request can never get past are
    asked: a hazard task's (its hazard's 销号 closes it) and a project short of its target (the lead unit records
    the project's figures itself); a case's rectification is recorded by the office after the unit's request. Such
    a refusal carries ``CLOSE_REFUSED_BY_RECORD`` in its details: the request's text and files are still progress,
    which the page keeps as an ordinary report rather than drop."""
    if requesting:
        try:
            if task.kind == TaskKind.HAZARD:
                raise InvalidInput(*HAZARD_CLOSES_BY_STRIKE_OFF)
            if task.kind == TaskKind.LIVELIHOOD:
                _check_livelihood_target(task)
        except InvalidInput as exc:
            raise InvalidInput(exc.message_zh, exc.message_en, details=CLOSE_REFUSED_BY_RECORD) from None
        return
    if task.kind == TaskKind.INSPECTION:
        case = InspectionCase.objects.filter(task_id=task.pk).first()
        if case is None or not case.ready_to_close:
            # the task page's 来源 links the case's form while it is not recorded (``task_source_link``)
            raise InvalidInput(f"督察交办件{case.case_number if case else ''}须先在交办件页面登记整改情况和是否公开，"
                               "才能办结",
                               "an inspection case closes only after its rectification report and disclosure "
                               "decision are recorded")
    elif task.kind == TaskKind.HAZARD:
        raise InvalidInput(*HAZARD_CLOSES_BY_STRIKE_OFF)
    elif task.kind == TaskKind.LIVELIHOOD:
        _check_livelihood_target(task)


def _check_livelihood_target(task: Task) -> None:
    refusal = livelihood_short_of_target(LivelihoodProject.objects.filter(task_id=task.pk)
                                         .prefetch_related("actuals").first())
    if refusal is not None:
        raise InvalidInput(*refusal)


# --- livelihood projects (民生实事) ------------------------------------------------------------------------------

def _decimal(value, name_zh: str, name_en: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{name_zh}必须是数字", f"{name_en} must be a number") from None
    if not number.is_finite():
        raise InvalidInput(f"{name_zh}必须是数字", f"{name_en} must be a number")
    return number.quantize(Decimal("0.01"))


@durable_action
def livelihood_create(*, actor, title: str, indicator: str, target, measure_unit: str, lead_unit_id: int,
                      period_start: dt.date, period_end: dt.date, text: str = "", coop_unit_ids=(),
                      assign: bool = False, allow_past_deadline: bool = False) -> LivelihoodProject:
    """Supervisors register a livelihood project with a numeric target (新增养老床位 1000 张) over a period; its
    task's deadline is the period's end and its time runs from the period's start (``schedule_start``), so a
    project registered late in its period is behind schedule from the first day; a period that ended before today
    is refused (unless ``allow_past_deadline``). Events TASK_CREATED and LIVELIHOOD_CREATED."""
    _require(perms.can_create_source(actor))
    title = _text(title, "项目名称", "the title", limit=200)
    indicator = _text(indicator, "指标", "the indicator", limit=100)
    measure_unit = _text(measure_unit, "计量单位", "the unit of measure", limit=20)
    target = _decimal(target, "目标值", "the target")
    if target <= 0:
        raise InvalidInput("目标值必须大于0", "the target must be positive")
    if not (isinstance(period_start, dt.date) and isinstance(period_end, dt.date)):
        raise InvalidInput("请填写起始日期和截止日期", "the period's start and end are required")
    if period_end <= period_start:
        raise InvalidInput(f"截止日期 {period_end.isoformat()} 不晚于起始日期 {period_start.isoformat()}，"
                           "截止日期须晚于起始日期",
                           f"the period's end {period_end.isoformat()} is not after its start", details={"field": "period_end"})
    _check_deadline(period_end, "period_end", allow_past=allow_past_deadline)
    task = _make_task(actor=actor, kind=TaskKind.LIVELIHOOD, assign=assign, title=title,
                      text=(text or "").strip() or f"{indicator}{target.normalize():f}{measure_unit}",
                      lead_unit_id=lead_unit_id, coop_unit_ids=coop_unit_ids, deadline=period_end,
                      schedule_start=period_start)
    project = LivelihoodProject.objects.create(task=task, indicator=indicator, target=target,
                                               measure_unit=measure_unit, period_start=period_start,
                                               period_end=period_end)
    audit_log(actor=actor, event_type=EventType.LIVELIHOOD_CREATED, task=task,
              extra={"project_id": project.pk, "indicator": indicator, "target": str(target),
                     "measure_unit": measure_unit, "period": [period_start.isoformat(), period_end.isoformat()]})
    return _reach(project, task)


@durable_action
def livelihood_record_actual(*, actor, project_id: int, month: dt.date, value, note: str = "") -> LivelihoodActual:
    """Supervisors or the lead unit record what was achieved in a month (one figure per month). Recording a month
    again is a correction: a new row with the next version, the old one kept. Recording the same value again
    changes nothing. Event LIVELIHOOD_ACTUAL_RECORDED (``old_value`` set for a correction); supervisors are told of
    a unit's figure."""
    project = perms.livelihood_visible_to(actor).select_related("task").filter(pk=project_id).first()
    if project is None:
        raise NotFound()
    _require(perms.can_record_livelihood(actor, project))
    if not isinstance(month, dt.date):
        raise InvalidInput("请填写月份", "the month is required")
    month = month.replace(day=1)
    if month < project.period_start.replace(day=1) or month > project.period_end:
        raise InvalidInput("月份不在项目期限内", "the month lies outside the project's period")
    value = _decimal(value, "完成值", "the value")
    if value < 0:
        raise InvalidInput("完成值不能为负数", "the value must not be negative")
    current = (LivelihoodActual.objects.filter(project=project, month=month).order_by("-version").first())
    if current is not None and current.value == value:
        return current
    row = LivelihoodActual.objects.create(project=project, month=month, value=value, note=(note or "")[:200],
                                          version=(current.version + 1) if current else 1, recorded_by=actor)
    # The project's progress is its task's percent, so the one light rule (and the reminders it drives) follows
    # the project: a lagging project turns its task yellow.
    task = task_lock_in_txn(project.task_id)
    percent = livelihood_percent(project)
    if task.status in OPEN_STATUSES and task.progress_percent != percent:
        task_progress_set_in_txn(task=task, percent=percent)
    audit_log(actor=actor, event_type=EventType.LIVELIHOOD_ACTUAL_RECORDED, task=project.task,
              extra={"project_id": project.pk, "month": month.isoformat()[:7], "value": str(value),
                     "measure_unit": project.measure_unit,
                     "version": row.version, "old_value": str(current.value) if current else None,
                     "task_percent": percent})
    if not core.is_office(actor):
        notify(actor=actor, recipients=supervisors(), kind="livelihood_actual", task=project.task,
               title=f"民生实事进度：{project.task.title} {month:%Y-%m} {value.normalize():f}{project.measure_unit}")
    return row


@durable_action
def livelihood_target_change(*, actor, project_id: int, target, seen_target, reason: str) -> LivelihoodProject:
    """Supervisors change a project's target (an approved adjustment of the 民生实事 list), saying why: the way
    forward for a project that will not reach its registered target, since its task closes only once the target
    is met. ``seen_target`` is the target the editor saw: another change since is a ``Conflict``. The task's percent
    follows the new target (as a recorded figure moves it). Event LIVELIHOOD_TARGET_CHANGED (old and new target,
    reason); the lead unit is told."""
    project = perms.livelihood_visible_to(actor).filter(pk=project_id).values_list("task_id", flat=True).first()
    if project is None:
        raise NotFound()
    _require(perms.can_create_source(actor))
    task = task_lock_in_txn(project)  # the task row first, as every action on a task locks it first
    project = LivelihoodProject.objects.select_for_update().prefetch_related("actuals").get(pk=project_id)
    reason = _text(reason, "调整理由", "the reason", limit=200)
    target = _decimal(target, "目标值", "the target")
    if target <= 0:
        raise InvalidInput("目标值必须大于0", "the target must be positive")
    if _decimal(seen_target, "目标值", "the target") != project.target:
        raise Conflict("目标值已被他人修改，请刷新后重试", "the target was changed meanwhile; reload and retry")
    if task.status not in OPEN_STATUSES:
        raise Conflict(f"事项当前状态为“{task.get_status_display()}”，不能调整目标值",
                       f"the target cannot change while the task is {task.status}")
    old = project.target
    project.changed = target != old
    if not project.changed:
        return project
    project.target = target
    project.save(update_fields=["target"])
    percent = livelihood_percent(project)
    if task.status in OPEN_STATUSES and task.progress_percent != percent:
        task_progress_set_in_txn(task=task, percent=percent)
    audit_log(actor=actor, event_type=EventType.LIVELIHOOD_TARGET_CHANGED, task=task,
              extra={"project_id": project.pk, "old_target": str(old), "new_target": str(target),
                     "measure_unit": project.measure_unit, "reason": reason, "task_percent": percent})
    notify(actor=actor, recipients=unit_recipients(task.lead_unit_id), kind="livelihood_target", task=task,
           title=f"民生实事目标值调整：{task.title} {old.normalize():f} → {target.normalize():f}{project.measure_unit}",
           body=reason)
    project.task = task
    return project


# --- hazards (隐患台账) -----------------------------------------------------------------------------------------

@files_follow_transaction
@durable_action
def hazard_create(*, actor, place: str, category: str, severity: str, description: str, deadline: dt.date,
                  responsible_person: str, lead_unit_id: int, coop_unit_ids=(), title: str = "",
                  assign: bool = False, allow_past_deadline: bool = False, files=()) -> Hazard:
    """Supervisors enter a hazard in the ledger (发现) with its rectification task (kind hazard, deadline = the
    rectification deadline, not before today unless ``allow_past_deadline``) and the inspector's photos
    (``files``: name and bytes, kept as the hazard's 发现 photos, all or none). Events TASK_CREATED and HAZARD_FOUND (TASK_ASSIGNED too when ``assign``)."""
    _require(perms.can_create_source(actor))
    place = _text(place, "隐患地点", "the place", limit=200)
    description = _text(description, "隐患描述", "the description")
    responsible_person = _text(responsible_person, "责任人", "the responsible person", limit=50)
    if category not in HazardCategory.values:
        raise InvalidInput("隐患类别不正确", "unknown category")
    if severity not in HazardSeverity.values:
        raise InvalidInput("隐患等级不正确", "unknown severity")
    if not isinstance(deadline, dt.date):
        raise InvalidInput("请填写整改期限", "the rectification deadline is required")
    if lead_unit_id is None:
        raise InvalidInput("请指定整改责任单位", "a lead unit is required")
    _check_deadline(deadline, "deadline", allow_past=allow_past_deadline)
    uploads = attachment_uploads_check(files)
    label = HazardCategory(category).label
    task = _make_task(actor=actor, kind=TaskKind.HAZARD, assign=assign, lead_unit_id=lead_unit_id,
                      coop_unit_ids=coop_unit_ids, deadline=deadline, text=description,
                      title=(title or "").strip() or f"{place}{label}隐患整改")
    hazard = Hazard.objects.create(task=task, place=place, category=category, severity=severity,
                                   description=description, deadline=deadline,
                                   responsible_person=responsible_person)
    stored = attachments_store_in_txn(actor=actor, task=task, hazard=hazard, uploads=uploads,
                                      stage=(HazardPhotoStage.FOUND, None))
    audit_log(actor=actor, event_type=EventType.HAZARD_FOUND, task=task, target_unit=task.lead_unit,
              extra={"hazard_id": hazard.pk, "place": place, "category": category, "severity": severity,
                     "deadline": deadline.isoformat(), "responsible_person": responsible_person,
                     **({"files": [_attachment_audit(a) for a in stored]} if stored else {})})
    return _reach(hazard, task)


def _locked_hazard(actor, hazard_id: int) -> Hazard:
    """The hazard and its task, both locked: the task row first, as every action on a task locks it first."""
    task_id = perms.hazards_visible_to(actor).filter(pk=hazard_id).values_list("task_id", flat=True).first()
    if task_id is None:
        raise NotFound()
    task = task_lock_in_txn(task_id)
    hazard = Hazard.objects.select_for_update().get(pk=hazard_id)
    hazard.task = task
    return hazard


def _move(hazard: Hazard, to: str, *, version: int, **fields) -> str:
    if to not in HAZARD_TRANSITIONS[hazard.status]:
        raise Conflict(f"当前状态“{hazard.get_status_display()}”不允许此操作",
                       f"not allowed while the hazard is {hazard.status}")
    old = hazard.status
    update_versioned_in_txn(hazard, version=version, status=to, **fields)
    return old


RECTIFICATION_REPORT = "隐患整改情况："  # the start of the progress report a rectification files on its task


@files_follow_transaction
@durable_action
def hazard_rectify(*, actor, hazard_id: int, version: int, rectification: str, files=(),
                   progress_percent: int | None = None) -> Hazard:
    """The lead unit (or the office) reports the rectification (整改), moving 发现 → 整改, with its photos
    (``files``: name and bytes, checked as attachments): the report and its photos are kept together or not at all.

    The rectification is also the unit's progress on the hazard's task, filed in the same step so nobody enters it
    twice: a progress report (``report_submit_in_txn``, the one way a report is made) by the same unit, its text
    the rectification, its photos the rectification's by reference (the bytes are stored once), its percent
    ``progress_percent`` (None: the task's current one), reviewed as any report; by the office it is its entry for
    the lead unit (由督查室代录). A task that cannot take that report now (not yet signed for, asking to close,
    closed …) does not stop the rectification: it is saved without the report, and ``progress_refused`` on the
    result says why (``progress_report`` holds the report when filed).
    Events REPORT_SUBMITTED (when filed) and HAZARD_RECTIFIED (its ``files``, the ``report_id`` or why none);
    supervisors are told to re-inspect (and, by the report, of the new progress)."""
    hazard = _locked_hazard(actor, hazard_id)
    _require(perms.can_rectify_hazard(actor, hazard))
    rectification = _text(rectification, "整改情况", "the rectification report")
    check_text(rectification, label_zh="整改情况", label_en="rectification report",
               max_length=PROGRESS_TEXT_MAX - len(RECTIFICATION_REPORT))
    uploads = attachment_uploads_check(files)
    old = _move(hazard, HazardStatus.RECTIFIED, version=version, rectification=rectification,
                rectified_at=timezone.now(), rectification_rounds=hazard.rectification_rounds + 1)
    stored = attachments_store_in_txn(actor=actor, task=hazard.task, hazard=hazard, uploads=uploads,
                                      stage=(HazardPhotoStage.RECTIFICATION, hazard.rectification_rounds))
    report, refused = _rectification_report_in_txn(actor, hazard, rectification, stored, progress_percent)
    audit_log(actor=actor, event_type=EventType.HAZARD_RECTIFIED, task=hazard.task,
              extra={"hazard_id": hazard.pk, "old_status": old, "rectification": rectification,
                     "files": [_attachment_audit(a) for a in stored],
                     "report_id": report.pk if report else None,
                     **({"report_refused": refused[0]} if refused else {})})
    notify(actor=actor, recipients=supervisors(), kind="hazard_rectified", task=hazard.task,
           title=f"隐患已整改待复查：{hazard.place}", body=rectification[:500])
    hazard.progress_report, hazard.progress_refused = report, refused
    return hazard


def _rectification_report_in_txn(actor, hazard: Hazard, rectification: str, photos: list[Attachment],
                                 percent: int | None):
    """File the rectification as a progress report on the hazard's task (``hazard_rectify``): (report, None), or
    (None, (why in Chinese, in English)) when the task's own rules refuse the report now. The report's checks run
    before it writes anything, and in a savepoint, so a refusal leaves the rectification's writes as they are. Its
    writes come before the rectification's audit row (the lock order: task rows before the audit chain)."""
    task = hazard.task
    by_office = not task_perms.is_lead_member(actor, task)
    kept = [{"name": a.original_name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
             "storage_name": attachment_storage_name(a)} for a in photos]
    try:
        with transaction.atomic():
            report = report_submit_in_txn(
                actor=actor, task_id=task.pk, text=RECTIFICATION_REPORT + rectification,
                progress_percent=task.progress_percent if percent is None else percent, for_unit=by_office,
                kept_files=kept)
    except (Conflict, PermissionDenied) as exc:
        return None, (exc.message_zh, exc.message_en)
    hazard.task = report.task
    return report, None


@durable_action
def hazard_review(*, actor, hazard_id: int, version: int, passed: bool, note: str = "") -> Hazard:
    """Supervisors re-inspect (复查): passing moves 整改 → 复查; failing sends it back to 发现 (待整改) and needs a
    note. A failed one also returns (退回, ``report_return_in_txn``) the rectification's progress report still
    waiting for review, the note its reason: that rectification was not accepted, so it must not stand as the
    task's progress or be closed with the task as if it had been (a report the actor may not review is left
    waiting). Event HAZARD_REVIEW_FAILED (with ``returned_report_ids``; REPORT_RETURNED before it) or
    HAZARD_REVIEWED; the lead unit is told."""
    hazard = _locked_hazard(actor, hazard_id)
    _require(perms.can_review_hazard(actor, hazard))
    note = (note or "").strip()
    if not passed and not note:
        raise InvalidInput("复查不通过须填写意见", "a failed review needs a note")
    target = HazardStatus.REVIEWED if passed else HazardStatus.FOUND
    old = _move(hazard, target, version=version, review_note=note, reviewed_at=timezone.now())
    returned = [] if passed else _rectification_reports_return_in_txn(actor, hazard, note)
    hazard.returned_report_ids = returned
    audit_log(actor=actor, event_type=EventType.HAZARD_REVIEWED if passed else EventType.HAZARD_REVIEW_FAILED,
              task=hazard.task, extra={"hazard_id": hazard.pk, "old_status": old, "note": note,
                                       **({} if passed else {"returned_report_ids": returned})})
    notify(actor=actor, recipients=unit_recipients(hazard.task.lead_unit_id), kind="hazard_reviewed", task=hazard.task,
           title=("隐患复查通过：" if passed else "隐患复查未通过，请继续整改：") + hazard.place, body=note)
    return hazard


def _rectification_reports_return_in_txn(actor, hazard: Hazard, note: str) -> list[int]:
    """Return the hazard's rectification reports (``RECTIFICATION_REPORT``) still waiting for review, with the
    failed re-inspection's note as the reason; the ids returned. The task row is already locked (the lock order)."""
    waiting = ProgressReport.objects.filter(task_id=hazard.task_id, status=ReportStatus.SUBMITTED,
                                            text__startswith=RECTIFICATION_REPORT).select_related("task")
    returned = []
    for report in waiting.order_by("id"):
        if task_perms.can_review_report(actor, report):
            report_return_in_txn(actor=actor, report_id=report.pk, reason=f"复查未通过：{note}")
            returned.append(report.pk)
    return returned


@durable_action
def hazard_close(*, actor, hazard_id: int, version: int) -> Hazard:
    """Supervisors strike a reviewed hazard off the ledger (销号). Event HAZARD_CLOSED; the lead unit is told."""
    hazard = _locked_hazard(actor, hazard_id)
    _require(perms.can_review_hazard(actor, hazard))
    now = timezone.now()
    old = _move(hazard, HazardStatus.CLOSED, version=version, closed_at=now)
    task = hazard.task
    if task.status in OPEN_STATUSES:  # the task (and its kept counts) before the audit chain: the lock order
        task_close_in_txn(actor=actor, task=task, now=now)
    audit_log(actor=actor, event_type=EventType.HAZARD_CLOSED, task=hazard.task,
              extra={"hazard_id": hazard.pk, "old_status": old})
    notify(actor=actor, recipients=unit_recipients(hazard.task.lead_unit_id), kind="hazard_closed", task=hazard.task,
           title=f"隐患已销号：{hazard.place}")
    return hazard


# --- attachments ---------------------------------------------------------------------------------------------

ATTACHMENT_FOLDER = "attachments"


def attachment_storage_name(attachment: Attachment) -> str:
    """Where the file is in the storage (``duban.core.files``)."""
    return f"{ATTACHMENT_FOLDER}/{attachment.stored_name}"


@files_follow_transaction
@durable_action
def attachment_upload(*, actor, task_id: int, filename: str, data: bytes, hazard_id: int | None = None
                      ) -> Attachment:
    """Supervisors and the task's lead or cooperating units attach a JPEG/PNG photo or a PDF (size limited by
    ``DUBAN_ATTACHMENT_MAX_BYTES``; the type told by the content). The file is stored under a random name
    through ``duban.core.files``, moved into place when the transaction commits. Event ATTACHMENT_UPLOADED;
    nobody is told (the report or step it supports tells)."""
    [attachment] = _attachments_upload_in_txn(actor=actor, task_id=task_id, hazard_id=hazard_id,
                                              files=[(filename, data)])
    return attachment


@files_follow_transaction
@durable_action
def attachments_upload(*, actor, task_id: int, files, hazard_id: int | None = None) -> list[Attachment]:
    """``attachment_upload`` for several files (name and bytes) at once: all are kept or none. Event
    ATTACHMENT_UPLOADED per file."""
    return _attachments_upload_in_txn(actor=actor, task_id=task_id, hazard_id=hazard_id, files=files)


def _attachments_upload_in_txn(*, actor, task_id: int, hazard_id: int | None, files) -> list[Attachment]:
    task = task_perms.tasks_visible_to(actor).filter(pk=task_id).select_related("lead_unit").first()
    if task is None:
        raise NotFound()
    _require(perms.can_attach(actor, task))
    hazard = None
    if hazard_id is not None:
        hazard = Hazard.objects.filter(pk=hazard_id, task_id=task.pk).first()
        if hazard is None:
            raise NotFound()
    if not files:
        raise InvalidInput("请选择文件", "choose a file")
    rows = attachments_store_in_txn(actor=actor, task=task, hazard=hazard, uploads=attachment_uploads_check(files),
                                    stage=hazard_photo_stage(actor, hazard) if hazard else ("", None))
    for attachment in rows:
        audit_log(actor=actor, event_type=EventType.ATTACHMENT_UPLOADED, task=task,
                  extra={"attachment_id": attachment.pk, "hazard_id": hazard_id, "name": attachment.original_name,
                         "content_type": attachment.content_type, "size": attachment.size,
                         "sha256": attachment.sha256})
    return rows


def attachment_uploads_check(files) -> list[Upload]:
    """Check attachments (name, bytes) before anything is written: at most ``DUBAN_REPORT_MAX_FILES`` at once, each
    a JPEG/PNG photo or a PDF by its content and at most ``DUBAN_ATTACHMENT_MAX_BYTES``."""
    files = list(files or ())
    if len(files) > settings.DUBAN_REPORT_MAX_FILES:
        raise InvalidInput(f"每次最多上传{settings.DUBAN_REPORT_MAX_FILES}个文件",
                           f"at most {settings.DUBAN_REPORT_MAX_FILES} files at once")
    return [check_upload(name, data, limit=settings.DUBAN_ATTACHMENT_MAX_BYTES, office=False) for name, data in files]


def attachments_store_in_txn(*, actor, task: Task, hazard: Hazard | None, uploads: list[Upload],
                             stage: tuple[str, int | None] = ("", None)) -> list[Attachment]:
    """Stage checked uploads under random names and record them, joining the caller's transaction (which must be a
    ``files_follow_transaction`` action, so a rollback deletes the staged files). ``stage``: the hazard's step and
    round they document (``hazard_photo_stage``). The caller audits."""
    rows = []
    for upload in uploads:
        stored = store_upload(ATTACHMENT_FOLDER, upload).removeprefix(ATTACHMENT_FOLDER + "/")
        rows.append(Attachment.objects.create(task=task, hazard=hazard, original_name=upload.name,
                                              content_type=upload.content_type, size=upload.size,
                                              sha256=upload.sha256, stored_name=stored, uploaded_by=actor,
                                              hazard_stage=stage[0], hazard_round=stage[1]))
    return rows


def hazard_photo_stage(actor, hazard: Hazard) -> tuple[str, int | None]:
    """The step and round a photo added to ``hazard`` on its own (只上传照片, 补充照片) documents, from who adds it
    and where the hazard stands: the office's before any rectification is the 发现 photo, its later ones the
    re-inspection's (复查) of the latest round; the responsible unit's are its rectification's, of the round it is
    working on (the next one while the hazard waits for 整改, else the latest)."""
    rounds = hazard.rectification_rounds
    if perms.can_review_hazard(actor, hazard):
        if rounds == 0:
            return HazardPhotoStage.FOUND, None
        return HazardPhotoStage.REVIEW, rounds
    return HazardPhotoStage.RECTIFICATION, rounds + 1 if hazard.status == HazardStatus.FOUND else rounds or None


def _attachment_audit(attachment: Attachment) -> dict:
    return {"id": attachment.pk, "name": attachment.original_name, "content_type": attachment.content_type,
            "size": attachment.size, "sha256": attachment.sha256}


# --- policy phrases (提法) ---------------------------------------------------------------------------------------

def phrases_collect_in_txn(meeting: Meeting) -> int:
    """Index the phrases of ``meeting.extraction["phrases"]``: one ``PhraseOccurrence`` per quotation, with the
    (not withdrawn) task whose source span contains it. Joins the caller's transaction (``meeting_import`` calls it
    last). Idempotent: the meeting's occurrences are rebuilt, so a rerun after merging or splitting tasks
    reassigns them. No audit event: this is an index derived from the imported text, which MEETING_IMPORTED
    already records. Returns the number of occurrences."""
    found = [p for p in (meeting.extraction or {}).get("phrases") or []
             if isinstance(p, dict) and (p.get("text") or "").strip()]
    PhraseOccurrence.objects.filter(meeting=meeting).delete()  # a derived index, rebuilt; not a business record
    if not found:
        return 0
    texts = sorted({p["text"].strip()[:100] for p in found})
    existing = {p.text: p for p in Phrase.objects.filter(text__in=texts)}
    Phrase.objects.bulk_create([Phrase(text=t) for t in texts if t not in existing], ignore_conflicts=True)
    phrases = {p.text: p.pk for p in Phrase.objects.filter(text__in=texts)}
    spans = list(Task.objects.filter(meeting=meeting, source_start__isnull=False)
                 .exclude(status=TaskStatus.WITHDRAWN).values_list("pk", "source_start", "source_end"))
    rows, seen = [], set()
    for p in found:
        start, end = int(p.get("start") or 0), int(p.get("end") or 0)
        if start in seen:
            continue
        seen.add(start)
        task_id = next((pk for pk, s, e in spans if s <= start and end <= e), None)
        rows.append(PhraseOccurrence(phrase_id=phrases[p["text"].strip()[:100]], meeting=meeting, task_id=task_id,
                                     start=start, end=end))
    PhraseOccurrence.objects.bulk_create(rows)
    return len(rows)


@durable_action
def phrases_backfill(*, actor, meeting_ids: list[int] | None = None) -> dict:
    """Rebuild the phrase index of existing meetings (all, or ``meeting_ids``). Sysadmins and supervisors (and the
    CLI's system actor) may run it. No audit event (a derived index; see ``phrases_collect_in_txn``)."""
    if not (core.is_supervisor(actor) or actor.username == "duban-system"):
        raise PermissionDenied()
    meetings = Meeting.objects.order_by("id").only("id", "extraction")
    if meeting_ids:
        meetings = meetings.filter(pk__in=meeting_ids)
    counts = {"meetings": 0, "occurrences": 0}
    for meeting in meetings.iterator(chunk_size=200):
        counts["meetings"] += 1
        counts["occurrences"] += phrases_collect_in_txn(meeting)
    return counts

