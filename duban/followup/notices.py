"""The 督办通知单 (.docx), stored through ``duban.core.files`` under ``notices/`` — outside the web root, served only
through a view that checks the viewer may see the task."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

REQUIREMENT = ("该事项已超过办理时限。请你单位接到本通知后，由主要负责同志亲自督促，加快办理进度，"
               "并于3个工作日内将办理情况、超期原因及下一步措施书面报送督查室。")


def notice_document(*, number: str, unit_name: str, task_title: str, task_text: str,
                    deadline: dt.date | None, overdue_days: int, issued_on: dt.date) -> bytes:
    """The notice as .docx bytes."""
    doc = Document()
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run("督办通知单")
    run.bold = True
    run.font.size = Pt(22)
    numbering = doc.add_paragraph(f"督办〔{issued_on.year}〕{number}号")
    numbering.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"{unit_name}：")
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in (("承办单位", unit_name), ("督办事项", task_title), ("事项内容", task_text),
                         ("办理时限", deadline.isoformat() if deadline else "未定"),
                         ("超期天数", f"{overdue_days}天"), ("督办要求", REQUIREMENT)):
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value
    closing = doc.add_paragraph("督查室")
    closing.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    date_line = doc.add_paragraph(f"{issued_on.year}年{issued_on.month}月{issued_on.day}日")
    date_line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
