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
