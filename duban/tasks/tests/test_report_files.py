"""A report's files as a reviewer sees them: a document (an Excel 台账) is a chip that says what it is, how large and
that it downloads, never an empty picture frame beside the photos; a photo's thumbnail is a small copy made once and
kept next to it, not the camera's original, which stays as it was uploaded."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from openpyxl import Workbook

from duban.conftest import login
from duban.core.files import open_file, storage
from duban.tasks import actions
from duban.tasks.models import ReportFile

pytestmark = pytest.mark.django_db


def _camera_photo() -> bytes:
    """A 3000×4000 photo, taken with the phone held upright (EXIF orientation 6: stored on its side)."""
    from PIL import Image

    image = Image.effect_noise((4000, 3000), 30).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def _ledger() -> bytes:
    book = Workbook()
    book.active.append(["序号", "问题", "整改情况"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def close_request(org, django_capture_on_commit_callbacks):
    task = org.task_in("accepted", title="出租自建房安全隐患排查整治")
    photo, ledger = _camera_photo(), _ledger()
    with django_capture_on_commit_callbacks(execute=True):  # the files reach their names when the report commits
        report = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="31处问题已全部整改到位。",
                                       progress_percent=100, request_close=True,
                                       evidence_text="附现场照片和整改台账。",
                                       files=[("现场.jpg", photo), ("整改台账.xlsx", ledger)])
    return task, report, photo, ledger


@pytest.mark.parametrize("page", ["/tasks/reports/pending/", "/tasks/{task}/"])
def test_a_document_is_a_chip_with_its_type_name_and_size_that_downloads(org, close_request, client, page):
    task, report, photo, ledger = close_request
    sheet = ReportFile.objects.get(report=report, name="整改台账.xlsx")
    login(client, org.supervisor)
    html = client.get(page.format(task=task.pk)).content.decode()
    chip = re.search(rf'<a href="/tasks/report-files/{sheet.pk}/\?download=1" download class="report-file file-chip"'
                     rf'.*?</a>', html, re.S)
    assert chip, html
    text = " ".join(re.sub(r"<[^>]+>", " ", chip.group(0)).split())
    assert text == f"XLSX 整改台账.xlsx {len(ledger) / 1024:.1f} KB · 下载"
    assert 'class="report-files d-flex flex-wrap align-items-start' in html  # not stretched to the photo's height


def test_a_photos_thumbnail_is_a_small_upright_copy_made_once_and_the_original_is_untouched(org, close_request,
                                                                                             client):
    from PIL import Image

    task, report, photo, ledger = close_request
    stored = ReportFile.objects.get(report=report, name="现场.jpg")
    login(client, org.supervisor)
    html = client.get("/tasks/reports/pending/").content.decode()
    assert (f'<img class="report-thumb img-thumbnail" src="/tasks/report-files/{stored.pk}/?thumb=1" alt="现场.jpg"'
            f' width="120" height="90" loading="lazy">') in html
    response = client.get(f"/tasks/report-files/{stored.pk}/?thumb=1")
    assert response.status_code == 200, (response.status_code, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))
    thumb = b"".join(response.streaming_content)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert len(thumb) < 60 * 1024 < len(photo)
    with Image.open(io.BytesIO(thumb)) as image:
        assert max(image.size) == 360 and image.size[1] > image.size[0]  # upright, as the phone was held
    with open_file(stored.storage_name) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == stored.sha256 == hashlib.sha256(photo).hexdigest()
    made = storage().get_modified_time(stored.storage_name + ".thumb.jpg")
    again = client.get(f"/tasks/report-files/{stored.pk}/?thumb=1")
    assert b"".join(again.streaming_content) == thumb
    assert storage().get_modified_time(stored.storage_name + ".thumb.jpg") == made
    original = client.get(f"/tasks/report-files/{stored.pk}/")
    assert b"".join(original.streaming_content) == photo
    # a document has no thumbnail: asked for one, the file itself
    sheet = ReportFile.objects.get(report=report, name="整改台账.xlsx")
    assert b"".join(client.get(f"/tasks/report-files/{sheet.pk}/?thumb=1").streaming_content) == ledger
