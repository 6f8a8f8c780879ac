import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.conftest import login
from duban.followup.models import Delivery, ExtensionRequest, SupervisionNotice
from duban.followup.reminders import reminders_run
from duban.followup.queueing import deliveries_enqueue
from duban.followup.tests.conftest import place_task
from duban.tasks.models import ReportFile, Task

D = dt.date


@pytest.fixture
def overdue(org):
    return place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31), progress=30)


def test_task_light(client, org, overdue):
    login(client, org.lead_staff)
    body = client.get(f"/api/v1/tasks/{overdue.pk}/light?today=2026-01-05").json()
    assert (body["code"], body["label"], body["overdue_days"]) == ("red", "红灯", 5)
    login(client, org.other_staff)
    assert client.get(f"/api/v1/tasks/{overdue.pk}/light").status_code == 404


def test_lights_list_is_scoped_and_filtered(client, org, overdue):
    place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2026, 6, 30), progress=80)
    login(client, org.supervisor)
    items = client.get("/api/v1/lights?today=2026-01-05").json()["items"]
    assert [i["code"] for i in items] == ["red", "green"]
    assert [i["task_id"] for i in client.get("/api/v1/lights?code=red&today=2026-01-05").json()["items"]] == [
        overdue.pk]
    login(client, org.other_staff)
    assert client.get("/api/v1/lights").json()["items"] == []


def test_reminders_and_notice_download(client, org, overdue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reminders_run(today=D(2026, 1, 5))
    notice = SupervisionNotice.objects.get()
    login(client, org.lead_staff)
    [row] = client.get(f"/api/v1/tasks/{overdue.pk}/reminders").json()
    assert (row["stage"], row["notice_id"]) == ("escalate", notice.pk)
    response = client.get(f"/api/v1/supervision-notices/{notice.pk}")
    # Reading a download to its end closes it. An explicit response.close() would fire request_finished again,
    # outside the test client's guard, and Django would close the test's PostgreSQL connection.
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"
    response = client.get(f"/followup/notices/{notice.pk}/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content)[:2] == b"PK"
    login(client, org.other_staff)
    assert client.get(f"/api/v1/supervision-notices/{notice.pk}").status_code == 404
    assert client.get(f"/followup/notices/{notice.pk}/").status_code == 404
    assert client.get(f"/api/v1/tasks/{overdue.pk}/reminders").status_code == 404


def test_extension_over_the_api(client, org, overdue):
    login(client, org.lead_staff)
    response = client.post(f"/api/v1/tasks/{overdue.pk}/extensions",
                           {"new_deadline": "2027-06-30", "reason": "资金未到位"}, content_type="application/json")
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    assert client.post(f"/api/v1/extensions/{request_id}/approve", {}, content_type="application/json"
                       ).status_code == 403
    login(client, org.supervisor)
    version = Task.objects.get(pk=overdue.pk).version
    response = client.post(f"/api/v1/extensions/{request_id}/approve", {"version": version - 1},
                           content_type="application/json")
    assert response.status_code == 409
    response = client.post(f"/api/v1/extensions/{request_id}/approve", {"version": version},
                           content_type="application/json")
    assert response.json()["status"] == "approved"
    assert Task.objects.get(pk=overdue.pk).deadline == D(2027, 6, 30)
    login(client, org.other_staff)
    assert client.get(f"/api/v1/tasks/{overdue.pk}/extensions").status_code == 404


def test_close_request_with_evidence_over_the_api(client, org, django_capture_on_commit_callbacks):
    task = org.task_in("in_progress")
    login(client, org.lead_staff)
    response = client.post(f"/api/v1/tasks/{task.pk}/close-request", {"text": "已完成"})
    assert response.status_code == 422 and response.json()["message_en"].startswith("a completion request needs")
    pdf = SimpleUploadedFile("验收报告.pdf", b"%PDF-1.7 the report", content_type="application/pdf")
    photo = SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff a photo", content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/tasks/{task.pk}/close-request",
                               {"text": "已完成", "evidence_text": "现场照片", "files": [pdf, photo]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [f["name"] for f in body["files"]] == ["验收报告.pdf", "现场.jpg"]
    assert body["files"][0]["size"] == len(b"%PDF-1.7 the report") and body["evidence_text"] == "现场照片"
    assert Task.objects.get(pk=task.pk).status == "close_requested"
    stored = ReportFile.objects.get(pk=body["files"][0]["id"])
    response = client.get(f"/tasks/report-files/{stored.pk}/")
    assert b"".join(response.streaming_content) == b"%PDF-1.7 the report"
    assert response["Content-Disposition"].startswith("inline")  # PDFs open in the browser


def test_close_request_files_show_in_the_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    body = schema["paths"]["/api/v1/tasks/{task_id}/close-request"]["post"]["requestBody"]["content"]
    form = body["multipart/form-data"]["schema"]
    ref = form.get("$ref")
    props = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"] if ref else form["properties"]
    assert props["files"]["type"] == "array" and props["files"]["items"]["format"] == "binary"


def test_deliveries_are_the_sysadmins(client, org, overdue):
    from django.contrib.auth import get_user_model

    deliveries_enqueue()  # the assignment's notifications, before anyone has an address
    get_user_model().objects.filter(pk=org.lead_admin.pk).update(email="head@example.org")
    reminders_run(today=D(2026, 1, 5))
    deliveries_enqueue()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(status="dead", attempts=6)
    login(client, org.supervisor)
    assert client.get("/api/v1/deliveries").status_code == 403
    assert client.get("/followup/deliveries/").status_code == 403
    assert client.post(f"/api/v1/deliveries/{delivery.pk}/retry").status_code == 404
    login(client, org.sysadmin)
    assert [d["status"] for d in client.get("/api/v1/deliveries").json()["items"]] == ["dead"]
    page = client.get("/followup/deliveries/")
    assert page.status_code == 200 and "head@example.org" in page.content.decode()
    response = client.post(f"/api/v1/deliveries/{delivery.pk}/retry")
    assert response.json()["status"] == "pending" and response.json()["attempts"] == 0
    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    assert AuditEvent.objects.filter(event_type=EventType.DELIVERY_RETRIED, actor=org.sysadmin).count() == 1
    assert not ExtensionRequest.objects.exists()
