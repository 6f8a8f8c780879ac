"""Tasks and progress reports over JSON, calling the same selectors and actions as the pages."""

import datetime as dt

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from duban.core.cache import cached
from duban.core.params import BoundedPagination
from duban.tasks import actions, selectors
from duban.tasks.models import Task, deadline_warning

router = Router()
reports_router = Router()


class KeysFirstPagination(BoundedPagination):
    """django-ninja's page-number pagination (same parameters, same response, a custom ``paginate_queryset`` as
    its documentation describes) that sorts and slices the primary keys first and loads the page's rows by them;
    see ``duban.core.views.KeysFirstPaginator``. The page's items are ``TaskOut`` as plain dicts
    (``task_out_rows``: one statement, no model instances), which ninja then validates against the response
    schema like any other response."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        # ``queryset`` may be a pair: the rows in list order and their count, a function (see ``task_list``)
        queryset, counted = queryset if isinstance(queryset, tuple) else (queryset, queryset.count)
        page_size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * page_size
        keys = queryset.prefetch_related(None).values("pk")[offset:offset + page_size]
        items = queryset.model._default_manager.filter(pk__in=keys)
        if queryset.query.order_by:
            items = items.order_by(*queryset.query.order_by)
        return {self.items_attribute: task_out_rows(items), "count": counted()}


class TaskOut(Schema):
    id: int
    kind: str
    meeting_id: int | None
    seq: int
    title: str
    text: str
    source_start: int | None
    source_end: int | None
    area_id: int | None
    area: str | None
    lead_unit_id: int | None
    lead_unit: str | None
    coop_unit_ids: list[int]
    deadline: dt.date | None
    status: str
    priority: int
    progress_percent: int
    report_cycle: str
    report_every: int
    version: int
    parent_id: int | None = None  # the task it was split from (分解下达)
    issuing_unit_id: int | None = None  # the unit whose supervision office issued it; None: the office
    deadline_warning: str = ""  # non-empty when the deadline falls on a non-working day

    @staticmethod
    def resolve_deadline_warning(obj) -> str:
        if isinstance(obj, dict):
            return obj["deadline_warning"]
        return obj.deadline_warning

    @staticmethod
    def resolve_area(obj) -> str | None:
        if isinstance(obj, dict):  # a row of ``task_out_rows``, already resolved
            return obj["area"]
        return obj.area.name if obj.area_id else None

    @staticmethod
    def resolve_lead_unit(obj) -> str | None:
        if isinstance(obj, dict):
            return obj["lead_unit"]
        return obj.lead_unit.name if obj.lead_unit_id else None

    @staticmethod
    def resolve_coop_unit_ids(obj) -> list[int]:
        if isinstance(obj, dict):
            return obj["coop_unit_ids"]
        return [u.pk for u in obj.coop_units.all()]


# TaskOut's fields read straight from a row: the column of the same name unless named here
_TASK_OUT_SOURCES = {"area": "area__name", "lead_unit": "lead_unit__name", "coop_unit_ids": "coop_units"}
_ROW_FIELDS = tuple(name for name in TaskOut.model_fields if name != "deadline_warning")  # not a column
_TASK_OUT_COLUMNS = tuple(_TASK_OUT_SOURCES.get(name, name) for name in _ROW_FIELDS)
_ID_AT, _COOP_AT = _TASK_OUT_COLUMNS.index("id"), _TASK_OUT_COLUMNS.index("coop_units")


def task_out_rows(tasks) -> list[dict]:
    """``TaskOut`` as dicts (the same keys in the same order, the same values) for a queryset of tasks, in its
    order (``Task.Meta.ordering`` if it has none of its own). One statement and no model instances: each task's
    row joined with its area's and lead unit's names and, one row each, its cooperating units, in the units' own
    order (as ``coop_units.all()`` gives them)."""
    order = (*(tasks.query.order_by or Task._meta.ordering), "coop_units__sort_order", "coop_units__id")
    rows = tasks.prefetch_related(None).values_list(*_TASK_OUT_COLUMNS).order_by(*order)
    items: dict[int, dict] = {}
    for row in rows:
        item = items.get(row[_ID_AT])
        if item is None:
            item = items[row[_ID_AT]] = dict(zip(_ROW_FIELDS, row))
            item["deadline_warning"] = deadline_warning(item["deadline"])
            item["coop_unit_ids"] = []
        if row[_COOP_AT] is not None:
            item["coop_unit_ids"].append(row[_COOP_AT])
    return list(items.values())


class TaskFilter(Schema):
    """The task list page's filters (``selectors.list_filters`` says what each means)."""
    status: str | None = None
    area_id: int | None = None
    unit_id: int | None = None
    unit_role: str | None = Field(None, description="with unit_id: lead (牵头) / coop (配合); none: both")
    meeting_id: int | None = None
    kind: str | None = Field(None, description="meeting / instruction / inspection / livelihood / hazard / other "
                                                "(来源)")
    overdue: bool | None = None
    due: str | None = Field(None, description="soon / week / new_red / none (时限)")
    todo: str | None = Field(None, description="a 工作台 section: sign / report / coop / close_returned / returned / "
                                               "deadline_change / issued_red / unsigned / unreached / important (待办)")


