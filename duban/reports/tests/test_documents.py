"""Documents a leader signs, checked from the files themselves: the GB/T 9704-2012 facts (A4, margins 37/28/35/26
mm, 22 lines × 28 characters, fonts and sizes, heading levels and their numbering past ten, page numbers outside,
red header, 抄送/印发), the widths of the tables, and the PDF's fonts and page size. The demo briefing is rendered
to PNG in test-results/ for a person to look at."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Pt

from duban.conftest import REPO_DIR, require_tool
from duban.core.gongwen import GongwenDocument, Letterhead, chinese_numeral, heading_label
from duban.followup.notices import notice_docx, urge_docx
from duban.reports.actions import briefing_export, circular_export
from duban.reports.briefing import soffice_path
from duban.reports.selectors import meeting_day
from duban.tasks import actions as task_actions
from duban.tasks.models import Task

from .test_views import meeting_for

TODAY = dt.date(2024, 11, 15)
LETTERHEAD = Letterhead("江州市委督查室", "督查", True, "市委办公室，市政府办公室", "江州市委督查室")


def east_asia(run) -> str:
    return run._element.rPr.rFonts.get(qn("w:eastAsia"))


def paragraph_with(doc, prefix: str):
    return next(p for p in doc.paragraphs if p.text.startswith(prefix))


# --- the numbering ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("n, text", [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (19, "十九"), (20, "二十"),
                                     (23, "二十三"), (100, "一百"), (101, "一百零一"), (110, "一百一十"),
                                     (1005, "一千零五"), (2024, "二千零二十四")])
def test_chinese_numerals(n, text):
    assert chinese_numeral(n) == text


def test_heading_labels_of_the_four_levels():
    assert [heading_label(level, 11) for level in (1, 2, 3, 4)] == ["十一、", "（十一）", "11.", "（11）"]


# --- the page ----------------------------------------------------------------------------------------------------

def test_section_is_a4_with_the_standard_margins_and_grid():
    doc = Document(io.BytesIO(GongwenDocument(LETTERHEAD).save()))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (section.top_margin, section.left_margin, section.bottom_margin,
                                  section.right_margin)] == [37, 28, 35, 26]
    # the type area is 156 × 225 mm: 22 lines of 28 characters of 3号 (16 pt)
    width = section.page_width.mm - section.left_margin.mm - section.right_margin.mm
    height = section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm
    assert round(width) == 156 and round(height) == 225
    normal = doc.styles["Normal"]
    assert normal.font.size == Pt(16) and normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    lang = normal.element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN" and lang.get(qn("w:val")) == "en-US"
    # 22 lines: an exact line pitch that fills the height 22 times
    assert normal.paragraph_format.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    pitch = normal.paragraph_format.line_spacing.mm
    assert 22 * pitch <= height < 23 * pitch and 22 * pitch > height - 0.5
    # 28 characters: 28 of 3号 with the spacing of Chinese text fit the width, 29 do not
    gw = GongwenDocument(LETTERHEAD)
    gw.para("截至2024年")
    runs = Document(io.BytesIO(gw.save())).paragraphs[-1].runs
    assert [r.text for r in runs] == ["截至", "2024", "年"]
    spacing = [r._element.rPr.find(qn("w:spacing")) for r in runs]
    assert spacing[1] is None  # figures keep their own spacing
    pitch_mm = (16 + int(spacing[0].get(qn("w:val"))) / 20) * 25.4 / 72
    assert 28 * pitch_mm <= width < 29 * pitch_mm


def test_page_numbers_are_outside_on_odd_and_even_pages():
    doc = Document(io.BytesIO(GongwenDocument(LETTERHEAD).save()))
    assert doc.settings.odd_and_even_pages_header_footer
    section = doc.sections[0]
    for footer, alignment in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                              (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        (p,) = footer.paragraphs
        assert p.alignment == alignment
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert "PAGE" in "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert all(run.font.size == Pt(14) for run in p.runs)  # 4号


# --- the briefing ------------------------------------------------------------------------------------------------

def many_areas(org, count: int):
    """A meeting whose tasks fall in ``count`` areas, so the second-level headings run past ten."""
    from duban.core.models import Area

    meeting = meeting_for(org)
    for n in range(count):
        area = Area.objects.create(name=f"领域{n + 1:02d}", sort_order=100 + n)
        org.task_in("assigned", meeting=meeting, title=f"事项{n + 1}", area_id=area.pk,
                    deadline=dt.date(2024, 12, 31))
    return meeting


@pytest.mark.django_db
def test_briefing_layout_facts(org, settings):
    settings.DUBAN_DOC_RED_HEADER = True
    settings.DUBAN_DOC_ISSUER = "江州市委督查室"
    settings.DUBAN_DOC_CC = "市委办公室，市政府办公室"
    meeting = many_areas(org, 12)
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True)))
    texts = [p.text for p in doc.paragraphs]
    # red header: the issuer's mark in red 小标宋, the 发文字号 under it on a red rule
    mark = doc.paragraphs[0]
    assert mark.text == "江州市委督查室文件" and str(mark.runs[0].font.color.rgb) == "E60012"
    assert east_asia(mark.runs[0]) == "方正小标宋简体"
    number = paragraph_with(doc, "督查〔2024〕")
    assert number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:color")) == "E60012"
    title = paragraph_with(doc, "关于9月29日")
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs[0].font.size == Pt(22) and east_asia(title.runs[0]) == "方正小标宋简体"  # 2号 小标宋
    body = paragraph_with(doc, "2024年9月29日召开的")
    assert body.runs[0].font.size == Pt(16) and east_asia(body.runs[0]) == "仿宋"  # 3号 仿宋
    assert body.paragraph_format.first_line_indent == Pt(32)  # two characters
    first = paragraph_with(doc, "一、总体落实情况")
    assert east_asia(first.runs[0]) == "黑体"
    # numbering in Chinese numerals past ten, 楷体 for the second level
    assert "（十）领域10（1项）" in texts and "（十一）领域11（1项）" in texts and "（十二）领域12（1项）" in texts
    assert not any(re.match(r"（\d+）领域", t) for t in texts)
    assert east_asia(paragraph_with(doc, "（十一）").runs[0]) == "楷体"
    assert "二、逾期未办结事项" in texts and "三、单位考评排名" in texts
    # signature, then the 版记: 抄送 and 印发 between rules
    assert "江州市委督查室" in texts and "2024年11月15日" in texts
    issuer = doc.paragraphs[texts.index("2024年11月15日") - 1]
    assert issuer.text == "江州市委督查室" and issuer.paragraph_format.keep_with_next  # never parted by a page break
    assert issuer.alignment == WD_ALIGN_PARAGRAPH.RIGHT and issuer.paragraph_format.right_indent == Pt(64)
    cc = paragraph_with(doc, "抄送：")
    assert cc.text == "抄送：市委办公室，市政府办公室。" and cc.runs[0].font.size == Pt(14)
    printed = paragraph_with(doc, "江州市委督查室\t")
    assert printed.text == "江州市委督查室\t2024年11月15日印发"
    assert printed._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")) is not None


@pytest.mark.django_db
def test_briefing_tables_give_the_item_most_of_the_line(org):
    meeting = many_areas(org, 1)
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY)))
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    widths = [c.width for c in table.rows[1].cells]
    assert round(sum(w.mm for w in widths)) == 156  # the type area's width
    item = header.index("事项")
    assert widths[item] == max(widths) and widths[item].mm > 156 / 3 - 0.1  # a third of the line
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # header repeats on each page
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in table.rows[1:])  # rows stay whole
    assert table.rows[1].cells[item].paragraphs[0].runs[0].font.size == Pt(12)


def test_every_row_of_a_table_has_its_texts_and_the_tables_layout():
    """Each cell holds its own value as text (None as nothing; line breaks and tabs as Word's), in the column's
    width, single-spaced, in 仿宋 小四, centred but in the text columns, and no row is cut by a page break: the
    first row as much as the thousandth."""
    doc = GongwenDocument(LETTERHEAD)
    rows = [(i, f"事项{i} 第2项 Latin 9", None if i % 3 == 0 else "市应急管理局", "2026-01-01",
             "办理中", "第一行\n第二行\t后" if i % 2 else "") for i in range(1, 1001)]
    doc.table(("序号", "事项", "牵头单位", "时限", "状态", "最新进展"), rows, (11, 52, 22, 24, 15, 32),
              left=("事项", "最新进展"))
    table = Document(io.BytesIO(doc.save())).tables[0]
    assert len(table.rows) == 1 + len(rows)
    widths_mm = (11, 52, 22, 24, 15, 32)
    for row, values in zip(table.rows[1:], rows):
        assert row._tr.trPr.find(qn("w:cantSplit")) is not None
        assert [c.text for c in row.cells] == ["" if v is None else str(v) for v in values]
        for column, (cell, width) in enumerate(zip(row.cells, widths_mm)):
            assert round(cell.width.mm) == width
            p = cell.paragraphs[0]
            assert p.paragraph_format.line_spacing_rule == WD_LINE_SPACING.SINGLE
            assert (p.alignment == WD_ALIGN_PARAGRAPH.CENTER) == (column not in (1, 5))
            run = p.runs[0]
            assert run.font.size == Pt(12) and east_asia(run) == "仿宋"
    assert [c.text for c in table.rows[0].cells][:2] == ["序号", "事项"]


@pytest.mark.django_db
def test_without_red_header_the_number_stands_under_the_title(org, settings):
    settings.DUBAN_DOC_RED_HEADER = False
    settings.DUBAN_DOC_CC = ""
    meeting = many_areas(org, 1)
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0].startswith("关于") and texts[1] == "督查〔2024〕1号"  # the office's first document of 2024
    assert not any(t.endswith("文件") for t in texts)
    assert not any(t.startswith("抄送") for t in texts) and texts[-1] == "市委督查室\t2024年11月15日印发"


@pytest.mark.django_db
def test_briefing_states_the_date_of_a_meeting_without_a_year(org):
    meeting = meeting_for(org, date=None, date_text="09-29")
    meeting.created_at = dt.datetime(2024, 10, 8, 9, tzinfo=dt.timezone.utc)
    assert meeting_day(meeting) == "2024年9月29日"
    meeting.date_text = "12-30"  # after the day the record was made: the year before
    assert meeting_day(meeting) == "2023年12月30日"
    meeting.date_text = ""
    assert meeting_day(meeting) == "2024年10月8日（录入日期）"
    org.task_in("assigned", meeting=meeting_for(org, date=None, date_text="09-29"), title="甲")
    undated = Task.objects.get(title="甲").meeting
    text = "\n".join(p.text for p in Document(io.BytesIO(
        briefing_export(actor=org.supervisor, meeting_id=undated.pk, today=TODAY))).paragraphs)
    assert re.search(r"\d{4}年9月29日召开的市委常委会共部署决定事项1项", text)


@pytest.mark.django_db
def test_returned_close_request_reads_as_returned_and_every_unit_is_ranked(org):
    meeting = meeting_for(org)
    task = org.task_in("close_requested", meeting=meeting, title="申请办结被退回的事项")
    report = task.latest_report
    task_actions.report_return(actor=org.supervisor, report_id=report.pk, reason="佐证材料不全")
    org.task_in("assigned", meeting=meeting, title="卫健委的事项", lead_unit_id=org.health.pk, coop_unit_ids=[],
                deadline=dt.date(2030, 1, 1))
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY)))
    rows = {r.cells[1].text: [c.text for c in r.cells] for t in doc.tables[:-1] for r in t.rows[1:]}
    row = rows["申请办结被退回的事项"]
    assert row[4] == "办理中"
    assert row[5].startswith("办结申请已退回（佐证材料不全）") and "100%" not in row[5]
    ranking = [[c.text for c in r.cells] for r in doc.tables[-1].rows[1:]]
    assert {r[1] for r in ranking} == {"市应急管理局", "市卫健委"}  # neither has closed or overdue tasks
    assert all(r[2] == "0" for r in ranking)


# --- the other documents ------------------------------------------------------------------------------------------

def test_notice_and_urge_slip_follow_the_same_layout():
    for data, title, number in (
            (notice_docx(number="7", unit_name="市应急管理局", task_title="整治燃气隐患", task_text="全面排查……",
                         deadline=dt.date(2024, 10, 31), overdue_days=15, issued_on=TODAY,
                         source="市委常委会第12次会议", letterhead=LETTERHEAD), "督办通知单", "督办〔2024〕7号"),
            (urge_docx(number="3", unit_name="市应急管理局", task_title="整治燃气隐患", task_text="全面排查……",
                       deadline=dt.date(2024, 11, 20), reason="距办理时限还有3个工作日", issued_on=TODAY,
                       letterhead=LETTERHEAD), "催办单", "催办〔2024〕3号")):
        doc = Document(io.BytesIO(data))
        texts = [p.text for p in doc.paragraphs]
        section = doc.sections[0]
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
        assert texts[0] == "江州市委督查室文件" and number in texts and title in texts
        assert "市应急管理局：" in texts
        assert "一、督办事项" in texts and "二、督办要求" in texts
        assert "抄送：市委办公室，市政府办公室。" in texts
    notice = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "距办理时限还有3个工作日" in notice


def test_a_title_with_quotes_is_quoted_with_single_quotes_inside_double_ones():
    """Quotes inside quotes (标点符号用法: 外面一层用双引号，里面一层用单引号): the notice names the task
    “实施‘专精特新’企业培育计划”, never “实施“专精特新”企业培育计划”."""
    data = notice_docx(number="2", unit_name="市科技局", task_title="实施高新技术企业和“专精特新”企业培育计划",
                       task_text="……", deadline=dt.date(2024, 10, 31), overdue_days=15, issued_on=TODAY,
                       source="市委常委会第12次会议", letterhead=LETTERHEAD)
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "确定的“实施高新技术企业和‘专精特新’企业培育计划”事项由你单位牵头办理" in text


@pytest.mark.django_db
def test_circular_lists_overdue_items_by_unit_and_the_ranking(org):
    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    org.task_in("assigned", title="逾期甲", deadline=dt.date(2024, 10, 1))
    org.task_in("assigned", title="逾期乙", lead_unit_id=org.other.pk, coop_unit_ids=[], deadline=dt.date(2024, 9, 1))
    org.task_in("closed", title="办结的")
    doc = Document(io.BytesIO(circular_export(actor=org.supervisor, today=TODAY)))
    texts = [p.text for p in doc.paragraphs]
    assert "关于重点督办事项落实情况的督查通报" in texts and "各有关单位：" in texts
    assert "（一）市应急管理局（1项）" in texts and "（二）市教育局（1项）" in texts
    assert "1.逾期甲（时限：2024年10月1日，已逾期45天）" in texts
    assert [c.text for c in doc.tables[0].rows[0].cells][:2] == ["名次", "单位"]
    (event,) = AuditEvent.objects.filter(event_type=EventType.CIRCULAR_EXPORTED)
    assert event.actor == org.supervisor and event.extra["overdue"] == 2
    assert f"督查〔2024〕{event.extra['serial']}号" in texts
    with pytest.raises(Exception) as excinfo:
        circular_export(actor=org.lead_staff, today=TODAY)
    assert type(excinfo.value).__name__ == "PermissionDenied"


# --- 发文字号 -------------------------------------------------------------------------------------------------------

def _number(data: bytes) -> str:
    return next(p.text for p in Document(io.BytesIO(data)).paragraphs if re.fullmatch(r"督查〔\d{4}〕\d+号", p.text))


@pytest.mark.django_db
def test_downloading_a_document_again_does_not_use_up_a_new_number(org, settings):
    """Opening the same document again (same kind, subject and day) shows the number it was given."""
    settings.DUBAN_DOC_RED_HEADER = False
    meeting = many_areas(org, 1)
    circular = _number(circular_export(actor=org.supervisor, today=TODAY))
    assert _number(circular_export(actor=org.leader, today=TODAY)) == circular
    briefing = _number(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True))
    assert _number(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True)) == briefing


@pytest.mark.django_db
def test_the_offices_documents_never_share_a_number_within_a_year(org, settings):
    """One sequence a year for every kind: the briefings of two meetings and the 督查通报 of two days all differ;
    the next year starts at 1 again."""
    settings.DUBAN_DOC_RED_HEADER = False
    first, second = many_areas(org, 1), meeting_for(org, title="市委常委会第13次会议", sha256="1" * 64)
    numbers = [_number(briefing_export(actor=org.supervisor, meeting_id=first.pk, today=TODAY, issue=True)),
               _number(circular_export(actor=org.supervisor, today=TODAY)),
               _number(briefing_export(actor=org.supervisor, meeting_id=second.pk, today=TODAY, issue=True)),
               _number(circular_export(actor=org.supervisor, today=TODAY + dt.timedelta(days=1)))]
    assert numbers == ["督查〔2024〕1号", "督查〔2024〕2号", "督查〔2024〕3号", "督查〔2024〕4号"]
    assert _number(circular_export(actor=org.supervisor, today=dt.date(2025, 1, 6))) == "督查〔2025〕1号"


# --- the PDF -----------------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.django_db
def test_demo_briefing_pdf_fonts_page_size_and_pictures(settings):
    """The demo meeting's briefing through LibreOffice: A4 pages, the free CJK fonts embedded (serif for title
    and body, sans for 黑体), and each page as PNG in test-results/ for a person to look at."""
    require_tool(soffice_path() is not None, "libreoffice")
    require_tool(all(shutil.which(t) for t in ("pdffonts", "pdfinfo", "pdftoppm")), "poppler-utils")
    from django.contrib.auth import get_user_model

    from duban.demo.loader import load_demo

    settings.DUBAN_DOC_RED_HEADER = True
    settings.DUBAN_DOC_ISSUER = "江州市委督查室"
    settings.DUBAN_DOC_CC = "市委办公室，市人大常委会办公室，市政府办公室，市政协办公室"
    today = dt.date(2026, 11, 25)
    summary = load_demo(today=today - dt.timedelta(days=40))
    office = get_user_model().objects.get(username="office")
    pdf = briefing_export(actor=office, meeting_id=summary.meeting_id, fmt="pdf", today=today)
    out = REPO_DIR / "test-results"
    out.mkdir(exist_ok=True)
    path = out / "demo-briefing.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and (round(float(size[1])), round(float(size[2]))) == (595, 842)  # A4 in points
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) >= 2
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    assert any("NotoSerifCJK" in n for n in names), fonts
    assert any("NotoSansCJK" in n for n in names), fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:]), fonts  # every font embedded
    for old in out.glob("demo-briefing-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(out / "demo-briefing")], check=True)
    assert sorted(out.glob("demo-briefing-*.png"))


@pytest.mark.slow
@pytest.mark.nodb
def test_a_deadline_stays_on_one_line_in_the_briefings_table(tmp_path):
    """The 时限 column holds a date on one line (2026-12-26, not "2026-12-" over "26"), also where the .docx is opened
    with the wide fallback figures LibreOffice takes without the document's fonts (DejaVu Serif here)."""
    from duban.reports.briefing import AREA_COLUMNS, AREA_WIDTHS_MM

    require_tool(soffice_path() is not None, "libreoffice")
    require_tool(shutil.which("pdftotext") is not None, "poppler-utils")
    doc = GongwenDocument(LETTERHEAD)
    doc.table(AREA_COLUMNS, [(i, "加快专项债券和超长期特别国债项目建设", "市财政局", f"2026-12-{20 + i}", "已交办",
                              "暂无报送") for i in range(1, 6)], AREA_WIDTHS_MM, left=("事项", "最新进展"))
    (tmp_path / "t.docx").write_bytes(doc.save())
    subprocess.run([soffice_path(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "t.docx")],
                   check=True, capture_output=True, timeout=300)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert all(f"2026-12-{20 + i}" in text for i in range(1, 6)), text


