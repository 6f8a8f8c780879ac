"""Levels of supervision: 分解下达 into sub-tasks, each level supervising what it issued, scope along the unit
tree, and the roll-up of a parent from its children."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from duban.conftest import PASSWORD, login
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.tasks import actions
from duban.tasks import permissions as perms
from duban.tasks.models import Task, TaskStatus
from duban.tasks.tests.levels_world import make_levels
from duban.tasks.tests.test_unit_tally import counted, recounted


@pytest.fixture
def lv(org):
    return make_levels(org)


def visible_ids(user) -> set[int]:
    return set(perms.tasks_visible_to(user).values_list("pk", flat=True))


def test_the_office_splits_a_city_task_into_the_districts(lv, django_capture_on_commit_callbacks):
    city = lv.city_task()
    assert counted() == recounted()  # kept before the split, which must make its units' counts stale
    before = AuditEvent.objects.latest("pk").pk
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
    # the kept counts follow (the database's triggers see every insert, and the parent's rolled-up light)
    assert counted() == recounted()
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
    from duban.core.actions import unit_create

    village = unit_create(actor=lv.org.system, name="上顿渡镇前进村", parent=lv.town_a)
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    with pytest.raises(InvalidInput):  # a level issues only to the units below it
        lv.split(lv.town_a_sup, town_a, lv.org.other)
    (leaf,) = lv.split(lv.town_a_sup, town_a, village)
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
    before = Notification.objects.latest("pk").pk
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


def test_the_review_queue_says_who_reviews_what_its_reader_may_not(lv, client):
    """The city office's 待审核进展 lists a township's report it may read but not review (the district's 督查室
    issued that part): no buttons, and the row names the office that reviews it; the district's 督查室 gets the
    buttons on the same row."""
    from duban.conftest import login

    city, part, part2, town_a, town_b = lv.world()
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    report = actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="已排查", progress_percent=40)
    login(client, lv.org.supervisor)
    page = client.get("/tasks/reports/pending/?all=1").content.decode()
    assert f'id="report-{report.pk}"' in page and f"/tasks/reports/{report.pk}/accept/" not in page
    assert "由临川区人民政府督查室审核" in page  # the queue's one report
    login(client, lv.district_sup)
    page = client.get("/tasks/reports/pending/").content.decode()
    assert f"/tasks/reports/{report.pk}/accept/" in page and "由临川区人民政府督查室审核" not in page


def test_the_review_queue_is_what_the_workbench_counts_and_the_rest_one_click_away(lv, client):
    """待审核进展 on each office's 工作台 and the review list it links to are one rule: the reports waiting for that
    office's own review (what the city office issued for it, what the district's 督查室 issued for the district).
    The reports another level's office reviews stay readable under 全部."""
    import re

    from duban.conftest import login
    from duban.workbench.selectors import workbench_get

    city, part, part2, town_a, town_b = lv.world()
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    town_report = actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="已排查", progress_percent=40)
    actions.task_accept(actor=lv.district2_staff, task_id=part2.pk)
    city_report = actions.report_submit(actor=lv.district2_staff, task_id=part2.pk, text="已部署", progress_percent=20)
    today = dt.date.today()
    for user, mine, other in ((lv.org.supervisor, city_report, town_report),
                              (lv.district_sup, town_report, None)):
        section = next(s for s in workbench_get(viewer=user, today=today).sections if s.key == "reports")
        assert [r.pk for r in section.rows] == [mine.pk] and section.count == 1
        login(client, user)
        page = client.get("/tasks/reports/pending/").content.decode()
        assert re.findall(r'id="report-(\d+)"', page) == [str(mine.pk)]
        assert "共 1 条" in page
        if other is not None:
            everything = client.get("/tasks/reports/pending/?all=1").content.decode()
            assert set(re.findall(r'id="report-(\d+)"', everything)) == {str(mine.pk), str(other.pk)}


def test_a_parent_is_not_signed_off_while_a_subtask_is_open_unless_overridden(lv):
    city, part, part2, town_a, town_b = lv.world()
    report = lv.ask_to_close(lv.district_staff, part)
    before = AuditEvent.objects.latest("pk").pk
    with pytest.raises(Conflict) as exc:
        actions.report_accept(actor=lv.org.supervisor, report_id=report.pk)
    assert "子任务未办结" in exc.value.message_zh and "sub-task" in exc.value.message_en
    assert AuditEvent.objects.latest("pk").pk == before
    assert Task.objects.get(pk=part.pk).status == TaskStatus.CLOSE_REQUESTED
    actions.report_accept(actor=lv.org.supervisor, report_id=report.pk, override_reason="乡镇已完成，系统外报结")
    assert Task.objects.get(pk=part.pk).status == TaskStatus.CLOSED
    events = list(AuditEvent.objects.filter(pk__gt=before).values_list("event_type", flat=True))
    assert EventType.TASK_CLOSED_OVER_OPEN_SUBTASKS in events and EventType.TASK_CLOSED in events
    override = AuditEvent.objects.get(event_type=EventType.TASK_CLOSED_OVER_OPEN_SUBTASKS)
    assert override.extra["reason"] == "乡镇已完成，系统外报结"
    assert override.extra["open_subtask_ids"] == sorted([town_a.pk, town_b.pk])


