"""The office's actions after 交办 over JSON: the same actions as the task page, the same refusals."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from duban.core.audit import EventType
from duban.core.models import AuditEvent
from duban.followup.models import SupervisionNotice
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


def _post(client, user, url, data=None):
    client.force_login(user)
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def test_reassign_and_deadline_over_json(client, org):
    task = org.task_in("accepted")
    r = _post(client, org.supervisor, f"/api/v1/tasks/{task.pk}/reassign",
              {"version": task.version, "lead_unit_id": org.other.pk, "coop_unit_ids": [], "reason": "职责调整"})
    assert r.status_code == 200 and r.json()["status"] == TaskStatus.ASSIGNED
    task = Task.objects.get(pk=task.pk)
    assert task.lead_unit_id == org.other.pk
    new = (dt.date.today() + dt.timedelta(days=50)).isoformat()
    r = _post(client, org.supervisor, f"/api/v1/tasks/{task.pk}/deadline",
              {"version": task.version, "deadline": new, "reason": "统筹"})
    assert r.status_code == 200 and r.json()["deadline"] == new
    past = _post(client, org.supervisor, f"/api/v1/tasks/{task.pk}/deadline",
                 {"version": task.version + 1, "deadline": "2020-01-01", "reason": "x"})
    assert past.status_code == 422 and "早于今天" in past.json()["message"] and past.json()["message_en"]
    assert [e.event_type for e in AuditEvent.objects.filter(task=task).order_by("id")][-2:] == [
        EventType.TASK_REASSIGNED, EventType.TASK_DEADLINE_ADJUSTED]


def test_urge_and_notice_over_json(client, org):
    task = org.task_in("in_progress")
    r = _post(client, org.supervisor, f"/api/v1/tasks/{task.pk}/urge", {"message": "请加快"})
    assert r.status_code == 201 and r.json()["reason"] == "请加快" and r.json()["stage"] == "remind"
    r = _post(client, org.supervisor, f"/api/v1/tasks/{task.pk}/supervision-notices")
    assert r.status_code == 201
    assert SupervisionNotice.objects.get(pk=r.json()["id"]).task_id == task.pk
    refused = _post(client, org.lead_admin, f"/api/v1/tasks/{task.pk}/urge", {"message": "x"})
    assert refused.status_code == 403
