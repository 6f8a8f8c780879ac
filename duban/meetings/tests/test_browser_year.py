"""In real Chromium: a communique without a year asks for it (prefilled), says what it cannot date, and the draft
meeting's date stays editable on its page, re-dating the relative deadlines. Screenshots land in test-results/."""

from __future__ import annotations

import re

import pytest

from duban.core.tests.browser import SCREENSHOTS, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEXT = ("9月29日，市委书记许文博主持召开市委常委会会议。\n"
        "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，国庆前完成。\n"
        "会议要求，市卫健委要做好冬春季药品储备，年底前完成。\n")


def test_year_is_asked_and_the_date_redates_deadlines(live_server, demo_people_db, monkeypatch):
    from playwright.sync_api import expect

    from duban.demo.loader import DEMO_PASSWORD
    from duban.meetings.models import Meeting
    from duban.tasks.selectors import today_local

    out = SCREENSHOTS
    base = live_server.url
    with chromium_page(monkeypatch) as (page, errors):
        sign_in(page, base, "office", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/")

        page.goto(f"{base}/meetings/import/")
        page.fill("#id_text", TEXT)
        page.click("#import-submit")
        expect(page.locator("#year-note")).to_contain_text("国庆前、年底前")
        expect(page.locator("#id_year")).to_have_value(str(today_local().year))
        page.screenshot(path=str(out / "import-asks-year.png"), full_page=True)
        assert Meeting.objects.count() == 0

        page.fill("#id_year", "")  # import without a year: the page says what it could not date
        page.click("#import-submit")
        page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
        expect(page.locator("#undated-note")).to_contain_text("2 项时限无法推算日期")
        page.fill("#meeting-date-input", "2025-09-29")
        page.locator("#date-form button").click()
        expect(page.locator("#meeting-facts")).to_contain_text("2025年9月29日")
        expect(page.locator("#undated-note")).to_have_count(0)
        page.screenshot(path=str(out / "meeting-date-set.png"), full_page=True)
    meeting = Meeting.objects.get()
    assert sorted(str(d) for d in meeting.tasks.values_list("deadline", flat=True)) == ["2025-09-30", "2025-12-31"]
    assert errors == []
