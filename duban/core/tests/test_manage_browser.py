"""Administration in real Chromium at laptop size: the sysadmin adds a person on the people page, resets their
password and sees it once; the unit tree shows sub-units under their parent. Screenshots in test-results/."""

from __future__ import annotations

import pytest

from duban.core.tests.browser import SCREENSHOTS, chromium_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_sysadmin_manages_people_and_units_in_the_browser(live_server, demo_people_db, monkeypatch):
    from django.contrib.auth import get_user_model
    from playwright.sync_api import expect

    from duban.demo.loader import DEMO_PASSWORD

    out = SCREENSHOTS
    base = live_server.url
    with chromium_page(monkeypatch, height=768) as (page, errors):
        sign_in(page, base, "admin", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/")
        page.click("text=系统管理")
        page.wait_for_url(f"{base}/manage/people/")
        expect(page.locator("#people")).to_contain_text("应急局 赵强")
        page.fill("#pc-name", "周新")
        page.fill("#pc-username", "zhou.xin")
        page.fill("#pc-password", "Zhou-xin-2026!")
        page.locator("#pc-unit").select_option(label="市应急管理局")
        page.click("#person-create button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("已添加 zhou.xin")
        page.screenshot(path=str(out / "manage-person.png"), full_page=True)
        page.click("#reset-password")
        page.click("#reset-password-confirm button[type=submit]")
        expect(page.locator("#new-password")).to_contain_text("只显示这一次")
        password = page.locator("#new-password code").inner_text()
        assert get_user_model().objects.get(username="zhou.xin").check_password(password)
        page.reload()  # reloading the page that showed it neither shows nor resets it again
        expect(page.locator("#new-password")).to_have_count(0)
        assert get_user_model().objects.get(username="zhou.xin").check_password(password)
        page.goto(f"{base}/manage/people/")
        page.screenshot(path=str(out / "manage-people.png"), full_page=True)
        page.goto(f"{base}/manage/units/")
        tree = page.locator("#unit-tree").inner_text()
        assert tree.index("各辖市区人民政府") < tree.index("临川区人民政府")
        page.screenshot(path=str(out / "manage-units.png"))
        # The office's other settings screens render at laptop width with their forms.
        page.goto(f"{base}/reports/score-rules/")
        expect(page.locator("#score-rules-form")).to_be_visible()
        page.screenshot(path=str(out / "score-rules.png"))
        page.goto(f"{base}/meetings/responsibility/?edit=市应急管理局")
        expect(page.locator("#re-name")).to_have_value("市应急管理局")
        page.screenshot(path=str(out / "responsibility.png"))
    assert errors == []


def test_the_people_list_reads_on_a_phone(live_server, demo_people_db, monkeypatch):
    """At 390 px a name stays on one line (it wrapped a character a line) and the row says unit and role."""
    from playwright.sync_api import expect

    from duban.demo.loader import DEMO_PASSWORD

    base = live_server.url
    with chromium_page(monkeypatch, width=390, height=844) as (page, errors):
        sign_in(page, base, "admin", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/manage/people/")
        name = page.locator("#people tbody tr td:first-child a").first
        expect(name).to_be_visible()
        line = float(name.evaluate("a => parseFloat(getComputedStyle(a).lineHeight) || 24"))
        box = name.bounding_box()
        assert box["height"] <= line * 1.5 and box["width"] >= 40, box
        first_row = page.locator("#people tbody tr").first.inner_text()
        assert any(role in first_row for role in ("单位经办人", "单位管理员", "督查室", "领导", "系统管理员"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SCREENSHOTS / "manage-people-phone.png"), full_page=True)
    assert errors == []
