"""A draft task outside a meeting (a ledger import's, one made by hand) is edited and issued from its own page."""

from __future__ import annotations

import pytest

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.models import AuditEvent
from duban.tasks import actions
from duban.tasks.models import TaskKind, TaskStatus

pytestmark = pytest.mark.django_db


def _draft(org):
    return actions.task_create(actor=org.supervisor, title="大棚房问题整治", text="开展大棚房问题专项整治。",
                               kind=TaskKind.OTHER, lead_unit_id=org.safety.pk)


def test_the_office_sees_issue_and_edit_on_a_draft_of_another_source_and_issues_it(client, org):
    task = _draft(org)
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="issue-draft"' in page and f'href="/tasks/{task.pk}/edit/"' in page
    assert client.get(f"/tasks/{task.pk}/edit/").status_code == 200
    done = client.post(f"/tasks/{task.pk}/assign/", follow=True).content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED and "已交办。" in done
    assert AuditEvent.objects.filter(task=task, event_type=EventType.TASK_ASSIGNED).count() == 1
    assert 'id="issue-draft"' not in client.get(f"/tasks/{task.pk}/").content.decode()


def test_a_meetings_draft_points_to_its_ledger_and_units_see_no_issue(client, org):
    from duban.meetings import actions as meeting_actions

    extracted, text = meeting_actions.extract_upload(
        text="2026年3月2日，市委书记许文博主持召开市委常委会会议。\n会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查。\n")
    meeting = meeting_actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    task = meeting.tasks.get()
    login(client, org.supervisor)
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="issue-draft"' not in page and 'id="draft-in-meeting"' in page
    other = _draft(org)
    login(client, org.lead_staff)
    assert client.get(f"/tasks/{other.pk}/").status_code == 404  # a draft reaches no unit
