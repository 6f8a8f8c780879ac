"""Documents of the supervision office as .docx in the GB/T 9704-2012 layout (``duban.core.gongwen``) and,
through LibreOffice, .pdf: the briefing (通报) on a meeting's decisions for the next meeting, and the 督查通报 on
overdue items and the units' ranking for circulation.

Tables only where a table reads better: the items of each area (many short facts side by side) and the ranking;
the overdue items are sentences the leader reads out. The 事项 column takes most of the line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.utils import timezone

from duban.core.errors import InvalidInput
from duban.core.gongwen import FONTS_CONF, HEI, GongwenDocument, Letterhead, chinese_date, quoted
from duban.reports.selectors import BriefingData, CircularData, latest_progress

AREA_COLUMNS = ("序号", "事项", "牵头单位", "时限", "状态", "最新进展")
# 156 mm, the type area: 序号 and a date on one line, 事项 the most, then the latest progress (often long, wrapped
# anyway). 时限 takes 38 mm: "2026年12月26日" in 小四 is 31 mm, 36 with the space LibreOffice sets between Chinese
# and figures, plus the cell's margins
AREA_WIDTHS_MM = (11, 52, 20, 38, 15, 20)
RANKING_COLUMNS = ("名次", "单位", "办结数", "平均得分", "按时办结率", "逾期数")
RANKING_WIDTHS_MM = (14, 52, 20, 22, 26, 22)


def _deadline(task) -> str:
    """时限 in a table: 2024年10月31日 as everywhere in a 公文, or the communique's own words."""
    if task.deadline:
        return chinese_date(task.deadline)
    return task.deadline_text or "—"


def _deadline_words(task) -> str:
    """时限 in running text: 2024年10月31日, or the communique's own words."""
    if task.deadline:
        return chinese_date(task.deadline)
    return task.deadline_text or "未定"


DRAFT_MARK = "草稿（预览，未编号，不作正式发文）"


def _number(doc: GongwenDocument, year: int, serial: int | None) -> str:
    """The 发文字号, or for a preview (no serial) the 代字 and year with the serial left blank, as a draft on
    paper leaves it for the 发文登记 to fill in."""
    if serial is None:
        return f"{doc.letterhead.number_code}〔{year}〕\u3000\u3000号"
    return doc.letterhead.number(year, serial)


def _lead(task) -> str:
    return task.lead_unit.name if task.lead_unit else "未指定"


def _ranking_table(doc: GongwenDocument, ranking) -> None:
    if ranking:
        doc.table(RANKING_COLUMNS, [
            (r.rank, r.unit, r.closed, "—" if r.average_score is None else f"{r.average_score:.1f}",
             r.on_time_rate_label, r.overdue) for r in ranking], RANKING_WIDTHS_MM,
            left=("单位",))
    else:
        doc.para("暂无可排名的单位。")


def _overdue_items(doc: GongwenDocument, tasks) -> None:
    if tasks:
        for t in tasks:
            doc.heading(3, f"{t.title}（牵头单位：{_lead(t)}，时限：{_deadline_words(t)}，已逾期{t.days_overdue}天）")
        doc.para("请上述事项的牵头单位说明原因，明确整改措施和完成时间，限期办结。")
    else:
        doc.para("无逾期未办结事项。")


def _scope_words(scope: str) -> str:
    """A report taken for a subtree of units says so where it gives its totals (empty for the whole)."""
    return f"由{scope}及其所属单位牵头的" if scope else ""


def briefing_docx(data: BriefingData, *, serial: int | None, letterhead: Letterhead | None = None) -> bytes:
    """落实情况通报 on a meeting's decisions; ``serial``: its 发文字号 (``document_number_in_txn``), or None for a
    preview: marked as a draft at the top, the serial left blank."""
    doc = GongwenDocument(letterhead)
    meeting = data.meeting
    number = _number(doc, data.today.year, serial)
    if serial is None:
        doc.para(DRAFT_MARK, indent=False, font=HEI)
    doc.red_header(number)
    doc.title(data.title, number=number)
    doc.addressee(doc.letterhead.addressee)
    body = meeting.body or "会议"
    counted = (f"部署的决定事项中，{_scope_words(data.scope)}共{data.total}项" if data.scope
               else f"共部署决定事项{data.total}项")
    doc.para(f"{data.meeting_day}召开的{body}{counted}。截至{chinese_date(data.today)}，已办结{data.closed}项，"
             f"正在办理{data.in_progress}项，其中逾期未办结{data.overdue}项，办结率{data.completion_rate}%。现将落实情况通报如下。")
    doc.heading(1, "总体落实情况")
    labels: dict[str, str] = {}  # a status's label, translated once
    for area, tasks in data.areas:
        doc.heading(2, f"{area}（{len(tasks)}项）")
        doc.table(AREA_COLUMNS, [
            (i, t.title, _lead(t) if t.lead_unit else "", _deadline(t),
             labels.get(t.status) or labels.setdefault(t.status, str(t.get_status_display())),
             latest_progress(t)) for i, t in enumerate(tasks, start=1)], AREA_WIDTHS_MM,
            left=("事项", "最新进展"))
    if data.comments:
        doc.heading(1, "领导批示")
        _leader_comments(doc, data.comments)
    doc.heading(1, "逾期未办结事项")
    _overdue_items(doc, data.overdue_tasks)
    doc.heading(1, "单位考评排名")
    _ranking_table(doc, data.ranking)
    doc.signature(data.today)
    doc.record(data.today)
    return doc.save()


