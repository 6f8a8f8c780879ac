"""`duban seed-bench` writes its rows directly (no model save): the task list's sort key must be filled there too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Q

from duban.perf.seed import seed
from duban.tasks.models import Task

# seed() sets PRAGMAs that SQLite refuses inside a transaction
pytestmark = pytest.mark.django_db(transaction=True)


def test_seeded_tasks_carry_their_meetings_date():
    seed(tasks=60, today=dt.date(2026, 11, 25))
    assert Task.objects.filter(meeting__isnull=False).count() == 24  # 40% of the tasks are from meetings
    assert not Task.objects.filter(meeting__isnull=False).exclude(meeting_date=F("meeting__date")).exists()
    assert not Task.objects.filter(Q(meeting__isnull=True) & Q(meeting_date__isnull=False)).exists()


def _constraints_and_indexes() -> dict:
    from django.db import connection

    from duban.core.models import AuditEvent
    from duban.tasks.models import ProgressReport

    tables = [m._meta.db_table for m in (Task, Task.coop_units.through, ProgressReport, AuditEvent)]
    with connection.cursor() as c:
        return {t: connection.introspection.get_constraints(c, t) for t in tables}


def test_the_bulk_load_leaves_every_index_and_foreign_key_as_it_found_them():
    """The seed drops the big tables' secondary indexes (and on PostgreSQL their foreign keys) while it loads;
    afterwards the schema must be exactly the migrated one, foreign keys still deferred to commit."""
    before = _constraints_and_indexes()
    assert any(c["foreign_key"] for c in before["tasks_progressreport"].values())
    assert any(c["index"] and not c["primary_key"] and not c["unique"] for c in before["tasks_task"].values())
    seed(tasks=30, today=dt.date(2026, 11, 25))
    assert _constraints_and_indexes() == before
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT (condeferrable AND condeferred)"
                      " AND conrelid::regclass::text IN ('tasks_task', 'tasks_progressreport', 'core_auditevent')")
            assert c.fetchone()[0] == 0
