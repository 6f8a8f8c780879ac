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
from duban.core.tests.browser import CHROMIUM, CHROMIUM_ARGS

XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


# --- security headers ----------------------------------------------------------------------------------------

def _check_headers(response, path):
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path
    if path.startswith("/static/"):
        return  # WhiteNoise answers before our middleware; a script file is no document, CSP does not apply
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    assert "script-src" in directives, path
    assert "unsafe-inline" not in directives["script-src"], path
    if not path.startswith("/api/v1/docs"):
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
    paths |= {"/no-such-page/", "/api/v1/no-such", "/api/v1/openapi.json", "/api/v1/docs", "/static/vendor/htmx.min.js"}
    assert len(paths) > 40
    for path in sorted(paths):
        for client in (signed_in, anonymous):
            response = client.get(path)
            if response.streaming:  # a file download: read it, so the test client closes the file
                b"".join(response.streaming_content)
            _check_headers(response, path)


def test_the_api_docs_load_swagger_from_our_own_static_files_under_the_script_policy(org):
    """The CSP allows scripts from our origin only, so a CDN-loaded Swagger UI is a blank page."""
    client = Client()
    client.force_login(org.supervisor)
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"', html)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources), sources
    assert all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        if hasattr(asset, "streaming_content"):
            b"".join(asset.streaming_content)
    script_src = re.search(r"script-src ([^;]*)", response.headers["Content-Security-Policy"]).group(1)
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-inline'" not in client.get("/").headers["Content-Security-Policy"]


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


# --- a careless deployment: debug, error pages, envelopes ---------------------------------------------------

