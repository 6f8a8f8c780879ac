"""The demo that `make demo` loads: enough to show every page, and loading it twice changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from duban.core.audit import audit_verify
from duban.core.models import Role, Unit
from duban.demo.loader import load_demo
from duban.followup.lights import task_light
from duban.tasks.models import ProgressReport, Task, TaskStatus

pytestmark = pytest.mark.django_db


def test_demo_has_units_one_user_per_role_and_work_under_way():
    today = dt.date(2026, 11, 25)
    summary = load_demo(today=today)
    assert Unit.objects.count() >= 20
    roles = set(get_user_model().objects.filter(profile__isnull=False).values_list("profile__role", flat=True))
    assert roles == set(Role.values)
    tasks = Task.objects.filter(meeting_id=summary.meeting_id)
    assert tasks.count() >= 30
    assert not tasks.filter(status=TaskStatus.DRAFT).exists()
    assert not tasks.filter(lead_unit__isnull=True).exists() and not tasks.filter(deadline__isnull=True).exists()
    assert tasks.filter(status=TaskStatus.CLOSED).exists()
    assert ProgressReport.objects.filter(request_close=False).exists()
    lights = {task_light(t, today).code for t in tasks.exclude(status=TaskStatus.CLOSED) if task_light(t, today)}
    assert {"red", "green"} <= lights
    assert audit_verify() == []

    again = load_demo(today=today)
    assert (again.meeting_id, again.units, again.users) == (summary.meeting_id, summary.units, summary.users)
    assert Task.objects.count() == tasks.count()
