"""Pages for instructions, inspection cases, livelihood projects, hazards, attachments, search and phrases.

Thin: parse (a form), call one action or selector, render. Domain errors become HTTP through
``duban.core.views.page_errors``; a refused step shows its message on the record's page instead.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from duban.core import selectors as core_selectors
from duban.core.errors import Conflict, InvalidInput
from duban.core.files import file_response
from duban.core.views import page_errors, page_step, paginate
from duban.sources import actions, forms, search as search_module, selectors
from duban.sources import permissions as perms
from duban.sources.models import HazardCategory, HazardSeverity, HazardStatus
from duban.tasks.models import OPEN_STATUSES, TaskStatus


def _today(request) -> dt.date:
    return timezone.localdate()


def _create_page(request, *, form_class, template: str, run, title: str, photo_label: str = ""):
    """GET shows the form; POST runs the action and redirects to the new record, or shows the form again with the
    action's message. ``photo_label``: the form takes photos too (the page's one file picker), under that label."""
    if not perms.can_create_source(request.user):
        from duban.core.errors import PermissionDenied

        raise PermissionDenied()
    form = form_class(request.POST or None)
    form.set_units(core_selectors.unit_list(viewer=request.user))
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            return redirect(run(form.cleaned_data))
        except (InvalidInput, Conflict) as exc:
            field = (exc.details or {}).get("field") if isinstance(exc.details, dict) else None
            if field in form.fields:  # the refusal of one field's value (a deadline already passed) at that field
                form.add_error(field, exc.message_zh)
            else:
                error = exc.message_zh
    return render(request, template, {"form": form, "error": error, "title": title, "photo_label": photo_label,
                                      "max_mb": settings.DUBAN_ATTACHMENT_MAX_BYTES // (1024 * 1024)})


def _registered(request, record) -> None:
    """The message after a record is registered: whether its task was assigned and, when it was, whom the 交办
    notice reached, as 交办 itself says it (``UnitsReach.sentence``: the people told, the units with nobody, 代收)."""
    reach = record.reach
    if reach is None:
        messages.success(request, "已登记，尚未交办（未通知任何单位）。")
    else:
        (messages.warning if reach.unreached else messages.success)(request, "已登记并交办。" + reach.sentence())


def _step(request, fn, back: str, **kw):
    return page_step(request, lambda: fn(actor=request.user, **kw), "已保存", back)


# --- overview ------------------------------------------------------------------------------------------------

@login_required
@require_GET
@page_errors
def sources_index(request):
    today = _today(request)
    return render(request, "sources/index.html", {
        "instructions": selectors.instruction_list(viewer=request.user)[:5],
        "cases": selectors.case_list(viewer=request.user)[:5],
        "projects": selectors.livelihood_rows(selectors.livelihood_list(viewer=request.user)[:5], today),
        "hazards": selectors.hazard_list(viewer=request.user)[:5],
        "can_create": perms.can_create_source(request.user),
    })


# --- instructions --------------------------------------------------------------------------------------------

@login_required
@require_GET
@page_errors
def instruction_list(request):
    return render(request, "sources/instruction_list.html", {
        "page": paginate(request, selectors.instruction_list(viewer=request.user)),
        "can_create": perms.can_create_source(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def instruction_new(request):
    def run(d):
        instruction = actions.instruction_create(
            actor=request.user, text=d["text"], leader=d["leader"], date=d["date"], doc_number=d["doc_number"],
            assign=d["assign"], tasks=[{"title": d["task_title"], "lead_unit_id": d["lead_unit_id"],
                                        "coop_unit_ids": d["coop_unit_ids"], "deadline": d["deadline"]}])
        _registered(request, instruction)
        return reverse("sources:instruction_detail", args=[instruction.pk])
    return _create_page(request, form_class=forms.InstructionForm, template="sources/form.html", run=run,
                        title="登记领导批示")


@login_required
@require_GET
@page_errors
def instruction_detail(request, instruction_id: int):
    instruction = selectors.instruction_get(viewer=request.user, instruction_id=instruction_id)
    form = None
    if perms.can_create_source(request.user):
        form = forms.InstructionTaskForm()
        form.set_units(core_selectors.unit_list(viewer=request.user))
    return render(request, "sources/instruction_detail.html", {"instruction": instruction, "form": form})


@login_required
@require_POST
@page_errors
def instruction_add_task(request, instruction_id: int):
    back = reverse("sources:instruction_detail", args=[instruction_id])
    form = forms.InstructionTaskForm(request.POST)
    form.set_units(core_selectors.unit_list(viewer=request.user))
    if not form.is_valid():
        messages.error(request, "请检查输入：" + "；".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(back)
    d = form.cleaned_data
    try:
        task = actions.instruction_add_task(
            actor=request.user, instruction_id=instruction_id, assign=d["assign"],
            task={"title": d["title"], "text": d["text"], "lead_unit_id": d["lead_unit_id"],
                  "coop_unit_ids": d["coop_unit_ids"], "deadline": d["deadline"]})
    except (Conflict, InvalidInput) as exc:
        messages.error(request, exc.message_zh)
    else:
        _registered(request, task)
    return redirect(back)


# --- inspection cases ----------------------------------------------------------------------------------------

@login_required
@require_GET
@page_errors
def case_list(request):
    return render(request, "sources/case_list.html", {
        "page": paginate(request, selectors.case_list(viewer=request.user, batch=request.GET.get("batch") or None)),
        "can_create": perms.can_create_source(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def case_new(request):
    def run(d):
        case = actions.case_create(actor=request.user, case_number=d["case_number"], complaint=d["complaint"],
                                   lead_unit_id=d["lead_unit_id"], coop_unit_ids=d["coop_unit_ids"],
                                   batch=d["batch"], inspection=d["inspection"], reply_due=d["reply_due"],
                                   assign=d["assign"])
        _registered(request, case)
        return reverse("sources:case_detail", args=[case.pk])
    return _create_page(request, form_class=forms.CaseForm, template="sources/form.html", run=run,
                        title="登记督察交办件")


@login_required
@require_GET
@page_errors
def case_detail(request, case_id: int):
    case = selectors.case_get(viewer=request.user, case_id=case_id)
    form = None
    if perms.can_record_case(request.user, case):
        form = forms.RectificationForm(initial={
            "version": case.version, "rectification": selectors.case_rectification_draft(case),
            "disclose": "" if case.disclose is None else "1" if case.disclose else "0"})
    return render(request, "sources/case_detail.html", {"case": case, "form": form})


@login_required
@require_POST
@page_errors
def case_rectification(request, case_id: int):
    back = reverse("sources:case_detail", args=[case_id])
    form = forms.RectificationForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写整改情况并选择是否公开")
        return redirect(back)
    d = form.cleaned_data
    return _step(request, actions.case_record_rectification, back, case_id=case_id, version=d["version"],
                 rectification=d["rectification"], disclose=d["disclose"])


# --- livelihood projects -------------------------------------------------------------------------------------

@login_required
@require_GET
@page_errors
def livelihood_list(request):
    today = _today(request)
    page = paginate(request, selectors.livelihood_list(viewer=request.user))
    rows = selectors.livelihood_rows(page.object_list, today)
    return render(request, "sources/livelihood_list.html", {
        "page": page, "rows": rows, "today": today, "can_create": perms.can_create_source(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def livelihood_new(request):
    def run(d):
        project = actions.livelihood_create(
            actor=request.user, title=d["title"], indicator=d["indicator"], target=d["target"],
            measure_unit=d["measure_unit"], period_start=d["period_start"], period_end=d["period_end"],
            lead_unit_id=d["lead_unit_id"], coop_unit_ids=d["coop_unit_ids"], assign=d["assign"])
        _registered(request, project)
        return reverse("sources:livelihood_detail", args=[project.pk])
    return _create_page(request, form_class=forms.LivelihoodForm, template="sources/form.html", run=run,
                        title="登记民生实事")


@login_required
@require_GET
@page_errors
def livelihood_detail(request, project_id: int):
    today = _today(request)
    project = selectors.livelihood_get(viewer=request.user, project_id=project_id)
    row = selectors.livelihood_row(project, today)
    chart = [{"month": actual.month.strftime("%Y-%m"), "value": float(actual.value), "cumulative": float(reached)}
             for actual, reached in selectors.livelihood_reached_by_month(project)]
    return render(request, "sources/livelihood_detail.html", {
        "row": row, "project": project, "today": today,
        "history": selectors.livelihood_history(viewer=request.user, project_id=project_id),
        "chart": {"target": float(project.target), "unit": project.measure_unit, "months": chart},
        "form": forms.ActualForm() if perms.can_record_livelihood(request.user, project) else None,
        # the office's way forward for a project short of its target: change the target, saying why
        "target_form": (forms.TargetForm(initial={"seen_target": project.target, "target": project.target})
                        if perms.can_create_source(request.user) and project.task.status in OPEN_STATUSES else None)})


@login_required
@require_POST
@page_errors
def livelihood_target(request, project_id: int):
    back = reverse("sources:livelihood_detail", args=[project_id])
    form = forms.TargetForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写新目标值和调整理由")
        return redirect(back)
    d = form.cleaned_data
    return page_step(request, lambda: actions.livelihood_target_change(
        actor=request.user, project_id=project_id, target=d["target"], seen_target=d["seen_target"],
        reason=d["reason"]),
        lambda p: (f"目标值已调整为{p.target.normalize():f}{p.measure_unit}，并已通知牵头单位。" if p.changed
                   else "目标值未变，无需调整。"), back)


@login_required
@require_POST
@page_errors
def livelihood_actual(request, project_id: int):
    back = reverse("sources:livelihood_detail", args=[project_id])
    form = forms.ActualForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写月份和完成值")
        return redirect(back)
    d = form.cleaned_data
    return _step(request, actions.livelihood_record_actual, back, project_id=project_id, month=d["month"],
                 value=d["value"], note=d["note"])


# --- hazards -------------------------------------------------------------------------------------------------

@login_required
@require_GET
@page_errors
def hazard_list(request):
    filters = {k: request.GET.get(k) or None for k in ("status", "category", "severity")}
    return render(request, "sources/hazard_list.html", {
        "page": paginate(request, selectors.hazard_list(viewer=request.user, **filters)), "filters": filters,
        "statuses": HazardStatus.choices, "categories": HazardCategory.choices, "severities": HazardSeverity.choices,
        "today": _today(request), "can_create": perms.can_create_source(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def hazard_new(request):
    def run(d):
        hazard = actions.hazard_create(
            actor=request.user, place=d["place"], category=d["category"], severity=d["severity"],
            description=d["description"], deadline=d["deadline"], responsible_person=d["responsible_person"],
            lead_unit_id=d["lead_unit_id"], coop_unit_ids=d["coop_unit_ids"], assign=d["assign"],
            files=_posted_files(request))
        _registered(request, hazard)
        return reverse("sources:hazard_detail", args=[hazard.pk])
    return _create_page(request, form_class=forms.HazardForm, template="sources/form.html", run=run,
                        title="登记安全隐患", photo_label="现场照片（发现隐患时拍摄）")


@login_required
@require_GET
@page_errors
def hazard_detail(request, hazard_id: int):
    hazard = selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)
    return render(request, "sources/hazard_detail.html", {
        "hazard": hazard, "steps": perms.hazard_next_steps(request.user, hazard),
        "attachments": selectors.attachment_list(viewer=request.user, hazard_id=hazard.pk),
        "can_attach": perms.can_attach(request.user, hazard.task),
        "files_progress": perms.rectification_files_progress(hazard),
        "max_mb": settings.DUBAN_ATTACHMENT_MAX_BYTES // (1024 * 1024), "today": _today(request)})


@login_required
@require_POST
@page_errors
def hazard_step(request, hazard_id: int, step: str):
    back = reverse("sources:hazard_detail", args=[hazard_id])
    form = forms.HazardStepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "页面已过期，请刷新后重试")
        return redirect(back)
    d = form.cleaned_data
    if step == "rectify":
        try:
            hazard = actions.hazard_rectify(actor=request.user, hazard_id=hazard_id, version=d["version"],
                                            rectification=d["text"], files=_posted_files(request),
                                            progress_percent=d["progress_percent"])
        except (Conflict, InvalidInput) as exc:
            messages.error(request, exc.message_zh)
            return redirect(back)
        done, not_filed = _rectified_messages(hazard)
        messages.success(request, done, extra_tags="draft-sent")
        if not_filed:
            messages.warning(request, not_filed)
        return redirect(back)
    if step == "review":
        passed = d["passed"] == "1"
        return page_step(request, lambda: actions.hazard_review(
            actor=request.user, hazard_id=hazard_id, version=d["version"], passed=passed, note=d["text"]),
            _reviewed_message if not passed else "复查通过，已通知整改责任单位；可以销号。", back)
    if step == "close":
        return page_step(request, lambda: actions.hazard_close(
            actor=request.user, hazard_id=hazard_id, version=d["version"]),
            "隐患已销号，督办事项随之办结，已通知整改责任单位。", back)
    raise Http404()


def _reviewed_message(hazard) -> str:
    """What the page says after 复查不通过: where the hazard went, who was told, and the report returned."""
    returned = "，这次整改报送的进展已退回" if hazard.returned_report_ids else ""
    return f"复查未通过：隐患退回待整改{returned}，已通知整改责任单位继续整改。"


def _rectified_messages(hazard) -> tuple[str, str]:
    """What the page says after 报送整改: done, and whether the rectification went to its task as progress too
    (when it did not, a warning saying why; else "")."""
    if hazard.progress_report is not None:
        if hazard.progress_report.entered_by_office:
            return "已报送整改，并已代录为牵头单位在督办事项上的进展。", ""
        return "已报送整改，并已同时作为督办事项的进展报送，等待督查室审核。", ""
    why = hazard.progress_refused[0]
    if hazard.task.status == TaskStatus.ASSIGNED:
        why += "（该事项尚未签收，签收后报送的整改才会同时作为进展报送）"
    return "已报送整改。", f"整改情况未作为督办事项的进展报送：{why}。如需报送进展，请到督办事项页面报送。"


def _posted_files(request) -> list[tuple[str, bytes]]:
    """The chosen files (name, bytes); the request's size was bounded before it was read
    (``duban.core.uploads``)."""
    return [(f.name, f.read()) for f in request.FILES.getlist("files") if f.size]


@login_required
@require_POST
@page_errors
def hazard_attach(request, hazard_id: int):
    """只上传照片: photos without a report. The button sits in the rectification's form, so a typed report is
    refused here, not dropped: the user is told to send it with 报送整改."""
    hazard = selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)
    back = reverse("sources:hazard_detail", args=[hazard_id])
    if (request.POST.get("text") or "").strip():
        messages.error(request, "您填写了整改情况：请点“报送整改”，照片随整改一并报送；只上传照片时请清空整改情况")
        return redirect(back)
    return page_step(request, lambda: actions.attachments_upload(
        actor=request.user, task_id=hazard.task_id, hazard_id=hazard.pk, files=_posted_files(request)),
        lambda rows: f"已上传{len(rows)}个文件", back)


@login_required
@require_GET
@page_errors
def attachment_download(request, attachment_id: int):
    """The file, only for a viewer who may see its task (404 otherwise, as for a missing one)."""
    attachment = selectors.attachment_get(viewer=request.user, attachment_id=attachment_id)
    return file_response(actions.attachment_storage_name(attachment), shown=attachment.original_name,
                         content_type=attachment.content_type,
                         inline=attachment.content_type.startswith("image/") and request.GET.get("download") != "1")


# --- search and phrases --------------------------------------------------------------------------------------

@login_required
@require_GET
@page_errors
def search_page(request):
    q = (request.GET.get("q") or "").strip()
    kind = request.GET.get("kind") or None
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    limit = 20 if kind else 10
    results = search_module.search(viewer=request.user, q=q, kinds=[kind] if kind else None, limit=limit,
                                   offset=(page - 1) * limit) if q else None
    return render(request, "sources/search.html", {"q": q, "kind": kind, "results": results, "page": page,
                                                   "limit": limit, "kinds": search_module.KIND_LABELS})


@login_required
@require_GET
@page_errors
def phrase_list(request):
    q = (request.GET.get("q") or "").strip()
    return render(request, "sources/phrase_list.html", {
        "page": paginate(request, selectors.phrase_list(viewer=request.user, q=q), per_page=100), "q": q})


@login_required
@require_GET
@page_errors
def phrase_detail(request, phrase_id: int):
    phrase, timeline = selectors.phrase_timeline(viewer=request.user, phrase_id=phrase_id)
    chart = [{"date": e.meeting.date.isoformat() if e.meeting.date else e.meeting.date_text,
              "title": e.meeting.title, "count": e.count} for e in timeline]
    return render(request, "sources/phrase_detail.html", {"phrase": phrase, "timeline": timeline, "chart": chart})