def test_a_parent_closed_over_open_subtasks_tells_its_unit_and_the_office_of_those_subtasks_why(lv):
    """The city signs off the district's part while one township's sub-task is still open: the district's people
    and the district office, which issued that sub-task and keeps following it, are both told that it was closed
    with sub-tasks open, the reason, and which ones are open."""
    city, part, part2, town_a, town_b = lv.world()
    _close(lv, town_a, staff=lv.town_a_staff, supervisor=lv.district_sup)
    report = lv.ask_to_close(lv.district_staff, part)
    before = Notification.objects.latest("pk").pk
    actions.report_accept(actor=lv.org.supervisor, report_id=report.pk,
                          override_reason="温泉镇的收尾工作由临川区督查室继续跟踪")
    told = {n.recipient_id: n for n in Notification.objects.filter(pk__gt=before, task_id=part.pk)}
    assert set(told) >= {lv.district_staff.pk, lv.district_sup.pk}
    assert len(Notification.objects.filter(pk__gt=before, recipient=lv.district_staff)) == 1
    for who in (lv.district_staff, lv.district_sup):
        note = told[who.pk]
        assert "已办结" in note.title and "1项子任务未办结" in note.title
        assert "市委督查室同意办结" in note.body
        assert "温泉镇的收尾工作由临川区督查室继续跟踪" in note.body
        assert "临川区温泉镇人民政府" in note.body  # the open one
        assert "临川区上顿渡镇人民政府" not in note.body  # closed before


def _split_with_a_unit_of_nobody(lv):
    """The district's part split to a township (with people) and to a district department with no account."""
    from duban.core.actions import unit_create

    dept = unit_create(actor=lv.org.system, name="临川区住房和城乡建设局", parent=lv.district)
    city = lv.city_task()
    part, part2 = lv.split(lv.org.supervisor, city, lv.district, lv.district2)
    town_a, of_dept = lv.split(lv.district_sup, part, lv.town_a, dept)
    return dept, town_a, of_dept


def test_the_office_signs_for_a_unit_with_nobody_and_then_takes_down_its_progress(lv, client):
    """A department with no account can never sign (签收), so its work could never be recorded: the office that
    supervises its sub-task signs for it (代为签收), recorded as the office's for the unit, and then enters what
    the department reports by telephone (代录). The page says why the button is there."""
    dept, town_a, of_dept = _split_with_a_unit_of_nobody(lv)
    login(client, lv.district_sup)
    page = client.get(f"/tasks/{of_dept.pk}/").content.decode()
    assert 'id="accept-for-unit"' in page and "临川区住房和城乡建设局尚无能登录签收的人员" in page
    before = AuditEvent.objects.latest("pk").pk
    response = client.post(f"/tasks/{of_dept.pk}/accept/", {"for_unit": "on"}, follow=True)
    assert "已代为签收" in response.content.decode()
    assert Task.objects.get(pk=of_dept.pk).status == TaskStatus.ACCEPTED
    [event] = AuditEvent.objects.filter(pk__gt=before)
    assert (event.event_type, event.actor_id, event.unit_id, event.target_unit_id) == (
        EventType.TASK_ACCEPTED, lv.district_sup.pk, lv.district.pk, dept.pk)
    assert event.extra == {"entered_by_office": True}
    page = client.get(f"/tasks/{of_dept.pk}/").content.decode()
    assert "由督查室代为签收" in page and 'id="accept-for-unit"' not in page
    assert 'id="enter-report-form"' in page  # 代录, now that it is signed for
    report = actions.report_submit(actor=lv.district_sup, task_id=of_dept.pk, text="电话报：已排查32户",
                                   progress_percent=30, for_unit=True)
    assert (report.unit_id, report.entered_by_office, report.status) == (dept.pk, True, "accepted")
    assert Task.objects.get(pk=of_dept.pk).status == TaskStatus.IN_PROGRESS


def test_nobody_signs_for_a_unit_that_has_someone_who_can(lv, org, client):
    """代为签收 only where the lead unit has nobody who can sign, and only by the office that supervises the task:
    refused with no trace for a township with people, for a 分局 whose bureau above it can sign for it, for the
    city office on the district's sub-task and for the district's staff."""
    dept, town_a, of_dept = _split_with_a_unit_of_nobody(lv)
    of_child = org.task_in("assigned", lead_unit_id=org.child.pk, coop_unit_ids=[])  # 分局: the bureau can sign
    refused = [(lv.district_sup, town_a), (org.supervisor, of_child), (org.supervisor, of_dept),
               (lv.district_staff, of_dept)]
    before = (AuditEvent.objects.count(), Notification.objects.count())
    for actor, task in refused:
        with pytest.raises(PermissionDenied):
            actions.task_accept(actor=actor, task_id=task.pk, for_unit=True)
        assert Task.objects.get(pk=task.pk).status == TaskStatus.ASSIGNED
    assert (AuditEvent.objects.count(), Notification.objects.count()) == before
    assert perms.can_accept_task(org.lead_staff, Task.objects.get(pk=of_child.pk))  # who signs it instead
    login(client, lv.district_sup)
    assert 'id="accept-for-unit"' not in client.get(f"/tasks/{town_a.pk}/").content.decode()
    login(client, org.supervisor)
    assert 'id="accept-for-unit"' not in client.get(f"/tasks/{of_child.pk}/").content.decode()


