"""Follow-up pages and form posts: thin shells over the follow-up selectors and actions.

Form posts come from the follow-up section of a task page (``{% task_followup task %}``) and return there; a
refused or invalid step shows its message on that page.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.files import file_response
from duban.core.views import page_errors, page_step, paginate
from duban.followup import actions, selectors
from duban.followup.models import DeliveryStatus
from duban.followup.permissions import can_manage_deliveries, can_see_undelivered
from duban.tasks import actions as task_actions


def _back(request, task_id: int) -> str:
    target = request.POST.get("next") or f"/tasks/{task_id}/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = f"/tasks/{task_id}/"
    return target


def _step(request, task_id: int, run, done: str, *, sent: bool = False):
    """Run one action; a Conflict or InvalidInput becomes a message on the task page. ``sent``: the form's kept
    draft (``data-draft`` in app.js) arrived and the browser may forget it."""
    return page_step(request, run, done, _back(request, task_id), extra_tags="draft-sent" if sent else "")


def _review(request, task_id: int, action, done: str, **fields):
    """A review of something on a task (a close request, an extension request, a leader's new deadline): ``action``
    by the signed-in user with ``fields``, then back to the task page with ``done`` or the refusal."""
    return _step(request, task_id, lambda: action(actor=request.user, **fields), done)


def _version(request) -> int | None:
    """The posted ``version`` the reviewer saw (optimistic locking), if it is a number."""
    version = request.POST.get("version") or ""
    return int(version) if version.isdigit() else None


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise InvalidInput("日期格式不正确", "invalid date") from None


def _told_step(request, task_id: int, run, done: str):
    """Run a step that tells the task's units (催办, 督办通知单) and say whom it reached: a warning naming the units
    that have nobody to tell, so that the clerk phones them; a refusal shows as ``_step``'s."""
    try:
        reach = run().reach
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        (messages.warning if reach.unreached else messages.success)(request, done + reach.sentence())
    return redirect(_back(request, task_id))


@login_required
@require_POST
@page_errors
def task_urge(request, task_id: int):
    return _told_step(request, task_id, lambda: actions.task_urge(
        actor=request.user, task_id=task_id, message=request.POST.get("message", "")), "已催办。")


@login_required
@require_POST
@page_errors
def notice_issue(request, task_id: int):
    return _told_step(request, task_id, lambda: actions.notice_issue(actor=request.user, task_id=task_id),
                      "已下发督办通知单，可在“催办记录”中下载。")


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
    return _review(request, ext.task_id, actions.extension_approve, "已批准延期", request_id=request_id,
                   version=_version(request), comment=request.POST.get("comment", ""))


@login_required
@require_POST
@page_errors
def extension_reject(request, request_id: int):
    ext = selectors.extension_get(viewer=request.user, request_id=request_id)
    return _review(request, ext.task_id, actions.extension_reject, "已不予批准", request_id=request_id,
                   reason=request.POST.get("reason", ""))


@login_required
@page_errors
def extensions_pending(request):
    """待审批延期: the extension requests waiting for the viewer's decision (the 工作台's section, all of them),
    oldest first, each decided here through the task page's own forms (the same posts, back to this page)."""
    requests = selectors.extensions_to_decide(request.user).select_related(
        "task", "task__lead_unit", "requested_by", "requested_by__profile")
    return render(request, "followup/extensions_pending.html", {"page": paginate(request, requests)})


def uploaded_files(request, field: str = "files") -> list[tuple[str, bytes]]:
    """The files of a multipart form field as (name, bytes), empty parts skipped."""
    return [(f.name, f.read()) for f in request.FILES.getlist(field) if f.size]


@login_required
@require_POST
@page_errors
def close_request(request, task_id: int):
    percent = request.POST.get("progress_percent", "100")

    def run():
        task_actions.report_submit(
            actor=request.user, task_id=task_id, text=request.POST.get("text", ""),
            progress_percent=int(percent) if percent.isdigit() else 100, request_close=True,
            evidence_text=request.POST.get("evidence_text", ""),
            files=uploaded_files(request, "file") + uploaded_files(request))
    return _step(request, task_id, run, "办结申请已提交", sent=True)


def _report_task_id(request, report_id: int) -> int:
    from duban.tasks.selectors import report_get

    return report_get(viewer=request.user, report_id=report_id).task_id


@login_required
@require_POST
@page_errors
def close_accept(request, report_id: int):
    return _review(request, _report_task_id(request, report_id), task_actions.report_accept, "已同意办结",
                   report_id=report_id, override_reason=request.POST.get("override_reason", ""))


@login_required
@require_POST
@page_errors
def close_return(request, report_id: int):
    return _review(request, _report_task_id(request, report_id), task_actions.report_return, "已退回",
                   report_id=report_id, reason=request.POST.get("reason", ""))


@login_required
@page_errors
def notice_download(request, notice_id: int):
    notice = selectors.notice_get(viewer=request.user, notice_id=notice_id)
    return file_response(notice.file_path, shown=notice.file_name,
                         content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")


@login_required
@page_errors
def evidence_download(request, evidence_id: int):
    """Evidence filed before report files existed (``CloseEvidence``)."""
    evidence = selectors.evidence_get(viewer=request.user, evidence_id=evidence_id)
    return file_response(evidence.file_path, shown=evidence.file_name, content_type="application/octet-stream")


# --- leaders: 批示 and 重点关注 ----------------------------------------------------------------------------------

@login_required
@require_POST
@page_errors
def task_comment(request, task_id: int):
    raw = request.POST.get("deadline") or ""

    def run():
        actions.task_comment(actor=request.user, task_id=task_id, text=request.POST.get("text", ""),
                             deadline=_date(raw) if raw else None)
    return _step(request, task_id, run, "批示已发送", sent=True)


@login_required
@require_POST
@page_errors
def deadline_confirm(request, comment_id: int):
    comment = selectors.comment_get(viewer=request.user, comment_id=comment_id)
    return _review(request, comment.task_id, actions.deadline_change_confirm, "已按批示调整办理时限",
                   comment_id=comment_id, version=_version(request))


@login_required
@require_POST
@page_errors
def deadline_decline(request, comment_id: int):
    comment = selectors.comment_get(viewer=request.user, comment_id=comment_id)
    return _review(request, comment.task_id, actions.deadline_change_decline, "已告知领导未调整时限",
                   comment_id=comment_id, reason=request.POST.get("reason", ""))


@login_required
@require_POST
@page_errors
def task_watch(request, task_id: int):
    watching = request.POST.get("watching") == "1"

    def run():
        actions.task_watch_set(actor=request.user, task_id=task_id, watching=watching)
    return _step(request, task_id, run, "已设为重点关注" if watching else "已取消重点关注")


@login_required
@page_errors
def watch_list(request):
    """The leader's 重点关注 list with lights, reddest first."""
    return render(request, "followup/watchlist.html", {"rows": selectors.watch_list(viewer=request.user)})


# --- where messages reach a person ---------------------------------------------------------------------------

@login_required
@page_errors
def contact_edit(request, user_id: int | None = None):
    """A person's own message settings (``/followup/me/contact/``), or those of a person whose account the viewer
    manages (``/followup/users/<id>/contact/``, linked from 人员管理)."""
    user_id = request.user.pk if user_id is None else user_id
    contact = selectors.contact_get(viewer=request.user, user_id=user_id)
    if request.method == "POST":
        version = request.POST.get("version", "")
        try:
            contact = actions.contact_update(
                actor=request.user, user_id=user_id, version=int(version) if version.isdigit() else None,
                mobile=request.POST.get("mobile", ""), wecom_userid=request.POST.get("wecom_userid", ""),
                dingtalk_userid=request.POST.get("dingtalk_userid", ""), kinds=request.POST.getlist("kinds"),
                channels=request.POST.getlist("channels"),
                quiet_non_working_days=request.POST.get("quiet_non_working_days") == "on")
        except (Conflict, InvalidInput) as exc:
            messages.error(request, exc.message_zh)
        else:
            messages.success(request, "消息设置已保存")
            return redirect(request.path)
    return render(request, "followup/contact.html", {
        "contact": contact, "person": contact.user, "kinds": actions.NOTICE_KINDS.items(),
        "channels": actions.PERSON_CHANNELS.items()})


@login_required
@page_errors
def task_deliveries(request, task_id: int):
    """How the task's notices reached people (channel, person, outcome), for the supervision office."""
    return render(request, "followup/task_deliveries.html", {
        "task_id": task_id, "rows": selectors.task_delivery_list(viewer=request.user, task_id=task_id)})


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
@page_errors
def reminder_undelivered_list(request):
    if not can_see_undelivered(request.user):
        raise PermissionDenied()
    page = paginate(request, selectors.reminders_undelivered(viewer=request.user))
    return render(request, "followup/undelivered.html", {"page": page})


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
