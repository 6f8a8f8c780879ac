"""Everyone takes part: cooperating units file their parts, reports carry evidence, leaders comment (批示) and
watch (重点关注). Each case checks the state, the audit row and who was told, written from the rule's text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.followup import actions, selectors
from duban.followup.models import LeaderComment
from duban.tasks import actions as task_actions
from duban.tasks.models import ProgressReport, ReportStatus, Task

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"0" * 32


def _events(event_type, task=None):
    qs = AuditEvent.objects.filter(event_type=event_type)
    return list(qs.filter(task=task) if task is not None else qs)


def _told(kind, task):
    return sorted(Notification.objects.filter(kind=kind, task=task).values_list("recipient__username", flat=True))


def _render(user, task, tag):
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load followup_tags %}{% " + tag + " task %}").render(Context({"request": request,
                                                                                     "task": task}))


# --- cooperating units ---------------------------------------------------------------------------------------

def test_a_cooperating_units_part_reaches_the_lead_unit_and_the_office(client, org,
                                                                       django_capture_on_commit_callbacks):
    task = org.task_in("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        part = task_actions.report_submit(actor=org.coop_staff, task_id=task.pk, text="配合意见：已完成医疗保障",
                                          progress_percent=0, files=[("配合材料.pdf", PDF)])
    assert part.unit_id == org.health.pk
    told = Notification.objects.filter(task=task, kind="report_submitted", title__startswith="配合单位报送")
    assert sorted(told.values_list("recipient__username", flat=True)) == ["lead_admin", "lead_staff", "supervisor"]
    [event] = [e for e in _events(EventType.REPORT_SUBMITTED, task) if e.report_id == part.pk]
    assert event.actor_id == org.coop_staff.pk and event.extra["files"][0]["name"] == "配合材料.pdf"
    # a part does not move the lead unit's progress
    assert Task.objects.get(pk=task.pk).progress_percent == 30
    stored = part.files.get()
    for who in (org.lead_staff, org.supervisor, org.leader):
        login(client, who)
        assert b"".join(client.get(f"/tasks/report-files/{stored.pk}/").streaming_content) == PDF
    login(client, org.other_staff)
    assert client.get(f"/tasks/report-files/{stored.pk}/").status_code == 404


def test_the_close_request_shows_which_cooperating_parts_are_in(org):
    task = org.task_in("in_progress")
    request = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成", progress_percent=100,
                                         request_close=True, evidence_text="验收单")
    [event] = _events(EventType.TASK_CLOSE_REQUESTED, task)
    assert event.extra["coop_parts"] == {str(org.health.pk): False}
    html = _render(org.supervisor, Task.objects.get(pk=task.pk), "task_followup")
    assert "市卫健委 未报送" in html
    task_actions.report_return(actor=org.supervisor, report_id=request.pk, reason="缺配合单位意见")
    task_actions.report_submit(actor=org.coop_staff, task_id=task.pk, text="配合意见", progress_percent=0)
    task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已补充", progress_percent=100,
                               request_close=True, evidence_text="验收单")
    assert _events(EventType.TASK_CLOSE_REQUESTED, task)[-1].extra["coop_parts"] == {str(org.health.pk): True}
    assert "市卫健委 已报送" in _render(org.supervisor, Task.objects.get(pk=task.pk), "task_followup")


def test_cooperating_units_are_told_at_assignment_through_the_shared_helper(org):
    task = org.draft_task()
    task_actions.task_assign(actor=org.supervisor, task_id=task.pk)
    coop = Notification.objects.get(task=task, recipient=org.coop_staff)
    assert coop.payload == {"role": "coop"} and coop.title.startswith("（配合）")
    assert Notification.objects.filter(task=task, recipient=org.other_staff).count() == 0


# --- evidence ------------------------------------------------------------------------------------------------

def test_no_route_skips_the_evidence_requirement(client, org):
    task = org.task_in("in_progress")
    login(client, org.lead_staff)
    response = client.post(f"/api/v1/tasks/{task.pk}/reports", {"text": "已完成", "progress_percent": 100,
                                                                "request_close": True},
                           content_type="application/json")
    assert response.status_code == 422
    client.post(f"/tasks/{task.pk}/report/", {"text": "已完成", "progress_percent": 100, "request_close": "on"})
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    assert _events(EventType.TASK_CLOSE_REQUESTED, task) == []


def test_evidence_is_required_only_for_the_kinds_configured(org, settings):
    settings.DUBAN_CLOSE_EVIDENCE_KINDS = ("hazard",)
    task = org.task_in("in_progress")  # a meeting task
    task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成", progress_percent=100,
                               request_close=True)
    assert Task.objects.get(pk=task.pk).status == "close_requested"
    hazard_task = org.task_in("in_progress", kind="hazard")
    with pytest.raises(InvalidInput):
        task_actions.report_submit(actor=org.lead_staff, task_id=hazard_task.pk, text="已完成", progress_percent=100,
                                   request_close=True)


def test_closing_a_task_closes_its_pending_reports(client, org):
    task = org.task_in("in_progress")
    part = task_actions.report_submit(actor=org.coop_staff, task_id=task.pk, text="配合进展", progress_percent=0)
    request = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成", progress_percent=100,
                                         request_close=True, evidence_text="验收单")
    pending = sorted(ProgressReport.objects.filter(task=task, status=ReportStatus.SUBMITTED).exclude(pk=request.pk)
                     .values_list("pk", flat=True))
    assert part.pk in pending  # with the lead unit's unreviewed 30% report
    task_actions.report_accept(actor=org.supervisor, report_id=request.pk)
    part.refresh_from_db()
    assert part.status == ReportStatus.CLOSED and part.reviewed_by_id == org.supervisor.pk
    assert _events(EventType.TASK_CLOSED, task)[0].extra["closed_reports"] == pending
    login(client, org.supervisor)
    assert f'id="report-{part.pk}"' not in client.get("/tasks/reports/pending/").content.decode()
    assert not ProgressReport.objects.filter(task=task, status=ReportStatus.SUBMITTED).exists()


def test_the_review_list_shows_evidence_inline(client, org, django_capture_on_commit_callbacks):
    task = org.task_in("in_progress")
    with django_capture_on_commit_callbacks(execute=True):
        report = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="现场整改", progress_percent=60,
                                            files=[("现场.jpg", JPEG), ("方案.pdf", PDF)])
    photo, pdf = report.files.order_by("id")
    login(client, org.supervisor)
    html = client.get("/tasks/reports/pending/").content.decode()
    assert f'<img class="report-thumb img-thumbnail" src="/tasks/report-files/{photo.pk}/?thumb=1"' in html
    assert f'href="/tasks/report-files/{pdf.pk}/" target="_blank"' in html
    response = client.get(f"/tasks/report-files/{pdf.pk}/")
    assert response["Content-Disposition"].startswith("inline") and response["Content-Type"] == "application/pdf"
    b"".join(response.streaming_content)
    response = client.get(f"/tasks/report-files/{pdf.pk}/?download=1")
    assert response["Content-Disposition"].startswith("attachment")
    b"".join(response.streaming_content)


def test_a_returned_close_request_is_shown_returned_with_its_reason(org):
    task = org.task_in("in_progress")  # the lead unit reported 30%
    request = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成", progress_percent=100,
                                         request_close=True, evidence_text="验收单")
    task_actions.report_return(actor=org.supervisor, report_id=request.pk, reason="现场照片不清晰")
    task = Task.objects.get(pk=task.pk)
    assert task.status == "in_progress" and task.progress_percent == 30
    html = _render(org.lead_staff, task, "task_top")
    assert 'id="close-returned"' in html and "现场照片不清晰" in html


# --- leaders -------------------------------------------------------------------------------------------------

def test_a_leaders_comment_is_audited_told_and_shown_on_top(org, django_capture_on_commit_callbacks):
    task = org.task_in("in_progress")
    comment = actions.task_comment(actor=org.leader, task_id=task.pk, text="请市应急管理局加快进度，月底前报结果")
    [event] = _events(EventType.TASK_COMMENTED, task)
    assert event.actor_id == org.leader.pk and event.extra["text"] == comment.text
    assert _told("task_commented", task) == ["lead_admin", "lead_staff", "supervisor"]
    assert "月底前报结果" in _render(org.lead_staff, task, "task_top")


@pytest.mark.parametrize("who", ["supervisor", "lead_staff", "coop_staff"])
def test_only_leaders_comment(org, who):
    task = org.task_in("in_progress")
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        actions.task_comment(actor=getattr(org, who), task_id=task.pk, text="x")
    assert AuditEvent.objects.count() == before and LeaderComment.objects.count() == 0


def test_a_comments_deadline_takes_effect_only_when_the_office_confirms(org):
    task = org.task_in("in_progress")
    today = dt.date.today()
    old = task.deadline
    with pytest.raises(InvalidInput):  # a later deadline is an extension, the lead unit's to ask
        actions.task_comment(actor=org.leader, task_id=task.pk, text="可延后", deadline=old + dt.timedelta(days=1))
    with pytest.raises(InvalidInput):  # the same deadline is no shortening either
        actions.task_comment(actor=org.leader, task_id=task.pk, text="不变", deadline=old)
    earlier = old - dt.timedelta(days=1)
    assert earlier >= today
    comment = actions.task_comment(actor=org.leader, task_id=task.pk, text="提前完成", deadline=earlier)
    assert Task.objects.get(pk=task.pk).deadline == old and comment.deadline_status == "pending"
    with pytest.raises(PermissionDenied):
        actions.deadline_change_confirm(actor=org.leader, comment_id=comment.pk)
    actions.deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)
    assert Task.objects.get(pk=task.pk).deadline == earlier
    [event] = _events(EventType.TASK_DEADLINE_CHANGE_CONFIRMED, task)
    assert event.extra["old"] == {"deadline": old.isoformat()} and event.extra["new"] == {"deadline": earlier.isoformat()}
    assert "deadline_changed" in {n.kind for n in Notification.objects.filter(recipient=org.lead_staff)}
    actions.deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)  # again: nothing changes
    assert len(_events(EventType.TASK_DEADLINE_CHANGE_CONFIRMED, task)) == 1
    with pytest.raises(Conflict):
        actions.deadline_change_decline(actor=org.supervisor, comment_id=comment.pk, reason="晚了")


def test_on_an_overdue_task_a_comment_may_set_a_new_deadline_from_today(org):
    """Past its deadline, every date from today on is later than the old one: a leader's 限期 ("12月15日前办结") is
    not an extension the unit asks for, so it is accepted and, as any 批示's deadline, waits for the office."""
    task = org.task_in("in_progress")
    today = dt.date(2026, 12, 6)
    Task.objects.filter(pk=task.pk).update(deadline=dt.date(2026, 12, 1))
    with pytest.raises(InvalidInput):  # still not in the past
        actions.task_comment(actor=org.leader, task_id=task.pk, text="限期办结", deadline=dt.date(2026, 12, 5),
                             today=today)
    comment = actions.task_comment(actor=org.leader, task_id=task.pk, text="12月15日前办结",
                                   deadline=dt.date(2026, 12, 15), today=today)
    assert comment.deadline_status == "pending"
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2026, 12, 1)  # until the office confirms
    actions.deadline_change_confirm(actor=org.supervisor, comment_id=comment.pk)
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2026, 12, 15)


