"""Ledger .xlsx export and import: layout, round trip, all-or-nothing, idempotency, errors in Chinese, limits,
and a property test of the row parser."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from openpyxl import Workbook, load_workbook

from duban.core.audit import EventType
from duban.core.errors import InvalidInput, PermissionDenied
from duban.core.models import AuditEvent, Notification
from duban.reports import ledger
from duban.reports.actions import ledger_export
from duban.reports.actions import ledger_import
from duban.reports.ledger import parse_deadline, parse_row
from duban.reports.models import ImportedRow, LedgerImport
from duban.tasks.models import Task, TaskStatus

TODAY = dt.date(2024, 9, 1)


def xlsx(rows, *, title=None, merge=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
    for row in rows:
        ws.append(list(row))
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def read(data: bytes):
    return load_workbook(io.BytesIO(data)).active


# --- export --------------------------------------------------------------------------------------------------

DEFAULT_COLUMNS = ["序号", "任务编号", "来源会议/文号", "督办事项", "督办内容", "领域", "牵头单位", "配合单位", "时限",
                   "状态", "亮灯", "进度（%）", "交办日期", "办结日期", "最新进展", "责任领导/联系人", "督办次数",
                   "备注", "上级任务编号"]


def by_header(ws, header_row=2):
    """The data rows as dicts keyed by the header's names."""
    names = [c.value for c in ws[header_row]]
    return [dict(zip(names, row)) for row in ws.iter_rows(min_row=header_row + 1, values_only=True)]


@pytest.mark.django_db
def test_export_layout_matches_database(org):
    from duban.core.models import Unit

    Unit.objects.filter(pk=org.safety.pk).update(contact_name="王明", contact_phone="0791-12345678")
    first = org.task_in("in_progress", deadline=dt.date(2024, 10, 31))
    org.task_in("assigned", title="完善应急预案", coop_unit_ids=[], deadline=None, deadline_text="长期坚持")
    data = ledger_export(actor=org.supervisor, today=TODAY)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["督办台账"]
    ws = wb.active
    assert ws["A1"].value.startswith("督办事项台账")
    assert "A1:S1" in {str(r) for r in ws.merged_cells.ranges}
    # the columns a 督查室's ledger keeps, in that order
    assert [c.value for c in ws[2]] == DEFAULT_COLUMNS
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:S4"
    assert ws.print_title_rows == "$2:$2" and ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4 in the format's paper codes
    widths = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[2]}
    assert max(widths, key=widths.get) == "督办内容" and widths["督办事项"] > 2 * widths["牵头单位"]
    # every cell of the table has a border on all four sides
    for row in ws.iter_rows(min_row=2, max_row=4):
        for cell in row:
            assert all(getattr(cell.border, side).style == "thin" for side in ("left", "right", "top", "bottom"))
    rows = {r["督办事项"]: r for r in by_header(ws)}
    assert len(rows) == 2
    row = rows[Task.objects.get(pk=first.pk).title]
    assert row["任务编号"] == ledger.task_key(first.pk) and row["来源会议/文号"] == "其他来源"
    assert row["牵头单位"] == "市应急管理局" and row["配合单位"] == "市卫健委"
    assert row["时限"].date() == dt.date(2024, 10, 31)
    assert row["最新进展"] == "30%；已部署" and row["状态"] == "办理中" and row["亮灯"] == "绿灯"
    assert row["交办日期"] is not None and row["办结日期"] is None and row["督办次数"] == 0
    assert row["责任领导/联系人"] == "王明 0791-12345678"
    assert row["督办内容"] == Task.objects.get(pk=first.pk).text
    assert rows["完善应急预案"]["时限"] == "长期坚持" and rows["完善应急预案"]["状态"] == "已交办"
    (event,) = AuditEvent.objects.filter(event_type=EventType.LEDGER_EXPORTED)
    assert event.actor == org.supervisor and event.extra["rows"] == 2


@pytest.mark.django_db
def test_export_columns_are_configurable_and_keep_the_key(org, settings):
    org.task_in("assigned", title="事项甲")
    settings.DUBAN_LEDGER_COLUMNS = "督办事项,牵头单位,时限"
    ws = read(ledger_export(actor=org.supervisor))
    assert [c.value for c in ws[2]] == ["任务编号", "督办事项", "牵头单位", "时限"]
    settings.DUBAN_LEDGER_COLUMNS = "督办事项,不存在的列"
    with pytest.raises(InvalidInput) as excinfo:
        ledger_export(actor=org.supervisor)
    assert "不存在的列" in excinfo.value.message


@pytest.mark.django_db
def test_export_one_sheet_per_meeting(org):
    from duban.meetings.models import Meeting

    meetings = [Meeting.objects.create(title=f"市委常委会第{n}次会议", date=dt.date(2024, 9, n), source_text="x",
                                       created_by=org.supervisor, status="confirmed") for n in (1, 2)]
    for n, meeting in enumerate(meetings):
        task = org.task_in("assigned", title=f"会议事项{n}")
        Task.objects.filter(pk=task.pk).update(meeting=meeting)
    org.task_in("assigned", title="手工立项")
    wb = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor, per_meeting=True)))
    assert wb.sheetnames == ["市委常委会第1次会议（2024-09-01）", "市委常委会第2次会议（2024-09-02）", "其他来源"]
    assert [r["督办事项"] for r in by_header(wb["其他来源"])] == ["手工立项"]
    assert [r["督办事项"] for r in by_header(wb.worksheets[0])] == ["会议事项0"]
    assert all(ws.auto_filter.ref and ws.freeze_panes == "A3" for ws in wb.worksheets)