@pytest.mark.slow
@pytest.mark.nodb
def test_the_signature_is_never_alone_on_a_page_after_a_table(tmp_path):
    """GB/T 9704: the 发文机关署名 and 成文日期 share a page with the text. A text that ends with a table (the
    briefing's ranking) of 15 to 44 rows: for each length, LibreOffice's PDF has the table's last row on the page
    of the signature. One row short of a full first page, the signature used to fall alone onto the next."""
    require_tool(soffice_path() is not None, "libreoffice")
    require_tool(shutil.which("pdftotext") is not None, "poppler-utils")
    day = dt.date(2026, 12, 6)
    lengths = range(15, 45)
    for n in lengths:
        doc = GongwenDocument(LETTERHEAD)
        doc.title("关于排名的通报")
        doc.para("正文。")
        doc.heading(1, "单位考评排名")
        doc.table(("名次", "单位"), [(i, f"第{i}号单位") for i in range(1, n + 1)], (20, 136))
        doc.signature(day)
        doc.record(day)
        (tmp_path / f"t{n}.docx").write_bytes(doc.save())
    subprocess.run([soffice_path(), f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), *(str(tmp_path / f"t{n}.docx") for n in lengths)],
                   check=True, capture_output=True, timeout=300)
    for n in lengths:
        pdf = str(tmp_path / f"t{n}.pdf")
        pages = re.split("\f", subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True,
                                               check=True).stdout)
        pages = [re.sub(r"\s+", "", page) for page in pages]
        # the 成文日期, not the 印发日期 of the 版记 after it
        signed = [page for page in pages if re.search(r"2026年12月6日(?!印发)", page)]
        assert len(signed) == 1, (n, pages)
        assert f"第{n}号单位" in signed[0], (n, signed[0])


