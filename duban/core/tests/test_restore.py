"""Restores that lose nothing: the files of the data dir travel with the database, a backup whose audit chain was
edited is refused before anything is replaced, an empty data dir is migrated first, and a restore refuses while a
server or worker runs (under a real write load, with every acknowledged write kept). Runs on SQLite and on
PostgreSQL, whichever the suite runs on."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import tarfile

import pytest
from django.db import connection

from duban import cli
from duban.conftest import REPO_DIR, use_data_dir
from duban.core.audit import EventType, audit_verify
from duban.core.models import AuditEvent, Unit
from duban.core.running import instance_running
from duban.core.tests.test_backup import _require_pg_tools
from duban.ops.backup import backup_create, backup_restore
from duban.tasks import actions
from duban.tasks.models import ProgressReport, ReportFile

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def _close_request_with_file(org) -> ReportFile:
    """A close request with its evidence file, stored through the storage (moved into place on commit)."""
    task = org.task_in("in_progress")
    report = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="整改完成", progress_percent=100,
                                   request_close=True, evidence_text="验收报告", files=[("验收报告.pdf", PDF)])
    return ReportFile.objects.get(report=report)


def test_backup_keeps_the_data_dir_files_and_restore_brings_them_back_byte_equal(org, tmp_path, settings):
    _require_pg_tools()
    use_data_dir(settings, tmp_path)
    evidence = _close_request_with_file(org)
    stored = tmp_path / evidence.storage_name
    assert stored.read_bytes() == PDF
    target = backup_create(actor=org.system, output=tmp_path / "with-files.tar")
    with tarfile.open(target) as archive:
        names = archive.getnames()
    assert "files/" + evidence.storage_name in names and "manifest.json" in names
    assert not [n for n in names if n.startswith("files/backups/")]

    stored.write_bytes(b"overwritten after the backup")
    (tmp_path / "reports" / "later.txt").write_bytes(b"a file the backup does not know")
    result = backup_restore(actor=org.system, source=target)

    assert stored.read_bytes() == PDF
    assert result["files"] == 1
    assert (tmp_path / "reports" / "later.txt").exists()  # kept: a restore deletes nothing it did not bring
    assert ReportFile.objects.get(pk=evidence.pk).storage_name == evidence.storage_name
    restored = AuditEvent.objects.filter(event_type=EventType.DATA_RESTORED).get()
    assert restored.extra["files"] == 1
    # The safety copy holds the file as it was just before the restore.
    with tarfile.open(restored.extra["pre_restore_backup"]) as archive:
        assert archive.extractfile("files/" + evidence.storage_name).read() == b"overwritten after the backup"


def test_a_backup_with_an_edited_audit_row_is_refused_before_anything_is_replaced(org, tmp_path, settings, capsys):
    _require_pg_tools()
    settings.DATA_DIR = tmp_path
    task = org.task_in("accepted")
    event = AuditEvent.objects.filter(event_type=EventType.TASK_ACCEPTED, task=task).get()
    # Someone edits an audit row behind the application's back, and the database is backed up like that.
    AuditEvent.objects.filter(pk=event.pk).update(extra={"forged": True})
    tampered = backup_create(actor=org.system, output=tmp_path / "tampered.tar")
    AuditEvent.objects.filter(pk=event.pk).update(extra=event.extra)
    assert audit_verify() == []
    unit_create_after(org)
    before = (Unit.objects.count(), AuditEvent.objects.count())

    assert cli.main(["restore", str(tampered), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "审计日志校验失败" in err and str(event.pk) in err

    assert (Unit.objects.count(), AuditEvent.objects.count()) == before
    assert not list((tmp_path / "backups").glob("pre-restore-*"))  # refused before even the safety copy
    assert not AuditEvent.objects.filter(event_type=EventType.DATA_RESTORED).exists()
    assert not list(tmp_path.glob(".restore-*"))


def unit_create_after(org):
    from duban.core.actions import unit_create

    return unit_create(actor=org.system, name="备份之后新建的单位")


def test_restore_refuses_while_a_server_or_worker_holds_the_data_dir(org, tmp_path, settings, capsys):
    _require_pg_tools()
    settings.DATA_DIR = tmp_path
    target = backup_create(actor=org.system, output=tmp_path / "b.tar")
    unit_create_after(org)
    with instance_running():  # what duban serve and duban worker hold while they run
        assert cli.main(["restore", str(target), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "duban serve" in err and "duban worker" in err
    assert Unit.objects.filter(name="备份之后新建的单位").exists()
    assert not list((tmp_path / "backups").glob("pre-restore-*"))
    assert cli.main(["restore", str(target), "--yes"]) == 0  # stopped: it goes ahead
    assert not Unit.objects.filter(name="备份之后新建的单位").exists()


def _child_env(data_dir, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "DATABASE_URL"}
    env.update(DUBAN_DATA_DIR=str(data_dir))
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _duban(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "duban.cli", *args], env=env, cwd=REPO_DIR, capture_output=True,
                          text=True, timeout=300, check=False)


def _empty_target_url(tmp_path) -> str | None:
    if connection.vendor != "postgresql":
        return None  # a new data dir: a new SQLite file
    from duban.ops.backup import _pg_args, _pg_url, _run, pg_tool

    name = f"{connection.settings_dict['NAME']}_empty_target"[:63]
    args, env = _pg_args()
    _run([pg_tool("dropdb"), "--if-exists", *args, name], env)
    _run([pg_tool("createdb"), *args, name], env)
    return _pg_url(name)


def test_restore_into_an_empty_data_dir_migrates_it_first(org, tmp_path, settings):
    _require_pg_tools()
    (tmp_path / "old").mkdir()
    use_data_dir(settings, tmp_path / "old")
    evidence = _close_request_with_file(org)
    target = backup_create(actor=org.system, output=tmp_path / "move.tar")
    fresh = tmp_path / "new"
    fresh.mkdir()
    env = _child_env(fresh, _empty_target_url(tmp_path))

    done = _duban(env, "restore", str(target), "--yes")
    assert done.returncode == 0, done.stderr
    check = _duban(env, "audit", "verify")
    assert check.returncode == 0, check.stderr
    assert (fresh / evidence.storage_name).read_bytes() == PDF
    count = subprocess.run([sys.executable, "-c", "import django; django.setup(); "
                            "from duban.tasks.models import ProgressReport; "
                            "print(ProgressReport.objects.filter(request_close=True).count())"],
                           env={**env, "DJANGO_SETTINGS_MODULE": "duban.settings"}, cwd=REPO_DIR,
                           capture_output=True, text=True, check=True)
    assert count.stdout.strip() == str(ProgressReport.objects.filter(request_close=True).count()) == "1"


@pytest.mark.slow
def test_a_restore_under_write_load_is_refused_and_every_acknowledged_write_is_kept(tmp_path):
    """The real server under concurrent writers; halfway, a backup (allowed while serving) and a restore (refused,
    saying how to stop the server). Afterwards, with the server stopped, the restore goes ahead, and its safety copy
    holds every write the server acknowledged: restoring that copy brings all of them back."""
    spec = importlib.util.spec_from_file_location("loadtest", REPO_DIR / "bench" / "loadtest.py")
    loadtest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loadtest)
    database_url = None
    if connection.vendor == "postgresql":
        database_url = _empty_target_url(tmp_path)
    backup = tmp_path / "mid-load.tar"

    def during(control):
        made = _duban(control.env, "backup", "--output", str(backup))
        refused = _duban(control.env, "restore", str(backup), "--yes")
        return {"backup": made.returncode, "restore": refused.returncode, "restore_err": refused.stderr}

    report = loadtest.run(writers=4, seconds=6, workers=1, database_url=database_url, during=during)
    assert report["during"]["backup"] == 0, report["during"]
    assert report["during"]["restore"] == 2, report["during"]
    assert "duban serve" in report["during"]["restore_err"]
    assert report["acknowledged"] > 0 and report["lost"] == 0 and report["server_errors_5xx"] == 0, report

    env = report["env"]
    done = _duban(env, "restore", str(backup), "--yes")
    assert done.returncode == 0, done.stderr
    at_backup = set(loadtest.count_stored(env)["ids"])
    assert at_backup < set(report["acked"])  # the writes after the mid-load backup are gone from the database...
    safety = next(line.split(" is kept in ")[-1].strip() for line in done.stdout.splitlines() if "is kept in" in line)
    again = _duban(env, "restore", safety, "--yes")
    assert again.returncode == 0, again.stderr
    stored = loadtest.count_stored(env)
    assert set(report["acked"]) <= set(stored["ids"])  # ...and every one of them is in the safety copy
    assert stored["audit_broken"] == []


def test_restore_in_a_terminal_asks_and_a_no_changes_nothing(org, tmp_path, settings):
    """``restore --help`` says it asks in a terminal: it does, and anything but yes cancels."""
    import pty

    _require_pg_tools()
    settings.DATA_DIR = tmp_path
    target = backup_create(actor=org.system, output=tmp_path / "ask.tar")
    unit_create_after(org)
    env = _child_env(tmp_path, _database_url(tmp_path))
    primary, secondary = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "duban.cli", "restore", str(target)], env=env, cwd=REPO_DIR,
                             stdin=secondary, stdout=secondary, stderr=secondary)
    os.close(secondary)
    os.write(primary, b"no\n")
    assert child.wait(timeout=120) == 1
    shown = b""
    try:
        while chunk := os.read(primary, 4096):
            shown += chunk
    except OSError:  # the terminal closed with the child
        pass
    os.close(primary)
    text = shown.decode("utf-8", "replace")
    assert "输入 yes 确认" in text and "已取消" in text
    assert not list((tmp_path / "backups").glob("pre-restore-*"))
    if connection.vendor == "postgresql":
        assert Unit.objects.filter(name="备份之后新建的单位").exists()
    else:
        with sqlite3.connect(tmp_path / "asked.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM core_unit WHERE name = '备份之后新建的单位'").fetchone()[0] == 1


def _database_url(tmp_path) -> str:
    """The suite's database as a child process can open it: PostgreSQL's own; SQLite's (in memory) copied to a file."""
    if connection.vendor == "postgresql":
        from duban.ops.backup import _pg_url

        return _pg_url(connection.settings_dict["NAME"])
    connection.ensure_connection()
    with sqlite3.connect(tmp_path / "asked.sqlite3") as copy:
        connection.connection.backup(copy)
    return f"sqlite:///{tmp_path / 'asked.sqlite3'}"
