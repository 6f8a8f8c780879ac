"""Every follow-up change of state: reminders and escalation (run by the scheduler as the system actor),
extension requests, completion evidence, and re-queuing a failed delivery. Each entry point is one durable
transaction that authorizes, validates, writes, appends one audit event and queues notifications."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from duban.core.audit import SYSTEM_USERNAME, EventType, audit_log
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.files import files_follow_transaction, random_name, stage_file
from duban.core.locking import update_versioned_in_txn
from duban.core.models import Role
from duban.core.rules import check_mobile
from duban.core.notifications import notify
from duban.core.txn import durable_action
from duban.followup import permissions as fperms
from duban.followup.lights import SUPERVISED_STATUSES, rolled_light
from duban.followup.models import (DeadlineChange, Delivery, DeliveryStatus, ExtensionRequest, ExtensionStatus,
                                   LeaderComment, PersonContact, ReminderSent, Stage, SupervisionNotice,
                                   TaskWatch)
from duban.followup.notices import notice_docx, urge_docx
from duban.followup.queueing import deliveries_enqueue
from duban.tasks import permissions as perms
from duban.tasks.actions import (TASK_CHANGED, check_subtask_deadline, files_audit, report_files_store_in_txn,
                                 report_uploads_check, task_lock_in_txn, task_lock_visible_in_txn,
                                 task_supervisors, task_units_notify_in_txn, unit_people,
                                 unit_recipients)
from duban.tasks.models import REPORTABLE_STATUSES, ProgressReport, ReportStatus, Task, TaskStatus
from duban.tasks.report_due import report_due_refresh_in_txn

STAGE_EVENT = {Stage.REMIND: EventType.TASK_REMINDED, Stage.WARN: EventType.TASK_WARNED,
               Stage.ESCALATE: EventType.TASK_ESCALATED}
STAGE_KIND = {Stage.REMIND: "task_reminded", Stage.WARN: "task_warned", Stage.ESCALATE: "task_escalated"}
STAGE_TITLE = {Stage.REMIND: "催办提醒", Stage.WARN: "督办预警", Stage.ESCALATE: "超期督办"}


def _enqueue_after_commit(notifications) -> None:
    ids = [n.pk for n in notifications]
    if not ids:
        return

    transaction.on_commit(lambda: deliveries_enqueue(notification_ids=ids))


def stage_recipients(task: Task, stage: str) -> list:
    """Blue reminds the lead unit's staff (its head when it has no staff); yellow warns the unit head (its staff
    when it has no head); red tells the unit head and the office that supervises the task: for a sub-task, the
    supervision office of the unit that issued it first (``task_supervisors``). A unit with nobody in it leaves the
    step to the office that supervises the task (``unit_recipients``), so a step reaches nobody only when the
    offices are empty too."""
    if stage == Stage.REMIND:
        return unit_recipients(task.lead_unit_id, task=task, first=(Role.UNIT_STAFF,))
    heads = unit_recipients(task.lead_unit_id, task=task, first=(Role.UNIT_ADMIN,))
    if stage == Stage.WARN:
        return heads
    return heads + task_supervisors(task)


def _notice_in_txn(task: Task, reminder: ReminderSent, light, today: dt.date) -> SupervisionNotice:
    """Write the 督办通知单 of a follow-up step through the file storage and keep its record, in the caller's
    transaction (a ``files_follow_transaction`` action): at escalation and on the office's demand."""
    number = f"{reminder.pk:04d}"
    relative = stage_file(random_name(f"notices/{task.pk}", ".docx"), notice_docx(
        number=number, unit_name=task.lead_unit.name if task.lead_unit else "", task_title=task.title,
        task_text=task.text, deadline=task.deadline, overdue_days=light.overdue_days, issued_on=today,
        source=task.meeting.title if task.meeting_id else ""))
    return SupervisionNotice.objects.create(task=task, unit=task.lead_unit, reminder=reminder, number=number,
                                            overdue_days=light.overdue_days, file_path=relative)


