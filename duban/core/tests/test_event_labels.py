"""Every audit event has a Chinese label, and a task's history shows the office's words, never English names."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from duban.conftest import login
from duban.core.audit import EVENT_LABELS, EventType, event_label


def test_every_event_type_has_a_chinese_label():
    missing = [e.name for e in EventType if e not in EVENT_LABELS]
    assert not missing
    for event, label in EVENT_LABELS.items():
        assert re.search(r"[\u4e00-\u9fff]", label), (event.name, label)
        assert not re.search(r"[A-Za-z]", label), (event.name, label)
    assert len(set(EVENT_LABELS.values())) == len(EVENT_LABELS)  # no two events read alike


def test_an_unknown_number_still_reads_as_an_event():
    assert event_label(999) == "事件 999"
    assert event_label(EventType.TASK_ESCALATED) == "超期督办"


@pytest.mark.django_db
def test_a_tasks_history_is_in_chinese(client, org, settings, tmp_path):
    from duban.followup import actions as followup_actions
    from duban.followup.reminders import reminders_run
    from duban.followup.tests.conftest import place_task
    from duban.tasks import actions

    settings.DATA_DIR = tmp_path
    task = place_task(org.task_in("in_progress"), assigned=dt.date(2025, 9, 1), deadline=dt.date(2025, 12, 31),
                      progress=30)
    reminders_run(today=dt.date(2026, 1, 5))  # red: 超期督办
    followup_actions.task_urge(actor=org.supervisor, task_id=task.pk, message="请尽快办结")
    task.refresh_from_db()
    actions.task_deadline_adjust(actor=org.supervisor, task_id=task.pk, version=task.version,
                                 deadline=dt.date.today() + dt.timedelta(days=30), reason="重新安排")
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    history = page[page.index('id="task-history"'):]
    for label in ("立项", "交办", "签收", "报送进展", "超期督办", "督查室催办", "调整时限"):
        assert f'<span class="fw-semibold">{label}</span>' in history
    assert "请尽快办结" in history and "2025-12-31 → " in history
    assert not re.search(r"task (reminded|escalated|urged)", history)

