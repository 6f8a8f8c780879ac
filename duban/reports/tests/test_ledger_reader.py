"""The fast .xlsx sheet reader of ledger imports (``ledger._fast_sheet_rows``) against openpyxl's read-only reader:
the same rows, value for value, on generated workbooks holding what clerks' files hold (shared and inline strings,
rich text, numbers, dates with number formats, text dates, booleans, empty cells, gaps, several sheets), and
openpyxl as the fallback for anything else."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from duban.reports import ledger

XML_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r",
                                 min_codepoint=0x20), max_size=30) | st.sampled_from(
    ["", " 前后空格 ", "市应急管理局", "2024年10月底前", "长期坚持", "a\nb", "x005F_y", "&<>\"'"])
DATES = st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 12, 31))
DATETIMES = st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2100, 12, 31)).map(
    lambda d: d.replace(microsecond=0))
VALUES = st.one_of(
    XML_TEXT, st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.booleans(), DATES, DATETIMES, st.none(),
    st.lists(XML_TEXT.filter(bool), min_size=1, max_size=3).map(
        lambda parts: ("rich", parts)),
    st.tuples(st.just("datefmt"), st.integers(1, 60000), st.sampled_from(
        ['yyyy"年"m"月"d"日"', "yyyy/m/d", "m/d/yy", "[h]:mm:ss", "0.00"])),
)
CELLS = st.dictionaries(st.tuples(st.integers(1, 25), st.integers(1, 9)), VALUES, max_size=60)


def _put(ws, row: int, column: int, value) -> None:
    cell = ws.cell(row=row, column=column)
    if isinstance(value, tuple) and value[0] == "rich":
        cell.value = CellRichText([part if i % 2 == 0 else TextBlock(InlineFont(b=True), part)
                                   for i, part in enumerate(value[1])])
    elif isinstance(value, tuple) and value[0] == "datefmt":
        cell.value, cell.number_format = value[1], value[2]
    else:
        cell.value = value


def _shared(data: bytes) -> bytes:
    """The workbook with every inline string moved to a shared-strings table, as Excel and WPS save them."""
    source = zipfile.ZipFile(io.BytesIO(data))
    strings: list[str] = []

    def share(match) -> str:
        strings.append(match[3])
        return f'<c{match[1]}t="s"{match[2]}><v>{len(strings) - 1}</v></c>'

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            body = source.read(name)
            if name.startswith("xl/worksheets/sheet"):
                body = re.sub(r'<c([^>]*?)t="inlineStr"([^>]*)><is>(.*?)</is></c>', share,
                              body.decode("utf-8"), flags=re.S).encode("utf-8")
            elif name == "[Content_Types].xml":
                body = body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif name == "xl/_rels/workbook.xml.rels":
                body = body.replace(b"</Relationships>", b'<Relationship Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml" '
                                    b'Id="rIdShared"/></Relationships>')
            target.writestr(name, body)
        items = "".join(f"<si>{s}</si>" for s in strings)
        target.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                        f'main" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>')
    return out.getvalue()


def _openpyxl_rows(data: bytes) -> list[tuple]:
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()


def _workbook(sheets: list[dict], *, epoch_1904: bool = False) -> bytes:
    wb = Workbook()
    if epoch_1904:
        wb.epoch = CALENDAR_MAC_1904
    for index, cells in enumerate(sheets):
        ws = wb.active if index == 0 else wb.create_sheet(f"表{index}")
        for (row, column), value in sorted(cells.items()):
            _put(ws, row, column, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets=st.lists(CELLS, min_size=1, max_size=3), shared=st.booleans(), epoch_1904=st.booleans())
def test_fast_reader_gives_openpyxls_rows(sheets, shared, epoch_1904):
    data = _workbook(sheets, epoch_1904=epoch_1904)
    if shared:
        data = _shared(data)
    fast = ledger._fast_sheet_rows(data)
    assert fast is not None
    assert fast == _openpyxl_rows(data)


def test_the_generated_files_hold_what_they_should():
    """The generator really produces shared strings, inline rich text, dates and booleans (a fast reader compared on
    files without them would prove little)."""
    sheets = [{(1, 1): "事项", (2, 2): ("rich", ["市", "应急局"]), (3, 3): dt.date(2024, 10, 31), (4, 4): True,
               (9, 5): ("datefmt", 45000, 'yyyy"年"m"月"d"日"'), (5, 1): 3.5}, {(1, 1): "第二张表"}]
    inline = _workbook(sheets)
    sheet_xml = zipfile.ZipFile(io.BytesIO(inline)).read("xl/worksheets/sheet1.xml").decode()
    assert "<r>" in sheet_xml and 't="inlineStr"' in sheet_xml and 't="b"' in sheet_xml
    shared = _shared(inline)
    assert 't="inlineStr"' not in zipfile.ZipFile(io.BytesIO(shared)).read("xl/worksheets/sheet1.xml").decode()
    for data in (inline, shared):
        rows = ledger._fast_sheet_rows(data)
        assert rows == _openpyxl_rows(data)
        assert rows[1][1] == "市应急局" and rows[2][2] == dt.datetime(2024, 10, 31) and rows[3][3] is True
        assert rows[8][4] == dt.datetime(2023, 3, 15) and rows[4][0] == 3.5
        assert rows[5] == (None,) * 5  # a missing row, padded to the sheet's width


def _rewrite_sheet(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            body = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                body = change(body.decode("utf-8")).encode("utf-8")
            target.writestr(name, body)
    return out.getvalue()


def test_unusual_files_are_left_to_openpyxl():
    data = _workbook([{(1, 1): "事项", (1, 2): "牵头单位", (2, 1): "任务", (2, 2): "市应急管理局"}])
    no_refs = _rewrite_sheet(data, lambda xml: re.sub(r'<c r="[A-Z]+\d+"', "<c", xml))
    assert ledger._fast_sheet_rows(no_refs) is None
    assert _openpyxl_rows(no_refs)[1][:2] == ("任务", "市应急管理局")  # what parse_ledger then reads
    odd_type = _rewrite_sheet(data, lambda xml: xml.replace('t="inlineStr"', 't="x"', 1))
    assert ledger._fast_sheet_rows(odd_type) is None
    assert ledger._fast_sheet_rows(b"not a zip") is None
    # a dimension smaller than the data: openpyxl's read-only reader stops at it, and so does the fast one
    short = _rewrite_sheet(data, lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:A1"', xml))
    assert ledger._fast_sheet_rows(short) == _openpyxl_rows(short) == [("事项",)]


@pytest.mark.django_db
def test_parse_ledger_same_with_either_reader(org, monkeypatch):
    today = dt.date(2024, 1, 1)
    rows = [["序号", "工作任务", "责任单位", "配合单位", "完成时限"],
            [1, "做好防汛准备工作", "市应急管理局", "市卫健委", dt.date(2024, 6, 30)],
            [2, ("rich", ["抓好", "安全生产"]), "市应急管理局", None, "2024年10月底前"],
            [3, "无效单位的事项", "不存在局", None, "长期坚持"],
            [4, "", "市应急管理局", None, 45000],
            [None, None, None, None, None],
            [6, "时限是布尔值", "市卫健委", "市应急管理局", True]]
    cells = {(r + 3, c + 1): v for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None}
    cells[(1, 1)] = "督办事项台账"
    for data in (_workbook([cells]), _shared(_workbook([cells]))):
        fast = ledger.parse_ledger(data, today=today, max_rows=100)
        monkeypatch.setattr(ledger, "_fast_sheet_rows", lambda data: None)
        slow = ledger.parse_ledger(data, today=today, max_rows=100)
        monkeypatch.undo()
        assert [e.as_dict() for e in fast.errors] == [e.as_dict() for e in slow.errors]
        assert [(r.row, r.title, r.lead_unit_id, r.coop_unit_ids, r.deadline, r.deadline_text) for r in fast.rows] == [
            (r.row, r.title, r.lead_unit_id, r.coop_unit_ids, r.deadline, r.deadline_text) for r in slow.rows]
        assert fast.data_rows == slow.data_rows == 5 and fast.errors  # the bad rows are reported, by row
        assert {e.row for e in fast.errors} >= {6, 7}
