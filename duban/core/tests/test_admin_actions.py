"""Administration of people and units through the real actions: each writes its one audit event, a refused actor
leaves no trace, a unit admin manages only their own subtree (and meets "not found" outside it)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from duban.conftest import PASSWORD
from duban.core import actions
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Profile, Unit

User = get_user_model()


def events_since(last: int):
    return list(AuditEvent.objects.filter(id__gt=last).order_by("id"))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def signs_in(username: str, password: str) -> bool:
    """Through the real sign-in page (django-axes needs the request): a redirect to the dashboard is success."""
    response = Client().post("/accounts/login/", {"username": username, "password": password})
    return response.status_code == 302


def version_of(user) -> int:
    return Profile.objects.get(user=user).version


def test_unit_admin_adds_staff_to_a_sub_unit_but_not_an_office_role_or_another_unit(org):
    start = last_id()
    user = actions.user_create(actor=org.lead_admin, username="new_staff", password=PASSWORD, role="unit_staff",
                               unit=org.child, display_name="新同事", phone="13800000000")
    assert user.profile.unit == org.child and user.profile.phone == "13800000000"
    assert user.profile.must_change_password is True
    [event] = events_since(start)
    assert (event.event_type, event.actor, event.target_user) == (EventType.USER_CREATED, org.lead_admin, user)
    start = last_id()
    with pytest.raises(PermissionDenied):
        actions.user_create(actor=org.lead_admin, username="boss", password=PASSWORD, role="supervisor",
                            unit=org.safety)
    with pytest.raises(PermissionDenied):
        actions.user_create(actor=org.lead_admin, username="elsewhere", password=PASSWORD, role="unit_staff",
                            unit=org.other)
    with pytest.raises(PermissionDenied):
        actions.user_create(actor=org.lead_staff, username="nope", password=PASSWORD, role="unit_staff",
                            unit=org.safety)
    assert events_since(start) == []
    assert not User.objects.filter(username__in=["boss", "elsewhere", "nope"]).exists()


def test_a_unit_admin_cannot_touch_another_units_people_and_learns_nothing(org):
    start = last_id()
    for call in (lambda: actions.user_deactivate(actor=org.lead_admin, user_id=org.other_staff.pk),
                 lambda: actions.user_reset_password(actor=org.lead_admin, user_id=org.other_staff.pk),
                 lambda: actions.user_unlock(actor=org.lead_admin, user_id=org.other_staff.pk),
                 lambda: actions.user_update(actor=org.lead_admin, user_id=org.other_staff.pk, version=1,
                                             changes={"display_name": "x"}),
                 lambda: actions.user_deactivate(actor=org.lead_admin, user_id=999999)):
        with pytest.raises(NotFound):
            call()
    with pytest.raises(PermissionDenied):
        actions.user_deactivate(actor=org.supervisor, user_id=org.lead_staff.pk)
    assert events_since(start) == []
    assert User.objects.get(pk=org.other_staff.pk).is_active


def test_edit_records_old_and_new_and_refuses_a_stale_version(org):
    start = last_id()
    v = version_of(org.child_staff)
    actions.user_update(actor=org.lead_admin, user_id=org.child_staff.pk, version=v,
                        changes={"display_name": "王五", "phone": "13951901234", "role": "unit_admin"})
    profile = Profile.objects.get(user=org.child_staff)
    assert (profile.display_name, profile.phone, profile.role) == ("王五", "13951901234", "unit_admin")
    [event] = events_since(start)
    assert event.event_type == EventType.USER_UPDATED
    assert event.extra["old"] == {"display_name": "child_staff", "phone": "", "role": "unit_staff"}
    assert event.extra["new"]["role"] == "unit_admin"
    with pytest.raises(Conflict):
        actions.user_update(actor=org.lead_admin, user_id=org.child_staff.pk, version=v,
                            changes={"display_name": "赵六"})
    with pytest.raises(PermissionDenied):
        actions.user_update(actor=org.lead_admin, user_id=org.child_staff.pk, version=v + 1,
                            changes={"role": "sysadmin"})
    with pytest.raises(InvalidInput):
        actions.user_update(actor=org.sysadmin, user_id=org.child_staff.pk, version=v + 1,
                            changes={"email": "not an address"})
    assert len(events_since(start)) == 1


def test_move_keeps_history_under_the_old_unit(org):
    task = org.task_in("in_progress")
    report = task.reports.get()
    assert report.unit == org.safety
    start = last_id()
    actions.user_move(actor=org.sysadmin, user_id=org.lead_staff.pk, version=version_of(org.lead_staff),
                      unit_id=org.health.pk)
    assert Profile.objects.get(user=org.lead_staff).unit == org.health
    report.refresh_from_db()
    assert report.unit == org.safety and report.author == org.lead_staff
    [event] = events_since(start)
    assert event.event_type == EventType.USER_MOVED
    assert event.extra["old_unit"]["name"] == "市应急管理局" and event.extra["new_unit"]["name"] == "市卫健委"
    # a unit admin moves only inside the subtree
    with pytest.raises(NotFound):
        actions.user_move(actor=org.lead_admin, user_id=org.child_staff.pk,
                          version=version_of(org.child_staff), unit_id=org.other.pk)


def test_deactivated_person_cannot_sign_in_and_the_account_stays(org):
    start = last_id()
    actions.user_deactivate(actor=org.lead_admin, user_id=org.lead_staff.pk, reason="调离")
    actions.user_deactivate(actor=org.lead_admin, user_id=org.lead_staff.pk, reason="调离")
    [event] = events_since(start)
    assert event.event_type == EventType.USER_DEACTIVATED and event.extra["reason"] == "调离"
    assert User.objects.filter(pk=org.lead_staff.pk).exists()
    assert not signs_in("lead_staff", PASSWORD)
    with pytest.raises(InvalidInput):
        actions.user_deactivate(actor=org.lead_admin, user_id=org.lead_admin.pk)
    actions.user_reactivate(actor=org.lead_admin, user_id=org.lead_staff.pk)
    assert [e.event_type for e in events_since(start)][-1] == EventType.USER_REACTIVATED
    assert signs_in("lead_staff", PASSWORD)


def test_reset_password_forces_a_change_at_next_sign_in(org):
    start = last_id()
    new = actions.user_reset_password(actor=org.sysadmin, user_id=org.lead_staff.pk)
    [event] = events_since(start)
    assert event.event_type == EventType.USER_PASSWORD_RESET and new not in str(event.extra)
    assert not signs_in("lead_staff", PASSWORD)
    client = Client()
    response = client.post("/accounts/login/", {"username": "lead_staff", "password": new})
    assert response.status_code == 302
    assert client.get("/tasks/").url.startswith("/accounts/password/")


def test_unlock_lifts_an_axes_lockout(org, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "lead_staff", "password": "wrong-Password-1"})
    assert not signs_in("lead_staff", PASSWORD)  # locked: even the right password fails
    from duban.core.selectors import person_get

    assert person_get(viewer=org.lead_admin, user_id=org.lead_staff.pk).locked is True
    start = last_id()
    assert actions.user_unlock(actor=org.lead_admin, user_id=org.lead_staff.pk) > 0
    [event] = events_since(start)
    assert event.event_type == EventType.USER_UNLOCKED
    assert person_get(viewer=org.lead_admin, user_id=org.lead_staff.pk).locked is False
    assert signs_in("lead_staff", PASSWORD)
    assert actions.user_unlock(actor=org.lead_admin, user_id=org.lead_staff.pk) == 0
    assert [e.event_type for e in events_since(start)].count(EventType.USER_UNLOCKED) == 1


def test_first_admin_only_while_there_is_none(db):
    start = last_id()
    admin = actions.first_admin_create(username="admin", password="Shou-ren-2026!x")
    assert admin.profile.role == "sysadmin" and admin.check_password("Shou-ren-2026!x")
    [event] = events_since(start)
    assert event.event_type == EventType.USER_CREATED and event.target_user == admin
    with pytest.raises(Conflict):
        actions.first_admin_create(username="admin2", password="Shou-ren-2026!x")
    assert not User.objects.filter(username="admin2").exists()


def test_rename_keeps_the_old_name_as_alias_and_in_history(org):
    from django.utils import timezone

    from duban.core.selectors import unit_name_at

    before = timezone.now()
    start = last_id()
    unit = actions.unit_rename(actor=org.sysadmin, unit_id=org.health.pk, version=org.health.version,
                               name="市卫生健康委员会")
    assert unit.name == "市卫生健康委员会" and "市卫健委" in unit.aliases
    [event] = events_since(start)
    assert event.event_type == EventType.UNIT_RENAMED and event.extra["old"]["name"] == "市卫健委"
    assert unit_name_at(unit=unit, when=before) == "市卫健委"
    assert unit_name_at(unit=unit, when=timezone.now()) == "市卫生健康委员会"
    with pytest.raises(Conflict):
        actions.unit_rename(actor=org.sysadmin, unit_id=org.health.pk, version=org.health.version, name="又一名")
    with pytest.raises(InvalidInput):
        actions.unit_rename(actor=org.sysadmin, unit_id=org.health.pk, version=unit.version, name="市教育局")
    with pytest.raises(PermissionDenied):
        actions.unit_rename(actor=org.lead_admin, unit_id=org.safety.pk, version=org.safety.version, name="x局")


def test_merge_moves_tasks_people_and_sub_units_and_deactivates_the_old_unit(org):
    from duban.tasks.permissions import tasks_visible_to
    from duban.tasks.models import Task
    from duban.tasks.selectors import today_local
    from duban.tasks.tests.test_unit_tally import counted, direct, kept, recounted

    led = org.task_in("accepted")  # led by safety, health cooperating
    health_led = org.task_in("assigned", lead_unit_id=org.health.pk, coop_unit_ids=[org.safety.pk])
    both = org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[org.safety.pk, org.health.pk])
    assert counted() == recounted() and kept(org.coop_staff, today_local())  # kept before the merge
    start = last_id()
    moved = actions.unit_merge(actor=org.sysadmin, unit_id=org.safety.pk, into_id=org.health.pk,
                               version=Unit.objects.get(pk=org.safety.pk).version)
    assert Task.objects.get(pk=led.pk).lead_unit_id == org.health.pk
    assert list(Task.objects.get(pk=health_led.pk).coop_units.all()) == []  # no self-cooperation
    assert list(Task.objects.get(pk=both.pk).coop_units.values_list("pk", flat=True)) == [org.health.pk]
    assert Profile.objects.get(user=org.lead_staff).unit_id == org.health.pk
    child = Unit.objects.get(pk=org.child.pk)
    health = Unit.objects.get(pk=org.health.pk)
    assert child.parent_id == org.health.pk and child.path == f"{health.path}{child.pk}/"
    assert "市应急管理局" in health.aliases
    assert Unit.objects.get(pk=org.safety.pk).is_active is False
    [event] = events_since(start)
    assert event.event_type == EventType.UNIT_MERGED and event.target_unit_id == org.safety.pk
    assert set(event.extra["task_ids"]) == {led.pk, health_led.pk, both.pk} and moved["lead_task_ids"] == [led.pk]
    # the kept counts follow the move (database triggers): nothing is led by the old unit any more, the new one
    # leads the accepted task, and its people's scope (now with the merged unit's sub-unit) is counted as it is
    by_lead = {}
    for (_area, lead, status, _light, _late), n in counted().items():
        by_lead[(lead, status)] = by_lead.get((lead, status), 0) + n
    assert not any(n for (lead, _status), n in by_lead.items() if lead == org.safety.pk)
    assert by_lead[(org.health.pk, "accepted")] == 1
    assert counted() == recounted()
    today = today_local()
    assert kept(org.coop_staff, today) == direct(tasks_visible_to(org.coop_staff), today)
    with pytest.raises(InvalidInput):
        actions.unit_merge(actor=org.sysadmin, unit_id=org.health.pk, into_id=org.child.pk, version=health.version)


def test_deactivate_refuses_a_unit_with_work_left_and_retires_an_empty_one(org):
    org.task_in("assigned", lead_unit_id=org.other.pk)
    start = last_id()
    with pytest.raises(Conflict) as info:
        actions.unit_deactivate(actor=org.sysadmin, unit_id=org.other.pk, version=org.other.version)
    assert "在办事项" in info.value.message_zh and "在岗人员" in info.value.message_zh
    assert events_since(start) == []
    empty = actions.unit_create(actor=org.sysadmin, name="市临时指挥部")
    actions.unit_deactivate(actor=org.sysadmin, unit_id=empty.pk, version=empty.version)
    assert Unit.objects.get(pk=empty.pk).is_active is False
    assert events_since(start)[-1].event_type == EventType.UNIT_DEACTIVATED


def test_an_office_units_admin_cannot_touch_the_supervisors_sitting_in_it(org):
    office_admin = actions.user_create(actor=org.sysadmin, username="office_admin", password=PASSWORD,
                                       role="unit_admin", unit=org.office, display_name="办公室管理员")
    Profile.objects.filter(user=office_admin).update(must_change_password=False)
    with pytest.raises(NotFound):
        actions.user_update(actor=office_admin, user_id=org.supervisor.pk, version=version_of(org.supervisor),
                            changes={"role": "unit_staff"})
    assert Profile.objects.get(user=org.supervisor).role == "supervisor"
