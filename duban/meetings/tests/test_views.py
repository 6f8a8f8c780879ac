"""Meeting pages through the test client: import (paste, upload, duplicate, bad files), review, edit, confirm."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from duban.conftest import login
from duban.core.models import AuditEvent
from duban.demo.loader import demo_communique
from duban.meetings.models import Meeting, MeetingStatus
from duban.tasks.models import Task, TaskStatus

pytestmark = pytest.mark.django_db

SHORT = ("2026年3月2日，市委书记许文博主持召开市委常委会会议。\n"
         "会议强调，要全面排查整治燃气安全隐患，市应急管理局要牵头开展专项检查，3月底前完成。\n"
         "会议要求，要加强冬春季传染病防控，市卫健委要做好药品储备。\n")


def _import(client, text=SHORT, **extra):
    return client.post("/meetings/import/", {"text": text, **extra})


@pytest.mark.parametrize("role,status", [("sysadmin", 200), ("supervisor", 200), ("leader", 403),
                                         ("lead_staff", 403), ("other_staff", 403)])
def test_import_page_is_for_the_office(client, org, role, status):
    login(client, org.roles()[role])
    assert client.get("/meetings/import/").status_code == status
    assert client.get("/meetings/").status_code == 200


def test_paste_import_makes_a_draft_and_shows_it_for_review(client, org):
    login(client, org.supervisor)
    response = _import(client)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    assert meeting.status == MeetingStatus.DRAFT and meeting.source_name == "粘贴文本"
    tasks = list(Task.objects.filter(meeting=meeting).order_by("seq"))
    assert len(tasks) == 2
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "许文博" in page and "确认交办" in page
    for task in tasks:
        span = meeting.source_text[task.source_start:task.source_end]
        assert f'<mark id="span-{task.pk}"><span class="span-no">{task.seq}</span>{span}</mark>' in page
    assert page.count('id="task-row-') == 2


def test_source_text_is_escaped(client, org):
    login(client, org.supervisor)
    _import(client, SHORT + "<script>alert(1)</script>\n")
    meeting = Meeting.objects.get()
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_duplicate_import_asks_first(client, org):
    login(client, org.supervisor)
    _import(client)
    events = AuditEvent.objects.count()
    response = _import(client)
    assert response.status_code == 409
    body = response.content.decode()
    assert "该通报已导入过" in body and "确认再导入一次" in body
    assert Meeting.objects.count() == 1 and AuditEvent.objects.count() == events
    response = _import(client, allow_duplicate="True", source_name="粘贴文本")
    assert response.status_code == 302
    assert Meeting.objects.count() == 2


def test_upload_docx_and_txt(client, org):
    import docx

    login(client, org.supervisor)
    doc = docx.Document()
    for line in SHORT.splitlines():
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    upload = SimpleUploadedFile("常委会通报.docx", buf.getvalue())
    assert client.post("/meetings/import/", {"upload": upload}).status_code == 302
    assert Meeting.objects.get().source_name == "常委会通报.docx"
    gbk = SimpleUploadedFile("gbk.txt", SHORT.replace("3月2日", "3月3日").encode("gb18030"))
    assert client.post("/meetings/import/", {"upload": gbk}).status_code == 302
    assert Meeting.objects.count() == 2


@pytest.mark.parametrize("name,data", [("bad.txt", bytes(range(256)) * 8), ("empty.txt", b""),
                                       ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
                                       ("fake.docx", b"not a zip at all")])
def test_bad_upload_shows_error_and_writes_nothing(client, org, name, data):
    login(client, org.supervisor)
    events = AuditEvent.objects.count()
    response = client.post("/meetings/import/", {"upload": SimpleUploadedFile(name, data)})
    assert response.status_code == 200
    assert 'id="import-error"' in response.content.decode()
    assert Meeting.objects.count() == 0 and Task.objects.count() == 0 and AuditEvent.objects.count() == events


def test_nothing_pasted_and_no_directive(client, org):
    login(client, org.supervisor)
    assert "请粘贴通报文本或上传文件" in _import(client, "  ").content.decode()
    assert 'id="import-error"' in _import(client, "今天天气很好。").content.decode()
    assert Meeting.objects.count() == 0


def test_confirm_lists_tasks_without_lead_then_assigns(client, org):
    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    for task in Task.objects.filter(meeting=meeting):
        task.lead_unit = None
        task.save(update_fields=["lead_unit"])
    response = client.post(f"/meetings/{meeting.pk}/confirm/", follow=True)
    assert "以下事项未指定牵头单位" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.DRAFT
    Task.objects.filter(meeting=meeting).update(lead_unit=org.safety)
    response = client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"}, follow=True)
    assert "已确认交办" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CONFIRMED
    assert set(Task.objects.filter(meeting=meeting).values_list("status", flat=True)) == {TaskStatus.ASSIGNED}
    assert 'id="confirm-button"' not in response.content.decode()


def test_merge_selected_tasks(client, org):
    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    ids = list(Task.objects.filter(meeting=meeting).order_by("seq").values_list("id", flat=True))
    response = client.post(f"/meetings/{meeting.pk}/merge/", {"task_ids": ids}, follow=True)
    assert "已将 2 项合并" in response.content.decode()
    assert Task.objects.filter(meeting=meeting, status=TaskStatus.DRAFT).count() == 1
    response = client.post(f"/meetings/{meeting.pk}/merge/", {"task_ids": ids[:1]}, follow=True)
    assert "至少选择两项" in response.content.decode()


def test_unit_users_do_not_see_drafts_and_see_their_confirmed_tasks(client, org):
    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    login(client, org.lead_staff)
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 404
    login(client, org.supervisor)
    Task.objects.filter(meeting=meeting).update(lead_unit=org.safety)
    client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"})
    login(client, org.lead_staff)
    page = client.get(f"/meetings/{meeting.pk}/")
    assert page.status_code == 200 and 'id="confirm-button"' not in page.content.decode()
    login(client, org.other_staff)
    assert client.get(f"/meetings/{meeting.pk}/").status_code == 404
    assert client.post(f"/meetings/{meeting.pk}/confirm/").status_code == 404


def test_a_confirmed_meeting_shows_each_task_in_the_task_list_row(client, org):
    """The same row as on the task list (units, area, deadline, status and light, progress), tied to its sentence
    in the communique and without the meeting's title, which the page already shows."""
    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    Task.objects.filter(meeting=meeting).update(lead_unit=org.safety, area=org.area_safety)
    Task.objects.get(meeting=meeting, seq=1).coop_units.set([org.health])
    client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"})
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    listed = client.get(f"/tasks/?meeting={meeting.pk}").content.decode()
    tied = dict(re.findall(r'<tr data-span-for="(\d+)">(.*?)</tr>', page, re.S))
    plain = {re.search(r'href="/tasks/(\d+)/"', row)[1]: row for row in re.findall(r"<tr>(.*?)</tr>", listed, re.S)
             if 'href="/tasks/' in row}
    ids = {str(pk) for pk in Task.objects.filter(meeting=meeting).values_list("pk", flat=True)}
    assert set(tied) == set(plain) == ids and len(ids) == 2
    title_line = f'<div class="small text-muted">{meeting.title}</div>'
    for pk, row in tied.items():
        assert title_line in plain[pk] and title_line not in row
        assert row == plain[pk].replace(title_line, "")
    assert "配合：市卫健委" in page and "安全生产" in page and "data-span-for" not in listed


