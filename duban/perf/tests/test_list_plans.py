"""The lists a person pages through are read in an index's order: PostgreSQL stops after a page instead of sorting
every matching task (at a million tasks the status-filtered list sorted 130,000 rows; the office's review queue
scanned 5 million reports). With sequential and bitmap scans and sorts switched off the plan shows whether an index
serves the ORDER BY (a plan that still sorts has no such index: switched off only makes a sort dear, and on a test's
few rows another index and a sort would otherwise be cheaper) and the filter."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from duban.core.tests.plans import scale_plan
from duban.tasks import selectors
from duban.tasks.models import ProgressReport, ReportStatus, Task

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]


@pytest.mark.parametrize("filters", [{}, {"status": "in_progress"}, {"status": "assigned", "area_id": 1}])
def test_a_task_list_page_is_read_in_index_order(org, filters):
    if "area_id" in filters:
        filters["area_id"] = org.area_safety.pk
    page = selectors.task_list_page_keys(viewer=org.supervisor, **filters)[:50]
    plan = scale_plan(page)
    assert "Sort Key" not in plan, plan
    if "status" in filters:
        # the status is matched in the index, not by reading the whole list's index and dropping other statuses
        # (a rare status, such as returned tasks, would read most of the table for a page)
        # (an index-only walk shows the column without its cast)
        assert re.search(rf"Index Cond: .*\(?status\)?(::text)? = '{filters['status']}'", plan), plan


def test_a_units_list_is_read_from_the_list_index_alone(org):
    """The list filtered by one unit (its lead or a cooperating unit) walks the list's index and tests each task
    there: the lead unit and the status in the index, the cooperation by the task's id against the unit's
    cooperations, hashed once. No task's row is read for the walk (a busy unit's first page at a million tasks
    passes over ~7,700 tasks of other units: 8 ms reading their rows, under 2 ms from the index)."""
    page = selectors.task_list_page_keys(viewer=org.supervisor, unit_id=org.health.pk)[:50]
    plan = scale_plan(page)
    assert "Sort Key" not in plan, plan
    assert "Index Only Scan using task_list_order_idx" in plan, plan
    assert "hashed SubPlan" in plan, plan


def test_a_small_units_list_is_read_from_its_own_indexes_not_the_list_index(analyzed_again_after, org):
    """A unit with few tasks (and a page deep in a large unit's list) is read as the merge of the tasks it leads, in
    the list's order from their own index, and those it cooperates on: the walk of the list's index would pass
    over nearly every task to find them (a million tasks: the whole index 120-180 ms; page 100 of the busiest
    unit 190 ms, merged 35 ms).

    Planned over tables with statistics (3,000 tasks of other units, ANALYZEd): on a test's few unanalysed rows
    every index costs the same and PostgreSQL's choice among them changes from run to run."""
    from django.test.utils import CaptureQueriesContext

    from duban.perf.tests.test_query_counts import add_tasks

    meeting = org.draft_task().meeting
    add_tasks(org, meeting, 3000, start=100)  # led by 安监局 and a township, each with 卫健委 cooperating
    Task.coop_units.through.objects.filter(unit=org.health).delete()  # a unit's rows, test data only
    for i, task in enumerate(Task.objects.filter(pk__in=Task.objects.order_by("id").values("pk")[:6])):
        if i % 2:
            Task.objects.filter(pk=task.pk).update(lead_unit=org.health)
        else:
            task.coop_units.add(org.health)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_task")
        cursor.execute("ANALYZE tasks_task_coop_units")
    with CaptureQueriesContext(connection) as ctx:
        selectors.task_list_keys(viewer=org.supervisor, unit_id=org.health.pk, listed=6, bottom=0, top=50)
    [read] = [q["sql"] for q in ctx.captured_queries if "tasks_task_coop_units" in q["sql"]]
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + read)
        plan = "\n".join(str(row[0]) for row in cursor.fetchall())
    assert "task_list_order_idx" not in plan, plan
    # the tasks it leads found by the lead unit in an index of it (which of the lead unit's indexes is not pinned),
    # and those it cooperates on by the unit in an index of the cooperations
    assert re.search(r"Index (Only )?Scan using \S+ on tasks_task\s+\(cost=[^)]*\)\n"
                     r"\s+Index Cond: \(lead_unit_id = \d+\)", plan), plan
    assert re.search(r"Index (Only )?Scan using \S+ on tasks_task_coop_units( \w+)?\s+\(cost=[^)]*\)\n"
                     r"\s+Index Cond: \(unit_id = \d+\)", plan), plan


def test_the_review_queue_is_read_in_index_order(db):
    queue = (ProgressReport.objects.filter(status=ReportStatus.SUBMITTED)
             .order_by("-request_close", "created_at", "id").values("id")[:8])
    plan = scale_plan(queue)
    assert "Sort Key" not in plan, plan
    assert "report_review_queue_idx" in plan


def test_a_unit_members_list_tests_cooperation_task_by_task(org):
    """A unit's list walks the list's index and tests each task for cooperation with one index probe; a hashed
    subplan would first collect every cooperation row of the scope (58,000 for a county at a million tasks)."""
    page = selectors.task_list_page_keys(viewer=org.lead_staff)[:50]
    plan = scale_plan(page)
    assert "Sort Key" not in plan, plan
    assert "SubPlan" in plan and "hashed SubPlan" not in plan, plan


def test_the_review_queue_and_the_supervising_level_are_covered_by_their_indexes(db):
    """A level counts its review queue (the waiting reports of the tasks it supervises) from two indexes alone:
    the waiting reports' index carries their task, the tasks' id index their issuing unit (at a million tasks the
    rows were 28,000 pages of reports, 300 ms; from the indexes 70 ms). On a test's few rows the planner reads the
    tables instead, so the indexes' definitions are checked here and the plan in bench/RESULTS.md."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
                       "('report_review_queue_idx', 'task_id_issuing_idx')")
        found = dict(cursor.fetchall())
    assert 'INCLUDE (task_id)' in found["report_review_queue_idx"] and "WHERE" in found["report_review_queue_idx"]
    assert '(id) INCLUDE (issuing_unit_id)' in found["task_id_issuing_idx"]
