"""The briefing (通报) on a meeting's decisions for the next meeting, as .docx (python-docx) and, where
LibreOffice is installed, .pdf.

Layout follows the usual 党政机关公文 habits in a form Word and WPS both open: a centred title, the summary in
running text, one table per area (事项, 牵头单位, 时限, 状态, 最新进展), the overdue items by name, and the ranking.
"""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import zipfile
import zlib
from pathlib import Path

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from duban.core.errors import InvalidInput
from duban.reports.selectors import BriefingData, latest_progress

AREA_COLUMNS = ("序号", "事项", "牵头单位", "时限", "状态", "最新进展")
RANKING_COLUMNS = ("名次", "单位", "办结数", "平均得分", "按时办结率", "逾期数")
CHINESE_NUMBERS = "一二三四五六七八九十"
DOCUMENT_PART = "word/document.xml"


def _font(run, name: str = "仿宋", size: float = 16, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


# Text that python-docx writes as one ``<w:t>`` without ``xml:space``: no tab, line break or other control
# character, nothing lxml refuses, and no surrounding whitespace (checked with str.strip, as python-docx does).
_PLAIN = re.compile(r"[^\x00-\x1f\ud800-\udfff\ufffe\uffff]+")
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R_OPEN = f'<w:r xmlns:w="{_W_NS}">'


def _run_content(text: str) -> str:
    """The XML python-docx puts in a run after its ``<w:rPr>`` for ``run.text = text``."""
    if _PLAIN.fullmatch(text) and text.strip() == text:
        return "<w:t>" + text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</w:t>"
    if not text:
        return ""
    # Tabs, line breaks, surrounding spaces, characters XML cannot hold: python-docx's own code on a bare run
    # (it raises lxml's ValueError where the plain way would), serialized without the namespace declaration.
    r = OxmlElement("w:r")
    r.text = text
    xml = etree.tostring(r, encoding="unicode")
    if xml.endswith("/>"):
        return ""
    assert xml.startswith(_R_OPEN) and xml.endswith("</w:r>"), xml
    return xml[len(_R_OPEN):-len("</w:r>")]


_MARK = "@@DUBAN{}@@"


def _split_marks(xml: str, count: int) -> list[str]:
    """``xml`` cut around the ``<w:t>`` of each marker 0..count-1: count + 1 pieces."""
    pieces = []
    for i in range(count):
        before, xml = xml.split(f"<w:t>{_MARK.format(i)}</w:t>")
        pieces.append(before)
    return pieces + [xml]


class _Template:
    """The parts of python-docx's default document and the XML of each kind of paragraph, table and table row
    the briefing uses, made once per process with python-docx's API exactly as ``briefing_reference`` makes
    them, with markers where the text goes. A briefing is then a string join: its XML is byte for byte what
    python-docx would write (``duban/reports/tests/test_briefing.py`` compares every part with the reference)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._doc = Document()
        self._body = self._doc.element.body
        self._paragraphs: dict[tuple, tuple[str, str]] = {}
        self._tables: dict[tuple, tuple[str, list[str]]] = {}
        out = io.BytesIO()
        self._doc.save(out)
        with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
            names = z.namelist()
            document = z.read(DOCUMENT_PART).decode("utf-8")
            self.parts = [(name, None if name == DOCUMENT_PART else _Entry(name, z.read(name))) for name in names]
        self.head, self.tail = document.split("<w:body>", 1)
        self.head += "<w:body>"
        self._sect = self._body.find(qn("w:sectPr"))

    def _serialize(self, element) -> str:
        """``element`` as it reads inside the document (namespaces declared on the root)."""
        self._sect.addprevious(element)
        try:
            xml = etree.tostring(self._doc.element, encoding="unicode")
        finally:
            self._body.remove(element)
        return xml[xml.index("<w:body>") + len("<w:body>"):xml.index("<w:sectPr")]

    def paragraph(self, key: tuple) -> tuple[str, str]:
        proto = self._paragraphs.get(key)
        if proto is None:
            with self._lock:
                font, size, bold, center, indent, right = key
                p = self._doc.add_paragraph()
                if center:
                    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                elif indent:
                    p.paragraph_format.first_line_indent = Pt(size * 2)
                _font(p.add_run(_MARK.format(0)), font, size, bold)
                if right:
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                self._body.remove(p._p)
                before, after = _split_marks(self._serialize(p._p), 1)
                proto = self._paragraphs[key] = (before, after)
        return proto

    def table(self, header: tuple[str, ...]) -> tuple[str, list[str]]:
        """(the table up to its last header row, the pieces of a row around its cells' texts); "</w:tbl>" ends."""
        proto = self._tables.get(header)
        if proto is None:
            with self._lock:
                table = self._doc.add_table(rows=1, cols=len(header))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, header):
                    cell.text = ""
                    _font(cell.paragraphs[0].add_run(text), "黑体", 10.5, True)
                self._body.remove(table._tbl)
                empty = self._serialize(table._tbl)
                for i, cell in enumerate(table.add_row().cells):
                    cell.text = ""
                    _font(cell.paragraphs[0].add_run(_MARK.format(i)), "仿宋", 10.5)
                full = self._serialize(table._tbl)
                start = empty[:-len("</w:tbl>")]
                assert empty.endswith("</w:tbl>") and full.startswith(start) and full.endswith("</w:tbl>")
                proto = self._tables[header] = (start, _split_marks(full[len(start):-len("</w:tbl>")],
                                                                    len(header)))
        return proto


class _Entry:
    """One unchanged part, deflated once."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name.encode("ascii")
        self.crc = zlib.crc32(data)
        self.size = len(data)
        deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self.data = deflate.compress(data) + deflate.flush()


def _zip(entries: list[_Entry]) -> bytes:
    """A zip of already deflated entries, in the layout ``zipfile`` writes (no data descriptors, no zip64)."""
    now = time.localtime()
    dostime = now.tm_hour << 11 | now.tm_min << 5 | now.tm_sec // 2
    dosdate = (now.tm_year - 1980) << 9 | now.tm_mon << 5 | now.tm_mday
    out, central = [], []
    offset = 0
    for e in entries:
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, zipfile.ZIP_DEFLATED, dostime, dosdate, e.crc,
                             len(e.data), e.size, len(e.name), 0)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 3 << 8 | 20, 20, 0, zipfile.ZIP_DEFLATED, dostime,
                                   dosdate, e.crc, len(e.data), e.size, len(e.name), 0, 0, 0, 0, 0o600 << 16,
                                   offset) + e.name)
        out += [header, e.name, e.data]
        offset += len(header) + len(e.name) + len(e.data)
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(directory), offset, 0)
    return b"".join(out) + directory + end


_template: _Template | None = None
_template_lock = threading.Lock()


def _get_template() -> _Template:
    global _template
    if _template is None:
        with _template_lock:
            if _template is None:
                _template = _Template()
    return _template


class _Writer:
    """Appends the XML of each paragraph and table to a list, from the template's pieces; ``save`` joins them
    into the document part and zips it with the template's other parts (deflated once per process). Building
    the briefing with python-docx's API took 1.8 s for a province; copying python-docx-made elements with lxml
    still 80 ms for a meeting of 160 tasks, mostly loading and saving the package."""

    def __init__(self) -> None:
        self.t = _get_template()
        self.out: list[str] = []

    def para(self, text: str, *, font: str = "仿宋", size: float = 16, bold: bool = False, center: bool = False,
             indent: bool = True, right: bool = False) -> None:
        before, after = self.t.paragraph((font, size, bold, center, indent, right))
        self.out += [before, _run_content(text), after]

    def table(self, header, rows) -> None:
        start, pieces = self.t.table(tuple(header))
        out = self.out
        out.append(start)
        last = pieces[-1]
        for values in rows:
            for piece, value in zip(pieces, values):
                out.append(piece)
                out.append(_run_content(str(value)))
            out.append(last)
        out.append("</w:tbl>")

    def save(self) -> bytes:
        document = _Entry(DOCUMENT_PART, (self.t.head + "".join(self.out) + self.t.tail).encode("utf-8"))
        return _zip([document if entry is None else entry for _name, entry in self.t.parts])


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
    labels: dict[str, str] = {}  # a status's label, translated once (gettext per row was a fifth of the time)
    for area_index, (area, tasks) in enumerate(data.areas):
        w.para(f"（{_heading_number(area_index)}）{area}（{len(tasks)}项）", font="楷体", indent=True)
        w.table(AREA_COLUMNS, [
            (i, t.title, t.lead_unit.name if t.lead_unit else "", _deadline(t),
             labels.get(t.status) or labels.setdefault(t.status, str(t.get_status_display())),
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
