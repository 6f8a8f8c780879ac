import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from docx import Document

from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.followup import actions
from duban.followup.models import ExtensionRequest, ReminderSent, SupervisionNotice
from duban.followup.reminders import reminders_plan, reminders_run
from duban.followup.tests.conftest import place_task
from duban.tasks.actions import report_submit
from duban.tasks.models import ReportFile, Task

D = dt.date


@pytest.fixture
def weekly(org):
    return place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31),
                      cycle="weekly", progress=30, reported=D(2025, 9, 1))


def _events(event_type):
    return list(AuditEvent.objects.filter(event_type=event_type))


def _recipients(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_blue_reminds_the_lead_units_staff_once(org, weekly, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = reminders_run(today=D(2025, 9, 3), actor=org.system)
    assert [(r.stage, r.due_key) for r in sent] == [("remind", "report:2025-09-08")]
    assert _recipients("task_reminded") == ["lead_staff"]
    [event] = _events(EventType.TASK_REMINDED)
    assert (event.actor_id, event.task_id, event.target_unit_id) == (org.system.pk, weekly.pk, org.safety.pk)
    assert event.extra["due_key"] == "report:2025-09-08"
    # a second pass the same day, or the next, takes no step again
    assert reminders_run(today=D(2025, 9, 3)) == []
    assert reminders_run(today=D(2025, 9, 4)) == []
    assert ReminderSent.objects.count() == 1


def test_yellow_warns_the_unit_head(org, weekly):
    reminders_run(today=D(2025, 9, 9))
    assert _recipients("task_warned") == ["lead_admin"]
    assert len(_events(EventType.TASK_WARNED)) == 1


def test_red_tells_head_and_supervisors_and_writes_a_supervision_notice(org, weekly,
                                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [reminder] = reminders_run(today=D(2026, 1, 5))
    assert reminder.stage == "escalate"
    assert _recipients("task_escalated") == ["lead_admin", "supervisor"]
    notice = SupervisionNotice.objects.get()
    assert (notice.task_id, notice.unit_id, notice.overdue_days) == (weekly.pk, org.safety.pk, 5)
    path = Path(settings.DATA_DIR) / notice.file_path
    assert path.is_file() and not str(path).startswith(str(Path(settings.BASE_DIR) / "static"))
    text = "\n".join([p.text for p in Document(str(path)).paragraphs] +
                     [c.text for t in Document(str(path)).tables for row in t.rows for c in row.cells])
    for expected in ("督办通知单", "市应急管理局：", weekly.title, "办理时限为2025年12月31日", "已超期5天", "督办要求",
                     "2026年1月5日"):
        assert expected in text
    [event] = _events(EventType.TASK_ESCALATED)
    assert event.extra["notice_id"] == notice.pk and event.extra["overdue_days"] == 5


def test_dry_run_plan_writes_nothing(org, weekly):
    before = (AuditEvent.objects.count(), Notification.objects.count())
    plan = reminders_plan(today=D(2026, 1, 5))
    assert [(p.task_id, p.stage) for p in plan] == [(weekly.pk, "escalate")]
    assert (AuditEvent.objects.count(), Notification.objects.count()) == before
    assert ReminderSent.objects.count() == 0


def test_only_the_system_or_a_sysadmin_sends_reminders(org, weekly):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        actions.reminder_send(actor=org.supervisor, task_id=weekly.pk, stage="remind",
                              due_key="report:2025-09-08", today=D(2025, 9, 3))
    assert AuditEvent.objects.count() == before and ReminderSent.objects.count() == 0


def test_a_stale_step_is_not_taken(org, weekly):
    assert actions.reminder_send(actor=org.system, task_id=weekly.pk, stage="escalate",
                                 due_key="deadline:2025-12-31", today=D(2025, 9, 3)) is None
    assert ReminderSent.objects.count() == 0


# --- extension requests ----------------------------------------------------------------------------------

def test_extension_request_and_approval_moves_the_deadline(org, weekly):
    request = actions.extension_request(actor=org.lead_staff, task_id=weekly.pk, new_deadline=D(2027, 3, 31),
                                        reason="资金未到位", today=D(2025, 10, 1))
    assert request.status == "pending" and request.old_deadline == D(2025, 12, 31)
    [event] = _events(EventType.TASK_EXTENSION_REQUESTED)
    assert event.actor_id == org.lead_staff.pk and event.extra["new_deadline"] == "2027-03-31"
    assert _recipients("extension_requested") == ["supervisor"]

    version = Task.objects.get(pk=weekly.pk).version
    actions.extension_approve(actor=org.supervisor, request_id=request.pk, version=version, comment="同意")
    task = Task.objects.get(pk=weekly.pk)
    assert task.deadline == D(2027, 3, 31) and task.version == version + 1
    [event] = _events(EventType.TASK_EXTENSION_APPROVED)
    assert event.extra["old"] == {"deadline": "2025-12-31"} and event.extra["new"] == {"deadline": "2027-03-31"}
    assert _recipients("extension_approved") == ["lead_admin", "lead_staff"]
    # approving again changes nothing
    actions.extension_approve(actor=org.supervisor, request_id=request.pk)
    assert len(_events(EventType.TASK_EXTENSION_APPROVED)) == 1


def test_extension_approval_with_a_stale_version_is_a_conflict(org, weekly):
    request = actions.extension_request(actor=org.lead_staff, task_id=weekly.pk, new_deadline=D(2027, 3, 31),
                                        reason="资金未到位", today=D(2025, 10, 1))
    stale = Task.objects.get(pk=weekly.pk).version - 1
    with pytest.raises(Conflict):
        actions.extension_approve(actor=org.supervisor, request_id=request.pk, version=stale)
    assert Task.objects.get(pk=weekly.pk).deadline == D(2025, 12, 31)
    assert ExtensionRequest.objects.get().status == "pending"
    assert not _events(EventType.TASK_EXTENSION_APPROVED)


def test_extension_rejection(org, weekly):
    request = actions.extension_request(actor=org.lead_admin, task_id=weekly.pk, new_deadline=D(2027, 1, 31),
                                        reason="需要更多时间", today=D(2025, 10, 1))
    with pytest.raises(InvalidInput):
        actions.extension_reject(actor=org.supervisor, request_id=request.pk, reason=" ")
    actions.extension_reject(actor=org.supervisor, request_id=request.pk, reason="理由不充分")
    assert ExtensionRequest.objects.get().status == "rejected"
    assert Task.objects.get(pk=weekly.pk).deadline == D(2025, 12, 31)
    [event] = _events(EventType.TASK_EXTENSION_REJECTED)
    assert event.extra["reason"] == "理由不充分"
    assert _recipients("extension_rejected") == ["lead_admin", "lead_staff"]


@pytest.mark.parametrize("who,error", [("coop_staff", PermissionDenied), ("other_staff", NotFound),
                                       ("supervisor", PermissionDenied)])
def test_extension_refused_leaves_no_trace(org, weekly, who, error):
    before = AuditEvent.objects.count()
    with pytest.raises(error):
        actions.extension_request(actor=getattr(org, who), task_id=weekly.pk, new_deadline=D(2027, 3, 31),
                                  reason="x", today=D(2025, 10, 1))
    assert AuditEvent.objects.count() == before and not ExtensionRequest.objects.exists()


def test_extension_decisions_are_the_offices(org, weekly):
    request = actions.extension_request(actor=org.lead_staff, task_id=weekly.pk, new_deadline=D(2027, 3, 31),
                                        reason="x", today=D(2025, 10, 1))
    with pytest.raises(PermissionDenied):
        actions.extension_approve(actor=org.lead_admin, request_id=request.pk)
    with pytest.raises(NotFound):
        actions.extension_reject(actor=org.other_staff, request_id=request.pk, reason="no")
    with pytest.raises(Conflict):  # one pending request at a time
        actions.extension_request(actor=org.lead_staff, task_id=weekly.pk, new_deadline=D(2027, 4, 30),
                                  reason="y", today=D(2025, 10, 1))
    with pytest.raises(InvalidInput):
        actions.extension_reject(actor=org.supervisor, request_id=request.pk, reason="")
    assert ExtensionRequest.objects.get().status == "pending"


# --- completion with evidence ---------------------------------------------------------------------------

def test_close_request_with_evidence(org, django_capture_on_commit_callbacks):
    task = org.task_in("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        report = report_submit(actor=org.lead_staff, task_id=task.pk, text="已全部完成", progress_percent=100,
                               request_close=True, evidence_text="验收报告",
                               files=[("../验收报告.pdf", b"%PDF-1.4 evidence")])
    assert Task.objects.get(pk=task.pk).status == "close_requested"
    [stored] = ReportFile.objects.filter(report=report)
    assert stored.name == "验收报告.pdf" and stored.content_type == "application/pdf"
    assert report.evidence_text == "验收报告"
    assert (Path(settings.DATA_DIR) / stored.storage_name).read_bytes() == b"%PDF-1.4 evidence"
    [event] = _events(EventType.TASK_CLOSE_REQUESTED)
    assert event.report_id == report.pk and event.actor_id == org.lead_staff.pk
    assert event.extra["evidence_files"] == 1 and event.extra["evidence_text"] == "验收报告"
    [submitted] = [e for e in _events(EventType.REPORT_SUBMITTED) if e.report_id == report.pk]
    assert submitted.extra["files"][0]["sha256"] == stored.sha256


def test_evidence_added_later_to_a_pending_request(org, django_capture_on_commit_callbacks):
    task = org.task_in("close_requested")
    report = task.reports.get(request_close=True)
    with django_capture_on_commit_callbacks(execute=True):
        actions.evidence_add(actor=org.lead_staff, report_id=report.pk, text="补充照片",
                             files=[("现场.jpg", b"\xff\xd8\xff photo")])
    report.refresh_from_db()
    assert report.evidence_text == "验收记录\n补充照片" and report.files.get().content_type == "image/jpeg"
    [event] = _events(EventType.TASK_CLOSE_EVIDENCE_ADDED)
    assert event.actor_id == org.lead_staff.pk and event.extra["files"][0]["name"] == "现场.jpg"
    with pytest.raises(PermissionDenied):
        actions.evidence_add(actor=org.coop_staff, report_id=report.pk, text="x")
    assert len(_events(EventType.TASK_CLOSE_EVIDENCE_ADDED)) == 1


def test_close_request_needs_evidence_and_the_lead_unit(org):
    task = org.task_in("in_progress")
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput):
        report_submit(actor=org.lead_staff, task_id=task.pk, text="完成", progress_percent=100, request_close=True)
    with pytest.raises(PermissionDenied):
        report_submit(actor=org.coop_staff, task_id=task.pk, text="完成", progress_percent=100, request_close=True,
                      evidence_text="x")
    assert AuditEvent.objects.count() == before
    assert Task.objects.get(pk=task.pk).status == "in_progress"
