"""The participation flows on a phone (375 px wide, touch), as a unit clerk meets them: the cooperating unit files
its part with a photo, the lead unit asks to close with evidence, the office returns it with a reason, a leader
writes a 批示, the lead unit sees both at the top of its page. No page may scroll sideways, and every control used
is on screen and big enough to tap; the cooperating unit's home asks for its part, and the lead unit's home
shows the 批示. Screenshots go to test-results/phone-*.png."""

from __future__ import annotations

import pytest

from duban.conftest import use_data_dir
from duban.core.tests.browser import SCREENSHOTS, chromium_browser, signed_in_page
from duban.followup.tests.test_browser_participation import PNG

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
# Apple's and Google's guidance put a touch target at about 44-48 CSS px; Bootstrap's small buttons are 31.
MIN_TAP = 30


def _fits(page, what: str) -> None:
    """The page does not scroll sideways: nothing sticks out past the phone's width."""
    wide = page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > width + 1 && !el.closest('.table-responsive')) {
                out.push(el.tagName + (el.id ? '#' + el.id : '') + '.' + el.className + ' ' + Math.round(r.right));
            }
        }
        return [document.documentElement.scrollWidth, width, out.slice(0, 8)];
    }""")
    assert wide[0] <= wide[1], f"{what}: the page is {wide[0]}px wide on a {wide[1]}px phone: {wide[2]}"


def _tappable(locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TAP and box["x"] >= 0 and box["x"] + box["width"] <= 376, box


def test_participation_on_a_phone(live_server, transactional_db, settings, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    from duban.conftest import Org
    from duban.tasks.models import ProgressReport, Task

    use_data_dir(settings, tmp_path)
    org = Org()
    task = org.task_in("in_progress", title="开展燃气安全专项整治，全面排查城镇燃气管网、餐饮场所和老旧小区的燃气隐患")
    base = live_server.url
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    with chromium_browser(monkeypatch) as (browser, errors):
        # 1. The cooperating unit's clerk opens the task from the home page and files its part with a photo.
        page = signed_in_page(browser, base, "coop_staff", errors, **PHONE)
        _fits(page, "cooperating unit's home")
        asked = page.locator("#wb-coop .wb-item a")
        expect(asked).to_have_text(task.title)  # its home asks for the part
        page.screenshot(path=str(SCREENSHOTS / "phone-coop-home.png"), full_page=True)
        asked.click()
        page.wait_for_url(f"{base}/tasks/{task.pk}/#report-form")
        _fits(page, "task page for the cooperating unit")
        expect(page.locator("label[for=id_text]")).to_contain_text("配合意见")
        expect(page.locator("#id_progress_percent")).to_have_value("")  # its own part, not the lead's 30%
        page.screenshot(path=str(SCREENSHOTS / "phone-coop-task.png"), full_page=True)
        page.fill("#id_text", "配合意见：卫健部门已完成应急医疗保障演练。")
        page.fill("#id_progress_percent", "0")
        page.set_input_files("#id_files", str(photo))
        _tappable(page.locator("#report-form button[type=submit]"))
        page.click("#report-form button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("进展已报送")
        expect(page.locator(".report-thumb").first).to_be_visible()
        _fits(page, "task page after the cooperating part")
        page.goto(f"{base}/")
        expect(page.locator("#wb-coop .wb-count")).to_have_text("0")  # filed: nothing more asked

        # 2. The lead unit asks to close with evidence.
        page = signed_in_page(browser, base, "lead_staff", errors, **PHONE)
        page.goto(f"{base}/tasks/{task.pk}/")
        _fits(page, "task page for the lead unit")
        page.screenshot(path=str(SCREENSHOTS / "phone-lead-task.png"), full_page=True)
        page.fill("#id_text", "燃气隐患已全部整改完毕。")
        page.fill("#id_progress_percent", "100")
        page.check("#id_request_close")
        page.fill("#id_evidence_text", "整改前后照片")
        page.set_input_files("#id_files", str(photo))
        _tappable(page.locator("#report-form button[type=submit]"))
        page.click("#report-form button[type=submit]")
        expect(page.locator("#task-status")).to_have_text("申请办结")
        expect(page.locator("#coop-parts")).to_contain_text("市卫健委 已报送")
        _fits(page, "task page after the close request")

        # 3. The office returns it with a reason, from a phone too.
        page = signed_in_page(browser, base, "supervisor", errors, **PHONE)
        page.goto(f"{base}/tasks/{task.pk}/")
        _fits(page, "close request for the office")
        expect(page.locator("#close-request .report-thumb")).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "phone-office-close-request.png"), full_page=True)
        page.fill("#close-request input[name=reason]", "请补充验收单")
        page.click("#close-request form.d-flex button[type=submit]")
        expect(page.locator("#task-status")).to_have_text("办理中")

        # 4. A leader writes a 批示.
        page = signed_in_page(browser, base, "leader", errors, **PHONE)
        page.goto(f"{base}/tasks/{task.pk}/")
        _fits(page, "task page for a leader")
        page.fill("#comment-text", "请市应急管理局加快进度，月底前报结果。")
        _tappable(page.locator("#comment-form button[type=submit]"))
        page.click("#comment-form button[type=submit]")
        expect(page.locator("#leader-comments")).to_contain_text("月底前报结果")
        page.screenshot(path=str(SCREENSHOTS / "phone-leader-comment.png"), full_page=True)

        # 5. The lead unit's clerk sees the returned request and the 批示 at the top, and the home page's count.
        page = signed_in_page(browser, base, "lead_staff", errors, **PHONE)
        _fits(page, "lead unit's home")
        expect(page.locator("#wb-news")).to_contain_text("月底前报结果")  # the 批示 on its home
        page.screenshot(path=str(SCREENSHOTS / "phone-lead-home.png"), full_page=True)
        page.goto(f"{base}/tasks/{task.pk}/")
        expect(page.locator("#close-returned")).to_contain_text("请补充验收单")
        expect(page.locator("#leader-comments")).to_contain_text("月底前报结果")
        _fits(page, "lead unit's task page with the 批示")
        page.screenshot(path=str(SCREENSHOTS / "phone-lead-task-top.png"), full_page=True)

    assert ProgressReport.objects.filter(task=task, unit=org.health).exists()
    assert Task.objects.get(pk=task.pk).status == "in_progress"
    assert errors == []