class TaskPatch(Schema):
    version: int
    title: str | None = None
    text: str | None = None
    area_id: int | None = None
    lead_unit_id: int | None = None
    coop_unit_ids: list[int] | None = None
    deadline: dt.date | None = None
    priority: int | None = None
    report_cycle: str | None = Field(None, description="once / weekly / biweekly / monthly / workdays")
    report_every: int | None = Field(None, description="working days between reports, for report_cycle=workdays")


class ReasonIn(Schema):
    reason: str


class ReportIn(Schema):
    text: str
    progress_percent: int = 0
    request_close: bool = False
    evidence_text: str = ""  # a close request's evidence; files go to the multipart close-request endpoint
    for_unit: bool = False  # the supervision office records the lead unit's progress for it (由督查室代录)


class ReportOut(Schema):
    id: int
    task_id: int
    unit_id: int
    unit: str
    text: str
    progress_percent: int
    request_close: bool
    evidence_text: str
    entered_by_office: bool  # 由督查室代录: the office recorded it for the unit
    status: str
    review_comment: str
    created_at: dt.datetime

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.unit.name


class ReviewIn(Schema):
    comment: str = ""
    # signing off a task whose sub-tasks are not all closed needs the office's reason
    override_reason: str = ""


@router.get("", response=list[TaskOut], summary="督办事项列表 tasks (filter, paginated)")
@paginate(KeysFirstPagination, page_size=50)
def task_list(request, filters: Query[TaskFilter]):
    # the rows in list order, and their count from the same rows spelled for counting, kept in the cache of
    # figures as the task list page keeps its own (a county's 100,000 tasks at a province's scale: 640 ms a count)
    chosen = filters.dict()
    return (selectors.task_list(viewer=request.user, in_list_order=True, **chosen),
            lambda: cached("api-task-list-count", request.user, tuple(sorted(chosen.items())),
                           selectors.today_local(), selectors.task_list(viewer=request.user, **chosen).count))


@router.get("/{int:task_id}", response=TaskOut, summary="督办事项 a task")
def task_get(request, task_id: int):
    return selectors.task_get(viewer=request.user, task_id=task_id)


@router.patch("/{int:task_id}", response=TaskOut, summary="修改事项 edit a task (optimistic locking by version)")
def task_patch(request, task_id: int, payload: TaskPatch):
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    coop = data.pop("coop_unit_ids", None)
    actions.task_update(actor=request.user, task_id=task_id, version=version, changes=data, coop_unit_ids=coop)
    return selectors.task_get(viewer=request.user, task_id=task_id)


def _step(request, task_id: int, action, **kw):
    action(actor=request.user, task_id=task_id, **kw)
    return selectors.task_get(viewer=request.user, task_id=task_id)


@router.post("/{int:task_id}/assign", response=TaskOut, summary="交办 assign")
def task_assign(request, task_id: int):
    return _step(request, task_id, actions.task_assign)


