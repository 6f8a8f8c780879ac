"""The audit trail: every action writes its event, every event type is documented and emitted by code, nothing in
the application can change or delete an event, and `duban audit verify` finds a row changed behind its back."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import get_resolver

from duban import cli
from duban.core.audit import EventType, audit_log, audit_verify
from duban.core.models import AuditChainHead, AuditEvent

REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / "duban"


@contextmanager
def expect_events(*types, **where):
    """The block writes exactly these events (in order), matching ``where`` on each."""
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    yield
    rows = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
    assert [EventType(r.event_type).name for r in rows] == [t.name for t in types]
    for row in rows:
        for key, value in where.items():
            assert getattr(row, key) == value, (row.event_type, key)


# --- every action writes its event ---------------------------------------------------------------------------

def test_a_whole_workflow_writes_one_event_per_step(org):
    from duban.core.actions import api_token_create, user_change_password, user_create
    from duban.meetings import actions as meeting_actions
    from duban.tasks import actions
    from duban.tasks.models import Task

    text = ("市委常委会召开会议\n会议强调，要全面排查整治燃气安全隐患，由市应急管理局牵头，市卫健委配合，"
            "2026年6月底前完成。\n会议要求，要做好学校食品安全工作，市教育局牵头。\n")
    extracted, decoded = meeting_actions.extract_upload(text=text, year=2026)
    last = AuditEvent.objects.order_by("-id").first().pk
    meeting = meeting_actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=decoded)
    tasks = list(Task.objects.filter(meeting=meeting).order_by("seq", "id"))
    assert tasks
    written = list(AuditEvent.objects.filter(id__gt=last).order_by("id"))
    assert [EventType(e.event_type).name for e in written] == ["MEETING_IMPORTED"] + ["TASK_CREATED"] * len(tasks)
    assert {e.actor_id for e in written} == {org.supervisor.pk}
    assert sorted(e.task_id for e in written[1:]) == sorted(t.pk for t in tasks)
    for task in tasks:
        if task.lead_unit_id is None:
            with expect_events(EventType.TASK_UPDATED, task=task):
                actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                                    changes={"lead_unit_id": org.safety.pk})
    with expect_events(*([EventType.TASK_ASSIGNED] * len(tasks)), EventType.MEETING_CONFIRMED, actor=org.supervisor):
        meeting_actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)

    task = Task.objects.get(pk=tasks[0].pk)
    lead = task.lead_unit
    staff = org.lead_staff if lead == org.safety else user_create(
        actor=org.system, username="lead2", password="Xk7#mPq2Lw", role="unit_staff", unit=lead,
        display_name="牵头经办人")
    with expect_events(EventType.TASK_ACCEPTED, actor=staff, task=task):
        actions.task_accept(actor=staff, task_id=task.pk)
    with expect_events(EventType.REPORT_SUBMITTED, actor=staff, task=task):
        report = actions.report_submit(actor=staff, task_id=task.pk, text="已部署", progress_percent=30)
    with expect_events(EventType.REPORT_RETURNED, actor=org.supervisor, report=report):
        actions.report_return(actor=org.supervisor, report_id=report.pk, reason="请补充数据")
    with expect_events(EventType.REPORT_SUBMITTED, EventType.TASK_CLOSE_REQUESTED, actor=staff, task=task):
        report = actions.report_submit(actor=staff, task_id=task.pk, text="已完成", progress_percent=100,
                                       request_close=True, evidence_text="验收记录")
    with expect_events(EventType.REPORT_RETURNED, EventType.TASK_CLOSE_RETURNED, actor=org.supervisor):
        actions.report_return(actor=org.supervisor, report_id=report.pk, reason="佐证不足")
    report = actions.report_submit(actor=staff, task_id=task.pk, text="已完成并补充佐证", progress_percent=100,
                                   request_close=True, evidence_text="补充的验收记录")
    last = AuditEvent.objects.order_by("-id").first().pk
    actions.report_accept(actor=org.supervisor, report_id=report.pk)
    written = [EventType(t).name for t in AuditEvent.objects.filter(id__gt=last).order_by("id")
               .values_list("event_type", flat=True)]
    assert written[:2] == ["REPORT_ACCEPTED", "TASK_CLOSED"]
    assert set(written[2:]) <= {"TASK_SCORED"}  # evaluation scores the closed task when it is installed

    other = Task.objects.get(pk=tasks[-1].pk)
    if other.pk != task.pk:
        with expect_events(EventType.TASK_WITHDRAWN, task=other):
            actions.task_withdraw(actor=org.supervisor, task_id=other.pk, reason="重复")

    with expect_events(EventType.API_TOKEN_CREATED, actor=org.lead_staff):
        api_token_create(actor=org.lead_staff, name="script")
    with expect_events(EventType.USER_PASSWORD_CHANGED, actor=org.lead_staff):
        user_change_password(actor=org.lead_staff, old_password="Test-pass-2026!", new_password="Yt5$kLm9Qa")
    assert audit_verify() == []


def test_a_refused_action_leaves_no_event(org):
    from duban.core.errors import PermissionDenied
    from duban.tasks import actions

    task = org.task_in("assigned")
    with expect_events():
        with pytest.raises(PermissionDenied):
            actions.task_withdraw(actor=org.lead_staff, task_id=task.pk, reason="x")


# --- every event type documented and emitted -----------------------------------------------------------------

def _documented() -> dict[int, str]:
    rows = re.findall(r"^\|\s*(\d+)\s*\|\s*([A-Z_]+)\s*\|", (REPO / "docs" / "audit-events.md").read_text("utf-8"),
                      re.MULTILINE)
    return {int(n): name for n, name in rows}


def test_every_event_type_is_documented_with_its_number():
    documented = _documented()
    missing = [m.name for m in EventType if documented.get(m.value) != m.name]
    assert not missing, f"add these to docs/audit-events.md: {missing}"
    unknown = {n: name for n, name in documented.items() if n not in {m.value for m in EventType}}
    assert not unknown, f"documented but not in EventType: {unknown}"


def _source_files():
    for path in SOURCE.rglob("*.py"):
        parts = set(path.relative_to(SOURCE).parts)
        if "tests" in parts or "migrations" in parts or path.name == "conftest.py":
            continue
        yield path


def test_every_event_type_is_emitted_by_some_code_path():
    """Counted only in modules that write events (call ``audit_log``/``audit_log_many``): a member named in a
    page's labels or anywhere else that writes nothing does not count as emitted."""
    used = set()
    for path in _source_files():
        text = path.read_text("utf-8")
        if path == SOURCE / "core" / "audit.py" or not re.search(r"\baudit_log(_many)?\(", text):
            continue
        used |= set(re.findall(r"EventType\.([A-Z_]+)", text))
    unused = [m.name for m in EventType if m.name not in used]
    assert not unused, f"EventType members no code writes: {unused}"


