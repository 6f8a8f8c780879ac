"""Every follow-up change of state: reminders and escalation (run by the scheduler as the system actor),
extension requests, completion evidence, and re-queuing a failed delivery. Each entry point is one durable
transaction that authorizes, validates, writes, appends one audit event and queues notifications."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.audit import SYSTEM_USERNAME, EventType, audit_log
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import Role
from duban.core.notifications import notify
from duban.followup import permissions as fperms
from duban.followup.lights import SUPERVISED_STATUSES, task_light
from duban.followup.models import (CloseEvidence, Delivery, DeliveryStatus, ExtensionRequest, ExtensionStatus,
                                   ReminderSent, Stage, SupervisionNotice)
from duban.followup.notices import notice_write
from duban.tasks.actions import supervisors, task_lock_in_txn, task_lock_visible_in_txn, unit_people
from duban.tasks.models import ProgressReport, ReportStatus, Task

STAGE_EVENT = {Stage.REMIND: EventType.TASK_REMINDED, Stage.WARN: EventType.TASK_WARNED,
               Stage.ESCALATE: EventType.TASK_ESCALATED}
STAGE_KIND = {Stage.REMIND: "task_reminded", Stage.WARN: "task_warned", Stage.ESCALATE: "task_escalated"}
STAGE_TITLE = {Stage.REMIND: "催办提醒", Stage.WARN: "督办预警", Stage.ESCALATE: "超期督办"}


def _enqueue_after_commit(notifications) -> None:
    ids = [n.pk for n in notifications]
    if not ids:
        return

    def enqueue():
        from duban.followup.delivery import deliveries_enqueue

        deliveries_enqueue(notification_ids=ids)

    transaction.on_commit(enqueue)


def stage_recipients(task: Task, stage: str) -> list:
    """Blue reminds the lead unit's staff (its head when it has no staff); yellow warns the unit head; red tells the
    unit head and the supervision office."""
    if stage == Stage.REMIND:
        staff = list(unit_people(task.lead_unit_id, roles=[Role.UNIT_STAFF]))
        return staff or list(unit_people(task.lead_unit_id, roles=[Role.UNIT_ADMIN]))
    heads = list(unit_people(task.lead_unit_id, roles=[Role.UNIT_ADMIN]))
    if stage == Stage.WARN:
        return heads
    return heads + list(supervisors())


def _notice_in_txn(task: Task, reminder: ReminderSent, light, today: dt.date) -> SupervisionNotice:
    """Write the 督办通知单 of a follow-up step (``notice_write``) and keep its record, in the caller's
    transaction: at escalation and on the office's demand."""
    number = f"{reminder.pk:04d}"
    relative = f"notices/{task.pk}/{reminder.pk}-{uuid.uuid4().hex[:8]}.docx"
    notice_write(relative_path=relative, number=number, unit_name=task.lead_unit.name if task.lead_unit else "",
                 task_title=task.title, task_text=task.text, deadline=task.deadline,
                 overdue_days=light.overdue_days, issued_on=today)
    return SupervisionNotice.objects.create(task=task, unit=task.lead_unit, reminder=reminder, number=number,
                                            overdue_days=light.overdue_days, file_path=relative)


@transaction.atomic(durable=True)
def reminder_send(*, actor, task_id: int, stage: str, due_key: str, today: dt.date) -> ReminderSent | None:
    """Take one follow-up step on a task: remind (TASK_REMINDED), warn (TASK_WARNED) or escalate (TASK_ESCALATED,
    with a 督办通知单). Run by the scheduler as the system actor (or a sysadmin by hand). The step is recomputed
    from the task's light on ``today``; it is taken at most once per task, stage and due key — the reminder row
    is inserted first, and a second worker racing for the same step gets an IntegrityError and returns None."""
    if actor.get_username() != SYSTEM_USERNAME and perms.role_of(actor) != Role.SYSADMIN:
        raise PermissionDenied()
    task = task_lock_in_txn(task_id)
    light = task_light(task, today)
    if light.stage != stage or light.due_key != due_key:
        return None  # the task changed since the pass planned this step
    try:
        with transaction.atomic():
            reminder = ReminderSent.objects.create(task=task, stage=stage, due_key=due_key, light=light.code,
                                                   reason=light.reason[:200], for_date=today)
    except IntegrityError:
        return None
    recipients = stage_recipients(task, stage)
    notice = _notice_in_txn(task, reminder, light, today) if stage == Stage.ESCALATE else None
    ReminderSent.objects.filter(pk=reminder.pk).update(recipient_count=len({u.pk for u in recipients}))
    audit_log(actor=actor, event_type=STAGE_EVENT[stage], task=task, meeting=task.meeting, unit=task.lead_unit,
              target_unit=task.lead_unit,
              extra={"due_key": due_key, "light": light.code, "reason": light.reason, "for_date": today.isoformat(),
                     "recipients": sorted({u.pk for u in recipients}),
                     **({"notice_id": notice.pk, "overdue_days": light.overdue_days} if notice else {})})
    rows = notify(recipients=recipients, kind=STAGE_KIND[stage], task=task,
                  title=f"{STAGE_TITLE[stage]}（{light.label}）：{task.title}", body=light.reason,
                  payload={"group": f"reminder:{reminder.pk}", "stage": stage, "light": light.code,
                           **({"notice_id": notice.pk} if notice else {})})
    _enqueue_after_commit(rows)
    reminder.recipient_count = len({u.pk for u in recipients})
    return reminder