# --- a document a leader signs: preview and issue, 主送, title lines, dates, file name ---------------------------

@pytest.mark.django_db
def test_a_preview_takes_no_number_and_says_it_is_a_draft(org, settings):
    """Looking at the briefing (预览) leaves no gap in the 发文登记: it is marked as a draft with its serial blank,
    and the first 正式生成 afterwards is still the year's first number; the issued one carries no draft mark."""
    settings.DUBAN_DOC_RED_HEADER = False
    meeting = many_areas(org, 1)
    for _ in range(2):
        texts = [p.text for p in Document(io.BytesIO(
            briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY))).paragraphs]
        assert texts[0].startswith("草稿") and "督查〔2024〕\u3000\u3000号" in texts
        assert not any(re.fullmatch(r"督查〔\d{4}〕\d+号", t) for t in texts)
    issued = [p.text for p in Document(io.BytesIO(
        briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True))).paragraphs]
    assert "督查〔2024〕1号" in issued and not any(t.startswith("草稿") for t in issued)
    # the 督查通报 of the same day takes the next number: the previews used none
    assert _number(circular_export(actor=org.supervisor, today=TODAY)) == "督查〔2024〕2号"


@pytest.mark.django_db
def test_the_briefing_has_a_main_addressee_and_dates_as_a_gongwen_writes_them(org, settings):
    """A 主送 line under the title and number, flush left with a full-width colon; the 时限 in the tables as
    2024年12月31日, never 2024-12-31."""
    settings.DUBAN_DOC_RED_HEADER = False
    meeting = many_areas(org, 1)
    doc = Document(io.BytesIO(briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True)))
    texts = [p.text for p in doc.paragraphs]
    assert texts[1:4] == ["督查〔2024〕1号", "", "各有关单位："]
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "2024年12月31日" in cells and not any(re.search(r"\d{4}-\d{2}-\d{2}", c) for c in cells)