def _leader_comments(doc: GongwenDocument, commented) -> None:
    """Each item a leader commented on, then each 批示 as the leader wrote it: who, on which day, the text, and
    a deadline it set with what the office made of it."""
    for task, comments in commented:
        doc.heading(3, f"{task.title}（牵头单位：{_lead(task)}）")
        for c in comments:
            profile = getattr(c.author, "profile", None)
            who = str(profile) if profile is not None else c.author.get_username()
            when = chinese_date(timezone.localdate(c.created_at))
            deadline = (f"（批示时限：{chinese_date(c.proposed_deadline)}，{c.get_deadline_status_display()}）"
                        if c.proposed_deadline else "")
            doc.para(f"{who}{when}批示：{quoted(c.text)}{deadline}")


def circular_docx(data: CircularData, *, letterhead: Letterhead | None = None) -> bytes:
    """督查通报: the overdue items unit by unit and the ranking, for circulation to every unit."""
    doc = GongwenDocument(letterhead)
    number = doc.letterhead.number(data.today.year, data.serial)
    doc.red_header(number)
    doc.title("关于重点督办事项落实情况的督查通报", number=number)
    doc.addressee(doc.letterhead.addressee)
    doc.para(f"截至{chinese_date(data.today)}，{_scope_words(data.scope) or '纳入督办的'}事项共{data.total}项，"
             f"已办结{data.closed}项，逾期未办结{len(data.overdue_tasks)}项。现将逾期事项和各单位考评排名通报如下。")
    doc.heading(1, "逾期未办结事项")
    by_unit: dict[str, list] = {}
    for task in data.overdue_tasks:
        by_unit.setdefault(_lead(task), []).append(task)
    if not by_unit:
        doc.para("无逾期未办结事项。")
    for unit, tasks in by_unit.items():
        doc.heading(2, f"{unit}（{len(tasks)}项）")
        for t in tasks:
            doc.heading(3, f"{t.title}（时限：{_deadline_words(t)}，已逾期{t.days_overdue}天）")
    doc.heading(1, "单位考评排名")
    _ranking_table(doc, data.ranking)
    doc.heading(1, "有关要求")
    doc.para("各逾期单位要在3个工作日内书面说明原因，明确整改措施和完成时间；督查室将跟踪问效，"
             "对整改不力的予以通报问责。")
    doc.signature(data.today)
    doc.record(data.today)
    return doc.save()


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, *, timeout: int = 120) -> bytes:
    """Convert with ``soffice --headless --convert-to pdf`` in a private profile directory (two conversions at
    once would otherwise fight over the user's profile lock), with ``duban/core/fonts.conf`` mapping the fonts the
    document names to the free CJK fonts installed (fonts-noto-cjk), so a server without 方正小标宋 or 仿宋 still
    renders the layout in a serif CJK face rather than whatever fallback it finds first."""
    soffice = soffice_path()
    if soffice is None:
        raise InvalidInput("服务器未安装 LibreOffice，无法生成 PDF，请下载 Word 版本",
                           "LibreOffice is not installed; PDF is unavailable")
    with tempfile.TemporaryDirectory(prefix="duban-briefing-") as tmp:
        source = Path(tmp) / "briefing.docx"
        source.write_bytes(data)
        env = {**os.environ, "FONTCONFIG_FILE": str(FONTS_CONF)}
        try:
            subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                            "pdf", "--outdir", tmp, str(source)], check=True, capture_output=True, timeout=timeout,
                           env=env)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            raise InvalidInput("PDF 转换失败，请下载 Word 版本", "the PDF conversion failed") from None
        target = Path(tmp) / "briefing.pdf"
        if not target.exists():
            raise InvalidInput("PDF 转换失败，请下载 Word 版本", "the PDF conversion failed")
        return target.read_bytes()
