"""JSON API of instructions, inspection cases, livelihood projects, hazards, attachments, search and phrases,
mounted under /api/v1 by duban.api. Same selectors and actions as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from duban.core.params import BoundedPagination
from duban.core import rules
from duban.sources import actions, search as search_module, selectors

router = Router()


class TaskSpecIn(Schema):
    title: str = ""
    text: str = ""
    lead_unit_id: int
    coop_unit_ids: list[int] = []
    deadline: dt.date | None = None


class TaskRefOut(Schema):
    id: int
    title: str
    status: str
    lead_unit_id: int | None
    deadline: dt.date | None


class InstructionIn(Schema):
    text: str
    leader: str
    date: dt.date
    doc_number: str = ""
    tasks: list[TaskSpecIn]
    assign: bool = False


class InstructionTaskIn(Schema):
    task: TaskSpecIn
    assign: bool = False


class InstructionOut(Schema):
    id: int
    text: str
    leader: str
    date: dt.date
    doc_number: str
    tasks: list[TaskRefOut]

    @staticmethod
    def resolve_tasks(obj) -> list:
        return [link.task for link in obj.visible_links]


class CaseIn(Schema):
    case_number: str
    complaint: str
    lead_unit_id: int
    coop_unit_ids: list[int] = []
    batch: str = ""
    inspection: str = ""
    reply_due: dt.date | None = None
    title: str = ""
    assign: bool = False


class RectificationIn(Schema):
    version: int
    rectification: str
    disclose: bool


class CaseOut(Schema):
    id: int
    case_number: str
    inspection: str
    batch: str
    complaint: str
    reply_due: dt.date | None
    rectification: str
    disclose: bool | None
    ready_to_close: bool
    version: int
    task: TaskRefOut


class LivelihoodIn(Schema):
    title: str
    indicator: str
    target: Decimal
    measure_unit: str
    lead_unit_id: int
    period_start: dt.date
    period_end: dt.date
    text: str = ""
    coop_unit_ids: list[int] = []
    assign: bool = False


class ActualIn(Schema):
    month: dt.date
    value: Decimal
    note: str = ""


class ActualOut(Schema):
    month: dt.date
    value: Decimal
    version: int
    note: str


class LivelihoodOut(Schema):
    """A project with its figures (``selectors.livelihood_row``) as of today; its light is its task's light
    as every page shows it (a split task's rolled up from its sub-tasks)."""
    id: int
    indicator: str
    target: Decimal
    measure_unit: str
    period_start: dt.date
    period_end: dt.date
    cumulative: Decimal
    progress: float
    elapsed: float
    light: str
    months: list[ActualOut]
    task: TaskRefOut

    @staticmethod
    def resolve_cumulative(obj) -> Decimal:
        return selectors.livelihood_cumulative(obj)

    @staticmethod
    def resolve_progress(obj) -> float:
        return round(selectors.livelihood_progress(obj), 4)

    @staticmethod
    def resolve_elapsed(obj) -> float:
        return round(selectors.elapsed_share(obj, timezone.localdate()), 4)

    @staticmethod
    def resolve_light(obj) -> str:
        return selectors.livelihood_row(obj, timezone.localdate()).light.code

    @staticmethod
    def resolve_months(obj) -> list:
        return selectors.current_actuals(obj)


class HazardIn(Schema):
    place: str
    category: str
    severity: str
    description: str
    deadline: dt.date
    responsible_person: str
    lead_unit_id: int
    coop_unit_ids: list[int] = []
    title: str = ""
    assign: bool = False


class HazardOut(Schema):
    id: int
    place: str
    category: str
    severity: str
    description: str
    deadline: dt.date
    responsible_person: str
    status: str
    rectification: str
    review_note: str
    version: int
    task: TaskRefOut

    @staticmethod
    def resolve_deadline(obj) -> dt.date:
        return obj.current_deadline  # the 整改期限 in force: its task's 时限


class VersionIn(Schema):
    version: int


class RectifyIn(Schema):
    version: int
    rectification: str
    progress_percent: int | None = Field(None, ge=0, le=100)  # of the progress report it files (None: unchanged)


class RectifiedOut(HazardOut):
    progress_report_id: int | None  # the progress report the rectification filed on its task, if it did
    progress_refused: str  # why it did not ("" when it did)


class ReviewIn(Schema):
    version: int
    passed: bool
    note: str = ""


class AttachmentOut(Schema):
    id: int
    task_id: int
    hazard_id: int | None
    original_name: str
    content_type: str
    size: int
    sha256: str
    url: str

    @staticmethod
    def resolve_url(obj) -> str:
        return f"/sources/attachments/{obj.pk}/"


class SearchHitOut(Schema):
    kind: str
    id: int
    title: str
    snippet: str
    score: float
    url: str = ""  # the hit's page: set for 领导批示 (a task's 批示 or a registered instruction) and 安全隐患


class SearchGroupOut(Schema):
    kind: str
    label: str
    total: int
    capped: bool = False  # true: at least ``total`` matched; the hits rank the newest of them
    hits: list[SearchHitOut]


class SearchOut(Schema):
    query: str
    total: int
    groups: list[SearchGroupOut]


class PhraseOut(Schema):
    id: int
    text: str
    meetings: int
    uses: int


class PhraseMeetingOut(Schema):
    meeting_id: int
    meeting_title: str
    meeting_date: dt.date | None
    count: int
    task_ids: list[int]


class PhraseDetailOut(Schema):
    id: int
    text: str
    timeline: list[PhraseMeetingOut]


# --- instructions --------------------------------------------------------------------------------------------

@router.get("/instructions", response=list[InstructionOut], summary="领导批示 instructions")
@paginate(BoundedPagination, page_size=100)
def instruction_list(request):
    return selectors.instruction_list(viewer=request.user)


@router.post("/instructions", response={201: InstructionOut}, summary="登记领导批示 register an instruction")
def instruction_create(request, payload: InstructionIn):
    instruction = actions.instruction_create(actor=request.user, text=payload.text, leader=payload.leader,
                                             date=payload.date, doc_number=payload.doc_number,
                                             tasks=[t.dict() for t in payload.tasks], assign=payload.assign)
    return Status(201, selectors.instruction_get(viewer=request.user, instruction_id=instruction.pk))


@router.get("/instructions/{instruction_id}", response=InstructionOut, summary="领导批示 an instruction")
def instruction_get(request, instruction_id: int):
    return selectors.instruction_get(viewer=request.user, instruction_id=instruction_id)


@router.post("/instructions/{instruction_id}/tasks", response={201: InstructionOut},
             summary="据批示再交办一项任务 add a task to an instruction")
def instruction_add_task(request, instruction_id: int, payload: InstructionTaskIn):
    actions.instruction_add_task(actor=request.user, instruction_id=instruction_id, task=payload.task.dict(),
                                 assign=payload.assign)
    return Status(201, selectors.instruction_get(viewer=request.user, instruction_id=instruction_id))


# --- cases ---------------------------------------------------------------------------------------------------

@router.get("/cases", response=list[CaseOut], summary="督察交办件 inspection cases")
@paginate(BoundedPagination, page_size=100)
def case_list(request, batch: str | None = None):
    return selectors.case_list(viewer=request.user, batch=batch)


@router.post("/cases", response={201: CaseOut}, summary="登记督察交办件 register a case")
def case_create(request, payload: CaseIn):
    case = actions.case_create(actor=request.user, **payload.dict())
    return Status(201, selectors.case_get(viewer=request.user, case_id=case.pk))


@router.get("/cases/{case_id}", response=CaseOut, summary="督察交办件 a case")
def case_get(request, case_id: int):
    return selectors.case_get(viewer=request.user, case_id=case_id)


@router.post("/cases/{case_id}/rectification", response=CaseOut,
             summary="登记整改情况和是否公开 record rectification and disclosure")
def case_rectification(request, case_id: int, payload: RectificationIn):
    actions.case_record_rectification(actor=request.user, case_id=case_id, **payload.dict())
    return selectors.case_get(viewer=request.user, case_id=case_id)


# --- livelihood ----------------------------------------------------------------------------------------------

@router.get("/livelihood", response=list[LivelihoodOut], summary="民生实事 livelihood projects with lights")
@paginate(BoundedPagination, page_size=100)
def livelihood_list(request):
    return selectors.livelihood_list(viewer=request.user)


@router.post("/livelihood", response={201: LivelihoodOut}, summary="登记民生实事 register a project")
def livelihood_create(request, payload: LivelihoodIn):
    project = actions.livelihood_create(actor=request.user, **payload.dict())
    return Status(201, selectors.livelihood_get(viewer=request.user, project_id=project.pk))


@router.get("/livelihood/{project_id}", response=LivelihoodOut, summary="民生实事 a project")
def livelihood_get(request, project_id: int):
    return selectors.livelihood_get(viewer=request.user, project_id=project_id)


@router.post("/livelihood/{project_id}/actuals", response={201: LivelihoodOut},
             summary="报送月度完成值 record a monthly actual (again = correction)")
def livelihood_actual(request, project_id: int, payload: ActualIn):
    actions.livelihood_record_actual(actor=request.user, project_id=project_id, **payload.dict())
    return Status(201, selectors.livelihood_get(viewer=request.user, project_id=project_id))


# --- hazards -------------------------------------------------------------------------------------------------

@router.get("/hazards", response=list[HazardOut], summary="隐患台账 hazards")
@paginate(BoundedPagination, page_size=100)
def hazard_list(request, status: str | None = None, category: str | None = None, severity: str | None = None):
    return selectors.hazard_list(viewer=request.user, status=status, category=category, severity=severity)


@router.post("/hazards", response={201: HazardOut}, summary="登记隐患 enter a hazard (发现)")
def hazard_create(request, payload: HazardIn):
    hazard = actions.hazard_create(actor=request.user, **payload.dict())
    return Status(201, selectors.hazard_get(viewer=request.user, hazard_id=hazard.pk))


@router.get("/hazards/{hazard_id}", response=HazardOut, summary="隐患 a hazard")
def hazard_get(request, hazard_id: int):
    return selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)


