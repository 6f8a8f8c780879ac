"""The source pages at phone width in real Chromium: each fits a 390-pixel screen without sideways scrolling."""

import datetime as dt
from pathlib import Path

import pytest

from duban.conftest import PASSWORD, REPO_DIR, require_tool

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def test_source_pages_fit_a_phone(live_server, transactional_db, monkeypatch):
    require_tool(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import sync_playwright

    from duban.conftest import Org
    from duban.sources import actions

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
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
    out = REPO_DIR / "test-results"
    out.mkdir(exist_ok=True)
    too_wide = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page.set_default_timeout(15000)
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "supervisor")
        page.fill("#id_password", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for path in pages:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide[path] = width
        page.goto(f"{live_server.url}/sources/hazards/{hazard.pk}/")
        page.screenshot(path=str(out / "sources-hazard-phone.png"), full_page=True)
        browser.close()
    assert too_wide == {}
