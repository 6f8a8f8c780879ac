"""The JSON API over tasks and reports: same rules as the pages, 404 for what a unit may not see."""

from __future__ import annotations

import json

import pytest

from duban.core.actions import api_token_create
from duban.tasks.models import ProgressReport, TaskStatus

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def test_unit_lists_only_its_tasks(client, org):
    mine = org.task_in("assigned")
    theirs = org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[])
    response = client_for(client, org.lead_staff).get("/api/v1/tasks")
    assert response.status_code == 200
    ids = [t["id"] for t in response.json()["items"]]
    assert ids == [mine.pk]
    assert client.get(f"/api/v1/tasks/{theirs.pk}").status_code == 404
    assert client.get(f"/api/v1/tasks/{mine.pk}").json()["lead_unit"] == "市应急管理局"


def test_unit_cannot_act_on_another_units_task(client, org):
    theirs = org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[])
    c = client_for(client, org.lead_staff)
    assert c.post(f"/api/v1/tasks/{theirs.pk}/accept").status_code == 404
    assert c.post(f"/api/v1/tasks/{theirs.pk}/reports", json.dumps({"text": "x", "progress_percent": 10}),
                  content_type="application/json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == TaskStatus.ASSIGNED


def test_filters_and_pagination(client, org):
    for _ in range(3):
        org.task_in("assigned")
    org.task_in("accepted")
    c = client_for(client, org.supervisor)
    body = c.get("/api/v1/tasks", {"status": "accepted"}).json()
    assert body["count"] == 1
    body = c.get("/api/v1/tasks", {"unit_id": org.health.pk}).json()  # cooperating unit matches too
    assert body["count"] == 4
    body = c.get("/api/v1/tasks", {"area_id": org.area_health.pk}).json()
    assert body["count"] == 0


def test_overdue_filter(client, org):
    import datetime as dt

    late = org.task_in("assigned", deadline=dt.date.today() - dt.timedelta(days=3))
    org.task_in("assigned")
    body = client_for(client, org.supervisor).get("/api/v1/tasks", {"overdue": "true"}).json()
    assert [t["id"] for t in body["items"]] == [late.pk]


def test_whole_loop_over_the_api_with_tokens(client, org):
    task = org.task_in("assigned")
    staff_token = api_token_create(actor=org.lead_staff, name="ci")
    office_token = api_token_create(actor=org.supervisor, name="ci")

    def call(method, path, token, body=None):
        return getattr(client, method)(path, json.dumps(body) if body is not None else None,
                                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert call("post", f"/api/v1/tasks/{task.pk}/accept", staff_token).json()["status"] == "accepted"
    response = call("post", f"/api/v1/tasks/{task.pk}/reports", staff_token,
                    {"text": "已完成整治", "progress_percent": 100, "request_close": True,
                     "evidence_text": "整治前后照片已存档"})
    assert response.status_code == 201
    report_id = response.json()["id"]
    assert call("post", f"/api/v1/reports/{report_id}/accept", staff_token, {}).status_code == 403
    assert call("post", f"/api/v1/reports/{report_id}/accept", office_token, {"comment": "同意"}).status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert ProgressReport.objects.get(pk=report_id).review_comment == "同意"


def test_bad_token_and_anonymous_are_401(client, org):
    assert client.get("/api/v1/tasks").status_code == 401
    response = client.get("/api/v1/tasks", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_stale_version_is_409_with_chinese_message(client, org):
    task = org.draft_task()
    c = client_for(client, org.supervisor)
    ok = c.patch(f"/api/v1/tasks/{task.pk}", json.dumps({"version": task.version, "title": "改名一"}),
                 content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == task.version + 1
    stale = c.patch(f"/api/v1/tasks/{task.pk}", json.dumps({"version": task.version, "title": "改名二"}),
                    content_type="application/json")
    assert stale.status_code == 409
    assert "他人修改" in stale.json()["message"]


def test_meeting_import_over_api_detects_duplicates(client, org):
    from duban.demo.loader import demo_communique

    c = client_for(client, org.supervisor)
    body = json.dumps({"text": demo_communique()})
    first = c.post("/api/v1/meetings", body, content_type="application/json")
    assert first.status_code == 201
    again = c.post("/api/v1/meetings", body, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["details"]["existing_meeting_id"] == first.json()["id"]
    assert client_for(client, org.lead_staff).get(f"/api/v1/meetings/{first.json()['id']}").status_code == 404


def test_upload_rejects_binary_and_writes_nothing(client, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.meetings.models import Meeting

    c = client_for(client, org.supervisor)
    response = c.post("/api/v1/meetings/upload", {"file": SimpleUploadedFile("x.txt", bytes(range(256)) * 50)})
    assert response.status_code == 422
    assert response.json()["message"]
    assert Meeting.objects.count() == 0


def test_meeting_responses_count_their_tasks(client, org):
    """Create, read and confirm answer with the meeting's real task count, as the list does."""
    c = client_for(client, org.supervisor)
    text = "市委常委会召开会议\n会议强调，要做好防汛工作。\n会议要求，要抓好安全生产。\n"
    created = c.post("/api/v1/meetings", json.dumps({"text": text, "year": 2026}), content_type="application/json")
    assert created.status_code == 201 and created.json()["task_count"] == 2
    meeting_id = created.json()["id"]
    assert c.get(f"/api/v1/meetings/{meeting_id}").json()["task_count"] == 2
    from duban.tasks.models import Task

    Task.objects.filter(meeting_id=meeting_id).update(lead_unit=org.safety)
    confirmed = c.post(f"/api/v1/meetings/{meeting_id}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["task_count"] == 2
    listed = {m["id"]: m["task_count"] for m in c.get("/api/v1/meetings").json()["items"]}
    assert listed[meeting_id] == 2


def test_withdrawal_needs_a_reason(client, org):
    task = org.task_in("assigned")
    c = client_for(client, org.supervisor)
    response = c.post(f"/api/v1/tasks/{task.pk}/withdraw", json.dumps({"reason": "  "}),
                      content_type="application/json")
    assert response.status_code == 422 and response.json()["message_en"] == "a reason is required"
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED


def test_report_cycle_is_set_through_the_api(client, org):
    task = org.task_in("accepted")
    c = client_for(client, org.supervisor)
    body = {"version": task.version, "report_cycle": "workdays", "report_every": 5}
    response = c.patch(f"/api/v1/tasks/{task.pk}", json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    assert (response.json()["report_cycle"], response.json()["report_every"]) == ("workdays", 5)
    task.refresh_from_db()
    assert (task.report_cycle, task.report_every) == ("workdays", 5)
    for bad in ({"report_cycle": "hourly"}, {"report_cycle": "workdays", "report_every": 0},
                {"report_every": 100000}):
        stale = c.patch(f"/api/v1/tasks/{task.pk}", json.dumps({"version": task.version, **bad}),
                        content_type="application/json")
        assert stale.status_code == 422, bad
    task.refresh_from_db()
    assert (task.report_cycle, task.report_every) == ("workdays", 5)


def test_the_office_enters_a_units_progress_over_the_api(client, org):
    task = org.task_in("in_progress")
    body = json.dumps({"text": "电话报告：已完成八成", "progress_percent": 80, "for_unit": True})
    refused = client_for(client, org.lead_staff).post(f"/api/v1/tasks/{task.pk}/reports", body,
                                                      content_type="application/json")
    assert refused.status_code == 403
    response = client_for(client, org.supervisor).post(f"/api/v1/tasks/{task.pk}/reports", body,
                                                       content_type="application/json")
    assert response.status_code == 201
    out = response.json()
    assert out["entered_by_office"] is True and out["unit"] == "市应急管理局" and out["progress_percent"] == 80
    assert ProgressReport.objects.get(pk=out["id"]).author_id == org.supervisor.pk
    listed = client.get(f"/api/v1/tasks/{task.pk}/reports").json()
    assert [r["entered_by_office"] for r in listed] == [True, False]  # newest first; the unit's own is not