def test_a_comment_on_a_task_due_today_still_may_not_extend_it(org):
    task = org.task_in("in_progress")
    today = dt.date(2026, 12, 6)
    Task.objects.filter(pk=task.pk).update(deadline=today)
    with pytest.raises(InvalidInput, match="延期须由牵头单位申请"):
        actions.task_comment(actor=org.leader, task_id=task.pk, text="延后", deadline=dt.date(2026, 12, 15),
                             today=today)


def test_the_office_may_decline_a_comments_deadline(org):
    task = org.task_in("in_progress")
    comment = actions.task_comment(actor=org.leader, task_id=task.pk, text="提前",
                                   deadline=task.deadline - dt.timedelta(days=2))
    actions.deadline_change_decline(actor=org.supervisor, comment_id=comment.pk, reason="工程量大，无法提前")
    assert Task.objects.get(pk=task.pk).deadline == task.deadline
    [event] = _events(EventType.TASK_DEADLINE_CHANGE_DECLINED, task)
    assert event.target_user_id == org.leader.pk
    assert _told("deadline_change_declined", task) == ["leader"]


def test_the_watch_list_holds_what_the_leader_marked_with_lights(client, org):
    task = org.task_in("in_progress")
    other = org.task_in("accepted")
    assert actions.task_watch_set(actor=org.leader, task_id=task.pk, watching=True) is True
    assert actions.task_watch_set(actor=org.leader, task_id=task.pk, watching=True) is False
    assert len(_events(EventType.TASK_WATCHED, task)) == 1
    assert [t.pk for t, light in selectors.watch_list(viewer=org.leader)] == [task.pk]
    login(client, org.leader)
    html = client.get("/followup/watchlist/").content.decode()
    assert task.title in html and "data-light=" in html
    [row] = client.get("/api/v1/watchlist").json()
    assert row["task_id"] == task.pk and row["code"] in ("green", "blue", "yellow", "red")
    actions.task_watch_set(actor=org.leader, task_id=task.pk, watching=False)
    assert selectors.watch_list(viewer=org.leader) == [] and len(_events(EventType.TASK_UNWATCHED, task)) == 1
    with pytest.raises(PermissionDenied):
        actions.task_watch_set(actor=org.supervisor, task_id=other.pk, watching=True)


