"""Confirming a leader's 批示时限 on the task page: the office sees the date it would set (and whether it is a working
day) before it confirms, and the 办理记录 says from which date to which."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import login
from duban.extraction.deadlines import default_calendar
from duban.followup.actions import deadline_change_confirm, task_comment
from duban.followup.models import LeaderComment

pytestmark = pytest.mark.django_db


def _next_day_off() -> dt.date:
    day = dt.date.today() + dt.timedelta(days=7)
    while default_calendar().is_workday(day):
        day += dt.timedelta(days=1)
    return day


def test_the_office_sees_the_proposed_date_and_its_workday_warning_before_confirming(client, org):
    day_off = _next_day_off()
    task = org.task_in("assigned", deadline=day_off + dt.timedelta(days=30))
    task_comment(actor=org.leader, task_id=task.pk, text="请提前完成", deadline=day_off)
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert (f"当前时限：{task.deadline:%Y-%m-%d}，确认后改为 {day_off:%Y-%m-%d}") in page
    assert (f'proposed-deadline-warning">办理时限{day_off.isoformat()}不是工作日（法定节假日或周末），请核实'
            in page)


def test_the_history_records_the_old_and_new_deadline_of_a_confirmed_instruction(client, org):
    old = dt.date.today() + dt.timedelta(days=40)
    new = dt.date.today() + dt.timedelta(days=20)
    task = org.task_in("assigned", deadline=old)
    task_comment(actor=org.leader, task_id=task.pk, text="请提前完成", deadline=new)
    comment = LeaderComment.objects.get(task=task)
    deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)
    login(client, org.supervisor)
    history = str(client.get(f"/tasks/{task.pk}/").context["history"])
    [line] = [item for item in history.split("</li>") if "确认批示时限" in item]
    assert f'<div class="text-muted">{old.isoformat()} → {new.isoformat()}</div>' in line
