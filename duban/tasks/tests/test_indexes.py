"""Indexes that only help when a query's spelling matches them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q

from duban.core.tests.plans import scale_plan, sqlite_plan
from duban.tasks.models import OPEN_STATUSES, Task


def test_the_open_deadline_index_has_the_spelling_of_open():
    """A partial index serves a query only if the query's condition implies the index's: it must stay
    ``status IN OPEN_STATUSES`` as the queries write it."""
    index = next(i for i in Task._meta.indexes if i.name == "task_open_deadline_idx")
    assert index.condition == Q(status__in=[s.value for s in OPEN_STATUSES])


@pytest.mark.django_db
def test_the_first_late_tasks_are_read_from_the_open_deadline_index(org):
    for days in (3, 2, 1):
        org.task_in("in_progress", deadline=dt.date(2026, 1, days))
    late = (Task.objects.filter(status__in=OPEN_STATUSES, deadline__lt=dt.date(2026, 2, 1))
            .order_by("deadline", "id").values("id")[:200])
    if connection.vendor == "postgresql":
        # (SQLite picks it by its statistics at 100k tasks, not on three rows; its other plan costs 1 ms there)
        plan = scale_plan(late)
        assert "task_open_deadline_idx" in plan, plan
    assert [t.deadline.day for t in Task.objects.filter(pk__in=late).order_by("deadline")] == [1, 2, 3]


def _subtrees():
    """What a roll-up reads: the tasks under some tree paths (a page's split tasks, ``duban.followup.lights``)."""
    return Task.objects.filter(Q(tree_path__startswith="/5/") | Q(tree_path__startswith="/7/9/")).only("id")


@pytest.mark.django_db
def test_a_subtree_is_read_from_an_index():
    """A prefix of tree paths is found in an index, not by reading every task: on SQLite only an index that
    compares without case serves a LIKE, which is how ``startswith`` is spelled there."""
    from duban.tasks.sqlite_indexes import TREE_PATH_INDEX

    if connection.vendor == "sqlite":
        sql, params = _subtrees().query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
        assert TREE_PATH_INDEX in plan and "SCAN" not in plan, plan
    else:
        plan = scale_plan(_subtrees())
        assert "Seq Scan" not in plan and "tree_path" in plan, plan


@pytest.mark.django_db
def test_the_subtree_index_comes_back_after_a_table_rebuild():
    """Django's SQLite schema editor rebuilds a table to alter it, dropping the indexes the model does not declare;
    the check after every migrate puts this one back (PostgreSQL has no such index to keep)."""
    from duban.tasks.sqlite_indexes import TREE_PATH_INDEX, ensure_tree_path_index

    if connection.vendor != "sqlite":
        assert ensure_tree_path_index() is False
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {TREE_PATH_INDEX}")
    assert ensure_tree_path_index() is True
    assert ensure_tree_path_index() is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [TREE_PATH_INDEX])
        assert "COLLATE NOCASE" in cursor.fetchone()[0]


# SQLite's statistics of these indexes at a million tasks (``sqlite_stat1`` after the benchmark seed's ANALYZE):
# rows, then rows per distinct value. A test's few rows would make any plan look right.
MILLION_STATS = [("tasks_task", "task_tree_path_nocase_idx", "1000000 2"),
                 ("tasks_task", "tasks_task_tree_path_e58ceeee", "1000000 2"),
                 ("tasks_task", "tasks_task_meeting_id_5bf0dbb5", "1000000 3985"),
                 ("tasks_task", "task_list_order_idx", "1000000 3985 3985 16 1")]


@pytest.mark.django_db
def test_a_roll_up_reads_forty_subtrees_from_the_index_at_a_millions_statistics(org):
    """A list page's roll-up reads the subtrees of its split tasks by tree path prefixes (``rollup_lights``); with
    a million tasks' statistics SQLite walked every task in the model's order to avoid sorting the few rows read
    (5.4 s for forty prefixes) unless the read asks for no order."""
    from types import SimpleNamespace

    from django.test.utils import CaptureQueriesContext

    from duban.followup.lights import rollup_lights

    tops = [SimpleNamespace(pk=n, tree_path=f"/{n}/{n + 1}/", rolled_progress=50, rollup_mode="worst")
            for n in range(1000, 1400, 10)]
    with CaptureQueriesContext(connection) as ctx:
        rollup_lights(tops, dt.date(2026, 12, 1))
    read = next(q["sql"] for q in ctx.captured_queries if "tree_path" in q["sql"] and "LIKE" in q["sql"].upper())
    assert "ORDER BY" not in read  # on both databases (PostgreSQL reads the prefixes by a bitmap of its index)
    if connection.vendor != "sqlite":
        return
    plan = "\n".join(sqlite_plan(read, MILLION_STATS))
    assert "SCAN tasks_task" not in plan and "tree_path_nocase_idx" in plan, plan