@pytest.mark.parametrize("title, lines", [
    ("关于2026年12月18日县政府常务会议决定事项落实情况的通报",
     ["关于2026年12月18日县政府常务会议", "决定事项落实情况的通报"]),
    ("关于2020年南县人民政府第16次常务会议决定事项落实情况的通报",
     ["关于2020年南县人民政府第16次常务会议", "决定事项落实情况的通报"]),
    ("关于9月29日市委常委会会议决定事项落实情况的通报", ["关于9月29日市委常委会会议", "决定事项落实情况的通报"]),
    ("关于重点督办事项落实情况的督查通报", ["关于重点督办事项落实情况的督查通报"]),
])
def test_a_long_title_breaks_between_words_into_balanced_lines(title, lines):
    """GB/T 9704: a title of more than one line breaks where the words allow (never 落|实), lines balanced;
    each line fits the 20 characters of 2号 in the type area."""
    from duban.core.gongwen import title_lines

    assert title_lines(title) == lines


@pytest.mark.django_db
def test_the_file_names_the_meeting_and_its_number(org, client):
    """GET is the preview (named 草稿), POST 正式生成 takes the number and names it."""
    from urllib.parse import unquote

    meeting = many_areas(org, 1)
    client.force_login(org.supervisor)
    url = f"/reports/briefing/{meeting.pk}.docx"
    preview = client.get(url)
    assert preview.status_code == 200
    assert "市委常委会第12次会议-落实情况通报-草稿.docx" in unquote(preview.headers["Content-Disposition"])
    issued = client.post(url)
    assert issued.status_code == 200
    year = dt.date.today().year
    assert f"市委常委会第12次会议-落实情况通报-督查〔{year}〕1号.docx" in unquote(issued.headers["Content-Disposition"])