def test_demo_communique_imports(client, org):
    login(client, org.supervisor)
    assert _import(client, demo_communique()).status_code == 302
    meeting = Meeting.objects.get()
    assert meeting.date.isoformat() == "2026-11-10"
    assert Task.objects.filter(meeting=meeting).count() > 20


UNDATED = SHORT.replace("2026年3月2日", "3月2日").replace("3月底前完成", "年底前完成")


def test_import_without_a_year_asks_for_it_prefilled_and_says_what_it_cannot_date(client, org):
    from duban.tasks.selectors import today_local

    login(client, org.supervisor)
    response = _import(client, UNDATED)
    page = response.content.decode()
    assert response.status_code == 200 and Meeting.objects.count() == 0
    assert "通报未写会议年份" in page and "年底前" in page
    assert f'value="{today_local().year}"' in page and 'name="year_asked" value="True"' in page
    response = _import(client, UNDATED, year="2025", year_asked="True")
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and meeting.date.isoformat() == "2025-03-02"
    assert {t.deadline.isoformat() for t in meeting.tasks.exclude(deadline_text="")} == {"2025-12-31"}


def test_import_after_asking_without_a_year_then_set_the_date_on_the_meeting_page(client, org):
    login(client, org.supervisor)
    _import(client, UNDATED, year_asked="True")
    meeting = Meeting.objects.get()
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert 'id="undated-note"' in page and "1 项时限无法推算日期：年底前" in page
    response = client.post(f"/meetings/{meeting.pk}/date/", {"date": "2025-03-02", "version": meeting.version})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.date.isoformat() == "2025-03-02"
    assert meeting.tasks.get(deadline_text="年底前").deadline.isoformat() == "2025-12-31"
    assert 'id="undated-note"' not in client.get(f"/meetings/{meeting.pk}/").content.decode()


