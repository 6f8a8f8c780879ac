"""The data migration that moves completion evidence onto its report (one place for evidence): run with Django's
migration executor from the state before it, on a real database."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from duban.conftest import use_data_dir

# core at its latest: its later columns (NOT NULL) must exist in the state the old rows are written in
BEFORE = [("followup", "0001_reminders_deliveries_extensions"), ("tasks", "0007_participate_report_files"),
          ("core", "LEAF")]
AFTER = [("followup", "0002_participate_comments_watch_contacts")]


@pytest.mark.slow
def test_close_evidence_moves_onto_its_report(transactional_db, settings, tmp_path):
    use_data_dir(settings, tmp_path)
    executor = MigrationExecutor(connection)
    before = [(app, executor.loader.graph.leaf_nodes(app)[0][1] if name == "LEAF" else name) for app, name in BEFORE]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    User = apps.get_model("auth", "User")
    Unit = apps.get_model("core", "Unit")
    Task = apps.get_model("tasks", "Task")
    ProgressReport = apps.get_model("tasks", "ProgressReport")
    CloseEvidence = apps.get_model("followup", "CloseEvidence")
    user = User.objects.create(username="old_staff")
    unit = Unit.objects.create(name="市应急管理局", path="/1/")
    task = Task.objects.create(title="旧事项", text="旧事项。", lead_unit=unit, status="close_requested",
                               created_by=user)
    with_file = ProgressReport.objects.create(task=task, unit=unit, author=user, text="已完成", request_close=True)
    text_only = ProgressReport.objects.create(task=task, unit=unit, author=user, text="已完成", request_close=True)
    stored = default_storage.save("evidence/1/1-abcd-验收.pdf", ContentFile(b"%PDF-1.4 old evidence"))
    CloseEvidence.objects.create(report=with_file, text="验收报告", file_name="验收.pdf", file_path=stored,
                                 added_by=user)
    CloseEvidence.objects.create(report=text_only, text="现场已复查", added_by=user)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    ProgressReport = apps.get_model("tasks", "ProgressReport")
    ReportFile = apps.get_model("tasks", "ReportFile")
    assert ProgressReport.objects.get(pk=with_file.pk).evidence_text == "验收报告"
    assert ProgressReport.objects.get(pk=text_only.pk).evidence_text == "现场已复查"
    [moved] = ReportFile.objects.all()
    assert (moved.report_id, moved.name, moved.storage_name) == (with_file.pk, "验收.pdf", stored)
    assert moved.content_type == "application/pdf" and moved.size == len(b"%PDF-1.4 old evidence")
    assert moved.sha256 == hashlib.sha256(b"%PDF-1.4 old evidence").hexdigest()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for the next tests
