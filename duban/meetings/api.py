"""Meetings: list, read, import a communique (draft ledger), confirm."""

import datetime as dt

from ninja import Status, File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

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
    task_count: int = 0
    closed_count: int = 0


class MeetingImportIn(Schema):
    text: str
    year: int | None = None
    source_name: str = ""
    allow_duplicate: bool = False


@router.get("", response=list[MeetingOut], summary="会议列表 meetings")
@paginate(PageNumberPagination, page_size=100)
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


@router.post("/upload", response={201: MeetingOut}, summary="上传通报文件 import a .txt or .docx communique")
def meeting_upload(request, file: File[UploadedFile], year: Form[int | None] = None,
                   allow_duplicate: Form[bool] = False):
    data = file.read()
    extracted, text = actions.extract_upload(data=data, filename=file.name or "", year=year)
    meeting = actions.meeting_import(actor=request.user, extracted=extracted, source_text=text,
                                     source_name=file.name or "",
                                     allow_duplicate=allow_duplicate)
    return Status(201, _counted(request, meeting.pk))


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
