"""Importing a communique into a draft ledger and confirming it.

The extraction engine proposes; the supervision office disposes: an import makes a draft meeting whose tasks the
clerk edits, merges, splits or drops (``duban.tasks.actions``) before ``meeting_confirm`` assigns them all.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from duban import extraction
from duban.core import permissions as perms
from duban.core.audit import EventType, audit_log
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import Area, Unit
from duban.meetings.models import Meeting, MeetingStatus
from duban.tasks.actions import (check_deadline, task_assign_in_txn, task_create_in_txn, task_update_in_txn,
                                 title_from_text)
from duban.tasks.models import Task, TaskStatus


class DuplicateMeeting(Conflict):
    """The same text (by sha256) was imported before; the caller asks the user before importing it again."""

    code = "duplicate_meeting"

    def __init__(self, existing: Meeting):
        super().__init__(f"该通报已导入过（{existing.title}），确认要再建一个会议吗？",
                         f"this communique was imported before as meeting {existing.pk}; confirm to import it again",
                         details={"existing_meeting_id": existing.pk})
        self.existing = existing


def _units_list():
    path = getattr(settings, "DUBAN_UNITS_FILE", None)
    return extraction.load_units(path) if path else None


def extract_upload(*, data: bytes | None = None, filename: str = "", text: str | None = None,
                   year: int | None = None) -> tuple[dict, str]:
    """Run the extraction engine on pasted text or uploaded bytes; return its JSON-shaped result and the decoded
    text its offsets index. Engine errors become ``InvalidInput`` with the engine's bilingual message."""
    try:
        if text is not None:
            decoded = extraction.decoding.Decoded(extraction.normalise_newlines(text), "utf-8")
        else:
            suffix = Path(filename or "upload.txt").suffix.lower() or ".txt"
            if suffix not in (".txt", ".docx", ".text"):
                raise InvalidInput("只支持 .txt 和 .docx 文件", "only .txt and .docx files are accepted")
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / ("upload" + suffix)
                path.write_bytes(data or b"")
                decoded = extraction.read_path(path, max_bytes=settings.DUBAN_MAX_UPLOAD_BYTES)
        if not decoded.text.strip():
            raise extraction.ExtractionError("empty", "内容为空", "the text is empty")
        result = extraction.extract_text(decoded.text, year=year, units=_units_list(), encoding=decoded.encoding,
                                         document_date=decoded.document_date)
    except extraction.ExtractionError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en) from None
    return result.to_dict(), decoded.text


class MissingDeadlines(InvalidInput):
    """Some tasks to assign have no deadline (时限): they would never be reminded nor turn red. The caller lists
    them and asks once, or gives one deadline for all of them."""

    code = "missing_deadlines"

    def __init__(self, tasks: list[Task]):
        super().__init__(f"以下 {len(tasks)} 项未设办理时限：" + "；".join(f"{t.seq}. {t.title}" for t in tasks),
                         f"{len(tasks)} task(s) have no deadline", details={"task_ids": [t.pk for t in tasks]})
        self.tasks = tasks


def _meeting_title(found: dict) -> str:
    body = found.get("body") or "会议"
    date = found.get("date")
    if date and len(date) == 10:
        d = dt.date.fromisoformat(date)
        return f"{d.year}年{d.month}月{d.day}日{body}"
    if date:
        month, day = date.split("-")
        return f"{int(month)}月{int(day)}日{body}"
    return body


def _unit_index() -> dict[str, int]:
    index: dict[str, int] = {}
    for unit in Unit.objects.filter(is_active=True).only("id", "name", "short_name", "aliases"):
        for name in [unit.name, unit.short_name, *(unit.aliases or [])]:
            if name:
                index.setdefault(name, unit.pk)
    return index


