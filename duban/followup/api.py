"""Follow-up over JSON (mounted at /api/v1): lights, reminders, extension requests, completion requests with
evidence, and the delivery log. Handlers call the same selectors and actions as the pages."""


import datetime as dt

from django.http import FileResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from duban.core.errors import PermissionDenied
from duban.followup import actions, selectors
from duban.followup.permissions import can_manage_deliveries
from duban.followup.views import _file

router = Router()


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
def task_light(request, task_id: int, today: dt.date | None = None):
    task, light = selectors.task_light_get(viewer=request.user, task_id=task_id, today=today)
    return _light_out(task, light)


@router.get("/lights", response=list[LightOut], summary="督办灯列表 open tasks with their lights, reddest first")
@paginate(PageNumberPagination, page_size=100)
def light_list(request, code: str | None = None, unit_id: int | None = None, today: dt.date | None = None):
    return [_light_out(t, light) for t, light in
            selectors.light_list(viewer=request.user, code=code, unit_id=unit_id, today=today)]


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
    return _file(notice.file_path, notice.file_name,
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


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


class CloseRequestOut(Schema):
    report_id: int
    task_id: int
    status: str
    evidence_id: int
    evidence_file: str


@router.post("/tasks/{task_id}/close-request", response={201: CloseRequestOut},
             summary="申请办结（附佐证）request closing with evidence (multipart form)")
def close_request(request, task_id: int, text: Form[str], evidence_text: Form[str] = "",
                  progress_percent: Form[int] = 100, file: File[UploadedFile] | None = None):
    report = actions.close_request_with_evidence(
        actor=request.user, task_id=task_id, text=text, progress_percent=progress_percent,
        evidence_text=evidence_text, file_name=file.name if file else "", content=file.read() if file else None)
    evidence = report.close_evidence
    return Status(201, {"report_id": report.pk, "task_id": task_id, "status": "close_requested",
                        "evidence_id": evidence.pk, "evidence_file": evidence.file_name})


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
@paginate(PageNumberPagination, page_size=100)
def delivery_list(request, status: str | None = None):
    if not can_manage_deliveries(request.user):
        raise PermissionDenied()
    return selectors.delivery_list(viewer=request.user, status=status)


@router.post("/deliveries/{delivery_id}/retry", response=DeliveryOut, summary="重新发送 re-queue a delivery")
def delivery_retry(request, delivery_id: int):
    return actions.delivery_retry(actor=request.user, delivery_id=delivery_id)