@files_follow_transaction
@durable_action
def reminder_send(*, actor, task_id: int, stage: str, due_key: str, today: dt.date) -> ReminderSent | None:
    """Take one follow-up step on a task: remind (TASK_REMINDED), warn (TASK_WARNED) or escalate (TASK_ESCALATED,
    with a 督办通知单); a step with nobody to tell is REMINDER_UNDELIVERED instead. Run by the scheduler as the
    system actor (or a sysadmin by hand). The step is recomputed from the task's light on ``today``; it is taken at most once per task, stage and due key — the reminder row
    is inserted first, and a second worker racing for the same step gets an IntegrityError and returns None."""
    if actor.get_username() != SYSTEM_USERNAME and perms.role_of(actor) != Role.SYSADMIN:
        raise PermissionDenied()
    task = task_lock_in_txn(task_id)
    light = rolled_light(task, today)
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
    # A step that reaches nobody is recorded as a failure (its own event), never as sent; the office lists them.
    event_type = STAGE_EVENT[stage] if recipients else EventType.REMINDER_UNDELIVERED
    audit_log(actor=actor, event_type=event_type, task=task, meeting=task.meeting, target_unit=task.lead_unit,
              extra={"due_key": due_key, "light": light.code, "reason": light.reason, "for_date": today.isoformat(),
                     "stage": stage, "recipients": sorted({u.pk for u in recipients}),
                     **({"notice_id": notice.pk, "overdue_days": light.overdue_days} if notice else {})})
    rows = notify(actor=actor, recipients=recipients, kind=STAGE_KIND[stage], task=task,
                  title=f"{STAGE_TITLE[stage]}（{light.label}）：{task.title}", body=light.reason,
                  payload={"group": f"reminder:{reminder.pk}", "stage": stage, "light": light.code,
                           **({"notice_id": notice.pk} if notice else {})})
    _enqueue_after_commit(rows)
    reminder.recipient_count = len({u.pk for u in recipients})
    return reminder


@durable_action
def urge_slip_export(*, actor, task_id: int, today: dt.date | None = None) -> bytes:
    """Supervisors print a 催办单 for a task under supervision (already assigned, not yet closed): the GB/T 9704
    document with the task's light as the reason; its 发文字号 counts the 催办单 of the year. Event
    URGE_SLIP_EXPORTED; nobody is told here (the office sends the signed slip; the reminder pass tells the unit
    in the system)."""
    from duban.core.models import AuditEvent

    today = today or timezone.localdate()
    task = task_lock_visible_in_txn(actor, task_id)
    if not fperms.can_urge_task(actor, task):
        raise PermissionDenied()
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”无需催办", f"no urging while the task is {task.status}")
    serial = AuditEvent.objects.filter(event_type=EventType.URGE_SLIP_EXPORTED, extra__year=today.year).count() + 1
    light = rolled_light(task, today)
    content = urge_docx(number=str(serial), unit_name=task.lead_unit.name if task.lead_unit else "",
                        task_title=task.title, task_text=task.text, deadline=task.deadline, reason=light.reason,
                        issued_on=today, source=task.meeting.title if task.meeting_id else "")
    audit_log(actor=actor, event_type=EventType.URGE_SLIP_EXPORTED, task=task, meeting=task.meeting,
              target_unit=task.lead_unit, extra={"serial": serial, "year": today.year, "reason": light.reason})
    return content


URGE_DEFAULT = "请加快办理进度，按时报送办理情况。"


@durable_action
def task_urge(*, actor, task_id: int, message: str = "", today: dt.date | None = None) -> ReminderSent:
    """Supervisors remind a task's units now (催办), with a message (a standard one if empty), whatever the light
    says; recorded with the reminders (``due_key`` "manual:…", never in the way of the scheduled ones) and
    delivered over the configured channels after commit. Only while the units work on it (已交办, 已签收, 办理中).
    Event TASK_URGED; the lead and cooperating units' people are told (the office in the stead of a lead unit with
    nobody, as at 交办); ``reach`` on the result says whom it reached and which units have nobody."""
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
    light = rolled_light(task, today)
    reminder = ReminderSent.objects.create(task=task, stage=Stage.REMIND, due_key=f"manual:{uuid.uuid4().hex[:12]}",
                                           light=light.code, reason=message[:200], for_date=today)
    # as 交办: a lead unit with nobody to tell is stood in for by the office (代收), which phones it
    told = task_units_notify_in_txn(actor=actor, task=task, kind="task_urged", title=f"督查室催办：{task.title}",
                                    body=message, payload={"group": f"reminder:{reminder.pk}", "stage": Stage.REMIND,
                                                           "light": light.code})
    _count_told_in_txn(reminder, told.reach)
    # the row's unit is the sender's (the default, as on every row); the unit urged is its target
    audit_log(actor=actor, event_type=EventType.TASK_URGED, task=task, meeting=task.meeting, target_unit=task.lead_unit,
              extra={"message": message, "light": light.code, "recipients": sorted(told.reach.told)})
    _enqueue_after_commit(told.rows)
    reminder.reach = told.reach
    return reminder


