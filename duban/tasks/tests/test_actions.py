"""The task workflow through its actions: state, one audit event with actor and values, notifications, and no
trace left by a refused actor."""

from __future__ import annotations

import pytest

from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.tasks import actions
from duban.tasks.models import ProgressReport, Task, TaskStatus

pytestmark = pytest.mark.django_db


def events(task, event_type=None):
    qs = AuditEvent.objects.filter(task=task)
    return list(qs.filter(event_type=int(event_type)) if event_type else qs)


def test_create_writes_task_and_one_audit_event(org):
    task = org.draft_task()
    assert task.status == TaskStatus.DRAFT
    (event,) = events(task)
    assert event.event_type == EventType.TASK_CREATED
    assert event.actor == org.supervisor
    assert event.extra["lead_unit_id"] == org.safety.pk
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("who", ["leader", "lead_staff", "other_staff"])
def test_only_supervisors_create(org, who):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        actions.task_create(actor=getattr(org, who), title="x", text="要做某事。")
    assert Task.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_assign_notifies_lead_and_cooperating_units(org):
    task = org.draft_task()
    actions.task_assign(actor=org.supervisor, task_id=task.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
    (event,) = events(task, EventType.TASK_ASSIGNED)
    assert event.target_unit == org.safety
    told = {n.recipient.username: n for n in Notification.objects.filter(task=task).select_related("recipient")}
    # the lead unit's two people and the cooperating unit's one (市卫健委); nobody of the unrelated unit
    assert set(told) == {"lead_admin", "lead_staff", "coop_staff"}
    assert told["coop_staff"].title.startswith("（配合）") and "市应急管理局" in told["coop_staff"].body
    assert not told["lead_staff"].title.startswith("（配合）")


def test_a_unit_with_nobody_to_tell_has_its_notice_taken_by_the_office_which_is_told_so(org):
    """A notice never reaches nobody: for a lead unit without people the office (督查室) receives it, and the
    notice says that it stands in and for which unit, so the clerk passes it on or opens an account; a unit with
    people is told itself, with nothing said of standing in."""
    from duban.core.actions import unit_create

    empty = unit_create(actor=org.system, name="市信访局")
    task = org.draft_task(lead_unit_id=empty.pk, coop_unit_ids=[org.health.pk])
    actions.task_assign(actor=org.supervisor, task_id=task.pk)
    told = {n.recipient.username: n for n in Notification.objects.filter(task=task).select_related("recipient")}
    assert set(told) == {"supervisor", "coop_staff"}
    assert told["supervisor"].title.startswith("（代收）") and "新交办事项" in told["supervisor"].title
    assert "市信访局" in told["supervisor"].body and "代收" in told["supervisor"].body
    assert told["coop_staff"].title.startswith("（配合）") and "代收" not in told["coop_staff"].title

    staffed = org.draft_task()
    actions.task_assign(actor=org.supervisor, task_id=staffed.pk)
    titles = list(Notification.objects.filter(task=staffed).values_list("title", flat=True))
    assert titles and not any("代收" in t for t in titles)
    assert not Notification.objects.filter(task=staffed, recipient=org.supervisor).exists()


def test_assign_needs_lead_unit(org):
    task = org.draft_task(lead_unit_id=None, coop_unit_ids=[])
    with pytest.raises(InvalidInput):
        actions.task_assign(actor=org.supervisor, task_id=task.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.DRAFT
    assert not events(task, EventType.TASK_ASSIGNED)


def test_accept_is_lead_units_and_idempotent(org):
    task = org.task_in("assigned")
    with pytest.raises(PermissionDenied):
        actions.task_accept(actor=org.coop_staff, task_id=task.pk)
    with pytest.raises(NotFound):
        actions.task_accept(actor=org.other_staff, task_id=task.pk)
    actions.task_accept(actor=org.lead_staff, task_id=task.pk)
    actions.task_accept(actor=org.lead_admin, task_id=task.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.ACCEPTED
    assert len(events(task, EventType.TASK_ACCEPTED)) == 1


def test_child_unit_sees_parent_units_task_not_vice_versa(org):
    parent_task = org.task_in("assigned")
    child_task = org.task_in("assigned", lead_unit_id=org.child.pk, coop_unit_ids=[])
    from duban.tasks.permissions import tasks_visible_to

    assert set(tasks_visible_to(org.lead_staff).values_list("id", flat=True)) == {parent_task.pk, child_task.pk}
    assert set(tasks_visible_to(org.child_staff).values_list("id", flat=True)) == {child_task.pk}


def test_report_moves_to_in_progress_and_tells_supervisors(org):
    task = org.task_in("accepted")
    report = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已召开专题会", progress_percent=30)
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.progress_percent == 30
    assert task.latest_report_id == report.pk
    (event,) = events(task, EventType.REPORT_SUBMITTED)
    assert event.report == report and event.extra["progress_percent"] == 30
    assert Notification.objects.filter(task=task, kind="report_submitted").get().recipient == org.supervisor


def test_coop_unit_reports_but_cannot_request_close(org):
    task = org.task_in("accepted")
    actions.report_submit(actor=org.coop_staff, task_id=task.pk, text="配合完成", progress_percent=90)
    task.refresh_from_db()
    assert task.progress_percent == 0  # only the lead unit's report moves the task's progress
    with pytest.raises(PermissionDenied):
        actions.report_submit(actor=org.coop_staff, task_id=task.pk, text="申请", progress_percent=100,
                              request_close=True)


def test_a_cooperating_units_part_is_labelled_as_such_and_leaves_the_lead_task_as_it_was(org, client):
    """A cooperating unit's 配合意见 on a task its lead unit has signed for but not reported on: the lead's page
    shows it as 配合意见 (its 配合进度, not the task's 进度), and the task stays 已签收 with no latest progress;
    the lead unit's own first report moves it into 办理中."""
    from duban.conftest import login

    task = org.task_in("accepted")
    part = actions.report_submit(actor=org.coop_staff, task_id=task.pk, text="已配合排查", progress_percent=50)
    task.refresh_from_db()
    assert (task.status, task.progress_percent, task.latest_report_id) == (TaskStatus.ACCEPTED, 0, None)
    login(client, org.lead_staff)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    entry = page[page.index(f'id="report-{part.pk}"'):]
    entry = entry[:entry.index("</div>")]
    assert "配合意见" in entry and "配合进度 50%" in entry and "进度 50%" not in entry.replace("配合进度 50%", "")
    own = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已部署", progress_percent=20)
    task.refresh_from_db()
    assert (task.status, task.progress_percent, task.latest_report_id) == (TaskStatus.IN_PROGRESS, 20, own.pk)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    entry = page[page.index(f'id="report-{own.pk}"'):]
    entry = entry[:entry.index("</div>")]
    assert "配合意见" not in entry and "进度 20%" in entry


def test_close_request_accepted_closes_task(org):
    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    actions.report_accept(actor=org.supervisor, report_id=report.pk, comment="同意")
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED and task.closed_at is not None
    assert len(events(task, EventType.TASK_CLOSED)) == 1
    actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert len(events(task, EventType.REPORT_ACCEPTED)) == 1


def test_close_request_returned_goes_back_with_reason(org):
    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    with pytest.raises(InvalidInput):
        actions.report_return(actor=org.supervisor, report_id=report.pk, reason=" ")
    actions.report_return(actor=org.supervisor, report_id=report.pk, reason="佐证材料不全")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.returns_count == 1
    (event,) = events(task, EventType.TASK_CLOSE_RETURNED)
    assert event.extra == {"reason": "佐证材料不全"}
    assert Notification.objects.filter(task=task, kind="report_returned", recipient=org.lead_staff).exists()


def test_a_returned_report_is_not_the_tasks_latest_progress(org, client):
    """The office returns a report: the task's 最新进展 and percent are those of the lead unit's newest report still
    standing, on the task list and in the exported ledger (the 落实情况通报 reads the same), not the returned one."""
    from duban.conftest import login
    from duban.reports.selectors import ledger_lines

    task = org.task_in("in_progress")  # the lead unit's 30%, "已部署"
    standing = ProgressReport.objects.get(task=task)
    report = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已召开专题会议研究部署",
                                   progress_percent=40)
    actions.report_return(actor=org.supervisor, report_id=report.pk, reason="进展过于笼统")
    task.refresh_from_db()
    assert (task.latest_report_id, task.progress_percent, task.status) == (standing.pk, 30, TaskStatus.IN_PROGRESS)
    lines, _subtitle = ledger_lines(viewer=org.supervisor)
    (line,) = [line for line in lines if line.values["督办事项"] == task.title]
    assert line.values["最新进展"] == "30%；已部署"
    login(client, org.supervisor)
    listed = client.get("/tasks/").content.decode()
    assert f'<a href="/tasks/{task.pk}/" class="fw-semibold">' in listed
    assert "进度 30%" in listed and "进度 40%" not in listed
    # the only report returned: no progress stands
    actions.report_return(actor=org.supervisor, report_id=standing.pk, reason="不实")
    task.refresh_from_db()
    assert (task.latest_report_id, task.progress_percent) == (None, 0)


def test_unit_cannot_review_reports(org):
    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    with pytest.raises(PermissionDenied):
        actions.report_accept(actor=org.lead_admin, report_id=report.pk)
    with pytest.raises(NotFound):
        actions.report_accept(actor=org.other_staff, report_id=report.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSE_REQUESTED


def test_decline_returns_assignment_to_office(org):
    task = org.task_in("returned")
    assert task.status == TaskStatus.RETURNED
    assert Notification.objects.filter(task=task, kind="task_declined", recipient=org.supervisor).exists()
    actions.task_assign(actor=org.supervisor, task_id=task.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED


def test_update_with_stale_version_is_a_conflict(org):
    task = org.draft_task()
    actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version, changes={"title": "新名称"})
    with pytest.raises(Conflict):
        actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                            changes={"title": "另一个名称"})
    task.refresh_from_db()
    assert task.title == "新名称" and task.version == 2
    (event,) = events(task, EventType.TASK_UPDATED)
    assert event.extra == {"old": {"title": "排查整治燃气安全隐患"}, "new": {"title": "新名称"}}


def test_merge_and_split_drafts(org):
    a = org.draft_task(text="要排查燃气隐患。", source_start=10, source_end=18)
    b = org.draft_task(text="要整治自建房。", source_start=18, source_end=25, lead_unit_id=None, coop_unit_ids=[])
    kept = actions.task_merge(actor=org.supervisor, task_ids=[a.pk, b.pk])
    b.refresh_from_db()
    assert kept.text == "要排查燃气隐患。要整治自建房。"
    assert (kept.source_start, kept.source_end) == (10, 25)
    assert b.status == TaskStatus.WITHDRAWN
    first, second = actions.task_split(actor=org.supervisor, task_id=kept.pk, at=8)
    assert (first.text, second.text) == ("要排查燃气隐患。", "要整治自建房。")
    assert (second.source_start, second.source_end) == (18, 25)
    assert second.lead_unit_id == org.safety.pk


def test_withdraw_never_deletes(org):
    task = org.task_in("assigned")
    actions.task_withdraw(actor=org.supervisor, task_id=task.pk, reason="已并入其他事项")
    assert Task.objects.filter(pk=task.pk, status=TaskStatus.WITHDRAWN).exists()
    assert len(events(task, EventType.TASK_WITHDRAWN)) == 1


def test_leader_reads_but_cannot_act(org):
    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    with pytest.raises(PermissionDenied):
        actions.report_accept(actor=org.leader, report_id=report.pk)
    with pytest.raises(PermissionDenied):
        actions.task_withdraw(actor=org.leader, task_id=task.pk, reason="x")


def test_bulk_create_matches_one_by_one_effects(org):
    from django.db import transaction

    from duban.core.audit import audit_verify

    org.draft_task()  # an event before the bulk ones, so the chain must continue from it
    rows = [dict(title=f"事项{i}", text=f"要完成第{i}项工作。", lead_unit_id=org.safety.pk,
                 coop_unit_ids=[org.health.pk, org.safety.pk], extra={"row": i}) for i in range(3)]
    with transaction.atomic():
        tasks = actions.task_bulk_create_in_txn(actor=org.supervisor, rows=rows, assign=True)
    assert [t.status for t in tasks] == [TaskStatus.ASSIGNED] * 3
    for i, task in enumerate(tasks):
        assert list(task.coop_units.values_list("id", flat=True)) == [org.health.pk]
        created, assigned = events(task)
        assert (created.event_type, assigned.event_type) == (EventType.TASK_CREATED, EventType.TASK_ASSIGNED)
        assert created.actor == org.supervisor and created.extra["row"] == i
        assert assigned.target_unit == org.safety
        assert set(Notification.objects.filter(task=task).values_list("recipient__username", flat=True)) == {
            "lead_admin", "lead_staff"}
    later = org.draft_task()  # a single event after the bulk ones continues the chain with a higher id
    assert AuditEvent.objects.filter(task=later).get().pk > max(e.pk for t in tasks for e in events(t))
    assert audit_verify() == []


def test_bulk_create_refused_or_invalid_leaves_nothing(org):
    from django.db import transaction

    before = (Task.objects.count(), AuditEvent.objects.count())
    with pytest.raises(PermissionDenied), transaction.atomic():
        actions.task_bulk_create_in_txn(actor=org.lead_staff, rows=[dict(title="x", text="要做。")])
    with pytest.raises(InvalidInput), transaction.atomic():
        actions.task_bulk_create_in_txn(actor=org.supervisor, assign=True,
                                        rows=[dict(title="x", text="要做。", lead_unit_id=org.safety.pk),
                                              dict(title="y", text="要做。")])
    assert (Task.objects.count(), AuditEvent.objects.count()) == before


def test_a_title_is_named_from_the_request_not_a_leading_clause_of_fact():
    from duban.tasks.actions import title_from_text

    assert title_from_text("国庆假期即将来临，各级各部门要全面落实安全防范措施，确保平稳。") == "全面落实安全防范措施"
    assert title_from_text("本市是重要的交通枢纽，全市要深化对外开放，持续优化营商环境。") == "深化对外开放"
    assert title_from_text("会议强调，要全面排查整治燃气安全隐患，市应急管理局牵头。") == "全面排查整治燃气安全隐患"


def test_a_title_too_long_is_cut_at_a_pause_within_the_limit_and_says_it_was_cut():
    """A name made from the text never ends mid-word without a sign: a first clause longer than the limit is cut
    at its last pause (、) that leaves a name of some length, else at the limit, and ends in "…"; the whole name
    keeps within the limit. A first clause that fits is the name as it is, with no "…"."""
    from duban.tasks.actions import title_from_text

    listed = "统筹推进城市更新和老旧小区改造、背街小巷整治、城市地下管网建设与海绵城市试点工作并按期完成"
    title = title_from_text(listed + "。", limit=40)
    assert title == "统筹推进城市更新和老旧小区改造、背街小巷整治…"
    unbroken = "认真学习贯彻上级关于全面加强新时代精神文明建设工作的系列重要部署要求和全市精神文明建设表彰大会精神"
    title = title_from_text("会议强调，要" + unbroken + "，突出创建为民。", limit=40)
    assert len(title) == 40 and title.endswith("…") and unbroken.startswith(title[:-1])
    assert title_from_text("会议强调，要全面排查整治燃气安全隐患，市应急管理局牵头。") == "全面排查整治燃气安全隐患"
    assert len(title_from_text("一" * 300, limit=200)) == 200