@router.post("/{int:task_id}/accept", response=TaskOut, summary="签收 accept")
def task_accept(request, task_id: int):
    return _step(request, task_id, actions.task_accept)


@router.post("/{int:task_id}/decline", response=TaskOut, summary="退回交办 send the assignment back")
def task_decline(request, task_id: int, payload: ReasonIn):
    return _step(request, task_id, actions.task_decline, reason=payload.reason)


@router.post("/{int:task_id}/withdraw", response=TaskOut, summary="撤销 withdraw")
def task_withdraw(request, task_id: int, payload: ReasonIn):
    return _step(request, task_id, actions.task_withdraw, reason=payload.reason)


class ReassignIn(Schema):
    version: int
    lead_unit_id: int
    coop_unit_ids: list[int] = []
    reason: str


@router.post("/{int:task_id}/reassign", response=TaskOut, summary="改派 / 重新交办 change the units after 交办")
def task_reassign(request, task_id: int, payload: ReassignIn):
    return _step(request, task_id, actions.task_reassign, version=payload.version,
                 lead_unit_id=payload.lead_unit_id, coop_unit_ids=payload.coop_unit_ids, reason=payload.reason)


class SubtaskIn(Schema):
    lead_unit_id: int
    coop_unit_ids: list[int] = []
    deadline: dt.date | None = Field(None, description="no later than the parent's; the parent's when left out")
    title: str = ""
    text: str = ""


class DecomposeIn(Schema):
    version: int
    parts: list[SubtaskIn]
    rollup_mode: str = Field("worst", description="worst / share / all: how the parent rolls up its sub-tasks")


@router.post("/{int:task_id}/decompose", response={201: list[TaskOut]}, summary="分解下达 split into sub-tasks")
def task_decompose(request, task_id: int, payload: DecomposeIn):
    children = actions.task_decompose(actor=request.user, task_id=task_id, version=payload.version,
                                      parts=[part.dict() for part in payload.parts], rollup_mode=payload.rollup_mode)
    made = selectors.task_list(viewer=request.user).filter(pk__in=[c.pk for c in children])
    return Status(201, task_out_rows(made))


class DeadlineIn(Schema):
    version: int
    deadline: dt.date
    reason: str


@router.post("/{int:task_id}/deadline", response=TaskOut, summary="调整时限 the office moves the deadline")
def task_deadline_adjust(request, task_id: int, payload: DeadlineIn):
    return _step(request, task_id, actions.task_deadline_adjust, version=payload.version,
                 deadline=payload.deadline, reason=payload.reason)


@router.get("/{int:task_id}/reports", response=list[ReportOut], summary="进展报告 reports of a task")
def task_reports(request, task_id: int):
    selectors.task_get(viewer=request.user, task_id=task_id)
    return list(selectors.report_list(viewer=request.user, task_id=task_id))


@router.post("/{int:task_id}/reports", response={201: ReportOut}, summary="报送进展 submit a progress report")
def report_submit(request, task_id: int, payload: ReportIn):
    report = actions.report_submit(actor=request.user, task_id=task_id, text=payload.text,
                                   progress_percent=payload.progress_percent, request_close=payload.request_close,
                                   evidence_text=payload.evidence_text, for_unit=payload.for_unit)
    return Status(201, report)


@reports_router.get("", response=list[ReportOut], summary="进展报告列表 progress reports")
@paginate(BoundedPagination, page_size=50)
def report_list(request, status: str | None = None):
    return selectors.report_list(viewer=request.user, status=status)


@reports_router.post("/{int:report_id}/accept", response=ReportOut, summary="采纳 accept a report")
def report_accept(request, report_id: int, payload: ReviewIn):
    actions.report_accept(actor=request.user, report_id=report_id, comment=payload.comment,
                          override_reason=payload.override_reason)
    return selectors.report_get(viewer=request.user, report_id=report_id)


@reports_router.post("/{int:report_id}/return", response=ReportOut, summary="退回 return a report")
def report_return(request, report_id: int, payload: ReasonIn):
    actions.report_return(actor=request.user, report_id=report_id, reason=payload.reason)
    return selectors.report_get(viewer=request.user, report_id=report_id)
