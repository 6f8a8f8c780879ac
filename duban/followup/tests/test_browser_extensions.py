"""The office clerk's 待审批延期 in a browser, on a phone (390 px) and on a desk (1366 px): from the 工作台's “全部 N 项”
to the list of every request waiting, which never scrolls sideways, whose decision buttons are on screen, and where
a request is approved (after the confirmation) and the list comes back without it. Screenshots go to
test-results/extensions-*.png."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import use_data_dir
from duban.core.tests.browser import SCREENSHOTS, chromium_browser, signed_in_page
from duban.followup.tests.test_browser_phone import _fits

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
              "has_touch": True, "locale": "zh-CN"},
    "desk": {"viewport": {"width": 1366, "height": 900}, "locale": "zh-CN"},
}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_office_decides_the_waiting_extension_requests_from_their_list(live_server, transactional_db, settings,
                                                                           tmp_path, monkeypatch, size):
    from playwright.sync_api import expect

    from duban.conftest import Org
    from duban.followup import actions
    from duban.followup.models import ExtensionRequest, ExtensionStatus
    from duban.workbench.selectors import SHOWN

    use_data_dir(settings, tmp_path)
    org = Org()
    today = dt.date.today()
    asked = []
    for i in range(SHOWN + 2):  # more than the 工作台 shows
        task = org.task_in("accepted", title=f"开展城镇燃气管网、餐饮场所和老旧小区燃气隐患排查整治（第{i + 1}批）")
        asked.append(actions.extension_request(
            actor=org.lead_staff, task_id=task.pk, new_deadline=today + dt.timedelta(days=120 + i),
            reason="涉及老旧小区管网改造，须待汛期结束后施工，施工单位招标尚未完成，申请顺延办理时限"))
    with chromium_browser(monkeypatch) as (browser, errors):
        page = signed_in_page(browser, live_server.url, "supervisor", errors, **SIZES[size])
        more = page.locator("#wb-extensions .wb-more")
        expect(more).to_have_text(f"全部 {len(asked)} 项")
        more.click()
        page.wait_for_url(f"{live_server.url}/followup/extensions/")
        expect(page.locator(".extension-pending")).to_have_count(len(asked))
        _fits(page, f"待审批延期 ({size})")
        page.screenshot(path=str(SCREENSHOTS / f"extensions-{size}.png"), full_page=False)
        first = page.locator(f"#extension-{asked[0].pk}")
        approve = first.get_by_role("button", name="批准延期")
        box = approve.bounding_box()
        width = SIZES[size]["viewport"]["width"]
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        page.once("dialog", lambda dialog: dialog.accept())
        approve.click()
        expect(page.locator(".alert-success")).to_contain_text("已批准延期")
        page.wait_for_url(f"{live_server.url}/followup/extensions/")
        expect(page.locator(".extension-pending")).to_have_count(len(asked) - 1)
        assert ExtensionRequest.objects.get(pk=asked[0].pk).status == ExtensionStatus.APPROVED
    assert not errors, errors