def _settings_in_a_fresh_process(env_extra: dict, tmp_path, code: str) -> str:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("DUBAN_")}
    env.update({"DUBAN_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "duban.settings", **env_extra})
    done = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
                           + code], env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_debug_is_off_unless_asked_for_by_name_and_starts_without_a_configured_secret(tmp_path):
    assert _settings_in_a_fresh_process({}, tmp_path, "print(settings.DEBUG)") == "False"
    assert _settings_in_a_fresh_process({"DUBAN_DEBUG": "1"}, tmp_path, "print(settings.DEBUG)") == "True"
    # no secret configured: one is made, kept private in the data folder, and the same on the next start
    first = _settings_in_a_fresh_process({}, tmp_path, "print(settings.SECRET_KEY)")
    assert len(first) >= 50 and "insecure" not in first
    assert _settings_in_a_fresh_process({}, tmp_path, "print(settings.SECRET_KEY)") == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    # the demo over plain http on a laptop can sign in (secure cookies only behind HTTPS)
    assert _settings_in_a_fresh_process({}, tmp_path, "print(settings.SESSION_COOKIE_SECURE)") == "False"
    assert _settings_in_a_fresh_process({"DUBAN_HTTPS": "1"}, tmp_path,
                                        "print(settings.SESSION_COOKIE_SECURE)") == "True"
    example = (Path(__file__).resolve().parents[3] / ".env.example").read_text()
    assert re.search(r"^DUBAN_DEBUG=0?$", example, re.M), "the example deployment must not turn debug on"


def test_error_pages_are_ours_in_chinese_and_api_errors_are_the_envelope(org, settings):
    client = Client()
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "页面不存在" in page.content.decode()
    assert "urlpatterns" not in page.content.decode() and "Using the URLconf" not in page.content.decode()
    for path in ("/api/v1/no-such", "/api/v1/tasks/1/nothing-here", "/api/v1/"):
        response = client.get(path, HTTP_AUTHORIZATION="Bearer nothing")
        assert response.status_code == 404, path
        body = response.json()
        assert body["code"] == "not_found" and body["message"] and body["message_en"], path
    # a form posted without its CSRF token: our Chinese page, not Django's English one
    strict = Client(enforce_csrf_checks=True)
    refused = strict.post("/accounts/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 403
    assert "刷新" in refused.content.decode() and "CSRF verification failed" not in refused.content.decode()
    # a body larger than the configured maximum: the envelope, with nothing else said
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    token = _token(org.supervisor)
    task = org.task_in("in_progress")
    big = client.post(f"/api/v1/tasks/{task.pk}/reports", data='{"text": "' + "x" * 5000 + '"}',
                      content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert big.status_code in (400, 413) and big.json()["message_en"], big.content[:200]
    wrong_method = client.delete("/api/v1/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert wrong_method.status_code == 405 and wrong_method.json()["code"]


def _token(user) -> str:
    from duban.core.actions import api_token_create
    from duban.core.models import Profile

    Profile.objects.filter(user=user).update(must_change_password=False)
    user.refresh_from_db()
    return api_token_create(actor=user, name="probe")


def test_an_unavailable_database_answers_503_json_on_the_api_and_a_chinese_page_in_the_ui(org, monkeypatch):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    client = Client(raise_request_exception=False)
    client.force_login(org.supervisor)
    token = _token(org.supervisor)

    def unavailable(self, *args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    with monkeypatch.context() as patched:  # undone before the test database is torn down
        patched.setattr(CursorWrapper, "execute", unavailable)
        patched.setattr(CursorWrapper, "executemany", unavailable)
        api = client.get("/api/v1/tasks", HTTP_AUTHORIZATION=f"Bearer {token}")
        page = client.get("/tasks/")
    assert api.status_code == 503
    assert api.json()["code"] == "unavailable" and "数据库" in api.json()["message"]
    assert page.status_code == 503 and "数据库暂时无法访问" in page.content.decode()


# --- numbers and dates out of range --------------------------------------------------------------------------

NUMBER_PARAMS = ("page", "page_size", "unit", "meeting", "area", "offset", "limit", "year", "id", "task", "lead_unit")
DATE_PARAMS = ("from", "to", "deadline", "date_from", "date_to", "due_before", "due_after")
EXTREME_NUMBERS = ["99999999999999999999", str(2**63), str(2**63 - 1), str(-2**63 - 1), "-1", "0", "1e309", "NaN",
                   "٣", "0x10", " 7", "1" * 400]
EXTREME_DATES = ["9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "2026-13-01", "-2026-01-01", "29991231"]


def _get_routes(world):
    from duban.core.access_matrix import ROWS
    from duban.core.tests.test_auth_matrix import _url

    return sorted({_url(r, world) for r in ROWS if r.method == "GET" and not r.skip})


def _with_ids(path: str, number: str) -> str:
    """The same route with every id in its path replaced (ids are whole path segments of digits)."""
    return re.sub(r"(?<=/)\d+(?=[/.]|$)", number.strip().lstrip("-") if number.strip().lstrip("-").isdigit()
                  else "99999999999999999999", path)


@pytest.mark.slow
def test_no_route_answers_500_to_extreme_numbers_and_dates(org, settings, tmp_path):
    """Every GET page and API operation, its ids replaced and every number and date parameter set to extremes
    (hypothesis picks the combinations): 4xx with a message or a page, never a server error."""
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hsettings
    from hypothesis import strategies as st

    from duban.core.tests.test_auth_matrix import build_world

    settings.DATA_DIR = tmp_path
    world = build_world(org)
    routes = _get_routes(world)
    client = Client(raise_request_exception=False)
    client.force_login(org.supervisor)
    token = _token(org.supervisor)
    numbers = st.one_of(st.sampled_from(EXTREME_NUMBERS), st.integers(-2**70, 2**70).map(str))
    dates = st.one_of(st.sampled_from(EXTREME_DATES), st.dates().map(str))

    @hsettings(max_examples=12, deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck))
    @given(number=numbers, date=dates)
    def probe(number, date):
        query = "&".join([f"{p}={number}" for p in NUMBER_PARAMS] + [f"{p}={date}" for p in DATE_PARAMS] + ["q=a"])
        for path in routes:
            for target in (path, _with_ids(path, number)):
                url = f"{target}{'&' if '?' in target else '?'}{query}"
                response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}") if target.startswith("/api/") \
                    else client.get(url)
                if response.streaming:
                    b"".join(response.streaming_content)
                assert response.status_code < 500, (url, response.status_code, response.content[:300])
                if target.startswith("/api/") and response.status_code >= 400:
                    assert response.json()["message"], url

    probe()


def _extreme(value, number: int, date: str):
    """``value`` (a row's form or JSON body) with every number and ISO date replaced."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return number
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date
    if isinstance(value, list):
        return [_extreme(v, number, date) for v in value]
    if isinstance(value, dict):
        return {k: _extreme(v, number, date) for k, v in value.items()}
    return value


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)  # each write commits as in production (no test transaction to break)
def test_no_write_answers_500_to_extreme_numbers_and_dates(settings, tmp_path):
    """Every POST/PATCH of the access matrix, page and API, its numbers, ids and dates set to extremes."""
    import json

    from duban.conftest import Org
    from duban.core.access_matrix import ROWS
    from duban.core.tests.test_auth_matrix import _url, build_world

    settings.DATA_DIR = tmp_path
    org = Org()
    world = build_world(org)
    client = Client(raise_request_exception=False)
    token = _token(org.supervisor)
    failures = []
    for row in ROWS:
        if row.method == "GET" or row.skip or row.multipart:
            continue
        for number, date in ((2**70, "9999-12-31"), (-2**70, "0001-01-01"), (2**63, "10000-01-01")):
            body = _extreme(row.data or {}, number, date)
            url = _url(row, world)
            if row.api:
                response = client.generic(row.method, url, json.dumps(body), content_type="application/json",
                                          HTTP_AUTHORIZATION=f"Bearer {token}")
            else:
                client.force_login(org.supervisor)
                form = {k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in body.items()}
                form.update({k: str(number) for k in ("version", "progress_percent", "lead_unit", "area", "id",
                                                      "task", "unit", "days")})
                response = client.post(url, form)
            if response.status_code >= 500:
                failures.append((row.method, url, number, response.status_code))
    assert not failures


@pytest.mark.parametrize("url", [
    "/tasks/?unit=99999999999999999999", "/reports/?meeting=99999999999999999999",
    "/reports/csv/by_unit.csv?unit=99999999999999999999", "/reports/ledger/export.xlsx?meeting=99999999999999999999",
    "/search/?q=a&page=99999999999999999999", "/api/v1/tasks?page=99999999999999999999",
    "/api/v1/search?q=a&offset=99999999999999999999", "/api/v1/tasks?page=1&page_size=99999999999999999999",
])
def test_the_probes_numbers_get_a_message_not_a_server_error(org, url):
    client = Client(raise_request_exception=False)
    client.force_login(org.supervisor)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {_token(org.supervisor)}"} if url.startswith("/api/") else {}
    response = client.get(url, **headers)
    assert response.status_code in (200, 400, 404, 422), (url, response.status_code)
    if response.status_code != 200:
        text = response.json()["message"] if url.startswith("/api/") else response.content.decode()
        assert "超出范围" in text or "不合法" in text or "未找到" in text, text[:300]


@pytest.mark.parametrize("title", ["第一行\n第二行", "文件\u202etxt.exe", "隔离\u2066字符"])
def test_titles_with_line_breaks_or_direction_controls_are_refused_alike_in_form_and_api(org, title):
    task = org.task_in("draft")
    client = Client()
    client.force_login(org.supervisor)
    token = _token(org.supervisor)
    api = client.patch(f"/api/v1/tasks/{task.pk}", data={"version": task.version, "title": title},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 422 and ("换行" in api.json()["message"] or "控制字符" in api.json()["message"])
    task.refresh_from_db()
    assert task.title != title


def test_a_progress_report_longer_than_the_forms_limit_is_refused_by_the_api_too(org):
    from duban.core.rules import PROGRESS_TEXT_MAX
    from duban.tasks.models import ProgressReport

    task = org.task_in("in_progress")
    client = Client()
    token = _token(org.lead_staff)
    before = ProgressReport.objects.count()
    too_long = client.post(f"/api/v1/tasks/{task.pk}/reports", data={"text": "进" * (PROGRESS_TEXT_MAX + 1),
                                                                        "progress_percent": 10},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert too_long.status_code == 422 and str(PROGRESS_TEXT_MAX) in too_long.json()["message"]
    assert ProgressReport.objects.count() == before
    fits = client.post(f"/api/v1/tasks/{task.pk}/reports", data={"text": "进" * PROGRESS_TEXT_MAX,
                                                                   "progress_percent": 10},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert fits.status_code in (200, 201), fits.content[:300]


# --- the audit chain cannot be rewritten from inside the database --------------------------------------------

def _attacker_recomputes_the_chain(key: str | None):
    """What someone with write access to the database (and not to the key) does after editing a row: recompute
    every hash from the first row on, the way the code computes them, with the key they guess, and fix the head."""
    import hashlib
    import hmac as hmac_module
    import json

    from duban.core.models import AuditChainHead

    prev = ""
    for event in AuditEvent.objects.order_by("id"):
        values = [event.pk, event.event_type, event.created_at.isoformat(), event.actor_id, event.unit_id,
                  event.target_user_id, event.target_unit_id, event.meeting_id, event.task_id, event.report_id,
                  event.extra, event.ip_address, event.backfilled, prev]
        if key is not None:
            values.append(event.key_id)
        payload = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()
        digest = (hmac_module.new(key.encode(), payload, hashlib.sha256).hexdigest() if key is not None
                  else hashlib.sha256(payload).hexdigest())
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, chain_hash=digest,
                                                      key_id=event.key_id if key is not None else "")
        prev = digest
    last = AuditEvent.objects.order_by("-id").first()
    AuditChainHead.objects.filter(pk=1).update(last_event_id=last.pk if last else 0, last_hash=prev)


@pytest.mark.parametrize("guess", [None, "a-guessed-secret-of-some-length"])
def test_editing_a_row_and_recomputing_the_chain_without_the_key_is_detected(org, guess):
    from duban.core.audit import audit_verify

    org.task_in("in_progress")
    assert audit_verify() == []
    victim = AuditEvent.objects.order_by("id")[3]
    AuditEvent.objects.filter(pk=victim.pk).update(extra={"edited": True})
    _attacker_recomputes_the_chain(guess)
    assert audit_verify(), "a chain recomputed without the key must not verify"


def test_a_deleted_or_truncated_chain_is_found_through_the_anchor_outside_the_database(
        org, settings, django_capture_on_commit_callbacks, capsys):
    import argparse

    from duban.core.audit import audit_verify
    from duban.core.commands import audit_verify as audit_verify_command
    from duban.core.models import AuditChainHead

    with django_capture_on_commit_callbacks(execute=True):
        org.task_in("in_progress")
    anchor = Path(settings.DUBAN_AUDIT_ANCHOR_FILE).read_text().splitlines()
    assert anchor, "each committed audit write appends the head to the anchor file"
    last = AuditEvent.objects.order_by("-id").first()
    assert anchor[-1].split()[1:3] == [str(last.pk), last.chain_hash]
    assert audit_verify() == []

    # truncation: the newest rows go and the head is set back to the row before them
    keep = AuditEvent.objects.order_by("-id")[2]
    AuditEvent.objects.filter(pk__gt=keep.pk).delete()
    AuditChainHead.objects.filter(pk=1).update(last_event_id=keep.pk, last_hash=keep.chain_hash)
    assert last.pk in audit_verify()

    # the whole table and its head deleted
    from django.db import connection

    with connection.cursor() as cursor:  # the rows' foreign keys point out of the table, not into it
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table}")
    AuditChainHead.objects.all().delete()
    assert AuditEvent.objects.count() == 0
    assert audit_verify(), "an empty trail after anchored events is not intact"
    assert audit_verify_command(argparse.Namespace()) == 1
    assert "intact" not in capsys.readouterr().out


def test_a_rotated_key_keeps_old_rows_verifiable_and_a_removed_key_is_reported(org, settings):
    from duban.core.audit import audit_verify

    before = dict(settings.DUBAN_AUDIT_KEYS)  # the key of the rows the fixture wrote
    settings.DUBAN_AUDIT_KEYS = {**before, "2026a": "first-secret-0123456789"}
    settings.DUBAN_AUDIT_KEY_ID = "2026a"
    org.task_in("accepted")
    settings.DUBAN_AUDIT_KEYS = {**before, "2026a": "first-secret-0123456789", "2027a": "second-secret-0123456789"}
    settings.DUBAN_AUDIT_KEY_ID = "2027a"
    org.task_in("accepted")
    kinds = set(AuditEvent.objects.values_list("key_id", flat=True))
    assert {"2026a", "2027a"} <= kinds
    assert audit_verify() == []
    settings.DUBAN_AUDIT_KEYS = {**before, "2027a": "second-secret-0123456789"}
    broken = audit_verify()
    assert broken and set(AuditEvent.objects.filter(pk__in=broken).values_list("key_id", flat=True)) == {"2026a"}


# --- API tokens ----------------------------------------------------------------------------------------------

def test_a_token_cannot_be_made_before_the_password_change_nor_by_another_token(org):
    from django.contrib.auth import get_user_model

    from duban.core.actions import user_create
    from duban.core.models import ApiToken

    fresh = user_create(actor=org.sysadmin, username="newcomer", password="Zq8#mWp2Lx", role="unit_staff",
                        unit=org.safety, display_name="新同事")
    client = Client()
    client.force_login(get_user_model().objects.get(pk=fresh.pk))
    page = client.post("/accounts/me/", {"name": "脚本"})
    assert page.status_code in (302, 403)  # the forced change comes first
    assert not ApiToken.objects.filter(user=fresh).exists()

    token = _token(org.lead_staff)
    minted = Client().post("/api/v1/tokens", data={"name": "more"}, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert minted.status_code == 403 and minted.json()["message_en"]
    assert ApiToken.objects.filter(user=org.lead_staff).count() == 1


def test_a_token_expires_after_ninety_days_by_default(org, settings):
    import datetime as dt

    from django.utils import timezone

    from duban.core.models import ApiToken

    assert settings.DUBAN_API_TOKEN_DAYS == 90
    token = _token(org.lead_staff)
    row = ApiToken.objects.get(user=org.lead_staff)
    assert dt.timedelta(days=89) < row.expires_at - timezone.now() <= dt.timedelta(days=90)
    client = Client()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    # a token from before expiry existed lasts the default from when it was made
    ApiToken.objects.filter(pk=row.pk).update(expires_at=None, created_at=timezone.now() - dt.timedelta(days=91))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_tokens_are_listed_and_revoked_by_their_owner_and_the_admin_only(org):
    from duban.core.models import ApiToken

    first, second = _token(org.lead_staff), _token(org.lead_staff)
    rows = list(ApiToken.objects.filter(user=org.lead_staff).order_by("id"))
    assert all(len(r.key_hash) == 64 and r.key_hash not in (first, second) for r in rows)  # stored hashed
    owner = Client()
    owner.force_login(org.lead_staff)
    listed = owner.get("/api/v1/tokens").json()
    assert {t["id"] for t in listed} == {r.pk for r in rows} and all("token" not in t for t in listed)

    stranger = Client()
    stranger.force_login(org.coop_staff)
    assert stranger.post(f"/api/v1/tokens/{rows[0].pk}/revoke").status_code == 404
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200

    revoked = owner.post(f"/api/v1/tokens/{rows[0].pk}/revoke")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 401

    admin = Client()
    admin.force_login(org.sysadmin)
    assert rows[1].pk in {t["id"] for t in admin.get("/api/v1/tokens?everyone=true").json()}
    page = admin.post("/accounts/me/", {"revoke": rows[1].pk})
    assert page.status_code == 302
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 401
    assert AuditEvent.objects.filter(event_type=EventType.API_TOKEN_REVOKED).count() == 2


def test_token_reads_write_the_last_use_at_most_once_an_hour(org):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from duban.core.models import ApiToken

    token = _token(org.lead_staff)
    client = Client()
    client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")  # the first use is noted
    noted = ApiToken.objects.get(user=org.lead_staff).last_used_at
    assert noted is not None
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            assert client.get("/api/v1/tasks", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert writes == []
    ApiToken.objects.filter(user=org.lead_staff).update(last_used_at=timezone.now() - dt.timedelta(hours=2))
    client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ApiToken.objects.get(user=org.lead_staff).last_used_at > noted


def test_the_django_admin_is_mounted_only_when_enabled(org, tmp_path):
    client = Client()
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/login/").status_code == 404
    code = ("from django.test import Client; print(Client().get('/admin/login/').status_code)")
    assert _settings_in_a_fresh_process({"DUBAN_ADMIN": "1"}, tmp_path, code).splitlines()[-1] == "200"


def test_hsts_only_over_https_when_configured(tmp_path):
    code = ("from django.test import Client; r = Client().get('/accounts/login/', secure=True, "
            "HTTP_X_FORWARDED_PROTO='https'); print(r.headers.get('Strict-Transport-Security', '-'))")
    assert _settings_in_a_fresh_process({"DUBAN_HTTPS": "1"}, tmp_path, code).splitlines()[-1].startswith("max-age=")
    assert _settings_in_a_fresh_process({}, tmp_path, code).splitlines()[-1] == "-"


def test_signed_in_answers_are_not_cached(org):
    client = Client()
    client.force_login(org.supervisor)
    for path in ("/", "/tasks/", "/accounts/me/", "/api/v1/me"):
        assert "no-store" in client.get(path).headers.get("Cache-Control", ""), path
    assert "no-store" in Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {_token(org.lead_staff)}").headers[
        "Cache-Control"]


# --- sign-in throttling ----------------------------------------------------------------------------------------

def _sign_in(client, username, password, ip):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_an_attacker_outside_cannot_lock_the_office_out(org, settings):
    from duban.conftest import PASSWORD

    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        _sign_in(attacker, "supervisor", "Wrong#pass99", "203.0.113.9")
    refused = _sign_in(attacker, "supervisor", PASSWORD, "203.0.113.9")
    assert refused.status_code in (403, 429) and "_auth_user_id" not in attacker.session
    office = Client()
    _sign_in(office, "supervisor", PASSWORD, "10.1.2.3")  # the office's own address
    assert office.session.get("_auth_user_id") == str(org.supervisor.pk)


def test_spraying_one_password_across_accounts_is_stopped_per_address(org, settings):
    from duban.conftest import PASSWORD

    settings.DUBAN_LOGIN_IP_FAILURE_LIMIT = 6
    sprayer = Client()
    names = ["sysadmin", "supervisor", "leader", "lead_admin", "lead_staff", "coop_staff", "other_staff"]
    answers = [_sign_in(sprayer, name, "Spring#2026x", "198.51.100.4").status_code for name in names]
    assert answers[-1] == 429, answers
    # the right password from that address is not even checked now
    assert _sign_in(sprayer, "child_staff", PASSWORD, "198.51.100.4").status_code == 429
    assert "_auth_user_id" not in sprayer.session
    other = Client()
    _sign_in(other, "child_staff", PASSWORD, "10.9.9.9")
    assert other.session.get("_auth_user_id") == str(org.child_staff.pk)


def test_failures_on_a_locked_account_write_one_audit_row_per_burst_with_a_count(org, settings):
    import datetime as dt

    from duban.core.models import LoginFailureTally

    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, "lead_admin", "Wrong#pass99", "203.0.113.50")
    before = AuditEvent.objects.count()
    for _ in range(40):  # hammering the locked account
        _sign_in(client, "lead_admin", "Wrong#pass99", "203.0.113.50")
    assert AuditEvent.objects.count() - before == 0, "a burst within the minute adds no row each"
    LoginFailureTally.objects.update(last_reported_at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    _sign_in(client, "lead_admin", "Wrong#pass99", "203.0.113.50")
    rows = AuditEvent.objects.filter(event_type=EventType.USER_LOGIN_FAILURES, extra__username="lead_admin")
    counts = [r.extra["count"] for r in rows.order_by("id")]
    assert counts == [1, 41]  # the locking attempt, then the 40 of the burst and the one that reported it


# --- uploads: limits before anything is read or unpacked -----------------------------------------------------

def _zip_bomb(member: str, unpacked: int, extra_members: int = 0) -> bytes:
    """A small zip package whose one member unpacks to ``unpacked`` bytes of zeros (plus empty members)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(member, "w", force_zip64=True) as out:
            chunk = b"\0" * (1 << 20)
            for _ in range(unpacked // len(chunk)):
                out.write(chunk)
        for i in range(extra_members):
            archive.writestr(f"xl/extra{i}.xml", "")
    return buffer.getvalue()


def test_a_zip_bomb_ledger_or_communique_is_refused_before_it_is_unpacked(org, settings):
    import tracemalloc

    from duban.core.errors import InvalidInput
    from duban.meetings.actions import extract_upload
    from duban.reports.actions import ledger_import
    from duban.tasks.models import Task

    settings.DUBAN_ZIP_MAX_UNPACKED_BYTES = 50 * 1024 * 1024
    bomb = _zip_bomb("xl/worksheets/sheet1.xml", 200 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # a small file ...
    tasks = Task.objects.count()
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput, match="解压后过大"):
            ledger_import(actor=org.supervisor, data=bomb, filename="台账.xlsx")
        with pytest.raises(InvalidInput, match="解压后过大"):
            extract_upload(data=_zip_bomb("word/document.xml", 200 * 1024 * 1024), filename="通报.docx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, peak  # ... refused without inflating it
    assert Task.objects.count() == tasks

    settings.DUBAN_ZIP_MAX_MEMBERS = 50
    with pytest.raises(InvalidInput, match="部件过多"):
        ledger_import(actor=org.supervisor, data=_zip_bomb("xl/workbook.xml", 0, extra_members=60),
                      filename="台账.xlsx")


def test_a_large_body_from_nobody_signed_in_is_refused_before_it_is_read(org, settings, tmp_path):
    """A 1 GiB multipart POST would be parsed into temporary files by the CSRF check before the redirect to the
    sign-in page; its declared length answers it first."""
    import io

    from django.core.handlers.wsgi import WSGIRequest

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    monitor = {"read": 0}

    class Body(io.BytesIO):
        def read(self, *args):
            data = super().read(*args)
            monitor["read"] += len(data)
            return data

    from duban.wsgi import application

    size = 8 * 1024 * 1024  # stands for the gigabyte: the declared length is what is checked
    body = Body(b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\n" + b"a" * size
                + b"\r\n--x--\r\n")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/meetings/import/", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": body, "wsgi.errors": io.StringIO(),
               "CONTENT_TYPE": "multipart/form-data; boundary=x", "CONTENT_LENGTH": str(len(body.getvalue())),
               "REMOTE_ADDR": "203.0.113.77"}
    statuses = []
    from django.core import signals
    from django.db import close_old_connections

    # called as a WSGI app, Django would close the database connection, ending the test's transaction
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    assert statuses and statuses[0].startswith("413"), statuses
    assert monitor["read"] == 0 and not list(tmp_path.iterdir())
    assert WSGIRequest  # the path under test is the real WSGI handler

    # the sign-in form itself still fits
    client = Client()
    assert client.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 200


def test_a_signed_in_upload_has_its_routes_maximum(org, settings):
    client = Client()
    client.force_login(org.supervisor)
    settings.DUBAN_MAX_UPLOAD_BYTES = 100 * 1024
    big = client.post("/meetings/import/", data=b"x" * (300 * 1024), content_type="application/octet-stream")
    assert big.status_code == 413 and "过大" in big.content.decode()
    api = client.post("/api/v1/meetings/import", data=b"x" * (300 * 1024), content_type="application/json")
    assert api.status_code == 413 and api.json()["code"] == "too_large"


def test_none_of_the_last_five_passwords_may_be_chosen_again(org):
    from django.contrib.auth import get_user_model

    from duban.conftest import PASSWORD
    from duban.core.actions import user_change_password
    from duban.core.errors import InvalidInput

    User = get_user_model()
    chain = [PASSWORD, "Ab3#kLm9Qa1", "Bc4$mNp0Rb2", "Cd5%nPq1Sc3", "De6&pQr2Td4"]
    for old, new in zip(chain, chain[1:]):
        user_change_password(actor=User.objects.get(pk=org.lead_staff.pk), old_password=old, new_password=new)
    current = chain[-1]
    for reused in chain[:-1]:  # the four before the current one (the current one is refused as "the same")
        with pytest.raises(InvalidInput, match="最近 5 次"):
            user_change_password(actor=User.objects.get(pk=org.lead_staff.pk), old_password=current,
                                 new_password=reused)
    user_change_password(actor=User.objects.get(pk=org.lead_staff.pk), old_password=current,
                         new_password="Ef7*qRs3Ue5")
    # the oldest has now left the window of five
    user_change_password(actor=User.objects.get(pk=org.lead_staff.pk), old_password="Ef7*qRs3Ue5",
                         new_password=PASSWORD)


def test_titles_made_from_imported_text_become_one_line_instead_of_failing_the_import(org):
    import datetime as dt
    import io

    from openpyxl import Workbook

    from duban.reports.actions import ledger_import
    from duban.tasks.models import Task

    book = Workbook()
    sheet = book.active
    sheet.append(("序号", "工作任务", "责任单位", "协办单位", "完成时限", "进展情况"))
    sheet.append((1, "整治燃气隐患\n（第二批）", "市教育局", "", "2024-11-30", ""))  # Alt+Enter in a cell
    out = io.BytesIO()
    book.save(out)
    ledger_import(actor=org.supervisor, data=out.getvalue(), today=dt.date(2024, 10, 8))
    task = Task.objects.get(text__startswith="整治燃气隐患")
    assert task.title == "整治燃气隐患 （第二批）" and "\n" in task.text


# --- migrations keep what exists working ---------------------------------------------------------------------

def _run_migration_function(module: str, name: str) -> None:
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    function = getattr(importlib.import_module(module), name)
    function(apps, SimpleNamespace(connection=connection))  # the functions use only the editor's connection


def test_existing_calendar_feeds_keep_working_once_their_secrets_are_hashed(org):
    from duban.reports.models import CalendarToken

    CalendarToken.objects.create(user=org.lead_staff, token="an-old-plain-secret-from-before-hashing")
    client = Client()
    assert client.get("/reports/ical/an-old-plain-secret-from-before-hashing.ics").status_code == 404
    _run_migration_function("duban.reports.migrations.0002_harden_calendar_token_hash", "hash_the_calendar_tokens")
    assert CalendarToken.objects.get(user=org.lead_staff).token != "an-old-plain-secret-from-before-hashing"
    assert client.get("/reports/ical/an-old-plain-secret-from-before-hashing.ics").status_code == 200


def test_an_intact_chain_from_before_keys_is_keyed_and_a_broken_one_is_left_broken(org):
    from duban.core.audit import audit_verify
    from duban.core.models import AuditChainHead, event_digest

    def unkey():  # the chain as the code before keys wrote it
        prev = ""
        for e in AuditEvent.objects.order_by("id"):
            digest = event_digest(e.pk, e.event_type, e.created_at, e.actor_id, e.unit_id, e.target_user_id,
                                  e.target_unit_id, e.meeting_id, e.task_id, e.report_id, e.extra, e.ip_address,
                                  e.backfilled, prev)
            AuditEvent.objects.filter(pk=e.pk).update(prev_hash=prev, chain_hash=digest, key_id="")
            prev = digest
        AuditChainHead.objects.filter(pk=1).update(last_hash=prev)

    org.task_in("accepted")
    unkey()
    assert audit_verify(), "rows without a key do not verify"
    _run_migration_function("duban.core.migrations.0003_harden_keys_expiry_history", "key_the_existing_chain")
    assert audit_verify() == []

    unkey()
    first = AuditEvent.objects.order_by("id").first()
    AuditEvent.objects.filter(pk=first.pk).update(extra={"edited": True})
    _run_migration_function("duban.core.migrations.0003_harden_keys_expiry_history", "key_the_existing_chain")
    assert first.pk in audit_verify()
