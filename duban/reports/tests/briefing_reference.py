"""The briefing as first written, with python-docx's API alone (slow: 1.8 s at a province's scale): the reference
the fast builder in ``duban/reports/briefing.py`` must match XML for XML."""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from duban.reports.selectors import BriefingData, latest_progress

AREA_COLUMNS = ("序号", "事项", "牵头单位", "时限", "状态", "最新进展")
RANKING_COLUMNS = ("名次", "单位", "办结数", "平均得分", "按时办结率", "逾期数")
CHINESE_NUMBERS = "一二三四五六七八九十"


def _font(run, name: str = "仿宋", size: float = 16, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _para(doc, text: str, *, font: str = "仿宋", size: float = 16, bold: bool = False, center: bool = False,
          indent: bool = True):
    p = doc.add_paragraph()
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    _font(p.add_run(text), font, size, bold)
    return p


def _table(doc, header, rows) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), "黑体", 10.5, True)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(str(value)), "仿宋", 10.5)


def _heading_number(index: int) -> str:
    return CHINESE_NUMBERS[index] if index < len(CHINESE_NUMBERS) else str(index + 1)


def _deadline(task) -> str:
    if task.deadline:
        return task.deadline.isoformat()
    return task.deadline_text or "—"


def reference_docx(data: BriefingData) -> bytes:
    doc = Document()
    _para(doc, data.title, font="方正小标宋简体", size=22, center=True)
    meeting = data.meeting
    when = meeting.date.strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月") if meeting.date else ""
    _para(doc, f"{when}召开的{meeting.body or '会议'}共部署决定事项{data.total}项。截至"
               f"{data.today.year}年{data.today.month}月{data.today.day}日，已办结{data.closed}项，"
               f"正在办理{data.in_progress}项，其中逾期未办结{data.overdue}项，办结率{data.completion_rate}%。"
               "现将落实情况通报如下。")
    section = 0
    _para(doc, f"{_heading_number(section)}、总体落实情况", font="黑体", indent=True)
    section += 1
    for area_index, (area, tasks) in enumerate(data.areas):
        _para(doc, f"（{_heading_number(area_index)}）{area}（{len(tasks)}项）", font="楷体", indent=True)
        _table(doc, AREA_COLUMNS, [
            (i, t.title, t.lead_unit.name if t.lead_unit else "", _deadline(t), t.get_status_display(),
             latest_progress(t)) for i, t in enumerate(tasks, start=1)])
    _para(doc, f"{_heading_number(section)}、逾期未办结事项", font="黑体", indent=True)
    section += 1
    if data.overdue_tasks:
        for i, t in enumerate(data.overdue_tasks, start=1):
            _para(doc, f"{i}. {t.title}（牵头单位：{t.lead_unit.name if t.lead_unit else '未指定'}，"
                       f"时限：{_deadline(t)}，已逾期{t.days_overdue}天）")
        _para(doc, "请上述事项的牵头单位说明原因，明确整改措施和完成时间，限期办结。")
    else:
        _para(doc, "无逾期未办结事项。")
    _para(doc, f"{_heading_number(section)}、单位考评排名", font="黑体", indent=True)
    if data.ranking:
        _table(doc, RANKING_COLUMNS, [
            (r.rank, r.unit, r.closed, "—" if r.average_score is None else f"{r.average_score:.1f}",
             f"{r.on_time_rate:.1f}%", r.overdue) for r in data.ranking])
    else:
        _para(doc, "暂无可排名的单位。")
    _para(doc, "市委督查室", center=False, indent=False).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _para(doc, f"{data.today.year}年{data.today.month}月{data.today.day}日", indent=False).alignment = \
        WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
