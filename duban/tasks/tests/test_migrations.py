"""The migration that drops ``TaskTally``, run with Django's migration executor on a real database, backwards (the
table and its triggers made again, every task counted) and forwards (both gone, tasks still written and counted
per unit)."""

from __future__ import annotations

from collections import Counter

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from duban.tasks.models import Task, TaskStatus
from duban.tasks.tests.test_unit_tally import counted, recounted

BEFORE = [("tasks", "0015_review_queue_covering")]


def tally_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {name for (name,) in cursor.fetchall() if name.startswith("tasks_tally_")}


def old_counts() -> Counter:
    with connection.cursor() as cursor:
        cursor.execute("SELECT axis, key, status, n FROM tasks_tasktally WHERE n <> 0")
        return Counter({(axis, key, status): n for axis, key, status, n in cursor.fetchall()})


def counts_by_rule() -> Counter:
    """Tasks per (area, status) and per (lead unit, status), 0 standing for none, drafts and withdrawn ones too."""
    out = Counter()
    for area, lead, status in Task.objects.values_list("area_id", "lead_unit_id", "status"):
        out[("area", area or 0, status)] += 1
        out[("lead", lead or 0, status)] += 1
    return out


def test_the_task_tally_is_dropped_and_comes_back_counted_on_the_way_back(transactional_db, org):
    org.task_in("assigned")
    org.task_in("closed", area_id=None)
    org.task_in("draft", lead_unit_id=org.other.pk)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    assert "tasks_tasktally" in connection.introspection.table_names()
    assert tally_triggers()
    assert old_counts() == counts_by_rule()
    # its key only: the model's later columns (schedule_start) are not in the table at this migration
    task = Task.objects.filter(status=TaskStatus.ASSIGNED).only("pk").first()
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.ACCEPTED)  # the triggers count it
    assert old_counts() == counts_by_rule()

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert "tasks_tasktally" not in connection.introspection.table_names()
    assert tally_triggers() == set()
    assert counted() == recounted()
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)  # no trigger left naming the table
    org.task_in("in_progress")
    assert counted() == recounted()
