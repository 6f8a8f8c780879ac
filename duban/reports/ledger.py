"""The ledger (督办台账) as an .xlsx file: writing any filtered task list in the layout clerks use, and reading an
existing ledger back into rows that can become draft tasks.

Writing and parsing are pure functions over rows here; the audited doors are ``ledger_export`` and
``ledger_import`` in ``duban.reports.actions`` (which `duban import` also reaches for an .xlsx file).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from duban.reports.cells import restore_text, safe_cell

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
    "任务编号": "任务编号",
    "上级任务编号": "上级任务编号",
    "督办内容": "内容", "事项全文": "内容",
    "最新进展": "进展",
    "备注": "备注",
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
    task_id: int | None = None  # from 任务编号: the line of an exported ledger, updating its task
    text: str = ""  # 督办内容, the full text ("" when the file has only 事项)
    status: str = ""  # 状态 as written
    progress: str = ""  # 最新进展 as written
    note: str = ""  # 备注
    parent_id: int | None = None  # from 上级任务编号: the task a sub-task was split from (分解下达)

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
    columns: set[str] = field(default_factory=set)  # our names of the columns the file has


# --- writing -----------------------------------------------------------------------------------------------------

# Every column the exported ledger can have, with its width in characters; the default set is all of them, the
# columns a 督查室's 督办台账 keeps. 事项 and 督办内容 get the most room.
LEDGER_COLUMNS = {
    "序号": 6, "任务编号": 11, "来源会议/文号": 22, "督办事项": 36, "督办内容": 50, "领域": 12, "牵头单位": 16,
    "配合单位": 20, "时限": 12, "状态": 9, "亮灯": 6, "进度（%）": 8, "交办日期": 12, "办结日期": 12, "最新进展": 40,
    "责任领导/联系人": 14, "督办次数": 8, "备注": 20,
    "上级任务编号": 11,  # a sub-task's parent (分解下达); empty for a task split from nothing
}
KEY_COLUMN = "任务编号"
OTHER_SOURCE = "其他来源"  # 来源会议/文号 of a task from no meeting
SOURCE_COLUMN = "来源会议/文号"
DATE_COLUMNS = frozenset(("交办日期", "办结日期"))
WRAPPED_COLUMNS = frozenset(("来源会议/文号", "督办事项", "督办内容", "配合单位", "最新进展", "备注"))
KEY_PREFIX = "DB"
_KEY = re.compile(rf"^\s*{KEY_PREFIX}(\d{{1,12}})\s*$")


def task_key(task_id: int) -> str:
    """The stable key of a task in a ledger (任务编号): its id, which never changes or gets reused."""
    return f"{KEY_PREFIX}{task_id:06d}"


def task_id_of_key(value) -> int | None:
    match = _KEY.match(str(value or ""))
    return int(match[1]) if match else None


def ledger_columns(names=None) -> list[str]:
    """The columns to write: ``names`` (or the DUBAN_LEDGER_COLUMNS setting), in the canonical order, unknown names
    refused, 任务编号 always included."""
    from django.conf import settings

    if names is None:
        names = [n.strip() for n in (getattr(settings, "DUBAN_LEDGER_COLUMNS", "") or "").split(",") if n.strip()]
    if not names:
        return list(LEDGER_COLUMNS)
    unknown = [n for n in names if n not in LEDGER_COLUMNS]
    if unknown:
        from duban.core.errors import InvalidInput

        raise InvalidInput("台账没有这些列：" + "、".join(unknown), "unknown ledger columns: " + ", ".join(unknown))
    chosen = set(names) | {KEY_COLUMN}
    return [n for n in LEDGER_COLUMNS if n in chosen]


@dataclass(frozen=True)
class LedgerLine:
    """One task as a ledger line: ``values`` maps every column of LEDGER_COLUMNS to its cell value (text, a date
    or a number); ``source`` groups lines into sheets, which come in the order of their lines' ``order`` (a
    meeting's sheet by its date)."""
    source: str
    values: dict
    order: tuple = ()
    # the key facts of the record the task came from (民生实事's 目标值, a hazard's 等级, …): columns after the
    # ledger's own on that source's sheet of 按会议分表 (``source_facts``)
    facts: dict = field(default_factory=dict)