URGE_DEFAULT = "请加快办理进度，按时报送办理情况。"


def _people_concerned(task: Task) -> list:
    """The lead and cooperating units' people: whom the office's own 催办 and 通知单 reach."""
    from duban.tasks.actions import units_people

    return list(units_people([task.lead_unit_id, *task.coop_units.values_list("id", flat=True)]))


@transaction.atomic(durable=True)
def task_urge(*, actor, task_id: int, message: str = "", today: dt.date | None = None) -> ReminderSent:
    """Supervisors remind a task's units now (催办), with a message (a standard one if empty), whatever the light
    says; recorded with the reminders (``due_key`` "manual:…", never in the way of the scheduled ones) and
    delivered over the configured channels after commit. Only while the units work on it (已交办, 已签收, 办理中).
    Event TASK_URGED; the lead and cooperating units' people are told."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not fperms.can_urge_task(actor, task):
        raise PermissionDenied()
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”不需要催办",
                       f"a task that is {task.status} is not reminded")
    message = (message or "").strip() or URGE_DEFAULT
    if len(message) > 500:
        raise InvalidInput("催办内容不能超过500字", "the message must be at most 500 characters")
    today = today or timezone.localdate()
    light = task_light(task, today)
    recipients = _people_concerned(task)
    reminder = ReminderSent.objects.create(task=task, stage=Stage.REMIND, due_key=f"manual:{uuid.uuid4().hex[:12]}",
                                           light=light.code, reason=message[:200], for_date=today,
                                           recipient_count=len(recipients))
    audit_log(actor=actor, event_type=EventType.TASK_URGED, task=task, meeting=task.meeting, unit=task.lead_unit,
              target_unit=task.lead_unit,
              extra={"message": message, "light": light.code, "recipients": sorted(u.pk for u in recipients)})
    rows = notify(recipients=recipients, kind="task_urged", task=task, title=f"督查室催办：{task.title}", body=message,
                  payload={"group": f"reminder:{reminder.pk}", "stage": Stage.REMIND, "light": light.code})
    _enqueue_after_commit(rows)
    return reminder


@transaction.atomic(durable=True)
def notice_issue(*, actor, task_id: int, today: dt.date | None = None) -> SupervisionNotice:
    """Supervisors issue a 督办通知单 now (on demand, not only at escalation), written by ``notice_write`` and kept
    with the follow-up records. Only while the units work on it. Event TASK_NOTICE_ISSUED; the lead and cooperating
    units' people are told, over the configured channels."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not fperms.can_issue_notice(actor, task):
        raise PermissionDenied()
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”不能下发督办通知单",
                       f"no notice for a task that is {task.status}")
    today = today or timezone.localdate()
    light = task_light(task, today)
    recipients = _people_concerned(task)
    reminder = ReminderSent.objects.create(task=task, stage=Stage.ESCALATE, due_key=f"notice:{uuid.uuid4().hex[:12]}",
                                           light=light.code, reason="督查室下发督办通知单", for_date=today,
                                           recipient_count=len(recipients))
    notice = _notice_in_txn(task, reminder, light, today)
    audit_log(actor=actor, event_type=EventType.TASK_NOTICE_ISSUED, task=task, meeting=task.meeting,
              unit=task.lead_unit, target_unit=task.lead_unit,
              extra={"notice_id": notice.pk, "number": notice.number, "overdue_days": light.overdue_days})
    rows = notify(recipients=recipients, kind="notice_issued", task=task, title=f"督办通知单：{task.title}",
                  body=f"督查室下发督办通知单（编号 {notice.number}），请按要求办理并报送情况。",
                  payload={"group": f"reminder:{reminder.pk}", "notice_id": notice.pk})
    _enqueue_after_commit(rows)
    return notice


def _bump_task(task: Task, *, expected_version: int, **fields) -> None:
    """Optimistic locking: the task changes only if nobody changed it since ``expected_version`` was read."""
    fields["updated_at"] = timezone.now()
    if Task.objects.filter(pk=task.pk, version=expected_version).update(version=F("version") + 1, **fields) == 0:
        raise Conflict("该事项已被他人修改，请刷新后重试", "the task was changed by someone else; reload and try again")
    for name, value in fields.items():
        setattr(task, name, value)
    task.version = expected_version + 1


