"""Pages of reporting: thin handlers that parse, call one selector or action, and render or download."""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils.html import json_script
from django.utils.http import content_disposition_header, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from duban.core import actions as core_actions
from duban.core import permissions as perms
from duban.core import selectors as core_selectors
from duban.core.rules import check_id
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.views import numbers_are_plain, page_errors, select_options, template_text
from duban.reports import actions, selectors, tables
from duban.core import cache as stats_cache
from duban.reports import permissions as report_perms
from duban.reports.ical import deadlines_ics
from duban.tasks.selectors import today_local

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response.headers["Content-Disposition"] = content_disposition_header(True, filename)
    response.headers["Cache-Control"] = "no-store"
    return response


def _cells(values, tag: str, plain_numbers: bool = False) -> str:
    """One table row's cells as ``_chart_table.html`` used to write them in template loops (each value localized
    and escaped as ``{{ v }}`` does; every column but the first right-aligned)."""
    return "".join(f"<{tag}>{template_text(v, plain_numbers)}</{tag}>" if i == 0 else
                   f'<{tag} class="text-end">{template_text(v, plain_numbers)}</{tag}>'
                   for i, v in enumerate(values))


def _chart(key: str, title: str, data, query: str, plain_numbers: bool = False) -> dict:
    header, rows = tables.chart_table(data, key)
    if rows:
        body = "".join(f"<tr>{_cells(row, 'td', plain_numbers)}</tr>\n      " for row in rows)
    else:
        body = f'<tr><td colspan="{len(header)}" class="text-muted">暂无数据</td></tr>'
    return {"key": key, "title": title,
            "csv": reverse("reports:chart_csv", args=[key]) + (f"?{query}" if query else ""),
            "head": mark_safe(_cells(header, "th")), "body": mark_safe(body)}  # escaped in _cells


def _meeting_label(date, title: str) -> str:
    """``{{ date|date:"Y-m-d" }} {{ title|truncatechars:30 }}`` of a meeting filter option, the filters skipped
    for what they would not change: an ISO date, a short title already in NFC (``truncatechars`` normalizes)."""
    if len(title) > 30 or not unicodedata.is_normalized("NFC", title):
        title = truncatechars(title, 30)
    return f"{date_filter(date, 'Y-m-d') if date is None or date.year < 1000 else date.isoformat()} {title}"


def dashboard_page(*, viewer, filters, today) -> dict:
    """What the page shows that depends on the data, as plain values and ready-made HTML: what the cache holds.
    Caching the selectors' results instead (1,200 model instances, and 3,700 table cells rendered by template
    loops on every view) cost 0.1-0.2 s a cached view at 100k tasks; this unpickles a few strings."""
    data = selectors.dashboard_stats(viewer=viewer, filters=filters, today=today)
    options = selectors.filter_option_values(viewer=viewer, subtree_id=filters.subtree_id)
    subtrees = selectors.subtree_choices(viewer=viewer)
    query = urlencode(filters.query())
    plain = numbers_are_plain()
    return {
        "data": {"total": data.total, "closed": data.closed, "overdue": data.overdue,
                 "completion_rate": data.completion_rate, "week_from": data.week_from, "week_to": data.week_to,
                 "scope": data.scope},
        "options": {
            "meetings": select_options(((pk, _meeting_label(date, title)) for pk, title, date in options.meetings),
                                       filters.meeting_id),
            "areas": select_options(options.areas, filters.area_id),
            "units": select_options(options.units, filters.unit_id),
            "subtrees": select_options(subtrees, filters.subtree_id) if subtrees else ""},
        "charts": {key: _chart(key, title, data, query, plain) for key, title in tables.CHARTS.items()},
        "chart_json": json_script(data.charts(), "reports-data"),
    }


@login_required
@require_GET
@page_errors
def dashboard(request):
    filters = selectors.dashboard_filters(request.GET)
    today = today_local()
    # Cached under the audit chain's head (never stale: see duban/core/cache.py).
    page = stats_cache.cached("reports-dashboard", request.user, (filters,), today,
                              lambda: dashboard_page(viewer=request.user, filters=filters, today=today))
    return render(request, "reports/dashboard.html", {"filters": filters, **page})