# --- how the documents name the office (公文设置) ----------------------------------------------------------------

@pytest.mark.django_db
def test_the_sysadmin_sets_the_issuer_on_screen_and_both_documents_use_it(org, client, settings):
    """Before anything is saved, the DUBAN_DOC_* settings stand; once the system administrator saves the county's
    names on 公文设置, the briefing and the 督查通报 are signed, numbered, addressed and copied with them, and the
    change is audited with old and new values."""
    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    settings.DUBAN_DOC_RED_HEADER = False
    settings.DUBAN_DOC_CC = ""
    meeting = many_areas(org, 1)
    client.force_login(org.sysadmin)
    page = client.get("/reports/document-settings/")
    assert page.status_code == 200 and 'value="市委督查室"' in page.content.decode()
    response = client.post("/reports/document-settings/", {
        "issuer": "南县人民政府督查室", "number_code": "南督查", "addressee": "各乡镇人民政府，县直各单位",
        "cc": "县委办公室，县政府办公室", "printed_by": "", "red_header": "on"})
    assert response.status_code == 302
    for data in (briefing_export(actor=org.supervisor, meeting_id=meeting.pk, today=TODAY, issue=True),
                 circular_export(actor=org.supervisor, today=TODAY)):
        texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
        assert texts[0] == "南县人民政府督查室文件"
        assert any(re.fullmatch(r"南督查〔2024〕\d号", t) for t in texts)
        assert "各乡镇人民政府，县直各单位：" in texts and "南县人民政府督查室" in texts
        assert "抄送：县委办公室，县政府办公室。" in texts and texts[-1] == "南县人民政府督查室\t2024年11月15日印发"
    event = AuditEvent.objects.get(event_type=EventType.DOCUMENT_SETTINGS_CHANGED)
    assert event.actor == org.sysadmin
    assert event.extra["old"]["issuer"] == "市委督查室" and event.extra["new"]["issuer"] == "南县人民政府督查室"


