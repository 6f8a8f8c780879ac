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
