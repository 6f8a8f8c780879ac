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
from duban.reports.ledger import import_ledger, parse_deadline, parse_row
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

@pytest.mark.django_db
def test_export_layout_matches_database(org):
    first = org.task_in("in_progress", deadline=dt.date(2024, 10, 31))
    second = org.task_in("assigned", title="完善应急预案", coop_unit_ids=[], deadline=None, deadline_text="长期坚持")
    data = ledger_export(actor=org.supervisor)
    ws = read(data)
    assert ws["A1"].value.startswith("督办事项台账")
    assert "A1:G1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == list(ledger.COLUMNS)
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["B"].width == 50
    body = list(ws.iter_rows(min_row=3, values_only=True))
    expected = {t.pk: t for t in Task.objects.filter(pk__in=[first.pk, second.pk])}
    assert len(body) == 2
    by_title = {row[1]: row for row in body}
    row = by_title[expected[first.pk].title]
    assert row[2] == "市应急管理局" and row[3] == "市卫健委"
    assert row[4].date() == dt.date(2024, 10, 31)
    assert row[5] == "30%；已部署" and row[6] == "办理中"
    assert by_title["完善应急预案"][4] == "长期坚持" and by_title["完善应急预案"][6] == "已交办"
    (event,) = AuditEvent.objects.filter(event_type=EventType.LEDGER_EXPORTED)
    assert event.actor == org.supervisor and event.extra["rows"] == 2


@pytest.mark.django_db
def test_export_is_scoped_and_filtered(org):
    mine = org.task_in("assigned", title="本单位事项")
    org.task_in("assigned", title="教育局事项", lead_unit_id=org.other.pk, coop_unit_ids=[])
    org.task_in("closed", title="已办结事项")
    titles = [r[1] for r in read(ledger_export(actor=org.other_staff)).iter_rows(min_row=3, values_only=True)]
    assert titles == ["教育局事项"]
    titles = [r[1] for r in read(ledger_export(actor=org.lead_staff, filters={"status": "assigned"}))
              .iter_rows(min_row=3, values_only=True)]
    assert titles == [mine.title]


# --- import --------------------------------------------------------------------------------------------------

HEADER = ("序号", "工作任务", "责任单位", "协办单位", "完成时限", "进展情况")


@pytest.mark.django_db
def test_import_with_synonyms_creates_drafts_once(org):
    data = xlsx([HEADER,
                 (1, "开展燃气安全专项整治", "市应急管理局", "市卫健委、市教育局", "2024年10月底前", ""),
                 (2, "完善学校安全制度", "市教育局", None, dt.datetime(2024, 12, 31), ""),
                 (3, "健全应急物资储备", "应急局", "", "长期坚持", "")], title="2024年重点工作督办台账")
    result = import_ledger(actor=org.supervisor, data=data, filename="台账.xlsx", today=TODAY)
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
    again = import_ledger(actor=org.supervisor, data=data, filename="台账.xlsx", today=TODAY)
    assert again.noop and again.created == 0 and again.skipped == 3 and "均已导入过" in again.message
    assert (Task.objects.count(), AuditEvent.objects.count(), LedgerImport.objects.count()) == before


@pytest.mark.django_db
def test_import_adds_only_new_lines_and_can_assign(org):
    import_ledger(actor=org.supervisor, data=xlsx([HEADER, (1, "事项甲", "市教育局", "", "2024-11-30", "")]),
                  today=TODAY)
    data = xlsx([HEADER, (1, "事项甲", "市教育局", "", "2024-11-30", ""), (2, "事项乙", "市教育局", "", "", "")])
    result = import_ledger(actor=org.supervisor, data=data, assign=True, today=TODAY)
    assert (result.created, result.skipped) == (1, 1)
    new = Task.objects.get(pk=result.task_ids[0])
    assert new.title == "事项乙" and new.status == TaskStatus.ASSIGNED
    assert set(Notification.objects.filter(task=new).values_list("recipient__username", flat=True)) == {
        "other_staff"}


