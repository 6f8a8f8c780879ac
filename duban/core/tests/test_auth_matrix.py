"""The authorization matrix: every page route and API operation (``duban.core.access_matrix``) against every role,
with real objects: a meeting whose task is led by 市应急管理局 with 市卫健委 cooperating, a submitted progress report,
an extension request, sources records and an attachment. A second test fails when a route has no row.

Each role's request runs in a savepoint that is rolled back, so one role's successful POST does not change what the
next role meets. ``DUBAN_MATRIX_OBSERVE=1`` prints the observed table instead of asserting (for writing rows).
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import get_resolver

from duban.conftest import use_data_dir
from duban.core.access_matrix import ROLES, ROWS, Row, api_key, page_key

MISSING = 999999  # an id no row has: the answer must be 404 for everyone signed in
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def build_world(org) -> dict:
    """Real objects for every path parameter, made through the real actions."""
    from duban.followup import actions as followup
    from duban.meetings import actions as meeting_actions
    from duban.reports.actions import calendar_token_rotate
    from duban.sources import actions as sources
    from duban.tasks import actions
    from duban.core.models import Area
    from duban.tasks.models import Task

    text = "市委常委会召开会议\n会议强调，要全面排查整治燃气安全隐患，市应急管理局牵头，2026年12月底前完成。\n"
    extracted, decoded = meeting_actions.extract_upload(text=text, year=2026)
    meeting = meeting_actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=decoded)
    for task in Task.objects.filter(meeting=meeting):
        actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                            changes={"lead_unit_id": org.safety.pk, "deadline": dt.date.today() + dt.timedelta(days=60)},
                            coop_unit_ids=[org.health.pk])
    meeting_actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    task = Task.objects.filter(meeting=meeting).order_by("seq", "id").first()
    actions.task_accept(actor=org.lead_staff, task_id=task.pk)
    report = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已部署", progress_percent=30)
    with_photo = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="现场照片", progress_percent=40,
                                       files=[("photo.png", PNG)])
    today = dt.date.today()
    comment = followup.task_comment(actor=org.leader, task_id=task.pk, text="请加快进度",
                                    deadline=today + dt.timedelta(days=30))
    extension = followup.extension_request(actor=org.lead_staff, task_id=task.pk,
                                           new_deadline=today + dt.timedelta(days=400), reason="工程量大")
    instruction = sources.instruction_create(
        actor=org.supervisor, text="请市应急管理局抓好燃气安全。", leader="张市长", date=today,
        tasks=[{"title": "落实燃气安全批示", "lead_unit_id": org.safety.pk, "coop_unit_ids": [org.health.pk],
                "deadline": today + dt.timedelta(days=30)}], assign=True)
    case = sources.case_create(actor=org.supervisor, case_number="DC-2026-001", complaint="小区燃气管道老化",
                               lead_unit_id=org.safety.pk, coop_unit_ids=[org.health.pk],
                               reply_due=today + dt.timedelta(days=15), assign=True)
    project = sources.livelihood_create(actor=org.supervisor, title="新增养老床位", indicator="床位", target=100,
                                        measure_unit="张", lead_unit_id=org.safety.pk,
                                        coop_unit_ids=[org.health.pk], period_start=today.replace(month=1, day=1),
                                        period_end=today.replace(month=12, day=31), assign=True)
    hazard = sources.hazard_create(actor=org.supervisor, place="人民路12号", category="gas", severity="ordinary",
                                   description="软管老化", deadline=today + dt.timedelta(days=10),
                                   responsible_person="李四", lead_unit_id=org.safety.pk,
                                   coop_unit_ids=[org.health.pk], assign=True)
    attachment = sources.attachment_upload(actor=org.lead_staff, task_id=hazard.task_id, filename="photo.png",
                                           data=PNG, hazard_id=hazard.pk)
    calendar = calendar_token_rotate(actor=org.lead_staff)
    scan = meeting_actions.scan_job_create(actor=org.supervisor, data=PNG, filename="scan.png", kind="png")
    notice, evidence, delivery = _followup_records(org, today)
    return {
        "job_id": scan.pk, "page": 0,
        "task_id": task.pk, "meeting_id": meeting.pk, "report_id": report.pk, "unit_id": org.safety.pk,
        "request_id": extension.pk, "instruction_id": instruction.pk, "case_id": case.pk, "project_id": project.pk,
        "hazard_id": hazard.pk, "attachment_id": attachment.pk, "token": calendar.plain_token,
        "file_id": with_photo.files.get().pk, "comment_id": comment.pk,
        "notice_id": notice.pk, "evidence_id": evidence.pk, "delivery_id": delivery.pk, "phrase_id": MISSING,
        "chart": "lights", "fmt": "xlsx", "step": "review",
        "hazard_version": hazard.version, "case_version": case.version,
        "task_version": Task.objects.get(pk=task.pk).version,
        # administration: a person of 市卫健委 (a unit admin of 市应急管理局 must meet "not found"), another unit
        "user_id": org.coop_staff.pk, "person_version": org.coop_staff.profile.version,
        "unit_version": org.safety.version, "other_unit_id": org.other.pk,
        "area_id": Area.objects.get_or_create(name="民生实事")[0].pk,  # a transactional test flushed the seed
    }


def _followup_records(org, today: dt.date):
    """A 督办通知单 (an overdue task of 市应急管理局, escalated), the evidence of a completion request, and a
    delivery (an e-mail of the escalation to the unit head), each on its own task led by 市应急管理局 with
    市卫健委 cooperating."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from duban.core.audit import system_actor
    from duban.followup import actions as followup
    from duban.followup.queueing import deliveries_enqueue
    from duban.followup.models import CloseEvidence, Delivery, SupervisionNotice
    from duban.tasks import actions as task_actions
    from duban.followup.tests.conftest import place_task

    deadline = today - dt.timedelta(days=3)
    late = place_task(org.task_in("accepted"), assigned=today - dt.timedelta(days=30), deadline=deadline)
    get_user_model().objects.filter(pk=org.lead_admin.pk).update(email="lead_admin@example.gov.cn")
    followup.reminder_send(actor=system_actor(), task_id=late.pk, stage="escalate",
                           due_key=f"deadline:{deadline.isoformat()}", today=today)
    deliveries_enqueue(now=timezone.now())
    closing = org.task_in("accepted")
    report = task_actions.report_submit(actor=org.lead_staff, task_id=closing.pk, text="已完成", progress_percent=100,
                                        request_close=True, evidence_text="整改前后照片", files=[("photo.png", PNG)])
    # Evidence recorded before it moved onto reports (kept, still served): such a row, on this request's file.
    evidence = CloseEvidence.objects.create(report=report, text="整改前后照片", file_name="photo.png",
                                            file_path=report.files.get().storage_name, added_by=org.lead_staff)
    return (SupervisionNotice.objects.get(task=late), evidence,
            Delivery.objects.get(target="lead_admin@example.gov.cn", notification__kind="task_escalated"))


