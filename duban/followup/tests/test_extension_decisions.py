"""An extension request is decided once: the stored row says how, by whom, when and why; deciding it again the
same way changes nothing, the other way is refused; and a decision taken from a request read before another
reviewer decided it (two reviews at once) records nothing of its own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from duban.core.audit import EventType
from duban.core.errors import Conflict
from duban.core.models import AuditEvent
from duban.followup import actions
from duban.followup.models import ExtensionRequest, ExtensionStatus
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db


def new_deadline() -> dt.date:
    return today_local() + dt.timedelta(days=90)


def requested(org) -> ExtensionRequest:
    task = org.task_in("in_progress")
    return actions.extension_request(actor=org.lead_staff, task_id=task.pk, new_deadline=new_deadline(),
                                     reason="资金未到位")


def decisions(request) -> int:
    return AuditEvent.objects.filter(task_id=request.task_id, event_type__in=[
        EventType.TASK_EXTENSION_APPROVED, EventType.TASK_EXTENSION_REJECTED]).count()


def test_an_approval_is_stored_with_who_when_and_why_and_once(org):
    request = requested(org)
    before = timezone.now()
    actions.extension_approve(actor=org.supervisor, request_id=request.pk, comment="同意，务必按期完成")
    row = ExtensionRequest.objects.get(pk=request.pk)
    assert (row.status, row.decided_by, row.decision_comment) == (ExtensionStatus.APPROVED, org.supervisor,
                                                                 "同意，务必按期完成")
    assert before <= row.decided_at <= timezone.now()
    assert row.task.deadline == new_deadline() and decisions(request) == 1
    actions.extension_approve(actor=org.supervisor, request_id=request.pk)  # again: nothing changes
    assert decisions(request) == 1 and ExtensionRequest.objects.get(pk=request.pk).decided_at == row.decided_at
    with pytest.raises(Conflict):
        actions.extension_reject(actor=org.supervisor, request_id=request.pk, reason="改变主意")
    assert ExtensionRequest.objects.get(pk=request.pk).status == ExtensionStatus.APPROVED and decisions(request) == 1


def test_a_rejection_is_stored_with_its_reason_and_the_deadline_stays(org):
    request = requested(org)
    deadline = request.task.deadline
    actions.extension_reject(actor=org.sysadmin, request_id=request.pk, reason="理由不充分")
    row = ExtensionRequest.objects.get(pk=request.pk)
    assert (row.status, row.decided_by, row.decision_comment) == (ExtensionStatus.REJECTED, org.sysadmin,
                                                                 "理由不充分")
    assert row.decided_at is not None and row.task.deadline == deadline and decisions(request) == 1


def test_a_decision_from_a_request_read_before_another_was_taken_records_nothing(org):
    request = requested(org)
    stale = ExtensionRequest.objects.get(pk=request.pk)  # read while pending, as a second reviewer's page was
    actions.extension_reject(actor=org.supervisor, request_id=request.pk, reason="理由不充分")
    decided = ExtensionRequest.objects.get(pk=request.pk)
    assert actions._decide_in_txn(stale, ExtensionStatus.REJECTED, actor=org.sysadmin, comment="另一意见") is False
    with pytest.raises(Conflict) as during:
        actions._decide_in_txn(stale, ExtensionStatus.APPROVED, actor=org.sysadmin, comment="同意")
    row = ExtensionRequest.objects.get(pk=request.pk)
    assert (row.status, row.decided_by, row.decision_comment, row.decided_at) == (
        ExtensionStatus.REJECTED, org.supervisor, "理由不充分", decided.decided_at)
    # the second reviewer is told what one told after the decision is: it was decided, in Chinese and English
    with pytest.raises(Conflict) as after:
        actions.extension_approve(actor=org.sysadmin, request_id=request.pk)
    told = (during.value.message_zh, during.value.message_en)
    assert told == (after.value.message_zh, after.value.message_en) and "已审批" in told[0] and "decided" in told[1]


def test_a_township_cannot_ask_for_a_deadline_past_its_parents_which_nobody_could_approve(org, client):
    """A sub-task's extension may not go past its parent task's deadline (the rule its approval applies): the
    request is refused at the form, naming the parent's deadline, and nothing waits to be approved; a date within
    it is asked for and approved by the district's 督查室 that issued the part."""
    from duban.conftest import login
    from duban.tasks import actions as task_actions
    from duban.tasks.models import Task
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    part, _part2 = lv.split(org.supervisor, lv.city_task(days=60), lv.district, lv.district2)
    (town,) = lv.split(lv.district_sup, part, lv.town_a, days=20)
    task_actions.task_accept(actor=lv.town_a_staff, task_id=town.pk)
    parent_deadline = Task.objects.get(pk=part.pk).deadline
    too_late = parent_deadline + dt.timedelta(days=5)
    login(client, lv.town_a_staff)
    page = client.post(f"/followup/tasks/{town.pk}/extension/",
                       {"new_deadline": too_late.isoformat(), "reason": "房主在外地"}, follow=True).content.decode()
    assert f"晚于上级任务时限 {parent_deadline.isoformat()}" in page and "延期申请已提交" not in page
    assert not ExtensionRequest.objects.filter(task_id=town.pk).exists()
    assert not AuditEvent.objects.filter(task_id=town.pk, event_type=EventType.TASK_EXTENSION_REQUESTED).exists()
    within = parent_deadline - dt.timedelta(days=1)
    request = actions.extension_request(actor=lv.town_a_staff, task_id=town.pk, new_deadline=within,
                                        reason="房主在外地")
    actions.extension_approve(actor=lv.district_sup, request_id=request.pk)
    assert Task.objects.get(pk=town.pk).deadline == within


def test_an_extension_is_asked_for_only_once_the_task_is_signed_for(org, client):
    """Before 签收 the lead unit has not taken the task on (it may 退回 it, saying why): no 申请延期 form, and a
    request is refused, saying to sign first; once signed, the form is there."""
    from duban.conftest import login
    from duban.tasks import actions as task_actions

    task = org.task_in("assigned")
    login(client, org.lead_staff)
    assert 'id="extension-form"' not in client.get(f"/tasks/{task.pk}/").content.decode()
    with pytest.raises(Conflict) as caught:
        actions.extension_request(actor=org.lead_staff, task_id=task.pk, new_deadline=new_deadline(), reason="资金未到位")
    assert "签收" in caught.value.message_zh
    assert not ExtensionRequest.objects.filter(task_id=task.pk).exists()
    task_actions.task_accept(actor=org.lead_staff, task_id=task.pk)
    assert 'id="extension-form"' in client.get(f"/tasks/{task.pk}/").content.decode()
