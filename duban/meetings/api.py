"""Meetings: list, read, import a communique (draft ledger), confirm."""

import datetime as dt

from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from duban.core.params import BoundedPagination
from duban.extraction.formats import NeedsOcr
from duban.meetings import actions, selectors

router = Router()


class MeetingOut(Schema):
    id: int
    title: str
    body: str
    date: dt.date | None
    date_text: str
    presider: str
    presider_title: str
    reports_heard: list[str]
    sha256: str
    status: str
    task_count: int = 0  # its items (决定事项) the caller sees; sub-tasks are not more items
    closed_count: int = 0
    subtask_count: int = 0  # the sub-tasks (分解下达) under them the caller sees


class MeetingImportIn(Schema):
    text: str
    year: int | None = None
    source_name: str = ""
    allow_duplicate: bool = False


@router.get("", response=list[MeetingOut], summary="会议列表 meetings")
@paginate(BoundedPagination, page_size=100)
def meeting_list(request):
    return selectors.meeting_list(viewer=request.user)


@router.get("/{int:meeting_id}", response=MeetingOut, summary="会议 a meeting")
def meeting_get(request, meeting_id: int):
    return _counted(request, meeting_id)


def _counted(request, meeting_id: int):
    """The meeting as the viewer sees it, with its task counts (what the list shows)."""
    return selectors.meeting_counted_get(viewer=request.user, meeting_id=meeting_id)


@router.post("", response={201: MeetingOut}, summary="导入通报文本 import a communique as text")
def meeting_import(request, payload: MeetingImportIn):
    extracted, text = actions.extract_upload(text=payload.text, year=payload.year)
    meeting = actions.meeting_import(actor=request.user, extracted=extracted, source_text=text,
                                     source_name=payload.source_name, allow_duplicate=payload.allow_duplicate)
    return Status(201, _counted(request, meeting.pk))


class ScanOut(Schema):
    id: int
    filename: str
    status: str = Field(description="queued / running / done (text ready to check) / failed / cancelled / imported")
    pages_total: int
    pages_done: int
    text: str
    error: str
    meeting_id: int | None
    year: int | None


class ScanImportIn(Schema):
    text: str
    year: int | None = None
    allow_duplicate: bool = False


@router.post("/upload", response={201: MeetingOut, 202: ScanOut},
             summary="上传通报文件 import a communique file (.txt .docx .doc .wps .rtf .pdf .ofd, or a scan)",
             description="A scan or photo (an image, or a PDF without a text layer) is queued for text recognition "
                         "in the worker: the answer is 202 with the scan job; poll it, then import its checked "
                         "text with POST /meetings/scans/{job_id}/import.")
def meeting_upload(request, file: File[UploadedFile], year: Form[int | None] = None,
                   allow_duplicate: Form[bool] = False):
    data = file.read()
    try:
        extracted, text = actions.extract_upload(data=data, filename=file.name or "", year=year)
    except NeedsOcr as scan:
        job = actions.scan_job_create(actor=request.user, data=data, filename=file.name or "", kind=scan.kind,
                                      year=year)
        return Status(202, selectors.scan_get(viewer=request.user, job_id=job.pk))
    meeting = actions.meeting_import(actor=request.user, extracted=extracted, source_text=text,
                                     source_name=file.name or "",
                                     allow_duplicate=allow_duplicate)
    return Status(201, _counted(request, meeting.pk))


@router.get("/scans/{int:job_id}", response=ScanOut, summary="扫描件识别进度与结果 a scan's recognition")
def scan_get(request, job_id: int):
    return selectors.scan_get(viewer=request.user, job_id=job_id)


@router.post("/scans/{int:job_id}/import", response={201: MeetingOut},
             summary="导入校对后的识别文字 import a scan's checked text")
def scan_import(request, job_id: int, payload: ScanImportIn):
    meeting = actions.scan_job_import(actor=request.user, job_id=job_id, text=payload.text, year=payload.year,
                                      allow_duplicate=payload.allow_duplicate)
    return Status(201, _counted(request, meeting.pk))


@router.post("/scans/{int:job_id}/cancel", response=ScanOut, summary="取消识别 cancel a scan's recognition")
def scan_cancel(request, job_id: int):
    actions.scan_job_cancel(actor=request.user, job_id=job_id)
    return selectors.scan_get(viewer=request.user, job_id=job_id)


@router.post("/{int:meeting_id}/confirm", response=MeetingOut, summary="确认并交办 confirm and assign all tasks")
def meeting_confirm(request, meeting_id: int):
    actions.meeting_confirm(actor=request.user, meeting_id=meeting_id)
    return _counted(request, meeting_id)


class WithdrawIn(Schema):
    reason: str


@router.post("/{int:meeting_id}/withdraw", response=MeetingOut, summary="撤销导入 withdraw a draft meeting")
def meeting_withdraw(request, meeting_id: int, payload: WithdrawIn):
    actions.meeting_withdraw(actor=request.user, meeting_id=meeting_id, reason=payload.reason)
    return _counted(request, meeting_id)
