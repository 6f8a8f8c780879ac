"""Importing a communique into a draft ledger and confirming it.

The extraction engine proposes; the supervision office disposes: an import makes a draft meeting whose tasks the
clerk edits, merges, splits or drops (``duban.tasks.actions``) before ``meeting_confirm`` assigns them all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from duban import extraction
from duban.extraction.formats import NeedsOcr
from duban.core.audit import EventType, audit_log
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import Area, Unit
from duban.core.rules import check_text
from duban.core.txn import durable_action
from duban.meetings import permissions as perms
from duban.meetings import responsibility
from duban.meetings.models import Meeting, MeetingStatus, ResponsibilityVersion, ScanJob, ScanStatus
from duban.meetings.signals import meeting_imported
from duban.tasks.actions import (check_deadline, task_assign_in_txn, task_create_in_txn, task_update_in_txn,
                                 title_from_text)
from duban.tasks.models import Task, TaskStatus
from duban.tasks.report_due import report_due_refresh_in_txn
from duban.tasks.selectors import UnitsReach


class DuplicateMeeting(Conflict):
    """The same text (by sha256) was imported before; the caller asks the user before importing it again."""

    code = "duplicate_meeting"

    def __init__(self, existing: Meeting):
        super().__init__(f"该通报已导入过（{existing.title}），确认要再建一个会议吗？",
                         f"this communique was imported before as meeting {existing.pk}; confirm to import it again",
                         details={"existing_meeting_id": existing.pk})
        self.existing = existing


def _units_list():
    """The responsibility list in force: the newest saved version, else the seed TOML (``DUBAN_UNITS_FILE`` or,
    with None, the engine's packaged default)."""
    from duban.meetings.selectors import responsibility_in_force

    version_id, entries = responsibility_in_force()
    if version_id is not None:
        return responsibility.unit_list(entries, version_id)
    path = getattr(settings, "DUBAN_UNITS_FILE", None)
    return extraction.load_units(path) if path else None


def extract_upload(*, data: bytes | None = None, filename: str = "", text: str | None = None,
                   year: int | None = None, ocr: bool = False) -> tuple[dict, str]:
    """Run the extraction engine on pasted text or uploaded bytes; return its JSON-shaped result and the decoded
    text its offsets index. Engine errors become ``InvalidInput`` with the engine's bilingual message."""
    try:
        if text is not None:
            decoded = extraction.decoding.Decoded(extraction.normalise_newlines(text), "utf-8")
        else:
            suffix = Path(filename or "upload.txt").suffix.lower() or ".txt"
            if suffix not in UPLOAD_SUFFIXES:
                raise InvalidInput("只支持 " + "、".join(UPLOAD_SUFFIXES[1:]) + " 文件",
                                   "accepted files: " + ", ".join(UPLOAD_SUFFIXES[1:]))
            if len(data or b"") > settings.DUBAN_MAX_UPLOAD_BYTES:
                raise InvalidInput("文件过大", "the file is too large")
            # Without ``ocr`` (a web request) a scan raises ``NeedsOcr``: the caller queues it for the worker
            # (``scan_job_create``); the command line recognises it on the spot.
            decoded = extraction.decoding.decode_document(data or b"", suffix=suffix, ocr=ocr, limits=scan_limits())
        if not decoded.text.strip():
            raise extraction.ExtractionError("empty", "内容为空", "the text is empty")
        result = extraction.extract_text(decoded.text, year=year, units=_units_list(), encoding=decoded.encoding,
                                         document_date=decoded.document_date)
    except NeedsOcr:
        raise
    except extraction.ExtractionError as exc:
        raise InvalidInput(exc.message_zh, exc.message_en) from None
    found = result.to_dict()  # the extraction's documented shape, and the session number the app names it by
    found["meeting"]["session"] = result.meeting.session
    return found, decoded.text


def undated_note(extracted: dict) -> tuple[str, str] | None:
    """(Chinese, English) note when the meeting's year is unknown: the date as found and the relative deadlines
    that could not be dated; None when the year is known."""
    date = (extracted.get("meeting") or {}).get("date") or ""
    if len(date) == 10:
        return None
    undated = [d["deadline"]["text"] for d in extracted.get("directives") or []
               if d.get("deadline") and not d["deadline"].get("date")]
    found = f"（原文日期 {date}）" if date else "（原文未写日期）"
    zh = f"通报未写会议年份{found}，"
    en = f"the communique gives no year for the meeting{f' (date {date})' if date else ''}; "
    if undated:
        zh += f"以下 {len(undated)} 项期限无法推算日期：" + "、".join(undated) + "；不填年份则这些时限暂不推算"
        en += (f"{len(undated)} deadline(s) could not be dated: " + ", ".join(undated)
               + "; without a year they stay undated")
    else:
        zh += "文中时限无需按年份推算，不填年份只影响会议日期"
        en += "no deadline in the text depends on it; without one only the meeting's date lacks its year"
    return zh, en


# What an upload may be: text and Word files, PDF and OFD, and scans or photos (recognised in the worker).
UPLOAD_SUFFIXES = (".text", ".txt", ".docx", ".doc", ".wps", ".rtf", ".pdf", ".ofd", ".png", ".jpg", ".jpeg", ".tif",
                   ".tiff")


class MissingDeadlines(InvalidInput):
    """Some tasks to assign have no deadline (时限): they would never be reminded nor turn red. The caller lists
    them and asks once, or gives one deadline for all of them."""

    code = "missing_deadlines"

    def __init__(self, tasks: list[Task]):
        super().__init__(f"以下 {len(tasks)} 项未设办理时限：" + "；".join(f"{t.seq}. {t.title}" for t in tasks),
                         f"{len(tasks)} task(s) have no deadline", details={"task_ids": [t.pk for t in tasks]})
        self.tasks = tasks


def _with_session(body: str, session: str | None) -> str:
    """The meeting's kind with its session number back in its place: 县政府常务会议 + 第16次 → 县政府第16次常务会议,
    市委常委会会议 → 市委常委会第5次会议, 指挥部会议 → 指挥部第一次会议."""
    if not session or session in body:
        return body
    if "政府" in body:
        at = body.rindex("政府") + 2
        return body[:at] + session + body[at:]
    for tail in ("会议", "会"):
        if body.endswith(tail):
            return body[:-len(tail)] + session + tail
    return body + session


def _meeting_title(found: dict) -> str:
    body = _with_session(found.get("body") or "会议", found.get("session"))
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
    for unit in Unit.objects.filter(is_active=True, is_group=False).only("id", "name", "short_name", "aliases"):
        for name in [unit.name, unit.short_name, *(unit.aliases or [])]:
            if name:
                index.setdefault(name, unit.pk)
    return index


@durable_action
def meeting_import(*, actor, extracted: dict, source_text: str, source_name: str = "",
                   allow_duplicate: bool = False) -> Meeting:
    """``meeting_import_in_txn`` as its own transaction."""
    return meeting_import_in_txn(actor=actor, extracted=extracted, source_text=source_text, source_name=source_name,
                                 allow_duplicate=allow_duplicate)


def meeting_import_in_txn(*, actor, extracted: dict, source_text: str, source_name: str = "",
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
    # The office's list of areas (系统管理 › 工作领域) is the one in force: an area the extraction names that is not
    # an active one there (retired, renamed, or never kept) leaves the task 未分类 for the clerk to choose.
    areas = dict(Area.objects.filter(is_active=True).values_list("name", "pk"))
    units = _unit_index()
    headings = extracted.get("headings") or []
    for seq, directive in enumerate(extracted["directives"], start=1):
        area_name = directive.get("area")
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
    meeting_imported.send(sender=Meeting, meeting=meeting)  # the phrases index (sources)
    return meeting


@durable_action
def meeting_date_set(*, actor, meeting_id: int, date: dt.date, version: int) -> Meeting:
    """Supervisors set or correct a draft meeting's date (until 交办; the tasks' clocks run from it afterwards).
    The relative deadlines its tasks state ("国庆前", "年底") are dated again from the new date, except those a
    person changed by hand. Event MEETING_DATE_CHANGED; nobody is told (a draft has no assignees yet)."""
    meeting = _locked_meeting(actor, meeting_id)
    if not perms.can_edit_meeting(actor, meeting):
        raise PermissionDenied()
    if meeting.status != MeetingStatus.DRAFT:
        raise Conflict("会议已确认交办，会议日期不能再修改", "the meeting was confirmed; its date can no longer change")
    if not dt.date(1990, 1, 1) <= date <= dt.date(2100, 12, 31):
        raise InvalidInput("会议日期不在合理范围内", "the meeting date is out of range")
    old = meeting.date
    if old == date:
        return meeting
    calendar = extraction.default_calendar()
    redated: dict[int, dt.date | None] = {}
    for task in Task.objects.select_for_update().filter(meeting=meeting, status=TaskStatus.DRAFT).exclude(
            deadline_text="").only("id", "deadline", "deadline_text"):
        # A deadline that is still the one the text's words gave (or none, for want of a year) follows the new
        # date; one a person set by hand is theirs.
        was = extraction.resolve_deadline(task.deadline_text, old, calendar) if old else None
        if task.deadline is None or task.deadline == was:
            new = extraction.resolve_deadline(task.deadline_text, date, calendar)
            if new != task.deadline:
                redated[task.pk] = new
    # A name still the one made from the facts follows the new date; one the clerk wrote stays theirs.
    session = (meeting.extraction.get("meeting") or {}).get("session")
    made = _meeting_title({"body": meeting.body, "session": session, "date": meeting.date.isoformat()
                           if meeting.date else meeting.date_text})
    title = (_meeting_title({"body": meeting.body, "session": session, "date": date.isoformat()})
             if meeting.title == made else meeting.title)
    updated = Meeting.objects.filter(pk=meeting.pk, version=version).update(
        date=date, date_text=date.isoformat(), title=title, version=version + 1)
    if not updated:
        raise Conflict("会议已被他人修改，请刷新后重试", "the meeting was changed by someone else; reload and retry")
    for task_id, new in redated.items():
        Task.objects.filter(pk=task_id).update(deadline=new, version=F("version") + 1)
    report_due_refresh_in_txn(redated)
    meeting.refresh_from_db()
    audit_log(actor=actor, event_type=EventType.MEETING_DATE_CHANGED, meeting=meeting,
              extra={"old": old.isoformat() if old else meeting.extraction.get("meeting", {}).get("date"),
                     "new": date.isoformat(), "redated": sorted(redated)})
    return meeting


@durable_action
def meeting_task_add(*, actor, meeting_id: int, text: str, title: str = "", source_start: int | None = None,
                     source_end: int | None = None) -> Task:
    """Supervisors add to a draft meeting a 部署 the extraction missed (新增事项): a draft task of the meeting
    like an extracted one, numbered after its last row, assigned with the others by 确认交办. Its span in the
    communique is the one given (a selection of the source text) when it holds exactly the text, else the text's
    only occurrence in the communique, else none. The name is made from the text when none is given. Event
    TASK_CREATED (``extra.added`` true); nobody is told (a draft reaches no unit)."""
    meeting = _locked_meeting(actor, meeting_id)
    if not perms.can_edit_meeting(actor, meeting):
        raise PermissionDenied()
    if meeting.status != MeetingStatus.DRAFT:
        raise Conflict("会议已确认交办或已撤销，不能再新增事项",
                       "the meeting was confirmed or withdrawn; no task can be added to it")
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写事项内容，或在通报原文中选中一段", "the task's text is required")
    source = meeting.source_text
    if not (source_start is not None and source_end is not None and 0 <= source_start < source_end <= len(source)
            and source[source_start:source_end].strip() == text):
        found = source.find(text)
        source_start, source_end = ((found, found + len(text)) if found >= 0 and source.find(text, found + 1) < 0
                                    else (None, None))
    elif source[source_start:source_end] != text:  # the selection's own blanks around the text are not the task's
        source_start += source[source_start:source_end].index(text)
        source_end = source_start + len(text)
    last = Task.objects.filter(meeting=meeting).order_by("-seq").values_list("seq", flat=True).first() or 0
    return task_create_in_txn(actor=actor, meeting=meeting, seq=last + 1, title=(title or "").strip()
                              or title_from_text(text), text=text, source_start=source_start, source_end=source_end,
                              extra={"added": True})


MEETING_FACTS = {"title": ("会议名称", "meeting name", 200), "body": ("会议类型", "meeting type", 100),
                 "presider": ("主持人", "presider", 50), "presider_title": ("主持人职务", "presider's title", 50)}


@durable_action
def meeting_facts_set(*, actor, meeting_id: int, version: int, changes: dict) -> Meeting:
    """Supervisors correct what the extraction read of a meeting: its name (会议名称, which the 通报 and the
    ledger carry), type (会议类型), presider and the presider's title; a draft or a confirmed meeting alike (not a
    withdrawn one). The name is required. Event MEETING_UPDATED with the old and new values; nobody is told."""
    meeting = _locked_meeting(actor, meeting_id)
    if not perms.can_edit_meeting(actor, meeting):
        raise PermissionDenied()
    if meeting.status == MeetingStatus.WITHDRAWN:
        raise Conflict("会议已撤销", "the meeting was withdrawn")
    if meeting.version != version:
        raise Conflict("会议已被他人修改，请刷新后重试", "the meeting was changed by someone else; reload and retry")
    new = {}
    for field, value in changes.items():
        if field not in MEETING_FACTS:
            raise InvalidInput("不能修改该项", f"{field} cannot be changed here")
        zh, en, limit = MEETING_FACTS[field]
        new[field] = check_text((value or "").strip(), label_zh=zh, label_en=en, max_length=limit, single_line=True)
    if "title" in new and not new["title"]:
        raise InvalidInput("会议名称不能为空", "the meeting name must not be empty")
    new = {k: v for k, v in new.items() if v != getattr(meeting, k)}
    if not new:
        return meeting
    old = {k: getattr(meeting, k) for k in new}
    Meeting.objects.filter(pk=meeting.pk, version=version).update(version=version + 1, **new)
    meeting.refresh_from_db()
    audit_log(actor=actor, event_type=EventType.MEETING_UPDATED, meeting=meeting, extra={"old": old, "new": new})
    return meeting


def _locked_meeting(actor, meeting_id: int) -> Meeting:
    if not perms.meetings_visible_to(actor).filter(pk=meeting_id).exists():
        raise NotFound()
    return Meeting.objects.select_for_update().get(pk=meeting_id)


@durable_action
def meeting_confirm(*, actor, meeting_id: int, allow_missing_deadline: bool = True,
                    deadline_for_missing: dt.date | None = None) -> Meeting:
    """Supervisors confirm a reviewed draft: every draft task is assigned to its lead unit at once, or nothing
    is (a task without a lead unit stops the whole confirmation). ``deadline_for_missing`` first gives the drafts
    without a deadline that one (TASK_UPDATED each); with ``allow_missing_deadline`` false, drafts still without
    one stop the confirmation with ``MissingDeadlines`` (the web page asks once). Events MEETING_CONFIRMED and
    TASK_ASSIGNED per task; each lead unit is told. ``reach`` on the result says whom the notices reached
    (``UnitsReach``); None when the meeting had been confirmed already (nobody was told again)."""
    meeting = _locked_meeting(actor, meeting_id)
    if not perms.can_edit_meeting(actor, meeting):
        raise PermissionDenied()
    if meeting.status == MeetingStatus.CONFIRMED:
        meeting.reach = None
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
    reach = UnitsReach.of(task_assign_in_txn(actor=actor, task=task).reach for task in drafts)
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.CONFIRMED, confirmed_at=timezone.now(),
                                                 version=meeting.version + 1)
    meeting.refresh_from_db()
    audit_log(actor=actor, event_type=EventType.MEETING_CONFIRMED, meeting=meeting,
              extra={"assigned": len(drafts)})
    meeting.reach = reach
    return meeting


@durable_action
def meeting_withdraw(*, actor, meeting_id: int, reason: str) -> Meeting:
    """Supervisors withdraw a draft meeting (a wrong file, a duplicate import) with its draft tasks; nothing is
    deleted. A confirmed meeting's tasks are withdrawn one by one instead, since units already hold them. Events
    TASK_WITHDRAWN per draft task and MEETING_WITHDRAWN; nobody is told (drafts reached no unit)."""
    meeting = _locked_meeting(actor, meeting_id)
    if not perms.can_edit_meeting(actor, meeting):
        raise PermissionDenied()
    if meeting.status == MeetingStatus.WITHDRAWN:
        return meeting
    if meeting.status != MeetingStatus.DRAFT:
        raise Conflict("已确认交办的会议不能整体撤销，请逐项撤销事项",
                       "a confirmed meeting is not withdrawn as a whole; withdraw its tasks one by one")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写撤销理由", "a reason is required")
    drafts = list(Task.objects.select_for_update().filter(meeting=meeting, status=TaskStatus.DRAFT)
                  .order_by("seq", "id"))
    for task in drafts:
        Task.objects.filter(pk=task.pk).update(status=TaskStatus.WITHDRAWN, version=F("version") + 1,
                                               updated_at=timezone.now())
        audit_log(actor=actor, event_type=EventType.TASK_WITHDRAWN, task=task, meeting=meeting,
                  extra={"reason": reason, "old_status": TaskStatus.DRAFT})
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.WITHDRAWN, version=meeting.version + 1)
    meeting.refresh_from_db()
    audit_log(actor=actor, event_type=EventType.MEETING_WITHDRAWN, meeting=meeting,
              extra={"reason": reason, "tasks_withdrawn": len(drafts)})
    return meeting