def test_the_lead_unit_is_warned_of_open_subtasks_on_its_close_request_form_and_may_still_ask(lv, client):
    """The district asking to close its part while townships' sub-tasks are open is told how many are open (the
    count the office sees on the request), and may still ask."""
    city, part, part2, town_a, town_b = lv.world()
    _close(lv, town_a, staff=lv.town_a_staff, supervisor=lv.district_sup)
    actions.task_accept(actor=lv.district_staff, task_id=part.pk)
    login(client, lv.district_staff)
    page = client.get(f"/tasks/{part.pk}/").content.decode()
    assert 'id="id_request_close"' in page
    assert "本事项尚有1项子任务未办结" in page
    response = client.post(f"/tasks/{part.pk}/report/", {"text": "已完成", "progress_percent": 100,
                                                         "request_close": "on", "evidence_text": "台账"})
    assert response.status_code == 302 and Task.objects.get(pk=part.pk).status == TaskStatus.CLOSE_REQUESTED
    login(client, lv.org.supervisor)
    assert "尚有1项子任务未办结" in client.get(f"/tasks/{part.pk}/").content.decode()  # what the office sees
    # a township with no sub-tasks of its own sees no such line
    actions.task_accept(actor=lv.town_b_staff, task_id=town_b.pk)
    login(client, lv.town_b_staff)
    assert "子任务未办结" not in client.get(f"/tasks/{town_b.pk}/").content.decode()


def test_a_split_task_says_its_progress_comes_from_its_subtasks_and_once_closed_what_is_open(lv, client):
    """On a split task the percent a report gives does not move the task's progress (rolled up from the sub-tasks):
    the report form says so at the field. Closed over open sub-tasks, the page does not call its 100% a roll-up
    of sub-tasks of which one of two is closed: it says the task is closed and how many are open."""
    city, part, part2, town_a, town_b = lv.world()
    _close(lv, town_a, staff=lv.town_a_staff, supervisor=lv.district_sup)
    actions.task_accept(actor=lv.district_staff, task_id=part.pk)
    login(client, lv.district_staff)
    page = client.get(f"/tasks/{part.pk}/").content.decode()
    assert 'id="progress-rolled-note"' in page and "此处填写的进度只记入本条进展，不改变事项进度" in page
    actions.task_accept(actor=lv.town_b_staff, task_id=town_b.pk)
    login(client, lv.town_b_staff)  # a task never split: its percent is the task's
    assert 'id="progress-rolled-note"' not in client.get(f"/tasks/{town_b.pk}/").content.decode()
    report = actions.report_submit(actor=lv.district_staff, task_id=part.pk, text="已完成", progress_percent=100,
                                   request_close=True, evidence_text="台账")
    actions.report_accept(actor=lv.org.supervisor, report_id=report.pk, override_reason="温泉镇收尾由区督查室跟踪")
    for viewer in (lv.district_staff, lv.org.supervisor):
        login(client, viewer)
        page = client.get(f"/tasks/{part.pk}/").content.decode()
        assert "由子任务汇总" not in page, viewer.username
        assert "事项已办结，尚有1项子任务未办结" in page and "子任务已办结 1/2" in page, viewer.username
        rollup = page[page.index('id="rollup"'):]
        rollup = rollup[:rollup.index("</div>")]
        assert "进度 100%" not in rollup and "事项已办结" in rollup, viewer.username
    login(client, lv.town_b_staff)  # the township reads the closed part above its own
    page = client.get(f"/tasks/{part.pk}/").content.decode()
    assert "由子任务汇总" not in page and "事项已办结，尚有1项子任务未办结" in page


def test_the_review_list_asks_the_reason_where_a_close_request_has_open_subtasks(lv, client):
    """On 待审核进展 a close request whose task has open sub-tasks is approved only with a reason, asked right
    there, as on the task page; one without keeps its plain 同意办结."""
    city, part, part2, town_a, town_b = lv.world()
    split = lv.ask_to_close(lv.district_staff, part)
    plain = lv.ask_to_close(lv.district2_staff, part2)
    login(client, lv.org.supervisor)
    page = client.get("/tasks/reports/pending/").content.decode()
    rows = {pk: page[page.index(f'id="report-{pk}"'):] for pk in (split.pk, plain.pk)}
    rows = {pk: row[:row.index("</form>")] for pk, row in rows.items()}
    assert "尚有2项子任务未办结" in rows[split.pk] and 'name="override_reason" required' in rows[split.pk]
    assert "override_reason" not in rows[plain.pk]
    client.post(f"/tasks/reports/{split.pk}/accept/", {"override_reason": "乡镇收尾由区督查室跟踪"})
    assert Task.objects.get(pk=part.pk).status == TaskStatus.CLOSED


