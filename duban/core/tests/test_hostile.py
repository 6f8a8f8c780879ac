"""Hostile input: security headers on every page, markup in every text field rendered inert in a real browser,
uploads limited by size and type with nothing written, and optimistic locking giving the second editor a conflict."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from duban.conftest import require_tool
from duban.core.audit import EventType
from duban.core.models import AuditEvent

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


# --- security headers ----------------------------------------------------------------------------------------

def _check_headers(response, path):
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    if path.startswith("/static/"):
        return  # WhiteNoise answers before our middleware; a script file is no document, CSP does not apply
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert "script-src" in directives, path
    if not path.startswith("/api/docs"):
        assert "unsafe-inline" not in directives["script-src"], path
        assert "unsafe-inline" not in directives.get("style-src", ""), path
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert response.headers.get("Referrer-Policy") in ("same-origin", "strict-origin-when-cross-origin", "no-referrer"), path


def test_every_page_carries_the_security_headers(org, settings, tmp_path):
    """Every GET row of the access matrix, as the supervisor and as the anonymous, plus error pages and the API."""
    from duban.core.access_matrix import ROWS
    from duban.core.tests.test_auth_matrix import _url, build_world

    settings.DATA_DIR = tmp_path
    world = build_world(org)
    signed_in, anonymous = Client(), Client()
    signed_in.force_login(org.supervisor)
    paths = {_url(r, world) for r in ROWS if r.method == "GET" and not r.skip}
    paths |= {"/no-such-page/", "/api/v1/no-such", "/api/v1/openapi.json", "/api/docs", "/static/vendor/htmx.min.js"}
    assert len(paths) > 40
    for path in sorted(paths):
        for client in (signed_in, anonymous):
            response = client.get(path)
            if response.streaming:  # a file download: read it, so the test client closes the file
                b"".join(response.streaming_content)
            _check_headers(response, path)


def test_only_the_api_docs_relax_the_script_policy(org):
    client = Client()
    client.force_login(org.supervisor)
    docs = client.get("/api/docs").headers["Content-Security-Policy"]
    page = client.get("/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" in docs
    assert "'unsafe-inline'" not in page


def test_pages_hold_no_inline_script_or_style(org):
    """The CSP would block them anyway; this finds them before a user's browser console does."""
    client = Client()
    client.force_login(org.supervisor)
    task = org.task_in("in_progress")
    for path in ("/", "/tasks/", f"/tasks/{task.pk}/", "/meetings/", "/notifications/", "/accounts/me/",
                 "/accounts/login/"):
        html = client.get(path).content.decode()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
        inline = [body for attrs, body in scripts if "src=" not in attrs and "application/json" not in attrs
                  and body.strip()]
        assert not inline, (path, inline[:1])
        assert not re.search(r"\son[a-z]+\s*=", html), path  # no inline event handlers
        assert not re.search(r"<style\b", html), path
        assert not re.search(r'\sstyle\s*=\s*"', html), path


