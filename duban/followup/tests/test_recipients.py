"""Every notice reaches somebody: unit staff when the unit has no head, the supervision office when the unit has
nobody; a step that finds nobody at all is recorded as a failure (never as sent) and listed for the office."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from duban.conftest import login
from duban.core.actions import unit_create
from duban.core.audit import EventType
from duban.core.models import AuditEvent, Notification
from duban.followup.models import ReminderSent
from duban.followup.reminders import reminders_run
from duban.followup.tests.conftest import place_task
from duban.tasks import actions as task_actions

D = dt.date
# A weekly report cycle from Monday 2025-09-01: the report is due Monday 09-08, so on Wednesday 09-03 the task is
# blue (remind), on Tuesday 09-09 yellow (warn), and after its deadline 2025-12-31, red (escalate).
REMIND_DAY, WARN_DAY, ESCALATE_DAY = D(2025, 9, 3), D(2025, 9, 9), D(2026, 1, 5)


def _weekly_task_led_by(org, unit):
    task = org.task_in("assigned", lead_unit_id=unit.pk, coop_unit_ids=[])
    return place_task(task, assigned=D(2025, 9, 1), deadline=D(2025, 12, 31), cycle="weekly", progress=30)


def _told(kind) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.fixture
def empty_unit(org):
    return unit_create(actor=org.system, name="市水务局")


def test_a_warning_goes_to_the_staff_of_a_unit_without_a_head(org):
    # 市卫健委 has one member of staff (coop_staff) and no unit admin.
    _weekly_task_led_by(org, org.health)
    reminders_run(today=WARN_DAY, actor=org.system)
    assert _told("task_warned") == ["coop_staff"]
    [event] = AuditEvent.objects.filter(event_type=EventType.TASK_WARNED)
    assert event.extra["recipients"] == [org.coop_staff.pk]
    assert ReminderSent.objects.get(stage="warn").recipient_count == 1


def test_an_escalation_on_a_unit_without_a_head_tells_its_staff_and_the_office(org):
    _weekly_task_led_by(org, org.health)
    reminders_run(today=ESCALATE_DAY, actor=org.system)
    assert _told("task_escalated") == ["coop_staff", "supervisor"]


@pytest.mark.parametrize("day, kind", [(REMIND_DAY, "task_reminded"), (WARN_DAY, "task_warned"),
                                       (ESCALATE_DAY, "task_escalated")])
def test_every_step_on_a_unit_with_nobody_goes_to_the_office(org, empty_unit, day, kind):
    task = _weekly_task_led_by(org, empty_unit)
    reminders_run(today=day, actor=org.system)
    assert _told(kind) == ["supervisor"]
    assert ReminderSent.objects.get(task=task).recipient_count == 1
    assert not AuditEvent.objects.filter(event_type=EventType.REMINDER_UNDELIVERED).exists()


@pytest.mark.parametrize("day, kind", [(REMIND_DAY, "task_reminded"), (WARN_DAY, "task_warned")])
def test_a_step_on_a_sub_task_whose_unit_has_nobody_goes_to_the_office_that_issued_it(org, day, kind):
    """A sub-task that a district's 督查室 issued to a township with nobody: its reminders and warnings go to that
    office (the district's 督查室, which can reach the township), not to the city office."""
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    town = unit_create(actor=org.system, name="临川区罗针镇人民政府", parent=lv.district)
    part, _ = lv.split(org.supervisor, lv.city_task(days=200), lv.district, lv.district2)
    [sub] = lv.split(lv.district_sup, part, town)
    place_task(sub, assigned=D(2025, 9, 1), deadline=D(2025, 12, 31), cycle="weekly", progress=30)
    reminders_run(today=day, actor=org.system)
    told = Notification.objects.filter(kind=kind, task=sub).values_list("recipient__username", flat=True)
    assert sorted(told) == ["district_sup"]


def test_assigning_to_a_unit_with_nobody_tells_the_office(org, empty_unit):
    org.task_in("assigned", lead_unit_id=empty_unit.pk, coop_unit_ids=[])
    assert _told("task_assigned") == ["supervisor"]


def test_a_step_that_reaches_nobody_is_a_recorded_failure_shown_to_the_office(org, empty_unit, client):
    task = _weekly_task_led_by(org, empty_unit)
    get_user_model().objects.filter(pk=org.supervisor.pk).update(is_active=False)  # the office has nobody either
    [reminder] = reminders_run(today=WARN_DAY, actor=org.system)
    assert reminder.recipient_count == 0
    assert not Notification.objects.filter(kind="task_warned").exists()
    assert not AuditEvent.objects.filter(event_type=EventType.TASK_WARNED).exists()
    [event] = AuditEvent.objects.filter(event_type=EventType.REMINDER_UNDELIVERED)
    assert (event.actor_id, event.task_id, event.extra["stage"], event.extra["recipients"]) == (
        org.system.pk, task.pk, "warn", [])
    # the pass does not take the failed step again every few minutes
    assert reminders_run(today=WARN_DAY, actor=org.system) == []

    login(client, org.sysadmin)
    [row] = client.get("/api/v1/reminders/undelivered").json()["items"]
    assert (row["task_id"], row["stage"], row["recipient_count"], row["lead_unit"]) == (
        task.pk, "warn", 0, "市水务局")
    page = client.get("/followup/undelivered/")
    assert page.status_code == 200 and task.title in page.content.decode()
    login(client, org.lead_admin)
    assert client.get("/api/v1/reminders/undelivered").status_code == 403


def test_a_delivered_step_is_not_listed_as_undelivered(org, client):
    _weekly_task_led_by(org, org.health)
    reminders_run(today=WARN_DAY, actor=org.system)
    login(client, org.supervisor)
    assert client.get("/api/v1/reminders/undelivered").json()["items"] == []


def test_the_unit_recipients_rule(org, empty_unit):
    names = lambda users: sorted(u.username for u in users)  # noqa: E731
    assert names(task_actions.unit_recipients(org.safety.pk)) == ["lead_admin", "lead_staff"]
    assert names(task_actions.unit_recipients(org.safety.pk, first=("unit_admin",))) == ["lead_admin"]
    assert names(task_actions.unit_recipients(org.health.pk, first=("unit_admin",))) == ["coop_staff"]
    assert names(task_actions.unit_recipients(empty_unit.pk)) == ["supervisor"]
    assert names(task_actions.unit_recipients(None)) == ["supervisor"]
