"""Two supervisors decide one extension request at the same moment (threads, real PostgreSQL connections): the
task is locked first and the request changes only while pending, so exactly one decision is recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.audit import EventType, audit_verify
from duban.core.errors import Conflict
from duban.core.models import AuditEvent
from duban.followup.actions import extension_approve, extension_reject, extension_request
from duban.followup.models import ExtensionRequest, ExtensionStatus
from duban.tasks.tests.test_concurrency import needs_postgres, race_behind_task_lock

pytestmark = [pytest.mark.django_db(transaction=True)]


@needs_postgres
def test_approve_and_reject_at_once_record_exactly_one_decision(org):
    task = org.task_in("in_progress")
    request = extension_request(actor=org.lead_staff, task_id=task.pk, new_deadline=task.deadline + dt.timedelta(30),
                                reason="汛期施工受阻")
    decide = [lambda: extension_approve(actor=org.supervisor, request_id=request.pk, comment="同意"),
              lambda: extension_reject(actor=org.supervisor, request_id=request.pk, reason="理由不充分")]
    results = race_behind_task_lock(task.pk, *decide)

    kinds = [kind for kind, _ in results]
    assert sorted(kinds) == ["error", "ok"], results
    assert isinstance(results[kinds.index("error")][1], Conflict)
    request.refresh_from_db()
    task.refresh_from_db()
    approved = kinds[0] == "ok"
    assert request.status == (ExtensionStatus.APPROVED if approved else ExtensionStatus.REJECTED)
    assert (task.deadline == request.new_deadline) is approved
    decisions = AuditEvent.objects.filter(event_type__in=[EventType.TASK_EXTENSION_APPROVED,
                                                          EventType.TASK_EXTENSION_REJECTED])
    assert decisions.count() == 1
    assert ExtensionRequest.objects.filter(task=task).count() == 1
    assert audit_verify() == []
