"""Every read of instructions, cases, livelihood projects, hazards, attachments and phrases, starting from the
viewer's scoped queryset (``duban.sources.permissions``, built on ``duban.tasks.permissions``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from django.db.models import (Case, CharField, Count, IntegerField, Min, OuterRef, Prefetch, Q, QuerySet, Subquery,
                              Value, When)
from django.db.models.functions import Cast, Concat
from django.urls import reverse

from duban.core.errors import NotFound
from duban.followup.lights import Light, lights_for
from duban.sources import permissions as perms
from duban.sources.models import (Attachment, Hazard, InspectionCase, Instruction, InstructionTask, LivelihoodActual,
                                  LivelihoodProject, Phrase)
from duban.tasks import permissions as task_perms
from duban.tasks.models import ProgressReport, ReportStatus, Task, TaskKind
from duban.tasks.selectors import page_list_part

TASK_RELATED = ("task", "task__lead_unit", "task__latest_report")


def _first(qs: QuerySet, pk: int):
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


# --- instructions ------------------------------------------------------------------------------------------

def instruction_list(*, viewer) -> QuerySet[Instruction]:
    visible = task_perms.tasks_visible_to(viewer).select_related("lead_unit")
    links = InstructionTask.objects.filter(task__in=visible.values("pk")).select_related("task", "task__lead_unit")
    return (perms.instructions_visible_to(viewer).select_related("created_by")
            .prefetch_related(Prefetch("links", queryset=links, to_attr="visible_links")).order_by("-date", "-id"))


def instruction_get(*, viewer, instruction_id: int) -> Instruction:
    return _first(instruction_list(viewer=viewer), instruction_id)


# --- inspection cases ----------------------------------------------------------------------------------------

def case_list(*, viewer, batch: str | None = None) -> QuerySet[InspectionCase]:
    qs = perms.cases_visible_to(viewer).select_related(*TASK_RELATED)
    if batch:
        qs = qs.filter(batch=batch)
    return qs.order_by("-id")


def case_get(*, viewer, case_id: int) -> InspectionCase:
    return _first(case_list(viewer=viewer), case_id)


def case_rectification_draft(case: InspectionCase) -> str:
    """What the office's 整改情况 form starts from: the case's recorded report, or else the lead unit's latest
    progress text on the case's task (a returned one left out), so the clerk edits the unit's words rather than
    typing them again; "" when there is none."""
    if case.rectification:
        return case.rectification
    return (ProgressReport.objects.filter(task_id=case.task_id, unit_id=case.task.lead_unit_id)
            .exclude(status=ReportStatus.RETURNED).order_by("-id").values_list("text", flat=True).first() or "")


# --- livelihood projects ---------------------------------------------------------------------------------------

def current_actuals(project: LivelihoodProject) -> list[LivelihoodActual]:
    """The current figure of each month (its highest version), by month. Uses prefetched rows when present."""
    latest: dict[dt.date, LivelihoodActual] = {}
    for row in project.actuals.all():
        if row.month not in latest or row.version > latest[row.month].version:
            latest[row.month] = row
    return [latest[m] for m in sorted(latest)]


def livelihood_reached_by_month(project: LivelihoodProject) -> list[tuple[LivelihoodActual, Decimal]]:
    """Each month's current figure with what the project had reached by that month: the month's figure for a level
    target (a rate), the sum of the months so far for a count target."""
    reached, months = Decimal("0"), []
    for row in current_actuals(project):
        reached = row.value if project.is_level else reached + row.value
        months.append((row, reached))
    return months


def livelihood_cumulative(project: LivelihoodProject) -> Decimal:
    """What the project has reached (``livelihood_reached_by_month`` at its latest month)."""
    months = livelihood_reached_by_month(project)
    return months[-1][1] if months else Decimal("0")


def livelihood_progress(project: LivelihoodProject) -> float:
    """Reached / target, as a fraction (1.0 = target met; may exceed 1)."""
    return float(livelihood_cumulative(project) / project.target) if project.target else 0.0


# A hazard's task is closed by the hazard's 销号 (``hazard_close``): a close request on it could never be approved.
HAZARD_CLOSES_BY_STRIKE_OFF = ("隐患事项随隐患销号办结：请先完成整改、复查并销号",
                               "a hazard task closes when the hazard is struck off the ledger after rectification "
                               "and review")


def livelihood_short_of_target(project: LivelihoodProject | None) -> tuple[str, str] | None:
    """The one rule for closing a livelihood project's task: its target is met (``livelihood_progress`` at least 1).
    None when it is; else why not, in Chinese and English, with the figures. Asked when the lead unit applies to
    close (申请办结), when the office signs the close off (the figures may have been corrected since), and by the
    task page's form before the request is sent."""
    if project is None:
        return ("民生实事须达到目标值才能办结", "a livelihood project closes only once its target is met")
    if livelihood_progress(project) >= 1:
        return None
    unit, reached = project.measure_unit, livelihood_cumulative(project)
    return (f"民生实事须达到目标值才能办结：目标{project.target.normalize():f}{unit}，目前累计完成"
            f"{reached.normalize():f}{unit}（{livelihood_shown_percent(project, reached)}%）",
            f"a livelihood project closes only once its target is met: target {project.target.normalize():f}, "
            f"reached {reached.normalize():f}")