# --- nothing can change or delete an event -------------------------------------------------------------------

def test_only_audit_log_writes_audit_events():
    """No module but duban/core/audit.py touches AuditEvent rows with a write (create, update, delete, save)."""
    write = re.compile(r"AuditEvent\.objects[^\n]*\.(update|delete|create|bulk_create|bulk_update|get_or_create|"
                       r"update_or_create)\(")
    offenders = []
    for path in _source_files():
        if path == SOURCE / "core" / "audit.py":
            continue
        text = path.read_text("utf-8")
        if write.search(text):
            offenders.append(str(path.relative_to(REPO)))
    assert not offenders


def _all_routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p

    return list(walk(get_resolver().url_patterns))


def test_no_url_or_api_operation_writes_audit_events():
    from duban.api import api

    schema = api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        if "audit" in path.lower():
            assert set(ops) <= {"get"}, (path, list(ops))
    for route, pattern in _all_routes():
        if route.startswith("admin/"):
            continue
        if "audit" in route.lower():
            # A page about the audit trail may exist, but only to read it.
            name = getattr(pattern, "name", "") or ""
            assert not re.search(r"edit|delete|update|change|remove", name + route), route


def test_the_admin_cannot_change_or_delete_audit_events(org, rf):
    from django.contrib import admin

    model_admin = admin.site._registry.get(AuditEvent)
    if model_admin is None:
        return  # not registered at all: no admin path exists
    superuser = org.sysadmin
    superuser.is_superuser = superuser.is_staff = True
    request = rf.get("/admin/")
    request.user = superuser
    event = AuditEvent.objects.first()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, event)
    assert not model_admin.has_delete_permission(request, event)


# --- the hash chain ------------------------------------------------------------------------------------------

def test_audit_verify_cli_passes_an_intact_chain_and_names_a_changed_row(org, capsys):
    org.task_in("in_progress")
    assert AuditEvent.objects.count() > 10
    assert cli.main(["audit", "verify"]) == 0
    assert "完整" in capsys.readouterr().out

    victim = AuditEvent.objects.order_by("id")[5]
    AuditEvent.objects.filter(pk=victim.pk).update(extra={**victim.extra, "tampered": True})
    assert cli.main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert str(victim.pk) in err and "篡改" in err


@pytest.mark.parametrize("change", ["actor", "created_at", "event_type", "delete_middle", "delete_last"])
def test_audit_verify_detects_each_kind_of_change(org, change):
    org.task_in("accepted")
    events = list(AuditEvent.objects.order_by("id"))
    victim = events[len(events) // 2]
    qs = AuditEvent.objects.filter(pk=victim.pk)
    if change == "actor":
        qs.update(actor=org.other_staff)
    elif change == "created_at":
        qs.update(created_at=victim.created_at - dt.timedelta(days=1))
    elif change == "event_type":
        qs.update(event_type=EventType.TASK_CLOSED)
    elif change == "delete_middle":
        qs.delete()
    elif change == "delete_last":
        victim = events[-1]
        AuditEvent.objects.filter(pk=victim.pk).delete()
    broken = audit_verify()
    assert broken and (victim.pk in broken or broken[0] > victim.pk)


def test_audit_verify_accepts_values_the_database_normalizes(org):
    """Non-UTC times, upper-case IPv6 and tuple/int-keyed JSON come back from the database changed; the hash must
    be taken from the stored form or every such row would look tampered with."""
    with transaction.atomic():
        audit_log(actor=org.system, event_type=EventType.UNIT_CREATED, ip_address="2001:DB8::1",
                  created_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
                  extra={"ids": (1, 2), 7: "seven", "名称": "市卫健委"})
    assert audit_verify() == []
    head = AuditChainHead.objects.get(pk=1)
    assert head.last_event_id == AuditEvent.objects.order_by("-id").first().pk
