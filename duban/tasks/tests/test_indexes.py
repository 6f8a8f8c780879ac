"""Indexes that only help when a query's spelling matches them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q

from duban.core.tests.plans import scale_plan
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
