"""A deadline a leader sets in a 批示 on a sub-task is confirmed by the level that issued the sub-task (its issuing
unit's 本级督查室), or by the supervision office; nobody else, and not the sub-task's own units."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core.audit import EventType
from duban.core.errors import NotFound, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.followup import actions
from duban.followup.models import LeaderComment
from duban.tasks.models import Task
from duban.tasks.tests.levels_world import make_levels


@pytest.fixture
def lv(org):
    return make_levels(org)


def _proposed(lv, task, days=30):
    return actions.task_comment(actor=lv.org.leader, task_id=task.pk, text="请提前完成排查",
                                deadline=dt.date.today() + dt.timedelta(days=days))


def test_the_district_office_confirms_a_deadline_set_for_its_townships_part(lv, django_capture_on_commit_callbacks):
    city, part, part2, town_a, town_b = lv.world()
    with django_capture_on_commit_callbacks(execute=True):
        comment = _proposed(lv, town_a)
    # the 批示 reaches the level that confirms it: the district's 督查室, which issued the township's part
    assert Notification.objects.filter(kind="task_commented", task_id=town_a.pk,
                                       recipient=lv.district_sup).exists()
    actions.deadline_change_confirm(actor=lv.district_sup, comment_id=comment.pk)
    assert Task.objects.get(pk=town_a.pk).deadline == comment.proposed_deadline
    event = AuditEvent.objects.get(event_type=EventType.TASK_DEADLINE_CHANGE_CONFIRMED, task_id=town_a.pk)
    assert event.actor_id == lv.district_sup.pk
    assert LeaderComment.objects.get(pk=comment.pk).decided_by_id == lv.district_sup.pk


def test_the_city_office_still_confirms_and_declines_on_any_level(lv):
    city, part, part2, town_a, town_b = lv.world()
    comment = _proposed(lv, town_b)
    actions.deadline_change_confirm(actor=lv.org.supervisor, comment_id=comment.pk)
    assert Task.objects.get(pk=town_b.pk).deadline == comment.proposed_deadline
    declined = _proposed(lv, town_a, days=20)
    actions.deadline_change_decline(actor=lv.org.supervisor, comment_id=declined.pk, reason="乡镇排查需要时间")
    assert LeaderComment.objects.get(pk=declined.pk).deadline_status == "declined"


def test_a_township_and_the_district_outside_its_own_issue_cannot_confirm(lv):
    city, part, part2, town_a, town_b = lv.world()
    comment = _proposed(lv, town_a)
    before = Task.objects.get(pk=town_a.pk).deadline
    for actor in (lv.town_a_sup, lv.town_a_staff, lv.district_staff):  # a township's own office, the units
        with pytest.raises(PermissionDenied):
            actions.deadline_change_confirm(actor=actor, comment_id=comment.pk)
        with pytest.raises(PermissionDenied):
            actions.deadline_change_decline(actor=actor, comment_id=comment.pk, reason="不同意")
    with pytest.raises(NotFound):  # a township never sees a sibling's part
        actions.deadline_change_confirm(actor=lv.town_b_staff, comment_id=comment.pk)
    # the district's own part was issued by the city office: the district's 督查室 does not confirm it
    on_part = _proposed(lv, part)
    with pytest.raises(PermissionDenied):
        actions.deadline_change_confirm(actor=lv.district_sup, comment_id=on_part.pk)
    assert Task.objects.get(pk=town_a.pk).deadline == before
    assert not AuditEvent.objects.filter(event_type__in=[EventType.TASK_DEADLINE_CHANGE_CONFIRMED,
                                                         EventType.TASK_DEADLINE_CHANGE_DECLINED]).exists()
    assert set(LeaderComment.objects.values_list("deadline_status", flat=True)) == {"pending"}


def test_the_task_page_offers_the_confirmation_to_the_level_that_issued_it(lv, client):
    from duban.conftest import login

    city, part, part2, town_a, town_b = lv.world()
    _proposed(lv, town_a)
    for user, offered in ((lv.district_sup, True), (lv.org.supervisor, True), (lv.town_a_staff, False)):
        login(client, user)
        page = client.get(f"/tasks/{town_a.pk}/").content.decode()
        assert ("确认调整时限" in page) is offered, user.username
        client.logout()
