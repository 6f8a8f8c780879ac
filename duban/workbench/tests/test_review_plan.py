"""The office's review queue on SQLite at a million tasks: the reports waiting for review are read from their own
index and their tasks by primary key, not found by starting from every task the office issued (286,000 at a
million tasks: 1.25 s for the section, the office's cold 工作台 2 s). A test's few rows would make any plan look
right, so the plan is asked with the million's statistics (``sqlite_stat1`` after the benchmark seed's ANALYZE)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.core.tests.plans import sqlite_plan
from duban.workbench.selectors import workbench_get

# rows, then rows per distinct value of each index's columns, at a million tasks and five million reports
MILLION_STATS = [
    ("tasks_progressreport", "report_review_queue_idx", "7925 7925 5 1"),
    ("tasks_progressreport", "report_task_unit_idx", "5000000 6 4"),
    ("tasks_progressreport", "tasks_progressreport_task_id_1fcd78b5", "5000000 6"),
    ("tasks_progressreport", "tasks_progressreport_unit_id_540251e5", "5000000 16779"),
    ("tasks_task", "task_id_issuing_idx", "1000000 1"),
    ("tasks_task", "tasks_task_issuing_unit_id_a803bb70", "1000000 90910"),
    ("tasks_task", "tasks_task_lead_unit_id_850a9799", "1000000 3356"),
    ("tasks_task", "task_supervised_dl_idx", "59185 28 1"),
    ("tasks_task", "task_open_deadline_idx", "67303 32 1 1 1 1"),
]


def test_the_offices_review_queue_starts_from_the_waiting_reports_index(org):
    with CaptureQueriesContext(connection) as ctx:
        workbench_get(viewer=org.supervisor, today=dt.date(2026, 12, 1))
    [read] = [q["sql"] for q in ctx.captured_queries if 'FROM "tasks_progressreport"' in q["sql"]]
    # the supervised tasks are a condition on the report's task (a join), not a list of tasks to start from
    assert '"issuing_unit_id" IS NULL' in read and '"task_id" IN (SELECT' not in read, read
    if connection.vendor != "sqlite":
        return  # PostgreSQL's plan at a million tasks: duban/perf/tests/test_list_plans.py
    plan = sqlite_plan(read, MILLION_STATS)
    assert "tasks_progressreport USING INDEX report_review_queue_idx" in plan[0], plan
    assert not any("LIST SUBQUERY" in line or "issuing" in line for line in plan), plan
