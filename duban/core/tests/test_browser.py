"""The whole supervision loop in real Chromium: the clerk signs in (walking the forced password change), imports
the demo communique, reviews and edits the draft ledger, confirms it; a unit signs for a task and asks to close
it; the clerk accepts; the dashboard counts it. Screenshots land in test-results/ for a human to look at."""

from __future__ import annotations

import re

import pytest

from duban.core.tests.browser import SCREENSHOTS, chromium_page, demo_people, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEW_PASSWORD = "Jiang-Zhou-2027#"


@pytest.fixture
def demo_org(transactional_db):
    demo_people(forced=("office",))  # the clerk walks the forced change in the browser


def _logout(page):
    page.click("#user-menu") if page.is_visible("#user-menu") else page.click(".navbar-toggler")
    if not page.is_visible("#logout-button"):
        page.click("#user-menu")
    page.click("#logout-button")
    page.wait_for_url(re.compile(r".*/accounts/login/.*"))


def test_supervision_loop_in_the_browser(live_server, demo_org, monkeypatch):
    from playwright.sync_api import expect

    from duban.demo.loader import DEMO_PASSWORD, demo_communique
    from duban.meetings.models import Meeting
    from duban.tasks import actions as task_actions
    from duban.tasks.models import Task, TaskStatus

    out = SCREENSHOTS
    base = live_server.url
    with chromium_page(monkeypatch) as (page, console_errors):
        page.on("dialog", lambda dialog: dialog.accept())

        # 1. The clerk signs in and must first set a password of their own.
        sign_in(page, base, "office", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/accounts/password/")
        expect(page.locator("#password-policy")).to_contain_text("至少10位")
        page.fill("#id_old_password", DEMO_PASSWORD)
        page.fill("#id_new_password1", NEW_PASSWORD)
        page.fill("#id_new_password2", NEW_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/")
        expect(page.locator(".alert-success")).to_contain_text("密码已修改")

        # 2. Paste the demo communique.
        page.goto(f"{base}/meetings/import/")
        page.fill("#id_text", demo_communique())
        page.click("#import-submit")
        page.wait_for_url(re.compile(r".*/meetings/\d+/$"))
        meeting = Meeting.objects.get()
        expect(page.locator("#meeting-facts")).to_contain_text("许文博")
        expect(page.locator("#meeting-facts")).to_contain_text("2026年11月10日")
        drafts = Task.objects.filter(meeting=meeting, status=TaskStatus.DRAFT)
        n_tasks = drafts.count()
        assert page.locator("#source-text mark").count() == n_tasks > 20

        # 3. Edit one task's lead unit inline (HTMX).
        first = drafts.order_by("seq").first()
        row = page.locator(f"#task-row-{first.pk}")
        row.get_by_role("button", name="编辑").click()
        form = page.locator(f"#task-row-{first.pk} form")
        form.locator("select[name=lead_unit]").select_option(label="市应急管理局")
        form.get_by_role("button", name="保存").click()
        expect(page.locator(f"#task-row-{first.pk} .task-lead")).to_have_text("市应急管理局")
        first.refresh_from_db()
        assert first.lead_unit.name == "市应急管理局"

        # 4. Confirming with units missing names them; once filled, it assigns everything.
        missing = list(drafts.filter(lead_unit__isnull=True))
        if missing:
            page.click("#confirm-button")
            expect(page.locator(".alert-danger")).to_contain_text("未指定牵头单位")
            from duban.core.models import Unit
            from django.contrib.auth import get_user_model

            office = get_user_model().objects.get(username="office")
            fallback = Unit.objects.get(name="市政府办公室")
            for task in missing:
                task_actions.task_update(actor=office, task_id=task.pk, version=task.version,
                                         changes={"lead_unit_id": fallback.pk})
            page.reload()
        page.click("#confirm-button")
        # Most of the demo's directives name no deadline: 确认交办 lists them and asks once.
        expect(page.locator("#missing-deadlines")).to_be_visible()
        page.click("#confirm-without-deadline")
        expect(page.locator("#meeting-status")).to_have_text("已确认")
        assert not Task.objects.filter(meeting=meeting, status=TaskStatus.DRAFT).exists()
        _logout(page)

        # 5. The unit signs for its task and reports with a close request.
        sign_in(page, base, "safety.staff", DEMO_PASSWORD)
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/tasks/")
        own = Task.objects.filter(meeting=meeting, lead_unit__name="市应急管理局").count()
        coop = Task.objects.filter(meeting=meeting, coop_units__name="市应急管理局").exclude(
            lead_unit__name="市应急管理局").count()
        assert page.locator("#task-table tbody tr").count() == own + coop < n_tasks
        page.get_by_role("link", name=first.title, exact=True).click()
        page.click("#accept-button")
        expect(page.locator("#task-status")).to_have_text("已签收")
        page.fill("#id_text", "已开展冬季安全生产大检查，重大隐患全部挂牌督办并完成整改。")
        page.fill("#id_progress_percent", "100")
        page.check("#id_request_close")
        page.fill("#id_evidence_text", "整改台账及现场照片已归档。")
        page.click("#report-form button[type=submit]")
        expect(page.locator("#task-status")).to_have_text("申请办结")

        phone = page.context.browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                              locale="zh-CN")
        phone.context.add_cookies(page.context.cookies())
        phone.goto(f"{base}/tasks/")
        expect(phone.locator(".navbar-toggler")).to_be_visible()
        phone.screenshot(path=str(out / "tasks-mobile.png"), full_page=True)
        phone.close()
        _logout(page)

        # 6. The clerk accepts the close request.
        sign_in(page, base, "office", NEW_PASSWORD)
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/tasks/reports/pending/")
        page.locator("#pending-reports .list-group-item").filter(has_text=first.title).get_by_role(
            "button", name="同意办结").click()
        expect(page.locator(".alert-success")).to_contain_text("已办结销号")
        first.refresh_from_db()
        assert first.status == TaskStatus.CLOSED

        # 7. The dashboard counts it, in figures and charts.
        page.goto(f"{base}/")
        expect(page.locator("#stat-closed")).to_have_text("1")
        expect(page.locator("#stat-total")).to_have_text(str(n_tasks))
        expect(page.locator("#chart-area canvas")).to_have_count(1)
        expect(page.locator("#chart-unit canvas")).to_have_count(1)
        page.wait_for_timeout(600)  # let the chart animation settle before the picture
        page.screenshot(path=str(out / "dashboard.png"), full_page=True)
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
