"""No lost data: `duban backup` / `duban restore` round trips through the real CLI entry point, and SQLite runs in
WAL mode with a busy timeout. Runs on whichever database the suite runs on (SQLite or PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from duban import cli
from duban.core.audit import EventType, audit_verify
from duban.core.models import AuditEvent, Unit
from duban.ops.backup import backup_create, backup_restore, pg_tool
from duban.tasks import actions
from duban.tasks.models import ProgressReport, Task

pytestmark = pytest.mark.django_db(transaction=True)


def _require_pg_tools():
    if connection.vendor == "postgresql":
        from duban.conftest import require_tool

        try:
            pg_tool("pg_dump")
            pg_tool("pg_restore")
        except Exception:  # noqa: BLE001 - the tool check itself
            require_tool(False, "pg_dump/pg_restore")


def test_backup_then_restore_brings_back_the_data_as_at_backup_time(org, tmp_path, settings, capsys):
    _require_pg_tools()
    settings.DATA_DIR = tmp_path
    task = org.task_in("accepted")
    actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="备份前的进展", progress_percent=20)
    target = tmp_path / "before.bak"

    assert cli.main(["backup", "--output", str(target)]) == 0
    assert target.stat().st_size > 0
    assert oct(target.stat().st_mode & 0o777) == oct(0o600)  # it holds password hashes
    backed = AuditEvent.objects.filter(event_type=EventType.DATA_BACKED_UP).get()
    assert backed.extra["path"] == str(target) and len(backed.extra["sha256"]) == 64

    # Changes after the backup: a report, an edit, a new unit.
    actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="备份后的进展", progress_percent=60)
    fresh = Task.objects.get(pk=task.pk)
    actions.task_update(actor=org.supervisor, task_id=task.pk, version=fresh.version, changes={"title": "改过的名称"})
    from duban.core.actions import unit_create

    unit_create(actor=org.system, name="备份后新建的单位")

    assert cli.main(["restore", str(target), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "pre-restore" in out

    task = Task.objects.get(pk=task.pk)
    assert task.title == "排查整治燃气安全隐患"
    assert list(ProgressReport.objects.filter(task=task).values_list("text", flat=True)) == ["备份前的进展"]
    assert not Unit.objects.filter(name="备份后新建的单位").exists()
    # The restore is audited in the restored database and the chain still verifies.
    restored = AuditEvent.objects.order_by("-id").first()
    assert restored.event_type == EventType.DATA_RESTORED
    assert restored.extra["source"] == str(target)
    assert audit_verify() == []
    # What the restore replaced is kept: restoring the safety copy brings the later changes back.
    safety = restored.extra["pre_restore_backup"]
    assert (tmp_path / "backups").is_dir() and safety.startswith(str(tmp_path / "backups"))
    backup_restore(actor=org.system, source=safety)
    assert Task.objects.get(pk=task.pk).title == "改过的名称"
    assert Unit.objects.filter(name="备份后新建的单位").exists()


def test_default_backup_goes_to_a_timestamped_file_under_the_data_dir(org, tmp_path, settings, capsys):
    _require_pg_tools()
    settings.DATA_DIR = tmp_path
    assert cli.main(["backup"]) == 0
    files = list((tmp_path / "backups").iterdir())
    assert len(files) == 1
    name = files[0].name
    assert name.startswith("duban-" + dt.date.today().strftime("%Y%m%d")[:6])
    assert str(files[0]) in capsys.readouterr().out


def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(org, tmp_path, settings, capsys):
    settings.DATA_DIR = tmp_path
    bogus = tmp_path / "bogus.bak"
    bogus.write_bytes(b"\x00\x01 not a database " * 100)
    before = (Task.objects.count(), Unit.objects.count(), AuditEvent.objects.count())
    assert cli.main(["restore", str(bogus), "--yes"]) == 2
    assert "错误" in capsys.readouterr().err
    assert (Task.objects.count(), Unit.objects.count(), AuditEvent.objects.count()) == before
    assert not (tmp_path / "backups").exists()  # not even a safety copy was needed


def test_restore_without_yes_is_refused_when_nobody_can_confirm(org, tmp_path, settings, capsys):
    _require_pg_tools()
    settings.DATA_DIR = tmp_path
    target = backup_create(actor=org.system, output=tmp_path / "x.bak")
    unit_count = Unit.objects.count()
    assert cli.main(["restore", str(target)]) == 2
    assert "--yes" in capsys.readouterr().err
    assert Unit.objects.count() == unit_count
    assert not AuditEvent.objects.filter(event_type=EventType.DATA_RESTORED).exists()


def test_only_the_system_or_a_sysadmin_may_back_up(org, tmp_path, settings):
    from duban.core.errors import PermissionDenied

    settings.DATA_DIR = tmp_path
    with pytest.raises(PermissionDenied):
        backup_create(actor=org.supervisor, output=tmp_path / "no.bak")
    assert not (tmp_path / "no.bak").exists()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    if connection.vendor != "sqlite":
        return  # PostgreSQL has no such settings; not a skip, which CI counts as a failure
    from django.db.backends.sqlite3.base import DatabaseWrapper

    # The test database may be in memory (no WAL there); open a file database with the production settings.
    probe = DatabaseWrapper({**connection.settings_dict, "NAME": str(tmp_path / "probe.sqlite3")}, alias="probe")
    try:
        with probe.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            assert cur.fetchone()[0] == "wal"
            cur.execute("PRAGMA busy_timeout")
            assert cur.fetchone()[0] >= 5000
            cur.execute("PRAGMA foreign_keys")
            assert cur.fetchone()[0] == 1
    finally:
        probe.close()


def test_a_file_written_during_the_backup_is_archived_as_its_manifest_says(org, tmp_path, settings):
    """Files of the data dir are written while a backup runs (the audit anchor log gains a line with every
    committed audit event). Each archived file is the bytes its manifest's digest was taken of, and the restore's
    check of the backup accepts it: a file that grows between the two is archived as it was at one moment."""
    import hashlib
    import json
    import subprocess
    import sys
    import tarfile

    _require_pg_tools()
    settings.DATA_DIR = tmp_path
    growing = tmp_path / "growing.log"
    growing.write_bytes(b"x" * (16 * 1024 * 1024))
    # another process appends, as the server's workers append to the anchor log: lines arrive at any moment
    writer = subprocess.Popen([sys.executable, "-c", (
        "import os, sys\n"
        "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)\n"
        "while True:\n"
        "    os.write(fd, b'a line appended while the backup runs\\n')\n"), str(growing)])
    try:
        while growing.stat().st_size == 16 * 1024 * 1024:  # the writer has started
            pass
        target = backup_create(actor=org.system, output=tmp_path / "busy.tar")
    finally:
        writer.kill()
        writer.wait()
    with tarfile.open(target) as archive:
        members = json.loads(archive.extractfile("manifest.json").read())["members"]
        archived = {name: archive.extractfile(name).read() for name in members}
    assert "files/growing.log" in members
    for name, digest in members.items():
        assert hashlib.sha256(archived[name]).hexdigest() == digest, name
    # one moment of the file: all it had then, and only whole appends after the first 16 MiB
    kept = archived["files/growing.log"]
    assert growing.read_bytes().startswith(kept) and len(kept) >= 16 * 1024 * 1024
    assert cli.main(["restore", str(target), "--yes"]) == 0