@pytest.mark.django_db
def test_export_names_the_source_of_tasks_from_other_sources(org):
    # The rule: 来源会议/文号 says where a task came from: a leader's instruction by its 文号, an inspection case by
    # its number, a hazard by its place; and a re-import of that file changes nothing.
    from duban.sources import actions as sources

    sources.instruction_create(actor=org.supervisor, text="请排查燃气隐患。", leader="张伟", date=dt.date(2024, 8, 6),
                               doc_number="江督批〔2024〕7号", assign=True,
                               tasks=[{"title": "排查燃气隐患", "lead_unit_id": org.safety.pk}])
    sources.instruction_create(actor=org.supervisor, text="请整治校园周边。", leader="李明", date=dt.date(2024, 8, 9),
                               tasks=[{"title": "整治校园周边", "lead_unit_id": org.other.pk}])
    sources.case_create(actor=org.supervisor, case_number="SD2-031", batch="第二批", complaint="河道有异味",
                        lead_unit_id=org.safety.pk, title="河道异味", assign=True)
    sources.hazard_create(actor=org.supervisor, place="城东农贸市场", category="gas", severity="larger",
                          description="燃气管道老化", deadline=dt.date(2024, 10, 1), responsible_person="王强",
                          lead_unit_id=org.safety.pk, title="农贸市场燃气管道", allow_past_deadline=True)
    org.task_in("assigned", title="手工立项")
    data = ledger_export(actor=org.supervisor, today=TODAY)
    sources_of = {r["督办事项"]: r["来源会议/文号"] for r in by_header(read(data))}
    assert sources_of == {"排查燃气隐患": "领导批示：江督批〔2024〕7号（张伟）",
                          "整治校园周边": "领导批示：李明 2024-08-09",
                          "河道异味": "督察交办件：SD2-031",
                          "农贸市场燃气管道": "隐患整改：城东农贸市场",
                          "手工立项": "其他来源"}
    before = Task.objects.count()
    result = ledger_import(actor=org.supervisor, data=data, today=TODAY)
    assert result.noop and Task.objects.count() == before
    wb = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor, today=TODAY, per_meeting=True)))
    assert wb.sheetnames == ["领导批示", "督察交办件", "隐患整改", "其他来源"]
    assert {r["督办事项"] for r in by_header(wb["领导批示"])} == {"排查燃气隐患", "整治校园周边"}


@pytest.mark.django_db
def test_export_sheets_per_meeting_come_in_date_order(org):
    # The rule: 按会议分表导出 puts the meetings' sheets in the order the meetings were held, whatever their titles.
    from duban.meetings.models import Meeting

    for title, day in (("2025年5月29日市委常委会会议", dt.date(2025, 5, 29)), ("市政府常务会议", dt.date(2026, 11, 10)),
                       ("2026年1月20日市委常委会会议", dt.date(2026, 1, 20))):
        meeting = Meeting.objects.create(title=title, date=day, source_text="x", created_by=org.supervisor,
                                         status="confirmed")
        task = org.task_in("assigned", title=f"{title}的事项")
        Task.objects.filter(pk=task.pk).update(meeting=meeting)
    wb = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor, today=TODAY, per_meeting=True)))
    assert wb.sheetnames == ["2025年5月29日市委常委会会议", "2026年1月20日市委常委会会议", "市政府常务会议（2026-11-10）"]
    # a title that says its date is not given it again, and the heading nests no brackets
    heading = wb.worksheets[0]["A1"].value
    assert heading.startswith("2025年5月29日市委常委会会议督办事项台账（") and "））" not in heading


@pytest.mark.django_db
def test_export_is_scoped_and_filtered(org):
    mine = org.task_in("assigned", title="本单位事项")
    org.task_in("assigned", title="教育局事项", lead_unit_id=org.other.pk, coop_unit_ids=[])
    org.task_in("closed", title="已办结事项")
    titles = [r["督办事项"] for r in by_header(read(ledger_export(actor=org.other_staff)))]
    assert titles == ["教育局事项"]
    titles = [r["督办事项"] for r in by_header(read(ledger_export(actor=org.lead_staff,
                                                                 filters={"status": "assigned"})))]
    assert titles == [mine.title]


# --- import --------------------------------------------------------------------------------------------------

HEADER = ("序号", "工作任务", "责任单位", "协办单位", "完成时限", "进展情况")


