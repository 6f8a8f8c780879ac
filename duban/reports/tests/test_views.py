"""Pages and downloads of reporting: who may open what, CSV/xlsx/docx contents, the import page, the feed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.models import AuditEvent
from duban.reports.actions import calendar_token_rotate
from duban.tasks.models import Task
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db


def meeting_for(org, **kw):
    from duban.meetings.models import Meeting

    fields = dict(title="市委常委会第12次会议", body="市委常委会", date=dt.date(2024, 9, 29), source_text="……",
                  sha256="0" * 64, created_by=org.supervisor, status="confirmed")
    fields.update(kw)
    return Meeting.objects.create(**fields)


# One row per (route, role): expected status. Anonymous users are sent to sign in (302).
ROUTES = {
    "dashboard": ("/reports/", {"anon": 302, "supervisor": 200, "leader": 200, "lead_staff": 200, "other_staff": 200}),
    "chart_csv": ("/reports/csv/by_unit.csv", {"anon": 302, "supervisor": 200, "leader": 200, "lead_staff": 200,
                                               "other_staff": 200}),
    "ranking": ("/reports/ranking/", {"anon": 302, "supervisor": 200, "leader": 200, "lead_staff": 200,
                                      "other_staff": 200}),
    "ranking_export": ("/reports/ranking.xlsx", {"anon": 302, "supervisor": 200, "leader": 200, "lead_staff": 200,
                                                 "other_staff": 200}),
    "briefing": ("/reports/briefing/{meeting}.docx", {"anon": 302, "supervisor": 200, "leader": 200,
                                                      "lead_staff": 403, "other_staff": 403}),
    "circular": ("/reports/circular.docx", {"anon": 302, "supervisor": 200, "leader": 200, "lead_staff": 403,
                                            "other_staff": 403}),
    "ledger_export": ("/reports/ledger/export.xlsx", {"anon": 302, "supervisor": 200, "leader": 200,
                                                      "lead_staff": 200, "other_staff": 200}),
    "ledger_import": ("/reports/ledger/import/", {"anon": 302, "supervisor": 200, "leader": 403,
                                                  "lead_staff": 403, "other_staff": 403}),
    "calendar": ("/reports/calendar/", {"anon": 302, "supervisor": 200, "leader": 200, "lead_staff": 200,
                                        "other_staff": 200}),
    "score_rules": ("/reports/score-rules/", {"anon": 302, "supervisor": 200, "leader": 200, "lead_staff": 200,
                                              "other_staff": 200}),
    "score_adjust": ("/reports/score-rules/adjust/", {"anon": 302, "supervisor": 405, "leader": 405,
                                                      "lead_staff": 405, "other_staff": 405}),
    "document_settings": ("/reports/document-settings/", {"anon": 302, "supervisor": 403, "leader": 403,
                                                          "lead_staff": 403, "other_staff": 403}),
    "ical": ("/reports/ical/not-a-token.ics", {"anon": 404, "supervisor": 404, "leader": 404, "lead_staff": 404,
                                               "other_staff": 404}),
}


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_route_role_table(client, org, name):
    meeting = meeting_for(org)
    org.task_in("in_progress", meeting=meeting)
    url, expected = ROUTES[name]
    url = url.format(meeting=meeting.pk)
    for role, status in expected.items():
        client.logout()
        if role != "anon":
            login(client, getattr(org, role))
        response = client.get(url)
        assert response.status_code == status, (name, role, response.status_code)


def test_every_route_is_in_the_table():
    from duban.reports.urls import urlpatterns

    assert {p.name for p in urlpatterns} == set(ROUTES)


def test_dashboard_page_shows_tables_csv_links_and_chart_data(client, org):
    org.task_in("in_progress", title="逾期事项", deadline=today_local() - dt.timedelta(days=3))
    login(client, org.supervisor)
    response = client.get("/reports/", {"area": org.area_safety.pk})
    html = response.content.decode()
    assert 'id="reports-data"' in html and "duban/reports.js" in html and "vendor/echarts.min.js" in html
    for chart in ("lights", "by_area", "by_unit", "weeks", "overdue"):
        assert f'href="/reports/csv/{chart}.csv?area={org.area_safety.pk}"' in html
        assert f'data-chart="{chart}"' in html
    assert "逾期事项" in html and "<script>" not in html and 'style="' not in html
    assert client.get("/reports/", {"from": "bad"}).status_code == 422


def test_chart_csv_has_bom_and_matches_the_figures(client, org):
    org.task_in("closed")
    org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[], deadline=today_local() - dt.timedelta(days=1))
    login(client, org.supervisor)
    response = client.get("/reports/csv/by_unit.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"] and "filename*=utf-8''" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["牵头单位", "事项数", "已办结", "逾期", "办结率(%)"]
    body = {r[0]: r for r in rows[1:]}
    assert body["市应急管理局"][1:5] == ["1", "1", "0", "100.0"]
    assert body["市教育局"][1:5] == ["1", "0", "1", "0.0"] and body["市教育局"][5] == "1"  # red light
    overdue = list(csv.reader(io.StringIO(client.get("/reports/csv/overdue.csv").content.decode("utf-8-sig"))))
    assert overdue[1][1] == "市教育局" and overdue[1][3] == "1"
    # Another unit sees only its own figures in the CSV too.
    client.logout()
    login(client, org.other_staff)
    rows = list(csv.reader(io.StringIO(client.get("/reports/csv/by_unit.csv").content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["市教育局"]


def test_ranking_exports(client, org):
    org.task_in("closed")
    login(client, org.supervisor)
    page = client.get("/reports/ranking/").content.decode()
    assert "市应急管理局" in page and 'id="ranking-xlsx"' in page and 'id="circular-docx"' in page
    circular = client.get("/reports/circular.docx")
    assert circular.status_code == 200 and circular.content.startswith(b"PK")
    ws = load_workbook(io.BytesIO(client.get("/reports/ranking.xlsx").content)).active
    assert ws["A1"].value.startswith("单位考评排名")
    assert [c.value for c in ws[2]][:4] == ["名次", "单位", "办结数", "平均得分"]
    assert [c.value for c in ws[3]][:4] == [1, "市应急管理局", 1, 100]
    text = client.get("/reports/ranking.csv").content
    assert text.startswith(b"\xef\xbb\xbf") and "市应急管理局".encode() in text


def test_the_on_time_rate_reads_the_same_on_the_page_and_in_the_circular(client, org):
    """A unit that has closed nothing has no 按时办结率: "—" on the ranking page as in the Word 通报, and a unit
    that has closed its task shows the same "100.0%" in both."""
    from docx import Document

    org.task_in("closed")
    org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[])
    login(client, org.supervisor)
    page = client.get("/reports/ranking/").content.decode()
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in re.findall(r"<tr><td>.*?</tr>", page, re.S)]
    on_page = {cells[1]: cells[5] for cells in rows}
    table = Document(io.BytesIO(client.get("/reports/circular.docx").content)).tables[-1]
    in_word = {r.cells[1].text: r.cells[4].text for r in table.rows[1:]}
    assert on_page == in_word == {"市应急管理局": "100.0%", "市教育局": "—"}
    assert "按时办结率(%)" not in page  # the values carry their % sign


def test_briefing_of_a_meeting_out_of_scope_is_404(client, org):
    meeting = meeting_for(org)
    org.task_in("assigned", meeting=meeting)
    login(client, org.supervisor)
    assert client.get(f"/reports/briefing/{meeting.pk + 100}.docx").status_code == 404


def test_ledger_export_one_sheet_per_meeting_from_the_task_list(client, org):
    org.task_in("assigned", title="甲", meeting=meeting_for(org))
    org.task_in("assigned", title="乙")
    login(client, org.supervisor)
    page = client.get("/tasks/?status=assigned").content.decode()
    assert 'href="/reports/ledger/export.xlsx?status=assigned&amp;sheets=meeting"' in page
    response = client.get(reverse("reports:ledger_export") + "?status=assigned&sheets=meeting")
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["市委常委会第12次会议（2024-09-29）", "其他来源"]


def test_ledger_export_file_is_named_by_its_filter_and_day(client, org):
    # The rule: the downloaded file's name says what was exported and when, so two exports are not both
    # 督办事项台账.xlsx.
    from urllib.parse import quote

    from duban.tasks.selectors import today_local

    meeting = meeting_for(org)
    org.task_in("assigned", title="甲", meeting=meeting)
    login(client, org.supervisor)
    day = today_local().isoformat()
    response = client.get(reverse("reports:ledger_export") + f"?meeting={meeting.pk}&sheets=meeting")
    name = f"督办事项台账-市委常委会第12次会议-按会议分表-{day}.xlsx"
    assert response.headers["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"
    response = client.get(reverse("reports:ledger_export") + f"?status=assigned&overdue=1&unit={org.safety.pk}")
    name = f"督办事项台账-市应急管理局-已交办-逾期-{day}.xlsx"
    assert response.headers["Content-Disposition"] == f"attachment; filename*=utf-8''{quote(name)}"


def test_import_page_previews_the_changes_of_an_edited_export(client, org):
    from duban.reports.actions import ledger_export

    task = org.task_in("assigned", title="改时限的事项", deadline=dt.date(2030, 1, 1))
    wb = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor)))
    ws = wb.active
    ws.cell(row=3, column=[c.value for c in ws[2]].index("时限") + 1).value = dt.datetime(2030, 2, 1)
    out = io.BytesIO()
    wb.save(out)
    login(client, org.supervisor)
    out.name = "edited.xlsx"
    out.seek(0)
    page = client.post(reverse("reports:ledger_import"), {"file": out, "dry_run": "on"}).content.decode()
    assert 'id="import-updates"' in page and "2030-01-01" in page and "2030-02-01" in page and "预览" in page
    assert "<td>改时限的事项</td>" in page
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2030, 1, 1)


def test_ledger_export_link_takes_the_task_list_query(client, org):
    org.task_in("assigned", title="甲")
    org.task_in("closed", title="乙")
    login(client, org.lead_staff)
    response = client.get(reverse("reports:ledger_export") + "?status=closed")
    ws = load_workbook(io.BytesIO(response.content)).active
    title = [c.value for c in ws[2]].index("督办事项")
    assert [r[title] for r in ws.iter_rows(min_row=3, values_only=True)] == ["乙"]
    assert AuditEvent.objects.filter(event_type=EventType.LEDGER_EXPORTED, actor=org.lead_staff).count() == 1


def _xlsx(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_import_page_previews_errors_then_imports(client, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, org.supervisor)
    bad = _xlsx([("事项", "牵头单位", "时限"), ("事项一", "市火星局", "2024-10-31"), ("", "市教育局", "明年")])
    response = client.post("/reports/ledger/import/", {"file": SimpleUploadedFile("bad.xlsx", bad)})
    html = response.content.decode()
    assert response.status_code == 422
    assert "未导入任何事项" in html and "第2行" in html and "市火星局" in html and "第3行" in html
    assert Task.objects.count() == 0
    good = _xlsx([("事项", "牵头单位", "时限"), ("事项一", "市教育局", "2024-10-31")])
    response = client.post("/reports/ledger/import/", {"file": SimpleUploadedFile("good.xlsx", good)})
    assert "将新建1项" in response.content.decode() and Task.objects.count() == 0  # checked, not imported
    response = client.post("/reports/ledger/import/", _confirm(response.content.decode()))
    assert "已导入1项" in response.content.decode() and Task.objects.count() == 1
    response = client.post("/reports/ledger/import/", {"file": SimpleUploadedFile("good.xlsx", good)})
    assert "均已导入过" in response.content.decode() and Task.objects.count() == 1
    assert 'id="ledger-import-apply"' not in response.content.decode()  # nothing to confirm


def _confirm(page: str) -> dict:
    """The fields of the preview's 确认导入 form, as the browser posts them."""
    form = re.search(r'<form[^>]*id="ledger-import-apply".*?</form>', page, re.S)
    assert form, "the preview offers 确认导入"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form[0]))
    fields.pop("csrfmiddlewaretoken", None)
    return {**fields, "do": "apply"}