@pytest.mark.django_db
def test_the_followup_slips_are_signed_as_the_saved_settings_say(org):
    """The rule: 公文设置 names the issuer of every document the office sends, the 督办通知单 and the 催办单 as
    well as the briefing and the 督查通报; one saved record, one reading of it."""
    from duban.core.actions import document_settings_set

    document_settings_set(actor=org.sysadmin, values={"issuer": "南县人民政府督查室", "number_code": "南督查",
                                                      "addressee": "各乡镇人民政府"}, red_header=True)
    for data in (notice_docx(number="1", unit_name="县应急管理局", task_title="排查", task_text="排查燃气",
                             deadline=None, overdue_days=3, issued_on=TODAY),
                 urge_docx(number="2", unit_name="县应急管理局", task_title="排查", task_text="排查燃气",
                           deadline=None, reason="已超期", issued_on=TODAY)):
        texts = [p.text for p in Document(io.BytesIO(data)).paragraphs]
        assert texts[0] == "南县人民政府督查室文件"
        assert "市委督查室" not in "\n".join(texts)


@pytest.mark.django_db
def test_only_the_sysadmin_sets_the_issuer_and_bad_input_changes_nothing(org, client):
    from duban.core.models import DocumentSettings

    client.force_login(org.supervisor)
    assert client.get("/reports/document-settings/").status_code == 403
    assert client.post("/reports/document-settings/", {"issuer": "甲", "number_code": "甲",
                                                       "addressee": "乙"}).status_code == 403
    client.force_login(org.sysadmin)
    refused = client.post("/reports/document-settings/", {"issuer": "南县督查室", "number_code": "南督查〔2026〕",
                                                          "addressee": "各有关单位"})
    assert refused.status_code == 422 and "发文机关代字只填代字本身" in refused.content.decode()
    empty = client.post("/reports/document-settings/", {"issuer": " ", "number_code": "督查", "addressee": "各单位"})
    assert empty.status_code == 422 and "请填写发文机关" in empty.content.decode()
    assert not DocumentSettings.objects.exists()