def test_a_subtask_deadline_cannot_be_moved_past_the_parents(lv):
    city, part, part2, town_a, town_b = lv.world(days=40)
    town_a.refresh_from_db()
    with pytest.raises(InvalidInput):
        actions.task_deadline_adjust(actor=lv.district_sup, task_id=town_a.pk, version=town_a.version,
                                     deadline=dt.date.today() + dt.timedelta(days=41), reason="工作量大")
    actions.task_deadline_adjust(actor=lv.district_sup, task_id=town_a.pk, version=town_a.version,
                                 deadline=dt.date.today() + dt.timedelta(days=39), reason="提前完成")
    # nor a parent's before its open sub-tasks'
    part.refresh_from_db()
    with pytest.raises(InvalidInput) as exc:
        actions.task_deadline_adjust(actor=lv.org.supervisor, task_id=part.pk, version=part.version,
                                     deadline=dt.date.today() + dt.timedelta(days=20), reason="提前")
    assert "子任务" in exc.value.message_zh


# --- roll-up --------------------------------------------------------------------------------------------------

def _tree(viewer, task):
    from duban.followup.selectors import task_tree

    return task_tree(viewer=viewer, task=Task.objects.get(pk=task.pk))


def _close(lv, task, *, staff, supervisor):
    actions.report_accept(actor=supervisor, report_id=lv.ask_to_close(staff, task).pk)


def test_a_parent_rolls_up_its_childrens_progress_and_worst_light(lv):
    city, part, part2, town_a, town_b = lv.world()
    tree = _tree(lv.org.supervisor, city)
    nodes = {n.task.pk: n for n in tree.nodes}
    assert [n.task.pk for n in tree.nodes] == [city.pk, part.pk, town_a.pk, town_b.pk, part2.pk]  # depth first
    assert [nodes[pk].depth for pk in (city.pk, part.pk, town_a.pk)] == [0, 1, 2]
    assert nodes[city.pk].subtasks == 2 and nodes[part.pk].subtasks == 2
    _close(lv, town_a, staff=lv.town_a_staff, supervisor=lv.district_sup)
    # one township of two closed: the district's part is at the mean, 50%; the city's at the mean of 50 and 0
    nodes = {n.task.pk: n for n in _tree(lv.org.supervisor, city).nodes}
    assert nodes[town_a.pk].progress == 100
    assert nodes[part.pk].progress == 50 and nodes[part.pk].closed == 1
    assert nodes[city.pk].progress == 25


def test_a_late_township_turns_the_city_red_under_the_worst_light_only(lv):
    city, part, part2, town_a, town_b = lv.world()
    Task.objects.filter(pk=town_b.pk).update(deadline=dt.date.today() - dt.timedelta(days=1))  # overdue below
    nodes = {n.task.pk: n for n in _tree(lv.org.supervisor, city).nodes}
    assert nodes[town_b.pk].light.code == "red"
    assert nodes[part.pk].light.code == "red" and nodes[city.pk].light.code == "red"
    Task.objects.filter(pk=city.pk).update(rollup_mode="share")
    Task.objects.filter(pk=part.pk).update(rollup_mode="share")
    nodes = {n.task.pk: n for n in _tree(lv.org.supervisor, city).nodes}
    # by share closed the parents follow their own deadline (60 days off) with 0% done: not red
    assert nodes[city.pk].light.code != "red" and nodes[city.pk].progress == 0


def test_all_closed_mode_reaches_100_only_when_every_child_is_closed(lv):
    city, part, part2, town_a, town_b = lv.world()
    Task.objects.filter(pk=part.pk).update(rollup_mode="all")
    _close(lv, town_a, staff=lv.town_a_staff, supervisor=lv.district_sup)
    assert {n.task.pk: n for n in _tree(lv.district_sup, part).nodes}[part.pk].progress == 0  # town B at 0
    _close(lv, town_b, staff=lv.town_b_staff, supervisor=lv.district_sup)
    node = _tree(lv.district_sup, part).nodes[0]
    assert node.progress == 100 and node.closed == 2 and node.light.code in ("green", "blue")


def test_a_township_sees_its_own_branch_only(lv):
    city, part, part2, town_a, town_b = lv.world()
    tree = _tree(lv.town_a_staff, town_a)
    # the levels above are the township's to read (title, deadline, status, tree), not its sibling's part
    assert [a.pk for a in tree.ancestors] == [city.pk, part.pk]
    with pytest.raises(NotFound):
        _tree(lv.town_a_staff, town_b)
    district = _tree(lv.district_staff, part)
    assert [n.visible for n in district.nodes] == [True, True, True]
    assert [a.pk for a in district.ancestors] == [city.pk]  # led by 各辖市区, read as the district part's parent


