"""Documents a leader signs, in the layout of GB/T 9704-2012 (党政机关公文格式), written with python-docx.

What the standard fixes and where it is applied here:
- A4 paper; margins 37 mm top, 28 mm left (订口), 35 mm bottom, 26 mm right, leaving a 156 × 225 mm type area of
  22 lines of 28 characters in 3号 (16 pt): the section's page size and margins, an exact line pitch of
  225 mm / 22 and Chinese characters set 0.25 pt closer (see ``_body_runs`` on why not Word's document grid).
- Title in 2号 小标宋 (方正小标宋简体) centred; body in 3号 仿宋; the four levels of headings 一、 / （一） /
  1. / （1） in 黑体, 楷体, 仿宋, 仿宋. Level numbers are Chinese numerals at any count (十一, 二十三, 一百零一).
- Page numbers "— N —" in 4号 Arabic figures, outside: right on odd pages, left on even ones, one character in.
- An optional red header (发文机关标志 in red 小标宋 over a red rule) with the 发文字号; the 版记 at the end: 抄送
  and 印发 lines between rules.
Where the official fonts are absent (a Linux server), the PDF renderer substitutes free CJK fonts through
``duban/core/fonts.conf`` (Noto Serif CJK SC for 小标宋, 仿宋 and 楷体, Noto Sans CJK SC for 黑体); the .docx keeps
the official names, so Word on an office PC uses the real fonts.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor, Twips
from docx.table import Table

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGINS = {"top": Mm(37), "left": Mm(28), "bottom": Mm(35), "right": Mm(26)}
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
TYPE_AREA_WIDTH_MM, TYPE_AREA_HEIGHT_MM = 156, 225
# 28.95 pt (in whole twentieths of a point, as Word stores it, rounded down): 22 lines fill the type area
LINE_PITCH = Twips(int(TYPE_AREA_HEIGHT_MM / LINES_PER_PAGE * 72 / 25.4 * 20))
CHAR_SPACING_TWIPS = -5  # -0.25 pt between Chinese characters: 28 of 3号 fill the 156 mm line

CELL_MARGIN_MM = 1
# 字号 in points.
SIZE_2, SIZE_3, SIZE_4, SIZE_SMALL_4 = 22, 16, 14, 12
TITLE_FONT, BODY_FONT, HEI, KAI, SONG = "方正小标宋简体", "仿宋", "黑体", "楷体", "宋体"
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xE6, 0x00, 0x12)  # the red of 红头 and its rule
FONTS_CONF = Path(__file__).with_name("fonts.conf")

_DIGITS = "零一二三四五六七八九"
_UNITS = ((1000, "千"), (100, "百"), (10, "十"))


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 11 → 十一, 20 → 二十, 101 → 一百零一, 110 → 一百一十 (below 10 000)."""
    if not 0 < n < 10000:
        raise ValueError(f"no Chinese numeral for {n}")
    if 10 <= n < 20:
        return "十" + (_DIGITS[n - 10] if n > 10 else "")
    out, zero = [], False
    for value, name in _UNITS:
        digit, n = divmod(n, value)
        if digit:
            if zero:
                out.append("零")
            out.append(_DIGITS[digit] + name)
            zero = False
        elif out:
            zero = True
    if n:
        if zero:
            out.append("零")
        out.append(_DIGITS[n])
    return "".join(out)


def heading_label(level: int, index: int) -> str:
    """The number of the ``index``-th heading (from 1) of a level: 一、 / （一） / 1. / （1）."""
    if level == 1:
        return f"{chinese_numeral(index)}、"
    if level == 2:
        return f"（{chinese_numeral(index)}）"
    if level == 3:
        return f"{index}."
    return f"（{index}）"


HEADING_FONTS = {1: HEI, 2: KAI, 3: BODY_FONT, 4: BODY_FONT}


def chinese_date(day: dt.date) -> str:
    """2024年9月1日 (成文日期 in Arabic figures, no leading zeros, as GB/T 9704-2012 has it)."""
    return f"{day.year}年{day.month}月{day.day}日"


