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

from duban.core.errors import Conflict, InvalidInput, PermissionDenied
from duban.core.selectors import unit_list
from duban.core.views import page_errors, page_step, paginate
from duban.extraction.formats import NeedsOcr
from duban.meetings import actions, selectors
from duban.meetings import permissions as perms
from duban.meetings.models import MeetingStatus
from duban.tasks import actions as task_actions
from duban.tasks import selectors as task_selectors
from duban.tasks.views import task_list_rows


@login_required
@page_errors
def meeting_list(request):
    return render(request, "meetings/list.html", {
        "page": paginate(request, selectors.meeting_list(viewer=request.user)),
        "can_import": perms.can_import_meeting(request.user),
    })


class ImportForm(forms.Form):
    text = forms.CharField(label="通报文本", required=False, widget=forms.Textarea(attrs={"rows": 14}))
    upload = forms.FileField(label="或上传文件", required=False)
    year = forms.IntegerField(label="会议年份（通报未写年份时填写）", required=False, min_value=1990, max_value=2100)
    source_name = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    allow_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # Set once the page has asked for the year: an empty year then means "import without one" (the meeting's
    # date stays editable on its page until 交办).
    year_asked = forms.BooleanField(required=False, widget=forms.HiddenInput)


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
                data = upload.read()
                try:
                    extracted, text = actions.extract_upload(data=data, filename=upload.name, year=d["year"])
                except NeedsOcr as scan:
                    job = actions.scan_job_create(actor=request.user, data=data, filename=upload.name,
                                                  kind=scan.kind, year=d["year"])
                    messages.info(request, "这是扫描件或图片，正在识别文字，完成后请对照原件校对。")
                    return redirect("meetings:scan", job_id=job.pk)
            elif d["text"].strip():
                extracted, text = actions.extract_upload(text=d["text"], year=d["year"])
            else:
                raise InvalidInput("请粘贴通报文本或上传文件", "paste a communique or upload a file")
            note = (actions.undated_note(extracted) if d["year"] is None and not d["year_asked"]
                    and extracted.get("directives") else None)
            if note is not None:
                # The text gives no year and the document's own date is not plausible: ask, prefilled with this
                # year, and say what cannot be dated without it.
                asked = ImportForm(initial={"text": text, "year": _likely_year(extracted),
                                            "source_name": source_name, "year_asked": True,
                                            "allow_duplicate": d["allow_duplicate"]})
                return render(request, "meetings/import.html", {
                    "form": asked, "error": "", "year_note": note[0], "asking_year": True,
                    "max_mb": settings.DUBAN_MAX_UPLOAD_BYTES // (1024 * 1024)})
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


def _likely_year(extracted: dict) -> int:
    """The year the prompt offers for a date without one: this year, or last year when the day has not come yet
    this year (a communique reports a meeting held, not one to come)."""
    today = task_selectors.today_local()
    date = (extracted.get("meeting") or {}).get("date") or ""
    try:
        month, day = (int(part) for part in date.split("-"))
    except ValueError:
        return today.year
    return today.year - 1 if (month, day) > (today.month, today.day) else today.year


def future_note(meeting, today) -> str:
    """A meeting dated after today is a wrong year, more likely than not: said on its page until 交办."""
    if meeting.date is None or meeting.date <= today:
        return ""
    return f"会议日期 {meeting.date:%Y年%-m月%-d日} 晚于今天，请核对会议年份。"


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
        rows, spans, page = [], tasks, None
    else:
        # A confirmed meeting's table shows the task list's row of each task (plain values, no model instances),
        # a page of them as the task list does: a meeting has tens of tasks, a province's seed 1,600. The
        # communique marks the sentences of the page's tasks.
        page = paginate(request, selectors.meeting_task_rows(viewer=user, meeting=meeting))
        tasks = list(page.object_list)
        rows = task_list_rows(tasks, today, in_meeting=True)
        spans = [_Span(t[0], t[1], t[-2], t[-1]) for t in tasks]
    return render(request, "meetings/detail.html", {
        "meeting": meeting, "tasks": tasks, "rows": rows, "page": page,
        "source_html": source_html(source_segments(meeting.source_text, spans)),
        "is_draft": is_draft, "can_edit": can_edit, "editable": can_edit,
        "counts": task_selectors.draft_counts(viewer=user, meeting_id=meeting.pk) if can_edit else None,
        "missing_deadlines": missing_deadlines, "units": unit_list(viewer=user) if can_edit else (),
        "today": today,
        "undated_note": _undated_note(meeting, tasks) if is_draft and meeting.date is None else "",
        "future_note": future_note(meeting, today) if is_draft else "",
        "can_edit_facts": meeting.status != MeetingStatus.WITHDRAWN and perms.can_edit_meeting(user, meeting),
    }, status=status)


def _undated_note(meeting, tasks) -> str:
    """What a draft without a known year could not date, said plainly."""
    undated = [t.deadline_text for t in tasks if t.deadline is None and t.deadline_text]
    found = f"（原文日期 {meeting.date_text}）" if meeting.date_text else ""
    if not undated:
        return f"通报未写会议年份{found}"
    return f"通报未写会议年份{found}，以下 {len(undated)} 项时限无法推算日期：" + "、".join(undated)


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
        reach = meeting.reach  # None: confirmed before, nobody told again
        (messages.warning if reach and reach.unreached else messages.success)(
            request, f"已确认交办（{meeting.title}）。{reach.sentence() if reach else ''}")
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

    def run():
        if not form.is_valid():
            raise InvalidInput("时限或牵头单位格式不正确", "invalid deadline or lead unit")
        return task_actions.task_bulk_update(actor=request.user, task_ids=ids, deadline=form.cleaned_data["deadline"],
                                             lead_unit_id=form.cleaned_data["lead_unit"])
    return page_step(request, run, lambda changed: f"已批量修改 {len(changed)} 项。",
                     reverse("meetings:detail", args=[meeting_id]))


class TaskAddForm(forms.Form):
    text = forms.CharField(max_length=5000, required=False)
    title = forms.CharField(max_length=200, required=False)
    source_start = forms.IntegerField(required=False, min_value=0)
    source_end = forms.IntegerField(required=False, min_value=0)


@login_required
@require_POST
@page_errors
def meeting_task_add(request, meeting_id: int):
    """新增事项: a 部署 the extraction missed, typed or selected in the communique, as the draft's next row."""
    form = TaskAddForm(request.POST)
    back = reverse("meetings:detail", args=[meeting_id])
    if not form.is_valid():
        messages.error(request, "事项内容过长或选区不正确")
        return redirect(back)
    d = form.cleaned_data
    try:
        task = actions.meeting_task_add(actor=request.user, meeting_id=meeting_id, text=d["text"], title=d["title"],
                                        source_start=d["source_start"], source_end=d["source_end"])
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
        return redirect(back)
    messages.success(request, f"已新增第 {task.seq} 项“{task.title}”，请指定牵头单位和时限。")
    return redirect(f"{back}#task-row-{task.pk}")


@login_required
@require_POST
@page_errors
def meeting_withdraw(request, meeting_id: int):
    try:
        meeting = actions.meeting_withdraw(actor=request.user, meeting_id=meeting_id,
                                           reason=request.POST.get("reason", ""))
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
        return redirect("meetings:detail", meeting_id=meeting_id)
    messages.success(request, f"已撤销导入的会议“{meeting.title}”及其草稿事项（记录保留）。")
    return redirect("meetings:list")


@login_required
@require_POST
@page_errors
def meeting_merge(request, meeting_id: int):
    selectors.meeting_get(viewer=request.user, meeting_id=meeting_id)
    ids = [int(v) for v in request.POST.getlist("task_ids") if v.isdigit()]
    return page_step(request, lambda: task_actions.task_merge(actor=request.user, task_ids=ids),
                     lambda kept: f"已将 {len(set(ids))} 项合并为“{kept.title}”。",
                     reverse("meetings:detail", args=[meeting_id]))


class MeetingDateForm(forms.Form):
    date = forms.DateField(label="会议日期", input_formats=["%Y-%m-%d"])
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


@login_required
@require_POST
@page_errors
def meeting_date_set(request, meeting_id: int):
    """Set or correct a draft meeting's date; its relative deadlines are dated again."""
    form = MeetingDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写正确的会议日期（年-月-日）")
        return redirect("meetings:detail", meeting_id=meeting_id)
    back = reverse("meetings:detail", args=[meeting_id])
    try:
        meeting = actions.meeting_date_set(actor=request.user, meeting_id=meeting_id, date=form.cleaned_data["date"],
                                           version=form.cleaned_data["version"])
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
        return redirect(back)
    done = f"会议日期已改为 {meeting.date:%Y年%-m月%-d日}，相对时限已按新日期重新推算。"
    future = future_note(meeting, task_selectors.today_local())
    (messages.warning if future else messages.success)(request, done + future)
    return redirect(back)


class MeetingFactsForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    title = forms.CharField(required=False)
    body = forms.CharField(required=False)
    presider = forms.CharField(required=False)
    presider_title = forms.CharField(required=False)


@login_required
@require_POST
@page_errors
def meeting_facts_set(request, meeting_id: int):
    """Correct the meeting's name, type and presider (what the extraction read)."""
    form = MeetingFactsForm(request.POST)
    back = reverse("meetings:detail", args=[meeting_id])
    if not form.is_valid():
        messages.error(request, "请刷新页面后重试")
        return redirect(back)
    d = form.cleaned_data
    changes = {k: d[k] for k in actions.MEETING_FACTS if k in request.POST}
    return page_step(request, lambda: actions.meeting_facts_set(actor=request.user, meeting_id=meeting_id,
                                                                version=d["version"], changes=changes),
                     "会议信息已保存。", back)


# --- scans: recognised by the worker, checked by the clerk beside the image ----------------------------------

@login_required
@page_errors
def scan_detail(request, job_id: int):
    """The recognised text beside the scan, editable; while the worker runs, the page shows its progress and
    refreshes itself (HTMX polling of ``scan_progress``)."""
    job = selectors.scan_get(viewer=request.user, job_id=job_id)
    error = ""
    if request.method == "POST":
        try:
            meeting = actions.scan_job_import(actor=request.user, job_id=job.pk, text=request.POST.get("text", ""),
                                              year=_year(request.POST.get("year")),
                                              allow_duplicate=request.POST.get("allow_duplicate") == "on")
        except actions.DuplicateMeeting as exc:
            error = f"相同内容已导入过（{exc.existing.title}），如确需再次导入请勾选“仍然导入”。"
        except (Conflict, InvalidInput) as exc:
            error = exc.message_zh
        else:
            messages.success(request, f"已导入“{meeting.title}”，请逐项核对后确认交办。")
            return redirect("meetings:detail", meeting_id=meeting.pk)
    return render(request, "meetings/scan.html", {"job": job, "error": error, "pages": range(job.pages_total or 1),
                                                  "text": request.POST.get("text", job.text)})


@login_required
@page_errors
def scan_progress(request, job_id: int):
    job = selectors.scan_get(viewer=request.user, job_id=job_id)
    response = render(request, "meetings/_scan_progress.html", {"job": job})
    if not job.is_open:
        response["HX-Refresh"] = "true"  # finished: reload the page with the text
    return response


@login_required
@require_POST
@page_errors
def scan_cancel(request, job_id: int):
    actions.scan_job_cancel(actor=request.user, job_id=job_id)
    messages.info(request, "已取消文字识别。")
    return redirect("meetings:import")


@login_required
@page_errors
def scan_page_image(request, job_id: int, page: int):
    """Page ``page`` of the scan as a PNG for the clerk to read beside the text (a photo is its own page 0)."""
    from django.http import HttpResponse

    job = selectors.scan_get(viewer=request.user, job_id=job_id)
    png = selectors.scan_page_png(job, page)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _year(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 1990 <= year <= 2100 else None
# --- the responsibility list (职责清单) ---------------------------------------------------------------------------

def _editable(entry: dict | None) -> dict | None:
    """An entry for the editor's fields: word lists as text separated by 、."""
    if entry is None:
        return None
    return {k: "、".join(v) if isinstance(v, list) else v for k, v in entry.items()}


def _entry_from_post(post) -> dict:
    return {"name": post.get("name", ""), "full_name": post.get("full_name", ""), "aliases": post.get("aliases", ""),
            "keywords": post.get("keywords", ""), "areas": post.get("areas", "")}


def _proposed(request, current: list[dict]) -> tuple[list[dict], str, str]:
    """The whole list as it would be after this form: one entry edited, added or removed, or an imported TOML
    file (then also its name and text, carried in the page from preview to save)."""
    from duban.meetings import responsibility

    post = request.POST
    if post.get("build") == "units":  # 按本机单位生成: one entry per unit of 单位管理
        units = unit_list(viewer=request.user).values_list("name", "short_name", "aliases").order_by("path",
                                                                                                    "sort_order")
        return responsibility.entries_from_units(list(units), current), "", ""
    removed = set(post.getlist("remove_names"))
    if removed:  # several entries ticked in the table, removed in one version
        return [e for e in current if e["name"] not in removed], "", ""
    upload = request.FILES.get("file")
    if upload or post.get("toml"):
        raw = upload.read() if upload else post["toml"].encode("utf-8")
        name = upload.name if upload else post.get("filename", "import.toml")
        return responsibility.entries_from_toml(raw), name, raw.decode("utf-8-sig", "replace")
    original = post.get("original", "")
    entries = [e for e in current if e["name"] != original] if original else list(current)
    if post.get("remove") != "1":
        entry = _entry_from_post(post)
        position = next((i for i, e in enumerate(current) if e["name"] == original), len(entries))
        entries.insert(min(position, len(entries)), entry)
    return entries, "", ""


@login_required
@page_errors
def responsibility_list(request):
    """The 职责清单 page: the list in force, one entry's editor, a TOML import, and a preview on a sample text
    of the suggestions a change would alter before it is saved."""
    version_id, current = selectors.responsibility_in_force()
    can_edit = perms.can_import_meeting(request.user)
    context = {"entries": current, "version_id": version_id, "can_edit": can_edit,
               "versions": selectors.responsibility_versions(viewer=request.user),
               "editing": _editable(next((e for e in current if e["name"] == request.GET.get("edit")), None)),
               "original": request.GET.get("edit", "")}
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied()
        base = request.POST.get("base_version") or None
        base = int(base) if base and base.isdigit() else None
        try:
            entries, filename, toml_text = _proposed(request, current)
            if request.POST.get("do") == "save":
                row = actions.responsibility_save(actor=request.user, entries=entries, base_version=base,
                                                  note=request.POST.get("note", ""), imported_from=filename)
                messages.success(request, f"已保存为第 {row.pk} 版，此后导入的通报按新清单推荐单位。")
                return redirect("meetings:responsibility")
            whole = request.POST.get("build") == "units" or request.POST.getlist("remove_names")
            context.update(
                preview=selectors.responsibility_preview(viewer=request.user, entries=entries,
                                                         text=request.POST.get("sample", "")),
                previewed=True, sample=request.POST.get("sample", ""), pending_toml=toml_text, filename=filename,
                editing=_entry_from_post(request.POST) if not (filename or whole) else None,
                remove=request.POST.get("remove"), original=request.POST.get("original", ""),
                note=request.POST.get("note", ""), build=request.POST.get("build", ""),
                remove_names=request.POST.getlist("remove_names"), proposed=len(entries),
                dropped=sorted({e["name"] for e in current} - {e["name"] for e in entries}))
        except (InvalidInput, Conflict) as exc:
            messages.error(request, exc.message)
            context.update(editing=_entry_from_post(request.POST), original=request.POST.get("original", ""),
                           sample=request.POST.get("sample", ""))
    return render(request, "meetings/responsibility.html", context)


@login_required
@page_errors
def responsibility_export(request):
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    response = HttpResponse(actions.responsibility_export(actor=request.user),
                            content_type="application/toml; charset=utf-8")
    response.headers["Content-Disposition"] = content_disposition_header(True, "职责清单.toml")
    return response
