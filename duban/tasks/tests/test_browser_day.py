"""The clerk's and the units' working day in real Chromium. Pictures the user guide (docs/guide/) shows are taken
here on every run, so they never go stale."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from duban.conftest import PASSWORD, REPO_DIR, require_tool

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
GUIDE_IMAGES = REPO_DIR / "docs" / "guide" / "img"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


@pytest.fixture
def chromium(monkeypatch):
    require_tool(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are plain reads.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_org(live_server, transactional_db):
    from duban.conftest import Org

    return Org()


def open_as(browser, base: str, username: str, *, viewport=DESK):
    """A new browser window signed in as ``username`` through the sign-in page."""
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.set_default_timeout(15000)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, username)
    page.wait_for_url(re.compile(re.escape(base) + r"/(\?.*)?$"))
    return page


def sign_in(page, base: str, username: str, *, path: str = "/accounts/login/"):
    if path:
        page.goto(base + path)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def picture(page, name: str) -> None:
    """A screenshot for the user guide."""
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let transitions settle
    page.screenshot(path=str(GUIDE_IMAGES / name), full_page=True)


def test_editing_only_the_title_keeps_the_deadline(chromium, live_server, live_org):
    from playwright.sync_api import expect

    from duban.tasks.models import Task

    deadline = dt.date.today() + dt.timedelta(days=45)
    task = live_org.task_in("accepted", deadline=deadline)
    page = open_as(chromium, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/tasks/{task.pk}/edit/")
    expect(page.locator("#id_deadline")).to_have_value(deadline.isoformat())
    page.fill("#id_title", "排查整治燃气安全隐患（修订）")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
    task = Task.objects.get(pk=task.pk)
    assert task.title == "排查整治燃气安全隐患（修订）"
    assert task.deadline == deadline


def draft_meeting(org):
    """The demo communique imported as a draft ledger by the office."""
    from duban.demo.loader import demo_communique
    from duban.meetings.actions import extract_upload, meeting_import

    extracted, text = extract_upload(text=demo_communique())
    return meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)


def _expire_sessions():
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


def test_a_report_typed_before_the_session_expired_is_sent_after_signing_in(chromium, live_server, live_org):
    from playwright.sync_api import expect

    task = live_org.task_in("accepted")
    base = live_server.url
    page = open_as(chromium, base, "lead_staff", viewport=PHONE)
    page.goto(f"{base}/tasks/{task.pk}/")
    text = "已组织全市燃气场所拉网式排查，发现隐患12处，已整改9处。"
    page.fill("#id_text", text)
    page.fill("#id_progress_percent", "60")
    _expire_sessions()  # the clerk went to a meeting; the session died meanwhile
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*"))
    assert "405" not in page.content()
    sign_in(page, base, "lead_staff", path="")
    page.wait_for_url(f"{base}/tasks/{task.pk}/")
    expect(page.locator("#id_text")).to_have_value(text)
    expect(page.locator("#id_progress_percent")).to_have_value("60")
    expect(page.locator(".draft-restored")).to_be_visible()
    picture(page, "unit-draft-restored.png")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#task-status")).to_have_text("办理中")
    report = task.reports.get()
    assert (report.text, report.progress_percent) == (text, 60)
    # Sent: the browser forgets the draft, the next visit starts empty.
    page.goto(f"{base}/tasks/{task.pk}/")
    expect(page.locator("#id_text")).to_have_value("")
    expect(page.locator(".draft-restored")).to_have_count(0)


def test_an_inline_edit_after_expiry_goes_to_sign_in_not_into_the_row(chromium, live_server, live_org):
    from django.urls import reverse

    meeting_id = draft_meeting(live_org).pk
    base = live_server.url
    page = open_as(chromium, base, "supervisor")
    page.goto(base + reverse("meetings:detail", args=[meeting_id]))
    row = page.locator("tr[id^=task-row-]").first
    _expire_sessions()
    row.get_by_role("button", name="编辑").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=%2Fmeetings%2F" + str(meeting_id) + r"%2F$"))
    assert page.locator("tr[id^=task-row-]").count() == 0
    sign_in(page, base, "supervisor", path="")
    page.wait_for_url(base + reverse("meetings:detail", args=[meeting_id]))
