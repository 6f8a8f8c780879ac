"""The source pages at phone width in real Chromium: each fits a 390-pixel screen without sideways scrolling, and
no list's table has to be scrolled sideways inside the page either (a deadline cut at 2026-12-, the status out of
sight)."""

import datetime as dt

import pytest

from duban.conftest import PASSWORD
from duban.core.tests.browser import SCREENSHOTS, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

def test_source_pages_fit_a_phone(live_server, transactional_db, monkeypatch):
    from duban.conftest import Org
    from duban.sources import actions

    org = Org()
    today = dt.date.today()
    hazard = actions.hazard_create(actor=org.supervisor, place="临川区城南农贸市场二层商铺", category="gas",
                                   severity="major", description="液化气钢瓶与灶具间距不足，软管老化开裂。",
                                   deadline=today + dt.timedelta(days=10), responsible_person="张建国",
                                   lead_unit_id=org.safety.pk, assign=True)
    project = actions.livelihood_create(actor=org.supervisor, title="新增养老床位", indicator="新增养老床位",
                                        target=1000, measure_unit="张", lead_unit_id=org.health.pk,
                                        period_start=dt.date(today.year, 1, 1), period_end=dt.date(today.year, 12, 31),
                                        assign=True)
    case = actions.case_create(actor=org.supervisor, case_number="ZY-2026-0101", batch="第一批",
                               complaint="某码头扬尘污染严重，群众反映强烈，要求尽快整改并公开整改情况。",
                               lead_unit_id=org.safety.pk, assign=True)
    pages = ["/sources/", "/sources/hazards/", f"/sources/hazards/{hazard.pk}/", "/sources/livelihood/",
             f"/sources/livelihood/{project.pk}/", "/sources/cases/", f"/sources/cases/{case.pk}/",
             "/sources/instructions/", "/search/?q=扬尘污染", "/phrases/"]
    out = SCREENSHOTS
    too_wide = {}
    with chromium_page(monkeypatch, width=390, height=844) as (page, _errors):
        sign_in(page, live_server.url, "supervisor", PASSWORD)
        page.wait_for_url(f"{live_server.url}/")
        for path in pages:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide[path] = width
            tables = page.evaluate("() => [...document.querySelectorAll('.table-responsive')]"
                                   ".filter(d => d.offsetParent && d.scrollWidth > d.clientWidth + 1)"
                                   ".map(d => d.scrollWidth)")
            if tables:
                too_wide[f"{path} table"] = tables
        page.goto(f"{live_server.url}/sources/hazards/")  # the deadline and status under the place
        row = page.locator("tbody tr").first.inner_text()
        assert f"期限 {hazard.deadline:%Y-%m-%d} · 已发现（待整改）" in row, row
        page.goto(f"{live_server.url}/sources/hazards/{hazard.pk}/")
        page.screenshot(path=str(out / "sources-hazard-phone.png"), full_page=True)
    assert too_wide == {}