# Widths of the facts' columns on a source's own sheet (others take FACT_WIDTH).
FACT_WIDTHS = {"整改情况": 40, "要求回复日期": 12, "督察组": 24, "隐患状态": 16}
FACT_WIDTH = 12


def _sheet_name(name: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts (at most 31 characters, none of []:*?/\\) and unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\]", "", name).strip("'") or "督办台账"
    base = base[:31]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def write_ledger(lines, *, title: str = TITLE, subtitle: str = "", columns=None, per_meeting: bool = False
                 ) -> bytes:
    """An .xlsx of ``lines``: a merged title row, a bold header that is frozen, filtered and printed on every page,
    thin borders round every cell, column widths that give 事项 and 督办内容 the room, A4 landscape. One sheet
    with a 来源会议/文号 column, or (``per_meeting``) one sheet per source meeting. Text that reads like a
    formula is neutralised (``cells.safe_cell``)."""
    columns = ledger_columns(columns)
    groups: dict[str, list[LedgerLine]] = {}
    order: dict[str, tuple] = {}
    for line in lines:
        key = line.source if per_meeting else ""
        groups.setdefault(key, []).append(line)
        order[key] = min(order.get(key, line.order), line.order)
    if not groups:
        groups[""] = []
    # Sheets in their lines' order (meetings by date, then the other sources), tasks of no source last.
    groups = dict(sorted(groups.items(), key=lambda item: (item[0] == OTHER_SOURCE, order.get(item[0], ()), item[0])))
    wb = Workbook(write_only=True)
    thin = Side(style="thin")
    border = Border(top=thin, bottom=thin, left=thin, right=thin)
    header_font = Font(bold=True)
    header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    # The body cells' three looks as named styles: a cell takes one by name in a fraction of the time that
    # setting its border and alignment takes (openpyxl hashes each style object per cell; 170,000 cells here).
    for name, alignment, number_format in (("台账", Alignment(vertical="top"), "General"),
                                           ("台账换行", Alignment(wrap_text=True, vertical="top"), "General"),
                                           ("台账日期", Alignment(vertical="top"), "yyyy-mm-dd")):
        wb.add_named_style(NamedStyle(name=name, border=border, alignment=alignment, number_format=number_format))
    base_columns = columns
    base_styles = ["台账换行" if name in WRAPPED_COLUMNS else "台账" for name in columns]
    taken: set[str] = set()
    for source, group in groups.items():
        # a source's own sheet adds its records' key facts after the ledger's columns
        facts = list(dict.fromkeys(name for line in group for name in line.facts)) if per_meeting else []
        columns = base_columns + facts
        styles = base_styles + ["台账换行" if FACT_WIDTHS.get(name, 0) >= 40 else "台账" for name in facts]
        last = get_column_letter(len(columns))
        ws = wb.create_sheet(_sheet_name(source or "督办台账", taken))
        for index, name in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = (
                LEDGER_COLUMNS[name] if name in LEDGER_COLUMNS else FACT_WIDTHS.get(name, FACT_WIDTH))
        ws.row_dimensions[1].height = 30
        ws.merged_cells.add(f"A1:{last}1")
        ws.freeze_panes = "A3"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_title_rows = "2:2"
        # a sheet's source before the title (a meeting's title may end in brackets of its own)
        heading_text = (source if per_meeting else "") + title + (f"（{subtitle}）" if subtitle else "")
        heading = WriteOnlyCell(ws, safe_cell(heading_text))
        heading.font = Font(size=16, bold=True)
        heading.alignment = Alignment(horizontal="center", vertical="center")
        ws.append([heading])
        header = []
        for name in columns:
            cell = WriteOnlyCell(ws, name)
            cell.font, cell.alignment, cell.border = header_font, header_alignment, border
            header.append(cell)
        ws.append(header)
        for seq, line in enumerate(group, start=1):
            row = []
            for name, style in zip(columns, styles):
                value = seq if name == "序号" else line.values[name] if name in line.values else line.facts.get(name)
                cell = WriteOnlyCell(ws, safe_cell("" if value is None else value))
                cell.style = "台账日期" if isinstance(value, dt.date) else style
                row.append(cell)
            ws.append(row)
        ws.auto_filter.ref = f"A2:{last}{len(group) + 2}"
    out = io.BytesIO()
    wb.save(out)
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
    return str(restore_text(value)).strip()


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
    task_id = None
    key = _cell_text(cells.get("任务编号"))
    if key:
        task_id = task_id_of_key(key)
        if task_id is None:
            errors.append(RowError(number, f"任务编号“{key[:20]}”无法识别（应为导出台账中的“{task_key(1)}”形式）",
                                   "任务编号"))
    parent_id = None
    parent_key = _cell_text(cells.get("上级任务编号"))
    if parent_key:
        parent_id = task_id_of_key(parent_key)
        if parent_id is None:
            errors.append(RowError(number, f"上级任务编号“{parent_key[:20]}”无法识别", "上级任务编号"))
        elif task_id is None:
            # A sub-task is issued by a level's 督查室 through 分解下达, which a ledger line cannot stand for.
            errors.append(RowError(number, "台账不能新建子任务，请在上级事项页面“分解下达”", "上级任务编号"))
    if errors:
        return None, errors
    return LedgerRow(number, title, lead_id, coop_ids, deadline, deadline_text, area_id, task_id,
                     _cell_text(cells.get("内容")), _cell_text(cells.get("状态")), _cell_text(cells.get("进展")),
                     _cell_text(cells.get("备注")), parent_id), []


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
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        result.errors.append(RowError(0, "无法读取文件，请上传 Excel 2007 及以上格式（.xlsx）的台账"))
        return result
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
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
        result.columns = set(mapping.values())
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
        identity = f"task:{row.task_id}" if row.task_id else row.key
        if identity in seen:
            result.errors.append(RowError(number, f"与第{seen[identity]}行重复（" + (
                "任务编号相同" if row.task_id else "事项、牵头单位、时限均相同") + "）"))
            continue
        seen[identity] = number
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
    updated: int = 0  # tasks changed by lines carrying their 任务编号
    updates: list[dict] = field(default_factory=list)  # each such line's changes (the preview)
    refused: list[RowError] = field(default_factory=list)  # lines with a 任务编号 that changed nothing, and why
    plan: str = ""  # a preview's digest of what applying the file will do (``plan_digest``)
    # whom the 交办 notices of the tasks it assigned reached (``duban.tasks.selectors.UnitsReach``), None when it
    # assigned nothing
    reach: object = None

    @property
    def unreached(self) -> bool:
        return bool(self.reach is not None and self.reach.unreached)

    def describe(self) -> str:
        english = (f"nothing new: all {self.skipped} row(s) were imported before" if self.noop else
                   f"{self.created} draft task(s) created, {self.skipped} already imported, "
                   f"{self.updated} task(s) updated, {len(self.refused)} row(s) refused")
        return f"{self.message} / {english}"

    def as_dict(self) -> dict:
        return {"created": self.created, "skipped": self.skipped, "rows": self.rows, "noop": self.noop,
                "message": self.message, "task_ids": self.task_ids, "errors": [e.as_dict() for e in self.errors],
                "updated": self.updated, "updates": self.updates, "refused": [e.as_dict() for e in self.refused],
                "plan": self.plan}


def plan_digest(*, fresh, updates, refused, assign: bool) -> str:
    """What an import will do, as a preview shows it (the new lines, each update's old and new values, the
    refusals, whether new tasks are assigned), in a short digest: applying after a preview checks the file still
    does just that."""
    shown = json.dumps([fresh, updates, refused, assign], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()
