"""Rules of the follow-up entry points written from their text: who decided a 批示's deadline and when, what a
completion request's added evidence needs and touches, whose message settings may change, whose 重点关注 a watch
marks, and the length and light of a 催办."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.core.actions import user_create, user_deactivate
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound
from duban.core.models import AuditEvent
from duban.followup import actions
from duban.followup.lights import rolled_light
from duban.followup.models import DeadlineChange, LeaderComment, PersonContact, ReminderSent, TaskWatch
from duban.followup.tests.conftest import place_task
from duban.tasks import actions as task_actions
from duban.tasks.models import ProgressReport, ReportFile, ReportStatus, Task

D = dt.date
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def _events(event_type):
    return list(AuditEvent.objects.filter(event_type=event_type))


def _comment(org, task, days_earlier=2):
    return actions.task_comment(actor=org.leader, task_id=task.pk, text="请提前完成",
                                deadline=task.deadline - dt.timedelta(days=days_earlier))


# --- 1. a 批示's deadline: who decided, when, why -----------------------------------------------------------------

def test_declining_a_comments_deadline_records_who_when_and_why(org):
    task = org.task_in("in_progress")
    comment = _comment(org, task)
    before = timezone.now()
    returned = actions.deadline_change_decline(actor=org.supervisor, comment_id=comment.pk,
                                               reason="  工程量大，无法提前  ")
    after = timezone.now()
    stored = LeaderComment.objects.get(pk=comment.pk)
    for row in (stored, returned):
        assert row.deadline_status == DeadlineChange.DECLINED
        assert row.decided_by.pk == org.supervisor.pk
        assert row.decided_at is not None and before <= row.decided_at <= after
        assert row.decision_comment == "工程量大，无法提前"
    assert returned.decided_at == stored.decided_at


def test_confirming_a_comments_deadline_records_who_and_when(org):
    task = org.task_in("in_progress")
    comment = _comment(org, task)
    before = timezone.now()
    returned = actions.deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)
    after = timezone.now()
    stored = LeaderComment.objects.get(pk=comment.pk)
    for row in (stored, returned):
        assert row.deadline_status == DeadlineChange.CONFIRMED
        assert row.decided_by.pk == org.supervisor.pk
        assert row.decided_at is not None and before <= row.decided_at <= after
    assert Task.objects.get(pk=task.pk).deadline == comment.proposed_deadline


def test_a_declined_comments_deadline_is_not_confirmed_afterwards(org):
    task = org.task_in("in_progress")
    comment = _comment(org, task)
    actions.deadline_change_decline(actor=org.supervisor, comment_id=comment.pk, reason="无法提前")
    declined = LeaderComment.objects.get(pk=comment.pk)
    with pytest.raises(Conflict):
        actions.deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)
    stored = LeaderComment.objects.get(pk=comment.pk)
    assert stored.deadline_status == DeadlineChange.DECLINED
    assert (stored.decided_by_id, stored.decided_at, stored.decision_comment) == (
        declined.decided_by_id, declined.decided_at, "无法提前")
    assert Task.objects.get(pk=task.pk).deadline == task.deadline
    assert not _events(EventType.TASK_DEADLINE_CHANGE_CONFIRMED)


# --- 2. evidence added to a pending completion request ---------------------------------------------------------

def test_evidence_needs_a_description_or_a_file(org):
    task = org.task_in("close_requested")
    report = task.reports.get(request_close=True)
    for text in ("", "   ", None):
        with pytest.raises(InvalidInput):
            actions.evidence_add(actor=org.lead_staff, report_id=report.pk, text=text)
    assert not _events(EventType.TASK_CLOSE_EVIDENCE_ADDED)
    assert ProgressReport.objects.get(pk=report.pk).evidence_text == "验收记录"
    # a description alone is enough
    actions.evidence_add(actor=org.lead_staff, report_id=report.pk, text="补充说明")
    assert ProgressReport.objects.get(pk=report.pk).evidence_text == "验收记录\n补充说明"
    # and so is a file alone
    actions.evidence_add(actor=org.lead_staff, report_id=report.pk, files=[("现场.jpg", JPEG)])
    assert ProgressReport.objects.get(pk=report.pk).evidence_text == "验收记录\n补充说明"
    assert [f.name for f in ReportFile.objects.filter(report_id=report.pk)] == ["现场.jpg"]
    assert len(_events(EventType.TASK_CLOSE_EVIDENCE_ADDED)) == 2


def test_evidence_only_for_a_close_request_still_pending(org):
    # a progress report still waiting for review is not a completion request
    task = org.task_in("in_progress")
    progress = task.reports.get()
    assert progress.status == ReportStatus.SUBMITTED and not progress.request_close
    with pytest.raises(Conflict):
        actions.evidence_add(actor=org.lead_staff, report_id=progress.pk, text="补充")
    # a completion request the office returned is no longer pending
    closing = org.task_in("close_requested")
    request = closing.reports.get(request_close=True)
    task_actions.report_return(actor=org.supervisor, report_id=request.pk, reason="材料不全")
    with pytest.raises(Conflict):
        actions.evidence_add(actor=org.lead_staff, report_id=request.pk, text="补充")
    assert ProgressReport.objects.get(pk=progress.pk).evidence_text == ""
    assert ProgressReport.objects.get(pk=request.pk).evidence_text == "验收记录"
    assert not _events(EventType.TASK_CLOSE_EVIDENCE_ADDED)


def test_evidence_goes_to_that_request_only(org):
    one = org.task_in("close_requested")
    other = org.task_in("close_requested", title="整治校园周边交通秩序")
    report = one.reports.get(request_close=True)
    other_report = other.reports.get(request_close=True)
    actions.evidence_add(actor=org.lead_staff, report_id=report.pk, text="补充照片说明")
    assert ProgressReport.objects.get(pk=report.pk).evidence_text == "验收记录\n补充照片说明"
    assert ProgressReport.objects.get(pk=other_report.pk).evidence_text == "验收记录"


# --- 3. message settings -----------------------------------------------------------------------------------

def test_a_deactivated_persons_settings_are_not_found(org):
    user_deactivate(actor=org.sysadmin, user_id=org.lead_staff.pk, reason="调离")
    with pytest.raises(NotFound):
        actions.contact_update(actor=org.sysadmin, user_id=org.lead_staff.pk, mobile="13800138000")
    assert not PersonContact.objects.filter(user=org.lead_staff, mobile="13800138000").exists()
    assert not _events(EventType.USER_CONTACT_UPDATED)


@pytest.mark.parametrize("fields", [
    {"kinds": ["task_assigned", "no_such_kind"], "channels": ["sms"]},
    {"kinds": ["task_assigned"], "channels": ["sms", "carrier_pigeon"]},
])
def test_an_unknown_kind_or_channel_is_refused(org, fields):
    with pytest.raises(InvalidInput):
        actions.contact_update(actor=org.lead_staff, user_id=org.lead_staff.pk, mobile="13800138000", **fields)
    assert not PersonContact.objects.filter(user=org.lead_staff, mobile="13800138000").exists()
    assert not _events(EventType.USER_CONTACT_UPDATED)


# --- 4. 重点关注 ---------------------------------------------------------------------------------------------

def _watches():
    return sorted(TaskWatch.objects.values_list("user__username", "task_id", "active"))


def test_a_watch_is_the_leaders_own_on_that_task(org):
    leader2 = user_create(actor=org.system, username="leader2", password="x-Pass-12345", role="leader",
                          display_name="leader2")
    task = org.task_in("in_progress")
    other = org.task_in("accepted", title="整治校园周边交通秩序")
    assert actions.task_watch_set(actor=org.leader, task_id=task.pk, watching=True) is True
    assert _watches() == [("leader", task.pk, True)]
    # the same leader's second task is a second watch, active
    assert actions.task_watch_set(actor=org.leader, task_id=other.pk, watching=True) is True
    # another leader on the same task has a watch of their own
    assert actions.task_watch_set(actor=leader2, task_id=task.pk, watching=True) is True
    assert _watches() == sorted([("leader", task.pk, True), ("leader", other.pk, True), ("leader2", task.pk, True)])
    # unmarking one leaves the others
    assert actions.task_watch_set(actor=org.leader, task_id=other.pk, watching=False) is True
    assert actions.task_watch_set(actor=leader2, task_id=task.pk, watching=False) is True
    assert _watches() == sorted([("leader", task.pk, True), ("leader", other.pk, False),
                                 ("leader2", task.pk, False)])


# --- 5. 催办 --------------------------------------------------------------------------------------------------

def test_an_urge_message_has_at_most_500_characters(org):
    task = org.task_in("in_progress")
    with pytest.raises(InvalidInput):
        actions.task_urge(actor=org.supervisor, task_id=task.pk, message="催" * 501)
    assert not ReminderSent.objects.filter(task=task).exists() and not _events(EventType.TASK_URGED)
    reminder = actions.task_urge(actor=org.supervisor, task_id=task.pk, message="催" * 500)
    [event] = _events(EventType.TASK_URGED)
    assert event.extra["message"] == "催" * 500
    assert ReminderSent.objects.get(pk=reminder.pk).task_id == task.pk


def test_the_urge_records_the_tasks_light_on_its_day(org):
    task = place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31),
                      cycle="weekly", progress=30, reported=D(2025, 9, 1))
    day = D(2025, 9, 3)
    light = rolled_light(task, day).code
    assert light != rolled_light(task, D(2026, 2, 1)).code  # the day matters: long past the deadline it is red
    reminder = actions.task_urge(actor=org.supervisor, task_id=task.pk, message="请加快进度", today=day)
    stored = ReminderSent.objects.get(pk=reminder.pk)
    assert stored.light == light and stored.for_date == day
    [event] = _events(EventType.TASK_URGED)
    assert event.extra["light"] == light
