"""Two worker processes running ``duban remind`` at the same moment against one database: each step is recorded
once and each message delivered once — the database, not luck, decides.

The processes use the test database: PostgreSQL directly; on SQLite the in-memory test database is copied to a
file for them (WAL, IMMEDIATE transactions, as in production) and copied back for the assertions.
"""

import datetime as dt
import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from duban.conftest import REPO_DIR
from duban.core.audit import EventType
from duban.core.models import AuditEvent, Notification, Unit
from duban.followup.queueing import deliveries_enqueue
from duban.followup.models import Delivery, NotificationDispatch, ReminderSent
from duban.followup.tests.conftest import place_task

D = dt.date


def _database_url(tmp_path) -> tuple[str, str | None]:
    cfg = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg["PASSWORD"] else "")
        return f"postgres://{auth}@{cfg['HOST'] or 'localhost'}:{cfg['PORT'] or 5432}/{cfg['NAME']}", None
    path = str(tmp_path / "workers.sqlite3")
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
        # A served database is in WAL mode already (the mode is kept in the file); switching a copy over needs the
        # file to itself, which two processes starting at once would race for ("database is locked").
        target.execute("PRAGMA journal_mode=WAL")
    return f"sqlite:///{path}", path


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_the_same_reminder_twice(org, webhook_server, smtp_server, tmp_path):
    tasks = [place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31),
                        cycle="weekly", progress=30, reported=D(2025, 9, 1)) for _ in range(3)]
    deliveries_enqueue()
    get_user_model().objects.filter(pk=org.lead_admin.pk).update(email="head@safety.example")
    Unit.objects.filter(pk=org.safety.pk).update(webhook_url=webhook_server.url + "/hook", webhook_kind="wecom")
    url, sqlite_path = _database_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "DUBAN_DATA_DIR": str(settings.DATA_DIR),
           "DUBAN_SMTP_HOST": "127.0.0.1", "DUBAN_SMTP_PORT": str(smtp_server.port), "DJANGO_SETTINGS_MODULE":
           "duban.settings"}
    command = [sys.executable, "-m", "duban.cli", "remind", "--today", "2026-01-05"]
    workers = [subprocess.Popen(command, cwd=REPO_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    if sqlite_path:
        with sqlite3.connect(sqlite_path) as source:
            source.backup(connection.connection)

    assert ReminderSent.objects.filter(stage="escalate").count() == 3
    assert {t.pk for t in tasks} == set(ReminderSent.objects.values_list("task_id", flat=True))
    assert AuditEvent.objects.filter(event_type=EventType.TASK_ESCALATED).count() == 3
    assert Notification.objects.filter(kind="task_escalated", recipient=org.lead_admin).count() == 3
    assert NotificationDispatch.objects.filter(notification__kind="task_escalated").count() == 6
    assert Delivery.objects.filter(status="sent").count() == 6, ([(d["status"], d["attempts"], d["last_error"], d["next_attempt_at"]) for d in Delivery.objects.values()], outputs)  # 3 mails to the head, 3 posts to the group
    assert len(smtp_server.messages) == 3
    assert len(webhook_server.recorder.requests) == 3
