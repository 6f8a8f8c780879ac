"""What the task page and a plain page cost in SQL statements, pinned: a change that adds a statement to every page
(the session, the user) or to the task page fails here, and the statements the task page leaves out when there is
nothing to show still come back when there is (reminders, extension requests, a renamed lead unit)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.conftest import login
from duban.core.actions import unit_rename
from duban.followup.actions import extension_request, task_urge
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


def _statements(client, url: str) -> tuple[str, list[str]]:
    """The page's body and its SQL statements (without SAVEPOINT/RELEASE, which carry no data)."""
    client.get(url)  # what fills once per process (content types, templates) is not the page's cost
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), [q["sql"] for q in ctx.captured_queries
                                        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def _table(statement: str) -> str:
    """The table a statement reads: its first column's, else the first after FROM."""
    first = re.match(r'SELECT (?:DISTINCT )?\(?"(\w+)"\."', statement)
    if first:
        return first.group(1)
    after = re.search(r' FROM "(\w+)"', statement)
    return after.group(1) if after else statement[:40]


def _tables(sql: list[str]) -> list[str]:
    return [_table(s) for s in sql]


def _plain_task(org):
    """An assigned task of a unit never renamed (no aliases), with a cooperating unit, never split."""
    return org.task_in("assigned", lead_unit_id=org.health.pk, coop_unit_ids=[org.other.pk])


def test_the_task_page_makes_seven_statements_for_the_office(client, org):
    """The office's page of a task without reminders, extension requests, leaders' comments, sub-tasks or a renamed
    lead unit: the session, the user (with profile, unit and unread count), the task (with area, lead unit, meeting
    and latest report), its cooperating units, its reports, its history, and the units of the 改派 and 分解下达
    drop-downs (built once for both). Nothing else."""
    task = _plain_task(org)
    login(client, org.supervisor)
    body, sql = _statements(client, f"/tasks/{task.pk}/")
    assert len(sql) == 7, _tables(sql)
    tables = _tables(sql)
    assert tables[:2] == ["django_session", "auth_user"]
    assert "followup_remindersent" not in tables and "followup_extensionrequest" not in tables
    assert not any("core_auditevent" in s and "202" in s for s in sql)  # no look-up of renames
    assert 'id="reassign-form"' in body and 'id="split-form"' in body  # the drop-downs are there
    assert "暂无催办记录" in body and "暂无延期申请" in body


def test_the_task_page_for_the_lead_unit_stays_within_its_statements(client, org):
    """The lead unit's page of the same task: session, user, the unit's scope (its subtree), task, cooperating
    units, reports, history; no office drop-downs and no follow-up reads."""
    task = org.task_in("assigned", lead_unit_id=org.health.pk, coop_unit_ids=[org.other.pk])
    login(client, org.coop_staff)  # staff of 市卫健委, the lead unit here
    body, sql = _statements(client, f"/tasks/{task.pk}/")
    assert len(sql) == 7, _tables(sql)
    assert "followup_extensionrequest" not in _tables(sql)
    assert 'id="accept-button"' in body


def test_a_plain_page_makes_four_statements(client, org):
    """The notifications page: the session, the user (with the nav bar's unread count), the count of the
    viewer's notifications and one page of them."""
    _plain_task(org)  # the lead unit's people are told: coop_staff has a notification
    login(client, org.coop_staff)
    body, sql = _statements(client, "/notifications/")
    assert len(sql) == 4, _tables(sql)
    assert _tables(sql)[:2] == ["django_session", "auth_user"]
    assert "排查整治燃气安全隐患" in body


def test_reminders_and_extension_requests_are_read_once_the_history_has_them(client, org):
    """The two lists left out above come back with the first reminder and the first extension request, both in one
    statement (the page's short lists), and the page shows them."""
    task = _plain_task(org)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.ACCEPTED)  # signed for: an extension may be asked
    login(client, org.supervisor)
    _, before = _statements(client, f"/tasks/{task.pk}/")
    task_urge(actor=org.supervisor, task_id=task.pk, message="请加快办理进度")
    body, sql = _statements(client, f"/tasks/{task.pk}/")
    assert "followup_remindersent" in _tables(sql) and "followup_extensionrequest" not in _tables(sql)
    assert 'id="reminder-list"' in body and "暂无延期申请" in body
    extension_request(actor=org.coop_staff, task_id=task.pk, new_deadline=dt.date.today() + dt.timedelta(days=90),
                      reason="需协调省级部门")
    body, sql = _statements(client, f"/tasks/{task.pk}/")
    assert len(sql) == len(before) + 1, _tables(sql)
    both = [s for s in sql if "followup_remindersent" in s and "followup_extensionrequest" in s]
    assert len(both) == 1 and " UNION ALL " in both[0]
    assert "需协调省级部门" in body and "批准延期" in body and 'id="reminder-list"' in body


