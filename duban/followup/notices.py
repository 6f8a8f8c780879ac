"""The 督办通知单 and the 催办单 (.docx in the GB/T 9704-2012 layout of ``duban.core.gongwen``). The 督办通知单 is
stored through ``duban.core.files`` under ``notices/`` — outside the web root, served only through a view that
checks the viewer may see the task."""

from __future__ import annotations

import datetime as dt

from duban.core.gongwen import GongwenDocument, Letterhead, chinese_date, quoted
from duban.core.selectors import letterhead as current_letterhead

REQUIREMENT = ("该事项已超过办理时限。请你单位接到本通知后，由主要负责同志亲自督促，加快办理进度，"
               "并于3个工作日内将办理情况、超期原因及下一步措施书面报送督查室。")
URGE_REQUIREMENT = "请你单位抓紧办理，按时限要求报送办理进展；确有困难的，请及时说明情况。"
NOTICE_CODE = "督办"
URGE_CODE = "催办"


def _deadline_text(deadline: dt.date | None) -> str:
    return chinese_date(deadline) if deadline else "未定"


def _slip(*, title: str, code: str, number: str, unit_name: str, task_title: str, task_text: str, source: str,
          facts: list[str], requirement: str, issued_on: dt.date, letterhead: Letterhead | None) -> bytes:
    doc = GongwenDocument(letterhead or current_letterhead())
    serial = f"{code}〔{issued_on.year}〕{int(number)}号"
    doc.red_header(serial)
    doc.title(title, number=serial)
    doc.addressee(unit_name or "有关单位")
    doc.para(f"{source + '确定的' if source else ''}{quoted(task_title)}事项由你单位牵头办理。" + "".join(facts))
    doc.heading(1, "督办事项")
    doc.para(task_text or task_title)
    doc.heading(1, "督办要求")
    doc.para(requirement)
    doc.signature(issued_on)
    doc.record(issued_on)
    return doc.save()


def notice_docx(*, number: str, unit_name: str, task_title: str, task_text: str, deadline: dt.date | None,
                overdue_days: int, issued_on: dt.date, source: str = "",
                letterhead: Letterhead | None = None) -> bytes:
    """督办通知单 for a task past its deadline."""
    return _slip(title="督办通知单", code=NOTICE_CODE, number=number, unit_name=unit_name, task_title=task_title,
                 task_text=task_text, source=source,
                 facts=[f"办理时限为{_deadline_text(deadline)}，截至{chinese_date(issued_on)}已超期{overdue_days}天。"],
                 requirement=REQUIREMENT, issued_on=issued_on, letterhead=letterhead)


def urge_docx(*, number: str, unit_name: str, task_title: str, task_text: str, deadline: dt.date | None,
              reason: str, issued_on: dt.date, source: str = "", letterhead: Letterhead | None = None) -> bytes:
    """催办单 for a task whose deadline or report is near or late (the blue or yellow light's reason)."""
    return _slip(title="催办单", code=URGE_CODE, number=number, unit_name=unit_name, task_title=task_title,
                 task_text=task_text, source=source,
                 facts=[f"办理时限为{_deadline_text(deadline)}。" + (f"{reason.rstrip('。')}。" if reason else "")],
                 requirement=URGE_REQUIREMENT, issued_on=issued_on, letterhead=letterhead)