# --- scans and photos: text recognition in the worker, checked by the clerk -------------------------------------

def scan_job_create_in_txn(*, actor, data: bytes, filename: str, kind: str, year: int | None) -> ScanJob:
    if not perms.can_import_meeting(actor):
        raise PermissionDenied()
    job = ScanJob.objects.create(filename=(filename or "scan")[:255], data=data, kind=kind, year=year,
                                 created_by=actor)
    audit_log(actor=actor, event_type=EventType.SCAN_QUEUED, extra={"scan_job_id": job.pk, "filename": job.filename,
                                                                      "bytes": len(data)})
    return job


@durable_action
def scan_job_create(*, actor, data: bytes, filename: str, kind: str, year: int | None = None) -> ScanJob:
    """Supervisors hand a scan or photo to the worker for text recognition. Event SCAN_QUEUED."""
    return scan_job_create_in_txn(actor=actor, data=data, filename=filename, kind=kind, year=year)


def _locked_scan(actor, job_id: int) -> ScanJob:
    """Scans are the office's (who may import): anyone else, like a missing id, gets ``NotFound``."""
    if not perms.can_import_meeting(actor):
        raise NotFound()
    job = ScanJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


@durable_action
def scan_job_cancel(*, actor, job_id: int) -> ScanJob:
    """Stop a queued or running recognition (the worker checks between pages). Event SCAN_CANCELLED."""
    job = _locked_scan(actor, job_id)
    if job.status in (ScanStatus.CANCELLED, ScanStatus.IMPORTED):
        return job
    ScanJob.objects.filter(pk=job.pk).update(status=ScanStatus.CANCELLED, finished_at=timezone.now(),
                                             version=F("version") + 1)
    audit_log(actor=actor, event_type=EventType.SCAN_CANCELLED, extra={"scan_job_id": job.pk,
                                                                       "old_status": job.status})
    job.refresh_from_db()
    return job


