"""The ledger (督办台账) as an .xlsx file: writing any filtered task list in the layout clerks use, and reading an
existing ledger back into rows that can become draft tasks.

Writing and parsing are pure functions over rows here; the audited doors are ``ledger_export`` and
``ledger_import`` in ``duban.reports.actions`` (``import_ledger`` below is the entry the communique importer
routes .xlsx files to).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel

COLUMNS = ("序号", "事项", "牵头单位", "配合单位", "时限", "进展", "状态")
WIDTHS = (6, 50, 18, 24, 14, 40, 10)
TITLE = "督办事项台账"

# Header synonyms seen in county ledgers → our column. Matched after removing spaces and line breaks.
HEADER_SYNONYMS = {
    "序号": "序号", "编号": "序号",
    "事项": "事项", "督办事项": "事项", "工作任务": "事项", "任务内容": "事项", "重点任务": "事项",
    "决定事项": "事项", "工作事项": "事项", "任务": "事项", "具体任务": "事项", "事项内容": "事项",
    "牵头单位": "牵头单位", "责任单位": "牵头单位", "牵头部门": "牵头单位", "主办单位": "牵头单位",
    "责任部门": "牵头单位", "承办单位": "牵头单位",
    "配合单位": "配合单位", "协办单位": "配合单位", "配合部门": "配合单位", "协办部门": "配合单位",
    "参与单位": "配合单位",
    "时限": "时限", "完成时限": "时限", "办结时限": "时限", "办理时限": "时限", "完成时间": "时限",
    "截止时间": "时限", "时间节点": "时限",
    "进展": "进展", "进展情况": "进展", "落实情况": "进展", "办理情况": "进展",
    "状态": "状态", "办理状态": "状态",
    "工作领域": "领域", "领域": "领域", "所属领域": "领域",
}
REQUIRED = ("事项", "牵头单位")
HEADER_SCAN_ROWS = 10
UNIT_SPLIT = re.compile(r"[、，,；;/\s]+")
OPEN_ENDED = ("长期", "持续", "常态", "长效")
_FULL_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(前|之前|以前)?\s*$")
_YEAR_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*(底|末)?\s*(前|之前|以前)?\s*$")


def normalise(text) -> str:
    return re.sub(r"\s+", "", str(text or ""))


@dataclass
class RowError:
    row: int  # the spreadsheet row number people see in Excel (0 for the whole file)
    message: str
    column: str = ""

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        return f"{where}{'「' + self.column + '」' if self.column else ''}：{self.message}"


@dataclass
class LedgerRow:
    row: int
    title: str
    lead_unit_id: int
    coop_unit_ids: list[int]
    deadline: dt.date | None
    deadline_text: str
    area_id: int | None = None

    @functools.cached_property
    def key(self) -> str:
        """Stable identity of the line: the same (事项, 牵头单位, 时限) is the same task however often imported.
        Computed once: the import reads it four times a row."""
        when = self.deadline.isoformat() if self.deadline else normalise(self.deadline_text)
        raw = "\x1f".join((normalise(self.title), str(self.lead_unit_id), when))
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass
class ParsedLedger:
    rows: list[LedgerRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    sha256: str = ""
    data_rows: int = 0


# --- writing -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LedgerLine:
    seq: int
    title: str
    lead_unit: str
    coop_units: str
    deadline: dt.date | None
    deadline_text: str
    progress: str
    status: str


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl refuses in a cell (ILLEGAL_CHARACTERS_RE)
_MAX_CELL_TEXT = 32767  # Excel's limit; openpyxl cuts longer text the same way
_SHEET_XML = "xl/worksheets/sheet1.xml"


def _inline(ref: str, style: str, text: str) -> str:
    """One text cell as the sheet XML openpyxl writes for it (an inline string)."""
    text = _ILLEGAL_XML.sub("", text)[:_MAX_CELL_TEXT]
    space = ' xml:space="preserve"' if text != text.strip() else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _data_rows_xml(lines, *, first_row: int, wrap_style: int, date_style: int) -> tuple[str, int]:
    """The ``<row>`` elements of the ledger lines, starting at ``first_row``, and the number of rows. Cells and
    styles as openpyxl would write them: 事项, 配合单位 and 进展 wrapped (also when empty), a date 时限 numbered
    with the date style, a text 时限 as text, empty cells left out."""
    wrap = f' s="{wrap_style}"'
    serials: dict[dt.date, str] = {}
    parts = []
    number = first_row - 1
    for number, line in enumerate(lines, start=first_row):
        r = str(number)
        cells = [f'<row r="{r}"><c r="A{r}" t="n"><v>{int(line.seq)}</v></c>']
        cells.append(_inline("B" + r, wrap, line.title) if line.title else f'<c r="B{r}"{wrap}/>')
        if line.lead_unit:
            cells.append(_inline("C" + r, "", line.lead_unit))
        cells.append(_inline("D" + r, wrap, line.coop_units) if line.coop_units else f'<c r="D{r}"{wrap}/>')
        if line.deadline:
            serial = serials.get(line.deadline)
            if serial is None:
                serial = serials[line.deadline] = str(to_excel(line.deadline))
            cells.append(f'<c r="E{r}" s="{date_style}" t="n"><v>{serial}</v></c>')
        elif line.deadline_text:
            cells.append(_inline("E" + r, "", line.deadline_text))
        cells.append(_inline("F" + r, wrap, line.progress) if line.progress else f'<c r="F{r}"{wrap}/>')
        if line.status:
            cells.append(_inline("G" + r, "", line.status))
        cells.append("</row>")
        parts.append("".join(cells))
    return "".join(parts), number - first_row + 1


def write_ledger(lines, *, title: str = TITLE, subtitle: str = "") -> bytes:
    """An .xlsx of ``lines``: a merged title row, a bold frozen header, column widths and wrapped text, so it
    prints on A4 landscape the way clerks lay out their own ledgers.

    openpyxl writes the workbook (styles, print settings, the title and header rows); the data rows, all alike,
    are written into its sheet XML as text here. openpyxl spends some 30 µs on each cell, over 2 s for a
    10 000-row ledger; a row of text takes a few µs."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("督办台账")
    for index, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.row_dimensions[1].height = 30
    ws.merged_cells.add(f"A1:{get_column_letter(len(COLUMNS))}1")
    ws.freeze_panes = "A3"
    ws.print_options.gridLines = True
    ws.page_setup.orientation = "landscape"
    ws.print_title_rows = "2:2"
    heading = WriteOnlyCell(ws, title + (f"（{subtitle}）" if subtitle else ""))
    heading.font = Font(size=16, bold=True)
    heading.alignment = Alignment(horizontal="center", vertical="center")
    ws.append([heading])
    thin = Side(style="thin")
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(ws, name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        header.append(cell)
    ws.append(header)
    # Register the data rows' two styles in the workbook, so styles.xml holds them; their ids go in the XML.
    wrapped = WriteOnlyCell(ws)
    wrapped.alignment = Alignment(wrap_text=True, vertical="top")
    dated = WriteOnlyCell(ws, dt.date(2000, 1, 1))  # a date cell gets openpyxl's "yyyy-mm-dd" number format
    rows_xml, count = _data_rows_xml(lines, first_row=3, wrap_style=wrapped.style_id, date_style=dated.style_id)
    shell = io.BytesIO()
    wb.save(shell)
    out = io.BytesIO()
    with zipfile.ZipFile(shell) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == _SHEET_XML and count:
                xml = data.decode("utf-8")
                at = xml.index("</sheetData>")
                data = (xml[:at] + rows_xml + xml[at:]).encode("utf-8")
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --- reading -----------------------------------------------------------------------------------------------------

def parse_deadline(value, *, today: dt.date) -> tuple[dt.date | None, str, str | None]:
    """(date, original text, error) for one 时限 cell. Dates, "2024-10-31", "2024年10月底前", "10月底前" (the
    coming one, counted from ``today``) and open-ended "长期坚持" are understood; anything else is an error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "", None
    if isinstance(value, dt.datetime):
        return value.date(), "", None
    if isinstance(value, dt.date):
        return value, "", None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None, "", f"时限“{value}”是数字，不是日期，请填写如“2024-10-31”或“2024年10月底前”"
    text = str(value).strip()[:50]
    try:
        match = _FULL_DATE.match(text)
        if match:
            return dt.date(int(match[1]), int(match[2]), int(match[3])), text, None
        match = _YEAR_MONTH.match(text)
        if match:
            year, month = int(match[1]), int(match[2])
            return dt.date(year, month, calendar.monthrange(year, month)[1]), text, None
    except (ValueError, OverflowError):
        return None, text, f"时限“{text}”不是有效日期"
    if any(word in text for word in OPEN_ENDED):
        return None, text, None
    from duban.extraction.deadlines import find_deadline

    try:
        found = find_deadline(text, today)
    except Exception:  # the extractor is fuzzed, but a ledger cell must never take the import down
        found = None
    if found is not None and found.date:
        return dt.date.fromisoformat(found.date), text, None
    return None, text, f"时限“{text}”无法识别为日期，请填写如“2024-10-31”或“2024年10月底前”"


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_row(number: int, cells: dict[str, object], *, units: dict[str, int], areas: dict[str, int],
              today: dt.date) -> tuple[LedgerRow | None, list[RowError]]:
    """One data row (column name → raw cell value) → a ledger row or its errors. Never raises."""
    errors: list[RowError] = []
    title = _cell_text(cells.get("事项"))
    if not title:
        errors.append(RowError(number, "事项不能为空", "事项"))
    elif len(title) > 2000:
        errors.append(RowError(number, "事项过长（超过2000字）", "事项"))
    lead_name = normalise(_cell_text(cells.get("牵头单位")))
    lead_id = None
    if not lead_name:
        errors.append(RowError(number, "牵头单位不能为空", "牵头单位"))
    else:
        names = [n for n in UNIT_SPLIT.split(lead_name) if n]
        lead_id = units.get(names[0]) if names else None
        if lead_id is None:
            errors.append(RowError(number, f"牵头单位“{lead_name[:50]}”不存在，请使用单位全称或已登记的简称",
                                   "牵头单位"))
    coop_ids: list[int] = []
    for name in UNIT_SPLIT.split(_cell_text(cells.get("配合单位"))):
        if not name:
            continue
        unit_id = units.get(name)
        if unit_id is None:
            errors.append(RowError(number, f"配合单位“{name[:50]}”不存在", "配合单位"))
        elif unit_id != lead_id and unit_id not in coop_ids:
            coop_ids.append(unit_id)
    if len(coop_ids) > 10:
        errors.append(RowError(number, "配合单位最多10个", "配合单位"))
    deadline, deadline_text, problem = parse_deadline(cells.get("时限"), today=today)
    if problem:
        errors.append(RowError(number, problem, "时限"))
    area_id = None
    area_name = normalise(_cell_text(cells.get("领域")))
    if area_name:
        area_id = areas.get(area_name)
        if area_id is None:
            errors.append(RowError(number, f"工作领域“{area_name[:50]}”不存在", "领域"))
    if errors:
        return None, errors
    return LedgerRow(number, title, lead_id, coop_ids, deadline, deadline_text, area_id), []


def unit_lookup() -> dict[str, int]:
    """Every name a unit goes by (name, short name, aliases) → id; active units only."""
    from duban.core.models import Unit

    names: dict[str, int] = {}
    for unit_id, name, short, aliases in Unit.objects.filter(is_active=True).values_list(
            "id", "name", "short_name", "aliases"):
        for alias in [short, *(aliases or [])]:
            if alias:
                names.setdefault(normalise(alias), unit_id)
    for unit_id, name in Unit.objects.filter(is_active=True).values_list("id", "name"):
        names[normalise(name)] = unit_id  # a full name always wins over someone's alias
    return names


def area_lookup() -> dict[str, int]:
    from duban.core.models import Area

    return {normalise(name): pk for pk, name in Area.objects.filter(is_active=True).values_list("id", "name")}


def _sheet_scan(data: bytes, limit: int) -> tuple[list[str], int]:
    """Merged ranges of the first sheet (the read-only reader does not expose them) and the number of rows holding
    a value, read straight from the XML: a regex pass is far quicker than the cell reader, so an oversized ledger
    is refused in a moment instead of after reading every cell. The filled rows are counted only when there are
    more than ``limit`` rows at all (0 otherwise)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted((n for n in archive.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)),
                       key=lambda n: int(re.sub(r"\D", "", n)))
        if not names:
            return [], 0
        xml = archive.read(names[0]).decode("utf-8", "replace")
    merged = re.findall(r'<mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"', xml)
    if xml.count("<row") <= limit:
        return merged, 0  # under the limit whatever they hold: not worth counting the filled ones
    rows = sum(1 for m in re.finditer(r"<row\b[^>]*>(.*?)</row>", xml, re.S) if "<v>" in m[1] or "<is>" in m[1])
    return merged, rows


