"""Reading the administration sheets (.xlsx) people and units are imported from: the header row among the first
rows, one dict per filled row keyed by the column names, numbered as Excel shows them. No state changes here."""

from __future__ import annotations

import io
import zipfile

from duban.core.errors import InvalidInput

HEADER_SCAN_ROWS = 5
MAX_ROWS = 5000

PEOPLE_COLUMNS = ("姓名", "账号", "单位", "角色", "手机")
PEOPLE_REQUIRED = ("姓名", "账号", "单位", "角色")
UNIT_COLUMNS = ("名称", "上级单位", "简称")
UNIT_REQUIRED = ("名称",)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed as a number
    return str(value).strip()


def read_sheet(data: bytes, columns: tuple[str, ...], required: tuple[str, ...]) -> list[tuple[int, dict]]:
    """The first worksheet's rows as ``(row number, {column: text})``; ``InvalidInput`` for a file that is not
    an .xlsx workbook, has no header row with the required columns, or has more than ``MAX_ROWS`` rows."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InvalidInput("不是有效的 .xlsx 文件", "not a valid .xlsx workbook") from None
    try:
        sheet = workbook.worksheets[0]
        header, mapping, out = 0, {}, []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_text(v) for v in values]
            if not header:
                found = {name: i for i, name in enumerate(cells) if name in columns}
                if all(c in found for c in required):
                    header, mapping = number, found
                elif number >= HEADER_SCAN_ROWS:
                    break
                continue
            row = {name: cells[i] if i < len(cells) else "" for name, i in mapping.items()}
            if any(row.values()):
                out.append((number, {c: row.get(c, "") for c in columns}))
            if len(out) > MAX_ROWS:
                raise InvalidInput(f"最多导入 {MAX_ROWS} 行", f"at most {MAX_ROWS} rows")
    finally:
        workbook.close()
    if not header:
        raise InvalidInput("前几行中找不到表头：" + "、".join(required),
                           "no header row with the columns " + ", ".join(required))
    return out
