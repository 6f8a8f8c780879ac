"""Reminders, warnings and escalations go out on official working days only (adjusted working weekends included,
public holidays and ordinary weekends not), from the working morning on; a deadline on a non-working day warns.

The calendar of 2025 (State Council notice): National Day and Mid-autumn off from Wednesday 10-01 to Wednesday
10-08; Sunday 09-28 and Saturday 10-11 are working days instead; Sunday 10-12 is an ordinary weekend."""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from duban.conftest import login
from duban.core.models import Notification
from duban.followup.models import ReminderSent
from duban.followup.reminders import reminders_plan, reminders_run
from duban.followup.scheduler import run_pass
from duban.followup.tests.conftest import place_task
from duban.tasks.models import deadline_warning

D = dt.date


@pytest.fixture
def overdue(org):
    """Past its deadline (Friday 2025-09-26) from Saturday 09-27 on: red every day after."""
    return place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 9, 26), progress=30)


@pytest.mark.parametrize("day", [D(2025, 9, 27), D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 5), D(2025, 10, 8),
                                 D(2025, 10, 12)])
def test_no_step_is_taken_on_a_holiday_or_weekend(org, overdue, day):
    assert reminders_plan(today=day) == []
    assert reminders_run(today=day, actor=org.system) == []
    assert not ReminderSent.objects.exists() and not Notification.objects.filter(kind="task_escalated").exists()


@pytest.mark.parametrize("day", [D(2025, 9, 28), D(2025, 10, 9), D(2025, 10, 11)])
def test_steps_are_taken_on_working_days_including_adjusted_weekends(org, overdue, day):
    [reminder] = reminders_run(today=day, actor=org.system)
    assert reminder.stage == "escalate"


def test_a_step_due_in_the_holiday_goes_out_on_the_next_working_day(org):
    # Due 10-03 (a holiday): blue through the holiday, red from 10-04; nothing until Thursday 10-09, then red.
    place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 10, 3), progress=90)
    for day in (D(2025, 10, 1), D(2025, 10, 3), D(2025, 10, 4), D(2025, 10, 8)):
        assert reminders_run(today=day, actor=org.system) == []
    [reminder] = reminders_run(today=D(2025, 10, 9), actor=org.system)
    assert (reminder.stage, reminder.due_key) == ("escalate", "deadline:2025-10-03")


def _at(day, hour):
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour, 30))


@override_settings(DUBAN_REMIND_FROM_HOUR=8)
def test_the_loop_waits_for_the_working_morning(org, overdue):
    assert run_pass(now=_at(D(2025, 10, 9), 7)).reminders == 0  # 07:30 on the first working day: not yet
    assert run_pass(now=_at(D(2025, 10, 8), 9)).reminders == 0  # 09:30 on a holiday: no
    assert run_pass(now=_at(D(2025, 10, 9), 8)).reminders == 1  # 08:30 on the working day: sent
    assert ReminderSent.objects.get().for_date == D(2025, 10, 9)


@pytest.mark.parametrize("day, warned", [
    (D(2025, 10, 2), True),    # National Day
    (D(2025, 10, 4), True),    # a Saturday inside the holiday
    (D(2025, 10, 12), True),   # an ordinary Sunday
    (D(2025, 9, 28), False),   # a Sunday made a working day
    (D(2025, 10, 11), False),  # a Saturday made a working day
    (D(2025, 10, 9), False),   # an ordinary Thursday
])
def test_a_deadline_on_a_non_working_day_warns(day, warned):
    text = deadline_warning(day)
    assert bool(text) is warned
    if warned:
        assert day.isoformat() in text and "不是工作日" in text


def test_no_deadline_no_warning():
    assert deadline_warning(None) == ""


def test_the_task_page_and_edit_warn_about_a_holiday_deadline(org, client):
    task = org.task_in("draft", deadline=D(2025, 10, 2))
    login(client, org.supervisor)
    assert "2025-10-02不是工作日" in client.get(f"/tasks/{task.pk}/").content.decode()
    fine = org.task_in("draft", deadline=D(2025, 10, 9))
    assert "不是工作日" not in client.get(f"/tasks/{fine.pk}/").content.decode()


def test_the_api_says_when_a_deadline_is_not_a_working_day(org, client):
    holiday = org.task_in("draft", deadline=D(2025, 10, 2))
    fine = org.task_in("draft", deadline=D(2025, 10, 11))  # an adjusted working Saturday
    login(client, org.supervisor)
    one = client.get(f"/api/v1/tasks/{holiday.pk}").json()
    assert "2025-10-02不是工作日" in one["deadline_warning"]
    assert client.get(f"/api/v1/tasks/{fine.pk}").json()["deadline_warning"] == ""
    rows = {row["id"]: row["deadline_warning"] for row in client.get("/api/v1/tasks").json()["items"]}
    assert bool(rows[holiday.pk]) and rows[fine.pk] == ""
