"""Lights and the notification badge in real Chromium: an overdue task shows its red light on the task list
after the reminder pass, and the unit head's nav badge counts the escalation."""

import datetime as dt
from pathlib import Path

import pytest

from duban.conftest import PASSWORD, REPO_DIR, require_tool

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_light_badge_and_notification_count(live_server, transactional_db, monkeypatch):
    require_tool(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import expect, sync_playwright

    from duban.conftest import Org
    from duban.core.models import Notification
    from duban.followup.reminders import reminders_run
    from duban.followup.tests.conftest import place_task

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    org = Org()
    overdue = place_task(org.task_in("in_progress"), assigned=dt.date(2025, 9, 1), deadline=dt.date(2025, 12, 31),
                         progress=30)
    Notification.objects.filter(recipient=org.lead_admin).update(read_at=overdue.assigned_at)
    reminders_run(today=dt.date(2026, 1, 5))
    unread = Notification.objects.filter(recipient=org.lead_admin, read_at__isnull=True).count()
    assert unread == 1

    out = REPO_DIR / "test-results"
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")  # phone width
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "lead_admin")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/tasks/")
        badge = page.locator("[data-light]").first
        expect(badge).to_have_text("红灯")
        expect(badge).to_have_attribute("data-light", "red")
        expect(page.locator("#notif-badge")).to_have_text(str(unread), use_inner_text=False)
        page.screenshot(path=str(out / "followup-lights-phone.png"), full_page=True)
        page.goto(f"{live_server.url}/tasks/{overdue.pk}/")
        browser.close()