def test_a_confirmed_meeting_lists_its_tasks_fifty_a_page_at_the_same_cost(client, org):
    """A seeded province gives a meeting 1,600 tasks: its table is paged like the task list (50 a page), and a
    page costs the same queries however many tasks the meeting has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    Task.objects.filter(meeting=meeting).update(lead_unit=org.safety)
    client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"})
    first = Task.objects.filter(meeting=meeting).order_by("seq").first()

    def add(n: int, start: int) -> None:
        Task.objects.bulk_create([Task(title=f"追加事项{i}", text="要落实。", meeting=meeting, seq=start + i,
                                       status=TaskStatus.ASSIGNED, lead_unit=org.safety, created_by=org.supervisor,
                                       assigned_at=first.assigned_at) for i in range(n)])

    def shown(url: str) -> tuple[list[str], int]:
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url).content.decode()
        return re.findall(r'<tr data-span-for="(\d+)">', page), len(ctx.captured_queries)

    add(53, 100)  # 55 in all
    rows, queries = shown(f"/meetings/{meeting.pk}/")
    assert len(rows) == 50 and rows[0] == str(first.pk)
    rest, _ = shown(f"/meetings/{meeting.pk}/?page=2")
    assert len(rest) == 5 and not set(rows) & set(rest)
    assert "共 55 条" in client.get(f"/meetings/{meeting.pk}/").content.decode()
    add(100, 200)
    assert shown(f"/meetings/{meeting.pk}/")[1] == queries


def _edit(client, task, **changes):
    data = {"version": task.version, "title": task.title, "text": task.text, "area": task.area_id or "",
            "lead_unit": task.lead_unit_id or "", "deadline": task.deadline.isoformat() if task.deadline else "",
            "coop_units": list(task.coop_units.values_list("pk", flat=True)), **changes}
    return client.post(f"/tasks/{task.pk}/edit/", data, HTTP_HX_REQUEST="true")


def test_split_keeps_the_name_the_clerk_gave_and_numbers_the_second_part_next(client, org):
    """拆分 after the clerk corrected a row's name: the first part keeps her name (it is what gets issued), the
    second part is named from its own text, and the rows are numbered in order without two rows sharing a number
    (the second part right after the first, the rows below it one further)."""
    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    first, below = Task.objects.filter(meeting=meeting).order_by("seq")
    assert _edit(client, first, title="开展燃气安全专项检查").status_code == 200
    first.refresh_from_db()
    assert first.title == "开展燃气安全专项检查"
    at = first.text.index("市应急管理局")
    response = client.post(f"/tasks/{first.pk}/split/", {"at": at}, follow=True)
    page = response.content.decode()
    first.refresh_from_db()
    below.refresh_from_db()
    second = Task.objects.filter(meeting=meeting).order_by("-id").first()
    assert first.title == "开展燃气安全专项检查"
    assert "开展燃气安全专项检查" in page
    assert second.title and second.title != first.title and second.title in second.text
    assert (first.seq, second.seq, below.seq) == (1, 2, 3)
    assert re.findall(r'<a href="#span-\d+">(\d+)</a>', page) == ["1", "2", "3"]


def test_split_of_a_row_named_by_the_import_names_both_parts_from_their_text(client, org):
    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    first = Task.objects.filter(meeting=meeting).order_by("seq").first()
    at = first.text.index("市应急管理局")
    client.post(f"/tasks/{first.pk}/split/", {"at": at})
    first.refresh_from_db()
    second = Task.objects.filter(meeting=meeting).order_by("-id").first()
    assert first.title in first.text[:at] and second.title in second.text


def test_a_meetings_count_is_of_its_own_items_not_of_the_sub_tasks_they_were_split_into(client, org):
    """/meetings/ counts a meeting's 决定事项: a task split into sub-tasks (分解下达) is still one item, its
    sub-tasks are shown apart. A unit that holds only a sub-task counts that one as its item of the meeting."""
    from duban.meetings import selectors
    from duban.tasks import actions as task_actions

    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    gas, epidemic = Task.objects.filter(meeting=meeting).order_by("seq")
    Task.objects.filter(pk=gas.pk).update(lead_unit=org.safety, deadline=None)
    Task.objects.filter(pk=epidemic.pk).update(lead_unit=org.health)
    client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"})
    gas.refresh_from_db()
    task_actions.task_decompose(actor=org.supervisor, task_id=gas.pk, version=gas.version,
                                parts=[{"lead_unit_id": org.child.pk}, {"lead_unit_id": org.other.pk}])
    assert Task.objects.filter(meeting=meeting).count() == 4

    def counted(user):
        m = selectors.meeting_list(viewer=user).get(pk=meeting.pk)
        return m.task_count, m.subtask_count

    assert counted(org.supervisor) == (2, 2)
    assert counted(org.lead_staff) == (1, 1)  # its task and the part under it
    assert counted(org.other_staff) == (1, 0)  # only its part, which is its item of the meeting
    row = re.search(r"<tr>.*?</tr>", client.get("/meetings/").content.decode().split("<tbody>")[1], re.S)[0]
    assert re.findall(r'<td class="text-end">(\d+)', row) == ["2", "0"]
    assert "子任务 2" in row


def test_an_inline_edit_updates_the_drafts_counts_with_the_row(client, org):
    """The line above the draft ledger ("共 N 项，M 项未设时限") follows an inline edit at once: the row's answer
    carries the counts for HTMX to swap in place (out of band), without reloading the page."""
    import datetime as dt

    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    Task.objects.filter(meeting=meeting).update(deadline=None, lead_unit=None)
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "共 2 项" in page and "2 项未设时限" in page and "2 项未指定牵头单位" in page
    first = Task.objects.filter(meeting=meeting).order_by("seq").first()
    response = _edit(client, first, deadline=(dt.date.today() + dt.timedelta(days=30)).isoformat(),
                     lead_unit=org.safety.pk)
    row = response.content.decode()
    tag, counts = re.search(r'(<span[^>]*id="draft-counts"[^>]*>)(.*)', row, re.S).groups()
    assert 'hx-swap-oob="true"' in tag
    assert "共 2 项" in counts and "1 项未设时限" in counts and "1 项未指定牵头单位" in counts
    assert f'id="task-row-{first.pk}"' in row
    # Cancelling an edit gives the row alone: nothing changed, nothing to count again.
    assert "draft-counts" not in client.get(f"/tasks/{first.pk}/row/").content.decode()


def test_the_year_prompt_says_what_a_missing_year_changes_in_each_case(client, org):
    """Asked for the year, the page says what leaving it blank does: with relative deadlines, that those (named)
    stay undated; without any, only that the meeting's date lacks its year, never "these deadlines"."""
    login(client, org.supervisor)
    with_relative = _import(client, UNDATED).content.decode()
    note = re.search(r'id="year-note">(.*?)</div>', with_relative, re.S)[1]
    assert "1 项期限无法推算日期：年底前" in note and "不填年份则这些时限暂不推算" in note
    no_relative = UNDATED.replace("年底前完成", "抓紧完成")
    note = re.search(r'id="year-note">(.*?)</div>', _import(client, no_relative).content.decode(), re.S)[1]
    assert "这些时限" not in note and "无相对期限需要推算" not in note
    assert "不填年份只影响会议日期" in note


