"""The office's actions after 交办: 改派 (and 重新交办 of a returned task in one step) and 调整时限. Each test checks
the four effects: the state, one audit event with actor, targets and old/new values, who is told, and that a
refused actor leaves no trace."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.tasks import actions
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


def _told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def _trace():
    return AuditEvent.objects.count(), Notification.objects.count()


def test_reassigning_the_lead_unit_sends_the_task_back_to_be_signed(org):
    task = org.task_in("in_progress")
    before_events = AuditEvent.objects.count()
    actions.task_reassign(actor=org.supervisor, task_id=task.pk, version=task.version, lead_unit_id=org.other.pk,
                          coop_unit_ids=[org.health.pk], reason="职责调整，由教育局牵头")
    task = Task.objects.get(pk=task.pk)
    assert (task.lead_unit_id, task.status, task.accepted_at) == (org.other.pk, TaskStatus.ASSIGNED, None)
    assert list(task.coop_units.values_list("id", flat=True)) == [org.health.pk]
    event = AuditEvent.objects.latest("id")
    assert AuditEvent.objects.count() == before_events + 1
    assert (event.event_type, event.actor_id, event.task_id, event.target_unit_id) == (
        EventType.TASK_REASSIGNED, org.supervisor.pk, task.pk, org.other.pk)
    assert event.extra == {"reason": "职责调整，由教育局牵头", "old_status": "in_progress",
                           "old": {"lead_unit_id": org.safety.pk, "coop_unit_ids": [org.health.pk],
                                   "lead_unit": "市应急管理局", "coop_units": ["市卫健委"]},
                           "new": {"lead_unit_id": org.other.pk, "coop_unit_ids": [org.health.pk],
                                   "lead_unit": "市教育局", "coop_units": ["市卫健委"]}}
    # old lead, new lead and the cooperating unit: every unit concerned
    assert _told("task_reassigned") == ["coop_staff", "lead_admin", "lead_staff", "other_staff"]
    # the new lead unit signs; the old one no longer may
    actions.task_accept(actor=org.other_staff, task_id=task.pk)
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ACCEPTED


def test_the_history_says_from_which_unit_to_which_a_task_was_reassigned(org, client):
    """办理记录 of a 改派 names the units before and after (as 调整时限 shows its old and new dates), then the reason."""
    task = org.task_in("accepted")
    login(client, org.supervisor)
    client.post(f"/tasks/{task.pk}/reassign/", {"version": task.version, "lead_unit": org.other.pk,
                                               "coop_units": [org.health.pk], "reason": "职责调整"})
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    history = page[page.index('id="task-history"'):]
    assert "牵头单位：市应急管理局 → 市教育局；理由：职责调整" in history
    client.post(f"/tasks/{task.pk}/reassign/", {"version": Task.objects.get(pk=task.pk).version,
                                               "lead_unit": org.other.pk, "reason": "不再需要配合"})
    history = client.get(f"/tasks/{task.pk}/").content.decode().split('id="task-history"')[1]
    assert "配合单位：市卫健委 → 无；理由：不再需要配合" in history


def test_changing_only_the_cooperating_units_keeps_the_status(org):
    task = org.task_in("accepted")
    actions.task_reassign(actor=org.supervisor, task_id=task.pk, version=task.version, lead_unit_id=org.safety.pk,
                          coop_unit_ids=[org.other.pk], reason="增加教育局配合")
    task = Task.objects.get(pk=task.pk)
    assert task.status == TaskStatus.ACCEPTED and task.accepted_at is not None
    assert list(task.coop_units.values_list("id", flat=True)) == [org.other.pk]
    # the cooperating unit dropped and the one added are both told
    assert _told("task_reassigned") == ["coop_staff", "lead_admin", "lead_staff", "other_staff"]


def test_a_returned_task_is_reassigned_in_one_step(org, client):
    task = org.task_in("returned")
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="reassign-form"' in page and "重新交办" in page
    response = client.post(f"/tasks/{task.pk}/reassign/", {"version": task.version, "lead_unit": org.health.pk,
                                                           "reason": "卫健委职责"}, follow=True)
    assert "已改派" in response.content.decode()
    task = Task.objects.get(pk=task.pk)
    assert (task.status, task.lead_unit_id) == (TaskStatus.ASSIGNED, org.health.pk)
    assert AuditEvent.objects.get(task=task, event_type=EventType.TASK_REASSIGNED).extra["old_status"] == "returned"
    assert "coop_staff" in _told("task_reassigned")


@pytest.mark.parametrize("who,error", [("leader", PermissionDenied), ("lead_admin", PermissionDenied)])
def test_reassign_refused_leaves_no_trace(org, who, error):
    task = org.task_in("accepted")
    before = _trace()
    with pytest.raises(error):
        actions.task_reassign(actor=org.roles()[who], task_id=task.pk, version=task.version,
                              lead_unit_id=org.other.pk, reason="越权")
    assert _trace() == before and Task.objects.get(pk=task.pk).lead_unit_id == org.safety.pk


def test_reassign_needs_a_reason_a_change_and_the_version_read(org):
    task = org.task_in("accepted")
    before = _trace()
    with pytest.raises(InvalidInput):
        actions.task_reassign(actor=org.supervisor, task_id=task.pk, version=task.version,
                              lead_unit_id=org.other.pk, reason=" ")
    with pytest.raises(InvalidInput):
        actions.task_reassign(actor=org.supervisor, task_id=task.pk, version=task.version,
                              lead_unit_id=org.safety.pk, coop_unit_ids=[org.health.pk], reason="没变")
    with pytest.raises(Conflict):
        actions.task_reassign(actor=org.supervisor, task_id=task.pk, version=task.version - 1,
                              lead_unit_id=org.other.pk, reason="旧页面")
    assert _trace() == before


def test_a_waiting_close_request_is_not_reassigned(org):
    task = org.task_in("close_requested")
    with pytest.raises(Conflict):
        actions.task_reassign(actor=org.supervisor, task_id=task.pk, version=task.version,
                              lead_unit_id=org.other.pk, reason="改派")


def test_adjusting_the_deadline_tells_lead_and_cooperating_units(org):
    task = org.task_in("accepted")
    new = dt.date.today() + dt.timedelta(days=90)
    actions.task_deadline_adjust(actor=org.supervisor, task_id=task.pk, version=task.version, deadline=new,
                                 reason="市委调整工作安排")
    assert Task.objects.get(pk=task.pk).deadline == new
    [event] = AuditEvent.objects.filter(event_type=EventType.TASK_DEADLINE_ADJUSTED)
    assert (event.actor_id, event.task_id, event.target_unit_id) == (org.supervisor.pk, task.pk, org.safety.pk)
    assert event.extra == {"old_deadline": task.deadline.isoformat(), "new_deadline": new.isoformat(),
                           "reason": "市委调整工作安排"}
    assert _told("task_deadline_adjusted") == ["coop_staff", "lead_admin", "lead_staff"]
    assert new.isoformat() in Notification.objects.filter(kind="task_deadline_adjusted").first().body


@pytest.mark.parametrize("days,reason,error", [(-1, "补录", InvalidInput), (90, "", InvalidInput)])
def test_adjusting_to_a_past_deadline_or_without_reason_is_refused(org, days, reason, error):
    task = org.task_in("accepted")
    before = _trace()
    with pytest.raises(error):
        actions.task_deadline_adjust(actor=org.supervisor, task_id=task.pk, version=task.version,
                                     deadline=dt.date.today() + dt.timedelta(days=days), reason=reason)
    assert _trace() == before and Task.objects.get(pk=task.pk).deadline == task.deadline


def test_units_cannot_adjust_deadlines(org, client):
    task = org.task_in("accepted")
    before = _trace()
    with pytest.raises(PermissionDenied):
        actions.task_deadline_adjust(actor=org.lead_admin, task_id=task.pk, version=task.version,
                                     deadline=dt.date.today() + dt.timedelta(days=90), reason="自己延")
    assert _trace() == before
    login(client, org.lead_admin)
    assert 'id="office-actions"' not in client.get(f"/tasks/{task.pk}/").content.decode()


def test_the_office_panel_offers_each_action_on_an_open_task(org, client):
    task = org.task_in("in_progress")
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    for marker in ('id="reassign-form"', 'id="deadline-form"', 'id="urge-form"', 'id="notice-submit"'):
        assert marker in page
    assert f'value="{task.deadline.isoformat()}"' in page
    response = client.post(f"/tasks/{task.pk}/deadline/", {"version": task.version, "deadline": "2020-01-01",
                                                           "reason": "x"}, follow=True)
    assert "早于今天" in response.content.decode()


def test_the_office_enters_a_units_progress_on_its_page(client, org):
    """Progress a lead unit gave by telephone: the office records it as the unit's report, marked 由督查室代录,
    through the unit's own report action; a unit cannot use the office's door, and the office cannot report as
    itself."""
    task = org.task_in("accepted")
    login(client, org.lead_staff)
    assert 'id="enter-report-form"' not in client.get(f"/tasks/{task.pk}/").content.decode()
    refused = client.post(f"/tasks/{task.pk}/report/", {"text": "冒充督查室", "progress_percent": 10, "for_unit": "on"})
    assert refused.status_code == 403 and not task.reports.exists()
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="enter-report-form"' in page and "市应急管理局的进展情况" in page
    assert client.post(f"/tasks/{task.pk}/report/", {"text": "督查室自己报", "progress_percent": 10}).status_code == 403
    mark = AuditEvent.objects.latest("pk").pk
    done = client.post(f"/tasks/{task.pk}/report/", {"text": "电话报告：已完成摸排", "progress_percent": 20,
                                                     "for_unit": "on"}, follow=True)
    assert "已代录进展" in done.content.decode() and "由督查室代录" in done.content.decode()
    [report] = task.reports.all()
    assert (report.unit_id, report.author_id, report.entered_by_office, report.progress_percent) == (
        org.safety.pk, org.supervisor.pk, True, 20)
    task = Task.objects.get(pk=task.pk)
    assert task.status == TaskStatus.IN_PROGRESS and task.progress_percent == 20 and task.latest_report_id == report.pk
    [event] = AuditEvent.objects.filter(pk__gt=mark, event_type=EventType.REPORT_SUBMITTED)
    assert event.actor_id == org.supervisor.pk and event.extra["entered_by_office"] is True
    assert set(Notification.objects.filter(title__startswith="督查室代录进展").values_list("recipient_id", flat=True)) >= {
        org.lead_admin.pk, org.lead_staff.pk}


def test_withdrawing_an_issued_task_says_it_was_withdrawn_not_deleted(org, client):
    """撤销 keeps the task (状态“已撤销”): the message says 已撤销, not 已删除."""
    task = org.task_in("accepted")
    login(client, org.supervisor)
    page = client.post(f"/tasks/{task.pk}/withdraw/", {"reason": "会议决定取消"}, follow=True).content.decode()
    assert f"已撤销事项“{task.title}”" in page and "已删除" not in page
    assert Task.objects.get(pk=task.pk).status == TaskStatus.WITHDRAWN


def _message(client, url: str, data: dict) -> str:
    """The message the page shows after posting ``data`` to ``url`` (followed to the task page)."""
    page = client.post(url, data, follow=True).content.decode()
    return page.split('class="alert')[1].split("</div>")[0]


def test_the_office_is_told_whom_a_reassignment_reached(org, client):
    from duban.core.actions import unit_create

    nobody = unit_create(actor=org.system, name="市科技局")  # no account yet
    task = org.task_in("in_progress")  # 市应急管理局 leads (2 people), 市卫健委 cooperates (1)
    login(client, org.supervisor)
    told = _message(client, f"/tasks/{task.pk}/reassign/", {"version": task.version, "lead_unit": nobody.pk,
                                                            "coop_units": [org.health.pk], "reason": "职责调整"})
    # the old lead's 2 people and the cooperating unit's 1 were told; the new lead has nobody: phone it
    assert "已改派。已通知相关单位3人。" in told and "相关单位已收到通知" not in told
    assert "市科技局尚无可接收通知的人员，未能送达" in told and "alert-warning" in told
    # the office stands in for the lead unit with nobody, as on 交办
    assert Notification.objects.filter(recipient=org.supervisor, kind="task_reassigned",
                                       title__startswith="（代收）").exists()
    # a unit with people: a plain success, everyone counted (new lead 1, cooperating 1, the lead it left 0)
    task = Task.objects.get(pk=task.pk)
    told = _message(client, f"/tasks/{task.pk}/reassign/", {"version": task.version, "lead_unit": org.other.pk,
                                                            "coop_units": [org.health.pk], "reason": "再次调整"})
    assert "已改派。已通知相关单位2人。" in told and "未能送达" in told  # 市科技局, which it left, had nobody


def test_the_office_is_told_whom_a_deadline_change_and_a_split_reached(org, client):
    from duban.core.actions import unit_create

    nobody = unit_create(actor=org.system, name="市科技局")
    task = org.task_in("accepted", coop_unit_ids=[org.health.pk, nobody.pk])
    login(client, org.supervisor)
    new = task.deadline + dt.timedelta(days=7)
    told = _message(client, f"/tasks/{task.pk}/deadline/", {"version": task.version, "deadline": new.isoformat(),
                                                            "reason": "工作量大"})
    assert "时限已调整。已通知相关单位3人。" in told and "市科技局尚无可接收通知的人员" in told
    assert "代收" not in told  # the lead unit had people: nobody stood in
    task = Task.objects.get(pk=task.pk)
    told = _message(client, f"/tasks/{task.pk}/decompose/", {"version": task.version, "lead_0": org.other.pk,
                                                             "lead_1": nobody.pk, "rollup_mode": "worst"})
    assert "已分解下达。已通知相关单位1人。" in told and "市科技局尚无可接收通知的人员" in told
    assert "牵头单位的通知已由市委督查室代收" in told and "各单位已收到通知" not in told


def test_assigning_a_returned_task_again_says_whom_it_reached(org, client):
    """重新交办 tells the lead and cooperating units again: the page says how many it reached, as 改派 does."""
    task = org.task_in("returned")
    login(client, org.supervisor)
    told = _message(client, f"/tasks/{task.pk}/assign/", {})
    assert "已重新交办。已通知相关单位3人。" in told and "alert-success" in told  # lead 2, cooperating 1


def _office_colleague(org, name="王芳"):
    """A second person of the supervision office (督查室), besides ``org.supervisor``."""
    from duban.conftest import PASSWORD
    from duban.core.actions import user_create

    return user_create(actor=org.system, username="wangfang", password=PASSWORD, role="supervisor", unit=org.office,
                       display_name=name)


def _led_by_nobody(org):
    """An assigned task whose lead unit has nobody to tell (市科技局, no account yet), 市卫健委 cooperating."""
    from duban.core.actions import unit_create

    return org.task_in("assigned", lead_unit_id=unit_create(actor=org.system, name="市科技局").pk)


def _adjust_deadline(client, task) -> str:
    new = task.deadline + dt.timedelta(days=7)
    return _message(client, f"/tasks/{task.pk}/deadline/", {"version": task.version, "deadline": new.isoformat(),
                                                            "reason": "工作量大"})


def test_the_stand_in_notice_goes_to_the_rest_of_the_office_not_to_the_clerk_who_acted(org, client):
    """代收: a lead unit with nobody has its notice received by the office, and, as with every notice, not by the
    person who acted (she knows); the page names who in the office received it."""
    colleague = _office_colleague(org)
    task = _led_by_nobody(org)
    login(client, org.supervisor)
    told = _adjust_deadline(client, task)
    stand_in = Notification.objects.filter(kind="task_deadline_adjusted", title__startswith="（代收）")
    assert list(stand_in.values_list("recipient_id", flat=True)) == [colleague.pk]
    assert "市科技局尚无可接收通知的人员，未能送达" in told
    assert "牵头单位的通知已由市委督查室代收，发给了王芳。" in told and "您" not in told
    assert "已通知相关单位1人。" in told  # the cooperating unit's one; the office's 代收 is not a unit reached


def test_the_clerk_alone_in_the_office_keeps_the_stand_in_notice(org, client):
    """When nobody else in the office can receive notices, the 代收 notice goes to the clerk who acted (else nobody
    would keep it), and the page says that it went to her."""
    task = _led_by_nobody(org)
    login(client, org.supervisor)
    told = _adjust_deadline(client, task)
    stand_in = Notification.objects.filter(kind="task_deadline_adjusted", title__startswith="（代收）")
    assert list(stand_in.values_list("recipient_id", flat=True)) == [org.supervisor.pk]
    assert "牵头单位的通知已由市委督查室代收，发给了您（市委督查室只有您能接收通知）。" in told


UNITS_PEOPLE = "\"core_profile\".\"role\" IN ('unit_admin', 'unit_staff')"  # a read of units' people (``units_people``)


def _statements(client, url: str, data: dict) -> list[str]:
    """The SQL statements of one POST (transaction control left out)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.post(url, data)
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_the_message_says_what_the_notices_reached_without_reading_the_units_again(org, client):
    """The step's message words whom its notices reached, as the notices were sent: the cooperating units and the
    units' people are read once, to tell them, and nothing after the step for the message."""
    from duban.core.actions import unit_create

    nobody = unit_create(actor=org.system, name="市科技局")
    task = org.task_in("accepted", coop_unit_ids=[org.health.pk, nobody.pk])
    login(client, org.supervisor)
    new = task.deadline + dt.timedelta(days=7)
    sql = _statements(client, f"/tasks/{task.pk}/deadline/", {"version": task.version, "deadline": new.isoformat(),
                                                                "reason": "工作量大"})
    # the session and its user (2); the task found in scope and locked (2); its deadline written, its report due
    # refreshed (2); the audit event (4); the lead unit's people, the cooperating units, their people (3); the
    # two notices (2)
    assert len(sql) == 15
    assert sum('"tasks_task_coop_units"' in s for s in sql) == 1
    assert sum(UNITS_PEOPLE in s for s in sql) == 2  # the lead unit's people, the cooperating units'

    task = Task.objects.get(pk=task.pk)
    sql = _statements(client, f"/tasks/{task.pk}/reassign/", {"version": task.version, "lead_unit": org.other.pk,
                                                              "coop_units": [org.health.pk], "reason": "职责调整"})
    # as above, but the old cooperating units and the units' names read, those left (市科技局) taken off the task,
    # and the people of the units it left (市应急管理局, 市科技局) told too
    assert sum(UNITS_PEOPLE in s for s in sql) == 3
    assert sum(s.startswith("SELECT") and '"tasks_task_coop_units"' in s for s in sql) == 3


