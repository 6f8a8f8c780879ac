"""交办 guard: tasks without a deadline are marked in the draft ledger, 确认交办 lists them and asks once (or gives
them one deadline), rows can be edited in bulk, and a past deadline is refused with a message."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import InvalidInput, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.meetings import actions
from duban.meetings.models import MeetingStatus
from duban.tasks import actions as task_actions
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

TEXT = ("2026年3月2日，市委书记许文博主持召开市委常委会会议。\n"
        "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查。\n"
        "会议要求，要加强冬春季传染病防控，市卫健委要做好药品储备。\n"
        "会议指出，要抓好校园安全，市教育局牵头。\n")


@pytest.fixture
def ledger(org):
    extracted, text = actions.extract_upload(text=TEXT)
    meeting = actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    tasks = list(meeting.tasks.order_by("seq"))
    assert len(tasks) == 3
    soon = dt.date.today() + dt.timedelta(days=20)
    # one task with a deadline, two without; every task with a lead unit
    for task, deadline in zip(tasks, (soon, None, None)):
        Task.objects.filter(pk=task.pk).update(lead_unit=org.safety, deadline=deadline)
    return meeting


def _without_deadline(meeting):
    return list(meeting.tasks.filter(deadline__isnull=True).order_by("seq"))


def test_confirm_refuses_tasks_without_deadline_naming_them_and_writes_nothing(org, ledger):
    missing = _without_deadline(ledger)
    before = AuditEvent.objects.count()
    with pytest.raises(actions.MissingDeadlines) as caught:
        actions.meeting_confirm(actor=org.supervisor, meeting_id=ledger.pk, allow_missing_deadline=False)
    assert caught.value.details == {"task_ids": [t.pk for t in missing]}
    for task in missing:
        assert task.title in caught.value.message_zh
    assert "deadline" in caught.value.message_en
    assert AuditEvent.objects.count() == before and Notification.objects.count() == 0
    assert set(ledger.tasks.values_list("status", flat=True)) == {TaskStatus.DRAFT}


def test_confirm_with_one_deadline_for_the_missing_ones(org, ledger):
    given = dt.date.today() + dt.timedelta(days=60)
    kept = ledger.tasks.get(deadline__isnull=False)
    missing = _without_deadline(ledger)
    actions.meeting_confirm(actor=org.supervisor, meeting_id=ledger.pk, allow_missing_deadline=False,
                            deadline_for_missing=given)
    ledger.refresh_from_db()
    assert ledger.status == MeetingStatus.CONFIRMED
    for task in missing:
        task.refresh_from_db()
        assert (task.deadline, task.status) == (given, TaskStatus.ASSIGNED)
        update = AuditEvent.objects.get(task=task, event_type=EventType.TASK_UPDATED)
        assert update.extra == {"old": {"deadline": None}, "new": {"deadline": given.isoformat()}}
        assert update.actor_id == org.supervisor.pk
    assert Task.objects.get(pk=kept.pk).deadline == kept.deadline  # a task with its own deadline keeps it
    assert not AuditEvent.objects.filter(task=kept, event_type=EventType.TASK_UPDATED).exists()


def test_confirm_with_a_past_deadline_for_the_missing_ones_is_refused(org, ledger):
    with pytest.raises(InvalidInput) as caught:
        actions.meeting_confirm(actor=org.supervisor, meeting_id=ledger.pk, allow_missing_deadline=False,
                                deadline_for_missing=dt.date.today() - dt.timedelta(days=1))
    assert "早于今天" in caught.value.message_zh
    assert set(ledger.tasks.values_list("status", flat=True)) == {TaskStatus.DRAFT}
    assert len(_without_deadline(ledger)) == 2


def test_the_page_marks_rows_without_deadline_and_asks_once(client, org, ledger):
    login(client, org.supervisor)
    page = client.get(f"/meetings/{ledger.pk}/").content.decode()
    assert page.count('class="badge text-bg-secondary no-deadline">无时限<') == 2
    assert "2 项未设时限" in page
    asked = client.post(f"/meetings/{ledger.pk}/confirm/")
    assert asked.status_code == 409
    body = asked.content.decode()
    assert 'id="missing-deadlines"' in body and "以下 2 项未设办理时限" in body
    for task in _without_deadline(ledger):
        assert task.title in body
    ledger.refresh_from_db()
    assert ledger.status == MeetingStatus.DRAFT
    done = client.post(f"/meetings/{ledger.pk}/confirm/", {"without_deadline": "on"}, follow=True)
    assert "已确认交办" in done.content.decode()
    ledger.refresh_from_db()
    assert ledger.status == MeetingStatus.CONFIRMED
    assert len(_without_deadline(ledger)) == 2


def test_the_page_gives_the_missing_ones_one_deadline(client, org, ledger):
    login(client, org.supervisor)
    given = dt.date.today() + dt.timedelta(days=30)
    client.post(f"/meetings/{ledger.pk}/confirm/", {"deadline": given.isoformat()})
    assert not _without_deadline(ledger)
    assert set(ledger.tasks.values_list("status", flat=True)) == {TaskStatus.ASSIGNED}


def test_bulk_edit_sets_deadline_and_lead_unit_on_the_ticked_rows(client, org, ledger):
    login(client, org.supervisor)
    first, second, third = ledger.tasks.order_by("seq")
    given = dt.date.today() + dt.timedelta(days=15)
    response = client.post(f"/meetings/{ledger.pk}/bulk-edit/",
                           {"task_ids": [second.pk, third.pk], "deadline": given.isoformat(),
                            "lead_unit": org.health.pk}, follow=True)
    assert "已批量修改 2 项" in response.content.decode()
    for task in (second, third):
        task.refresh_from_db()
        assert (task.deadline, task.lead_unit_id) == (given, org.health.pk)
        assert AuditEvent.objects.filter(task=task, event_type=EventType.TASK_UPDATED).count() == 1
    first.refresh_from_db()
    assert first.lead_unit_id == org.safety.pk and first.deadline != given


def test_bulk_edit_with_a_past_deadline_changes_nothing_and_says_why(client, org, ledger):
    login(client, org.supervisor)
    ids = list(ledger.tasks.values_list("id", flat=True))
    before = AuditEvent.objects.count()
    response = client.post(f"/meetings/{ledger.pk}/bulk-edit/",
                           {"task_ids": ids, "deadline": "2020-01-01"}, follow=True)
    assert "时限 2020-01-01 早于今天" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_bulk_edit_needs_rows_and_a_value(org, ledger):
    ids = list(ledger.tasks.values_list("id", flat=True))
    with pytest.raises(InvalidInput):
        task_actions.task_bulk_update(actor=org.supervisor, task_ids=[], deadline=dt.date.today())
    with pytest.raises(InvalidInput):
        task_actions.task_bulk_update(actor=org.supervisor, task_ids=ids)
    with pytest.raises(PermissionDenied):
        task_actions.task_bulk_update(actor=org.leader, task_ids=ids, deadline=dt.date.today())


def test_editing_a_task_to_a_past_deadline_is_refused(org):
    task = org.task_in("assigned")
    with pytest.raises(InvalidInput) as caught:
        task_actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                                 changes={"deadline": dt.date.today() - dt.timedelta(days=3)})
    assert "早于今天" in caught.value.message_zh and "past" in caught.value.message_en
    assert Task.objects.get(pk=task.pk).deadline == task.deadline
