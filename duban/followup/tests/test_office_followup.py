"""The office's follow-up by hand: 催办 now (with a message, over the configured channels) and a 督办通知单 on
demand. Each test checks the state, one audit event, who is told, and that a refused actor leaves no trace."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from docx import Document

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import Conflict, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.followup import actions
from duban.followup.models import NotificationDispatch, ReminderSent, SupervisionNotice
from duban.followup.reminders import reminders_run
from duban.followup.tests.conftest import place_task
from duban.tasks.models import Task

pytestmark = pytest.mark.django_db
D = dt.date


def _told(kind):
    return sorted(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


def _trace():
    return AuditEvent.objects.count(), Notification.objects.count(), ReminderSent.objects.count()


def test_urging_now_tells_lead_and_cooperating_units_and_queues_delivery(org, django_capture_on_commit_callbacks):
    task = org.task_in("accepted")
    with django_capture_on_commit_callbacks(execute=True):
        reminder = actions.task_urge(actor=org.supervisor, task_id=task.pk, message="请本周五前报送排查进展")
    assert (reminder.task_id, reminder.stage, reminder.reason) == (task.pk, "remind", "请本周五前报送排查进展")
    assert reminder.due_key.startswith("manual:")
    [event] = AuditEvent.objects.filter(event_type=EventType.TASK_URGED)
    assert (event.actor_id, event.task_id, event.target_unit_id) == (org.supervisor.pk, task.pk, org.safety.pk)
    assert event.extra["message"] == "请本周五前报送排查进展"
    assert _told("task_urged") == ["coop_staff", "lead_admin", "lead_staff"]
    # 通知人数 and the event's recipients: the units' people told
    assert ReminderSent.objects.get(pk=reminder.pk).recipient_count == 3
    assert event.extra["recipients"] == sorted([org.lead_admin.pk, org.lead_staff.pk, org.coop_staff.pk])
    sent = Notification.objects.filter(kind="task_urged")
    # the channels' enqueue pass ran after commit for every one of them
    assert NotificationDispatch.objects.filter(notification__in=sent).count() == sent.count() == 3


def test_an_empty_message_sends_the_standard_words(org):
    task = org.task_in("in_progress")
    actions.task_urge(actor=org.supervisor, task_id=task.pk, message="  ")
    assert Notification.objects.get(kind="task_urged", recipient=org.lead_staff).body == actions.URGE_DEFAULT


def test_a_manual_reminder_does_not_stop_the_scheduled_one(org):
    task = place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31),
                      cycle="weekly", progress=30, reported=D(2025, 9, 1))
    actions.task_urge(actor=org.supervisor, task_id=task.pk, message="先催一次", today=D(2025, 9, 3))
    sent = reminders_run(today=D(2025, 9, 3), actor=org.system)
    assert [(r.stage, r.due_key) for r in sent] == [("remind", "report:2025-09-08")]


@pytest.mark.parametrize("who", ["leader", "lead_admin", "coop_staff"])
def test_only_the_office_urges(org, who):
    task = org.task_in("accepted")
    before = _trace()
    with pytest.raises(PermissionDenied):
        actions.task_urge(actor=org.roles()[who], task_id=task.pk, message="x")
    assert _trace() == before


@pytest.mark.parametrize("status", ["close_requested", "closed", "returned"])
def test_no_urging_when_the_units_are_not_working_on_it(org, status):
    task = org.task_in(status)
    before = _trace()
    with pytest.raises(Conflict):
        actions.task_urge(actor=org.supervisor, task_id=task.pk, message="x")
    assert _trace() == before


def test_a_notice_on_demand_is_written_kept_and_announced(org, django_capture_on_commit_callbacks):
    task = org.task_in("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        notice = actions.notice_issue(actor=org.supervisor, task_id=task.pk)
    notice = SupervisionNotice.objects.get(pk=notice.pk)
    assert (notice.task_id, notice.unit_id) == (task.pk, org.safety.pk)
    path = Path(settings.DATA_DIR) / notice.file_path
    doc = Document(str(path))
    text = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    deadline = f"{task.deadline.year}年{task.deadline.month}月{task.deadline.day}日"  # 公文 dates in Chinese
    for expected in ("督办通知单", "市应急管理局", task.title, deadline):
        assert expected in text
    [event] = AuditEvent.objects.filter(event_type=EventType.TASK_NOTICE_ISSUED)
    assert (event.actor_id, event.task_id, event.extra["notice_id"]) == (org.supervisor.pk, task.pk, notice.pk)
    assert _told("notice_issued") == ["coop_staff", "lead_admin", "lead_staff"]
    assert NotificationDispatch.objects.filter(notification__kind="notice_issued").count() == 3


def test_a_notice_refused_leaves_no_trace(org):
    task = org.task_in("accepted")
    before = _trace()
    with pytest.raises(PermissionDenied):
        actions.notice_issue(actor=org.lead_admin, task_id=task.pk)
    assert _trace() == before and not SupervisionNotice.objects.exists()


def test_urge_and_notice_from_the_task_page(org, client):
    task = org.task_in("accepted")
    login(client, org.supervisor)
    page = client.post(f"/followup/tasks/{task.pk}/urge/", {"message": "请加快"}, follow=True).content.decode()
    assert "已催办" in page and "请加快" in page  # the reminder list shows it
    page = client.post(f"/followup/tasks/{task.pk}/notice/", follow=True).content.decode()
    assert "已下发督办通知单" in page
    notice = SupervisionNotice.objects.get(task=task)
    assert f"/followup/notices/{notice.pk}/" in page


def _messages(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", m) for m in re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page,
                                                                   re.S))


def _unit_without_people(org, name="市信访局"):
    from duban.core.actions import unit_create

    return unit_create(actor=org.system, name=name)


@pytest.mark.parametrize("step,said", [("urge", "已催办。"), ("notice", "已下发督办通知单")])
def test_a_step_says_whom_it_reached(org, client, step, said):
    """The clerk is told how many people the step reached (the lead unit's two and the cooperating unit's one)."""
    task = org.task_in("accepted")
    login(client, org.supervisor)
    shown = _messages(client.post(f"/followup/tasks/{task.pk}/{step}/", {"message": "请加快"}, follow=True)
                      .content.decode())
    assert said in shown and "已通知相关单位3人" in shown and "尚无" not in shown


@pytest.mark.parametrize("step,kind", [("urge", "task_urged"), ("notice", "notice_issued")])
def test_a_step_to_units_with_nobody_names_them_and_the_office_receives_it(org, client, step, kind):
    """催办 and 督办通知单 to units without accounts: the message does not claim that they received it; it says that
    nobody was reached and names the units to phone; the office receives the lead unit's notice (代收), as at 交办."""
    petitions, reform = _unit_without_people(org), _unit_without_people(org, "市发改委")
    task = org.task_in("accepted")
    Task.objects.filter(pk=task.pk).update(lead_unit=petitions)
    task.coop_units.set([reform])
    login(client, org.supervisor)
    shown = _messages(client.post(f"/followup/tasks/{task.pk}/{step}/", {"message": "请加快"}, follow=True)
                      .content.decode())
    assert "已收到通知" not in shown
    assert "已通知相关单位0人" in shown
    assert "市信访局、市发改委尚无可接收通知的人员" in shown and "请电话告知" in shown
    assert "由市委督查室代收" in shown
    [stand_in] = Notification.objects.filter(kind=kind)
    assert stand_in.recipient_id == org.supervisor.pk and stand_in.title.startswith("（代收）")
    assert "市信访局" in stand_in.body
    assert ReminderSent.objects.get(task=task).recipient_count == 0  # 通知人数: nobody of the units