def test_a_withdrawn_part_leaves_the_tree_with_its_branch_and_a_withdrawn_task_still_shows_its_own(lv, client):
    """撤销 keeps the record: a withdrawn sub-task and what lies below it leave its parent's tree, and the page of a
    withdrawn task still shows the task itself at the top of its tree."""
    from duban.conftest import login
    from duban.tasks import actions

    city, part, part2, town_a, town_b = lv.world()
    actions.task_withdraw(actor=lv.org.supervisor, task_id=part.pk, reason="并入东乡区办理")
    assert [n.task.pk for n in _tree(lv.org.supervisor, city).nodes] == [city.pk, part2.pk]
    actions.task_withdraw(actor=lv.org.supervisor, task_id=city.pk, reason="上级决定撤销")
    assert _tree(lv.org.supervisor, city).top.task.pk == city.pk
    withdrawn_part = _tree(lv.org.supervisor, part)
    assert withdrawn_part.top.task.pk == part.pk
    login(client, lv.org.supervisor)
    for task in (city, part):
        assert client.get(f"/tasks/{task.pk}/").status_code == 200


# --- pages and API ----------------------------------------------------------------------------------------------

def test_the_task_page_shows_the_tree_and_the_split_form(lv, client):
    from duban.conftest import login

    city, part, part2, town_a, town_b = lv.world()
    login(client, lv.org.supervisor)
    page = client.get(f"/tasks/{city.pk}/").content.decode()
    assert 'id="task-tree"' in page and 'id="rollup"' in page
    assert page.count('class="list-group-item px-0 tree-node') == 4
    assert "临川区上顿渡镇人民政府" in page and "东乡区人民政府" in page
    login(client, lv.district_sup)
    page = client.get(f"/tasks/{part.pk}/").content.decode()
    assert 'id="split-form"' in page  # split already, and may add more: the lead unit's own office
    login(client, lv.town_a_staff)
    page = client.get(f"/tasks/{town_a.pk}/").content.decode()
    assert 'id="split-form"' not in page and 'id="task-tree"' in page and "温泉镇" not in page


def test_the_district_office_splits_from_its_page(lv, client):
    from duban.conftest import login

    city = lv.city_task()
    part, _ = lv.split(lv.org.supervisor, city, lv.district, lv.district2)
    login(client, lv.district_sup)
    page = client.get(f"/tasks/{part.pk}/").content.decode()
    assert 'id="split-form"' in page
    assert "临川区上顿渡镇人民政府" in page and "东乡区人民政府" not in page.split('id="split-form"')[1]
    part.refresh_from_db()
    response = client.post(f"/tasks/{part.pk}/decompose/", {
        "version": part.version, "lead_0": lv.town_a.pk, "deadline_0": part.deadline.isoformat(),
        "lead_1": lv.town_b.pk, "deadline_1": "", "lead_2": "", "deadline_2": "", "rollup_mode": "share"})
    assert response.status_code == 302
    children = Task.objects.filter(parent=part).order_by("pk")
    assert [c.lead_unit_id for c in children] == [lv.town_a.pk, lv.town_b.pk]
    assert Task.objects.get(pk=part.pk).rollup_mode == "share"
    late = (part.deadline + dt.timedelta(days=1)).isoformat()
    part.refresh_from_db()
    response = client.post(f"/tasks/{part.pk}/decompose/", {"version": part.version, "lead_0": lv.town_a.pk,
                                                             "deadline_0": late}, follow=True)
    assert "晚于上级任务时限" in response.content.decode()
    assert Task.objects.filter(parent=part).count() == 2