_QUOTES_DOWN = str.maketrans({"“": "‘", "”": "’", "‘": "“", "’": "”"})
_STRAIGHT_PAIR = re.compile(r'"([^"]*)"')


def quoted(text: str) -> str:
    """“text”, the quotes inside it taken one level down (GB/T 15834-2011 4.3.3: 引号里面还要用引号时，外面一层用
    双引号，里面一层用单引号): “实施‘专精特新’企业培育计划”; straight double quotes in pairs count as double."""
    return "“" + _STRAIGHT_PAIR.sub(r"“\1”", text).translate(_QUOTES_DOWN) + "”"


@dataclass(frozen=True)
class Letterhead:
    """How a document names its issuing office: from the DUBAN_DOC_* settings (``from_settings``), or the record
    the system administrator keeps on screen (``duban.reports.selectors.letterhead``)."""
    issuer: str
    number_code: str
    red_header: bool
    cc: str
    printed_by: str
    addressee: str = "各有关单位"  # 主送机关

    @classmethod
    def from_settings(cls) -> Letterhead:
        from django.conf import settings

        issuer = settings.DUBAN_DOC_ISSUER
        return cls(issuer, settings.DUBAN_DOC_NUMBER_CODE, settings.DUBAN_DOC_RED_HEADER, settings.DUBAN_DOC_CC,
                   settings.DUBAN_DOC_PRINTED_BY or issuer)

    def number(self, year: int, serial: int | str) -> str:
        """发文字号: 督查〔2024〕3号 (六角括号, no 第, no leading zeros)."""
        return f"{self.number_code}〔{year}〕{int(serial)}号"


# A 2号 title line: the type area (156 mm) holds 20 Chinese characters of 22 pt; a Latin letter or figure takes half
TITLE_LINE_WIDTH = 20
# Where a title may be broken: after punctuation, after 关于, a date's 日 and 会议 closing a meeting's name, and
# before the words the office's titles end with. Nowhere else: a break inside 落实 or 情况 reads as two words.
_TITLE_BREAK_AFTER = re.compile(r"(?:[，、；：）》”]|^关于|日|会议)(?=.)")
_TITLE_BREAK_BEFORE = re.compile(r"(?<=.)(?:决定事项|落实情况|有关情况|情况的|的通报|的督查通报|督查通报|的通知|[（《“])")


def _title_width(text: str) -> float:
    return sum(0.5 if ch.isascii() else 1 for ch in text)


def title_lines(text: str, width: float = TITLE_LINE_WIDTH) -> list[str]:
    """A title as the lines it is set in (GB/T 9704-2012 7.3.3: 回行时，要做到词意完整，排列对称): one line when it
    fits, else the fewest lines that fit, broken only where ``_TITLE_BREAK_AFTER``/``_TITLE_BREAK_BEFORE`` allow,
    the longest line as short as it can be (so the lines come out balanced, the shape the standard asks for).
    A title with no allowed break that fits is left whole, for the renderer to wrap."""
    if _title_width(text) <= width:
        return [text]
    cuts = sorted({m.end() for m in _TITLE_BREAK_AFTER.finditer(text)}
                  | {m.start() for m in _TITLE_BREAK_BEFORE.finditer(text)})
    best: tuple[float, list[str]] | None = None

    def search(start: int, lines: list[str]) -> None:
        nonlocal best
        rest = text[start:]
        if _title_width(rest) <= width:
            candidate = [*lines, rest]
            key = (len(candidate), max(_title_width(line) for line in candidate))
            if best is None or key < best[0]:
                best = (key, candidate)
            return
        if len(lines) >= 3:
            return
        for cut in cuts:
            if cut > start and _title_width(text[start:cut]) <= width:
                search(cut, [*lines, text[start:cut]])

    search(0, [])
    return best[1] if best else [text]


def _fonts(run, east_asia: str, size: float, *, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = LATIN_FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)


_LATIN_OR_CJK = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f]+")