def livelihood_shown_percent(project: LivelihoodProject, cumulative: Decimal | None = None) -> int:
    """Reached / target in whole percent, rounded down (90 of 95 is 94%, never shown as the 95% that looks met);
    may exceed 100. The one rounding of a project's percent: its pages show it, its task's percent is it capped."""
    if not project.target:
        return 0
    cumulative = livelihood_cumulative(project) if cumulative is None else cumulative
    return int((cumulative * 100 / project.target).to_integral_value(rounding=ROUND_FLOOR))


def livelihood_percent(project: LivelihoodProject) -> int:
    """The project's progress as its task's percent (0–100), which drives the task's light."""
    return max(0, min(100, livelihood_shown_percent(project)))


def elapsed_share(project: LivelihoodProject, today: dt.date) -> float:
    """The share of the project's period that has passed by the end of ``today``, between 0 and 1."""
    days = (project.period_end - project.period_start).days + 1
    passed = (today - project.period_start).days + 1
    return min(1.0, max(0.0, passed / days))


@dataclass(frozen=True)
class LivelihoodRow:
    project: LivelihoodProject
    cumulative: Decimal
    progress: float
    percent: int  # ``livelihood_shown_percent``
    elapsed: float
    light: Light
    months: list


def livelihood_rows(projects, today: dt.date) -> list[LivelihoodRow]:
    """Projects with their figures; a project's light is its task's light as every page shows it (one rule for
    every task: a task split into sub-tasks is lit by its roll-up, ``lights_for``), which follows the project's
    progress because recording a figure sets the task's percent. One query for the sub-tasks of the split ones
    among them, none when none is split."""
    projects = list(projects)
    lights = lights_for([p.task for p in projects], today)
    rows = []
    for p in projects:
        cumulative = livelihood_cumulative(p)
        rows.append(LivelihoodRow(project=p, cumulative=cumulative, progress=livelihood_progress(p),
                                  percent=livelihood_shown_percent(p, cumulative), elapsed=elapsed_share(p, today),
                                  light=lights[p.task_id], months=current_actuals(p)))
    return rows


def livelihood_row(project: LivelihoodProject, today: dt.date) -> LivelihoodRow:
    """One project's ``livelihood_rows``."""
    return livelihood_rows([project], today)[0]


def livelihood_list(*, viewer) -> QuerySet[LivelihoodProject]:
    return (perms.livelihood_visible_to(viewer).select_related(*TASK_RELATED)
            .prefetch_related(Prefetch("actuals", queryset=LivelihoodActual.objects.order_by("month", "version")))
            .order_by("-period_start", "-id"))


def livelihood_get(*, viewer, project_id: int) -> LivelihoodProject:
    return _first(livelihood_list(viewer=viewer), project_id)


def livelihood_history(*, viewer, project_id: int) -> QuerySet[LivelihoodActual]:
    """Every version of every month (corrections included), for the project's history table."""
    project = livelihood_get(viewer=viewer, project_id=project_id)
    return project.actuals.select_related("recorded_by").order_by("month", "version")