def test_the_api_splits_and_refuses_a_late_deadline(lv, client):
    from duban.conftest import login

    city = lv.city_task(days=30)
    login(client, lv.org.supervisor)
    url = f"/api/v1/tasks/{city.pk}/decompose"
    late = (city.deadline + dt.timedelta(days=1)).isoformat()
    response = client.post(url, {"version": city.version, "parts": [{"lead_unit_id": lv.district.pk,
                                                                     "deadline": late}]},
                           content_type="application/json")
    assert response.status_code == 422 and "晚于" in response.json()["message"]
    response = client.post(url, {"version": city.version, "parts": [
        {"lead_unit_id": lv.district.pk, "coop_unit_ids": [lv.district2.pk]}, {"lead_unit_id": lv.district2.pk}]},
        content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert [t["lead_unit_id"] for t in body] == [lv.district.pk, lv.district2.pk]
    assert body[0]["parent_id"] == city.pk and body[0]["coop_unit_ids"] == [lv.district2.pk]


# --- each level's own follow-up -------------------------------------------------------------------------------

def test_escalation_of_a_subtask_reaches_the_office_that_issued_it_first(lv, settings, tmp_path):
    from duban.conftest import use_data_dir
    from duban.core.audit import system_actor
    from duban.followup.actions import reminder_send
    from duban.followup.tests.conftest import place_task

    use_data_dir(settings, tmp_path)
    city, part, part2, town_a, town_b = lv.world()
    today = dt.date(2026, 6, 10)  # a Wednesday
    deadline = today - dt.timedelta(days=3)
    place_task(town_a, assigned=today - dt.timedelta(days=30), deadline=deadline)
    place_task(part2, assigned=today - dt.timedelta(days=30), deadline=deadline)
    sub = reminder_send(actor=system_actor(), task_id=town_a.pk, stage="escalate",
                        due_key=f"deadline:{deadline.isoformat()}", today=today)
    top = reminder_send(actor=system_actor(), task_id=part2.pk, stage="escalate",
                        due_key=f"deadline:{deadline.isoformat()}", today=today)
    told = {r.pk: set(Notification.objects.filter(kind="task_escalated", task_id=r.task_id)
                      .values_list("recipient_id", flat=True)) for r in (sub, top)}
    # the township's part: the township's people and the district's 督查室, which issued it; not the city office
    assert lv.district_sup.pk in told[sub.pk] and lv.town_a_staff.pk in told[sub.pk]
    assert lv.org.supervisor.pk not in told[sub.pk]
    # a part the office issued escalates to the office
    assert lv.org.supervisor.pk in told[top.pk] and lv.district_sup.pk not in told[top.pk]


def test_each_level_has_its_own_workbench(lv):
    from duban.workbench.selectors import workbench_get

    city, part, part2, town_a, town_b = lv.world()
    report = lv.ask_to_close(lv.town_a_staff, town_a)
    today = dt.date.today()
    district = {s.key: s for s in workbench_get(viewer=lv.district_sup, today=today).sections}
    assert [r.pk for r in district["reports"].rows] == [report.pk]
    assert "to_sign" in district  # and its unit's own work: the district's part waits to be signed for
    # 待签收 is the district's to sign: its part, not the township parts its unit issued (town B has not signed
    # yet), which the district's 督查室 follows as the office does what it assigned (no 待签收 of its own)
    assert {t.pk for t in district["to_sign"].rows} == {part.pk}
    office = {s.key: s for s in workbench_get(viewer=lv.org.supervisor, today=today).sections}
    # the office follows what it assigned and is not signed for yet (未签收), nothing of it to act on itself
    assert "to_sign" not in office and part.pk not in [t.pk for s in office.values() for t in s.rows
                                                       if isinstance(t, Task) and s.key != "unsigned"]
    assert part.pk in [t.pk for t in office["unsigned"].rows]
    town = {s.key: s for s in workbench_get(viewer=lv.town_b_staff, today=today).sections}
    assert {t.pk for t in town["to_sign"].rows} == {town_b.pk}  # the township signs for its own part
    assert report.pk not in [r.pk for r in office["reports"].rows]  # not the city's to review
    staff = {s.key: s for s in workbench_get(viewer=lv.district_staff, today=today).sections}
    assert "reports" not in staff


# --- the ledger across levels -------------------------------------------------------------------------------------

def test_the_ledger_names_each_subtasks_parent_and_round_trips_it(lv, django_capture_on_commit_callbacks):
    import io

    from openpyxl import load_workbook

    from duban.reports import ledger
    from duban.reports.actions import ledger_export, ledger_import
    from duban.reports.tests.test_ledger import _edit, by_header

    city, part, part2, town_a, town_b = lv.world()
    data = ledger_export(actor=lv.org.supervisor)
    rows = {r["任务编号"]: r for r in by_header(load_workbook(io.BytesIO(data)).active)}
    assert rows[ledger.task_key(city.pk)]["上级任务编号"] in (None, "")
    assert rows[ledger.task_key(part.pk)]["上级任务编号"] == ledger.task_key(city.pk)
    assert rows[ledger.task_key(town_a.pk)]["上级任务编号"] == ledger.task_key(part.pk)
    # the same file back: nothing to change; the district's ledger holds its part and the townships' only
    result = ledger_import(actor=lv.org.supervisor, data=data)
    assert result.created == 0 and result.updated == 0 and not result.refused
    # a sub-task moved under another parent in Excel is refused, with its reason, and changes nothing
    moved = _edit(data, {(ledger.task_key(town_a.pk), "上级任务编号"): ledger.task_key(part2.pk)})
    result = ledger_import(actor=lv.org.supervisor, data=moved)
    assert [e.row for e in result.refused] and "上级任务" in result.refused[0].message
    assert Task.objects.get(pk=town_a.pk).parent_id == part.pk
    # a new line naming a parent cannot make a sub-task: the whole file is refused
    new_line = _edit(data, {(ledger.task_key(town_a.pk), "任务编号"): None})
    with pytest.raises(InvalidInput) as exc:
        ledger_import(actor=lv.org.supervisor, data=new_line)
    assert "分解下达" in str(exc.value.details)
    district_rows = by_header(load_workbook(io.BytesIO(ledger_export(actor=lv.district_sup))).active)
    assert {r["任务编号"] for r in district_rows} == {ledger.task_key(t.pk) for t in (part, town_a, town_b)}


def test_a_district_office_urges_and_reassigns_what_it_issued_and_the_city_does_not(lv, settings, tmp_path):
    from duban.conftest import use_data_dir
    from duban.followup.actions import task_urge

    use_data_dir(settings, tmp_path)
    city, part, part2, town_a, town_b = lv.world()
    with pytest.raises(PermissionDenied):
        task_urge(actor=lv.org.supervisor, task_id=town_a.pk, message="请加快")
    task_urge(actor=lv.district_sup, task_id=town_a.pk, message="请加快")
    assert AuditEvent.objects.filter(event_type=EventType.TASK_URGED, task=town_a,
                                     actor=lv.district_sup).count() == 1
    # a township sends its part back: the district's office hears of it and gives it to the other township
    before = Notification.objects.latest("pk").pk
    actions.task_decline(actor=lv.town_a_staff, task_id=town_a.pk, reason="不属于本镇")
    assert set(Notification.objects.filter(pk__gt=before).values_list("recipient_id", flat=True)) == {
        lv.district_sup.pk}
    town_a.refresh_from_db()
    with pytest.raises(PermissionDenied):
        actions.task_reassign(actor=lv.org.supervisor, task_id=town_a.pk, version=town_a.version,
                              lead_unit_id=lv.town_b.pk, reason="改由温泉镇")
    actions.task_reassign(actor=lv.district_sup, task_id=town_a.pk, version=town_a.version,
                          lead_unit_id=lv.town_b.pk, reason="改由温泉镇")
    assert Task.objects.get(pk=town_a.pk).status == TaskStatus.ASSIGNED
    with pytest.raises(InvalidInput):  # only to the units below the district
        actions.task_reassign(actor=lv.district_sup, task_id=town_a.pk, version=town_a.version + 1,
                              lead_unit_id=lv.district2.pk, reason="改由东乡区")


def test_a_district_opens_the_city_task_its_part_came_from_read_only(lv, client):
    """The city's task is led by 各辖市区 (outside the district's scope): the district may open it, read-only, for
    its title, deadline, issuing unit, status and tree, without the sibling district's names; a township opens its
    district's part and sees its sibling's row without a name, and never opens the sibling's part."""
    from duban.conftest import login

    city, part, part2, town_a, town_b = lv.world()
    login(client, lv.district_staff)
    page = client.get(f"/tasks/{city.pk}/").content.decode()
    assert city.title in page and city.deadline.strftime("%Y年%-m月%-d日") in page
    assert 'id="task-above"' in page and "各辖市区人民政府" in page
    assert f'data-task="{part.pk}"' in page and f'href="/tasks/{part.pk}/"' in page  # its own part, linked
    assert f'data-task="{part2.pk}"' in page and f'href="/tasks/{part2.pk}/"' not in page
    assert "东乡区人民政府" not in page  # the sibling district's row shows no name
    for form in ("/accept/", "/report/", "/decompose/", "/withdraw/"):
        assert f"/tasks/{city.pk}{form}" not in page  # nothing to act on
    client.logout()
    login(client, lv.town_a_staff)
    page = client.get(f"/tasks/{part.pk}/").content.decode()
    assert 'id="task-above"' in page and f'data-task="{town_b.pk}"' in page
    assert "温泉镇" not in page  # town B's row is there, without its name
    assert client.get(f"/tasks/{town_b.pk}/").status_code == 404
    # from the city's task down, the district's part above the township's own is named and linked: readable too
    page = client.get(f"/tasks/{city.pk}/").content.decode()
    assert f'href="/tasks/{part.pk}/"' in page and f'href="/tasks/{town_a.pk}/"' in page
    assert f'href="/tasks/{part2.pk}/"' not in page and f'href="/tasks/{town_b.pk}/"' not in page
    assert client.post(f"/tasks/{part.pk}/accept/").status_code == 403
    assert Task.objects.get(pk=part.pk).status == TaskStatus.ASSIGNED


def test_the_task_above_names_the_office_that_issued_it(lv, client):
    """A task opened read-only from below names who issued it as the 工作台 does: the office by its name (市委督查室)
    for a part the city issued, a district's office (临川区人民政府督查室) for a part the district issued."""
    from duban.core.actions import unit_create, user_create
    from duban.core.models import Profile

    city, part, part2, town_a, town_b = lv.world()
    village = unit_create(actor=lv.org.system, name="上顿渡镇杨泗村", parent=lv.town_a)
    villager = user_create(actor=lv.org.system, username="village_staff", password=PASSWORD, role="unit_staff",
                           unit=village, display_name="村干部")
    Profile.objects.filter(user=villager).update(must_change_password=False)
    lv.split(lv.town_a_sup, town_a, village)

    def issuer(user, task):
        login(client, user)
        page = client.get(f"/tasks/{task.pk}/").content.decode()
        assert 'id="task-above"' in page
        return re.search(r'id="task-issuer">(.*?)</dd>', page).group(1)

    assert issuer(lv.town_a_staff, part) == "市委督查室"  # issued by the city office
    assert issuer(lv.district_staff, city) == "市委督查室"
    assert issuer(villager, town_a) == "临川区人民政府督查室"  # issued by the district


def test_the_district_reviews_the_part_it_gave_a_township_and_does_not_report_it(lv, client):
    """Progress on a township's part is the township's to report: the district that issued the part (its 督查室
    and its staff) gets no 报送进展, 申请办结 or 申请延期 on its page, and the actions refuse it with a reason. The
    district still reports on its own part, which the city gave it."""
    from duban.conftest import login
    from duban.followup import actions as followup_actions
    from duban.tasks.models import ProgressReport

    city, part, part2, town_a, town_b = lv.world()
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    report_form = f'action="/tasks/{town_a.pk}/report/"'
    login(client, lv.town_a_staff)
    page = client.get(f"/tasks/{town_a.pk}/").content.decode()
    assert report_form in page and 'id="extension-form"' in page
    for user in (lv.district_sup, lv.district_staff):
        login(client, user)
        page = client.get(f"/tasks/{town_a.pk}/").content.decode()
        assert report_form not in page and 'id="extension-form"' not in page, user.username
        refused = client.post(f"/tasks/{town_a.pk}/report/", {"text": "区里代为报送", "progress_percent": 10},
                              follow=True).content.decode()
        assert "下达子任务的单位负责审核，不代为报送" in refused, user.username
        with pytest.raises(PermissionDenied) as caught:
            actions.report_submit(actor=user, task_id=town_a.pk, text="区里代为报送", progress_percent=10)
        assert caught.value.message_en.startswith("only the lead and cooperating units report progress")
        with pytest.raises(PermissionDenied):
            actions.report_submit(actor=user, task_id=town_a.pk, text="区里代为申请办结", progress_percent=100,
                                  request_close=True, evidence_text="台账")
        with pytest.raises(PermissionDenied):
            followup_actions.extension_request(actor=user, task_id=town_a.pk, reason="区里代为申请",
                                               new_deadline=town_a.deadline + dt.timedelta(days=3))
    # the township before it signs: only the township signs for it
    with pytest.raises(PermissionDenied):
        actions.task_accept(actor=lv.district_staff, task_id=town_b.pk)
    assert not ProgressReport.objects.filter(task=town_a).exists()
    assert Task.objects.get(pk=town_a.pk).status == TaskStatus.ACCEPTED
    # its own part, from the city: the district signs for it and reports
    actions.task_accept(actor=lv.district_staff, task_id=part.pk)
    assert actions.report_submit(actor=lv.district_sup, task_id=part.pk, text="已部署", progress_percent=20).pk


def test_nobody_reviews_a_report_they_wrote(lv, client):
    """A township's clerk reports, then moves to the district as its 督查室 (which supervises the township's
    part): the report waits for someone else, with no 采纳/退回 for its author, who is refused with a reason."""
    from duban.conftest import login
    from duban.core.actions import user_move, user_update
    from duban.tasks.models import ProgressReport, ReportStatus

    city, part, part2, town_a, town_b = lv.world()
    actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    report = actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="已排查一半", progress_percent=50)
    clerk = lv.town_a_staff
    user_move(actor=lv.org.sysadmin, user_id=clerk.pk, version=clerk.profile.version, unit_id=lv.district.pk)
    clerk.profile.refresh_from_db()
    user_update(actor=lv.org.sysadmin, user_id=clerk.pk, version=clerk.profile.version,
                changes={"role": "unit_supervisor"})
    clerk.refresh_from_db()
    assert perms.supervises_task(clerk, town_a)
    login(client, clerk)
    accept_url = f"/tasks/reports/{report.pk}/accept/"
    assert accept_url not in client.get(f"/tasks/{town_a.pk}/").content.decode()
    assert accept_url not in client.get("/tasks/reports/pending/").content.decode()
    for review in (lambda: actions.report_accept(actor=clerk, report_id=report.pk),
                   lambda: actions.report_return(actor=clerk, report_id=report.pk, reason="不够具体")):
        with pytest.raises(PermissionDenied) as caught:
            review()
        assert caught.value.message_zh.startswith("不能审核本人报送的进展")
    page = client.post(accept_url, follow=True).content.decode()
    assert "不能审核本人报送的进展" in page
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.SUBMITTED
    # the district's other supervisor reviews it
    login(client, lv.district_sup)
    assert accept_url in client.get(f"/tasks/{town_a.pk}/").content.decode()
    actions.report_accept(actor=lv.district_sup, report_id=report.pk)
    assert ProgressReport.objects.get(pk=report.pk).status == ReportStatus.ACCEPTED
