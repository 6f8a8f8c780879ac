"""The data migration that gives the livelihood projects already registered their period as their task's time
(``schedule_start``): run with Django's migration executor from the state before it, on a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# the other apps at their latest: their later columns (NOT NULL) must exist in the state the old rows are written in
BEFORE = [("sources", "0005_pg_task_bigram_index"), ("tasks", "0021_task_schedule_start"), ("core", "LEAF")]
AFTER = [("sources", "0006_livelihood_schedule_start")]


@pytest.mark.slow
def test_projects_already_registered_run_from_their_period_start(transactional_db):
    executor = MigrationExecutor(connection)
    before = [(app, executor.loader.graph.leaf_nodes(app)[0][1] if name == "LEAF" else name) for app, name in BEFORE]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    User = apps.get_model("auth", "User")
    Task = apps.get_model("tasks", "Task")
    LivelihoodProject = apps.get_model("sources", "LivelihoodProject")
    user = User.objects.create(username="old_office")
    project_task = Task.objects.create(title="新建幼儿园10所", text="新建幼儿园10所", kind="livelihood",
                                       status="assigned", created_by=user)
    LivelihoodProject.objects.create(task=project_task, indicator="新建幼儿园", target=10, measure_unit="所",
                                     period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 12, 31))
    other = Task.objects.create(title="会议事项", text="会议事项", status="assigned", created_by=user)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Task = apps.get_model("tasks", "Task")
    assert Task.objects.get(pk=project_task.pk).schedule_start == dt.date(2026, 1, 1)
    assert Task.objects.get(pk=other.pk).schedule_start is None
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest for the next tests