# --- 代收 at the level that issued the task: a district's own 督查室 holds its sub-tasks' notices ---------------

def _district_split_to_a_township_with_nobody(org, client, *, colleague: bool):
    """The city task split to 临川区 by the office, whose 督查室 splits its part, on the task page, to a township
    with no account yet (临川区罗针镇人民政府); with ``colleague``, the district office has a second person (李静).
    Returns (levels, the page's message, the district colleague or None)."""
    from duban.conftest import PASSWORD
    from duban.core.actions import unit_create, user_create
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    town = unit_create(actor=org.system, name="临川区罗针镇人民政府", parent=lv.district)
    mate = user_create(actor=org.system, username="lijing", password=PASSWORD, role="unit_supervisor",
                       unit=lv.district, display_name="李静") if colleague else None
    _office_colleague(org)  # the city office has someone besides the clerk: it could hold the notice too
    city = lv.city_task()
    part, _ = lv.split(org.supervisor, city, lv.district, lv.district2)
    part = Task.objects.get(pk=part.pk)
    login(client, lv.district_sup)
    told = _message(client, f"/tasks/{part.pk}/decompose/", {"version": part.version, "lead_0": town.pk,
                                                             "rollup_mode": "worst"})
    return lv, told, mate


def test_the_district_office_holds_the_notice_of_a_sub_task_it_issued_to_a_township_with_nobody(org, client):
    """A sub-task that a district's 督查室 issued (分解下达) to a township with nobody: its notice is held by the
    office that issued it, the district's 督查室 (not the clerk who acted, who has a colleague there), never by the
    city office, which did not issue it and cannot reach the township; the notice and the page name that office."""
    lv, told, mate = _district_split_to_a_township_with_nobody(org, client, colleague=True)
    stand_in = Notification.objects.filter(kind="task_assigned", title__startswith="（代收）",
                                           task__lead_unit__name="临川区罗针镇人民政府")
    assert list(stand_in.values_list("recipient_id", flat=True)) == [mate.pk]
    assert "临川区罗针镇人民政府尚无可接收通知的人员，由临川区人民政府督查室代收" in stand_in.get().body
    assert "临川区罗针镇人民政府尚无可接收通知的人员，未能送达" in told
    assert "牵头单位的通知已由临川区人民政府督查室代收，发给了李静。" in told and "市委督查室" not in told