# --- hazards -------------------------------------------------------------------------------------------------

def hazard_list(*, viewer, status: str | None = None, category: str | None = None,
                severity: str | None = None) -> QuerySet[Hazard]:
    qs = perms.hazards_visible_to(viewer).select_related(*TASK_RELATED)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if severity:
        qs = qs.filter(severity=severity)
    # by the 整改期限 in force, its task's 时限 (``Hazard.current_deadline``)
    return qs.order_by("status", "task__deadline", "-id")


def hazard_get(*, viewer, hazard_id: int) -> Hazard:
    return _first(hazard_list(viewer=viewer), hazard_id)


# --- attachments -----------------------------------------------------------------------------------------------

def attachment_list(*, viewer, task_id: int | None = None, hazard_id: int | None = None) -> QuerySet[Attachment]:
    qs = perms.attachments_visible_to(viewer)
    if task_id is not None:
        qs = qs.filter(task_id=task_id)
    if hazard_id is not None:
        qs = qs.filter(hazard_id=hazard_id)
    return qs.select_related("uploaded_by__profile").order_by("id")


def attachment_get(*, viewer, attachment_id: int) -> Attachment:
    """``NotFound`` alike for a missing attachment and one whose task the viewer may not see."""
    return _first(perms.attachments_visible_to(viewer), attachment_id)


# --- phrases -------------------------------------------------------------------------------------------------

def phrase_list(*, viewer, q: str = "") -> QuerySet[Phrase]:
    """Phrases quoted in meetings the viewer may see, with the number of quotations and of meetings."""
    occurrences = perms.occurrences_visible_to(viewer)
    qs = Phrase.objects.filter(pk__in=occurrences.values("phrase_id"))
    if q:
        qs = qs.filter(text__icontains=q.strip())
    return (qs.annotate(uses=Count("occurrences", filter=_occ_filter(occurrences), distinct=True),
                        meetings=Count("occurrences__meeting", filter=_occ_filter(occurrences), distinct=True),
                        first_id=Min("occurrences__meeting_id"))
            .order_by("-meetings", "-uses", "text"))


def _occ_filter(occurrences):
    from django.db.models import Q

    return Q(occurrences__in=occurrences.values("pk"))


@dataclass(frozen=True)
class PhraseTimelineEntry:
    meeting: object
    count: int
    tasks: list[Task]
    snippets: list[tuple[str, str, str]]


def phrase_get(*, viewer, phrase_id: int) -> Phrase:
    return _first(phrase_list(viewer=viewer), phrase_id)


def phrase_timeline(*, viewer, phrase_id: int) -> tuple[Phrase, list[PhraseTimelineEntry]]:
    """The phrase's quotations grouped by meeting in meeting-date order, with the tasks (visible to the viewer)
    whose text carries it and a few words of context for each quotation."""
    phrase = phrase_get(viewer=viewer, phrase_id=phrase_id)
    visible_tasks = task_perms.tasks_visible_to(viewer).values("pk")
    occurrences = list(perms.occurrences_visible_to(viewer).filter(phrase=phrase)
                       .select_related("meeting")
                       .prefetch_related(Prefetch("task", queryset=Task.objects.filter(pk__in=visible_tasks)
                                                  .select_related("lead_unit")))
                       .order_by("meeting__date", "meeting_id", "start"))
    entries: dict[int, dict] = {}
    for occ in occurrences:
        entry = entries.setdefault(occ.meeting_id, {"meeting": occ.meeting, "count": 0, "tasks": {},
                                                     "snippets": []})
        entry["count"] += 1
        if occ.task is not None:  # prefetched from the viewer's tasks only: None when out of scope
            entry["tasks"][occ.task_id] = occ.task
        text = occ.meeting.source_text
        if len(entry["snippets"]) < 3:
            entry["snippets"].append((text[max(0, occ.start - 30):occ.start], text[occ.start:occ.end],
                                      text[occ.end:occ.end + 30]))
    timeline = [PhraseTimelineEntry(meeting=e["meeting"], count=e["count"], tasks=list(e["tasks"].values()),
                                    snippets=e["snippets"]) for e in entries.values()]
    timeline.sort(key=lambda e: (e.meeting.date is None, e.meeting.date or dt.date.min, e.meeting.pk))
    return phrase, timeline