def _url(row: Row, world: dict) -> str:
    params = {**world, **row.params}
    if row.api:
        return re.sub(r"\{(\w+)\}", lambda m: str(params[m.group(1)]), row.route)
    route = row.route
    if route.startswith("^"):
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(params[m.group(1)]), route.strip("^$"))
        route = route.replace("\\.", ".")
    else:
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(params[m.group(1)]), route)
    return "/" + route


def _body(row: Row, world: dict):
    def fill(value):
        if value == "$png_file":
            return SimpleUploadedFile("photo.png", PNG, content_type="image/png")
        if value == "$communique_file":
            text = "市委常委会召开会议\n会议强调，要做好防汛工作，市应急管理局牵头。\n"
            return SimpleUploadedFile("communique.txt", text.encode(), content_type="text/plain")
        if isinstance(value, str) and value.startswith("$"):
            return world[value[1:]]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    return fill(row.data) if row.data is not None else None


def role_clients(org) -> dict[str, Client]:
    clients = {"anonymous": Client()}
    for role in ROLES[1:]:
        clients[role] = Client()
        clients[role].force_login(getattr(org, role))
    return clients


def request_as(client: Client, row: Row, world: dict) -> int:
    url = _url(row, world)
    body = _body(row, world)
    method = row.method.lower()
    saved = {k: v.value for k, v in client.cookies.items()}
    try:
        if row.api and method != "get" and not row.multipart:
            response = getattr(client, method)(url, data=body or {}, content_type="application/json")
        elif method == "get":
            response = client.get(url, data=body)
        else:
            response = getattr(client, method)(url, data=body or {})
    finally:
        # A logout or login in this request must not change who the client is for the next row.
        client.cookies.clear()
        for key, value in saved.items():
            client.cookies[key] = value
    if response.streaming:  # a file download: read it, so the test client closes the file (and nothing else)
        b"".join(response.streaming_content)
    return response.status_code


