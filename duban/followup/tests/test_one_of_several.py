"""A decision names what it decides: the office deciding one extension request, or one 批示's deadline, among
several pending on other tasks decides that one only; the others still wait, and their tasks keep their
deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.followup import actions
from duban.followup.models import ExtensionRequest, ExtensionStatus, LeaderComment
from duban.tasks.models import Task
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db



def test_deciding_one_extension_request_leaves_the_others_pending(org):
    first, second, third = (org.task_in("in_progress", title=title) for title in ("整治燃气", "排查消防", "清理河道"))
    requests = [actions.extension_request(actor=org.lead_staff, task_id=task.pk, new_deadline=today_local() + dt.timedelta(
        days=60 + i), reason="资金未到位") for i, task in enumerate((first, second, third))]
    deadlines = {task.pk: task.deadline for task in (first, second, third)}

    actions.extension_approve(actor=org.supervisor, request_id=requests[1].pk)
    rows = {r.pk: r.status for r in ExtensionRequest.objects.all()}
    assert rows == {requests[0].pk: ExtensionStatus.PENDING, requests[1].pk: ExtensionStatus.APPROVED,
                    requests[2].pk: ExtensionStatus.PENDING}
    assert Task.objects.get(pk=second.pk).deadline == today_local() + dt.timedelta(days=61)
    assert Task.objects.get(pk=first.pk).deadline == deadlines[first.pk]

    actions.extension_reject(actor=org.supervisor, request_id=requests[2].pk, reason="理由不充分")
    actions.extension_approve(actor=org.supervisor, request_id=requests[0].pk)
    rows = {r.pk: r.status for r in ExtensionRequest.objects.all()}
    assert rows == {requests[0].pk: ExtensionStatus.APPROVED, requests[1].pk: ExtensionStatus.APPROVED,
                    requests[2].pk: ExtensionStatus.REJECTED}
    assert Task.objects.get(pk=first.pk).deadline == today_local() + dt.timedelta(days=60)
    assert Task.objects.get(pk=third.pk).deadline == deadlines[third.pk]


def test_confirming_one_leaders_deadline_leaves_the_others_pending(org):
    first, second, third = (org.task_in("in_progress", title=title) for title in ("整治燃气", "排查消防", "清理河道"))
    comments = [actions.task_comment(actor=org.leader, task_id=task.pk, text="请抓紧办理",
                                     deadline=today_local() + dt.timedelta(days=10 + i))
                for i, task in enumerate((first, second, third))]
    deadlines = {task.pk: task.deadline for task in (first, second, third)}

    actions.deadline_change_confirm(actor=org.supervisor, comment_id=comments[1].pk)
    assert {c.pk: c.deadline_status for c in LeaderComment.objects.all()} == {
        comments[0].pk: "pending", comments[1].pk: "confirmed", comments[2].pk: "pending"}
    assert Task.objects.get(pk=second.pk).deadline == today_local() + dt.timedelta(days=11)
    assert Task.objects.get(pk=first.pk).deadline == deadlines[first.pk]

    actions.deadline_change_decline(actor=org.supervisor, comment_id=comments[2].pk, reason="排查需要时间")
    actions.deadline_change_confirm(actor=org.supervisor, comment_id=comments[0].pk)
    assert {c.pk: c.deadline_status for c in LeaderComment.objects.all()} == {
        comments[0].pk: "confirmed", comments[1].pk: "confirmed", comments[2].pk: "declined"}
    assert Task.objects.get(pk=first.pk).deadline == today_local() + dt.timedelta(days=10)
    assert Task.objects.get(pk=third.pk).deadline == deadlines[third.pk]
