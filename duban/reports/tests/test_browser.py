"""The /reports/ dashboard in real Chromium: charts render under the strict CSP (no console errors), the page fits
a phone, and a screenshot lands in test-results/reports-dashboard.png for a human to look at."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import PASSWORD, REPO_DIR, require_tool
from duban.core.tests.browser import CHROMIUM, CHROMIUM_ARGS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _sign_in(page, base: str) -> None:
    sign_in(page, base, "supervisor", PASSWORD)
    page.wait_for_url(f"{base}/")


@pytest.fixture
def busy_org(transactional_db):
    from duban.conftest import Org
    from duban.tasks.models import Task

    org = Org()
    today = dt.date.today()
    for i in range(4):
        org.task_in("closed", title=f"已办结事项{i}")
    for i in range(3):
        org.task_in("in_progress", title=f"逾期事项{i}", deadline=today - dt.timedelta(days=3 + 9 * i))
    org.task_in("accepted", title="临期事项", area_id=org.area_health.pk, deadline=today + dt.timedelta(days=1))
    for i in range(2):
        org.task_in("assigned", title=f"教育局事项{i}", lead_unit_id=org.other.pk, coop_unit_ids=[],
                    area_id=org.area_health.pk, deadline=today - dt.timedelta(days=20 * i + 1))
    # Spread the closings over past weeks so the weekly chart has a shape.
    for n, task in enumerate(Task.objects.filter(status="closed").order_by("id")):
        Task.objects.filter(pk=task.pk).update(closed_at=task.closed_at - dt.timedelta(weeks=2 * n))
    return org


def test_reports_dashboard_renders(live_server, busy_org, monkeypatch):
    require_tool(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import expect, sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    out = REPO_DIR / "test-results"
    out.mkdir(exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
            page.set_default_timeout(20000)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            _sign_in(page, live_server.url)
            page.goto(f"{live_server.url}/reports/")
            for chart in ("lights", "weeks", "by_area", "by_unit"):
                expect(page.locator(f"#chart-{chart} canvas")).to_have_count(1)
            expect(page.locator("#r-overdue")).to_have_text("5")
            # a colour that no task has keeps its legend entry and draws no label on the ring
            slices = page.evaluate("echarts.getInstanceByDom(document.getElementById('chart-lights'))"
                                   ".getOption().series[0].data.map(d => [d.value, d.label.show])")
            assert any(value == 0 for value, _ in slices) and any(value > 0 for value, _ in slices), slices
            assert all(shown == (value > 0) for value, shown in slices), slices
            expect(page.locator("#table-overdue")).to_contain_text("逾期事项0")
            page.wait_for_timeout(800)  # let the chart animations finish before the picture
            page.screenshot(path=str(out / "reports-dashboard.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(300)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
            page.screenshot(path=str(out / "reports-dashboard-phone.png"), full_page=True)
            # the ranking on a phone: rank, unit, on-time rate, open overdue and total score fit the screen, no sideways
            # scroll
            page.goto(f"{live_server.url}/reports/ranking/")
            table = page.locator("#ranking-table")
            assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth + 1")
            visible = [h.strip() for h in table.locator("th:visible").all_inner_texts()]
            assert visible == ["名次", "单位", "按时办结率", "逾期未办结", "总分"], visible
            page.screenshot(path=str(out / "ranking-phone.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []


def test_ledger_round_trip_in_the_browser(live_server, transactional_db, monkeypatch, tmp_path):
    """A clerk downloads the ledger from the task list, changes a deadline in the file, previews the import (the
    change shown, nothing written), confirms the import, and the task has the new deadline; nothing new was created."""
    require_tool(CHROMIUM.exists(), "chromium")
    from openpyxl import load_workbook
    from playwright.sync_api import expect, sync_playwright

    from duban.conftest import Org
    from duban.tasks.models import Task

    org = Org()
    task = org.task_in("assigned", title="要改时限的事项", deadline=dt.date(2030, 1, 1))
    before = Task.objects.count()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    out = REPO_DIR / "test-results"
    out.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN", accept_downloads=True)
            page.set_default_timeout(20000)
            _sign_in(page, live_server.url)
            page.goto(f"{live_server.url}/tasks/")
            with page.expect_download() as download:
                page.click("#ledger-export")
            path = tmp_path / "ledger.xlsx"
            download.value.save_as(path)
            wb = load_workbook(path)
            ws = wb.active
            ws.cell(row=3, column=[c.value for c in ws[2]].index("时限") + 1).value = dt.datetime(2030, 3, 1)
            wb.save(path)
            page.goto(f"{live_server.url}/reports/ledger/import/")
            page.set_input_files("#id_file", str(path))
            page.click("#ledger-import-form button[type=submit]")
            expect(page.locator("#import-updates")).to_contain_text("2030-03-01")
            expect(page.locator("#import-updates")).to_contain_text("预览")
            assert Task.objects.get(pk=task.pk).deadline == dt.date(2030, 1, 1)
            page.screenshot(path=str(out / "ledger-import-preview.png"), full_page=True)
            page.click("#ledger-import-apply button[type=submit]")
            expect(page.locator("#import-result")).to_contain_text("更新1项")
        finally:
            browser.close()
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2030, 3, 1)
    assert Task.objects.count() == before
