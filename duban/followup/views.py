"""Follow-up pages and form posts: thin shells over the follow-up selectors and actions.

Form posts come from the follow-up section of a task page (``{% task_followup task %}``) and return there; a
refused or invalid step shows its message on that page.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.views import page_errors, paginate
from duban.followup import actions, selectors
from duban.followup.models import DeliveryStatus
from duban.followup.permissions import can_manage_deliveries
from duban.tasks import actions as task_actions


def _back(request, task_id: int):
    target = request.POST.get("next") or f"/tasks/{task_id}/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = f"/tasks/{task_id}/"
    return redirect(target)


def _step(request, task_id: int, run, done: str, *, sent: bool = False):
    """Run one action; a Conflict or InvalidInput becomes a message on the task page. ``sent``: the form's kept
    draft (``data-draft`` in app.js) arrived and the browser may forget it."""
    try:
        run()
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, done, extra_tags="draft-sent" if sent else "")
    return _back(request, task_id)


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("日期格式不正确", "invalid date") from None


@login_required
@require_POST
@page_errors
def task_urge(request, task_id: int):
    def run():
        actions.task_urge(actor=request.user, task_id=task_id, message=request.POST.get("message", ""))
    return _step(request, task_id, run, "已催办，相关单位已收到通知。")


@login_required
@require_POST
@page_errors
def notice_issue(request, task_id: int):
    def run():
        actions.notice_issue(actor=request.user, task_id=task_id)
    return _step(request, task_id, run, "已下发督办通知单，可在“催办记录”中下载。")


@login_required
@require_POST
@page_errors
def extension_request(request, task_id: int):
    def run():
        actions.extension_request(actor=request.user, task_id=task_id, new_deadline=_date(request.POST.get(
            "new_deadline")), reason=request.POST.get("reason", ""))
    return _step(request, task_id, run, "延期申请已提交", sent=True)


@login_required
@require_POST
@page_errors
def extension_approve(request, request_id: int):
    ext = selectors.extension_get(viewer=request.user, request_id=request_id)
    version = request.POST.get("version")

    def run():
        actions.extension_approve(actor=request.user, request_id=request_id,
                                  version=int(version) if (version or "").isdigit() else None,
                                  comment=request.POST.get("comment", ""))
    return _step(request, ext.task_id, run, "已批准延期")


@login_required
@require_POST
@page_errors
def extension_reject(request, request_id: int):
    ext = selectors.extension_get(viewer=request.user, request_id=request_id)

    def run():
        actions.extension_reject(actor=request.user, request_id=request_id, reason=request.POST.get("reason", ""))
    return _step(request, ext.task_id, run, "已不予批准")


@login_required
@require_POST
@page_errors
def close_request(request, task_id: int):
    upload = request.FILES.get("file")

    def run():
        actions.close_request_with_evidence(
            actor=request.user, task_id=task_id, text=request.POST.get("text", ""),
            evidence_text=request.POST.get("evidence_text", ""),
            file_name=upload.name if upload else "", content=upload.read() if upload else None)
    return _step(request, task_id, run, "办结申请已提交", sent=True)


def _report_task_id(request, report_id: int) -> int:
    from duban.tasks.selectors import report_get

    return report_get(viewer=request.user, report_id=report_id).task_id


@login_required
@require_POST
@page_errors
def close_accept(request, report_id: int):
    task_id = _report_task_id(request, report_id)
    return _step(request, task_id, lambda: task_actions.report_accept(actor=request.user, report_id=report_id),
                 "已同意办结")


@login_required
@require_POST
@page_errors
def close_return(request, report_id: int):
    task_id = _report_task_id(request, report_id)
    return _step(request, task_id, lambda: task_actions.report_return(
        actor=request.user, report_id=report_id, reason=request.POST.get("reason", "")), "已退回")


def _file(relative: str, name: str, content_type: str):
    path = (Path(settings.DATA_DIR) / relative).resolve()
    if not relative or not path.is_file() or Path(settings.DATA_DIR).resolve() not in path.parents:
        raise Http404("文件不存在")
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=content_type)


@login_required
@page_errors
def notice_download(request, notice_id: int):
    notice = selectors.notice_get(viewer=request.user, notice_id=notice_id)
    return _file(notice.file_path, notice.file_name,
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@login_required
@page_errors
def evidence_download(request, evidence_id: int):
    evidence = selectors.evidence_get(viewer=request.user, evidence_id=evidence_id)
    return _file(evidence.file_path, evidence.file_name, "application/octet-stream")


@login_required
@page_errors
def delivery_list(request):
    if not can_manage_deliveries(request.user):
        raise PermissionDenied()
    status = request.GET.get("status") or None
    page = paginate(request, selectors.delivery_list(viewer=request.user, status=status))
    return render(request, "followup/deliveries.html",
                  {"page": page, "status": status, "statuses": DeliveryStatus.choices})


@login_required
@require_POST
@page_errors
def delivery_retry(request, delivery_id: int):
    try:
        actions.delivery_retry(actor=request.user, delivery_id=delivery_id)
    except Conflict as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, "已重新排队发送")
    return redirect("followup:deliveries")
