"""Effects the workflow's rules name and that no other test pinned down: a closed or withdrawn task cannot be
edited; a withdrawal is recorded under the person who withdrew; a withdrawal tells the lead unit's people and a
review tells the people of the unit that reported, no one else."""

import pytest

from duban.core.audit import EventType
from duban.core.errors import PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.tasks import actions
from duban.tasks.models import ProgressReport, Task, TaskStatus


def _told(kind) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.mark.parametrize("status", ["closed", "withdrawn"])
def test_a_finished_task_cannot_be_edited_and_a_refusal_leaves_no_trace(org, status):
    task = org.task_in(status)
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                            changes={"title": "改过的标题"})
    after = Task.objects.get(pk=task.pk)
    assert (after.title, after.version, after.status) == (task.title, task.version, status)
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("status", ["draft", "assigned", "in_progress"])
def test_an_unfinished_task_can_be_edited(org, status):
    task = org.task_in(status)
    actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version, changes={"title": "新标题"})
    assert Task.objects.get(pk=task.pk).title == "新标题"


def test_the_withdrawal_is_recorded_under_who_withdrew_and_tells_the_lead_unit(org):
    task = org.task_in("in_progress")
    actions.task_withdraw(actor=org.supervisor, task_id=task.pk, reason="重复立项")
    [event] = AuditEvent.objects.filter(event_type=EventType.TASK_WITHDRAWN)
    assert (event.actor_id, event.task_id, event.extra["reason"], event.extra["old_status"]) == (
        org.supervisor.pk, task.pk, "重复立项", "in_progress")
    assert _told("task_withdrawn") == ["lead_admin", "lead_staff"]  # not the cooperating unit, not the office
    assert Task.objects.get(pk=task.pk).status == TaskStatus.WITHDRAWN


def test_withdrawing_a_draft_tells_nobody(org):
    task = org.task_in("draft")
    actions.task_withdraw(actor=org.sysadmin, task_id=task.pk, reason="非督办事项")
    [event] = AuditEvent.objects.filter(event_type=EventType.TASK_WITHDRAWN)
    assert event.actor_id == org.sysadmin.pk
    assert _told("task_withdrawn") == []


def test_a_review_tells_the_unit_that_reported(org):
    task = org.task_in("accepted")
    coop = actions.report_submit(actor=org.coop_staff, task_id=task.pk, text="配合完成排查", progress_percent=40)
    lead = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已部署", progress_percent=50)
    actions.report_accept(actor=org.supervisor, report_id=coop.pk)
    assert _told("report_accepted") == ["coop_staff"]
    actions.report_return(actor=org.supervisor, report_id=lead.pk, reason="请补充数据")
    assert _told("report_returned") == ["lead_admin", "lead_staff"]
    [event] = AuditEvent.objects.filter(event_type=EventType.REPORT_RETURNED)
    assert (event.actor_id, event.report_id) == (org.supervisor.pk, lead.pk)
    assert ProgressReport.objects.get(pk=lead.pk).status == "returned"