def test_import_page_checks_first_and_applies_only_on_confirmation(client, org):
    # The rule (guide, 用台账批量更新): the import first shows what it will change; nothing is written until the
    # clerk confirms from the preview, and a confirmation applies what the preview showed, or nothing.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from duban.reports.actions import ledger_export
    from duban.tasks.actions import task_update

    task = org.task_in("assigned", title="改时限的事项", deadline=dt.date(2030, 1, 1))
    wb = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor)))
    ws = wb.active
    ws.cell(row=3, column=[c.value for c in ws[2]].index("时限") + 1).value = dt.datetime(2030, 2, 1)
    out = io.BytesIO()
    wb.save(out)
    login(client, org.supervisor)
    page = client.get("/reports/ledger/import/").content.decode()
    assert 'name="dry_run"' not in page and "检查并预览" in page
    response = client.post("/reports/ledger/import/", {"file": SimpleUploadedFile("台账.xlsx", out.getvalue())})
    page = response.content.decode()
    assert response.status_code == 200 and "预览，尚未写入" in page and "确认导入" in page
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2030, 1, 1)
    assert not AuditEvent.objects.filter(event_type=EventType.LEDGER_IMPORTED).exists()
    confirm = _confirm(page)
    # someone edits the task after the preview: the confirmation would not do what was shown, so nothing is done
    current = Task.objects.get(pk=task.pk)
    task_update(actor=org.supervisor, task_id=task.pk, version=current.version, changes={"deadline": dt.date(2030, 1, 5)})
    response = client.post("/reports/ledger/import/", confirm)
    assert response.status_code == 409 and "未导入任何内容" in response.content.decode()
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2030, 1, 5)
    assert not AuditEvent.objects.filter(event_type=EventType.LEDGER_IMPORTED).exists()
    # checked again, then confirmed: applied
    response = client.post("/reports/ledger/import/", {"file": SimpleUploadedFile("台账.xlsx", out.getvalue())})
    assert "2030-01-05" in response.content.decode()
    response = client.post("/reports/ledger/import/", _confirm(response.content.decode()))
    assert response.status_code == 200 and "更新1项" in response.content.decode()
    assert Task.objects.get(pk=task.pk).deadline == dt.date(2030, 2, 1)
    assert AuditEvent.objects.filter(event_type=EventType.LEDGER_IMPORTED).count() == 1