@login_required
@require_GET
@page_errors
def chart_csv(request, chart: str):
    filters = selectors.dashboard_filters(request.GET)
    data = selectors.dashboard_stats(viewer=request.user, filters=filters, overdue_limit=100_000)
    header, rows = tables.chart_table(data, chart)
    return download(tables.to_csv(header, rows), f"{tables.CHARTS[chart]}-{data.today.isoformat()}.csv",
                    "text/csv; charset=utf-8")


@login_required
@require_GET
@page_errors
def ranking(request):
    date_from, date_to, meeting_id = selectors.ranking_period(request.GET)
    subtree = selectors.subtree_get(viewer=request.user, unit_id=selectors.subtree_param(request.GET))
    # the rules that scored the open tasks, which the page's rule line states
    rules = selectors.score_rules_in_force(day=selectors.ranking_cutoff(date_to, selectors.today_local()))
    rows = selectors.unit_ranking(viewer=request.user, date_from=date_from, date_to=date_to, meeting_id=meeting_id,
                                  subtree=subtree, rules=rules)
    scope = {"subtree": subtree.unit_id} if subtree else {}
    query = urlencode({"from": date_from.isoformat(), "to": date_to.isoformat(),
                       **({"meeting": meeting_id} if meeting_id else {}), **scope})
    return render(request, "reports/ranking.html", {
        "rows": rows, "date_from": date_from, "date_to": date_to, "meeting_id": meeting_id, "query": query,
        "options": selectors.filter_options(viewer=request.user), "header": tables.RANKING_PAGE_HEADER,
        "subtree": subtree, "circular_query": urlencode(scope),
        "subtrees": select_options(selectors.subtree_choices(viewer=request.user),
                                   subtree.unit_id if subtree else None),
        "can_circular": report_perms.can_export_briefing(request.user, subtree.unit_ids if subtree else ()),
        "rules": rules, "can_set_rules": report_perms.can_set_score_rules(request.user),
    })


@login_required
@require_GET
@page_errors
def ranking_export(request, fmt: str):
    date_from, date_to, meeting_id = selectors.ranking_period(request.GET)
    subtree = selectors.subtree_get(viewer=request.user, unit_id=selectors.subtree_param(request.GET))
    rows = tables.ranking_rows(selectors.unit_ranking(viewer=request.user, date_from=date_from, date_to=date_to,
                                                      meeting_id=meeting_id, subtree=subtree))
    name = f"单位考评排名-{date_from.isoformat()}至{date_to.isoformat()}"
    if fmt == "csv":
        return download(tables.to_csv(tables.RANKING_HEADER, rows), f"{name}.csv", "text/csv; charset=utf-8")
    content = tables.to_xlsx(name, tables.RANKING_HEADER, rows, widths=[6, 24, 8, 10, 10, 14, 10, 12, 10, 8, 8, 8])
    return download(content, f"{name}.xlsx", XLSX)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def briefing(request, meeting_id: int, fmt: str):
    """GET: the preview (草稿, no number taken); POST: 正式生成, which takes the 发文字号 (the subtree, if any, in
    the query string either way)."""
    issue = request.method == "POST"
    subtree_id = selectors.subtree_param(request.GET)
    today = today_local()
    content = actions.briefing_export(actor=request.user, meeting_id=int(meeting_id), fmt=fmt, today=today,
                                      subtree_id=subtree_id, issue=issue)
    return download(content, selectors.briefing_file_name(viewer=request.user, meeting_id=int(meeting_id), fmt=fmt,
                                                          today=today, subtree_id=subtree_id, issued=issue),
                    DOCX if fmt == "docx" else "application/pdf")


@login_required
@require_GET
@page_errors
def circular(request, fmt: str):
    content = actions.circular_export(actor=request.user, fmt=fmt, subtree_id=selectors.subtree_param(request.GET))
    return download(content, f"督查通报.{fmt}", DOCX if fmt == "docx" else "application/pdf")


