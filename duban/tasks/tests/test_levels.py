"""Levels of supervision: 分解下达 into sub-tasks, each level supervising what it issued, scope along the unit
tree, and the roll-up of a parent from its children."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.core import permissions as perms
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.tasks import actions
from duban.tasks.models import Task, TaskStatus
from duban.tasks.tests.levels_world import make_levels


@pytest.fixture
def lv(org):
    return make_levels(org)


def visible_ids(user) -> set[int]:
    return set(perms.tasks_visible_to(user).values_list("pk", flat=True))


def test_the_office_splits_a_city_task_into_the_districts(lv, django_capture_on_commit_callbacks):
    city = lv.city_task()
    before = AuditEvent.objects.count()
    parts = lv.split(lv.org.supervisor, city, lv.district, lv.district2)
    city.refresh_from_db()
    assert city.tree_path == f"/{city.pk}/"
    assert [p.lead_unit_id for p in parts] == [lv.district.pk, lv.district2.pk]
    for part in Task.objects.filter(pk__in=[p.pk for p in parts]):
        assert part.parent_id == city.pk
        assert part.tree_path == f"/{city.pk}/{part.pk}/"
        assert part.issuing_unit_id is None  # the office issued it
        assert part.status == TaskStatus.ASSIGNED and part.assigned_at is not None
        assert part.deadline == city.deadline
    events = list(AuditEvent.objects.filter(pk__gt=before).order_by("pk"))
    assert [e.event_type for e in events] == [EventType.SUBTASK_ISSUED, EventType.SUBTASK_ISSUED,
                                              EventType.TASK_DECOMPOSED]
    assert events[0].extra["parent_id"] == city.pk and events[0].target_unit_id == lv.district.pk
    assert events[2].task_id == city.pk and events[2].extra["child_ids"] == [p.pk for p in parts]
    assert all(e.actor_id == lv.org.supervisor.pk for e in events)
    # the districts' people are told as on 交办
    told = set(Notification.objects.filter(kind="task_assigned", task__in=parts).values_list("recipient_id", "task_id"))
    assert (lv.district_staff.pk, parts[0].pk) in told and (lv.district2_staff.pk, parts[1].pk) in told


def test_a_subtask_deadline_after_the_parents_is_refused_and_nothing_is_written(lv):
    city = lv.city_task(days=30)
    before = (AuditEvent.objects.count(), Task.objects.count(), Notification.objects.count())
    with pytest.raises(InvalidInput) as exc:
        lv.split(lv.org.supervisor, city, lv.district, lv.district2, days=31)
    assert "晚于上级任务时限" in exc.value.message_zh and "after its parent" in exc.value.message_en
    assert (AuditEvent.objects.count(), Task.objects.count(), Notification.objects.count()) == before
    assert Task.objects.get(pk=city.pk).tree_path == ""


def test_a_split_lists_each_unit_once_and_needs_a_lead(lv):
    city = lv.city_task()
    with pytest.raises(InvalidInput):
        lv.split(lv.org.supervisor, city, lv.district, lv.district)
    with pytest.raises(InvalidInput):
        actions.task_decompose(actor=lv.org.supervisor, task_id=city.pk, version=city.version,
                               parts=[{"deadline": city.deadline}])
    with pytest.raises(Conflict):  # a stale version: someone changed the task meanwhile
        actions.task_decompose(actor=lv.org.supervisor, task_id=city.pk, version=city.version - 1,
                               parts=[{"lead_unit_id": lv.district.pk}])
    assert not Task.objects.filter(parent=city).exists()


def test_a_district_office_splits_its_part_further_and_issues_it(lv):
    city, part, part2, town_a, town_b = lv.world()
    assert town_a.issuing_unit_id == lv.district.pk and town_b.issuing_unit_id == lv.district.pk
    assert town_a.tree_path == f"/{city.pk}/{part.pk}/{town_a.pk}/"
    # and again below: the township's own 督查室 splits its part (any depth)
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    (leaf,) = lv.split(lv.town_a_sup, town_a, lv.org.other)
    leaf.refresh_from_db()
    assert leaf.tree_path == f"{town_a.tree_path}{leaf.pk}/" and leaf.issuing_unit_id == lv.town_a.pk


def test_who_may_split(lv):
    city, part, part2, town_a, town_b = lv.world()
    with pytest.raises(PermissionDenied):  # the district's staff: not its supervision office
        lv.split(lv.district_staff, part, lv.town_a)
    with pytest.raises(NotFound):  # another district's part is out of scope
        lv.split(lv.district_sup, part2, lv.town_a)
    with pytest.raises(PermissionDenied):  # the level above reads the townships' parts but did not issue them
        lv.split(lv.org.supervisor, town_a, lv.org.other)
    with pytest.raises(PermissionDenied):  # a leader reads only
        lv.split(lv.org.leader, city, lv.org.other)


def test_scope_follows_the_unit_tree(lv):
    city, part, part2, town_a, town_b = lv.world()
    everything = {city.pk, part.pk, part2.pk, town_a.pk, town_b.pk}
    assert everything <= visible_ids(lv.org.supervisor)
    assert everything <= visible_ids(lv.org.leader)
    assert visible_ids(lv.district_sup) & everything == {part.pk, town_a.pk, town_b.pk}
    assert visible_ids(lv.district_staff) & everything == {part.pk, town_a.pk, town_b.pk}
    assert visible_ids(lv.town_a_staff) & everything == {town_a.pk}  # never a sibling's, nor the levels above
    assert visible_ids(lv.town_b_staff) & everything == {town_b.pk}
    assert visible_ids(lv.district2_staff) & everything == {part2.pk}
    assert visible_ids(lv.org.other_staff) & everything == set()
    # the list order spelling of the scope agrees
    assert set(perms.tasks_visible_to(lv.town_a_staff, in_list_order=True).values_list("pk", flat=True)) & everything \
        == {town_a.pk}


def test_each_level_supervises_what_it_issued(lv, django_capture_on_commit_callbacks):
    city, part, part2, town_a, town_b = lv.world()
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    before = Notification.objects.count()
    report = actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="已排查", progress_percent=100,
                                   request_close=True, evidence_text="排查台账")
    # the close request goes to the district's 督查室, which issued the sub-task, not to the city office
    told = set(Notification.objects.filter(pk__gt=before).values_list("recipient_id", flat=True))
    assert lv.district_sup.pk in told and lv.org.supervisor.pk not in told
    with pytest.raises(PermissionDenied):  # the city reads the township's part but does not sign it off
        actions.report_accept(actor=lv.org.supervisor, report_id=report.pk)
    with pytest.raises(PermissionDenied):
        actions.report_accept(actor=lv.district_staff, report_id=report.pk)
    actions.report_accept(actor=lv.district_sup, report_id=report.pk)
    assert Task.objects.get(pk=town_a.pk).status == TaskStatus.CLOSED
    closed = AuditEvent.objects.get(task=town_a, event_type=EventType.TASK_CLOSED)
    assert closed.actor_id == lv.district_sup.pk
    # the district's part, issued by the office, is the office's to supervise
    assert perms.supervises_task(lv.org.supervisor, part) and not perms.supervises_task(lv.district_sup, part)


def test_a_parent_is_not_signed_off_while_a_subtask_is_open_unless_overridden(lv):
    city, part, part2, town_a, town_b = lv.world()
    actions.task_accept(actor=lv.district_staff, task_id=part.pk)
    report = actions.report_submit(actor=lv.district_staff, task_id=part.pk, text="全区完成", progress_percent=100,
                                   request_close=True, evidence_text="汇总表")
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        actions.report_accept(actor=lv.org.supervisor, report_id=report.pk)
    assert "子任务未办结" in exc.value.message_zh and "sub-task" in exc.value.message_en
    assert AuditEvent.objects.count() == before
    assert Task.objects.get(pk=part.pk).status == TaskStatus.CLOSE_REQUESTED
    actions.report_accept(actor=lv.org.supervisor, report_id=report.pk, override_reason="乡镇已完成，系统外报结")
    assert Task.objects.get(pk=part.pk).status == TaskStatus.CLOSED
    events = list(AuditEvent.objects.filter(pk__gt=before).values_list("event_type", flat=True))
    assert EventType.TASK_CLOSED_OVER_OPEN_SUBTASKS in events and EventType.TASK_CLOSED in events
    override = AuditEvent.objects.get(event_type=EventType.TASK_CLOSED_OVER_OPEN_SUBTASKS)
    assert override.extra["reason"] == "乡镇已完成，系统外报结"
    assert override.extra["open_subtask_ids"] == sorted([town_a.pk, town_b.pk])


def test_a_subtask_deadline_cannot_be_moved_past_the_parents(lv):
    city, part, part2, town_a, town_b = lv.world(days=40)
    town_a.refresh_from_db()
    with pytest.raises(InvalidInput):
        actions.task_deadline_adjust(actor=lv.district_sup, task_id=town_a.pk, version=town_a.version,
                                     deadline=dt.date.today() + dt.timedelta(days=41), reason="工作量大")
    actions.task_deadline_adjust(actor=lv.district_sup, task_id=town_a.pk, version=town_a.version,
                                 deadline=dt.date.today() + dt.timedelta(days=39), reason="提前完成")
