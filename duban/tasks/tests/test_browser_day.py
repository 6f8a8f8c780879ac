"""The clerk's and the units' working day in real Chromium. Pictures the user guide (docs/guide/) shows are taken
here on every run, so they never go stale."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from duban.conftest import PASSWORD, REPO_DIR, require_tool
from duban.core.tests.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GUIDE_IMAGES = REPO_DIR / "docs" / "guide" / "img"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}


@pytest.fixture
def chromium(monkeypatch):
    require_tool(CHROMIUM.exists(), "chromium")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are plain reads.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_org(live_server, transactional_db):
    from duban.conftest import Org

    return Org()


def open_as(browser, base: str, username: str, *, viewport=DESK):
    """A new browser window signed in as ``username`` through the sign-in page."""
    page = browser.new_page(viewport=viewport, locale="zh-CN")
    page.set_default_timeout(15000)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, username)
    page.wait_for_url(re.compile(re.escape(base) + r"/(\?.*)?$"))
    return page


def sign_in(page, base: str, username: str, *, path: str = "/accounts/login/"):
    if path:
        page.goto(base + path)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")


def picture(page, name: str) -> None:
    """A screenshot for the user guide."""
    GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let transitions settle
    page.screenshot(path=str(GUIDE_IMAGES / name), full_page=True)


def test_editing_only_the_title_keeps_the_deadline(chromium, live_server, live_org):
    from playwright.sync_api import expect

    from duban.tasks.models import Task

    deadline = dt.date.today() + dt.timedelta(days=45)
    task = live_org.task_in("accepted", deadline=deadline)
    page = open_as(chromium, live_server.url, "supervisor")
    page.goto(f"{live_server.url}/tasks/{task.pk}/edit/")
    expect(page.locator("#id_deadline")).to_have_value(deadline.isoformat())
    page.fill("#id_title", "排查整治燃气安全隐患（修订）")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{live_server.url}/tasks/{task.pk}/")
    task = Task.objects.get(pk=task.pk)
    assert task.title == "排查整治燃气安全隐患（修订）"
    assert task.deadline == deadline


def draft_meeting(org):
    """The demo communique imported as a draft ledger by the office."""
    from duban.demo.loader import demo_communique
    from duban.meetings.actions import extract_upload, meeting_import

    extracted, text = extract_upload(text=demo_communique())
    return meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)


def _expire_sessions():
    from django.contrib.sessions.models import Session

    Session.objects.all().delete()


def test_a_report_typed_before_the_session_expired_is_sent_after_signing_in(chromium, live_server, live_org):
    from playwright.sync_api import expect

    task = live_org.task_in("accepted")
    base = live_server.url
    page = open_as(chromium, base, "lead_staff", viewport=PHONE)
    page.goto(f"{base}/tasks/{task.pk}/")
    text = "已组织全市燃气场所拉网式排查，发现隐患12处，已整改9处。"
    page.fill("#id_text", text)
    page.fill("#id_progress_percent", "60")
    _expire_sessions()  # the clerk went to a meeting; the session died meanwhile
    page.click("#report-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*"))
    assert "405" not in page.content()
    sign_in(page, base, "lead_staff", path="")
    page.wait_for_url(f"{base}/tasks/{task.pk}/")
    expect(page.locator("#id_text")).to_have_value(text)
    expect(page.locator("#id_progress_percent")).to_have_value("60")
    expect(page.locator(".draft-restored")).to_be_visible()
    picture(page, "unit-draft-restored.png")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#task-status")).to_have_text("办理中")
    report = task.reports.get()
    assert (report.text, report.progress_percent) == (text, 60)
    # Sent: the browser forgets the draft, the next visit starts empty.
    page.goto(f"{base}/tasks/{task.pk}/")
    expect(page.locator("#id_text")).to_have_value("")
    expect(page.locator(".draft-restored")).to_have_count(0)
    # The same for the 申请延期 form of the follow-up section.
    page.fill("#ext-reason", "涉及跨区协调，需延长工期")
    _expire_sessions()
    page.fill("#ext-date", (dt.date.today() + dt.timedelta(days=120)).isoformat())
    page.click("#extension-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*"))
    sign_in(page, base, "lead_staff", path="")
    page.wait_for_url(f"{base}/tasks/{task.pk}/")
    expect(page.locator("#ext-reason")).to_have_value("涉及跨区协调，需延长工期")
    page.click("#extension-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("延期申请已提交")
    assert task.extension_requests.get().reason == "涉及跨区协调，需延长工期"


def test_an_inline_edit_after_expiry_goes_to_sign_in_not_into_the_row(chromium, live_server, live_org):
    from django.urls import reverse

    meeting_id = draft_meeting(live_org).pk
    base = live_server.url
    page = open_as(chromium, base, "supervisor")
    page.goto(base + reverse("meetings:detail", args=[meeting_id]))
    row = page.locator("tr[id^=task-row-]").first
    _expire_sessions()
    row.get_by_role("button", name="编辑").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=%2Fmeetings%2F" + str(meeting_id) + r"%2F$"))
    assert page.locator("tr[id^=task-row-]").count() == 0
    sign_in(page, base, "supervisor", path="")
    page.wait_for_url(base + reverse("meetings:detail", args=[meeting_id]))


DAY_TEXT = ("2026年12月1日，市委书记许文博主持召开市委常委会会议。\n"
            "会议强调，要全面排查整治燃气安全隐患，市应急管理局牵头，2027年3月底前完成。\n"
            "会议要求，要加强冬春季传染病防控，市卫健委要做好药品储备。\n"
            "会议指出，要抓好校园安全，市教育局牵头。\n"
            "会议强调，要做好冬季安全生产工作，市应急管理局牵头，市卫健委配合。\n")


def test_a_working_day(chromium, live_server, live_org):
    """Office 交办 with the missing-deadline warning → the unit signs and reports from a phone → the office 改派
    one task, 调整时限 of another, 催办 a third → the unit sees each in its 工作台 → the office approves a close
    request from its 工作台. The pictures of the user guide are taken on the way."""
    from playwright.sync_api import expect

    from duban.meetings.actions import extract_upload, meeting_import
    from duban.tasks.models import Task, TaskStatus

    org, base = live_org, live_server.url
    extracted, text = extract_upload(text=DAY_TEXT)
    meeting = meeting_import(actor=org.supervisor, extracted=extracted, source_text=text)
    gas, epidemic, school, winter = Task.objects.filter(meeting=meeting).order_by("seq")
    assert gas.deadline is not None and epidemic.deadline is None and school.deadline is None
    in_30 = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    in_60 = (dt.date.today() + dt.timedelta(days=60)).isoformat()

    # 1. The office reviews the draft ledger: rows without a deadline are marked; two rows get a lead unit and a
    #    deadline in one go; 确认交办 names the row still without one and gives it a deadline.
    office = open_as(chromium, base, "supervisor")
    office.goto(f"{base}/meetings/{meeting.pk}/")
    expect(office.locator("#draft-table .no-deadline")).to_have_count(3)
    picture(office, "office-draft-ledger.png")
    for task in (epidemic, winter):
        office.check(f"#task-row-{task.pk} input[name=task_ids]")
    office.click("#bulk-edit summary")
    office.fill("#bulk-deadline", in_30)
    office.select_option("#bulk-lead", label="市应急管理局")
    office.click("#bulk-apply")
    expect(office.locator(".alert-success")).to_contain_text("已批量修改 2 项")
    office.click("#confirm-button")
    expect(office.locator("#missing-deadline-list li")).to_have_count(1)
    expect(office.locator("#missing-deadline-list")).to_contain_text(school.title)
    picture(office, "office-confirm-missing-deadlines.png")
    office.fill("#confirm-deadline", in_60)
    office.click("#confirm-with-deadline")
    expect(office.locator("#meeting-status")).to_have_text("已确认")
    assert set(Task.objects.filter(meeting=meeting).values_list("status", flat=True)) == {TaskStatus.ASSIGNED}
    assert not Task.objects.filter(meeting=meeting, deadline__isnull=True).exists()

    # 2. The unit, on a phone: its 工作台 lists what to sign; it signs three tasks, reports on one and asks to close
    #    another.
    unit = open_as(chromium, base, "lead_staff", viewport=PHONE)
    expect(unit.locator("#wb-to_sign .wb-item")).to_have_count(3)
    expect(unit.locator("#workbench-badge")).not_to_have_text("")
    picture(unit, "unit-workbench-phone.png")
    for task in (gas, epidemic, winter):
        unit.goto(f"{base}/")
        unit.locator("#wb-to_sign .wb-item a", has_text=task.title).click()
        unit.click("#accept-button")
        expect(unit.locator("#task-status")).to_have_text("已签收")
    unit.goto(f"{base}/tasks/{gas.pk}/")
    unit.fill("#id_text", "已完成全市燃气场所第一轮排查，建立隐患清单。")
    unit.fill("#id_progress_percent", "40")
    picture(unit, "unit-task-report-phone.png")
    unit.click("#report-form button[type=submit]")
    expect(unit.locator("#task-status")).to_have_text("办理中")
    unit.goto(f"{base}/tasks/{winter.pk}/")
    unit.fill("#id_text", "冬季安全生产大检查已完成，问题全部整改到位。")
    unit.fill("#id_progress_percent", "100")
    unit.check("#id_request_close")
    unit.fill("#id_evidence_text", "检查记录和整改台账已归档")  # a close request carries its evidence
    unit.click("#report-form button[type=submit]")
    expect(unit.locator("#task-status")).to_have_text("申请办结")

    # 3. The office: 改派 of the school task to the unit, 调整时限 of the gas task, 催办 of the epidemic task.
    office.goto(f"{base}/tasks/{school.pk}/")
    office.click("#reassign-panel summary")
    office.select_option("#reassign-lead", label="市应急管理局")
    office.fill("#reassign-reason", "校园燃气安全由应急管理局统筹")
    picture(office, "office-task-actions.png")
    office.click("#reassign-submit")
    expect(office.locator(".alert-success")).to_contain_text("已改派")
    office.goto(f"{base}/tasks/{gas.pk}/")
    office.click("#deadline-panel summary")
    office.fill("#adjust-deadline", in_60)
    office.fill("#adjust-reason", "与全省专项行动同步")
    office.click("#deadline-submit")
    expect(office.locator(".alert-success")).to_contain_text("时限已调整")
    office.goto(f"{base}/tasks/{epidemic.pk}/")
    office.click("#urge-panel summary")
    office.fill("#urge-message", "请于本周五前报送药品储备情况")
    office.click("#urge-submit")
    expect(office.locator(".alert-success")).to_contain_text("已催办")
    expect(office.locator("#reminder-list")).to_contain_text("请于本周五前报送药品储备情况")

    # 4. The unit sees each in its 工作台.
    unit.goto(f"{base}/")
    news = unit.locator("#wb-news")
    expect(news).to_contain_text("督办事项改派：" + school.title)
    expect(news).to_contain_text("办理时限调整：" + gas.title)
    expect(news).to_contain_text("督查室催办：" + epidemic.title)
    expect(unit.locator("#wb-to_sign")).to_contain_text(school.title)
    picture(unit, "unit-workbench-news-phone.png")

    # 5. The office approves the close request from its 工作台.
    office.goto(f"{base}/")
    item = office.locator("#wb-reports .wb-item", has_text=winter.title)
    expect(item.locator(".badge")).to_have_text("申请办结")
    picture(office, "office-workbench.png")
    item.get_by_role("button", name="同意办结").click()
    office.wait_for_url(f"{base}/")
    expect(office.locator(".alert-success")).to_contain_text("已同意办结")
    assert Task.objects.get(pk=winter.pk).status == TaskStatus.CLOSED
    expect(office.locator("#wb-reports")).not_to_contain_text(winter.title)

    # The leader's and the administrator's pages, for the guide.
    leader = open_as(chromium, base, "leader")
    expect(leader.locator("#wb-red-summary")).to_be_visible()
    picture(leader, "leader-workbench.png")
    admin = open_as(chromium, base, "sysadmin")
    admin.goto(f"{base}/followup/deliveries/")
    picture(admin, "admin-deliveries.png")
