"""In real Chromium: the office picking a deadline on a non-working day is told so before it saves (调整时限 and
分解下达, a row added with 再加一行 too), and a working day clears the note."""

from __future__ import annotations

import pytest

from duban.core.tests.browser import chromium_browser, signed_in_page

pytestmark = pytest.mark.browser


def test_a_non_working_day_is_pointed_out_as_the_deadline_is_picked(live_server, transactional_db, monkeypatch):
    from playwright.sync_api import expect

    from duban.conftest import Org
    from duban.tasks.tests.test_views import _day

    org = Org()
    sunday, monday = _day(weekend=True), _day(weekend=False)
    task = org.task_in("accepted", deadline=monday)
    base = live_server.url
    with chromium_browser(monkeypatch) as (browser, errors):
        page = signed_in_page(browser, base, "supervisor", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        page.click("#deadline-panel summary")
        note = page.locator("#deadline-form .workday-note")
        page.fill("#adjust-deadline", sunday.isoformat())
        expect(note).to_contain_text(f"{sunday.isoformat()}不是工作日")
        page.fill("#adjust-deadline", monday.isoformat())
        expect(note).to_have_text("")
        # 分解下达: a row added in the browser checks its date as the rows the page came with
        page.click("#split-panel summary")
        page.click("#split-add")
        page.fill("#split-deadline-2", sunday.isoformat())
        expect(page.locator("#split-form .split-row").nth(2).locator(".workday-note")).to_contain_text("不是工作日")
        expect(page.locator("#split-form .split-row").nth(0).locator(".workday-note")).to_have_text("")
    assert not errors