@router.post("/hazards/{hazard_id}/rectify", response=RectifiedOut,
             summary="整改 report the rectification (also filed as progress on its task when it takes reports)")
def hazard_rectify(request, hazard_id: int, payload: RectifyIn):
    done = actions.hazard_rectify(actor=request.user, hazard_id=hazard_id, **payload.dict())
    hazard = selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)
    hazard.progress_report_id = done.progress_report.pk if done.progress_report else None
    hazard.progress_refused = done.progress_refused[0] if done.progress_refused else ""
    return hazard


@router.post("/hazards/{hazard_id}/review", response=HazardOut, summary="复查 review (pass or send back)")
def hazard_review(request, hazard_id: int, payload: ReviewIn):
    actions.hazard_review(actor=request.user, hazard_id=hazard_id, **payload.dict())
    return selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)


@router.post("/hazards/{hazard_id}/close", response=HazardOut, summary="销号 strike off")
def hazard_close(request, hazard_id: int, payload: VersionIn):
    actions.hazard_close(actor=request.user, hazard_id=hazard_id, version=payload.version)
    return selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)


@router.get("/hazards/{hazard_id}/attachments", response=list[AttachmentOut], summary="隐患照片 attachments")
def hazard_attachments(request, hazard_id: int):
    hazard = selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)
    return list(selectors.attachment_list(viewer=request.user, hazard_id=hazard.pk))


