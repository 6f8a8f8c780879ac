"""Follow-up over JSON (mounted at /api/v1): lights, reminders, extension requests, completion requests with
evidence, and the delivery log. Handlers call the same selectors and actions as the pages."""


import datetime as dt
from typing import Literal

from django.http import FileResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from duban.core.errors import PermissionDenied
from duban.core.files import file_response
from duban.core.params import BoundedPagination, Day, Id
from duban.followup import actions, selectors
from duban.followup.permissions import can_manage_deliveries, can_see_undelivered
from duban.tasks import actions as task_actions

router = Router()
LightCode = Literal["red", "yellow", "blue", "green", "nodeadline"]


class LightOut(Schema):
    task_id: int
    title: str
    lead_unit: str | None
    deadline: dt.date | None
    status: str
    code: str
    label: str
    reason: str
    due_date: dt.date | None
    overdue_days: int


def _light_out(task, light) -> dict:
    return {"task_id": task.pk, "title": task.title, "lead_unit": task.lead_unit.name if task.lead_unit_id else None,
            "deadline": task.deadline, "status": task.status, "code": light.code, "label": light.label,
            "reason": light.reason, "due_date": light.due_date, "overdue_days": light.overdue_days}


@router.get("/tasks/{task_id}/light", response=LightOut, summary="事项的督办灯 the light of a task")
def task_light(request, task_id: Id, today: Day | None = None):
    task, light = selectors.task_light_get(viewer=request.user, task_id=task_id, today=today)
    return _light_out(task, light)