# --- markup rendered inert -----------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.slow
def test_markup_in_text_fields_stays_inert_in_the_browser(live_server, transactional_db, monkeypatch):
    require_tool(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import sync_playwright

    from duban.conftest import Org
    from duban.meetings import actions as meeting_actions
    from duban.tasks import actions
    from duban.tasks.models import Task

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    org = Org()
    text = f"市委常委会召开会议{XSS}\n会议强调，要排查燃气隐患{XSS}，市应急管理局牵头。\n"
    extracted, decoded = meeting_actions.extract_upload(text=text, year=2026)
    meeting = meeting_actions.meeting_import(actor=org.supervisor, extracted=extracted, source_text=decoded,
                                             source_name=f"通报{XSS}.txt")
    for t in Task.objects.filter(meeting=meeting):
        actions.task_update(actor=org.supervisor, task_id=t.pk, version=t.version,
                            changes={"lead_unit_id": org.safety.pk, "title": f"燃气{XSS}"})
    meeting_actions.meeting_confirm(actor=org.supervisor, meeting_id=meeting.pk)
    task = Task.objects.filter(meeting=meeting).first()
    actions.task_accept(actor=org.lead_staff, task_id=task.pk)
    report = actions.report_submit(actor=org.lead_staff, task_id=task.pk, text=f"进展{XSS}", progress_percent=50)
    actions.report_return(actor=org.supervisor, report_id=report.pk, reason=f"退回{XSS}")
    actions.report_submit(actor=org.lead_staff, task_id=task.pk, text=f"再报{XSS}", progress_percent=60)

    client = Client()
    client.force_login(org.lead_staff)
    staff_cookie = client.cookies["sessionid"].value
    client = Client()
    client.force_login(org.supervisor)
    office_cookie = client.cookies["sessionid"].value
    host = live_server.url.split("//", 1)[1].split(":")[0]
    # (who, page, whether the page shows one of the texts): the dashboard only counts, it shows no text.
    pages = [(staff_cookie, "/tasks/", True), (staff_cookie, f"/tasks/{task.pk}/", True),
             (staff_cookie, f"/meetings/{meeting.pk}/", True), (staff_cookie, "/notifications/", True),
             (office_cookie, "/tasks/reports/pending/", True), (office_cookie, f"/meetings/{meeting.pk}/", True),
             (office_cookie, "/", False)]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for cookie, path, shows in pages:
                context = browser.new_context()
                context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])
                page = context.new_page()
                violations = []
                page.on("console", lambda m, violations=violations: violations.append(m.text) if "Content Security Policy" in m.text else None)
                response = page.goto(live_server.url + path)
                assert response.status == 200, path
                page.wait_for_load_state("networkidle")
                assert page.evaluate("typeof window.__xss") == "undefined", path
                if shows:
                    assert "<script>window.__xss=1</script>" in page.inner_text("body"), path
                context.close()
        finally:
            browser.close()


# --- uploads -------------------------------------------------------------------------------------------------

def _meeting_state():
    from duban.meetings.models import Meeting
    from duban.tasks.models import Task

    return Meeting.objects.count(), Task.objects.count(), AuditEvent.objects.filter(
        event_type=EventType.MEETING_IMPORTED).count()


