"""Nobody is notified of what they did themselves: the person who acts is left out of the recipients of every
notice the action queues (``duban.core.notifications.notify``), while everybody else it was meant for is told."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.actions import user_create
from duban.core.models import Notification
from duban.sources import actions as source_actions
from duban.tasks import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(org):
    """A second person of the supervision office, who is told what the first one does."""
    return user_create(actor=org.system, username="supervisor2", password="Pass#2026word", role="supervisor",
                       unit=org.office, display_name="supervisor2")


def _told(kind):
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def test_the_office_entering_a_units_progress_is_not_told_of_its_own_entry(org, colleague):
    task = org.task_in("accepted")
    actions.report_submit(actor=org.supervisor, task_id=task.pk, text="代录：已完成排查", progress_percent=30,
                          for_unit=True)
    told = _told("report_submitted")
    assert "supervisor" not in told
    assert {"supervisor2", "lead_admin", "lead_staff"} <= told


def test_the_office_recording_a_hazards_rectification_is_not_told_to_review_it_itself(org, colleague):
    hazard = source_actions.hazard_create(
        actor=org.supervisor, place="某小区地下车库", category="gas", severity="larger", description="燃气管道锈蚀",
        deadline=dt.date(2030, 6, 30), responsible_person="王五", lead_unit_id=org.safety.pk, coop_unit_ids=[],
        assign=True)
    source_actions.hazard_rectify(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version,
                                  rectification="已更换管道")
    assert _told("hazard_rectified") == {"supervisor2"}


def test_a_notice_with_nobody_else_to_tell_is_not_written_at_all(org):
    """The only supervisor records a hazard's rectification: the notice was for the office, which is the actor."""
    hazard = source_actions.hazard_create(
        actor=org.supervisor, place="某小区地下车库", category="gas", severity="larger", description="燃气管道锈蚀",
        deadline=dt.date(2030, 6, 30), responsible_person="王五", lead_unit_id=org.safety.pk, coop_unit_ids=[],
        assign=True)
    source_actions.hazard_rectify(actor=org.supervisor, hazard_id=hazard.pk, version=hazard.version,
                                  rectification="已更换管道")
    assert not Notification.objects.filter(kind="hazard_rectified").exists()
