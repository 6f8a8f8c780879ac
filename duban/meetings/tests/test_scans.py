"""Scans and photos of a communique: the upload is queued, the worker recognises its text page by page, the
clerk checks it beside the image and imports it; the same through the API; cancelling; bad scans refused."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.models import AuditEvent
from duban.meetings import actions
from duban.meetings.models import Meeting, ScanJob, ScanStatus

LINES = ["市委常委会召开会议", "会议强调，要全面排查整治燃气安全隐患。", "会议要求，要做好今冬明春防汛抗旱工作。"]


def photo() -> bytes:
    """A small "photo" of a communique: black Chinese text on white, as a phone would take it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 36)
    image = Image.new("RGB", (900, 60 + 70 * len(LINES)), "white")
    draw = ImageDraw.Draw(image)
    for n, line in enumerate(LINES):
        draw.text((40, 30 + 70 * n), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _events(kind) -> int:
    return AuditEvent.objects.filter(event_type=int(kind)).count()


@pytest.mark.slow
def test_a_photo_is_recognised_checked_and_imported(client, org):
    login(client, org.supervisor)
    response = client.post("/meetings/import/", {"upload": SimpleUploadedFile("photo.png", photo()), "year": 2026})
    job = ScanJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/scans/{job.pk}/"
    assert job.status == ScanStatus.QUEUED and _events(EventType.SCAN_QUEUED) == 1
    page = client.get(f"/meetings/scans/{job.pk}/")
    assert "等待识别程序处理" in page.content.decode() and 'hx-trigger="every 2s"' in page.content.decode()

    assert actions.scan_jobs_run() == 1  # the worker's step
    job.refresh_from_db()
    assert job.status == ScanStatus.DONE and (job.pages_done, job.pages_total) == (1, 1)
    recognised = "".join(job.text.split())
    assert "排查整治燃气安全隐患" in recognised and "防汛抗旱" in recognised
    assert _events(EventType.SCAN_RECOGNISED) == 1
    done = client.get(f"/meetings/scans/{job.pk}/progress/")
    assert done["HX-Refresh"] == "true"
    page = client.get(f"/meetings/scans/{job.pk}/").content.decode()
    assert 'id="scan-text"' in page and f"/meetings/scans/{job.pk}/pages/0.png" in page
    image = client.get(f"/meetings/scans/{job.pk}/pages/0.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png" and image.content[:4] == b"\x89PNG"

    checked = "\n".join(LINES)  # the clerk's corrections are what is imported
    response = client.post(f"/meetings/scans/{job.pk}/", {"text": checked, "year": "2026"})
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.source_text == checked and meeting.source_name == "photo.png"
    assert meeting.tasks.count() == 2
    job.refresh_from_db()
    assert job.status == ScanStatus.IMPORTED and job.meeting_id == meeting.pk
    [imported] = AuditEvent.objects.filter(event_type=EventType.SCAN_IMPORTED)
    assert imported.meeting_id == meeting.pk and imported.extra["scan_job_id"] == job.pk
    again = client.post(f"/meetings/scans/{job.pk}/", {"text": checked})
    assert "已导入" in again.content.decode() and Meeting.objects.count() == 1


@pytest.mark.slow
def test_the_api_queues_a_scan_and_imports_its_checked_text(client, org):
    login(client, org.supervisor)
    response = client.post("/api/v1/meetings/upload", {"file": SimpleUploadedFile("scan.png", photo())})
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    actions.scan_jobs_run()
    body = client.get(f"/api/v1/meetings/scans/{job_id}").json()
    assert body["status"] == "done" and "燃气" in body["text"]
    imported = client.post(f"/api/v1/meetings/scans/{job_id}/import",
                           json.dumps({"text": "\n".join(LINES), "year": 2026}), content_type="application/json")
    assert imported.status_code == 201 and imported.json()["task_count"] == 2


def test_cancelled_scans_are_not_run_and_cannot_be_imported(client, org):
    job = actions.scan_job_create(actor=org.supervisor, data=photo(), filename="photo.png", kind="png")
    actions.scan_job_cancel(actor=org.supervisor, job_id=job.pk)
    assert actions.scan_jobs_run() == 0
    job.refresh_from_db()
    assert job.status == ScanStatus.CANCELLED and _events(EventType.SCAN_CANCELLED) == 1
    login(client, org.supervisor)
    response = client.post(f"/api/v1/meetings/scans/{job.pk}/import", json.dumps({"text": "x"}),
                           content_type="application/json")
    assert response.status_code == 409 and not Meeting.objects.exists()


def test_scans_are_the_offices(client, org):
    job = actions.scan_job_create(actor=org.supervisor, data=photo(), filename="photo.png", kind="png")
    login(client, org.lead_staff)
    assert client.get(f"/meetings/scans/{job.pk}/").status_code == 404
    assert client.get(f"/api/v1/meetings/scans/{job.pk}").status_code == 404


@pytest.mark.parametrize("name, data", [
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
    ("lies.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
])
def test_bad_scans_are_refused_at_once(client, org, name, data):
    login(client, org.supervisor)
    response = client.post("/meetings/import/", {"upload": SimpleUploadedFile(name, data)})
    assert response.status_code == 200 and 'id="import-error"' in response.content.decode()
    assert not ScanJob.objects.exists()


def test_a_job_left_running_by_a_dead_worker_is_taken_up_again(org):
    import datetime as dt

    from django.utils import timezone

    job = actions.scan_job_create(actor=org.supervisor, data=b"not an image", filename="x.png", kind="png")
    ScanJob.objects.filter(pk=job.pk).update(status=ScanStatus.RUNNING,
                                             started_at=timezone.now() - dt.timedelta(hours=1))
    assert actions.scan_jobs_run() == 1
    job.refresh_from_db()
    assert job.status == ScanStatus.FAILED and "图片" in job.error  # taken up, then refused as unreadable