def _count_told_in_txn(reminder: ReminderSent, reach) -> None:
    """The office's own 催办 or 通知单 counts the units' people it told (通知人数; 0: it reached none of them)."""
    reminder.recipient_count = reach.people
    ReminderSent.objects.filter(pk=reminder.pk).update(recipient_count=reminder.recipient_count)


@files_follow_transaction
@durable_action
def notice_issue(*, actor, task_id: int, today: dt.date | None = None) -> SupervisionNotice:
    """Supervisors issue a 督办通知单 now (on demand, not only at escalation), stored through the file storage and kept
    with the follow-up records. Only while the units work on it. Event TASK_NOTICE_ISSUED; the lead and cooperating
    units' people are told, over the configured channels (the office in the stead of a lead unit with nobody);
    ``reach`` on the result says whom it reached and which units have nobody."""
    task = task_lock_visible_in_txn(actor, task_id)
    if not fperms.can_issue_notice(actor, task):
        raise PermissionDenied()
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”不能下发督办通知单",
                       f"no notice for a task that is {task.status}")
    today = today or timezone.localdate()
    light = rolled_light(task, today)
    reminder = ReminderSent.objects.create(task=task, stage=Stage.ESCALATE, due_key=f"notice:{uuid.uuid4().hex[:12]}",
                                           light=light.code, reason="督查室下发督办通知单", for_date=today)
    notice = _notice_in_txn(task, reminder, light, today)
    told = task_units_notify_in_txn(actor=actor, task=task, kind="notice_issued", title=f"督办通知单：{task.title}",
                                    body=f"督查室下发督办通知单（编号 {notice.number}），请按要求办理并报送情况。",
                                    payload={"group": f"reminder:{reminder.pk}", "notice_id": notice.pk})
    _count_told_in_txn(reminder, told.reach)
    audit_log(actor=actor, event_type=EventType.TASK_NOTICE_ISSUED, task=task, meeting=task.meeting,
              target_unit=task.lead_unit,
              extra={"notice_id": notice.pk, "number": notice.number, "overdue_days": light.overdue_days})
    _enqueue_after_commit(told.rows)
    notice.reach = told.reach
    return notice


