"""The briefing (通报) on a meeting's decisions for the next meeting, as .docx (python-docx) and, where
LibreOffice is installed, .pdf.

Layout follows the usual 党政机关公文 habits in a form Word and WPS both open: a centred title, the summary in
running text, one table per area (事项, 牵头单位, 时限, 状态, 最新进展), the overdue items by name, and the ranking.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table

from duban.core.errors import InvalidInput
from duban.reports.selectors import BriefingData, latest_progress

AREA_COLUMNS = ("序号", "事项", "牵头单位", "时限", "状态", "最新进展")
RANKING_COLUMNS = ("名次", "单位", "办结数", "平均得分", "按时办结率", "逾期数")
CHINESE_NUMBERS = "一二三四五六七八九十"


def _font(run, name: str = "仿宋", size: float = 16, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


_W_T = qn("w:t")
_W_R = qn("w:r")
_W_RPR = qn("w:rPr")
_W_TC = qn("w:tc")
_W_P = qn("w:p")
_XML_SPACE = qn("xml:space")


def _set_text(r, text: str) -> None:
    """What ``run.text = text`` does to a copied run (python-docx walks the XML for it; this does not): the text
    in its one ``<w:t>``, with ``xml:space="preserve"`` exactly when python-docx would add it. Text python-docx
    turns into several elements (tabs, line breaks) or none (empty) takes python-docx's own path."""
    content = [child for child in r if child.tag != _W_RPR]
    if not text or "\t" in text or "\n" in text or "\r" in text or len(content) != 1 or content[0].tag != _W_T:
        r.text = text  # CT_R's setter: clear the content, append elements as python-docx does
        return
    t = content[0]
    t.text = text
    if len(text.strip()) < len(text):
        t.set(_XML_SPACE, "preserve")
    elif _XML_SPACE in t.attrib:
        del t.attrib[_XML_SPACE]