# --- the fast sheet reader ------------------------------------------------------------------------------------------

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE = _MAIN_NS + "row", _MAIN_NS + "c", _MAIN_NS + "v", _MAIN_NS + "is"
_TEXT, _RUN, _DIMENSION, _SHEET_DATA = _MAIN_NS + "t", _MAIN_NS + "r", _MAIN_NS + "dimension", _MAIN_NS + "sheetData"
_PHONETIC = _MAIN_NS + "rPh"
_REF = re.compile(r"([A-Z]{1,3})(\d+)$")
_KINDS = frozenset(("n", "s", "str", "inlineStr", "b", "e", "d"))  # every cell type of the format


class _Unusual(Exception):
    """Something the fast reader leaves to openpyxl."""


def _text_content(node) -> str:
    """openpyxl's ``Text.from_tree(node).content``: the plain ``<t>`` and the ``<t>`` of each rich-text run
    (``<r>``), without phonetic runs."""
    parts = []
    for child in node:
        tag = child.tag
        if tag == _TEXT:
            if child.text is not None:
                parts.append(child.text)
        elif tag == _RUN:
            for grandchild in child:
                if grandchild.tag == _TEXT and grandchild.text is not None:
                    parts.append(grandchild.text)
    return "".join(parts)


def _fast_sheet_rows(data: bytes) -> list[tuple] | None:
    """The first worksheet's rows as ``openpyxl.load_workbook(read_only=True, data_only=True)`` and
    ``iter_rows(values_only=True)`` give them (same tuples: padded to the sheet's dimension, missing rows as empty
    rows, rows and columns past the dimension dropped), read with lxml in about half the time: openpyxl builds
    objects per cell. The workbook part (sheet order, 1900/1904 dates, styles' date formats) is read by openpyxl's
    own reader; the shared strings and the sheet by lxml. None when the file holds anything unusual (cells or rows
    without a reference, unknown cell types, dates out of range...), which is left to openpyxl."""
    from lxml import etree
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.utils.cell import column_index_from_string, range_boundaries
    from openpyxl.utils.datetime import from_excel, from_ISO8601
    from openpyxl.xml.constants import SHARED_STRINGS

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
        try:
            reader.read_manifest()
            reader.read_workbook()
            wb = reader.wb
            apply_stylesheet(reader.archive, wb)
            path = None
            for _sheet, rel in reader.parser.find_sheets():
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                    path = rel.target
                    break
            if path is None:
                return None
            strings: list[str] = []
            ct = reader.package.find(SHARED_STRINGS)
            if ct is not None:
                with reader.archive.open(ct.PartName[1:]) as src:
                    for _, node in etree.iterparse(src, events=("end",), tag=_MAIN_NS + "si",
                                                   resolve_entities=False, no_network=True, huge_tree=True):
                        strings.append(_text_content(node).replace("x005F_", ""))
                        node.clear()
            date_formats, timedelta_formats, epoch = wb._date_formats, wb._timedelta_formats, wb.epoch
            with reader.archive.open(path) as src:
                sheet_xml = src.read()
        finally:
            reader.archive.close()
        max_col = max_row = None
        columns: dict[str, int] = {}
        rows: list[tuple] = []
        counter = idx = 1
        # One parse of the whole sheet (in C), then one flat pass over the elements that matter (rows, cells, values,
        # inline texts) in document order, a cell being complete when the next cell or row starts. Asking each cell
        # for its children (find, findtext, iterating an inline string) costs Python objects and lookups per child:
        # that was two thirds of the reading time of a 10 000-row ledger.
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        root = etree.fromstring(sheet_xml, parser)
        sheet_data = None
        for node in root.iter(_DIMENSION, _SHEET_DATA):
            if node.tag == _SHEET_DATA:
                sheet_data = node
                break
            _, _, max_col, max_row = range_boundaries(node.get("ref"))
        dates: dict[tuple[str, str], object] = {}  # (serial, style) → value: a ledger repeats its deadlines
        cells: list | None = None  # (column, value) of the row being read; None outside a row
        column = kind = style = raw = parts = None  # the cell being read (column None between cells)
        seen_value = False

        def cell_value():
            if kind == "inlineStr":
                return "".join(parts) if parts is not None else None
            value = raw
            if value is None:
                return None
            if kind == "n":
                if style and int(style) in date_formats:
                    found = dates.get((value, style))
                    if found is None:
                        number = float(value) if ("." in value or "E" in value or "e" in value) else int(value)
                        found = dates[(value, style)] = from_excel(number, epoch,
                                                                   timedelta=int(style) in timedelta_formats)
                    return found
                return float(value) if ("." in value or "E" in value or "e" in value) else int(value)
            if kind == "s":
                return strings[int(value)]
            if kind == "b":
                return bool(int(value))
            if kind == "d":
                return from_ISO8601(value)
            return value

        def finish_row() -> None:
            nonlocal counter
            while counter < idx:
                counter += 1
                rows.append((None,) * max_col if max_col is not None else ())
            if counter <= idx:
                counter += 1
                if not cells and not max_col:
                    rows.append(())
                    return
                width = max_col or cells[-1][0]
                values = [None] * width
                for at, value in cells:
                    if at <= width:
                        values[at - 1] = value
                rows.append(tuple(values))

        for node in (() if sheet_data is None else
                     sheet_data.iter(_ROW, _CELL, _VALUE, _INLINE, _TEXT, _PHONETIC)):
            tag = node.tag
            if tag == _TEXT:
                if parts is not None:  # the <t> of an inline string or of one of its rich-text runs
                    text = node.text
                    if text is not None:
                        parts.append(text)
                continue
            if tag == _VALUE:
                if column is not None and not seen_value:  # a cell's first <v>, as findtext takes it
                    seen_value = True
                    raw = node.text or None
                continue
            if tag == _INLINE:
                if column is not None and kind == "inlineStr" and parts is None:
                    parts = []
                continue
            if tag == _PHONETIC:
                raise _Unusual  # the <t> of phonetic runs are no part of the text: openpyxl tells them apart
            if column is not None:  # a new cell or row: the cell before it is complete
                cells.append((column, cell_value()))
                column = parts = None
            if tag == _CELL:
                if cells is None:
                    raise _Unusual
                match = _REF.match(node.get("r") or "")
                if match is None:
                    raise _Unusual
                letters = match[1]
                column = columns.get(letters)
                if column is None:
                    column = columns[letters] = column_index_from_string(letters)
                kind = node.get("t", "n")
                if kind not in _KINDS:
                    raise _Unusual
                style = node.get("s")
                raw, seen_value = None, False
                continue
            if cells is not None:  # a new row: the row before it is complete
                finish_row()
                cells = None
            r = node.get("r")
            if r is None:
                raise _Unusual
            idx = int(r)
            if max_row is not None and idx > max_row:
                break
            cells = []
        if column is not None:
            cells.append((column, cell_value()))
        if cells is not None:
            finish_row()
        del root
        if max_row is not None and max_row < idx:  # as openpyxl: only after a row past the dimension
            while counter <= max_row:
                counter += 1
                rows.append((None,) * max_col if max_col is not None else ())
        return rows
    except Exception:  # anything unusual, or a broken file: openpyxl reads it (or says why it cannot)
        return None


