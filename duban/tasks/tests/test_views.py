"""Task pages through the test client: who sees what, the workflow buttons, inline editing, scoping."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.conftest import PASSWORD, login
from duban.core.actions import user_create
from duban.core.audit import EventType
from duban.core.models import AuditEvent, Profile
from duban.tasks.models import ProgressReport, ReportStatus, Task, TaskStatus

pytestmark = pytest.mark.django_db

ROLES_SEEING_SAFETY_TASK = ["sysadmin", "supervisor", "leader", "lead_admin", "lead_staff", "coop_staff"]


def htmx(**headers):
    return {"HTTP_HX_REQUEST": "true", **headers}


@pytest.mark.parametrize("role", ["sysadmin", "supervisor", "leader", "lead_admin", "lead_staff", "coop_staff",
                                  "other_staff"])
def test_task_list_renders_for_every_role_and_is_scoped(client, org, role):
    task = org.task_in("assigned", title="排查整治燃气安全隐患")
    login(client, org.roles()[role])
    response = client.get("/tasks/")
    assert response.status_code == 200
    assert "督办事项" in response.content.decode()
    assert ("排查整治燃气安全隐患" in response.content.decode()) == (role in ROLES_SEEING_SAFETY_TASK)
    detail = client.get(f"/tasks/{task.pk}/")
    assert detail.status_code == (200 if role in ROLES_SEEING_SAFETY_TASK else 404)


def test_task_list_filters(client, org):
    org.task_in("draft", title="甲事项")
    org.task_in("assigned", title="乙事项", lead_unit_id=org.other.pk, area_id=org.area_health.pk)
    login(client, org.supervisor)
    body = client.get("/tasks/", {"status": "assigned"}).content.decode()
    assert "乙事项" in body and "甲事项" not in body
    body = client.get("/tasks/", {"area": org.area_safety.pk}).content.decode()
    assert "甲事项" in body and "乙事项" not in body
    body = client.get("/tasks/", {"unit": org.other.pk}).content.decode()
    assert "乙事项" in body and "甲事项" not in body


PENDING = 'href="/tasks/reports/pending/"'


def _status_options(body: str) -> list[str]:
    select = body.split('id="f-status"')[1].split("</select>")[0]
    return [part.split(">")[1].split("<")[0] for part in select.split("<option")[2:]]


def test_task_list_offers_each_control_to_whom_it_serves(client, org):
    org.task_in("assigned")
    district_office = user_create(actor=org.system, username="district_office", password=PASSWORD,
                                  role="unit_supervisor", unit=org.safety, display_name="区督查室")
    Profile.objects.filter(user=district_office).update(must_change_password=False)
    # the office: reviews reports, keeps the ledger, filters by every unit, lists drafts
    login(client, org.supervisor)
    body = client.get("/tasks/").content.decode()
    assert PENDING in body and 'id="ledger-export"' in body and 'id="ledger-export-meetings"' in body
    assert 'id="f-unit"' in body and ">市教育局</option>" in body
    assert "草稿" in _status_options(body) and "已撤销" in _status_options(body)
    # a leader reads: no review queue, no export buttons (his ledger is on 统计报表)
    login(client, org.leader)
    body = client.get("/tasks/").content.decode()
    assert PENDING not in body and "待审核进展" not in body
    assert 'id="ledger-export"' not in body and "按会议分表导出" not in body
    # a unit's staff: nothing to review, its own ledger, its own units to filter by, no drafts (never theirs)
    login(client, org.lead_staff)
    body = client.get("/tasks/").content.decode()
    assert "待审核进展" not in body and 'id="ledger-export"' in body
    units = body.split('id="f-unit"')[1].split("</select>")[0]
    assert ">市应急管理局</option>" in units and ">市应急管理局临川分局</option>" in units
    assert "市教育局" not in units and "市卫健委" not in units
    assert "草稿" not in _status_options(body) and "已撤销" in _status_options(body)
    # a unit without units under it has nothing to filter by unit
    login(client, org.other_staff)
    assert 'id="f-unit"' not in client.get("/tasks/").content.decode()
    # a unit's own supervision office reviews the sub-tasks its unit issued
    login(client, district_office)
    assert PENDING in client.get("/tasks/").content.decode()


def test_task_list_keeps_a_dates_on_one_line_on_a_phone(client, org):
    task = org.task_in("assigned")
    login(client, org.lead_staff)
    body = client.get("/tasks/").content.decode()
    assert f'<span class="text-nowrap">时限：<span class="">{task.deadline.isoformat()}</span></span>' in body


def test_task_list_query_count_does_not_grow(client, org):
    login(client, org.supervisor)
    for i in range(2):
        org.task_in("assigned", title=f"事项{i}")
    client.get("/tasks/")  # warm the session and content types
    cache.clear()  # both requests count cold (the list's total is cached under the audit chain head)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/tasks/").status_code == 200
    for i in range(4):
        org.task_in("assigned", title=f"更多事项{i}")
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        assert client.get("/tasks/").status_code == 200
    assert len(large) == len(small)


def test_unit_user_cannot_act_on_another_units_task(client, org):
    task = org.task_in("assigned")
    login(client, org.other_staff)
    before = AuditEvent.objects.count()
    for path, data in [("accept", {}), ("decline", {"reason": "x"}),
                       ("report", {"text": "x", "progress_percent": 10}), ("edit", {"version": task.version}),
                       ("withdraw", {"reason": "x"}), ("split", {"at": 3})]:
        assert client.post(f"/tasks/{task.pk}/{path}/", data).status_code == 404, path
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
    assert AuditEvent.objects.count() == before


def test_lead_unit_signs_for_a_task(client, org):
    task = org.task_in("assigned")
    login(client, org.lead_staff)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="accept-button"' in page and "退回" in page
    response = client.post(f"/tasks/{task.pk}/accept/", follow=True)
    assert "已签收" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.ACCEPTED
    assert 'id="accept-button"' not in response.content.decode()
    assert 'id="report-form"' in response.content.decode()


def test_coop_unit_and_leader_see_no_sign_button(client, org):
    task = org.task_in("assigned")
    for user in (org.coop_staff, org.leader):
        login(client, user)
        page = client.get(f"/tasks/{task.pk}/").content.decode()
        assert 'id="accept-button"' not in page
    login(client, org.coop_staff)
    assert client.post(f"/tasks/{task.pk}/accept/").status_code == 403


def test_a_cooperating_unit_is_told_it_reports_once_the_lead_unit_has_signed(client, org):
    """A cooperating unit opening a task its lead unit has not signed for has nothing to do yet: the page says so
    and names the lead unit, instead of showing nothing; once the lead unit signs, the unit's report form is there
    and the note is gone. The lead unit (who signs) and the office (who supervises) get no such note."""
    task = org.task_in("assigned")
    login(client, org.coop_staff)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="coop-waiting"' in page and "市应急管理局" in page and 'id="report-form"' not in page
    for user in (org.lead_staff, org.supervisor, org.other_staff):
        login(client, user)
        assert 'id="coop-waiting"' not in client.get(f"/tasks/{task.pk}/").content.decode()
    login(client, org.lead_staff)
    client.post(f"/tasks/{task.pk}/accept/")
    login(client, org.coop_staff)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="coop-waiting"' not in page and 'id="report-form"' in page


def test_decline_needs_a_reason_and_tells_the_office(client, org):
    task = org.task_in("assigned")
    login(client, org.lead_staff)
    response = client.post(f"/tasks/{task.pk}/decline/", {"reason": ""}, follow=True)
    assert "请填写退回理由" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
    client.post(f"/tasks/{task.pk}/decline/", {"reason": "不属于本单位职责"})
    task.refresh_from_db()
    assert task.status == TaskStatus.RETURNED
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "重新交办" in page and "不属于本单位职责" in page


def test_report_with_close_request_then_office_accepts(client, org):
    task = org.task_in("accepted")
    login(client, org.lead_staff)
    response = client.post(f"/tasks/{task.pk}/report/", {"text": "已全部完成整改", "progress_percent": 100,
                                                         "request_close": "on", "evidence_text": "验收单"},
                           follow=True)
    assert "已提交办结申请" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSE_REQUESTED
    report = ProgressReport.objects.get(task=task)

    login(client, org.supervisor)
    pending = client.get("/tasks/reports/pending/").content.decode()
    assert "已全部完成整改" in pending and "同意办结" in pending
    response = client.post(f"/tasks/reports/{report.pk}/accept/", {"comment": "同意"}, follow=True)
    assert "已办结销号" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert "没有待审核的进展" in client.get("/tasks/reports/pending/").content.decode()
    history = client.get(f"/tasks/{task.pk}/").content.decode()
    for label in ("立项", "交办", "签收", "报送进展", "申请办结", "办结销号"):
        assert label in history


def test_report_return_needs_reason_and_reopens(client, org):
    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    login(client, org.supervisor)
    client.post(f"/tasks/reports/{report.pk}/return/", {"reason": ""})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    client.post(f"/tasks/reports/{report.pk}/return/", {"reason": "佐证材料不全", "next": f"/tasks/{task.pk}/"})
    report.refresh_from_db()
    task.refresh_from_db()
    assert report.status == ReportStatus.RETURNED and task.status == TaskStatus.IN_PROGRESS


def test_a_returned_close_request_is_told_and_recorded_as_one(client, org):
    from duban.core.models import Notification

    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    login(client, org.supervisor)
    client.post(f"/tasks/reports/{report.pk}/return/", {"reason": "佐证照片只有一张", "next": f"/tasks/{task.pk}/"})
    # the unit is told its close request came back, not a progress report
    titles = set(Notification.objects.filter(recipient=org.lead_staff, task=task).values_list("title", flat=True))
    assert f"办结申请被退回：{task.title}" in titles and f"进展被退回：{task.title}" not in titles
    login(client, org.lead_staff)
    history = client.get(f"/tasks/{task.pk}/").content.decode().split('id="task-history"')[1].split("</ol>")[0]
    assert history.count("办结申请被退回") == 1 and "退回进展" not in history
    assert history.count("佐证照片只有一张") == 1


def test_a_returned_progress_report_is_still_recorded_as_one(client, org):
    from duban.core.models import Notification

    task = org.task_in("in_progress")
    report = ProgressReport.objects.get(task=task)
    login(client, org.supervisor)
    client.post(f"/tasks/reports/{report.pk}/return/", {"reason": "内容过于笼统", "next": f"/tasks/{task.pk}/"})
    assert Notification.objects.filter(recipient=org.lead_staff, title=f"进展被退回：{task.title}").exists()
    history = client.get(f"/tasks/{task.pk}/").content.decode().split('id="task-history"')[1].split("</ol>")[0]
    assert history.count("退回进展") == 1 and "办结申请被退回" not in history


def test_unit_user_cannot_review_reports(client, org):
    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    login(client, org.lead_staff)
    page = client.get("/tasks/reports/pending/").content.decode()
    assert "同意办结" not in page
    assert client.post(f"/tasks/reports/{report.pk}/accept/").status_code == 403
    login(client, org.other_staff)
    assert client.post(f"/tasks/reports/{report.pk}/accept/").status_code == 404
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def _edit_data(task, **kw):
    data = {"version": task.version, "title": task.title, "text": task.text, "area": task.area_id or "",
            "lead_unit": task.lead_unit_id or "", "deadline": task.deadline.isoformat() if task.deadline else ""}
    data.update(kw)
    return data


def test_inline_edit_changes_lead_unit(client, org):
    task = org.task_in("draft", lead_unit_id=None, coop_unit_ids=[])
    login(client, org.supervisor)
    form = client.get(f"/tasks/{task.pk}/edit/", **htmx())
    assert form.status_code == 200 and 'class="edit-row"' in form.content.decode()
    data = _edit_data(task, lead_unit=org.other.pk, coop_units=[org.health.pk])
    row = client.post(f"/tasks/{task.pk}/edit/", data, **htmx())
    assert row.status_code == 200
    assert "市教育局" in row.content.decode() and "edit-row" not in row.content.decode()
    task.refresh_from_db()
    assert task.lead_unit_id == org.other.pk
    assert list(task.coop_units.values_list("id", flat=True)) == [org.health.pk]
    event = AuditEvent.objects.filter(task=task, event_type=EventType.TASK_UPDATED).get()
    assert event.actor == org.supervisor


def test_inline_edit_with_stale_version_says_changed_by_someone(client, org):
    task = org.task_in("draft")
    login(client, org.supervisor)
    stale = _edit_data(task, title="新名称")
    client.post(f"/tasks/{task.pk}/edit/", _edit_data(task, title="别人改的名称"), **htmx())
    response = client.post(f"/tasks/{task.pk}/edit/", stale, **htmx())
    assert "已被他人修改" in response.content.decode()
    task.refresh_from_db()
    assert task.title == "别人改的名称"


def test_inline_edit_invalid_input_is_shown(client, org):
    task = org.task_in("draft")
    login(client, org.supervisor)
    response = client.post(f"/tasks/{task.pk}/edit/", _edit_data(task, text="   "), **htmx())
    assert response.status_code == 200
    assert "edit-row" in response.content.decode()


def test_split_and_withdraw(client, org):
    task = org.task_in("draft", text="要全面排查燃气隐患。要加强冬季消防检查。")
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/split/").content.decode()
    assert 'data-split-at="10"' in page
    client.post(f"/tasks/{task.pk}/split/", {"at": 10})
    task.refresh_from_db()
    assert task.text == "要全面排查燃气隐患。"
    second = Task.objects.exclude(pk=task.pk).get()
    assert second.text == "要加强冬季消防检查。"
    response = client.post(f"/tasks/{task.pk}/split/", {"at": 99})
    assert "拆分位置必须在内容中间" in response.content.decode()
    client.post(f"/tasks/{second.pk}/withdraw/", {"reason": "重复"})
    second.refresh_from_db()
    assert second.status == TaskStatus.WITHDRAWN


def test_output_is_escaped(client, org):
    task = org.task_in("assigned", title="<script>alert(1)</script>", text="<b>粗体</b>要整改。")
    login(client, org.lead_staff)
    body = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body
    assert "<b>粗体</b>" not in body


def test_the_breadcrumb_numbers_only_an_item_of_a_meeting(client, org):
    """A meeting's item is "第 N 项" in the breadcrumb; a task with no item number (a 批示, a case, one made by hand)
    is named by its title, never "第 0 项"."""
    numbered = org.task_in("assigned", title="会议部署的事项")
    Task.objects.filter(pk=numbered.pk).update(seq=7)
    unnumbered = org.task_in("assigned", title="领导批示交办的事项")
    Task.objects.filter(pk=unnumbered.pk).update(seq=0)
    login(client, org.supervisor)
    crumb = 'aria-current="page">'
    page = client.get(f"/tasks/{numbered.pk}/").content.decode()
    assert f"{crumb}第 7 项<" in page
    page = client.get(f"/tasks/{unnumbered.pk}/").content.decode()
    assert f"{crumb}领导批示交办的事项<" in page and "第 0 项" not in page


def _day(weekend: bool):
    """A day weeks ahead that is (not) a working day by the official calendar."""
    import datetime as dt

    from duban.tasks.models import deadline_warning
    day = dt.date.today() + dt.timedelta(days=20)
    while bool(deadline_warning(day)) is not weekend:
        day += dt.timedelta(days=1)
    return day


def test_a_non_working_day_deadline_is_pointed_out_to_whoever_may_change_it(client, org):
    sunday = _day(weekend=True)
    task = org.task_in("accepted", deadline=sunday)
    warning = f"办理时限{sunday.isoformat()}不是工作日"
    login(client, org.supervisor)
    assert warning in client.get(f"/tasks/{task.pk}/").content.decode()
    # the units doing the task cannot change it: not theirs to check
    for user in (org.lead_staff, org.coop_staff, org.leader):
        login(client, user)
        assert "不是工作日" not in client.get(f"/tasks/{task.pk}/").content.decode(), user
    # once closed, nobody changes it any more
    closed = org.task_in("closed", deadline=sunday)
    login(client, org.supervisor)
    assert "不是工作日" not in client.get(f"/tasks/{closed.pk}/").content.decode()


def test_picking_a_deadline_warns_of_a_non_working_day_before_saving(client, org):
    sunday, monday = _day(weekend=True), _day(weekend=False)
    task = org.task_in("accepted", deadline=monday)
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    field = page.split('id="adjust-deadline"')[1].split(">")[0]
    assert 'hx-get="/tasks/deadline-note/"' in field and 'hx-target="next .workday-note"' in field
    split_field = page.split('id="split-deadline-0"')[1].split(">")[0]
    assert 'hx-get="/tasks/deadline-note/"' in split_field
    # what the field's change fetches: the warning for the date picked, whatever the field's name
    assert f"{sunday.isoformat()}不是工作日" in client.get("/tasks/deadline-note/",
                                                        {"deadline": sunday.isoformat()}).content.decode()
    assert f"{sunday.isoformat()}不是工作日" in client.get("/tasks/deadline-note/",
                                                        {"deadline_3": sunday.isoformat()}).content.decode()
    assert client.get("/tasks/deadline-note/", {"deadline": monday.isoformat()}).content.decode() == ""
    assert client.get("/tasks/deadline-note/", {"deadline": "2026-13-45"}).content.decode() == ""
    assert client.get("/tasks/deadline-note/").content.decode() == ""