@pytest.mark.django_db
def test_import_with_synonyms_creates_drafts_once(org):
    data = xlsx([HEADER,
                 (1, "开展燃气安全专项整治", "市应急管理局", "市卫健委、市教育局", "2024年10月底前", ""),
                 (2, "完善学校安全制度", "市教育局", None, dt.datetime(2024, 12, 31), ""),
                 (3, "健全应急物资储备", "应急局", "", "长期坚持", "")], title="2024年重点工作督办台账")
    result = ledger_import(actor=org.supervisor, data=data, filename="台账.xlsx", today=TODAY)
    assert (result.created, result.skipped, result.noop) == (3, 0, False)
    tasks = {t.title: t for t in Task.objects.filter(pk__in=result.task_ids)}
    gas = tasks["开展燃气安全专项整治"]
    assert gas.status == TaskStatus.DRAFT and gas.lead_unit == org.safety
    assert set(gas.coop_units.values_list("name", flat=True)) == {"市卫健委", "市教育局"}
    assert gas.deadline == dt.date(2024, 10, 31) and gas.deadline_text == "2024年10月底前"
    assert tasks["完善学校安全制度"].deadline == dt.date(2024, 12, 31)
    assert tasks["健全应急物资储备"].lead_unit == org.safety and tasks["健全应急物资储备"].deadline is None
    (event,) = AuditEvent.objects.filter(event_type=EventType.LEDGER_IMPORTED)
    assert event.actor == org.supervisor and event.extra["created"] == 3 and event.extra["filename"] == "台账.xlsx"
    assert AuditEvent.objects.filter(event_type=EventType.TASK_CREATED, task__in=tasks.values()).count() == 3
    assert Notification.objects.count() == 0
    # The same file again: nothing new, and it says so.
    before = (Task.objects.count(), AuditEvent.objects.count(), LedgerImport.objects.count())
    again = ledger_import(actor=org.supervisor, data=data, filename="台账.xlsx", today=TODAY)
    assert again.noop and again.created == 0 and again.skipped == 3 and "均已导入过" in again.message
    assert (Task.objects.count(), AuditEvent.objects.count(), LedgerImport.objects.count()) == before


@pytest.mark.django_db
def test_import_adds_only_new_lines_and_can_assign(org):
    ledger_import(actor=org.supervisor, data=xlsx([HEADER, (1, "事项甲", "市教育局", "", "2024-11-30", "")]),
                  today=TODAY)
    data = xlsx([HEADER, (1, "事项甲", "市教育局", "", "2024-11-30", ""), (2, "事项乙", "市教育局", "", "", "")])
    result = ledger_import(actor=org.supervisor, data=data, assign=True, today=TODAY)
    assert (result.created, result.skipped) == (1, 1)
    new = Task.objects.get(pk=result.task_ids[0])
    assert new.title == "事项乙" and new.status == TaskStatus.ASSIGNED
    assert set(Notification.objects.filter(task=new).values_list("recipient__username", flat=True)) == {
        "other_staff"}


@pytest.mark.django_db
def test_reimporting_an_export_creates_nothing(org):
    for i in range(5):
        org.task_in("assigned", title=f"事项{i}", deadline=dt.date(2024, 10, i + 1),
                    lead_unit_id=(org.safety if i % 2 else org.other).pk, coop_unit_ids=[])
    before = Task.objects.count()
    data = ledger_export(actor=org.supervisor, today=TODAY)
    mark = AuditEvent.objects.latest("pk").pk
    result = ledger_import(actor=org.supervisor, data=data, filename="export.xlsx", today=TODAY)
    assert result.noop and result.created == 0 and result.updated == 0 and not result.refused
    assert Task.objects.count() == before
    assert not AuditEvent.objects.filter(pk__gt=mark).exists()