# --- the task page's 来源 (``duban.tasks.page_parts``) -----------------------------------------------------------

@dataclass(frozen=True)
class _SourceRecord:
    """Where the record of a kind of task is found (``model`` by its ``task``, ``columns`` of ``page_list_part``),
    its page, and its label from the row read."""

    model: type
    columns: dict
    page: str
    label: Callable


_SOURCE_RECORDS = {
    TaskKind.INSTRUCTION: _SourceRecord(
        InstructionTask, {"id": "instruction_id", "day": "instruction__date", "text": "instruction__leader"},
        "sources:instruction_detail", lambda row: f"{row.text}批示 {row.day:%Y-%m-%d}" if row.day else f"{row.text}批示"),
    # n: 1 once the case's 整改情况 and 是否公开 are recorded (``InspectionCase.ready_to_close``), which its task
    # needs to close: until then the link says so and opens the case's form (``task_source_link``)
    TaskKind.INSPECTION: _SourceRecord(
        InspectionCase, {"id": "id", "text": "case_number", "text2": "batch",
                         "n": Case(When(~Q(rectification="") & Q(disclose__isnull=False), then=Value(1)),
                                   default=Value(0), output_field=IntegerField())},
        "sources:case_detail",
        lambda row: (f"{row.text2} {row.text}" if row.text2 else row.text) + ("" if row.n else CASE_NOT_RECORDED)),
    TaskKind.LIVELIHOOD: _SourceRecord(
        LivelihoodProject, {"id": "id", "text": "indicator", "day": "period_start", "day2": "period_end"},
        "sources:livelihood_detail", lambda row: f"{row.text}（{row.day:%Y-%m-%d} 至 {row.day2:%Y-%m-%d}）"),
    TaskKind.HAZARD: _SourceRecord(Hazard, {"id": "id", "text": "place"}, "sources:hazard_detail",
                                   lambda row: row.text),
}
# A case's task closes only once its 整改情况 and 是否公开 are recorded, on the case's page (its form's anchor).
CASE_NOT_RECORDED = "（须先登记整改情况和是否公开，才能办结）"
CASE_FORM_ANCHOR = "rectification-form"
# The page puts the kind before the label (督察交办件：…, 隐患整改：…): a label does not name the kind again.


def task_source_parts(*, task: Task) -> dict:
    """The list of a task page that finds the record ``task`` came from, one row: its id and what names it (a
    leader instruction's leader and date, a case's number, a hazard's place). Nothing for other kinds."""
    record = _SOURCE_RECORDS.get(task.kind)
    if record is None:
        return {}
    return {"source": page_list_part(record.model.objects.filter(task_id=task.pk), **record.columns)}


def task_source_link(*, task: Task, lists: dict) -> tuple[str, str] | None:
    """(label, address) of the record ``task`` came from, from the row ``task_source_parts`` read; the record is
    visible to whoever sees its task (the sources' scope is their tasks')."""
    record, rows = _SOURCE_RECORDS.get(task.kind), lists.get("source")
    if record is None or not rows:
        return None
    address = reverse(record.page, args=[rows[0].id])
    if task.kind == TaskKind.INSPECTION and not rows[0].n:
        address += "#" + CASE_FORM_ANCHOR
    return record.label(rows[0]), address


def task_close_note(*, task: Task) -> str:
    """What the lead unit's 申请办结 form says before the request is sent: the refusal the request would get from
    the task's own record (``livelihood_short_of_target``, the rule ``check_can_close_in_txn`` asks), "" for a
    project that met its target and for other kinds (no query for those); a hazard's task closes by its 销号."""
    if task.kind == TaskKind.HAZARD:
        return f"{HAZARD_CLOSES_BY_STRIKE_OFF[0]}，不必申请办结。"
    if task.kind != TaskKind.LIVELIHOOD:
        return ""
    refusal = livelihood_short_of_target(LivelihoodProject.objects.filter(task_id=task.pk)
                                         .prefetch_related("actuals").first())
    return f"{refusal[0]}，暂不能申请办结。" if refusal else ""


