"""Every chart's figures as a table (header + rows): the page shows them under the chart and the CSV link
downloads the same rows, so a chart, its table and its CSV cannot disagree."""

from __future__ import annotations

import csv
import io

from duban.reports.cells import safe_cell
from duban.reports.selectors import LIGHTS, Dashboard, RankingRow

CHARTS = {
    "lights": "督办亮灯情况",
    "by_area": "按工作领域统计",
    "by_unit": "按牵头单位统计",
    "weeks": "每周办结与逾期",
    "overdue": "逾期事项清单",
}
_GROUP_HEADER = ["事项数", "已办结", "逾期", "办结率(%)", "红灯", "黄灯", "蓝灯", "绿灯", "无时限"]


def _group_rows(rows) -> list[list]:
    return [[r["name"], r["total"], r["closed"], r["overdue"], r["rate"], r["red"], r["yellow"], r["blue"],
             r["green"], r["nodeadline"]] for r in rows]


def chart_table(dashboard: Dashboard, chart: str) -> tuple[list[str], list[list]]:
    if chart == "lights":
        return ["灯色", "事项数"], [[name, dashboard.lights.get(code, 0)] for code, name in LIGHTS]
    if chart == "by_area":
        return ["工作领域", *_GROUP_HEADER], _group_rows(dashboard.by_area)
    if chart == "by_unit":
        return ["牵头单位", *_GROUP_HEADER], _group_rows(dashboard.by_unit)
    if chart == "weeks":
        return ["周（起始日）", "办结数", "逾期数"], [[w["week"].isoformat(), w["completed"], w["overdue"]]
                                                  for w in dashboard.weeks]
    if chart == "overdue":
        return ["事项", "牵头单位", "时限", "逾期天数", "状态"], [
            [t.title, t.lead_unit.name if t.lead_unit else "", t.deadline.isoformat(), t.days_overdue,
             t.get_status_display()] for t in dashboard.overdue_tasks]
    raise KeyError(chart)


RANKING_HEADER = ["名次", "单位", "办结数", "平均得分", "按时办结数", "按时办结率(%)", "逾期办结", "逾期未办结", "逾期合计",
                  "事项数", "加减分", "总分"]
# the page shows the rate with its % sign (``RankingRow.on_time_rate_label``); the CSV's cells are plain numbers
RANKING_PAGE_HEADER = [("按时办结率" if h == "按时办结率(%)" else h) for h in RANKING_HEADER]


def ranking_rows(rows: list[RankingRow]) -> list[list]:
    return [[r.rank, r.unit, r.closed, "" if r.average_score is None else r.average_score, r.on_time,
             r.on_time_rate, r.closed_late, r.overdue_open, r.overdue, r.tasks, r.adjustment,
             "" if r.total_score is None else r.total_score] for r in rows]


def to_csv(header, rows) -> bytes:
    """UTF-8 with a byte-order mark, CRLF line ends: what Excel on Windows opens with Chinese intact. Cells that
    read like formulas are neutralised (``cells.safe_cell``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, header, rows, widths=None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([safe_cell(title)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append([safe_cell(v) for v in header])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for index, width in enumerate(widths or [14] * len(header), start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