@pytest.mark.parametrize("name, data, why", [
    ("communique.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "binary posing as text"),
    ("communique.exe", "会议强调，要做好防汛工作。".encode(), "not .txt or .docx"),
    ("communique.docx", b"PK\x03\x04 not really a zip" * 10, "a broken .docx"),
    ("communique.txt", b"", "empty"),
])
def test_the_meeting_upload_api_refuses_bad_files_and_writes_nothing(org, name, data, why):
    client = Client()
    client.force_login(org.supervisor)
    before = _meeting_state()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/v1/meetings/upload", {"file": SimpleUploadedFile(name, data)})
    assert 400 <= response.status_code < 500, why
    body = response.json()
    assert body["message"] and body["message_en"], why
    assert _meeting_state() == before, why


def test_an_oversize_upload_is_refused_through_the_api_and_the_page(org, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.DUBAN_MAX_UPLOAD_BYTES = 2000
    big = ("会议强调，要做好防汛工作，市应急管理局牵头。\n" * 200).encode()
    assert len(big) > 2000
    client = Client()
    client.force_login(org.supervisor)
    before = _meeting_state()
    response = client.post("/api/v1/meetings/upload", {"file": SimpleUploadedFile("big.txt", big)})
    assert 400 <= response.status_code < 500
    assert response.json()["message"]
    response = client.post("/meetings/import/", {"upload": SimpleUploadedFile("big.txt", big), "source_name": "",
                                                 "text": ""})
    assert response.status_code in (200, 413, 422)
    assert "过大" in response.content.decode() or "超过" in response.content.decode()
    assert _meeting_state() == before


def test_a_request_body_over_the_limit_is_refused(org, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client()
    client.force_login(org.supervisor)
    before = _meeting_state()
    response = client.post("/api/v1/meetings", data={"text": "会" * 2000}, content_type="application/json")
    assert response.status_code in (400, 413)
    assert _meeting_state() == before


# --- optimistic locking --------------------------------------------------------------------------------------

def test_two_editors_the_second_gets_a_conflict_through_the_api(org):
    from duban.tasks.models import Task

    task = org.task_in("assigned")
    first, second = Client(), Client()
    first.force_login(org.supervisor)
    second.force_login(org.sysadmin)
    version = first.get(f"/api/v1/tasks/{task.pk}").json()["version"]
    assert second.get(f"/api/v1/tasks/{task.pk}").json()["version"] == version

    ok = first.patch(f"/api/v1/tasks/{task.pk}", {"version": version, "title": "第一位编辑的名称"},
                     content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == version + 1
    events = AuditEvent.objects.filter(event_type=EventType.TASK_UPDATED, task=task).count()
    stale = second.patch(f"/api/v1/tasks/{task.pk}", {"version": version, "title": "第二位编辑的名称"},
                         content_type="application/json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict" and "他人修改" in stale.json()["message"]
    assert Task.objects.get(pk=task.pk).title == "第一位编辑的名称"
    assert AuditEvent.objects.filter(event_type=EventType.TASK_UPDATED, task=task).count() == events


def test_two_editors_the_second_gets_a_conflict_through_the_edit_page(org):
    from duban.tasks.models import Task

    task = org.task_in("assigned")
    first, second = Client(), Client()
    first.force_login(org.supervisor)
    second.force_login(org.sysadmin)
    form = first.get(f"/tasks/{task.pk}/edit/")
    if form.status_code != 200 or 'name="version"' not in form.content.decode():
        pytest.fail("the edit page has no version field: optimistic locking cannot work there")
    second.get(f"/tasks/{task.pk}/edit/")

    def post(client, title):
        fresh = Task.objects.get(pk=task.pk)
        return client.post(f"/tasks/{task.pk}/edit/", {
            "version": version, "title": title, "text": fresh.text, "area": fresh.area_id or "",
            "lead_unit": fresh.lead_unit_id, "coop_units": [org.health.pk],
            "deadline": fresh.deadline.isoformat() if fresh.deadline else ""})

    version = task.version
    assert post(first, "第一位编辑的名称").status_code in (200, 302)
    assert Task.objects.get(pk=task.pk).title == "第一位编辑的名称"
    response = post(second, "第二位编辑的名称")
    assert response.status_code in (200, 409)
    assert "他人修改" in response.content.decode()
    assert Task.objects.get(pk=task.pk).title == "第一位编辑的名称"


# --- soft delete only ----------------------------------------------------------------------------------------

DERIVED = ("PhraseOccurrence.objects",)  # an index of quotations, rebuilt from Meeting.extraction


def test_no_action_deletes_a_row():
    """Business records are withdrawn or archived, never deleted: no actions module calls ``.delete(`` except on
    derived indexes that are rebuilt from records (``DERIVED``)."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.rglob("actions.py"):
        if "tests" in path.parts:
            continue
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if re.search(r"\.delete\(", line) and not any(name in line for name in DERIVED):
                offenders.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not offenders, offenders


def test_business_foreign_keys_protect_their_targets():
    """Deleting a unit, user, meeting or task cannot cascade away the records that point at it."""
    from django.apps import apps
    from django.db import models

    loose = []
    for model in apps.get_models():
        if not model.__module__.startswith("duban."):
            continue
        for f in model._meta.get_fields():
            if isinstance(f, models.ForeignKey) and f.concrete:
                rule = f.remote_field.on_delete
                if rule is models.CASCADE:
                    loose.append(f"{model.__name__}.{f.name}")
    assert not loose, f"CASCADE foreign keys: {loose}"


# --- numbers beyond the database's range ---------------------------------------------------------------------

def test_an_id_beyond_the_integer_range_is_not_a_server_error(org):
    """Found by schemathesis: 2**63 overflowed SQLite's integer (and PostgreSQL's bigint) into a 500."""
    client = Client(raise_request_exception=False)
    client.force_login(org.supervisor)
    huge = 2**63
    assert client.get(f"/tasks/{huge}/").status_code == 404
    assert client.get(f"/meetings/{huge}/").status_code == 404
    assert client.get(f"/api/v1/tasks/{huge}").status_code in (404, 422)
    response = client.post("/api/v1/instructions", {"text": "批示", "leader": "张市长", "date": "2026-01-01",
                                                    "tasks": [{"title": "x", "lead_unit_id": huge}]},
                           content_type="application/json")
    assert response.status_code == 422