def _imported_with_a_lead_unit_of_nobody(client, org):
    """The office imports a two-task meeting whose first task is led by a new unit with nobody (市信访局) and the
    second by 市卫健委, neither with cooperating units; the clerk is signed in."""
    from duban.core.actions import unit_create

    petitions = unit_create(actor=org.system, name="市信访局")
    login(client, org.supervisor)
    _import(client)
    meeting = Meeting.objects.get()
    first, second = Task.objects.filter(meeting=meeting).order_by("seq")
    Task.objects.filter(pk=first.pk).update(lead_unit=petitions)
    Task.objects.filter(pk=second.pk).update(lead_unit=org.health)
    first.coop_units.clear()
    second.coop_units.clear()
    return meeting


def test_confirm_says_whom_it_reached_and_names_the_units_with_nobody(client, org):
    """确认交办 does not claim that every lead unit received it: it counts the people told and names the units that
    have nobody to tell (their notice goes to the office, 代收), so that the clerk phones them."""

    meeting = _imported_with_a_lead_unit_of_nobody(client, org)
    page = client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"}, follow=True).content.decode()
    shown = " ".join(re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S))
    assert "已确认交办" in shown and "已收到通知" not in shown
    assert "已通知相关单位1人" in shown  # coop_staff of 市卫健委
    assert "市信访局尚无可接收通知的人员" in shown and "由市委督查室代收" in shown