@durable_action
def extension_request(*, actor, task_id: int, new_deadline: dt.date, reason: str,
                      today: dt.date | None = None) -> ExtensionRequest:
    """The lead unit asks to extend the deadline (申请延期) of a task it signed for, for a sub-task not past its parent's (the rule its approval
    applies, ``check_subtask_deadline``). One pending request per task. Event
    TASK_EXTENSION_REQUESTED; the supervisors are told."""
    today = today or timezone.localdate()
    task = task_lock_visible_in_txn(actor, task_id)
    if not fperms.can_request_extension(actor, task):
        raise PermissionDenied("只有牵头单位可以申请延期", "only the lead unit may request an extension")
    if task.status == TaskStatus.ASSIGNED:
        raise Conflict("请先签收该事项，再申请延期（不属于本单位职责的可退回）",
                       "sign for the task before asking for an extension (or send it back)")
    if task.status not in REPORTABLE_STATUSES:  # signed for, not yet asking to close: as its reports
        raise Conflict(f"当前状态“{task.get_status_display()}”不能申请延期",
                       f"no extension while the task is {task.status}")
    if not (reason or "").strip():
        raise InvalidInput("请填写延期理由", "a reason is required")
    if new_deadline <= today or (task.deadline is not None and new_deadline <= task.deadline):
        raise InvalidInput("新的时限须晚于原时限和今天", "the new deadline must be after the current one and today")
    # the approval's own rule, asked now: a request nobody could approve is refused while the unit is at the form
    check_subtask_deadline(task, new_deadline, what=("申请延至的时限", "the requested deadline"))
    if ExtensionRequest.objects.filter(task=task, status=ExtensionStatus.PENDING).exists():
        raise Conflict("该事项已有待审批的延期申请", "an extension request is already pending")
    request = ExtensionRequest.objects.create(task=task, unit=perms.unit_of(actor), requested_by=actor,
                                              reason=reason.strip(), old_deadline=task.deadline,
                                              new_deadline=new_deadline)
    audit_log(actor=actor, event_type=EventType.TASK_EXTENSION_REQUESTED, task=task, target_unit=task.lead_unit,
              extra={"request_id": request.pk, "old_deadline": _iso(task.deadline),
                     "new_deadline": new_deadline.isoformat(), "reason": request.reason})
    rows = notify(actor=actor, recipients=task_supervisors(task), kind="extension_requested", task=task,
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


def _decide_in_txn(request: ExtensionRequest, status: str, *, actor, comment: str) -> bool:
    """Decide a pending request, its task locked by the caller (the lock order of every write): the row changes
    only while it is still pending, so of two decisions at once exactly one is recorded. False when it had been
    decided the same way meanwhile (nothing to do); a ``Conflict`` when the other way."""
    now = timezone.now()
    if ExtensionRequest.objects.filter(pk=request.pk, status=ExtensionStatus.PENDING).update(
            status=status, decided_by=actor, decided_at=now, decision_comment=comment) != 1:
        request.refresh_from_db()
        if request.status == status:
            return False
        raise Conflict("该申请已审批", "the request was already decided")
    request.status, request.decided_by, request.decided_at, request.decision_comment = (status, actor, now, comment)
    return True


@durable_action
def extension_approve(*, actor, request_id: int, version: int | None = None, comment: str = "") -> ExtensionRequest:
    """Supervisors approve an extension: the task's deadline becomes the requested one (optimistic locking on the
    task ``version`` the approver read). Approving twice changes nothing. Event TASK_EXTENSION_APPROVED with the
    old and new deadline; the lead unit's people are told, and those who watch the task."""
    request = _decidable(actor, request_id)
    if request.status == ExtensionStatus.APPROVED:
        return request
    if request.status != ExtensionStatus.PENDING:
        raise Conflict("该申请已审批", "the request was already decided")
    task = task_lock_in_txn(request.task_id)
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”不能延期", f"no extension while the task is {task.status}")
    check_subtask_deadline(task, request.new_deadline)
    if not _decide_in_txn(request, ExtensionStatus.APPROVED, actor=actor, comment=comment):
        return request
    old = task.deadline
    update_versioned_in_txn(task, version=task.version if version is None else version, conflict=TASK_CHANGED,
                            updated_at=timezone.now(), deadline=request.new_deadline)
    report_due_refresh_in_txn([task.pk])  # a due on or after the new deadline is none
    audit_log(actor=actor, event_type=EventType.TASK_EXTENSION_APPROVED, task=task, target_unit=task.lead_unit,
              extra={"request_id": request.pk, "old": {"deadline": _iso(old)},
                     "new": {"deadline": request.new_deadline.isoformat()}, "comment": comment})
    rows = notify(actor=actor, recipients=unit_people(task.lead_unit_id), kind="extension_approved", task=task,
                  title=f"延期已批准：{task.title}", body=f"办理时限调整为{request.new_deadline.isoformat()}。{comment}")
    _enqueue_after_commit(rows)
    watchers_notify_in_txn(actor=actor, task=task, kind="extension_approved", title="已延期",
                           body=f"办理时限由{_iso(old) or '未定'}延至{request.new_deadline.isoformat()}。"
                                f"延期理由：{request.reason}")
    return request


@durable_action
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
    if not _decide_in_txn(request, ExtensionStatus.REJECTED, actor=actor, comment=reason.strip()):
        return request
    audit_log(actor=actor, event_type=EventType.TASK_EXTENSION_REJECTED, task=task, target_unit=task.lead_unit,
              extra={"request_id": request.pk, "reason": reason.strip()})
    rows = notify(actor=actor, recipients=unit_people(task.lead_unit_id), kind="extension_rejected", task=task,
                  title=f"延期未获批准：{task.title}", body=reason.strip())
    _enqueue_after_commit(rows)
    return request


@files_follow_transaction
@durable_action
def evidence_add(*, actor, report_id: int, text: str = "", files=()) -> ProgressReport:
    """The lead unit adds evidence (佐证材料: a description and/or files) to its pending completion request; the text
    is appended to the request's evidence. Event TASK_CLOSE_EVIDENCE_ADDED; nobody is told (the request itself
    told the office)."""
    report = (perms.reports_visible_to(actor).select_related("task", "task__lead_unit")
              .filter(pk=report_id).first())
    if report is None:
        raise NotFound()
    if not perms.can_request_close(actor, report.task):
        raise PermissionDenied()
    task = task_lock_in_txn(report.task_id)
    report = ProgressReport.objects.select_for_update().get(pk=report.pk)
    if not report.request_close or report.status != ReportStatus.SUBMITTED:
        raise Conflict("只能为待审核的办结申请补充佐证", "evidence belongs to a pending completion request")
    text = (text or "").strip()
    uploads = report_uploads_check(files)
    if not text and not uploads:
        raise InvalidInput("请填写佐证说明或上传佐证材料", "give a description or a file")
    if text:
        report.evidence_text = "\n".join(t for t in (report.evidence_text, text) if t)
        ProgressReport.objects.filter(pk=report.pk, status=ReportStatus.SUBMITTED).update(
            evidence_text=report.evidence_text)
    stored = report_files_store_in_txn(actor=actor, report=report, uploads=uploads)
    audit_log(actor=actor, event_type=EventType.TASK_CLOSE_EVIDENCE_ADDED, task=task, report=report,
              target_unit=task.lead_unit, extra={"text": text, "files": files_audit(stored)})
    return report


@durable_action
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


def _delivery_backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.DUBAN_DELIVERY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


DELIVERY_EVENT = {DeliveryStatus.SENT: EventType.DELIVERY_SENT, DeliveryStatus.FAILED: EventType.DELIVERY_FAILED,
                  DeliveryStatus.DEAD: EventType.DELIVERY_GAVE_UP}
DELIVERY_OUTCOME = {DeliveryStatus.SENT: "sent", DeliveryStatus.FAILED: "failed", DeliveryStatus.DEAD: "dead"}


@durable_action
def delivery_record(*, actor, delivery_id: int, worker: str, error: str | None, now: dt.datetime) -> str | None:
    """The follow-up worker (the system actor) records one attempt of a delivery it claimed: sent, failed (due again
    after a backoff that doubles) or given up (the last allowed attempt, or a channel nobody registered). The row
    changes only while this worker's claim on it stands; otherwise another worker took it and records its own
    attempt (returns None). Events DELIVERY_SENT, DELIVERY_FAILED or DELIVERY_GAVE_UP; nobody is told."""
    from duban.followup.channels import get_channel

    if not fperms.can_record_delivery(actor):
        raise PermissionDenied()
    delivery = Delivery.objects.select_related("notification").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    attempts = delivery.attempts + 1
    if error is None:
        status, fields = DeliveryStatus.SENT, {"last_error": "", "sent_at": now}
    else:
        dead = get_channel(delivery.channel) is None or attempts >= settings.DUBAN_DELIVERY_MAX_ATTEMPTS
        status = DeliveryStatus.DEAD if dead else DeliveryStatus.FAILED
        fields = {"last_error": error[:2000], "next_attempt_at": now + _delivery_backoff(attempts)}
    updated = Delivery.objects.filter(pk=delivery.pk, claimed_by=worker, status__in=[DeliveryStatus.PENDING,
                                                                                       DeliveryStatus.FAILED]).update(
        status=status, attempts=attempts, claimed_until=None, **fields)
    if updated != 1:
        return None
    extra = {"delivery_id": delivery.pk, "channel": delivery.channel, "attempt": attempts}
    if error is not None:
        extra["error"] = error[:500]
    if status == DeliveryStatus.FAILED:
        extra["next_attempt_at"] = fields["next_attempt_at"].isoformat()
    audit_log(actor=actor, event_type=DELIVERY_EVENT[status], task=delivery.notification.task,
              target_user=delivery.notification.recipient, extra=extra)
    return DELIVERY_OUTCOME[status]


# --- leaders: 批示 and 重点关注 ----------------------------------------------------------------------------------

def _leader_task(actor, task_id: int) -> Task:
    if not perms.tasks_visible_to(actor).filter(pk=task_id).exists():
        raise NotFound()
    return task_lock_in_txn(task_id)


@durable_action
def task_comment(*, actor, task_id: int, text: str, deadline: dt.date | None = None,
                 today: dt.date | None = None) -> LeaderComment:
    """A leader's 批示 on a task. A ``deadline`` from today on (none yet, earlier than the current one, or any on a
    task already past its deadline: a 限期 such as "12月15日前办结") is a proposal the supervision office confirms
    (``deadline_change_confirm``); a later one on a task still within its deadline is an extension, which is the
    lead unit's to request. The leader then watches the task (重点关注, TASK_WATCHED unless already), so is told
    what becomes of it (``watchers_notify_in_txn``). Event TASK_COMMENTED; the lead unit's people and the
    supervisors are told."""
    task = _leader_task(actor, task_id)
    if not fperms.can_comment_on_task(actor, task):
        raise PermissionDenied("只有领导可以批示", "only leaders comment (批示)")
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写批示内容", "the comment text is required")
    if len(text) > 2000:
        raise InvalidInput("批示内容不能超过2000字", "the comment must be at most 2000 characters")
    today = today or timezone.localdate()
    if deadline is not None:
        if deadline < today:
            raise InvalidInput("批示时限不能早于今天", "the deadline cannot be in the past")
        # On an overdue task every date from today on is later than the passed deadline: a new 限期 is no extension
        # the unit asked for, and the office confirms it as any other (批示中要求调整办理时限的，由督查室确认后生效).
        if task.deadline is not None and today <= task.deadline <= deadline:
            raise InvalidInput("批示只能设定或提前办理时限；延期须由牵头单位申请",
                               "a comment can set or shorten the deadline only; extensions are the lead unit's")
        if task.status not in SUPERVISED_STATUSES:
            raise Conflict(f"当前状态“{task.get_status_display()}”不能调整时限",
                           f"no deadline change while the task is {task.status}")
    comment = LeaderComment.objects.create(task=task, author=actor, text=text, proposed_deadline=deadline,
                                           deadline_status=DeadlineChange.PENDING if deadline else "")
    audit_log(actor=actor, event_type=EventType.TASK_COMMENTED, task=task, target_unit=task.lead_unit,
              extra={"comment_id": comment.pk, "text": text, "proposed_deadline": _iso(deadline),
                     "current_deadline": _iso(task.deadline)})
    # who writes a 批示 follows what becomes of it: the task joins the leader's 重点关注 (told of its outcomes)
    _watch_set_in_txn(actor=actor, task=task, watching=True)
    body = text + (f"（批示时限：{deadline.isoformat()}，待督查室确认）" if deadline else "")
    # the level that supervises the task confirms a deadline in it: a sub-task's 本级督查室 hears of it first
    rows = notify(actor=actor, recipients=[*unit_people(task.lead_unit_id), *task_supervisors(task)],
                  kind="task_commented", task=task, title=f"领导批示：{task.title}", body=body)
    _enqueue_after_commit(rows)
    return comment


def _pending_deadline_change(actor, comment_id: int) -> LeaderComment:
    comment = (LeaderComment.objects.filter(task__in=perms.tasks_visible_to(actor), pk=comment_id)
               .select_related("task").first())
    if comment is None:
        raise NotFound()
    if not fperms.can_decide_deadline_change(actor, comment.task):
        raise PermissionDenied()
    return comment


@durable_action
def deadline_change_confirm(*, actor, comment_id: int, version: int | None = None) -> LeaderComment:
    """The level supervising the task (``can_decide_deadline_change``: a sub-task's 本级督查室, or the supervision
    office) confirms the deadline a leader's 批示 set: the task's deadline becomes it (optimistic
    locking on the task ``version`` the office read; status-guarded so a second confirmation changes nothing).
    Event TASK_DEADLINE_CHANGE_CONFIRMED with the old and new deadline; the lead unit's people are told."""
    comment = _pending_deadline_change(actor, comment_id)
    if comment.deadline_status == DeadlineChange.CONFIRMED:
        return comment
    task = task_lock_in_txn(comment.task_id)
    now = timezone.now()
    if LeaderComment.objects.filter(pk=comment.pk, deadline_status=DeadlineChange.PENDING).update(
            deadline_status=DeadlineChange.CONFIRMED, decided_by=actor, decided_at=now) == 0:
        raise Conflict("该时限调整已处理", "the deadline change was already decided")
    if task.status not in SUPERVISED_STATUSES:
        raise Conflict(f"当前状态“{task.get_status_display()}”不能调整时限",
                       f"no deadline change while the task is {task.status}")
    check_subtask_deadline(task, comment.proposed_deadline)  # a parent's not before an open sub-task's
    old = task.deadline
    update_versioned_in_txn(task, version=task.version if version is None else version, conflict=TASK_CHANGED,
                            updated_at=timezone.now(), deadline=comment.proposed_deadline)
    report_due_refresh_in_txn([task.pk])
    comment.deadline_status, comment.decided_by, comment.decided_at = DeadlineChange.CONFIRMED, actor, now
    audit_log(actor=actor, event_type=EventType.TASK_DEADLINE_CHANGE_CONFIRMED, task=task, target_unit=task.lead_unit,
              extra={"comment_id": comment.pk, "old": {"deadline": _iso(old)},
                     "new": {"deadline": _iso(comment.proposed_deadline)}})
    rows = notify(actor=actor, recipients=unit_people(task.lead_unit_id), kind="deadline_changed", task=task,
                  title=f"办理时限调整：{task.title}",
                  body=f"根据领导批示，办理时限调整为{comment.proposed_deadline.isoformat()}。")
    _enqueue_after_commit(rows)
    return comment


@durable_action
def deadline_change_decline(*, actor, comment_id: int, reason: str) -> LeaderComment:
    """The level supervising the task (as ``deadline_change_confirm``) does not adopt a 批示's deadline (saying
    why to the leader); the deadline stays.
    Event TASK_DEADLINE_CHANGE_DECLINED; the leader is told."""
    comment = _pending_deadline_change(actor, comment_id)
    if comment.deadline_status == DeadlineChange.DECLINED:
        return comment
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写理由", "a reason is required")
    task = task_lock_in_txn(comment.task_id)
    now = timezone.now()
    if LeaderComment.objects.filter(pk=comment.pk, deadline_status=DeadlineChange.PENDING).update(
            deadline_status=DeadlineChange.DECLINED, decided_by=actor, decided_at=now,
            decision_comment=reason) == 0:
        raise Conflict("该时限调整已处理", "the deadline change was already decided")
    comment.deadline_status, comment.decided_by, comment.decided_at = DeadlineChange.DECLINED, actor, now
    comment.decision_comment = reason
    audit_log(actor=actor, event_type=EventType.TASK_DEADLINE_CHANGE_DECLINED, task=task, target_user=comment.author,
              extra={"comment_id": comment.pk, "reason": reason})
    rows = notify(actor=actor, recipients=[comment.author], kind="deadline_change_declined", task=task,
                  title=f"批示时限未调整：{task.title}", body=reason)
    _enqueue_after_commit(rows)
    return comment


@durable_action
def task_watch_set(*, actor, task_id: int, watching: bool) -> bool:
    """A leader marks (or unmarks) a task 重点关注; setting what is already set changes nothing. Events TASK_WATCHED
    / TASK_UNWATCHED; nobody is told. Returns whether anything changed. A watched task's outcomes (a report
    accepted, an extension approved, the close) reach the leader (``watchers_notify_in_txn``)."""
    task = _leader_task(actor, task_id)
    if not fperms.can_watch_task(actor, task):
        raise PermissionDenied("只有领导可以设为重点关注", "only leaders keep a watch list")
    return _watch_set_in_txn(actor=actor, task=task, watching=watching)


def _watch_set_in_txn(*, actor, task: Task, watching: bool) -> bool:
    """``task_watch_set``'s write on a locked task, joining the caller's transaction (a 批示 watches its task)."""
    current = TaskWatch.objects.select_for_update().filter(user=actor, task=task).first()
    if (current is not None and current.active) == watching:
        return False
    if current is None:
        TaskWatch.objects.create(user=actor, task=task, active=True)
    else:
        TaskWatch.objects.filter(pk=current.pk).update(active=watching, updated_at=timezone.now())
    audit_log(actor=actor, event_type=EventType.TASK_WATCHED if watching else EventType.TASK_UNWATCHED, task=task)
    return True


def watchers_notify_in_txn(*, actor, task: Task, kind: str, title: str, body: str = "") -> list:
    """Tell the leaders who watch ``task`` (重点关注, which a 批示 of theirs sets) what became of it, joining the
    caller's transaction: a report accepted, an extension approved, the close. The one rule of who hears a
    watched task's outcomes; the actor is not told (``notify``)."""
    watches = TaskWatch.objects.filter(task_id=task.pk, active=True).values("user_id")
    people = get_user_model().objects.filter(pk__in=watches, is_active=True).select_related("profile")
    rows = notify(actor=actor, recipients=[p for p in people if fperms.can_watch_task(p, task)], kind=kind,
                  task=task, title=f"您关注的事项{title}：{task.title}", body=body)
    _enqueue_after_commit(rows)
    return rows


def watchers_told_of_report(sender, *, actor, task: Task, report, **kwargs) -> None:
    """``report_accepted`` (tasks): a watched task's report accepted."""
    text = (report.text or "")[:300]
    watchers_notify_in_txn(actor=actor, task=task, kind="report_accepted", title="有新进展",
                           body=f"{report.unit.name if report.unit_id else ''}报送的进展（进度{report.progress_percent}%）"
                                f"已采纳：{text}")


def watchers_told_of_close(sender, *, actor, task: Task, **kwargs) -> None:
    """``task_closed`` (tasks): a watched task closed (办结销号), on a close request or by its kind's own record."""
    report = task.latest_report if task.latest_report_id else None
    watchers_notify_in_txn(actor=actor, task=task, kind="report_accepted", title="已办结",
                           body=f"办结情况：{report.text[:300]}" if report is not None and report.request_close else "")


# --- where messages reach a person ---------------------------------------------------------------------------

# The notices a person may choose to receive over the person channels (in-app notices always arrive).
NOTICE_KINDS = {
    "task_assigned": "新交办事项", "task_reminded": "催办提醒", "task_warned": "督办预警", "task_escalated": "超期督办",
    "report_submitted": "进展报送", "report_accepted": "进展采纳/办结", "report_returned": "进展退回",
    "task_commented": "领导批示", "deadline_changed": "时限调整", "extension_approved": "延期批准",
    "extension_rejected": "延期未批准", "task_withdrawn": "事项撤销",
}
PERSON_CHANNELS = {"wecom_app": "企业微信应用消息", "dingtalk_work": "钉钉工作通知", "sms": "短信"}
ACCOUNT_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


@durable_action
def contact_update(*, actor, user_id: int, version: int | None = None, mobile: str = "", wecom_userid: str = "",
                   dingtalk_userid: str = "", kinds=(), channels=(), quiet_non_working_days: bool = True):
    """A person (or whoever manages their account, for them) sets where messages reach them and which they want. Optimistic locking
    on ``version`` (None: the current one). Event USER_CONTACT_UPDATED with the old and new values; nobody is
    told. Returns the contact row."""
    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None or not fperms.can_edit_contact(actor, person):
        raise NotFound()
    # the one rule for a mobile number (the people's page and the import check it the same way)
    mobile = check_mobile(mobile)
    wecom_userid, dingtalk_userid = (wecom_userid or "").strip(), (dingtalk_userid or "").strip()
    for value in (wecom_userid, dingtalk_userid):
        if value and not ACCOUNT_ID.fullmatch(value):
            raise InvalidInput("账号只能包含字母、数字和 _ . @ -，不超过64个字符",
                               "an account id has at most 64 letters, digits or _ . @ -")
    kinds, channels = sorted(set(kinds or ())), sorted(set(channels or ()))
    if set(kinds) - set(NOTICE_KINDS) or set(channels) - set(PERSON_CHANNELS):
        raise InvalidInput("消息类型或渠道不正确", "unknown notice kind or channel")
    new = {"mobile": mobile, "wecom_userid": wecom_userid, "dingtalk_userid": dingtalk_userid, "kinds": kinds,
           "channels": channels, "quiet_non_working_days": bool(quiet_non_working_days)}
    contact, _ = PersonContact.objects.select_for_update().get_or_create(user=person)
    old = {name: getattr(contact, name) for name in new}
    expected = contact.version if version is None else version
    if PersonContact.objects.filter(pk=contact.pk, version=expected).update(version=F("version") + 1,
                                                                           updated_at=timezone.now(), **new) == 0:
        raise Conflict("设置已被他人修改，请刷新后重试", "the settings were changed by someone else; reload")
    audit_log(actor=actor, event_type=EventType.USER_CONTACT_UPDATED, target_user=person,
              extra={"old": old, "new": new})
    contact.refresh_from_db()
    return contact
