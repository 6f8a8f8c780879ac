"""Files follow their transaction (``duban.core.files``): written under a temporary name, moved into place on commit,
deleted on rollback, through Django's storage API; types told by content. The commit and rollback cases run with
real transactions (``transactional_db``), so on-commit work runs exactly as in production."""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.db import transaction

from duban.conftest import login, use_data_dir
from duban.core import files
from duban.core.errors import InvalidInput
from duban.tasks.models import ReportFile, Task

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"0" * 32


@pytest.fixture
def data_dir(settings, tmp_path):
    return use_data_dir(settings, tmp_path)


def _all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".sqlite3")


@files.files_follow_transaction
@transaction.atomic(durable=True)
def _stage_then(name: str, content: bytes, *, fail: bool) -> str:
    stored = files.stage_file(name, content)
    if fail:
        raise InvalidInput("失败", "failed after writing the file")
    return stored


def test_a_committed_file_moves_into_place_and_leaves_no_temporary(transactional_db, data_dir):
    name = _stage_then("reports/1/a.pdf", PDF, fail=False)
    assert (data_dir / name).read_bytes() == PDF
    assert _all_files(data_dir) == ["reports/1/a.pdf"]


def test_a_rolled_back_file_is_deleted(transactional_db, data_dir):
    with pytest.raises(InvalidInput):
        _stage_then("reports/1/b.pdf", PDF, fail=True)
    assert _all_files(data_dir) == []


def test_staging_outside_a_file_following_action_is_refused(db):
    with pytest.raises(RuntimeError):
        files.stage_file("x/y.pdf", PDF)


def test_a_failed_close_request_leaves_no_file_and_no_half_changed_task(transactional_db, data_dir):
    """The second file is refused after the first was read: nothing is written, the task stays 办理中."""
    from duban.conftest import Org
    from duban.tasks.actions import report_submit

    org = Org()
    task = org.task_in("in_progress")
    with pytest.raises(InvalidInput):
        report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成", progress_percent=100, request_close=True,
                      files=[("照片.jpg", JPEG), ("脚本.jpg", b"#!/bin/sh\nrm -rf /\n")])
    assert Task.objects.get(pk=task.pk).status == "in_progress" and ReportFile.objects.count() == 0
    assert _all_files(data_dir) == []


def test_a_150_character_chinese_evidence_name_is_kept_and_stored(client, transactional_db, data_dir):
    """Such a name once made the file system refuse the file after the task had moved to 申请办结 (a 500 and a task
    with no evidence). The stored name is random now; the given name is shown."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.conftest import Org

    org = Org()
    task = org.task_in("in_progress")
    long_name = "关于市应急管理局燃气安全隐患排查整治工作完成情况的报告" * 6
    long_name = long_name[:150] + ".pdf"
    login(client, org.lead_staff)
    response = client.post(f"/followup/tasks/{task.pk}/close-request/", {
        "text": "已完成", "files": SimpleUploadedFile(long_name, PDF, content_type="application/pdf")})
    assert response.status_code == 302
    assert Task.objects.get(pk=task.pk).status == "close_requested"
    stored = ReportFile.objects.get()
    assert stored.name == long_name
    assert (data_dir / stored.storage_name).read_bytes() == PDF and len(Path(stored.storage_name).name) < 64
    response = client.get(f"/tasks/report-files/{stored.pk}/")
    assert b"".join(response.streaming_content) == PDF


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("content,name,expected", [
    (JPEG, "x.txt", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, "x", "image/png"),
    (PDF, "", "application/pdf"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "IMG_0001.HEIC", "image/heic"),
    (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "photo.webp", "image/webp"),
    (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "a.docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}), "a.bin",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "旧文件.doc", "application/msword"),
])
def test_types_are_told_by_content(content, name, expected):
    assert files.sniff_type(content, name)[0] == expected


@pytest.mark.parametrize("content,name", [
    (b"<script>alert(1)</script>", "photo.jpg"),
    (_zip({"evil.sh": b"rm -rf /"}), "a.docx"),  # a zip that is no Office file
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16, "macro.exe"),
    (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"0" * (files._ZIP_MAX_UNPACKED + 1)}),
     "bomb.docx"),
])
def test_other_content_is_refused(content, name):
    with pytest.raises(InvalidInput):
        files.check_upload(name, content, limit=10 * 1024 * 1024)


def test_size_limit_is_inclusive():
    assert files.check_upload("a.pdf", PDF, limit=len(PDF)).size == len(PDF)
    with pytest.raises(InvalidInput):
        files.check_upload("a.pdf", PDF, limit=len(PDF) - 1)


def test_display_name_drops_folders_and_keeps_the_suffix():
    assert files.display_name("../../etc/passwd", ".pdf") == "passwd"
    assert files.display_name("C:\\Users\\李\\验收.pdf", ".pdf") == "验收.pdf"
    shown = files.display_name("长" * 300 + ".docx", ".docx")
    assert len(shown) == files.NAME_LIMIT and shown.endswith(".docx")
    assert files.display_name("", ".jpg") == "附件.jpg"


def test_sweep_removes_only_stale_temporaries(db, data_dir):
    (data_dir / "tmp").mkdir()
    old, fresh = data_dir / "tmp" / "old", data_dir / "tmp" / "fresh"
    old.write_bytes(b"1")
    fresh.write_bytes(b"2")
    two_days_ago = (dt.datetime.now() - dt.timedelta(days=2)).timestamp()
    os.utime(old, (two_days_ago, two_days_ago))
    assert files.sweep_stale() == 1
    assert not old.exists() and fresh.exists()
