"""In real Chromium: the draft ledger fits the clerk's 1366 px screen. Every row's 编辑 / 拆分 / 删除 can be reached
without scrolling the table sideways (which would hide the 事项 column), the 删除 confirmation and the inline edit
form fit too, and the narrow columns do not break one character a line. On a 390 px phone the page itself does not
scroll sideways. Screenshots land in test-results/."""

from __future__ import annotations

import re

import pytest

from duban.core.tests.browser import SCREENSHOTS, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# How far the box of ``selector`` (each match) sticks out of the draft table's scrolling frame, in px (0: inside).
OUTSIDE_FRAME = """selector => {
  const frame = document.querySelector('#draft-table').closest('.table-responsive') || document.documentElement;
  const box = frame.getBoundingClientRect();
  return Array.from(document.querySelectorAll(selector))
    .filter(el => el.offsetParent !== null)
    .map(el => { const r = el.getBoundingClientRect(); return Math.max(0, r.right - box.right, box.left - r.left); });
}"""

# The number of lines the text of each header cell takes.
HEADER_LINES = """() => Array.from(document.querySelectorAll('#draft-table thead th')).map(th => {
  const range = document.createRange();
  range.selectNodeContents(th);
  return [th.textContent.trim(), new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size];
})"""

SIDEWAYS = """() => {
  const frame = document.querySelector('#draft-table').closest('.table-responsive');
  return [frame ? frame.scrollWidth - frame.clientWidth : 0,
          document.documentElement.scrollWidth - document.documentElement.clientWidth];
}"""


def _draft(page, base):
    from duban.demo.loader import demo_communique

    page.goto(f"{base}/meetings/import/")
    page.fill("#id_text", demo_communique())
    page.click("#import-submit")
    page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
    return page.url


@pytest.mark.parametrize("width", [1366, 1280])
def test_the_draft_ledger_fits_a_desktop_screen(live_server, demo_people_db, monkeypatch, width):
    from playwright.sync_api import expect

    from duban.demo.loader import DEMO_PASSWORD
    from duban.tasks.models import Task

    base = live_server.url
    with chromium_page(monkeypatch, width=width) as (page, errors):
        sign_in(page, base, "office", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/")
        _draft(page, base)
        first = Task.objects.filter(status="draft").order_by("seq").first()
        assert page.evaluate(SIDEWAYS) == [0, 0]
        for label in ("编辑", "拆分", "删除"):
            buttons = page.locator("#draft-table tbody tr").get_by_text(label, exact=True)
            assert buttons.count() == Task.objects.filter(status="draft").count()
        assert max(page.evaluate(OUTSIDE_FRAME, "#draft-table tbody .row-actions > *")) == 0
        assert max(page.evaluate(OUTSIDE_FRAME, "#draft-table thead th")) == 0
        assert [name for name, lines in page.evaluate(HEADER_LINES) if lines > 1] == []

        row = page.locator(f"#task-row-{first.pk}")
        row.get_by_text("删除", exact=True).click()
        expect(row.get_by_role("button", name="确认删除")).to_be_visible()
        assert page.evaluate(SIDEWAYS) == [0, 0]
        assert max(page.evaluate(OUTSIDE_FRAME, f"#task-row-{first.pk} form *")) == 0
        page.screenshot(path=str(SCREENSHOTS / f"draft-ledger-{width}-delete.png"), full_page=True)
        row.get_by_text("删除", exact=True).click()  # closes it again

        row.get_by_role("button", name="编辑").click()
        expect(page.locator(f"#task-row-{first.pk} form [name=deadline]")).to_be_visible()
        assert page.evaluate(SIDEWAYS) == [0, 0]
        assert max(page.evaluate(OUTSIDE_FRAME, f"#task-row-{first.pk} form input, #task-row-{first.pk} form "
                                                f"select, #task-row-{first.pk} form textarea")) == 0
        page.screenshot(path=str(SCREENSHOTS / f"draft-ledger-{width}-edit.png"), full_page=True)
        # Saving a deadline on a row without one: the count above the table follows at once, no reload.
        without = Task.objects.filter(status="draft", deadline__isnull=True).count()
        assert first.deadline is None and without > 1
        expect(page.locator("#missing-deadline-count")).to_have_text(f"{without} 项未设时限")
        page.fill(f"#task-row-{first.pk} form [name=deadline]", "2099-12-31")
        page.locator(f"#task-row-{first.pk} form").get_by_role("button", name="保存").click()
        expect(page.locator(f"#task-row-{first.pk}")).to_contain_text("2099-12-31")
        expect(page.locator("#missing-deadline-count")).to_have_text(f"{without - 1} 项未设时限")
        expect(page.locator("#draft-counts")).to_have_count(1)
    assert errors == []


def test_the_draft_ledger_on_a_phone_does_not_scroll_the_page_sideways(live_server, demo_people_db, monkeypatch):
    from duban.demo.loader import DEMO_PASSWORD

    base = live_server.url
    with chromium_page(monkeypatch, width=390, height=844) as (page, errors):
        sign_in(page, base, "office", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/")
        _draft(page, base)
        assert page.evaluate(SIDEWAYS)[1] == 0
        page.screenshot(path=str(SCREENSHOTS / "draft-ledger-390.png"), full_page=True)
    assert errors == []
