"""Permission rules read from their text, each allowed and refused case on one setup: who reports on a task (its
lead and cooperating units, nobody else), who leads it (the lead unit and the units above it, never a task without
one), who sees a meeting (the office all; a unit the meetings of tasks it may see), what a unit sees through the
web (its tasks and its sub-units', nobody else's), and who may mint an API token (a signed-in person with their own
password, never through a token)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from duban.conftest import login
from duban.core import permissions as perms
from duban.core.models import Profile
from duban.meetings.actions import meeting_confirm
from duban.meetings.models import Meeting
from duban.meetings.permissions import meetings_visible_to
from duban.tasks import permissions as task_perms

pytestmark = pytest.mark.django_db

COMMUNIQUE = ("2026年3月2日，市委书记许文博主持召开市委常委会会议。\n"
              "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，3月底前完成。\n"
              "会议要求，要加强冬春季传染病防控，市卫健委要做好药品储备。\n")


def test_only_the_lead_and_cooperating_units_report_on_a_task(org):
    task = org.task_in("accepted", lead_unit_id=org.safety.pk, coop_unit_ids=[org.health.pk])
    for user in (org.lead_staff, org.lead_admin, org.coop_staff):
        assert task_perms.can_report_on_task(user, task), user
    for user in (org.supervisor, org.sysadmin, org.leader, org.other_staff, org.child_staff):
        assert not task_perms.can_report_on_task(user, task), user
        assert not task_perms.is_coop_member(user, task), user
    assert task_perms.is_coop_member(org.coop_staff, task) and not task_perms.is_coop_member(org.lead_staff, task)


def test_a_unit_sees_the_meetings_of_the_tasks_it_may_see(client, org):
    login(client, org.supervisor)
    client.post("/meetings/import/", {"text": COMMUNIQUE})
    meeting = Meeting.objects.get()
    meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)  # 市应急管理局 and 市卫健委 lead one task each
    for user in (org.supervisor, org.sysadmin, org.leader, org.lead_staff, org.coop_staff):
        assert list(meetings_visible_to(user)) == [meeting], user
    for user in (org.other_staff, AnonymousUser()):
        assert not meetings_visible_to(user).exists(), user


def test_an_api_token_is_minted_by_a_person_with_their_own_password_and_never_by_a_token(org):
    assert perms.can_create_api_token(org.lead_staff, via_token=False)
    assert not perms.can_create_api_token(org.lead_staff, via_token=True)  # a token never mints another
    assert not perms.can_create_api_token(AnonymousUser(), via_token=False)
    Profile.objects.filter(user=org.lead_staff).update(must_change_password=True)
    org.lead_staff.refresh_from_db()
    assert not perms.can_create_api_token(org.lead_staff, via_token=False)  # still on the initial password
    assert not perms.can_create_api_token(org.lead_staff, via_token=True)


def test_the_lead_unit_and_the_units_above_it_lead_a_task_and_nobody_leads_one_without_a_lead(org):
    led_by_child = org.task_in("assigned", lead_unit_id=org.child.pk, coop_unit_ids=[])
    assert task_perms.is_lead_member(org.child_staff, led_by_child)
    assert task_perms.is_lead_member(org.lead_staff, led_by_child)  # 市应急管理局 is above its district office
    led_by_safety = org.task_in("assigned", coop_unit_ids=[])
    assert task_perms.is_lead_member(org.lead_staff, led_by_safety) and not task_perms.is_lead_member(org.child_staff,
                                                                                          led_by_safety)
    assert not task_perms.is_lead_member(org.other_staff, led_by_safety)
    without_lead = org.draft_task(lead_unit_id=None, coop_unit_ids=[])
    for user in (org.lead_staff, org.child_staff, org.other_staff):
        assert not task_perms.is_lead_member(user, without_lead), user
    # The office sits in a unit of its own, and is no unit member for that.
    assert not perms.is_unit_member(org.supervisor) and perms.is_unit_member(org.child_staff)


def test_a_unit_sees_its_tasks_and_its_sub_units_through_the_web(client, org):
    own = org.task_in("assigned", title="本局事项", coop_unit_ids=[])
    child = org.task_in("assigned", title="分局事项", lead_unit_id=org.child.pk, coop_unit_ids=[])
    other = org.task_in("assigned", title="教育局事项", lead_unit_id=org.other.pk, coop_unit_ids=[])
    for user, expected in ((org.lead_staff, {own.pk, child.pk}), (org.child_staff, {child.pk}),
                           (org.other_staff, {other.pk}), (org.supervisor, {own.pk, child.pk, other.pk})):
        login(client, user)
        for _ in range(2):  # the second request of a signed-in user: its scope is read again, per request
            items = client.get("/api/v1/tasks").json()["items"]
            assert {item["id"] for item in items} == expected, user


def test_a_deactivated_account_or_a_login_without_a_profile_has_no_role_and_sees_nothing(org):
    from django.contrib.auth import get_user_model

    bare = get_user_model().objects.create_user(username="bare", password="Bare-pass-2026!")
    assert (perms.role_of(bare), perms.unit_of(bare)) == (None, None)
    assert not perms.units_visible_to(bare).exists() and not task_perms.tasks_visible_to(bare).exists()
    org.task_in("assigned")
    assert perms.units_visible_to(org.lead_staff).count() == 5  # unit names are no secret to a signed-in user
    get_user_model().objects.filter(pk=org.lead_staff.pk).update(is_active=False)
    org.lead_staff.refresh_from_db()
    assert perms.role_of(org.lead_staff) is None
    assert not task_perms.tasks_visible_to(org.lead_staff).exists() and not perms.units_visible_to(org.lead_staff).exists()


def test_people_are_managed_by_the_sysadmin_and_a_unit_admin_for_the_unit_roles_of_their_subtree(org):
    def usernames(user) -> set[str]:
        return set(perms.people_manageable_by(user).values_list("username", flat=True))

    assert usernames(org.lead_admin) == {"lead_admin", "lead_staff", "child_staff"}
    assert {"supervisor", "leader", "coop_staff", "other_staff", "lead_admin"} <= usernames(org.sysadmin)
    for user in (org.lead_staff, org.child_staff, org.supervisor, org.leader):
        assert usernames(user) == set(), user