class LightPagination(BoundedPagination):
    """django-ninja's page-number pagination (same ``page``/``page_size`` parameters, same ``{items, count}``
    response, bounded), for a list the selector pages itself: the handler returns a function of
    (offset, limit) giving the page's rows and the total."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=10_000)
        page_size: int | None = Field(None, ge=1, le=100)

    def paginate_queryset(self, queryset, pagination: Input, **params):
        size = self._get_page_size(pagination.page_size)
        rows, count = queryset((pagination.page - 1) * size, size)
        return {"items": rows, "count": count}


@router.get("/lights", response=list[LightOut], summary="督办灯列表 open tasks with their lights, reddest first")
@paginate(LightPagination, page_size=100)
def light_list(request, code: LightCode | None = None, unit_id: Id | None = None, today: Day | None = None):
    def page(offset: int, limit: int):
        rows, count = selectors.light_page(viewer=request.user, code=code, unit_id=unit_id, today=today,
                                           offset=offset, limit=limit)
        return [_light_out(t, light) for t, light in rows], count
    return page


class ReminderOut(Schema):
    id: int
    stage: str
    due_key: str
    light: str
    reason: str
    recipient_count: int
    for_date: dt.date
    created_at: dt.datetime
    notice_id: int | None

    @staticmethod
    def resolve_notice_id(obj) -> int | None:
        notice = getattr(obj, "notice", None)  # a missing reverse one-to-one raises an AttributeError subclass
        return notice.pk if notice is not None else None


@router.get("/tasks/{task_id}/reminders", response=list[ReminderOut], summary="催办记录 reminders sent on a task")
def reminder_list(request, task_id: int):
    return list(selectors.reminder_list(viewer=request.user, task_id=task_id))


class UndeliveredOut(ReminderOut):
    task_id: int
    task_title: str
    lead_unit: str | None

    @staticmethod
    def resolve_task_title(obj) -> str:
        return obj.task.title

    @staticmethod
    def resolve_lead_unit(obj) -> str | None:
        return obj.task.lead_unit.name if obj.task.lead_unit_id else None


@router.get("/reminders/undelivered", response=list[UndeliveredOut],
            summary="无人接收的催办（督查室）follow-up steps that reached nobody, for the office")
@paginate(BoundedPagination, page_size=100)
def reminder_undelivered_list(request):
    if not can_see_undelivered(request.user):
        raise PermissionDenied()
    return selectors.reminders_undelivered(viewer=request.user)


class UrgeIn(Schema):
    message: str = ""


@router.post("/tasks/{task_id}/urge", response={201: ReminderOut}, summary="督查室催办 remind the units now")
def task_urge(request, task_id: int, payload: UrgeIn):
    return Status(201, actions.task_urge(actor=request.user, task_id=task_id, message=payload.message))


class NoticeOut(Schema):
    id: int
    task_id: int
    number: str
    overdue_days: int
    created_at: dt.datetime


@router.post("/tasks/{task_id}/supervision-notices", response={201: NoticeOut},
             summary="下发督办通知单 issue a 督办通知单 now")
def notice_issue(request, task_id: int):
    return Status(201, actions.notice_issue(actor=request.user, task_id=task_id))


@router.get("/supervision-notices/{notice_id}", summary="下载督办通知单 download a 督办通知单 (.docx)")
def notice_download(request, notice_id: int) -> FileResponse:
    notice = selectors.notice_get(viewer=request.user, notice_id=notice_id)
    return file_response(notice.file_path, shown=notice.file_name,
                         content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


class ExtensionIn(Schema):
    new_deadline: dt.date
    reason: str


class ExtensionOut(Schema):
    id: int
    task_id: int
    unit_id: int
    reason: str
    old_deadline: dt.date | None
    new_deadline: dt.date
    status: str
    decision_comment: str
    created_at: dt.datetime
    decided_at: dt.datetime | None


class ApproveIn(Schema):
    version: int | None = None
    comment: str = ""


class RejectIn(Schema):
    reason: str


@router.get("/tasks/{task_id}/extensions", response=list[ExtensionOut], summary="延期申请 extension requests")
def extension_list(request, task_id: int):
    from duban.tasks.selectors import task_get

    task_get(viewer=request.user, task_id=task_id)
    return list(selectors.extension_list(viewer=request.user, task_id=task_id))


@router.post("/tasks/{task_id}/extensions", response={201: ExtensionOut}, summary="申请延期 request an extension")
def extension_request(request, task_id: int, payload: ExtensionIn):
    return Status(201, actions.extension_request(actor=request.user, task_id=task_id,
                                                 new_deadline=payload.new_deadline, reason=payload.reason))


@router.post("/extensions/{request_id}/approve", response=ExtensionOut, summary="批准延期 approve (changes the deadline)")
def extension_approve(request, request_id: int, payload: ApproveIn):
    actions.extension_approve(actor=request.user, request_id=request_id, version=payload.version,
                              comment=payload.comment)
    return selectors.extension_get(viewer=request.user, request_id=request_id)


@router.post("/extensions/{request_id}/reject", response=ExtensionOut, summary="不予批准 reject an extension")
def extension_reject(request, request_id: int, payload: RejectIn):
    actions.extension_reject(actor=request.user, request_id=request_id, reason=payload.reason)
    return selectors.extension_get(viewer=request.user, request_id=request_id)


class ReportFileOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    sha256: str


class CloseRequestOut(Schema):
    report_id: int
    task_id: int
    status: str
    evidence_text: str
    files: list[ReportFileOut]


@router.post("/tasks/{task_id}/close-request", response={201: CloseRequestOut},
             summary="申请办结（附佐证）request closing with evidence (multipart form: text, evidence_text, files)")
def close_request(request, task_id: int, text: Form[str], evidence_text: Form[str] = "",
                  progress_percent: Form[int] = 100, files: File[list[UploadedFile]] = None):
    """The one 申请办结 path (``duban.tasks.actions.report_submit``): evidence is a description and/or files (photos,
    PDF, Office; told by content), required for the kinds the office configured."""
    report = task_actions.report_submit(
        actor=request.user, task_id=task_id, text=text, progress_percent=progress_percent, request_close=True,
        evidence_text=evidence_text, files=[(f.name, f.read()) for f in files or ()])
    return Status(201, {"report_id": report.pk, "task_id": task_id, "status": "close_requested",
                        "evidence_text": report.evidence_text, "files": list(report.files.all())})


class DeliveryOut(Schema):
    id: int
    notification_id: int
    channel: str
    target: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str
    sent_at: dt.datetime | None
    created_at: dt.datetime


@router.get("/deliveries", response=list[DeliveryOut], summary="消息投递记录（系统管理员）delivery log, sysadmin only")
@paginate(BoundedPagination, page_size=100)
def delivery_list(request, status: str | None = None):
    if not can_manage_deliveries(request.user):
        raise PermissionDenied()
    return selectors.delivery_list(viewer=request.user, status=status)


@router.post("/deliveries/{delivery_id}/retry", response=DeliveryOut, summary="重新发送 re-queue a delivery")
def delivery_retry(request, delivery_id: int):
    return actions.delivery_retry(actor=request.user, delivery_id=delivery_id)


# --- leaders: 批示 and 重点关注 ----------------------------------------------------------------------------------

class CommentIn(Schema):
    text: str = Field(max_length=2000)
    deadline: dt.date | None = None


class CommentOut(Schema):
    id: int
    task_id: int
    author: str
    text: str
    proposed_deadline: dt.date | None
    deadline_status: str
    decision_comment: str
    created_at: dt.datetime

    @staticmethod
    def resolve_author(obj) -> str:
        return obj.author.get_username()


class DeadlineConfirmIn(Schema):
    version: int | None = None


class DeadlineDeclineIn(Schema):
    reason: str = Field(max_length=2000)


class WatchIn(Schema):
    watching: bool


@router.get("/tasks/{task_id}/comments", response=list[CommentOut], summary="领导批示 leaders' comments on a task")
def comment_list(request, task_id: int):
    return list(selectors.comment_list(viewer=request.user, task_id=task_id)[:100])


@router.post("/tasks/{task_id}/comments", response={201: CommentOut},
             summary="批示 a leader's comment; a deadline (set or earlier) waits for the office to confirm")
def comment_create(request, task_id: int, payload: CommentIn):
    comment = actions.task_comment(actor=request.user, task_id=task_id, text=payload.text, deadline=payload.deadline)
    return Status(201, comment)


@router.post("/comments/{comment_id}/confirm-deadline", response=CommentOut,
             summary="督查室确认批示时限 the office confirms a 批示's deadline")
def deadline_confirm(request, comment_id: int, payload: DeadlineConfirmIn):
    return actions.deadline_change_confirm(actor=request.user, comment_id=comment_id, version=payload.version)


@router.post("/comments/{comment_id}/decline-deadline", response=CommentOut,
             summary="督查室不调整批示时限 the office declines a 批示's deadline, saying why")
def deadline_decline(request, comment_id: int, payload: DeadlineDeclineIn):
    return actions.deadline_change_decline(actor=request.user, comment_id=comment_id, reason=payload.reason)


@router.post("/tasks/{task_id}/watch", response=WatchIn, summary="重点关注 mark or unmark a task (leaders)")
def task_watch(request, task_id: int, payload: WatchIn):
    actions.task_watch_set(actor=request.user, task_id=task_id, watching=payload.watching)
    return {"watching": payload.watching}


@router.get("/watchlist", response=list[LightOut], summary="重点关注列表 the leader's watched tasks with lights")
def watch_list(request):
    return [_light_out(t, light) for t, light in selectors.watch_list(viewer=request.user)]


# --- where messages reach a person ---------------------------------------------------------------------------

class ContactIn(Schema):
    version: int | None = None
    mobile: str = Field("", max_length=20)
    wecom_userid: str = Field("", max_length=64)
    dingtalk_userid: str = Field("", max_length=64)
    kinds: list[str] = Field(default_factory=list, max_length=50)
    channels: list[str] = Field(default_factory=list, max_length=10)
    quiet_non_working_days: bool = True


class ContactOut(Schema):
    user_id: int
    version: int
    mobile: str
    wecom_userid: str
    dingtalk_userid: str
    kinds: list[str]
    channels: list[str]
    quiet_non_working_days: bool


@router.get("/users/{user_id}/contact", response=ContactOut,
            summary="消息绑定与偏好 a person's message bindings and preferences (self or whoever manages the account)")
def contact_get(request, user_id: int):
    return selectors.contact_get(viewer=request.user, user_id=user_id)


@router.put("/users/{user_id}/contact", response=ContactOut,
            summary="设置消息绑定与偏好 set a person's message bindings and preferences (self or whoever manages the account)")
def contact_put(request, user_id: int, payload: ContactIn):
    return actions.contact_update(actor=request.user, user_id=user_id, **payload.dict())