def test_a_leader_who_writes_a_pishi_is_told_what_becomes_of_the_task(org, django_capture_on_commit_callbacks):
    """The leader who wrote a 批示 on a task follows it (重点关注) and is told when it is answered: a report
    accepted, an extension approved, the close; a leader who neither wrote one nor watches the task is not, nor,
    after unwatching, the one who did."""
    from django.utils import timezone

    from duban.core.actions import user_create
    from duban.conftest import PASSWORD

    other_leader = user_create(actor=org.system, username="leader2", password=PASSWORD, role="leader",
                               display_name="另一位领导")
    task = org.task_in("in_progress")
    actions.task_comment(actor=org.leader, task_id=task.pk, text="燃气安全关系群众生命财产，请抓紧排查，书面报我")
    assert [t.pk for t, _light in selectors.watch_list(viewer=org.leader)] == [task.pk]
    [watched] = _events(EventType.TASK_WATCHED, task)
    assert watched.actor_id == org.leader.pk

    def told(user):
        return list(Notification.objects.filter(recipient=user, task=task).exclude(kind="task_commented")
                    .order_by("pk").values_list("title", "body"))

    report = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已排查120户", progress_percent=60)
    task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    [(title, body)] = told(org.leader)
    assert title == f"您关注的事项有新进展：{task.title}" and "已排查120户" in body and "60%" in body
    new_deadline = task.deadline + dt.timedelta(days=5)
    request = actions.extension_request(actor=org.lead_staff, task_id=task.pk, new_deadline=new_deadline,
                                        reason="需协调燃气公司")
    actions.extension_approve(actor=org.supervisor, request_id=request.pk)
    title, body = told(org.leader)[-1]
    assert title == f"您关注的事项已延期：{task.title}" and new_deadline.isoformat() in body and "需协调燃气公司" in body
    closing = task_actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="排查整治完成，已书面报送",
                                         progress_percent=100, request_close=True, evidence_text="台账")
    task_actions.report_accept(actor=org.supervisor, report_id=closing.pk)
    title, body = told(org.leader)[-1]
    assert title == f"您关注的事项已办结：{task.title}" and "排查整治完成" in body
    assert len(told(org.leader)) == 3 and told(other_leader) == []
    # unwatched, the next outcome of another task it commented on no longer reaches it
    second = org.task_in("in_progress", title="第二个事项")
    actions.task_comment(actor=org.leader, task_id=second.pk, text="请关注", today=timezone.localdate())
    actions.task_watch_set(actor=org.leader, task_id=second.pk, watching=False)
    report = task_actions.report_submit(actor=org.lead_staff, task_id=second.pk, text="进展", progress_percent=10)
    task_actions.report_accept(actor=org.supervisor, report_id=report.pk)
    assert not Notification.objects.filter(recipient=org.leader, task=second).exclude(kind="task_commented").exists()