class _Writer:
    """Builds the document with python-docx the first time each kind of paragraph, table or table row occurs,
    then copies that element (lxml, in C) and sets its text. The XML is the same as python-docx would write for
    each (``duban/reports/tests/test_briefing.py`` compares it with a document built the plain way); building a
    province's briefing the plain way took 1.8 s, mostly python-docx searching the XML for every property set."""

    def __init__(self) -> None:
        self.doc = Document()
        self.body = self.doc.element.body
        self._paragraphs: dict[tuple, object] = {}
        self._tables: dict[tuple, tuple] = {}

    def _append(self, element) -> None:
        sect = self.body.find(qn("w:sectPr"))
        if sect is None:
            self.body.append(element)
        else:
            sect.addprevious(element)

    def para(self, text: str, *, font: str = "仿宋", size: float = 16, bold: bool = False, center: bool = False,
             indent: bool = True, right: bool = False) -> None:
        key = (font, size, bold, center, indent, right)
        proto = self._paragraphs.get(key)
        if proto is None:
            p = self.doc.add_paragraph()
            if center:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif indent:
                p.paragraph_format.first_line_indent = Pt(size * 2)
            _font(p.add_run(text), font, size, bold)
            if right:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            self._paragraphs[key] = deepcopy(p._p)
            return
        p = deepcopy(proto)
        _set_text(p.find(_W_R), text)
        self._append(p)

    def table(self, header, rows) -> None:
        rows = [[str(value) for value in values] for values in rows]
        key = tuple(header)
        if key not in self._tables:
            table = self.doc.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header):
                cell.text = ""
                _font(cell.paragraphs[0].add_run(text), "黑体", 10.5, True)
            empty = deepcopy(table._tbl)
            row_proto = None
            if rows:
                cells = table.add_row().cells
                for cell, value in zip(cells, rows[0]):
                    cell.text = ""
                    _font(cell.paragraphs[0].add_run(value), "仿宋", 10.5)
                row_proto = deepcopy(table._tbl.tr_lst[-1])
                rows = rows[1:]
            self._tables[key] = (empty, row_proto)
            tbl = table._tbl
        else:
            empty, row_proto = self._tables[key]
            tbl = deepcopy(empty)
            self._append(tbl)
        if rows and row_proto is None:  # the first table of this kind had no rows: make the prototype row now
            table = Table(tbl, self.doc._body)
            cells = table.add_row().cells
            for cell, value in zip(cells, rows[0]):
                cell.text = ""
                _font(cell.paragraphs[0].add_run(value), "仿宋", 10.5)
            row_proto = deepcopy(tbl.tr_lst[-1])
            self._tables[key] = (empty, row_proto)
            rows = rows[1:]
        for values in rows:
            tr = deepcopy(row_proto)
            # Each cell's paragraph holds the empty run ``cell.text = ""`` leaves, then the run with the value.
            for tc, value in zip(tr.iterchildren(_W_TC), values):
                _set_text(tc.find(_W_P).findall(_W_R)[-1], value)
            tbl.append(tr)

    def save(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def _heading_number(index: int) -> str:
    return CHINESE_NUMBERS[index] if index < len(CHINESE_NUMBERS) else str(index + 1)


def _deadline(task) -> str:
    if task.deadline:
        return task.deadline.isoformat()
    return task.deadline_text or "—"


def briefing_docx(data: BriefingData) -> bytes:
    w = _Writer()
    w.para(data.title, font="方正小标宋简体", size=22, center=True)
    meeting = data.meeting
    when = meeting.date.strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月") if meeting.date else ""
    w.para(f"{when}召开的{meeting.body or '会议'}共部署决定事项{data.total}项。截至"
           f"{data.today.year}年{data.today.month}月{data.today.day}日，已办结{data.closed}项，"
           f"正在办理{data.in_progress}项，其中逾期未办结{data.overdue}项，办结率{data.completion_rate}%。"
           "现将落实情况通报如下。")
    section = 0
    w.para(f"{_heading_number(section)}、总体落实情况", font="黑体", indent=True)
    section += 1
    for area_index, (area, tasks) in enumerate(data.areas):
        w.para(f"（{_heading_number(area_index)}）{area}（{len(tasks)}项）", font="楷体", indent=True)
        w.table(AREA_COLUMNS, [
            (i, t.title, t.lead_unit.name if t.lead_unit else "", _deadline(t), t.get_status_display(),
             latest_progress(t)) for i, t in enumerate(tasks, start=1)])
    w.para(f"{_heading_number(section)}、逾期未办结事项", font="黑体", indent=True)
    section += 1
    if data.overdue_tasks:
        for i, t in enumerate(data.overdue_tasks, start=1):
            w.para(f"{i}. {t.title}（牵头单位：{t.lead_unit.name if t.lead_unit else '未指定'}，"
                   f"时限：{_deadline(t)}，已逾期{t.days_overdue}天）")
        w.para("请上述事项的牵头单位说明原因，明确整改措施和完成时间，限期办结。")
    else:
        w.para("无逾期未办结事项。")
    w.para(f"{_heading_number(section)}、单位考评排名", font="黑体", indent=True)
    if data.ranking:
        w.table(RANKING_COLUMNS, [
            (r.rank, r.unit, r.closed, "—" if r.average_score is None else f"{r.average_score:.1f}",
             f"{r.on_time_rate:.1f}%", r.overdue) for r in data.ranking])
    else:
        w.para("暂无可排名的单位。")
    w.para("市委督查室", indent=False, right=True)
    w.para(f"{data.today.year}年{data.today.month}月{data.today.day}日", indent=False, right=True)
    return w.save()


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, *, timeout: int = 120) -> bytes:
    """Convert with ``soffice --headless --convert-to pdf`` in a private profile directory (two conversions at
    once would otherwise fight over the user's profile lock)."""
    soffice = soffice_path()
    if soffice is None:
        raise InvalidInput("服务器未安装 LibreOffice，无法生成 PDF，请下载 Word 版本",
                           "LibreOffice is not installed; PDF is unavailable")
    with tempfile.TemporaryDirectory(prefix="duban-briefing-") as tmp:
        source = Path(tmp) / "briefing.docx"
        source.write_bytes(data)
        try:
            subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                            "pdf", "--outdir", tmp, str(source)], check=True, capture_output=True, timeout=timeout)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            raise InvalidInput("PDF 转换失败，请下载 Word 版本", "the PDF conversion failed") from None
        target = Path(tmp) / "briefing.pdf"
        if not target.exists():
            raise InvalidInput("PDF 转换失败，请下载 Word 版本", "the PDF conversion failed")
        return target.read_bytes()
