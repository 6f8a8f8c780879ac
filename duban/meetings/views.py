"""Pages of meetings: the list, importing a communique into a draft ledger, reviewing it (source text with each
directive highlighted, the draft tasks editable inline) and confirming it (确认交办)."""

from __future__ import annotations

from html import escape as quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from duban.core import permissions as perms
from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.selectors import unit_list
from duban.core.views import page_errors, paginate
from duban.followup.templatetags.followup_tags import light_badge_of_values
from duban.meetings import actions, selectors
from duban.meetings.models import MeetingStatus
from duban.tasks import actions as task_actions
from duban.tasks import palette
from duban.tasks import selectors as task_selectors
from duban.tasks.models import TaskStatus, is_late


@login_required
@page_errors
def meeting_list(request):
    return render(request, "meetings/list.html", {
        "page": paginate(request, selectors.meeting_list(viewer=request.user)),
        "can_import": perms.can_import_meeting(request.user),
    })


class ImportForm(forms.Form):
    text = forms.CharField(label="通报文本", required=False, widget=forms.Textarea(attrs={"rows": 14}))
    upload = forms.FileField(label="或上传文件（.txt / .docx）", required=False)
    year = forms.IntegerField(label="会议年份（通报未写年份时填写）", required=False, min_value=1990, max_value=2100)
    source_name = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    allow_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)


@login_required
@page_errors
def meeting_import(request):
    """Paste or upload a communique → a draft meeting. A text imported before asks first (``DuplicateMeeting``);
    a bad upload shows the engine's message and writes nothing."""
    if not perms.can_import_meeting(request.user):
        raise PermissionDenied()
    form = ImportForm(request.POST or None, request.FILES or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        upload = d["upload"]
        source_name = d["source_name"] or "粘贴文本"
        try:
            if upload is not None:
                if upload.size > settings.DUBAN_MAX_UPLOAD_BYTES:
                    raise InvalidInput("文件过大", "the file is too large")
                source_name = upload.name
                extracted, text = actions.extract_upload(data=upload.read(), filename=upload.name, year=d["year"])
            elif d["text"].strip():
                extracted, text = actions.extract_upload(text=d["text"], year=d["year"])
            else:
                raise InvalidInput("请粘贴通报文本或上传文件", "paste a communique or upload a file")
            meeting = actions.meeting_import(actor=request.user, extracted=extracted, source_text=text,
                                             source_name=source_name, allow_duplicate=d["allow_duplicate"])
        except actions.DuplicateMeeting as exc:
            found = extracted.get("meeting") or {}
            date = found.get("date") or ""
            year = int(date[:4]) if len(date) == 10 else d["year"]
            return render(request, "meetings/import_duplicate.html", {
                "existing": exc.existing, "text": text, "source_name": source_name, "year": year or "",
                "directives": len(extracted.get("directives") or []),
            }, status=409)
        except InvalidInput as exc:
            error = exc.message_zh
        else:
            messages.success(request, f"已导入“{meeting.title}”，识别出 {len(extracted['directives'])} 项部署，请逐项核对后确认交办。")
            return redirect("meetings:detail", meeting_id=meeting.pk)
    return render(request, "meetings/import.html", {"form": form, "error": error,
                                                    "max_mb": settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024)})


def source_segments(text: str, tasks) -> list[dict]:
    """The source text cut into plain runs and the spans of ``tasks`` (each rendered escaped as a <mark>);
    spans out of range or overlapping an earlier one are skipped rather than garbling the text."""
    spans = sorted((t for t in tasks if t.source_start is not None and t.source_end is not None
                    and 0 <= t.source_start < t.source_end <= len(text)), key=lambda t: (t.source_start, t.seq))
    segments, pos = [], 0
    for task in spans:
        if task.source_start < pos:
            continue
        if task.source_start > pos:
            segments.append({"text": text[pos:task.source_start], "task": None})
        segments.append({"text": text[task.source_start:task.source_end], "task": task})
        pos = task.source_end
    if pos < len(text):
        segments.append({"text": text[pos:], "task": None})
    return segments


def source_html(segments: list[dict]) -> str:
    """``source_segments`` as the markup the page shows: each task's span a ``<mark>`` with its number, every run
    of text escaped; built in one pass (at 150 spans the template loop was a fifth of the page)."""
    parts = []
    for s in segments:
        task = s["task"]
        if task is None:
            parts.append(quote(s["text"]))
        else:
            parts.append(f'<mark id="span-{int(task.pk)}"><span class="span-no">{int(task.seq)}</span>'
                         f'{quote(s["text"])}</mark>')
    return mark_safe("".join(parts))  # escaped here


class _Span:
    """What ``source_segments`` reads of a task, from a confirmed meeting's row values."""

    __slots__ = ("pk", "seq", "source_start", "source_end")

    def __init__(self, pk, seq, source_start, source_end):
        self.pk, self.seq, self.source_start, self.source_end = pk, seq, source_start, source_end


@login_required
@page_errors
def meeting_detail(request, meeting_id: int):
    return _meeting_page(request, selectors.meeting_get(viewer=request.user, meeting_id=meeting_id))