@router.post("/hazards/{hazard_id}/attachments", response={201: AttachmentOut},
             summary="上传照片（JPEG/PNG/PDF） upload a photo")
def hazard_attach(request, hazard_id: int, file: UploadedFile = File(...)):
    hazard = selectors.hazard_get(viewer=request.user, hazard_id=hazard_id)
    return Status(201, actions.attachment_upload(actor=request.user, task_id=hazard.task_id, hazard_id=hazard.pk,
                                                 filename=file.name or "", data=file.read()))


# --- search and phrases --------------------------------------------------------------------------------------

@router.get("/search", response=SearchOut, summary="搜索 search meetings, tasks, 批示, reports, cases and hazards")
def search(request, q: str, kind: str | None = None, limit: int = 20,
           offset: int = Query(0, ge=0, le=rules.MAX_OFFSET)):
    results = search_module.search(viewer=request.user, q=q, kinds=[kind] if kind else None,
                                   limit=max(1, min(limit, 100)), offset=max(0, offset))
    return {"query": results.query, "total": results.total, "groups": [
        {"kind": g.kind, "label": g.label, "total": g.total, "capped": g.capped,
         "hits": [{"kind": h.kind, "id": h.obj.pk, "title": h.title, "snippet": "".join(h.snippet),
                   "score": h.score, "url": h.url} for h in g.hits]} for g in results.groups]}


@router.get("/phrases", response=list[PhraseOut], summary="提法 policy phrases with counts")
def phrase_list(request, q: str = ""):
    return list(selectors.phrase_list(viewer=request.user, q=q)[:1000])


@router.get("/phrases/{phrase_id}", response=PhraseDetailOut, summary="提法时间线 a phrase's timeline")
def phrase_get(request, phrase_id: int):
    phrase, timeline = selectors.phrase_timeline(viewer=request.user, phrase_id=phrase_id)
    return {"id": phrase.pk, "text": phrase.text, "timeline": [
        {"meeting_id": e.meeting.pk, "meeting_title": e.meeting.title, "meeting_date": e.meeting.date,
         "count": e.count, "task_ids": [t.pk for t in e.tasks]} for e in timeline]}