def test_the_office_sets_which_kinds_need_evidence_on_its_page(client, org):
    from duban.tasks.models import CloseEvidenceRule

    task = org.task_in("in_progress")  # a meeting task; by default every kind needs evidence
    login(client, org.lead_staff)
    assert client.get("/tasks/close-evidence-rules/").status_code == 403
    login(client, org.supervisor)
    page = client.get("/tasks/close-evidence-rules/").content.decode()
    assert 'id="rule-meeting" checked' in page
    # keep every kind but meetings
    kept = ["instruction", "inspection", "livelihood", "hazard", "other"]
    assert client.post("/tasks/close-evidence-rules/", {"required": kept}).status_code == 302
    [event] = _events(EventType.CLOSE_EVIDENCE_RULE_SET)
    assert event.actor_id == org.supervisor.pk and event.extra == {"kind": "meeting", "old": {"required": True},
                                                                    "new": {"required": False}}
    client.post("/tasks/close-evidence-rules/", {"required": kept})  # again: no change, no event
    assert len(_events(EventType.CLOSE_EVIDENCE_RULE_SET)) == 1
    assert CloseEvidenceRule.objects.get(kind="meeting").required is False
    login(client, org.lead_staff)
    response = client.post(f"/api/v1/tasks/{task.pk}/reports", {"text": "已完成", "progress_percent": 100,
                                                                "request_close": True},
                           content_type="application/json")
    assert response.status_code == 201 and Task.objects.get(pk=task.pk).status == "close_requested"
    hazard = org.task_in("in_progress", kind="hazard")
    with pytest.raises(InvalidInput):
        task_actions.report_submit(actor=org.lead_staff, task_id=hazard.pk, text="已完成", progress_percent=100,
                                   request_close=True)
    with pytest.raises(PermissionDenied):
        task_actions.close_evidence_rule_set(actor=org.leader, kind="hazard", required=False)