def _meeting_page(request, meeting, *, missing_deadlines=(), status: int = 200):
    """The meeting's page; ``missing_deadlines``: the tasks 确认交办 found without a deadline, asked about."""
    user = request.user
    is_draft = meeting.status == MeetingStatus.DRAFT
    can_edit = is_draft and perms.can_edit_meeting(user, meeting)
    today = task_selectors.today_local()
    if is_draft:
        # Every row's meeting is this one: attach it instead of joining and building it again per row.
        tasks = list(task_selectors.task_list(viewer=user, meeting_id=meeting.pk).select_related(None)
                     .select_related("area", "lead_unit", "latest_report").order_by("seq", "id"))
        for task in tasks:
            task.meeting = meeting
        rows, spans = [], tasks
    else:
        # A confirmed meeting's table shows a few columns of each task: plain values, no model instances.
        tasks = list(selectors.meeting_task_rows(viewer=user, meeting=meeting))
        rows = task_rows(tasks, today)
        spans = [_Span(t[0], t[1], t[-2], t[-1]) for t in tasks]
    return render(request, "meetings/detail.html", {
        "meeting": meeting, "tasks": tasks, "rows": rows,
        "source_html": source_html(source_segments(meeting.source_text, spans)),
        "is_draft": is_draft, "can_edit": can_edit, "editable": can_edit,
        "missing_lead": sum(1 for t in tasks if t.status == TaskStatus.DRAFT and t.lead_unit_id is None)
        if is_draft else 0,
        "missing_deadline": sum(1 for t in tasks if t.status == TaskStatus.DRAFT and t.deadline is None)
        if is_draft else 0,
        "missing_deadlines": missing_deadlines, "units": unit_list(viewer=user) if can_edit else (),
        "today": today,
    }, status=status)


# One row of a confirmed meeting's task table; every field is escaped in task_rows.
TASK_ROW = (
    '\n          <tr data-span-for="{pk}"><td>{seq}</td><td class="cell-text"><a href="{url}">{title}</a></td>\n'
    '            <td class="small">{lead}</td>\n'
    '            <td class="text-nowrap small{late}">{deadline}</td>\n'
    '            <td class="text-nowrap"><span class="badge {status_css}">{status_label}</span> {light}</td></tr>'
)


def task_rows(tasks, today) -> list[str]:
    """The rows of a confirmed meeting's task table as HTML from ``selectors.meeting_task_rows`` tuples, built in
    one pass rather than through per-row lookups, filters, ``{% if %}`` and a tag in the template (most of the
    page's time at 150 rows). Every user-entered value goes through ``quote`` (``html.escape``, which Django's
    ``escape`` wraps); the light badge is ``light_badge_of_values`` (the same as ``{% light_badge task %}``)."""
    prefix = reverse("tasks:list")
    labels = {value: quote(str(label)) for value, label in TaskStatus.choices}  # in the active language
    out = []
    for (pk, seq, title, status, deadline, pct, lead_name, assigned_at, report_cycle, report_every, reported_at,
         _start, _end) in tasks:
        late = is_late(status, deadline, today)
        out.append(mark_safe(TASK_ROW.format(  # every part escaped here
            pk=int(pk), seq=int(seq), url=f"{prefix}{int(pk)}/", title=quote(title),
            lead=quote(lead_name or "—"), late=" text-danger" if late else "",
            deadline=deadline.isoformat() if deadline else "无时限", status_css=palette.status_class(status),
            status_label=labels[status] if status in labels else quote(status),
            light=light_badge_of_values(status, deadline, assigned_at, pct, report_cycle, report_every,
                                        reported_at, today),
        )))
    return out


class ConfirmForm(forms.Form):
    """确认交办: the first press refuses tasks without a deadline and lists them; the clerk then assigns them as
    they are (``without_deadline``) or gives them one deadline."""

    without_deadline = forms.BooleanField(required=False)
    deadline = forms.DateField(required=False)


@login_required
@require_POST
@page_errors
def meeting_confirm(request, meeting_id: int):
    form = ConfirmForm(request.POST)
    d = form.cleaned_data if form.is_valid() else {"without_deadline": False, "deadline": None}
    try:
        meeting = actions.meeting_confirm(actor=request.user, meeting_id=meeting_id,
                                          allow_missing_deadline=d["without_deadline"],
                                          deadline_for_missing=d["deadline"])
    except actions.MissingDeadlines as exc:
        return _meeting_page(request, selectors.meeting_get(viewer=request.user, meeting_id=meeting_id),
                             missing_deadlines=exc.tasks, status=409)
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, f"已确认交办，各牵头单位已收到通知。（{meeting.title}）")
    return redirect("meetings:detail", meeting_id=meeting_id)


class BulkEditForm(forms.Form):
    deadline = forms.DateField(required=False)
    lead_unit = forms.IntegerField(required=False, min_value=1)


@login_required
@require_POST
@page_errors
def meeting_bulk_edit(request, meeting_id: int):
    """批量修改: one deadline and/or lead unit for the ticked rows of the draft ledger."""
    selectors.meeting_get(viewer=request.user, meeting_id=meeting_id)
    ids = [int(v) for v in request.POST.getlist("task_ids") if v.isdigit()]
    form = BulkEditForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput("时限或牵头单位格式不正确", "invalid deadline or lead unit")
        changed = task_actions.task_bulk_update(actor=request.user, task_ids=ids,
                                                deadline=form.cleaned_data["deadline"],
                                                lead_unit_id=form.cleaned_data["lead_unit"])
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, f"已批量修改 {len(changed)} 项。")
    return redirect("meetings:detail", meeting_id=meeting_id)


@login_required
@require_POST
@page_errors
def meeting_merge(request, meeting_id: int):
    selectors.meeting_get(viewer=request.user, meeting_id=meeting_id)
    ids = [int(v) for v in request.POST.getlist("task_ids") if v.isdigit()]
    try:
        kept = task_actions.task_merge(actor=request.user, task_ids=ids)
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, f"已将 {len(set(ids))} 项合并为“{kept.title}”。")
    return redirect("meetings:detail", meeting_id=meeting_id)