@login_required
@require_GET
@page_errors
def ledger_export(request):
    """The /tasks/ list as an .xlsx ledger: link here with the list's own query string (``sheets=meeting`` for
    one sheet per meeting)."""
    filters = selectors.task_list_filters(request.GET)
    per_meeting = request.GET.get("sheets") == "meeting"
    today = today_local()
    content = actions.ledger_export(actor=request.user, filters=filters, per_meeting=per_meeting, today=today)
    return download(content, selectors.ledger_file_name(viewer=request.user, per_meeting=per_meeting, today=today,
                                                        **filters), XLSX)


class LedgerImportForm(forms.Form):
    file = forms.FileField(label="台账文件（.xlsx）", required=False)
    assign = forms.BooleanField(label="导入后立即交办", required=False)


def _carried(data: bytes) -> str:
    """The checked file as the preview page carries it to 确认导入 (base64 in a hidden field, as the people and
    units imports do), or "" when that would exceed the request size Django accepts: then the page asks for the
    file again, and the plan of the preview still guards what is applied."""
    import base64

    from django.conf import settings

    encoded = base64.b64encode(data).decode()
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return encoded if limit is None or len(encoded) + 64 * 1024 <= limit else ""


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def ledger_import(request):
    """Two steps: 检查 (a dry run that previews what the file will do) and 确认导入 from the preview, which applies
    the same file only while it still does what the preview showed (``plan``)."""
    import base64
    import binascii

    if not report_perms.can_import_ledger(request.user):
        raise PermissionDenied()
    form = LedgerImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "result": None, "error": None, "preview": False}
    apply = request.POST.get("do") == "apply"
    if request.method == "POST" and form.is_valid() and not apply and not form.cleaned_data["file"]:
        form.add_error("file", "请选择台账文件（.xlsx）")
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = upload.read() if upload else base64.b64decode(request.POST.get("data", ""), validate=True)
        except binascii.Error:
            data = b""
        filename = upload.name if upload else request.POST.get("filename", "")
        assign = form.cleaned_data["assign"]
        try:
            if not data:
                raise InvalidInput("请选择台账文件（.xlsx）", "choose an .xlsx file")
            if apply and not request.POST.get("plan"):
                raise InvalidInput("请先检查台账，确认预览无误后再导入", "check the file first, then confirm")
            result = actions.ledger_import(actor=request.user, data=data, filename=filename, assign=assign,
                                           dry_run=not apply, plan=request.POST.get("plan") if apply else None)
            context.update(result=result, preview=not apply, filename=filename, assign=assign,
                           data=_carried(data) if not apply and not result.noop else "")
        except (InvalidInput, Conflict) as exc:
            context["error"] = exc
    status = 409 if isinstance(context["error"], Conflict) else 422 if context["error"] else 200
    return render(request, "reports/ledger_import.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def calendar(request):
    new = actions.calendar_token_rotate(actor=request.user) if request.method == "POST" else None
    row = selectors.calendar_token_for(viewer=request.user)
    # only the token's hash is kept: its URL can be shown right after it is made, never again
    url = request.build_absolute_uri(reverse("reports:ical", args=[new.plain_token])) if new else ""
    return render(request, "reports/calendar.html", {"row": row, "url": url})


@require_GET
def ical_feed(request, token: str):
    """No session: calendar apps fetch the feed with the secret URL alone. A wrong token is a plain 404."""
    try:
        row = selectors.calendar_token_get(token=token)
    except NotFound:
        raise Http404() from None
    tasks = selectors.deadline_feed(viewer=row.user)
    response = HttpResponse(deadlines_ics(tasks, domain=request.get_host().split(":")[0] or "duban"),
                            content_type="text/calendar; charset=utf-8")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# --- evaluation rules and manual 加减分 --------------------------------------------------------------------------

def _date(raw, label_zh: str, key: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat((raw or "").strip())
    except ValueError:
        raise InvalidInput(f"{label_zh}格式应为 YYYY-MM-DD", f"{key} must be YYYY-MM-DD") from None


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def score_rules(request):
    """The 考评规则 page: the rules in force, their versions, the manual 加减分, and the forms that change them."""
    from django.contrib import messages
    from django.shortcuts import redirect

    from duban.reports.scoring import RULE_FIELDS, RULE_LABELS

    if request.method == "POST":
        try:
            row = actions.score_rules_set(actor=request.user,
                                          effective_from=_date(request.POST.get("effective_from"), "生效日期",
                                                               "effective_from"),
                                          values={k: request.POST.get(k) for k in RULE_FIELDS},
                                          note=request.POST.get("note", ""))
            messages.success(request, f"已保存新规则，自 {row.effective_from:%Y-%m-%d} 起办结的事项按此计分。")
        except InvalidInput as exc:
            messages.error(request, exc.message)
        return redirect("reports:score_rules")
    rules = selectors.score_rules_in_force()
    return render(request, "reports/score_rules.html", {
        "rules": rules, "fields": [(k, RULE_LABELS[k], getattr(rules, k)) for k in RULE_FIELDS],
        "versions": selectors.score_rule_versions(viewer=request.user),
        "adjustments": selectors.score_adjustment_list(viewer=request.user),
        "can_set": report_perms.can_set_score_rules(request.user), "today": today_local(),
        "units": selectors.filter_options(viewer=request.user).units,
    })


@login_required
@require_http_methods(["POST"])
@page_errors
def score_adjust(request):
    from django.contrib import messages
    from django.shortcuts import redirect

    try:
        unit_id = check_id((request.POST.get("unit_id") or "").strip(), label_zh="单位", label_en="unit")
        if unit_id is None:
            raise InvalidInput("请选择单位", "choose a unit")
        task_id = check_id((request.POST.get("task_id") or "").strip(), label_zh="事项编号", label_en="task id")
        actions.score_adjust(actor=request.user, unit_id=unit_id, task_id=task_id, points=request.POST.get("points", ""),
                             reason=request.POST.get("reason", ""),
                             on=_date(request.POST.get("on"), "计入日期", "on"))
        messages.success(request, "已记录加减分。")
    except InvalidInput as exc:
        messages.error(request, exc.message)
    return redirect("reports:score_rules")


# --- how the documents name the office --------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def document_settings(request):
    """公文设置: the system administrator sets the 发文机关, 代字, 红头, 主送, 抄送 and 印发机关 of the briefing and the
    督查通报."""
    from django.contrib import messages
    from django.shortcuts import redirect

    if not perms.can_set_document_settings(request.user):
        raise PermissionDenied()
    error = None
    if request.method == "POST":
        try:
            core_actions.document_settings_set(actor=request.user,
                                          values={k: request.POST.get(k, "") for k in core_actions.DOCUMENT_SETTING_FIELDS},
                                          red_header=request.POST.get("red_header") == "on")
            messages.success(request, "已保存公文设置，此后生成的通报和督查通报按此署名。")
            return redirect("reports:document_settings")
        except InvalidInput as exc:
            error = exc
    head = core_selectors.letterhead()
    values = ({k: request.POST.get(k, "") for k in core_actions.DOCUMENT_SETTING_FIELDS} if error else
              {"issuer": head.issuer, "number_code": head.number_code, "addressee": head.addressee, "cc": head.cc,
               "printed_by": "" if head.printed_by == head.issuer else head.printed_by})
    red = (request.POST.get("red_header") == "on") if error else head.red_header
    fields = [(k, label, limit, required, values[k]) for k, (label, limit, required)
              in core_actions.DOCUMENT_SETTING_FIELDS.items()]
    return render(request, "reports/document_settings.html", {
        "fields": fields, "red_header": red, "error": error, "sample": head.number(today_local().year, 1),
        "versions": core_selectors.document_settings_versions(viewer=request.user)}, status=422 if error else 200)