def test_calendar_page_rotates_and_feed_follows_the_token(client, org):
    login(client, org.lead_staff)
    assert "尚未生成订阅地址" in client.get("/reports/calendar/").content.decode()
    html = client.post("/reports/calendar/").content.decode()
    old = re.search(r"/reports/ical/([\w-]+)\.ics", html).group(1)
    assert old not in client.get("/reports/calendar/").content.decode()  # shown once: only its hash is kept
    html = client.post("/reports/calendar/").content.decode()
    new = re.search(r"/reports/ical/([\w-]+)\.ics", html).group(1)
    assert new != old
    row = org.lead_staff.calendar_token
    row.refresh_from_db()
    assert row.token not in (old, new)
    client.logout()
    assert client.get(f"/reports/ical/{old}.ics").status_code == 404
    assert client.get(f"/reports/ical/{new}.ics").status_code == 200
    events = AuditEvent.objects.filter(event_type=EventType.CALENDAR_TOKEN_ROTATED, actor=org.lead_staff)
    assert [e.extra["rotated"] for e in events] == [False, True]
    assert all(new not in str(e.extra) for e in events)


def test_calendar_token_refused_for_anonymous(org):
    from django.contrib.auth.models import AnonymousUser

    from duban.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        calendar_token_rotate(actor=AnonymousUser())


def test_dashboard_tables_and_filters_are_escaped_and_marked(org, client):
    """The tables and the filters' options are written in Python (views._chart, views._options): values escaped,
    the chosen filter selected."""
    meeting = meeting_for(org, title="<b>会议</b>")
    org.task_in("in_progress", meeting=meeting, title="<script>x</script>逾期", deadline=dt.date(2020, 1, 1))
    login(client, org.supervisor)
    html = client.get("/reports/", {"meeting": meeting.pk, "area": org.area_safety.pk}).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;逾期" in html
    assert "<b>会议</b>" not in html and f'<option value="{meeting.pk}" selected>2024-09-29 &lt;b&gt;会议&lt;/b&gt;' in html
    assert f'<option value="{org.area_safety.pk}" selected>' in html
    assert f'<option value="{org.safety.pk}">市应急管理局</option>' in html