@transaction.atomic(durable=True)
def extension_request(*, actor, task_id: int, new_deadline: dt.date, reason: str,
                      today: dt.date | None = None) -> ExtensionRequest:
    """The lead unit asks to extend the deadline (申请延期). One pending request per task. Event
    TASK_EXTENSION_REQUESTED; the supervisors are told."""
    today = today or timezone.localdate()
    task = task_lock_visible_in_txn(actor, task_id)
    if not fperms.can_request_extension(actor, task):
        raise PermissionDenied("只有牵头单位可以申请延期", "only the lead unit may request an extension")
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”不能申请延期",
                       f"no extension while the task is {task.status}")
    if not (reason or "").strip():
        raise InvalidInput("请填写延期理由", "a reason is required")
    if new_deadline <= today or (task.deadline is not None and new_deadline <= task.deadline):
        raise InvalidInput("新的时限须晚于原时限和今天", "the new deadline must be after the current one and today")
    if ExtensionRequest.objects.filter(task=task, status=ExtensionStatus.PENDING).exists():
        raise Conflict("该事项已有待审批的延期申请", "an extension request is already pending")
    request = ExtensionRequest.objects.create(task=task, unit=perms.unit_of(actor), requested_by=actor,
                                              reason=reason.strip(), old_deadline=task.deadline,
                                              new_deadline=new_deadline)
    audit_log(actor=actor, event_type=EventType.TASK_EXTENSION_REQUESTED, task=task, target_unit=task.lead_unit,
              extra={"request_id": request.pk, "old_deadline": _iso(task.deadline),
                     "new_deadline": new_deadline.isoformat(), "reason": request.reason})
    rows = notify(recipients=supervisors(), kind="extension_requested", task=task,
                  title=f"申请延期：{task.title}", body=f"申请延至{new_deadline.isoformat()}。理由：{request.reason}")
    _enqueue_after_commit(rows)
    return request


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _decidable(actor, request_id: int) -> ExtensionRequest:
    request = (ExtensionRequest.objects.filter(task__in=perms.tasks_visible_to(actor), pk=request_id)
               .select_related("task").first())
    if request is None:
        raise NotFound()
    if not fperms.can_decide_extension(actor, request):
        raise PermissionDenied()
    return request


@transaction.atomic(durable=True)
def extension_approve(*, actor, request_id: int, version: int | None = None, comment: str = "") -> ExtensionRequest:
    """Supervisors approve an extension: the task's deadline becomes the requested one (optimistic locking on the
    task ``version`` the approver read). Approving twice changes nothing. Event TASK_EXTENSION_APPROVED with the
    old and new deadline; the lead unit's people are told."""
    request = _decidable(actor, request_id)
    if request.status == ExtensionStatus.APPROVED:
        return request
    if request.status != ExtensionStatus.PENDING:
        raise Conflict("该申请已审批", "the request was already decided")
    task = task_lock_in_txn(request.task_id)
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”不能延期", f"no extension while the task is {task.status}")
    old = task.deadline
    _bump_task(task, expected_version=task.version if version is None else version, deadline=request.new_deadline)
    now = timezone.now()
    ExtensionRequest.objects.filter(pk=request.pk).update(status=ExtensionStatus.APPROVED, decided_by=actor,
                                                          decided_at=now, decision_comment=comment)
    request.status, request.decided_by, request.decided_at, request.decision_comment = (
        ExtensionStatus.APPROVED, actor, now, comment)
    audit_log(actor=actor, event_type=EventType.TASK_EXTENSION_APPROVED, task=task, target_unit=task.lead_unit,
              extra={"request_id": request.pk, "old": {"deadline": _iso(old)},
                     "new": {"deadline": request.new_deadline.isoformat()}, "comment": comment})
    rows = notify(recipients=unit_people(task.lead_unit_id), kind="extension_approved", task=task,
                  title=f"延期已批准：{task.title}", body=f"办理时限调整为{request.new_deadline.isoformat()}。{comment}")
    _enqueue_after_commit(rows)
    return request