def test_a_renamed_lead_unit_is_still_looked_up(client, org):
    """A lead unit renamed after the task was given to it: the page names it as it was then (交办时名称), which
    takes the look-up the plain page leaves out."""
    task = _plain_task(org)
    unit_rename(actor=org.sysadmin, unit_id=org.health.pk, version=org.health.version, name="市卫生健康委员会")
    login(client, org.supervisor)
    body, sql = _statements(client, f"/tasks/{task.pk}/")
    assert len(sql) == 8, _tables(sql)
    assert "市卫生健康委员会" in body and "交办时名称：市卫健委" in body


def test_what_the_user_row_brings_is_read_again_on_every_request(client, org):
    """The user, profile, unit and unread count come with one statement per request, never kept between requests:
    a change of role or unit, or a deactivation, holds from the very next request of a signed-in session."""
    from duban.core.actions import user_deactivate, user_move, user_update
    from duban.core.models import Profile

    task = _plain_task(org)  # led by 市卫健委
    login(client, org.coop_staff)  # staff of 市卫健委
    assert client.get(f"/tasks/{task.pk}/").status_code == 200
    profile = Profile.objects.get(user=org.coop_staff)
    user_move(actor=org.sysadmin, user_id=org.coop_staff.pk, version=profile.version, unit_id=org.other.pk)
    response = client.get(f"/tasks/{task.pk}/")  # 市教育局 only cooperates on it: still readable, no 签收
    assert response.status_code == 200 and 'id="accept-button"' not in response.content.decode()
    assert "coop_staff · 市教育局" in client.get("/notifications/").content.decode()  # the nav bar's user menu
    user_move(actor=org.sysadmin, user_id=org.coop_staff.pk, version=profile.version + 1, unit_id=org.safety.pk)
    assert client.get(f"/tasks/{task.pk}/").status_code == 404  # out of 市应急管理局's scope
    user_update(actor=org.sysadmin, user_id=org.coop_staff.pk, version=profile.version + 2,
                changes={"role": "supervisor"})
    assert 'id="reassign-form"' in client.get(f"/tasks/{task.pk}/").content.decode()  # the office's panel
    user_deactivate(actor=org.sysadmin, user_id=org.coop_staff.pk, reason="调离")
    response = client.get(f"/tasks/{task.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- a task with every kind of record on its page -------------------------------------------------------------

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
FULL_TARGET = 10  # statements a page, the session and the user included


def _pinned(sql: list[str], expected: int, who: str = "") -> None:
    """The page took exactly ``expected`` statements (pinned: a lazy load or a list read apart shows here), within
    ``FULL_TARGET``."""
    assert expected <= FULL_TARGET
    assert len(sql) == expected, (who, _tables(sql))


@pytest.fixture
def full_task(org, settings, tmp_path, django_capture_on_commit_callbacks):
    """A task of 市应急管理局 (cooperating: 市卫健委) with everything its page lists: two progress reports, one
    with a photo, a leader's 批示, an extension request, a 催办, a sub-task of 市应急管理局临川分局 (分解下达), and its
    lead unit renamed since 交办. Returns (task, sub-task)."""
    from duban.conftest import use_data_dir
    from duban.followup.actions import task_comment
    from duban.tasks.actions import report_submit, task_decompose
    from duban.tasks.models import Task

    use_data_dir(settings, tmp_path)
    task = org.task_in("accepted")
    with django_capture_on_commit_callbacks(execute=True):  # the photo is moved into place on commit
        report_submit(actor=org.lead_staff, task_id=task.pk, text="已部署全市燃气排查", progress_percent=30)
        report_submit(actor=org.lead_staff, task_id=task.pk, text="现场照片已上传", progress_percent=40,
                      files=[("现场.png", PNG)])
    task_comment(actor=org.leader, task_id=task.pk, text="请加快整治进度")
    extension_request(actor=org.lead_staff, task_id=task.pk, new_deadline=dt.date.today() + dt.timedelta(days=90),
                      reason="涉及管网改造工程量大")
    task_urge(actor=org.supervisor, task_id=task.pk, message="请按时报送整治进展")
    task.refresh_from_db()
    sub = task_decompose(actor=org.supervisor, task_id=task.pk, version=task.version, parts=[
        {"lead_unit_id": org.child.pk, "coop_unit_ids": [], "deadline": None, "title": "临川分局排查老旧小区"}])[0]
    org.safety.refresh_from_db()
    unit_rename(actor=org.sysadmin, unit_id=org.safety.pk, version=org.safety.version, name="市应急管理局（更名）")
    return Task.objects.get(pk=task.pk), sub


def _shows_every_record(body: str, sub) -> None:
    """The full task's page shows each kind of its records (the assertions name them)."""
    assert "已部署全市燃气排查" in body and "现场照片已上传" in body  # the reports
    assert re.search(r'<a href="/tasks/report-files/\d+/"[^>]*title="现场.png"', body)  # the photo of one
    assert "请加快整治进度" in body  # the 批示
    assert "涉及管网改造工程量大" in body  # the extension request
    assert 'id="reminder-list"' in body and "请按时报送整治进展" in body  # the 催办
    assert f'href="/tasks/{sub.pk}/">市应急管理局临川分局</a>' in body  # the sub-task, in the tree
    assert "市应急管理局（更名）" in body and "交办时名称：市应急管理局" in body  # the lead unit's former name
    history = re.search(r'<ol class="timeline small mb-0" id="task-history">(.*?)</ol>', body, re.S).group(1)
    for label in ("报送进展", "领导批示", "申请延期", "督查室催办", "分解下达"):  # the history has each event
        assert f'<span class="fw-semibold">{label}</span>' in history, label


def test_the_full_task_page_stays_within_ten_statements_and_shows_every_record(client, org, full_task):
    """The office, the lead unit, a leader and the cooperating unit each see the full task's page in at most ten
    statements (the session and the user included); the office and the lead unit see every kind of record. Each:
    the session, the user, (a unit member's scope,) the task, its cooperating units, its reports, its history, its
    short lists in one (files, former name, 批示, reminders, extension requests, and a leader's 重点关注), the tree
    in one, and for the office the units of its drop-downs."""
    task, sub = full_task
    for viewer, sees_all, expected in ((org.supervisor, True, 9), (org.lead_staff, True, 9), (org.leader, True, 8),
                                       (org.coop_staff, False, 9)):
        login(client, viewer)
        body, sql = _statements(client, f"/tasks/{task.pk}/")
        _pinned(sql, expected, viewer.username)
        if sees_all:
            _shows_every_record(body, sub)
        assert "请加快整治进度" in body and f'data-task="{sub.pk}"' in body, viewer.username


def test_the_sub_task_page_shows_its_parent_within_ten_statements(client, org, full_task):
    """The sub-task's page for its own lead unit (a unit below the parent's) and for the office: the tree with the
    task above it, in at most ten statements."""
    task, sub = full_task
    for viewer in (org.child_staff, org.supervisor):  # the unit's scope, or the office's drop-downs
        login(client, viewer)
        body, sql = _statements(client, f"/tasks/{sub.pk}/")
        _pinned(sql, 8, viewer.username)
        assert "临川分局排查老旧小区" in body and "排查整治燃气安全隐患" in body, viewer.username  # it and its parent


def test_a_close_request_under_review_and_then_returned_stays_within_ten_statements(
        client, org, full_task, django_capture_on_commit_callbacks):
    """The full task asked to close (申请办结) with an evidence photo, while its sub-task and its cooperating unit's
    part are still open: the office's page shows the request, its evidence, which cooperating unit has not filed
    its part and the open sub-task; returned, the page says so with the reason. Each in at most ten statements."""
    from duban.tasks.actions import report_return, report_submit

    task, _sub = full_task
    with django_capture_on_commit_callbacks(execute=True):
        asked = report_submit(actor=org.lead_staff, task_id=task.pk, text="排查整治全部完成", progress_percent=100,
                              request_close=True, evidence_text="整改台账已归档", files=[("台账.png", PNG)])
    login(client, org.supervisor)
    body, sql = _statements(client, f"/tasks/{task.pk}/")
    _pinned(sql, 8)  # no drop-downs: nothing to reassign or split while the close is asked
    assert 'id="close-request"' in body and "排查整治全部完成（进度 100%）" in body and "整改台账已归档" in body
    assert re.search(r'id="close-request".*title="台账.png"', body, re.S)  # the evidence photo
    assert re.search(r'class="[^"]*coop-part" data-filed="0">市卫健委 未报送', body)  # its part not filed
    assert 'id="open-subtasks"' in body and "尚有1项子任务未办结" in body
    _shows_every_record(body, _sub)

    report_return(actor=org.supervisor, report_id=asked.pk, reason="佐证材料不全")
    body, sql = _statements(client, f"/tasks/{task.pk}/")
    _pinned(sql, 9)
    assert 'id="close-returned"' in body and "佐证材料不全" in body and 'id="close-request"' not in body


def test_the_tree_statement_reads_by_the_tree_paths_index_at_a_millions_statistics(client, org, full_task):
    """The page's one statement for the tree (the subtree by path prefix, the ancestors by id, the viewer's scope per
    node) asks for no order (sorting a tree's few rows costs nothing in Python), and SQLite, with a million tasks'
    statistics, reads it from the tree paths' index and the key, not by walking the tasks."""
    from duban.core.tests.plans import sqlite_plan
    from duban.tasks.tests.test_indexes import MILLION_STATS

    _task, sub = full_task
    login(client, org.child_staff)
    _body, sql = _statements(client, f"/tasks/{sub.pk}/")
    tree = [s for s in sql if "tree_path" in s and " LIKE " in s.upper() and "EXISTS" in s.upper()]
    assert len(tree) == 1, _tables(sql)
    assert "ORDER BY" not in tree[0]
    if connection.vendor != "sqlite":
        return
    plan = "\n".join(sqlite_plan(tree[0], MILLION_STATS))
    assert "SCAN tasks_task" not in plan and "tree_path_nocase_idx" in plan, plan