@durable_action
def scan_job_import(*, actor, job_id: int, text: str, year: int | None = None, allow_duplicate: bool = False
                    ) -> Meeting:
    """The clerk's checked text of a recognised scan becomes a draft meeting, in the same transaction that marks
    the scan imported. Events MEETING_IMPORTED (with its tasks) and SCAN_IMPORTED."""
    job = _locked_scan(actor, job_id)
    if job.status == ScanStatus.IMPORTED:
        raise Conflict("该扫描件已导入", "this scan was imported already")
    if job.status != ScanStatus.DONE:
        raise Conflict("文字识别尚未完成", "text recognition has not finished")
    extracted, source_text = extract_upload(text=text, year=year or job.year)
    meeting = meeting_import_in_txn(actor=actor, extracted=extracted, source_text=source_text,
                                    source_name=job.filename, allow_duplicate=allow_duplicate)
    ScanJob.objects.filter(pk=job.pk).update(status=ScanStatus.IMPORTED, meeting=meeting, version=F("version") + 1)
    audit_log(actor=actor, event_type=EventType.SCAN_IMPORTED, meeting=meeting,
              extra={"scan_job_id": job.pk, "edited": source_text != job.text})
    return meeting


SCAN_STALE_AFTER = dt.timedelta(minutes=30)