# --- the ledger's 来源会议/文号 (``duban.reports.selectors.ledger_lines``) ---------------------------------------

_SEP = "\x1f"  # between the parts of a record's name read in one column (no name holds a control character)


def _parts(*parts):
    """``parts`` as one text column, ``_SEP`` between them (NULL-safe: ``Concat`` coalesces)."""
    out = []
    for part in parts:
        out += [part, Value(_SEP)]
    return Concat(*out, output_field=CharField())  # the last separator keeps one part a Concat of two


# Each kind's record by its task, and the parts that name it in a ledger: the 文号 of a leader's instruction (or
# the leader and the day when it has none), a case's number, a project's indicator, a hazard's place.
_SOURCE_NAME_PARTS = {
    TaskKind.INSTRUCTION: (InstructionTask, lambda: _parts("instruction__doc_number", "instruction__leader",
                                                           Cast("instruction__date", CharField()))),
    TaskKind.INSPECTION: (InspectionCase, lambda: _parts("case_number")),
    TaskKind.LIVELIHOOD: (LivelihoodProject, lambda: _parts("indicator")),
    TaskKind.HAZARD: (Hazard, lambda: _parts("place")),
}


def task_source_name_column():
    """An expression to annotate a task queryset with: the parts naming the record each task of another source
    came from (one indexed lookup a row, for its kind only; NULL for a meeting's task). ``task_source_name`` words
    it. Read with the tasks, so an export takes no statement more for it."""
    return Case(*(When(kind=kind, then=Subquery(model.objects.filter(task_id=OuterRef("pk"))
                                                 .annotate(source_name=parts()).values("source_name")[:1]))
                  for kind, (model, parts) in _SOURCE_NAME_PARTS.items()),
                default=Value(None), output_field=CharField())


def task_source_name(kind: str, column: str | None) -> str | None:
    """"kind：what names its record" from the column ``task_source_name_column`` read (领导批示：江督批〔2026〕3号
    （张伟）, 领导批示：张伟 2026-11-02, 督察交办件：SD2-031, 民生实事：…, 隐患整改：…), None without a record."""
    if not column or kind not in _SOURCE_NAME_PARTS:
        return None
    parts = column.split(_SEP)
    if kind == TaskKind.INSTRUCTION:
        number, leader, day = (parts + ["", "", ""])[:3]
        name = f"{number}（{leader}）" if number else " ".join(p for p in (leader, day[:10]) if p)
    else:
        name = parts[0]
    return f"{TaskKind(kind).label}：{name}"


def _decimal(value) -> str:
    return f"{value.normalize():f}"


def task_source_facts(task_ids) -> dict[int, dict]:
    """The key facts of the records tasks came from, by task id, as a source's own sheet of the ledger shows them
    after the ledger's columns (``duban.tasks.page_parts.source_facts``): a 民生实事's 目标值 and 累计完成 (``livelihood_cumulative``, what its page shows); a
    隐患's 类别, 等级, 状态 and 责任人; a 督察交办件's 督察组, 批次, 要求回复日期, 整改情况 and 是否公开. Three
    queries (four with the projects' monthly figures), for the kinds present."""
    ids = list(task_ids)
    facts: dict[int, dict] = {}
    for project in (LivelihoodProject.objects.filter(task_id__in=ids).prefetch_related(
            Prefetch("actuals", queryset=LivelihoodActual.objects.order_by("month", "version")))):
        unit = project.measure_unit
        facts[project.task_id] = {"目标值": f"{_decimal(project.target)}{unit}",
                                  "累计完成": f"{_decimal(livelihood_cumulative(project))}{unit}"}
    for hazard in Hazard.objects.filter(task_id__in=ids):
        facts[hazard.task_id] = {"隐患类别": hazard.get_category_display(), "隐患等级": hazard.get_severity_display(),
                                 "隐患状态": hazard.get_status_display(), "责任人": hazard.responsible_person}
    for case in InspectionCase.objects.filter(task_id__in=ids):
        facts[case.task_id] = {"督察组": case.inspection, "批次": case.batch, "要求回复日期": case.reply_due,
                               "整改情况": case.rectification,
                               "是否公开": {True: "是", False: "否"}.get(case.disclose, "未定")}
    return facts