@pytest.mark.django_db
def test_round_trip_export_then_import(org):
    originals = [org.task_in("assigned", title=f"事项{i}", deadline=dt.date(2024, 10, i + 1),
                             lead_unit_id=(org.safety if i % 2 else org.other).pk, coop_unit_ids=[])
                 for i in range(5)]
    data = ledger_export(actor=org.supervisor)
    result = import_ledger(actor=org.supervisor, data=data, filename="export.xlsx", today=TODAY)
    assert result.created == 5
    back = sorted(Task.objects.filter(pk__in=result.task_ids).values_list("title", "lead_unit_id", "deadline"))
    assert back == sorted((t.title, t.lead_unit_id, t.deadline) for t in originals)


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
        import_ledger(actor=org.supervisor, data=data, today=TODAY)
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
        import_ledger(actor=org.supervisor, data=xlsx(rows), today=TODAY)
    assert needle in info.value.message_zh


@pytest.mark.django_db
def test_not_an_xlsx_and_merged_cells(org):
    with pytest.raises(InvalidInput) as info:
        import_ledger(actor=org.supervisor, data=b"PK\x03\x04 not really", today=TODAY)
    assert "无法读取文件" in info.value.message_zh
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", ""), (2, "事项二", None, "", "2024-10-31", "")],
                title="台账", merge="C3:C4")
    with pytest.raises(InvalidInput) as info:
        import_ledger(actor=org.supervisor, data=data, today=TODAY)
    rows = {e["row"] for e in info.value.details if "合并单元格（C3:C4）" in e["message"]}
    assert rows == {3, 4}
    assert Task.objects.count() == 0


@pytest.mark.django_db
def test_duplicate_lines_in_one_file(org):
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", ""), (2, "事项一", "市教育局", "", "2024-10-31", "")])
    with pytest.raises(InvalidInput) as info:
        import_ledger(actor=org.supervisor, data=data, today=TODAY)
    assert info.value.details == [{"row": 3, "column": "", "message": "与第2行重复（事项、牵头单位、时限均相同）"}]


@pytest.mark.django_db
def test_only_supervisors_import(org):
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", "")])
    for user in (org.leader, org.lead_admin, org.other_staff):
        with pytest.raises(PermissionDenied):
            import_ledger(actor=user, data=data, today=TODAY)
    assert Task.objects.count() == 0 and not ImportedRow.objects.exists()
    assert not AuditEvent.objects.filter(event_type=EventType.LEDGER_IMPORTED).exists()


@pytest.mark.django_db
def test_dry_run_writes_nothing(org):
    data = xlsx([HEADER, (1, "事项一", "市教育局", "", "2024-10-31", "")])
    result = import_ledger(actor=org.supervisor, data=data, dry_run=True, today=TODAY)
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
        import_ledger(actor=org.supervisor, data=data, today=TODAY)
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
    """The data rows are written as sheet XML by hand (not cell by cell through openpyxl): Excel's reader must get
    the same values and styles openpyxl would have written, markup characters and stray spaces included."""
    lines = [ledger.LedgerLine(1, " 前后有空格 ", "市应急管理局", "", dt.date(2024, 10, 31), "", "30%；已部署", "办理中"),
             ledger.LedgerLine(2, "A&B<c>\x01控制字符\r\n换行", "", "市卫健委、市教育局", None, "长期坚持", "", "已交办")]
    ws = read(ledger.write_ledger(lines, subtitle="导出日期2024-09-01"))
    assert ws["A1"].value == "督办事项台账（导出日期2024-09-01）"
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert rows == [(1, " 前后有空格 ", "市应急管理局", None, dt.datetime(2024, 10, 31), "30%；已部署", "办理中"),
                    (2, "A&B<c>控制字符\r\n换行", None, "市卫健委、市教育局", "长期坚持", None, "已交办")]
    for row in (3, 4):
        assert all(ws[f"{col}{row}"].alignment.wrap_text for col in "BDF")
        assert not ws[f"C{row}"].alignment.wrap_text
    assert ws["E3"].number_format == "yyyy-mm-dd" and ws["E4"].number_format == "General"
    assert ws.max_row == 4 and ws.print_title_rows == "$2:$2" and ws.page_setup.orientation == "landscape"
