"""Everyone takes part, in real Chromium: the cooperating unit files its part with a photo, the lead unit asks to
close with evidence and sees the cooperating part counted, the office sees the photo inline and returns the request,
the lead unit sees why at the top of its page; a leader writes a 批示 with an earlier deadline, marks the task
重点关注 and finds it on the watch list; the office confirms the deadline. Screenshots go to test-results/."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import use_data_dir
from duban.core.tests.browser import SCREENSHOTS, chromium_browser, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A real 1x1 PNG, so the browser can draw the thumbnail.
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def test_everyone_takes_part_in_the_browser(live_server, transactional_db, settings, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    from duban.conftest import Org
    from duban.tasks.models import ProgressReport, Task

    use_data_dir(settings, tmp_path)
    org = Org()
    task = org.task_in("in_progress")
    base = live_server.url
    photo = tmp_path / "现场照片.png"
    photo.write_bytes(PNG)
    with chromium_browser(monkeypatch) as (browser, errors):
        # 1. The cooperating unit files its part with a photo.
        page = signed_in_page(browser, base, "coop_staff", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        page.fill("#id_text", "配合意见：卫健部门已完成应急医疗保障演练。")
        page.fill("#id_progress_percent", "0")
        page.set_input_files("#id_files", str(photo))
        page.click("#report-form button[type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("进展已报送")
        expect(page.locator(".report-thumb").first).to_be_visible()

        # 2. The lead unit asks to close with evidence; the close request counts the cooperating part.
        page = signed_in_page(browser, base, "lead_staff", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        assert page.locator("form[action$='/close-request/']").count() == 0  # one way to ask: the report form
        page.fill("#id_text", "燃气隐患已全部整改完毕。")
        page.fill("#id_progress_percent", "100")
        page.check("#id_request_close")
        page.fill("#id_evidence_text", "整改前后照片")
        page.set_input_files("#id_files", str(photo))
        page.click("#report-form button[type=submit]")
        expect(page.locator("#task-status")).to_have_text("申请办结")
        expect(page.locator("#coop-parts")).to_contain_text("市卫健委 已报送")

        # 3. The office sees the evidence inline and returns the request with a reason.
        page = signed_in_page(browser, base, "supervisor", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        thumb = page.locator("#close-request .report-thumb")
        expect(thumb).to_be_visible()
        # the image really loaded (visible comes before loaded); a wait with the page's timeout, never forever
        page.wait_for_function("img => img.complete && img.naturalWidth === 1", arg=thumb.element_handle())
        page.screenshot(path=str(SCREENSHOTS / "participate-close-request.png"), full_page=True)
        page.fill("#close-request input[name=reason]", "请补充验收单")
        page.click("#close-request form.d-flex button[type=submit]")
        expect(page.locator("#task-status")).to_have_text("办理中")

        page = signed_in_page(browser, base, "lead_staff", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        expect(page.locator("#close-returned")).to_contain_text("请补充验收单")

        # 4. A leader writes a 批示 with an earlier deadline: the task is then on their 重点关注 (they are told what
        # becomes of it), which the toggle shows and can undo.
        earlier = Task.objects.get(pk=task.pk).deadline - dt.timedelta(days=3)
        page = signed_in_page(browser, base, "leader", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        expect(page.locator("#watch-toggle")).not_to_contain_text("已重点关注")
        page.fill("#comment-text", "请市应急管理局加快进度，提前报结果。")
        page.fill("#comment-deadline", earlier.isoformat())
        page.click("#comment-form button[type=submit]")
        expect(page.locator("#leader-comments")).to_contain_text("待督查室确认")
        expect(page.locator("#watch-toggle")).to_contain_text("已重点关注")
        page.click("#watch-toggle")
        expect(page.locator("#watch-toggle")).not_to_contain_text("已重点关注")
        page.click("#watch-toggle")
        expect(page.locator("#watch-toggle")).to_contain_text("已重点关注")
        page.goto(f"{base}/followup/watchlist/")
        expect(page.locator("#watch-list")).to_contain_text(task.title)
        expect(page.locator("#watch-list [data-light]")).to_have_count(1)

        # 5. The office confirms the deadline; the lead unit sees the 批示 at the top of its page.
        page = signed_in_page(browser, base, "supervisor", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        page.click("#leader-comments button.btn-success")
        expect(page.locator("#leader-comments")).to_contain_text("已确认")
        page = signed_in_page(browser, base, "lead_staff", errors)
        page.goto(f"{base}/tasks/{task.pk}/")
        expect(page.locator("#leader-comments")).to_contain_text("提前报结果")
        page.screenshot(path=str(SCREENSHOTS / "participate-task-top.png"), full_page=True)

    assert Task.objects.get(pk=task.pk).deadline == earlier
    assert ProgressReport.objects.filter(task=task, unit=org.health).exists()
    assert errors == []