def _body_runs(paragraph, text: str, font: str, size: float, *, bold: bool = False) -> None:
    """``text`` as runs of 3号 body type, 28 characters a line. 28 × 16 pt is 2 mm wider than the type area, so
    Chinese characters are set 0.25 pt closer (28 × 15.75 pt = 155.6 mm; 29 would need 161 mm); Latin letters and
    figures, in runs of their own, keep their natural spacing. (Word's character grid would do the same in Word,
    but LibreOffice snaps every character, table cell and title to such a grid and spreads them apart.)"""
    for piece in _LATIN_OR_CJK.findall(text):
        run = paragraph.add_run(piece)
        key = (font, size, bold, piece.isascii())
        kept = _RUN_PROPERTIES.get(key)
        if kept is not None:  # a copy of the properties made once (setting them costs about 0.5 ms a run)
            run._element.insert(0, copy.deepcopy(kept))
            continue
        _fonts(run, font, size, bold=bold)
        if not piece.isascii():
            spacing = OxmlElement("w:spacing")
            spacing.set(qn("w:val"), str(CHAR_SPACING_TWIPS))
            run._element.get_or_add_rPr().append(spacing)
        _RUN_PROPERTIES[key] = copy.deepcopy(run._element.rPr)


# a body run's properties (w:rPr) by (font, size, bold, Latin): made by python-docx once, then only copied (never
# changed, so threads may copy them at once)
_RUN_PROPERTIES: dict[tuple, object] = {}