@pytest.mark.parametrize("step", ["urge", "notice"])
def test_a_step_reads_the_units_once_to_tell_them_and_says_what_that_reached(org, client, step):
    """催办 and 督办通知单 count (通知人数) and word whom they reached from the notices they sent: the cooperating
    units and the units' people are read once, to tell them, not again for the count or the message."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    task = org.task_in("accepted")
    login(client, org.supervisor)
    with CaptureQueriesContext(connection) as ctx:
        back = client.post(f"/followup/tasks/{task.pk}/{step}/", {"message": "请加快"})
    sql = [q["sql"] for q in ctx.captured_queries]  # before the next request empties the log
    shown = _messages(client.get(back.url).content.decode())
    units_people = "\"core_profile\".\"role\" IN ('unit_admin', 'unit_staff')"
    assert sum(units_people in s for s in sql) == 2  # the lead unit's people, the cooperating units'
    assert sum(s.startswith("SELECT") and '"tasks_task_coop_units"' in s for s in sql) == 1
    assert "已通知相关单位3人" in shown
    assert ReminderSent.objects.get(task=task).recipient_count == 3


def _notice_text(notice) -> str:
    doc = Document(str(Path(settings.DATA_DIR) / notice.file_path))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def test_a_notice_names_the_meeting_that_decided_the_task_and_states_the_task_itself(
        org, django_capture_on_commit_callbacks):
    """The 督办通知单 tells the unit which meeting decided the task (none for a task without one) and what the task
    is (its text, under 督办事项); its record keeps the 编号 printed on the notice, which the message to the units
    gives."""
    from duban.meetings.models import Meeting

    meeting = Meeting.objects.create(title="第九次安全生产专题会", source_text="", date=dt.date(2026, 1, 5),
                                     status="confirmed", created_by=org.supervisor)
    task = org.task_in("in_progress", title="整治老旧小区燃气管道", text="更换老旧小区燃气立管，年底前完成八成。")
    Task.objects.filter(pk=task.pk).update(meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        notice = SupervisionNotice.objects.get(pk=actions.notice_issue(actor=org.supervisor, task_id=task.pk).pk)
    text = _notice_text(notice)
    assert "第九次安全生产专题会确定的" in text
    assert "更换老旧小区燃气立管，年底前完成八成。" in text
    printed = re.search(r"督办〔\d{4}〕(\d+)号", text)
    assert printed and notice.number and int(notice.number) == int(printed.group(1))
    told = [n.body for n in Notification.objects.filter(kind="notice_issued")]
    assert told and all(f"编号 {notice.number}" in body for body in told)  # the cooperating unit's says the lead

    alone = org.task_in("in_progress", title="整治无主管道", text="摸清无主管道底数。")
    with django_capture_on_commit_callbacks(execute=True):
        notice = actions.notice_issue(actor=org.supervisor, task_id=alone.pk)
    text = _notice_text(notice)
    assert "确定的" not in text and "“整治无主管道”事项由你单位牵头办理" in text


def test_the_urge_and_the_notice_are_recorded_under_the_senders_unit_not_the_one_urged(org, client, settings,
                                                                                       tmp_path):
    """The audit row of a 催办 or a 督办通知单 carries the unit of the person who sent it, as every other row does: a
    district office's reminder to a township reads as the district's, and the city's as the city office's."""
    from duban.conftest import use_data_dir
    from duban.tasks.tests.levels_world import make_levels

    use_data_dir(settings, tmp_path)
    lv = make_levels(org)
    city, part, part2, town_a, town_b = lv.world()
    actions.task_urge(actor=lv.district_sup, task_id=town_a.pk, message="请加快")
    actions.notice_issue(actor=lv.district_sup, task_id=town_a.pk)
    actions.task_urge(actor=org.supervisor, task_id=part2.pk, message="请加快")
    actions.notice_issue(actor=org.supervisor, task_id=part2.pk)
    sent = {(e.task_id, e.event_type): (e.unit_id, e.target_unit_id) for e in AuditEvent.objects.filter(
        event_type__in=(EventType.TASK_URGED, EventType.TASK_NOTICE_ISSUED))}
    assert sent == {(town_a.pk, EventType.TASK_URGED): (lv.district.pk, lv.town_a.pk),
                    (town_a.pk, EventType.TASK_NOTICE_ISSUED): (lv.district.pk, lv.town_a.pk),
                    (part2.pk, EventType.TASK_URGED): (org.office.pk, lv.district2.pk),
                    (part2.pk, EventType.TASK_NOTICE_ISSUED): (org.office.pk, lv.district2.pk)}
    # the task's 办理记录 names the sender with the sender's unit
    login(client, lv.district_sup)
    page = client.get(f"/tasks/{town_a.pk}/").content.decode()
    assert "督查室催办</span> · district_sup（临川区人民政府）" in page
    assert "district_sup（临川区上顿渡镇人民政府）" not in page