def observe(clients: dict[str, Client], row: Row, world: dict) -> dict[str, int]:
    seen = {}
    for role in ROLES:
        # Roll back each role's request, so a POST that succeeds for one role leaves the next one the same world.
        # Marked like Django's TestCase block so the actions' durable transactions may run inside it.
        block = transaction.atomic()
        block._from_testcase = True
        with block:
            seen[role] = request_as(clients[role], row, world)
            transaction.set_rollback(True)
    return seen


@pytest.fixture
def world(org, settings, tmp_path, django_capture_on_commit_callbacks):
    use_data_dir(settings, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):  # stored files move into place on commit
        return build_world(org)


@pytest.mark.slow
def test_each_role_gets_the_expected_status(org, world):
    """One world for all rows (building it per row would take minutes); every mismatch is listed at the end."""
    wrong = []
    observed = []
    clients = role_clients(org)
    for row in ROWS:
        if row.skip:
            continue
        seen = observe(clients, row, world)
        observed.append(f"{row.method} {row.route} {seen}")
        bad = {role: (seen[role], sorted(row.expect[role])) for role in ROLES if seen[role] not in row.expect[role]}
        if bad:
            wrong.append(f"{row.method} {_url(row, world)}: {bad}")
    if os.environ.get("DUBAN_MATRIX_OBSERVE"):
        print("\n".join("OBSERVED " + line for line in observed))
        return
    assert not wrong, "role → (got, expected):\n" + "\n".join(wrong)


def test_skipped_rows_are_few_and_say_why():
    skipped = [r for r in ROWS if r.skip]
    assert len(skipped) <= 5
    assert all(len(r.skip) > 10 for r in skipped)


def _page_routes() -> set[str]:
    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    routes = set()
    for route in walk(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            continue
        routes.add("admin/" if route.startswith("admin/") else route)
    return routes


def _api_operations() -> set[tuple[str, str]]:
    from duban.api import api

    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def test_every_route_and_api_operation_has_a_row():
    listed_pages = {r.route for r in ROWS if not r.api}
    listed_api = {(r.method, r.route) for r in ROWS if r.api}
    pages, operations = _page_routes(), _api_operations()
    missing = sorted(pages - listed_pages) + sorted(f"{m} {p}" for m, p in operations - listed_api)
    stale = sorted(listed_pages - pages) + sorted(f"{m} {p}" for m, p in listed_api - operations)
    assert not missing, "routes without a row in duban/core/access_matrix.py:\n" + "\n".join(missing)
    assert not stale, "rows for routes that no longer exist:\n" + "\n".join(stale)


def test_keys_are_unique():
    keys = [(r.method, r.route) for r in ROWS]
    assert len(keys) == len(set(keys))
    assert page_key("GET", "tasks/") == ("GET", "tasks/") and api_key("GET", "/api/v1/me")[1] == "/api/v1/me"