def test_the_district_clerk_alone_in_the_district_office_keeps_the_notice(org, client):
    """The district's 督查室 has only the clerk who split: the notice goes to her (the rule of the office at every
    level), not to the city office, and the page says it went to her, naming the district office."""
    lv, told, _ = _district_split_to_a_township_with_nobody(org, client, colleague=False)
    stand_in = Notification.objects.filter(kind="task_assigned", title__startswith="（代收）",
                                           task__lead_unit__name="临川区罗针镇人民政府")
    assert list(stand_in.values_list("recipient_id", flat=True)) == [lv.district_sup.pk]
    assert "牵头单位的通知已由临川区人民政府督查室代收，发给了您（临川区人民政府督查室只有您能接收通知）。" in told


def test_a_sub_task_whose_issuing_office_has_nobody_has_its_notice_held_by_the_city_office(org):
    """When the district's 督查室 has nobody either, the city office holds the township's notice, and says so."""
    from django.db import transaction

    from duban.core.actions import unit_create
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    town = unit_create(actor=org.system, name="临川区罗针镇人民政府", parent=lv.district)
    part, _ = lv.split(org.supervisor, lv.city_task(), lv.district, lv.district2)
    [sub] = lv.split(lv.district_sup, part, town)
    lv.district_sup.is_active = False  # the district office's one person has left
    lv.district_sup.save(update_fields=["is_active"])
    with transaction.atomic():
        rows, reach = actions.task_units_notify_in_txn(actor=None, task=Task.objects.get(pk=sub.pk),
                                                       kind="task_urged", title="催办")
    assert [row.recipient_id for row in rows] == [org.supervisor.pk]
    assert "由市委督查室代收" in rows[0].body
    assert "牵头单位的通知已由市委督查室代收，发给了supervisor。" in reach.sentence()


def test_a_withdrawn_sub_task_of_a_township_with_nobody_is_told_to_the_district_office(org, client):
    """Every notice to a sub-task's unit with nobody goes to the office that issued it, not only 交办's: the
    district's 督查室 withdraws its sub-task (撤销), and its colleague, not the city office, hears of it."""
    lv, _, mate = _district_split_to_a_township_with_nobody(org, client, colleague=True)
    sub = Task.objects.get(lead_unit__name="临川区罗针镇人民政府")
    actions.task_withdraw(actor=lv.district_sup, task_id=sub.pk, reason="并入上级任务办理")
    assert list(Notification.objects.filter(kind="task_withdrawn").values_list("recipient_id", flat=True)) == [mate.pk]
