"""新增事项: a 部署 the extraction missed is added to the draft ledger and issued with the meeting's others."""

from __future__ import annotations

import pytest

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, NotFound
from duban.core.models import AuditEvent
from duban.meetings import actions, selectors
from duban.meetings.models import Meeting
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

SHORT = ("2026年3月2日，市委书记许文博主持召开市委常委会会议。\n"
         "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，3月底前完成。\n"
         "会议要求，要加强冬春季传染病防控，市卫健委要做好药品储备。\n"
         "乡镇工作人员待遇偏低的问题，会上也作了研究。\n")
MISSED = "乡镇工作人员待遇偏低的问题，会上也作了研究。"  # not a directive the extraction finds


def _draft(org) -> Meeting:
    extracted, text = actions.extract_upload(text=SHORT)
    return actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)


def test_an_added_task_is_the_meetings_next_row_with_its_span_and_is_issued_by_confirm(org):
    meeting = _draft(org)
    rows = Task.objects.filter(meeting=meeting).count()
    assert not Task.objects.filter(meeting=meeting, text=MISSED).exists()
    start = meeting.source_text.index(MISSED)
    task = actions.meeting_task_add(actor=org.supervisor, meeting_id=meeting.pk, text=MISSED,
                                    source_start=start - 1, source_end=start + len(MISSED) + 1)  # the newlines
    assert task.meeting_id == meeting.pk and task.status == TaskStatus.DRAFT and task.seq == rows + 1
    assert meeting.source_text[task.source_start:task.source_end] == MISSED == task.text
    event = AuditEvent.objects.get(task=task, event_type=EventType.TASK_CREATED)
    assert event.meeting_id == meeting.pk and event.extra["added"] is True and event.actor_id == org.supervisor.pk
    counted = selectors.meeting_counted_get(viewer=org.supervisor, meeting_id=meeting.pk)
    assert counted.task_count == rows + 1
    Task.objects.filter(meeting=meeting).update(lead_unit=org.safety)
    actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED


def test_a_typed_task_not_in_the_text_has_no_span_and_a_name_from_its_text(org):
    meeting = _draft(org)
    task = actions.meeting_task_add(actor=org.supervisor, meeting_id=meeting.pk,
                                    text="开展知识产权发明专利专项补助工作。", source_start=0, source_end=5)
    assert task.source_start is None and task.source_end is None
    assert task.title and task.title in task.text
    named = actions.meeting_task_add(actor=org.supervisor, meeting_id=meeting.pk, text=MISSED, title="乡镇待遇")
    assert named.title == "乡镇待遇" and named.seq == task.seq + 1
    assert meeting.source_text[named.source_start:named.source_end] == MISSED  # found in the text


def test_adding_is_refused_without_text_after_confirm_and_to_units(org):
    meeting = _draft(org)
    before = Task.objects.count(), AuditEvent.objects.count()
    with pytest.raises(InvalidInput):
        actions.meeting_task_add(actor=org.supervisor, meeting_id=meeting.pk, text="  ")
    with pytest.raises(NotFound):
        actions.meeting_task_add(actor=org.lead_staff, meeting_id=meeting.pk, text=MISSED)
    Task.objects.filter(meeting=meeting).update(lead_unit=org.safety)
    actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    after_confirm = Task.objects.count()
    assert after_confirm == before[0]
    with pytest.raises(Conflict):
        actions.meeting_task_add(actor=org.supervisor, meeting_id=meeting.pk, text=MISSED)
    assert Task.objects.count() == after_confirm


def test_the_draft_page_adds_a_task_from_its_form(client, org):
    meeting = _draft(org)
    login(client, org.supervisor)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="task-add-form"' in page and "新增事项" in page
    response = client.post(f"/meetings/{meeting.pk}/add-task/", {"text": MISSED, "source_start": "", "title": ""},
                           follow=True)
    task = Task.objects.filter(meeting=meeting).order_by("-seq").first()
    assert task.text == MISSED
    body = response.content.decode()
    assert f"已新增第 {task.seq} 项" in body and f'id="task-row-{task.pk}"' in body
    refused = client.post(f"/meetings/{meeting.pk}/add-task/", {"text": ""}, follow=True).content.decode()
    assert "请填写事项内容" in refused