def _scan_progress(job_id: int, done: int) -> None:
    """Record pages done; a cancelled job stops the recognition between pages."""
    with transaction.atomic():
        if ScanJob.objects.filter(pk=job_id, status=ScanStatus.CANCELLED).exists():
            raise _Cancelled()
        ScanJob.objects.filter(pk=job_id).update(pages_done=done)


class _Cancelled(Exception):
    pass


def scan_jobs_run(*, limit: int = 1) -> int:
    """The worker's step: recognise the oldest queued scans (``limit`` a pass, so reminders are not held up long).
    A job is claimed with a status-guarded update, so two workers never run the same one. Each page's progress is
    committed as it is done; the result and its audit row are one transaction. Events SCAN_RECOGNISED or
    SCAN_FAILED (as the system actor)."""
    from duban.core.audit import system_actor
    from duban.extraction import formats

    done = 0
    # A job still running long after it started lost its worker (killed, restarted): it is taken up again.
    stale = Q(status=ScanStatus.RUNNING, started_at__lt=timezone.now() - SCAN_STALE_AFTER)
    waiting = Q(status=ScanStatus.QUEUED) | stale
    for job_id in ScanJob.objects.filter(waiting).order_by("id").values_list("pk", flat=True)[:limit]:
        claimed = ScanJob.objects.filter(Q(pk=job_id) & waiting).update(
            status=ScanStatus.RUNNING, started_at=timezone.now(), pages_done=0, version=F("version") + 1)
        if not claimed:
            continue
        job = ScanJob.objects.get(pk=job_id)
        limits = scan_limits()
        try:
            data = bytes(job.data)
            if job.kind == formats.PDF:
                from duban.extraction.formats.pdf import page_count, render_pages

                pages = render_pages(data, limits)
                total = page_count(data)
            else:
                from duban.extraction.formats.ocr import open_image

                pages = [open_image(data, limits)]
                total = 1
            ScanJob.objects.filter(pk=job_id).update(pages_total=total)
            from duban.extraction.formats.ocr import recognise

            text = recognise(pages, progress=lambda n, job_id=job_id: _scan_progress(job_id, n))
            outcome, error = ScanStatus.DONE, ""
        except _Cancelled:
            continue
        except extraction.ExtractionError as exc:
            text, outcome, error = "", ScanStatus.FAILED, exc.one_line()[:500]
        with transaction.atomic(durable=True):
            changed = ScanJob.objects.filter(pk=job_id, status=ScanStatus.RUNNING).update(
                status=outcome, text=normalise_text(text), error=error, finished_at=timezone.now(),
                version=F("version") + 1)
            if changed:
                audit_log(actor=system_actor(), event_type=EventType.SCAN_RECOGNISED if outcome == ScanStatus.DONE
                          else EventType.SCAN_FAILED, extra={"scan_job_id": job_id, "chars": len(text),
                                                            "error": error})
        done += 1
    return done


