"""The task list built from plain values: the same cells, badges and escaping as from model instances,
filter options kept in the cache of figures yet never stale nor leaking between scopes."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import login
from duban.core.actions import unit_create
from duban.core.views import select_options, select_options_marked
from duban.followup.templatetags.followup_tags import light_badge, light_badge_of_values
from duban.meetings.models import Meeting
from duban.tasks import selectors
from duban.tasks.models import ReportCycle, Task

pytestmark = pytest.mark.django_db

STATUSES = ("draft", "assigned", "accepted", "in_progress", "close_requested", "closed", "returned", "withdrawn")


def test_light_from_values_is_the_light_badge_of_the_task(org):
    today = dt.date.today()
    for i, status in enumerate(STATUSES):
        org.task_in(status, title=f"事项{i}", deadline=today + dt.timedelta(days=(i * 7) % 40 - 10))
    Task.objects.filter(status="accepted").update(report_cycle=ReportCycle.WEEKLY, report_every=0)
    rows = list(selectors.task_list(viewer=org.supervisor, include_withdrawn=True)
                .values_list(*selectors.LIST_ROW_FIELDS))
    assert len(rows) == len(STATUSES)
    for row in rows:
        task = Task.objects.select_related("latest_report").get(pk=row[0])
        for day in (today - dt.timedelta(days=60), today, today + dt.timedelta(days=3), today + dt.timedelta(days=90)):
            (_, _, _, status, deadline, pct, _, _, _, _, assigned_at, cycle, every, reported_at, *_) = row
            assert light_badge_of_values(status, deadline, assigned_at, pct, cycle, every, reported_at, day) == \
                light_badge(task, day), (task.status, day)


def test_select_options_marked_is_select_options():
    choices = [(1, "市应急管理局"), (12, "<b>教育局</b>"), (123, "卫健委 & 医保")]
    plain = select_options(choices, None)
    for selected in (None, 1, 12, 123, 999):
        assert select_options_marked(plain, selected) == select_options(choices, selected)


def test_rows_show_units_meeting_and_escape_everything(client, org):
    third = unit_create(actor=org.system, name="市<住建>局")
    task = org.task_in("in_progress", title="<script>x</script>整治", coop_unit_ids=[org.health.pk, third.pk])
    meeting = Meeting.objects.create(title="第<1>次常委会", source_text="", date=dt.date(2026, 1, 5), status="confirmed",
                                     created_by=org.supervisor)
    Task.objects.filter(pk=task.pk).update(meeting=meeting, seq=3)
    login(client, org.lead_staff)
    body = client.get("/tasks/").content.decode()
    assert "<script>x</script>" not in body and "&lt;script&gt;x&lt;/script&gt;整治" in body
    assert '<div class="small text-muted">第&lt;1&gt;次常委会</div>' in body
    # cooperating units in the units' order, escaped
    assert '<div class="text-muted">配合：市卫健委、市&lt;住建&gt;局</div>' in body
    assert f'<a href="/tasks/{task.pk}/" class="fw-semibold">' in body
    assert 'data-light="' in body and "status-in_progress" in body and ">办理中<" in body


def test_filter_options_follow_audited_changes(client, org):
    org.task_in("assigned")
    login(client, org.supervisor)
    assert "市生态环境局" not in client.get("/tasks/").content.decode()
    unit = unit_create(actor=org.sysadmin, name="市生态环境局")  # an audited change moves the chain head
    body = client.get("/tasks/", {"unit": unit.pk}).content.decode()
    assert f'<option value="{unit.pk}" selected>市生态环境局</option>' in body


def test_meeting_options_are_per_scope(client, org):
    task = org.task_in("assigned")
    meeting = Meeting.objects.create(title="只给应急局看的会议", source_text="", status="confirmed",
                                     created_by=org.supervisor)
    Task.objects.filter(pk=task.pk).update(meeting=meeting)
    login(client, org.supervisor)  # fills the office's entry first
    assert "只给应急局看的会议" in client.get("/tasks/").content.decode()
    login(client, org.other_staff)
    assert "只给应急局看的会议" not in client.get("/tasks/").content.decode()
    login(client, org.lead_staff)
    assert "只给应急局看的会议" in client.get("/tasks/").content.decode()


def _row_of(body: str, task_id: int) -> str:
    """The task list's row (``<tr>...</tr>``) linking to ``task_id``."""
    return next(row for row in body.split("<tr")[1:] if f'href="/tasks/{task_id}/"' in row).split("</tr>")[0]


def test_rows_mark_sub_tasks_and_name_other_sources(client, org):
    from duban.tasks import actions

    parent = org.task_in("assigned", title="开展燃气安全隐患排查整治", seq=39)
    subs = actions.task_decompose(actor=org.supervisor, task_id=parent.pk, version=parent.version,
                                  parts=[{"lead_unit_id": org.health.pk}, {"lead_unit_id": org.other.pk}])
    instruction = org.task_in("assigned", title="落实张伟同志批示", kind="instruction")
    hazard = org.task_in("assigned", title="自建出租房隐患整改", kind="hazard")
    plain = org.task_in("assigned", title="未分解的事项")
    login(client, org.supervisor)
    body = client.get("/tasks/").content.decode()
    # the parent says it was split, each sub-task says it is one; a task never split says neither
    assert "已分解" in _row_of(body, parent.pk) and "子任务" not in _row_of(body, parent.pk)
    for sub in subs:
        assert "子任务" in _row_of(body, sub.pk) and "已分解" not in _row_of(body, sub.pk)
    assert "子任务" not in _row_of(body, plain.pk) and "已分解" not in _row_of(body, plain.pk)
    # a task from another source than a meeting names its source
    assert "来源：领导批示" in _row_of(body, instruction.pk)
    assert "来源：隐患整改" in _row_of(body, hazard.pk)
    assert "来源：" not in _row_of(body, plain.pk)  # a meeting's task (here without its meeting) has no source line