def _range_rows(ref: str) -> tuple[int, int]:
    parts = [int(re.sub(r"[A-Z]", "", p)) for p in ref.split(":")]
    return parts[0], parts[-1]


def parse_ledger(data: bytes, *, today: dt.date, max_rows: int, units: dict[str, int] | None = None,
                 areas: dict[str, int] | None = None) -> ParsedLedger:
    """Read an .xlsx ledger: find the header row among the first rows, map synonyms, then check every row. All
    problems are collected (in Chinese, by row) rather than stopping at the first, so a clerk fixes the file once."""
    result = ParsedLedger(sha256=hashlib.sha256(data).hexdigest())
    try:
        merged, filled_rows = _sheet_scan(data, max_rows + HEADER_SCAN_ROWS)
        if filled_rows > max_rows + HEADER_SCAN_ROWS:
            result.errors.append(RowError(0, f"台账约有{filled_rows}行数据，超过单次导入上限{max_rows}行，"
                                             "请拆分后分批导入"))
            result.data_rows = filled_rows
            return result
        fast = _fast_sheet_rows(data)
        workbook = None if fast is not None else load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        result.errors.append(RowError(0, "无法读取文件，请上传 Excel 2007 及以上格式（.xlsx）的台账"))
        return result
    try:
        rows = iter(fast) if fast is not None else workbook.worksheets[0].iter_rows(values_only=True)
        header_row, mapping = 0, {}
        for number, values in enumerate(rows, start=1):
            found = {}
            for index, value in enumerate(values or ()):
                column = HEADER_SYNONYMS.get(normalise(value))
                if column and column not in found.values():
                    found[index] = column
            if "事项" in found.values():
                header_row, mapping = number, found
                break
            if number >= HEADER_SCAN_ROWS:
                break
        if not header_row:
            result.errors.append(RowError(0, "未找到表头：前10行中没有“事项”列（也可写作“工作任务”“任务内容”等）"))
            return result
        missing = [c for c in REQUIRED if c not in mapping.values()]
        if missing:
            result.errors.append(RowError(header_row, "缺少必需的列：" + "、".join(f"“{c}”" for c in missing)
                                          + "（牵头单位也可写作“责任单位”“牵头部门”）"))
            return result
        raw_rows: list[tuple[int, dict]] = []
        for number, values in enumerate(rows, start=header_row + 1):
            if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if len(raw_rows) >= max_rows:
                total = len(raw_rows) + 1 + sum(1 for v in rows if v and any(x not in (None, "") for x in v))
                result.errors.append(RowError(0, f"台账共{total}行数据，超过单次导入上限{max_rows}行，"
                                                 "请拆分后分批导入"))
                result.data_rows = total
                return result
            raw_rows.append((number, {column: values[index] for index, column in mapping.items()
                                      if index < len(values)}))
    finally:
        if workbook is not None:
            workbook.close()
    result.data_rows = len(raw_rows)
    if not raw_rows:
        result.errors.append(RowError(0, "台账中没有数据行"))
        return result
    merged_rows: dict[int, str] = {}
    for ref in merged:
        first, last = _range_rows(ref)
        if last > header_row:
            for number in range(max(first, header_row + 1), last + 1):
                merged_rows.setdefault(number, ref)
    units = unit_lookup() if units is None else units
    areas = area_lookup() if areas is None else areas
    seen: dict[str, int] = {}
    for number, cells in raw_rows:
        if number in merged_rows:
            result.errors.append(RowError(number, f"存在合并单元格（{merged_rows[number]}），请取消合并并在每一行填写完整"))
            continue
        row, errors = parse_row(number, cells, units=units, areas=areas, today=today)
        result.errors.extend(errors)
        if row is None:
            continue
        if row.key in seen:
            result.errors.append(RowError(number, f"与第{seen[row.key]}行重复（事项、牵头单位、时限均相同）"))
            continue
        seen[row.key] = number
        result.rows.append(row)
    return result


@dataclass
class ImportResult:
    created: int
    skipped: int
    rows: int
    errors: list[RowError]
    task_ids: list[int]
    noop: bool
    message: str

    def describe(self) -> str:
        english = (f"nothing new: all {self.skipped} row(s) were imported before" if self.noop else
                   f"{self.created} draft task(s) created, {self.skipped} already imported")
        return f"{self.message} / {english}"

    def as_dict(self) -> dict:
        return {"created": self.created, "skipped": self.skipped, "rows": self.rows, "noop": self.noop,
                "message": self.message, "task_ids": self.task_ids, "errors": [e.as_dict() for e in self.errors]}


def import_ledger(*, actor, data: bytes, filename: str = "", assign: bool = False,
                  dry_run: bool = False, today: dt.date | None = None) -> ImportResult:
    """Import an .xlsx ledger as draft tasks (all rows or none). Raises ``InvalidInput`` whose ``details`` list
    every row's errors; re-importing the same lines creates nothing and says so. See ``actions.ledger_import``."""
    from duban.reports.actions import ledger_import

    return ledger_import(actor=actor, data=data, filename=filename, assign=assign, dry_run=dry_run, today=today)