@transaction.atomic(durable=True)
def meeting_import(*, actor, extracted: dict, source_text: str, source_name: str = "",
                   allow_duplicate: bool = False) -> Meeting:
    """Supervisors turn an extraction into a draft meeting with one draft task per directive. Importing a text
    already imported raises ``DuplicateMeeting`` unless ``allow_duplicate``. Events MEETING_IMPORTED and one
    TASK_CREATED per task; nobody is told until the ledger is confirmed."""
    if not perms.can_import_meeting(actor):
        raise PermissionDenied()
    source = extracted["source"]
    if not extracted.get("directives"):
        raise InvalidInput("文中没有找到部署事项", "no directive was found in the text")
    existing = Meeting.objects.filter(sha256=source["sha256"]).exclude(status=MeetingStatus.WITHDRAWN).first()
    if existing is not None and not allow_duplicate:
        raise DuplicateMeeting(existing)
    found = extracted["meeting"]
    date = found.get("date")
    meeting = Meeting.objects.create(
        title=_meeting_title(found), body=found.get("body") or "", date=dt.date.fromisoformat(date)
        if date and len(date) == 10 else None, date_text=date or "", presider=found.get("presider") or "",
        presider_title=found.get("presider_title") or "", reports_heard=found.get("reports_heard") or [],
        source_text=source_text, source_name=source_name[:255], sha256=source["sha256"],
        encoding=source.get("encoding") or "", extraction=extracted, created_by=actor)
    audit_log(actor=actor, event_type=EventType.MEETING_IMPORTED, meeting=meeting,
              extra={"sha256": meeting.sha256, "directives": len(extracted["directives"]),
                     "duplicate_of": existing.pk if existing else None})
    areas = {a.name: a.pk for a in Area.objects.all()}
    units = _unit_index()
    headings = extracted.get("headings") or []
    for seq, directive in enumerate(extracted["directives"], start=1):
        area_name = directive.get("area")
        if area_name and area_name not in areas:
            areas[area_name] = Area.objects.create(name=area_name, sort_order=len(areas) + 1).pk
        lead = next((u["name"] for u in directive.get("units") or [] if u.get("role") == "lead"), None)
        coops = [u["name"] for u in directive.get("units") or [] if u.get("role") != "lead"]
        deadline = directive.get("deadline") or {}
        heading_index = directive.get("heading")
        task_create_in_txn(
            actor=actor, meeting=meeting, seq=seq, title=title_from_text(directive["text"]),
            text=directive["text"], area_id=areas.get(area_name), lead_unit_id=units.get(lead) if lead else None,
            coop_unit_ids=[units[c] for c in coops if c in units],
            deadline=dt.date.fromisoformat(deadline["date"]) if deadline.get("date") else None,
            deadline_text=deadline.get("text") or "", source_start=directive["start"], source_end=directive["end"],
            heading=headings[heading_index]["text"] if heading_index is not None and heading_index < len(headings)
            else "")
    from duban.sources.actions import phrases_collect_in_txn  # here, not at the top: sources imports meetings

    phrases_collect_in_txn(meeting)
    return meeting


def _locked_meeting(actor, meeting_id: int) -> Meeting:
    if not perms.meetings_visible_to(actor).filter(pk=meeting_id).exists():
        raise NotFound()
    return Meeting.objects.select_for_update().get(pk=meeting_id)


@transaction.atomic(durable=True)
def meeting_confirm(*, actor, meeting_id: int, allow_missing_deadline: bool = True,
                    deadline_for_missing: dt.date | None = None) -> Meeting:
    """Supervisors confirm a reviewed draft: every draft task is assigned to its lead unit at once, or nothing
    is (a task without a lead unit stops the whole confirmation). ``deadline_for_missing`` first gives the drafts
    without a deadline that one (TASK_UPDATED each); with ``allow_missing_deadline`` false, drafts still without
    one stop the confirmation with ``MissingDeadlines`` (the web page asks once). Events MEETING_CONFIRMED and
    TASK_ASSIGNED per task; each lead unit is told."""
    meeting = _locked_meeting(actor, meeting_id)
    if not perms.can_edit_meeting(actor, meeting):
        raise PermissionDenied()
    if meeting.status == MeetingStatus.CONFIRMED:
        return meeting
    if meeting.status != MeetingStatus.DRAFT:
        raise Conflict("会议已撤销", "the meeting was withdrawn")
    drafts = list(Task.objects.select_for_update().filter(meeting=meeting, status=TaskStatus.DRAFT)
                  .order_by("seq", "id"))
    missing = [t for t in drafts if t.lead_unit_id is None]
    if missing:
        raise InvalidInput("以下事项未指定牵头单位：" + "；".join(f"{t.seq}. {t.title}" for t in missing),
                           f"{len(missing)} task(s) have no lead unit",
                           details={"task_ids": [t.pk for t in missing]})
    if not drafts:
        raise InvalidInput("没有可交办的事项", "there is no draft task to assign")
    if deadline_for_missing is not None:
        check_deadline(deadline_for_missing)
        drafts = [t if t.deadline is not None else task_update_in_txn(
            actor=actor, task=t, version=t.version, changes={"deadline": deadline_for_missing}) for t in drafts]
    no_deadline = [t for t in drafts if t.deadline is None]
    if no_deadline and not allow_missing_deadline:
        raise MissingDeadlines(no_deadline)
    for task in drafts:
        task_assign_in_txn(actor=actor, task=task)
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.CONFIRMED, confirmed_at=timezone.now(),
                                                 version=meeting.version + 1)
    meeting.refresh_from_db()
    audit_log(actor=actor, event_type=EventType.MEETING_CONFIRMED, meeting=meeting,
              extra={"assigned": len(drafts)})
    return meeting