def normalise_text(text: str) -> str:
    return extraction.normalise_newlines(text or "")


def scan_limits():
    """The document limits in force (settings), for readers and the worker alike."""
    from duban.extraction.formats import Limits

    return Limits(max_pages=settings.DUBAN_MAX_DOCUMENT_PAGES, max_pixels=settings.DUBAN_MAX_IMAGE_PIXELS,
                  max_unpacked_bytes=settings.DUBAN_ZIP_MAX_UNPACKED_BYTES, max_members=settings.DUBAN_ZIP_MAX_MEMBERS,
                  convert_seconds=settings.DUBAN_CONVERT_SECONDS)


# --- the responsibility list (职责清单) ---------------------------------------------------------------------------

@durable_action
def responsibility_save(*, actor, entries: list[dict], base_version: int | None, note: str = "",
                        imported_from: str = "") -> ResponsibilityVersion:
    """The office saves a new version of the responsibility list (edited on the page, or imported from a TOML
    file: ``imported_from`` names it). ``base_version`` is the version the editor started from (None: the seed);
    a newer one saved meanwhile is a ``Conflict``. Extraction uses the new version from the next import on.
    Event RESPONSIBILITY_LIST_CHANGED (``extra.changed`` lists the units added, removed or edited)."""
    from duban.meetings.selectors import responsibility_in_force

    if not perms.can_import_meeting(actor):
        raise PermissionDenied()
    entries = responsibility.clean_entries(entries)
    responsibility.unit_list(entries)  # the engine must accept it, or nothing is saved
    current_id, current = responsibility_in_force()
    if current_id != base_version:
        raise Conflict("职责清单已被他人修改，请刷新后重试", "the list was changed by someone else; reload")
    before = {e["name"]: e for e in current}
    after = {e["name"]: e for e in entries}
    changed = {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
               "edited": sorted(n for n in set(after) & set(before) if after[n] != before[n])}
    if not any(changed.values()) and entries == current:
        raise InvalidInput("没有改动", "nothing changed")
    row = ResponsibilityVersion.objects.create(entries=entries, note=note.strip()[:200], created_by=actor)
    audit_log(actor=actor, event_type=EventType.RESPONSIBILITY_LIST_CHANGED,
              extra={"version": row.pk, "base_version": base_version, "changed": changed, "units": len(entries),
                     "imported_from": imported_from[:255], "note": row.note})
    return row


@durable_action
def responsibility_export(*, actor) -> str:
    """Anyone of the office takes the list out as TOML (the seed and exchange format); audited as data leaving
    the system. Event RESPONSIBILITY_LIST_EXPORTED."""
    from duban.meetings.selectors import responsibility_in_force

    if not perms.is_office(actor):
        raise PermissionDenied()
    version_id, entries = responsibility_in_force()
    audit_log(actor=actor, event_type=EventType.RESPONSIBILITY_LIST_EXPORTED,
              extra={"version": version_id, "units": len(entries)})
    return responsibility.entries_to_toml(entries)