def _border(paragraph, side: str, *, color: str = "000000", size: int = 4) -> None:
    """A rule above or below a paragraph (``size`` in eighths of a point): 红头's red line, the 版记's lines."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), color)
    borders.append(line)


def _page_number(paragraph) -> None:
    """"— N —" with N a PAGE field, in 4号 宋体 Arabic figures."""
    def text(value: str) -> None:
        _fonts(paragraph.add_run(value), SONG, SIZE_4)

    text("— ")
    run = paragraph.add_run()
    _fonts(run, SONG, SIZE_4)
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif instruction == "1":
            element = OxmlElement("w:t")
            element.text = "1"
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = instruction
        run._element.append(element)
    text(" —")


class GongwenDocument:
    """A document in the GB/T 9704-2012 layout. Build it with the methods in reading order, then ``save()``."""

    def __init__(self, letterhead: Letterhead | None = None) -> None:
        self.letterhead = letterhead or Letterhead.from_settings()
        self.doc = Document()
        self._setup()
        self._counters = [0, 0, 0, 0]

    def _setup(self) -> None:
        doc = self.doc
        normal = doc.styles["Normal"]
        normal.font.name = LATIN_FONT
        normal.font.size = Pt(SIZE_3)
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
        fmt = normal.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = LINE_PITCH
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.widow_control = False
        section = doc.sections[0]
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        for side, value in MARGINS.items():
            setattr(section, f"{side}_margin", value)
        section.header_distance, section.footer_distance = Mm(15), Mm(28)
        section.start_type = WD_SECTION.NEW_PAGE
        rpr = normal.element.get_or_add_rPr()
        # Chinese text in Simplified Chinese (renderers pick the SC glyphs of a CJK font); Latin text stays
        # English: marked Chinese, LibreOffice breaks lines inside numbers ("202|6-10-18").
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        rpr.append(lang)
        doc.settings.odd_and_even_pages_header_footer = True
        for footer, alignment in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                                  (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.alignment = alignment
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            # one character in from the edge of the type area (左/右空一字)
            if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
                paragraph.paragraph_format.right_indent = Pt(SIZE_4)
            else:
                paragraph.paragraph_format.left_indent = Pt(SIZE_4)
            _page_number(paragraph)

    # --- 版头 ---------------------------------------------------------------------------------------------------

    def red_header(self, number: str) -> None:
        """发文机关标志 (issuer + 文件) in red 小标宋, the 发文字号 under it, a red rule; nothing when the settings
        turn the red header off (the number then stands under the title, see ``title``)."""
        if not self.letterhead.red_header:
            return
        mark = self.doc.add_paragraph()
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        mark.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        _fonts(mark.add_run(f"{self.letterhead.issuer}文件"), TITLE_FONT, 36, color=RED)
        self.blank()
        line = self.doc.add_paragraph()
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(line.add_run(number), BODY_FONT, SIZE_3)
        _border(line, "bottom", color=str(RED), size=18)
        self.blank()

    def title(self, text: str, *, number: str = "") -> None:
        """The title in 2号 小标宋, centred, followed by a blank line; without a red header the 发文字号 (if any)
        stands under the title. A title longer than a line is broken where ``title_lines`` says (never inside a
        word), each line ended by a line break."""
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.line_spacing = Pt(SIZE_2 * 1.5)
        for index, line in enumerate(title_lines(text)):
            run = p.add_run(line)
            if index:
                run._element.insert(0, OxmlElement("w:br"))
            _fonts(run, TITLE_FONT, SIZE_2)
        if number and not self.letterhead.red_header:
            n = self.doc.add_paragraph()
            n.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _fonts(n.add_run(number), BODY_FONT, SIZE_3)
        self.blank()

    # --- 主体 ---------------------------------------------------------------------------------------------------

    def blank(self) -> None:
        self.doc.add_paragraph()

    def addressee(self, text: str) -> None:
        """主送机关: flush left, ending with a full-width colon."""
        _body_runs(self.doc.add_paragraph(), text.rstrip("：:") + "：", BODY_FONT, SIZE_3)

    def para(self, text: str, *, indent: bool = True, align=None, font: str = BODY_FONT, size: float = SIZE_3,
             bold: bool = False) -> None:
        """A body paragraph, its first line indented two characters."""
        p = self.doc.add_paragraph()
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        if align is not None:
            p.alignment = align
        _body_runs(p, text, font, size, bold=bold)

    def heading(self, level: int, text: str) -> str:
        """The next heading of ``level`` (1–4), numbered in sequence (a new higher heading restarts the lower
        numbers); returns the label used. Indented two characters like the body, as GB/T 9704 has it."""
        self._counters[level - 1] += 1
        for lower in range(level, 4):
            self._counters[lower] = 0
        label = heading_label(level, self._counters[level - 1])
        p = self.doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(SIZE_3 * 2)
        # 一、 and （一） head what follows and stay with it; 1. and （1） are often whole items (a list of overdue
        # tasks), which a chain of kept paragraphs would push to the next page together.
        p.paragraph_format.keep_with_next = level <= 2
        _body_runs(p, label + text, HEADING_FONTS[level], SIZE_3)
        return label

    def table(self, header, rows, widths_mm, *, size: float = SIZE_SMALL_4, left: tuple[str, ...] = ()) -> None:
        """A bordered table across the type area with the given column widths (they add up to 156 mm), header in
        黑体, cells in 仿宋 at ``size``, single line spacing, the header repeated on each page. Cells are centred
        except in the ``left`` columns (the texts)."""
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        # 1 mm inside each cell's left and right edge (Word's default is 1.9 mm): the type area is narrow
        margins = OxmlElement("w:tblCellMar")
        for side in ("left", "right"):
            margin = OxmlElement(f"w:{side}")
            margin.set(qn("w:w"), str(Mm(CELL_MARGIN_MM).twips))
            margin.set(qn("w:type"), "dxa")
            margins.append(margin)
        table._tbl.tblPr.append(margins)
        widths = [Mm(w) for w in widths_mm]
        for column, width in zip(table.columns, widths):
            column.width = width
        head = table.rows[0]
        trpr = head._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        trpr.append(repeat)
        for cell, text, width in zip(head.cells, header, widths):
            self._cell(cell, str(text), width, HEI, size, center=True)
        centred = [name not in left for name in header]
        # The first row is built through python-docx; every further row is a copy of its XML with the texts
        # replaced, so each cell's width, spacing, alignment and fonts are the first row's. Setting them cell by
        # cell costs about 1 ms a cell (python-docx looks up each property's place among its siblings): a
        # meeting's briefing with 1,600 items, 10,000 cells, took 5 s.
        first = None
        for values in rows:
            texts = ["" if value is None else str(value) for value in values]
            if first is None:
                row = table.add_row()
                row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))  # a row is never cut by a page break
                for cell, text, width, center in zip(row.cells, texts, widths, centred):
                    self._cell(cell, "x", width, BODY_FONT, size, center=center)
                first = copy.deepcopy(row._tr)
                table._tbl.remove(row._tr)
            tr = copy.deepcopy(first)
            for r, text in zip(tr.iter(qn("w:r")), texts):
                r.text = text  # python-docx's own setter of a run's text (tabs and line breaks as Word has them)
            table._tbl.append(tr)

    @staticmethod
    def _cell(cell, text: str, width, font: str, size: float, *, center: bool = False) -> None:
        cell.width = width
        p = cell.paragraphs[0]
        # no extra space between Chinese and figures in a cell (Word adds a quarter em by default; LibreOffice
        # keeps its own, so the columns are wide enough with it)
        ppr = p._p.get_or_add_pPr()
        for name in ("w:autoSpaceDE", "w:autoSpaceDN"):
            element = OxmlElement(name)
            element.set(qn("w:val"), "0")
            ppr.append(element)
        p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _fonts(p.add_run(text), font, size)

    def signature(self, day: dt.date, issuer: str | None = None) -> None:
        """发文机关署名 and 成文日期, right-aligned four characters in (右空四字), after a blank line; kept on one
        page together and with the last paragraph of the text (a page break never parts the office's name from
        its date, nor leaves them alone on a page, which GB/T 9704 forbids). When the text ends with a table (the
        briefing's ranking), its last row is what is kept with them: the paragraph before the table would hold
        nothing back."""
        *_, last = self.doc.iter_inner_content()
        for p in ([p for cell in last.rows[-1].cells for p in cell.paragraphs] if isinstance(last, Table) else [last]):
            p.paragraph_format.keep_with_next = True
        self.doc.add_paragraph().paragraph_format.keep_with_next = True
        for index, text in enumerate((issuer or self.letterhead.issuer, chinese_date(day))):
            p = self.doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            p.paragraph_format.right_indent = Pt(SIZE_3 * 4)
            p.paragraph_format.keep_with_next = index == 0
            _fonts(p.add_run(text), BODY_FONT, SIZE_3)

    # --- 版记 ---------------------------------------------------------------------------------------------------

    def record(self, day: dt.date, *, cc: str | None = None) -> None:
        """版记: the 抄送 line (when there is one) and the 印发 line, in 4号 仿宋 between full-width rules."""
        cc = self.letterhead.cc if cc is None else cc
        self.doc.add_paragraph().paragraph_format.keep_with_next = True
        lines = []
        if cc:
            lines.append(("抄送：" + cc.rstrip("。") + "。", False))
        lines.append((f"{self.letterhead.printed_by}\u3000\u3000{chinese_date(day)}印发", True))
        for index, (text, printed) in enumerate(lines):
            p = self.doc.add_paragraph()
            p.paragraph_format.left_indent = Pt(SIZE_4)
            p.paragraph_format.right_indent = Pt(SIZE_4)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            p.paragraph_format.keep_with_next = not printed  # the 版记's lines stay on one page
            if index == 0:
                _border(p, "top", size=8)
            _border(p, "bottom", size=8 if printed else 4)
            if printed:
                # 印发机关 left, 印发日期 right: a right tab stop at the end of the line
                left, _, right = text.partition("\u3000\u3000")
                p.paragraph_format.tab_stops.add_tab_stop(Mm(TYPE_AREA_WIDTH_MM) - Pt(SIZE_4 * 2),
                                                          alignment=WD_TAB_ALIGNMENT.RIGHT)
                _fonts(p.add_run(left + "\t" + right), BODY_FONT, SIZE_4)
            else:
                _fonts(p.add_run(text), BODY_FONT, SIZE_4)

    def save(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()

