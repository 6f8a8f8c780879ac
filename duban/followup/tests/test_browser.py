"""Lights and the notification badge in real Chromium: an overdue task shows its red light on the task list
after the reminder pass, and the unit head's nav badge counts the escalation."""

import datetime as dt

import pytest

from duban.conftest import PASSWORD
from duban.core.tests.browser import SCREENSHOTS, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

def test_light_badge_and_notification_count(live_server, transactional_db, monkeypatch):
    from playwright.sync_api import expect

    from duban.conftest import Org
    from duban.core.models import Notification
    from duban.followup.reminders import reminders_run
    from duban.followup.tests.conftest import place_task

    org = Org()
    overdue = place_task(org.task_in("in_progress"), assigned=dt.date(2025, 9, 1), deadline=dt.date(2025, 12, 31),
                         progress=30)
    Notification.objects.filter(recipient=org.lead_admin).update(read_at=overdue.assigned_at)
    reminders_run(today=dt.date(2026, 1, 5))
    unread = Notification.objects.filter(recipient=org.lead_admin, read_at__isnull=True).count()
    assert unread == 1

    out = SCREENSHOTS
    with chromium_page(monkeypatch, width=390, height=844) as (page, _errors):  # phone width
        sign_in(page, live_server.url, "lead_admin", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/tasks/")
        badge = page.locator("[data-light]").first
        expect(badge).to_have_text("红灯")
        expect(badge).to_have_attribute("data-light", "red")
        expect(page.locator("#notif-badge")).to_have_text(str(unread), use_inner_text=False)
        page.screenshot(path=str(out / "followup-lights-phone.png"), full_page=True)
        page.goto(f"{live_server.url}/tasks/{overdue.pk}/")


def test_a_refused_comment_keeps_what_the_leader_typed(live_server, transactional_db, monkeypatch):
    """A 批示 refused (here: a deadline in the past) comes back with the typed text and date still in the form; once
    sent, the form is empty again."""
    from playwright.sync_api import expect

    from duban.conftest import Org

    org = Org()
    task = org.task_in("in_progress")
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    with chromium_page(monkeypatch, width=390, height=844) as (page, errors):
        sign_in(page, live_server.url, "leader", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/tasks/{task.pk}/")
        page.fill("#comment-text", "请于本周内报送整改进展")
        page.fill("#comment-deadline", yesterday)
        page.click("#comment-form button[type=submit]")
        expect(page.locator(".alert-danger")).to_contain_text("批示时限不能早于今天")
        expect(page.locator("#comment-text")).to_have_value("请于本周内报送整改进展")
        expect(page.locator("#comment-deadline")).to_have_value(yesterday)
        page.fill("#comment-deadline", "")
        page.click("#comment-form button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("批示已发送")
        page.reload()
        expect(page.locator("#comment-text")).to_have_value("")
        assert not errors