@transaction.atomic(durable=True)
def extension_reject(*, actor, request_id: int, reason: str) -> ExtensionRequest:
    """Supervisors reject an extension with a reason; the deadline stays. Rejecting twice changes nothing. Event
    TASK_EXTENSION_REJECTED; the lead unit's people are told."""
    request = _decidable(actor, request_id)
    if request.status == ExtensionStatus.REJECTED:
        return request
    if request.status != ExtensionStatus.PENDING:
        raise Conflict("该申请已审批", "the request was already decided")
    if not (reason or "").strip():
        raise InvalidInput("请填写不予批准的理由", "a reason is required")
    task = task_lock_in_txn(request.task_id)
    now = timezone.now()
    ExtensionRequest.objects.filter(pk=request.pk).update(status=ExtensionStatus.REJECTED, decided_by=actor,
                                                          decided_at=now, decision_comment=reason.strip())
    request.status, request.decided_by, request.decided_at, request.decision_comment = (
        ExtensionStatus.REJECTED, actor, now, reason.strip())
    audit_log(actor=actor, event_type=EventType.TASK_EXTENSION_REJECTED, task=task, target_unit=task.lead_unit,
              extra={"request_id": request.pk, "reason": reason.strip()})
    rows = notify(recipients=unit_people(task.lead_unit_id), kind="extension_rejected", task=task,
                  title=f"延期未获批准：{task.title}", body=reason.strip())
    _enqueue_after_commit(rows)
    return request


def _safe_name(name: str) -> str:
    base = Path(name or "evidence").name
    return "".join(ch for ch in base if ch.isalnum() or ch in "._-（）()")[:150] or "evidence"


@transaction.atomic(durable=True)
def evidence_add(*, actor, report_id: int, text: str = "", file_name: str = "",
                 content: bytes | None = None) -> CloseEvidence:
    """The lead unit attaches evidence (佐证材料: a description and/or one file) to its pending completion request.
    Once per request. Event TASK_CLOSE_EVIDENCE_ADDED; nobody is told (the request itself told the office)."""
    report = (perms.reports_visible_to(actor).select_related("task", "task__lead_unit")
              .filter(pk=report_id).first())
    if report is None:
        raise NotFound()
    if not perms.can_request_close(actor, report.task):
        raise PermissionDenied()
    if not report.request_close or report.status != ReportStatus.SUBMITTED:
        raise Conflict("只能为待审核的办结申请补充佐证", "evidence belongs to a pending completion request")
    if not (text or "").strip() and not content:
        raise InvalidInput("请填写佐证说明或上传佐证材料", "give a description or a file")
    if content is not None and len(content) > settings.DUBAN_MAX_UPLOAD_BYTES:
        raise InvalidInput("文件过大", "the file is too large")
    if CloseEvidence.objects.filter(report=report).exists():
        raise Conflict("该办结申请已有佐证材料", "this request already has evidence")
    relative, shown = "", ""
    if content:
        shown = _safe_name(file_name)
        relative = f"evidence/{report.task_id}/{report.pk}-{uuid.uuid4().hex[:8]}-{shown}"
        path = Path(settings.DATA_DIR) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    evidence = CloseEvidence.objects.create(report=report, text=(text or "").strip(), file_name=shown,
                                            file_path=relative, added_by=actor)
    audit_log(actor=actor, event_type=EventType.TASK_CLOSE_EVIDENCE_ADDED, task=report.task, report=report,
              target_unit=report.task.lead_unit,
              extra={"evidence_id": evidence.pk, "file_name": shown, "bytes": len(content or b"")})
    return evidence


def close_request_with_evidence(*, actor, task_id: int, text: str, progress_percent: int = 100,
                                evidence_text: str = "", file_name: str = "", content: bytes | None = None
                                ) -> ProgressReport:
    """申请办结 with evidence: ``duban.tasks.actions.report_submit(request_close=True)`` then ``evidence_add``.
    Two transactions (both are durable entry points); the evidence is checked first so a refusal leaves neither."""
    from duban.tasks.actions import report_submit

    if not (evidence_text or "").strip() and not content:
        raise InvalidInput("申请办结须提供佐证说明或佐证材料", "a completion request needs evidence")
    if content is not None and len(content) > settings.DUBAN_MAX_UPLOAD_BYTES:
        raise InvalidInput("文件过大", "the file is too large")
    report = report_submit(actor=actor, task_id=task_id, text=text, progress_percent=progress_percent,
                           request_close=True)
    evidence_add(actor=actor, report_id=report.pk, text=evidence_text, file_name=file_name, content=content)
    return report


@transaction.atomic(durable=True)
def delivery_retry(*, actor, delivery_id: int) -> Delivery:
    """A sysadmin re-queues a failed or dead delivery for an immediate new round of attempts. Event
    DELIVERY_RETRIED."""
    if not fperms.can_manage_deliveries(actor):
        raise NotFound()
    delivery = Delivery.objects.select_related("notification").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    if delivery.status == DeliveryStatus.SENT:
        raise Conflict("该消息已发送", "the delivery was already sent")
    old = {"status": delivery.status, "attempts": delivery.attempts}
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0,
                                                   next_attempt_at=timezone.now(), claimed_until=None)
    delivery.refresh_from_db()
    audit_log(actor=actor, event_type=EventType.DELIVERY_RETRIED, task=delivery.notification.task,
              target_user=delivery.notification.recipient,
              extra={"delivery_id": delivery.pk, "channel": delivery.channel, "old": old})
    return delivery
