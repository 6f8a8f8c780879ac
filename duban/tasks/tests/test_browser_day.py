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