def test_confirm_says_whom_it_reached_from_the_notices_and_reads_nothing_again(client, org):
    """确认交办's message comes from the notices it sent: each task's units' people are read once, to tell them (the
    lead unit's, the cooperating units' if any), and not again for the message; another person of the office received the
    notice of the lead unit with nobody (代收), not the clerk who confirmed, and the message names her; pressing
    确认交办 again tells nobody and claims nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.conftest import PASSWORD
    from duban.core.actions import user_create
    from duban.core.models import Notification

    colleague = user_create(actor=org.system, username="wangfang", password=PASSWORD, role="supervisor",
                            unit=org.office, display_name="王芳")
    meeting = _imported_with_a_lead_unit_of_nobody(client, org)
    with CaptureQueriesContext(connection) as ctx:
        back = client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"})
    units_people = "\"core_profile\".\"role\" IN ('unit_admin', 'unit_staff')"
    # each task's lead unit's people (neither has cooperating units: nothing more to read)
    assert sum(units_people in q["sql"] for q in ctx.captured_queries) == 2
    page = client.get(back.url).content.decode()
    shown = " ".join(re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S))
    assert "已通知相关单位1人" in shown and "市信访局尚无可接收通知的人员" in shown
    assert "牵头单位的通知已由市委督查室代收，发给了王芳。" in shown
    stand_in = Notification.objects.filter(title__startswith="（代收）")
    assert list(stand_in.values_list("recipient_id", flat=True)) == [colleague.pk]

    page = client.post(f"/meetings/{meeting.pk}/confirm/", {"without_deadline": "on"}, follow=True).content.decode()
    shown = " ".join(re.findall(r'<div class="alert[^"]*"[^>]*>(.*?)</div>', page, re.S))
    assert "已确认交办" in shown and "已通知" not in shown
