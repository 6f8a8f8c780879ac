"""Supervision across levels, in real Chromium: the city's office splits a task it assigned to 各辖市区 into the
districts; the district's own 督查室 splits its part to two townships; the townships sign for their parts and ask
to close them; the district's 督查室 signs them off; the city, on a phone, sees the roll-up and its light change.
Screenshots go to test-results/."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import use_data_dir
from duban.core.tests.browser import SCREENSHOTS, chromium_browser, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


def _split(page, units: list[str]) -> None:
    """Open the task page's 分解下达 panel, list one unit per row and send it."""
    page.click("#split-panel summary")
    for i, name in enumerate(units):
        page.select_option(f"#split-lead-{i}", label=name)
    page.click("#split-submit")
    page.locator(".alert-success").wait_for()


def test_a_directive_split_across_levels_rolls_up_in_the_browser(live_server, transactional_db, settings, tmp_path,
                                                                  monkeypatch):
    from django.utils import timezone
    from playwright.sync_api import expect

    from duban.conftest import Org
    from duban.tasks import actions
    from duban.tasks.models import Task
    from duban.tasks.tests.levels_world import make_levels

    use_data_dir(settings, tmp_path)
    lv = make_levels(Org())
    # The city assigned (交办) the directive to 各辖市区 three weeks into a four-week deadline, nothing done yet:
    # 75% of the time gone at 0% is behind (黄灯) by the light rule.
    city = lv.city_task(days=10)
    Task.objects.filter(pk=city.pk).update(assigned_at=timezone.now() - dt.timedelta(days=30))
    base = live_server.url
    with chromium_browser(monkeypatch) as (browser, errors):
        # 1. The city's office splits its task into the districts.
        page = signed_in_page(browser, base, "supervisor", errors)
        page.goto(f"{base}/tasks/{city.pk}/")
        _split(page, ["临川区人民政府", "东乡区人民政府"])
        expect(page.locator("#task-tree .tree-node")).to_have_count(2)
        expect(page.locator("#rollup")).to_have_attribute("data-light", "yellow")
        part = Task.objects.get(parent=city, lead_unit=lv.district)
        part2 = Task.objects.get(parent=city, lead_unit=lv.district2)

        # 2. The district's 督查室 splits its part to its two townships (the sibling district is not offered).
        page = signed_in_page(browser, base, "district_sup", errors)
        page.goto(f"{base}/tasks/{part.pk}/")
        expect(page.locator("#split-lead-0 option", has_text="东乡区人民政府")).to_have_count(0)
        # 再加一行 gives a third blank row numbered next; a row left blank is not a sub-task
        page.click("#split-panel summary")
        page.select_option("#split-lead-1", label="临川区温泉镇人民政府")
        page.click("#split-add")
        expect(page.locator("#split-form .split-row")).to_have_count(3)
        expect(page.locator("#split-lead-2")).to_have_attribute("name", "lead_2")
        expect(page.locator("#split-lead-2")).to_have_attribute("aria-label", "第3个子任务的牵头单位")
        expect(page.locator("#split-lead-2")).to_have_value("")
        expect(page.locator("#split-lead-2")).to_be_focused()
        page.click("#split-panel summary")  # closed again: _split opens it
        _split(page, ["临川区上顿渡镇人民政府", "临川区温泉镇人民政府"])
        expect(page.locator("#task-tree .tree-node")).to_have_count(2)
        page.screenshot(path=str(SCREENSHOTS / "levels-district-split.png"), full_page=True)

        # 3. Each township signs for its part and asks to close it; neither sees the other's.
        for username, town in (("town_a_staff", lv.town_a), ("town_b_staff", lv.town_b)):
            mine = Task.objects.get(parent=part, lead_unit=town)
            page = signed_in_page(browser, base, username, errors)
            page.goto(f"{base}/tasks/{mine.pk}/")
            page.click("#accept-button")
            expect(page.locator("#task-status")).to_have_text("已签收")
            page.fill("#id_text", "辖区燃气隐患已全部排查整改。")
            page.fill("#id_progress_percent", "100")
            page.check("#id_request_close")
            page.fill("#id_evidence_text", "排查整改台账")
            page.click("#report-form button[type=submit]")
            expect(page.locator("#task-status")).to_have_text("申请办结")
            other = Task.objects.exclude(pk=mine.pk).get(parent=part)
            seen = len(errors)
            assert page.goto(f"{base}/tasks/{other.pk}/").status == 404
            del errors[seen:]  # the 404 just asked for, reported by the console too

        # the sibling district reports its progress meanwhile
        actions.task_accept(actor=lv.district2_staff, task_id=part2.pk)
        actions.report_submit(actor=lv.district2_staff, task_id=part2.pk, text="已排查六成", progress_percent=60)

        # 4. The district's 督查室 signs both off from its 工作台's list of close requests.
        page = signed_in_page(browser, base, "district_sup", errors)
        expect(page.locator("#wb-reports .wb-item")).to_have_count(2)
        for town in (lv.town_a, lv.town_b):
            mine = Task.objects.get(parent=part, lead_unit=town)
            page.goto(f"{base}/tasks/{mine.pk}/")
            page.click("#close-request button.btn-success")
            expect(page.locator("#task-status")).to_have_text("已办结")

        # 5. The city, on a phone, sees the townships closed under the district and its own light change.
        page = signed_in_page(browser, base, "supervisor", errors, viewport=PHONE)
        page.goto(f"{base}/tasks/{city.pk}/")
        expect(page.locator("#task-tree .tree-node")).to_have_count(4)
        expect(page.locator("#task-tree .tree-node[data-status=closed]")).to_have_count(2)
        expect(page.locator("#rollup")).to_have_attribute("data-light", "green")
        expect(page.locator("#rollup")).to_have_attribute("data-progress", "80")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
        page.screenshot(path=str(SCREENSHOTS / "levels-city-rollup-phone.png"), full_page=True)
    assert not errors, errors