def _edit(data: bytes, edits: dict[tuple[str, str], object]) -> bytes:
    """The file with the cells at (任务编号, column) set to new values, as a clerk edits it in Excel."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    names = {c.value: c.column for c in ws[2]}
    rows = {ws.cell(row=r, column=names["任务编号"]).value: r for r in range(3, ws.max_row + 1)}
    for (key, column), value in edits.items():
        ws.cell(row=rows[key], column=names[column]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cells(data: bytes) -> list[tuple]:
    return [tuple(row) for ws in load_workbook(io.BytesIO(data)).worksheets
            for row in ws.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_round_trip_export_edit_three_cells_import_export_again(org, django_capture_on_commit_callbacks):
    a = org.task_in("assigned", title="事项甲", deadline=dt.date(2024, 12, 31))
    b = org.task_in("in_progress", title="事项乙", deadline=dt.date(2024, 12, 31), coop_unit_ids=[])
    c = org.task_in("assigned", title="事项丙", deadline=dt.date(2024, 12, 31))
    before = Task.objects.count()
    first = ledger_export(actor=org.supervisor, today=TODAY)
    edited = _edit(first, {(ledger.task_key(a.pk), "时限"): dt.datetime(2035, 1, 20),
                           (ledger.task_key(b.pk), "配合单位"): "市卫健委、市教育局",
                           (ledger.task_key(c.pk), "督办事项"): "事项丙（修订）"})
    preview = ledger_import(actor=org.supervisor, data=edited, dry_run=True, today=TODAY)
    assert preview.updated == 0 and len(preview.updates) == 3
    shown = {u["task_id"]: u["changes"] for u in preview.updates}
    assert shown[a.pk] == [{"column": "时限", "old": "2024-12-31", "new": "2035-01-20"}]
    assert shown[b.pk] == [{"column": "配合单位", "old": "", "new": "市卫健委、市教育局"}]
    assert shown[c.pk] == [{"column": "督办事项", "old": "事项丙", "new": "事项丙（修订）"}]
    assert Task.objects.get(pk=a.pk).deadline == dt.date(2024, 12, 31)  # the preview changed nothing
    mark = AuditEvent.objects.latest("pk").pk
    with django_capture_on_commit_callbacks(execute=True):
        result = ledger_import(actor=org.supervisor, data=edited, filename="edited.xlsx", today=TODAY)
    assert result.created == 0 and result.updated == 3 and not result.refused
    assert Task.objects.count() == before
    assert Task.objects.get(pk=a.pk).deadline == dt.date(2035, 1, 20)
    assert set(Task.objects.get(pk=b.pk).coop_units.values_list("name", flat=True)) == {"市卫健委", "市教育局"}
    assert Task.objects.get(pk=c.pk).title == "事项丙（修订）"
    # the same audited action a person uses: one TASK_UPDATED per task, by the importer, plus the import's event
    events = AuditEvent.objects.filter(pk__gt=mark)
    updated = events.filter(event_type=EventType.TASK_UPDATED)
    assert sorted(updated.values_list("task_id", flat=True)) == sorted([a.pk, b.pk, c.pk])
    assert set(updated.values_list("actor_id", flat=True)) == {org.supervisor.pk}
    assert events.filter(event_type=EventType.LEDGER_IMPORTED).get().extra["updated"] == 3
    assert not events.filter(event_type=EventType.TASK_CREATED).exists()
    assert _cells(ledger_export(actor=org.supervisor, today=TODAY)) == _cells(edited)


@pytest.mark.django_db
def test_round_trip_with_the_latest_progress_entered_for_the_unit(org, django_capture_on_commit_callbacks):
    # The rule: an edited 最新进展 is progress the office enters on the lead unit's behalf (由督查室代录), through
    # the report a unit makes; the export afterwards says what the edited file says.
    a = org.task_in("assigned", title="事项甲", deadline=dt.date(2024, 12, 31))
    b = org.task_in("in_progress", title="事项乙", deadline=dt.date(2024, 12, 31))
    c = org.task_in("accepted", title="事项丙", deadline=dt.date(2024, 12, 31))
    first = ledger_export(actor=org.supervisor, today=TODAY)
    edited = _edit(first, {(ledger.task_key(a.pk), "时限"): dt.datetime(2035, 1, 20),
                           (ledger.task_key(b.pk), "最新进展"): "60%；已完成招标，正在施工",
                           # the 进度 column shows the task's progress; the import reads it from 最新进展
                           (ledger.task_key(b.pk), "进度（%）"): 60,
                           (ledger.task_key(c.pk), "督办事项"): "事项丙（修订）"})
    preview = ledger_import(actor=org.supervisor, data=edited, dry_run=True, today=TODAY)
    assert {u["task_id"]: u["changes"] for u in preview.updates}[b.pk] == [
        {"column": "最新进展", "old": "30%；已部署", "new": "60%；已完成招标，正在施工"}]
    assert not b.reports.filter(author=org.supervisor).exists()  # the preview entered nothing
    mark = AuditEvent.objects.latest("pk").pk
    with django_capture_on_commit_callbacks(execute=True):
        result = ledger_import(actor=org.supervisor, data=edited, filename="edited.xlsx", today=TODAY)
    assert result.updated == 3 and not result.refused and result.created == 0
    assert _cells(ledger_export(actor=org.supervisor, today=TODAY)) == _cells(edited)
    entry = b.reports.get(author=org.supervisor)
    assert (entry.unit_id, entry.text, entry.progress_percent, entry.entered_by_office) == (
        org.safety.pk, "已完成招标，正在施工", 60, True)
    assert not entry.request_close and entry.status == "accepted"  # the office's own entry awaits no review
    assert Task.objects.get(pk=b.pk).progress_percent == 60
    submitted = AuditEvent.objects.filter(pk__gt=mark, event_type=EventType.REPORT_SUBMITTED).get()
    assert (submitted.actor_id, submitted.task_id, submitted.report_id) == (org.supervisor.pk, b.pk, entry.pk)
    assert submitted.extra["entered_by_office"] is True and submitted.extra["progress_percent"] == 60
    told = set(Notification.objects.filter(task_id=b.pk, title__startswith="督查室代录进展").values_list(
        "recipient_id", flat=True))
    assert {org.lead_admin.pk, org.lead_staff.pk} <= told
    from django.test import Client

    from duban.conftest import login

    page = login(Client(), org.lead_staff).get(f"/tasks/{b.pk}/").content.decode()
    assert "由督查室代录" in page and "已完成招标，正在施工" in page


@pytest.mark.django_db
def test_latest_progress_the_office_cannot_enter_is_refused_row_by_row(org):
    unaccepted = org.task_in("assigned", title="未签收事项")
    lower = org.task_in("in_progress", title="进度倒退")
    emptied = org.task_in("in_progress", title="清空进展")
    text_only = org.task_in("in_progress", title="只改文字")
    edited = _edit(ledger_export(actor=org.supervisor, today=TODAY), {
        (ledger.task_key(unaccepted.pk), "最新进展"): "20%；已开会部署",  # the unit has not accepted it
        (ledger.task_key(lower.pk), "最新进展"): "10%；重新统计",  # below the 30% already reported
        (ledger.task_key(emptied.pk), "最新进展"): None,  # a report is never deleted
        (ledger.task_key(text_only.pk), "最新进展"): "已部署，并已完成摸底",  # the percent stays 30
    })
    result = ledger_import(actor=org.supervisor, data=edited, today=TODAY)
    assert result.updated == 1
    refused = sorted(e.message for e in result.refused)
    assert len(refused) == 3
    assert any("已交办，不能录入最新进展" in m for m in refused)
    assert any("进度10%低于系统中的30%" in m for m in refused)
    assert any("须写明进展情况" in m for m in refused)
    assert [r.text for r in unaccepted.reports.all()] == []
    assert lower.reports.count() == emptied.reports.count() == 1
    entry = text_only.reports.get(entered_by_office=True)
    assert (entry.text, entry.progress_percent) == ("已部署，并已完成摸底", 30)


@pytest.mark.django_db
def test_only_the_office_enters_progress_for_a_unit_and_never_a_close_request(org):
    from duban.tasks.actions import report_submit

    task = org.task_in("in_progress")
    with pytest.raises(PermissionDenied):
        report_submit(actor=org.coop_staff, task_id=task.pk, text="代牵头单位报", progress_percent=50, for_unit=True)
    with pytest.raises(PermissionDenied):
        report_submit(actor=org.supervisor, task_id=task.pk, text="已完成", progress_percent=100,
                      request_close=True, evidence_text="验收", for_unit=True)
    with pytest.raises(PermissionDenied):
        report_submit(actor=org.supervisor, task_id=task.pk, text="不代录", progress_percent=50)
    assert task.reports.count() == 1 and Task.objects.get(pk=task.pk).status == TaskStatus.IN_PROGRESS


@pytest.mark.django_db
def test_reimport_refuses_impossible_changes_row_by_row(org):
    draft = org.task_in("draft", title="草稿事项")
    open_ = org.task_in("assigned", title="已交办事项")
    closed = org.task_in("closed", title="已办结事项")
    progress = org.task_in("assigned", title="未签收事项")
    drop = org.task_in("assigned", title="要撤销的事项")
    edited = _edit(ledger_export(actor=org.supervisor, today=TODAY), {
        (ledger.task_key(draft.pk), "状态"): "已交办",  # allowed: task_assign
        (ledger.task_key(open_.pk), "状态"): "已办结",  # only the close review may close
        (ledger.task_key(closed.pk), "督办事项"): "改已办结的事项",  # a closed task is not edited
        (ledger.task_key(progress.pk), "最新进展"): "督查室代填的进展",  # not yet accepted: nobody reports
        (ledger.task_key(drop.pk), "状态"): "已撤销",  # allowed with a reason
        (ledger.task_key(drop.pk), "备注"): "与另一事项重复",
    })
    result = ledger_import(actor=org.supervisor, data=edited, today=TODAY)
    assert result.updated == 2
    refused = {e.row: e.message for e in result.refused}
    assert len(refused) == 3
    assert any("不能由“已交办”改为“已办结”" in m for m in refused.values())
    assert any("不能修改" in m for m in refused.values())
    assert any("不能录入最新进展" in m for m in refused.values())
    assert Task.objects.get(pk=draft.pk).status == TaskStatus.ASSIGNED
    assert Task.objects.get(pk=drop.pk).status == TaskStatus.WITHDRAWN
    assert AuditEvent.objects.get(event_type=EventType.TASK_WITHDRAWN, task_id=drop.pk).extra["reason"] == (
        "与另一事项重复")
    assert Task.objects.get(pk=open_.pk).status == TaskStatus.ASSIGNED
    assert Task.objects.get(pk=closed.pk).title == "已办结事项"


@pytest.mark.django_db
def test_unknown_or_unseen_task_key_is_refused(org):
    theirs = org.task_in("assigned", title="教育局事项", lead_unit_id=org.other.pk, coop_unit_ids=[])
    data = xlsx([("任务编号", "事项", "牵头单位"), (ledger.task_key(999999), "不存在", "市应急管理局"),
                 (ledger.task_key(theirs.pk), "改名", "市教育局"), ("X12", "乱写", "市应急管理局")])
    with pytest.raises(InvalidInput) as excinfo:
        ledger_import(actor=org.supervisor, data=data, today=TODAY)
    assert any("任务编号“X12”无法识别" in e["message"] for e in excinfo.value.details)
    data = xlsx([("任务编号", "事项", "牵头单位"), (ledger.task_key(999999), "不存在", "市应急管理局")])
    result = ledger_import(actor=org.supervisor, data=data, today=TODAY)
    assert result.created == 0 and [e.column for e in result.refused] == ["任务编号"]


@pytest.mark.django_db
def test_every_bad_row_is_listed_and_nothing_is_written(org):
    data = xlsx([HEADER,
                 (1, "", "市教育局", "", "2024-10-31", ""),
                 (2, "事项二", "市不存在局", "", "2024-10-31", ""),
                 (3, "事项三", "市教育局", "市火星局", "下个月吧", ""),
                 (4, "事项四", "市教育局", "", "2024-02-30", ""),
                 (5, "事项五", "市教育局", "", 45000, ""),
                 (6, "好的事项", "市教育局", "", "2024-10-31", "")])
    before = (Task.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as info:
        ledger_import(actor=org.supervisor, data=data, today=TODAY)
    assert (Task.objects.count(), AuditEvent.objects.count()) == before
    errors = {(e["row"], e["column"]): e["message"] for e in info.value.details}
    assert errors[(2, "事项")] == "事项不能为空"
    assert "市不存在局" in errors[(3, "牵头单位")] and "不存在" in errors[(3, "牵头单位")]
    assert "市火星局" in errors[(4, "配合单位")]
    assert "无法识别为日期" in errors[(4, "时限")]
    assert "不是有效日期" in errors[(5, "时限")]
    assert "是数字" in errors[(6, "时限")]
    assert all(row != 7 for row, _ in errors)
    assert "未导入任何事项" in info.value.message_zh


@pytest.mark.django_db
@pytest.mark.parametrize("rows,needle", [
    ([("名称", "单位"), ("x", "y")], "未找到表头"),
    ([("事项", "时限"), ("x", "2024-10-31")], "缺少必需的列：“牵头单位”"),
    ([("事项", "牵头单位")], "没有数据行"),
])
def test_wrong_headers_are_explained(org, rows, needle):
    with pytest.raises(InvalidInput) as info:
        ledger_import(actor=org.supervisor, data=xlsx(rows), today=TODAY)
    assert needle in info.value.message_zh


@pytest.mark.django_db
def test_not_an_xlsx_and_merged_cells(org):
    with pytest.raises(InvalidInput) as info:
        ledger_import(actor=org.supervisor, data=b"PK\x03\x04 not really", today=TODAY)
    assert "无法读取文件" in info.value.message_zh
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", ""), (2, "事项二", None, "", "2024-10-31", "")],
                title="台账", merge="C3:C4")
    with pytest.raises(InvalidInput) as info:
        ledger_import(actor=org.supervisor, data=data, today=TODAY)
    rows = {e["row"] for e in info.value.details if "合并单元格（C3:C4）" in e["message"]}
    assert rows == {3, 4}
    assert Task.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_lines_in_one_file(org):
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", ""), (2, "事项一", "市教育局", "", "2024-10-31", "")])
    with pytest.raises(InvalidInput) as info:
        ledger_import(actor=org.supervisor, data=data, today=TODAY)
    assert info.value.details == [{"row": 3, "column": "", "message": "与第2行重复（事项、牵头单位、时限均相同）"}]


@pytest.mark.django_db
def test_only_supervisors_import(org):
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", "")])
    for user in (org.leader, org.lead_admin, org.other_staff):
        with pytest.raises(PermissionDenied):
            ledger_import(actor=user, data=data, today=TODAY)
    assert Task.objects.count() == 0 and not ImportedRow.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.LEDGER_IMPORTED).exists()


@pytest.mark.django_db
def test_dry_run_writes_nothing(org):
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", "")])
    result = ledger_import(actor=org.supervisor, data=data, dry_run=True, today=TODAY)
    assert "将新建1项" in result.message and Task.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.slow
def test_row_limit_gives_a_clear_error_fast(org, settings):
    settings.DUBAN_LEDGER_MAX_ROWS = 10000
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for i in range(20000):
        ws.append((i, f"事项{i}", "市教育局", "", "2024-10-31", ""))
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    started = time.perf_counter()
    with pytest.raises(InvalidInput) as info:
        ledger_import(actor=org.supervisor, data=data, today=TODAY)
    assert time.perf_counter() - started < 5
    assert "台账约有20001行数据，超过单次导入上限10000行" in info.value.message_zh
    assert Task.objects.count() == 0


# --- parser units -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("2024-10-31", dt.date(2024, 10, 31)), ("2024/10/31", dt.date(2024, 10, 31)),
    ("2024年10月31日", dt.date(2024, 10, 31)), ("2024年10月31日前", dt.date(2024, 10, 31)),
    ("2024年10月底前", dt.date(2024, 10, 31)), ("2024年10月", dt.date(2024, 10, 31)),
    ("10月底前", dt.date(2024, 10, 31)), ("年底前", dt.date(2024, 12, 31)),
    (dt.datetime(2025, 1, 2, 0, 0), dt.date(2025, 1, 2)), (None, None), ("长期坚持", None),
])
def test_parse_deadline(value, expected):
    day, _, error = parse_deadline(value, today=TODAY)
    assert error is None and day == expected


cell_values = st.one_of(st.none(), st.text(max_size=60), st.integers(), st.floats(allow_nan=True),
                        st.booleans(), st.dates(), st.datetimes())


@given(st.dictionaries(st.sampled_from(["事项", "牵头单位", "配合单位", "时限", "领域", "进展"]), cell_values))
@hsettings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_row_parser_never_crashes(cells):
    row, errors = parse_row(5, cells, units={"市教育局": 1, "应急局": 2}, areas={"安全生产": 1}, today=TODAY)
    assert (row is None) == bool(errors)
    assert all(e.row == 5 and e.message for e in errors)
    if row is not None:
        assert row.lead_unit_id in (1, 2) and row.title.strip()


def test_written_rows_read_back_with_their_styles():
    """Markup characters, stray spaces and line breaks survive; dates are dates; formula-like text is inert."""
    lines = [ledger.LedgerLine("会议", {"任务编号": "DB000001", "督办事项": " 前后有空格 ", "牵头单位": "市应急管理局",
                                     "时限": dt.date(2024, 10, 31), "最新进展": "30%；已部署", "状态": "办理中"}),
             ledger.LedgerLine("会议", {"任务编号": "DB000002", "督办事项": "A&B<c>控制\r\n换行", "配合单位": "市卫健委、市教育局",
                                     "时限": "长期坚持", "状态": "已交办", "备注": "=HYPERLINK(\"http://x\",\"点此\")"})]
    ws = read(ledger.write_ledger(lines, subtitle="导出日期2024-09-01", columns=["督办事项", "时限", "备注"]))
    assert ws["A1"].value == "督办事项台账（导出日期2024-09-01）"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows == [("DB000001", " 前后有空格 ", dt.datetime(2024, 10, 31), None),
                    ("DB000002", "A&B<c>控制\r\n换行", "长期坚持", "'=HYPERLINK(\"http://x\",\"点此\")")]
    assert ws["B3"].alignment.wrap_text and not ws["C3"].alignment.wrap_text
    assert ws["C3"].number_format == "yyyy-mm-dd"
    assert ws["D4"].data_type == "s"


@pytest.mark.django_db
def test_followups_are_counted_in_the_ledger(org):
    from duban.followup.reminders import reminders_run

    late = org.task_in("assigned", title="逾期事项", deadline=dt.date(2024, 8, 1))
    org.task_in("assigned", title="未到期事项", deadline=dt.date(2030, 1, 1))
    sent = reminders_run(today=TODAY + dt.timedelta(days=1))  # reminders go out on working days: Monday
    assert [r.task_id for r in sent] == [late.pk]
    rows = {r["督办事项"]: r for r in by_header(read(ledger_export(actor=org.supervisor, today=TODAY)))}
    assert rows["逾期事项"]["督办次数"] == 1 and rows["逾期事项"]["亮灯"] == "红灯"
    assert rows["未到期事项"]["督办次数"] == 0


@pytest.mark.django_db
def test_a_sub_task_takes_its_root_tasks_source_and_a_split_task_its_rolled_up_progress(org):
    # The rule: a sub-task (分解下达) came from what its root task came from, so its 来源会议/文号 is the root's (a
    # leader's instruction by its 文号), in every viewer's export; the 进度 column is the progress the task list
    # shows: a split task's rolled up from its sub-tasks, a task's own otherwise.
    from duban.sources import actions as sources
    from duban.tasks import actions as task_actions
    from duban.tasks.tests.levels_world import make_levels

    lv = make_levels(org)
    sources.instruction_create(actor=org.supervisor, text="请排查出租自建房隐患。", leader="李华",
                               date=dt.date(2024, 8, 6), doc_number="江督批〔2024〕12号", assign=True,
                               tasks=[{"title": "出租自建房隐患排查", "lead_unit_id": lv.all_districts.pk,
                                       "deadline": dt.date.today() + dt.timedelta(days=60)}])
    root = Task.objects.get(title="出租自建房隐患排查")
    part, _part2 = lv.split(org.supervisor, root, lv.district, lv.district2)
    town_a, _town_b = lv.split(lv.district_sup, part, lv.town_a, lv.town_b)
    task_actions.task_accept(actor=lv.town_a_staff, task_id=town_a.pk)
    task_actions.report_submit(actor=lv.town_a_staff, task_id=town_a.pk, text="已排查一半", progress_percent=60)
    source = "领导批示：江督批〔2024〕12号（李华）"
    rows = by_header(read(ledger_export(actor=org.supervisor, today=TODAY)))
    assert {r["来源会议/文号"] for r in rows} == {source} and len(rows) == 5
    rows = by_header(read(ledger_export(actor=lv.district_sup, today=TODAY)))
    assert rows and {r["来源会议/文号"] for r in rows} == {source}
    progress = {r["任务编号"]: r["进度（%）"] for r in by_header(read(ledger_export(actor=org.supervisor, today=TODAY)))}
    part.refresh_from_db()
    assert part.progress_percent == 0 and part.rolled_progress not in (None, 0)
    assert progress[ledger.task_key(part.pk)] == part.rolled_progress
    assert progress[ledger.task_key(town_a.pk)] == 60
    sheets = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor, today=TODAY, per_meeting=True))).sheetnames
    assert sheets == ["领导批示"]


@pytest.mark.django_db
def test_each_sources_sheet_carries_its_records_key_facts(org):
    # The rule: on 按会议分表, a source's own sheet says what a reader of that source needs after the ledger's
    # columns: 民生实事 its 目标值 and 累计完成; 隐患 its 类别, 等级, 状态 and 责任人; 督察交办件 its 督察组, 批次,
    # 要求回复日期, 整改情况 and 是否公开. The single-sheet ledger keeps its own columns.
    from duban.sources import actions as sources
    from duban.sources.models import LivelihoodProject

    sources.case_create(actor=org.supervisor, case_number="SD2-031", batch="第二批", complaint="河道有异味",
                        inspection="中央第二生态环境保护督察组", reply_due=dt.date(2024, 11, 30),
                        lead_unit_id=org.safety.pk, title="河道异味", assign=True, allow_past_deadline=True)
    sources.hazard_create(actor=org.supervisor, place="城东农贸市场", category="gas", severity="larger",
                          description="燃气管道老化", deadline=dt.date.today() + dt.timedelta(days=30),
                          responsible_person="王强", lead_unit_id=org.safety.pk, title="农贸市场燃气管道")
    sources.livelihood_create(actor=org.supervisor, indicator="新增公办幼儿园学位", target="3000", measure_unit="个",
                              period_start=dt.date(2024, 1, 1), period_end=dt.date(2024, 12, 31),
                              lead_unit_id=org.safety.pk, title="新增公办幼儿园学位3000个", allow_past_deadline=True)
    project = LivelihoodProject.objects.get()
    sources.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2024, 9, 1), value="1200")
    sources.livelihood_record_actual(actor=org.supervisor, project_id=project.pk, month=dt.date(2024, 10, 1), value="600")
    wb = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor, today=TODAY, per_meeting=True)))
    case = by_header(wb["督察交办件"])[0]
    assert (case["督察组"], case["批次"], case["整改情况"], case["是否公开"]) == (
        "中央第二生态环境保护督察组", "第二批", None, "未定")
    assert case["要求回复日期"].date() == dt.date(2024, 11, 30)
    hazard = by_header(wb["隐患整改"])[0]
    assert (hazard["隐患类别"], hazard["隐患等级"], hazard["隐患状态"], hazard["责任人"]) == (
        "燃气", "较大", "已发现（待整改）", "王强")
    project_row = by_header(wb["民生实事"])[0]
    assert (project_row["目标值"], project_row["累计完成"]) == ("3000个", "1800个")
    assert "目标值" not in [c.value for c in read(ledger_export(actor=org.supervisor, today=TODAY))[2]]


@pytest.mark.django_db
def test_assigning_by_ledger_import_says_whom_it_notified_as_confirming_a_meeting_does(org, client):
    # The rule: 交办 tells the lead and cooperating units, the office holding (代收) the notice of a lead unit with
    # nobody; whoever assigns is told whom the notices reached and which units have nobody (确认交办's message).
    from duban.core.actions import unit_create

    empty = unit_create(actor=org.system, name="市人社局")
    data = xlsx([HEADER, (1, "事项甲", "市教育局", "市卫健委", "2035-11-30", ""), (2, "事项乙", "市人社局", "", "", "")])
    ledger_import(actor=org.supervisor, data=data, today=TODAY)
    drafts = list(Task.objects.filter(status=TaskStatus.DRAFT).order_by("id"))
    edited = _edit(ledger_export(actor=org.supervisor, today=TODAY),
                   {(ledger.task_key(t.pk), "状态"): "已交办" for t in drafts})
    client.force_login(org.supervisor)
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post("/reports/ledger/import/", {"file": SimpleUploadedFile("edited.xlsx", edited)})
    page = client.post("/reports/ledger/import/", {"do": "apply", "data": preview.context["data"],
                                                   "filename": "edited.xlsx", "plan": preview.context["result"].plan})
    assert page.status_code == 200
    message = page.context["result"].message
    # other_staff (市教育局, lead) and coop_staff (市卫健委, cooperating): two people; 市人社局 has nobody
    assert "交办2项：已通知相关单位2人。市人社局尚无可接收通知的人员，未能送达，请电话告知，或为其开通账号。" in message
    assert "牵头单位的通知已由市委督查室代收" in message
    assert 'class="alert alert-warning"' in page.content.decode()
    assert set(Task.objects.filter(pk__in=[t.pk for t in drafts]).values_list("status", flat=True)) == {"assigned"}
    assert empty.pk == drafts[1].lead_unit_id


@pytest.mark.django_db
def test_imported_tasks_carry_no_meeting_item_number(org, client):
    # The rule: 序号 on a task (第N项) is its number among its meeting's items; a task imported from a ledger line
    # belongs to no meeting, so it has none, whatever row of the file it stood on (the export numbers its own
    # rows 1, 2, 3 …).
    for i in range(3):
        org.task_in("assigned", title=f"已有事项{i}", deadline=dt.date(2035, 10, i + 1))
    wb = load_workbook(io.BytesIO(ledger_export(actor=org.supervisor, today=TODAY)))
    ws = wb.active
    for title in ("新事项一", "新事项二", "新事项三"):  # rows 6, 7 and 8 of the sheet
        ws.append([None, None, "", title, title, "", "市教育局", "", "2035-12-31"])
    out = io.BytesIO()
    wb.save(out)
    result = ledger_import(actor=org.supervisor, data=out.getvalue(), today=TODAY)
    assert result.created == 3
    new = Task.objects.filter(pk__in=result.task_ids)
    assert set(new.values_list("seq", flat=True)) == {0}
    client.force_login(org.supervisor)
    assert "第 6 项" not in client.get(f"/tasks/{result.task_ids[0]}/").content.decode()
    rows = by_header(read(ledger_export(actor=org.supervisor, today=TODAY)))
    assert [r["序号"] for r in rows] == [1, 2, 3, 4, 5, 6]
