"""Tasks and progress reports over JSON, calling the same selectors and actions as the pages."""

import datetime as dt
from collections.abc import Callable
from functools import partial, wraps

from ninja import Status, Query, Router, Schema
from ninja.pagination import PageNumberPagination, make_response_paginated, paginate
from ninja.utils import contribute_operation_args, contribute_operation_callback

from duban.tasks import actions, selectors
from duban.tasks.models import Task

router = Router()
reports_router = Router()


class KeysFirstPagination(PageNumberPagination):
    """``PageNumberPagination`` (same parameters, same response) that sorts and slices the primary keys first and
    loads the page's rows in the same statement; see ``duban.core.views.KeysFirstPaginator``. The page's items are
    a plain queryset of the model by those keys, in the list's order: the viewer's scope and the filters are in
    the keys (compiled once, not twice), and the caller reads what it needs (``task_out_rows``)."""

    def paginate_queryset(self, queryset, pagination, request, **params):
        # ``queryset`` may be a pair: the rows in list order and the same rows spelled for counting (see
        # ``duban.core.permissions.tasks_visible_to``)
        queryset, counted = queryset if isinstance(queryset, tuple) else (queryset, queryset)
        page_size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * page_size
        keys = queryset.prefetch_related(None).values("pk")[offset:offset + page_size]
        items = queryset.model._default_manager.filter(pk__in=keys)
        if queryset.query.order_by:
            items = items.order_by(*queryset.query.order_by)
        return {self.items_attribute: items, "count": counted.count()}


def paginate_rendered(pagination_class, rows: Callable, **params):
    """``ninja.pagination.paginate`` for a list whose page is built as plain data: the same query parameters
    (``page``, ``page_size``) and the same ``Paged…`` response schema in the OpenAPI document, but the page's
    items are ``rows(queryset)`` (the dicts the response schema would give) and the body is rendered once,
    without building and validating a schema object per item (a 50-task page at 100k tasks on SQLite: ~20 ms
    -> ~11 ms of CPU a request, a hello-world being ~5 ms).
    ``duban/tasks/tests/test_api_fast.py`` holds each ``rows`` to its schema."""
    paginator = pagination_class(**params)

    def decorate(func):
        @wraps(func)
        def view(request, **kwargs):
            from duban.api import api  # it mounts this module's routers

            pagination = kwargs.pop("ninja_pagination", None) or paginator.Input()
            page = paginator.paginate_queryset(func(request, **kwargs), pagination=pagination, request=request)
            page[paginator.items_attribute] = rows(page[paginator.items_attribute])
            return api.create_response(request, page, status=200)

        contribute_operation_args(view, "ninja_pagination", paginator.Input, paginator.InputSource)
        contribute_operation_callback(view, partial(make_response_paginated, paginator))
        view._ninja_is_paginated = True
        return view

    return decorate


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
    version: int

    @staticmethod
    def resolve_area(obj) -> str | None:
        return obj.area.name if obj.area_id else None

    @staticmethod
    def resolve_lead_unit(obj) -> str | None:
        return obj.lead_unit.name if obj.lead_unit_id else None

    @staticmethod
    def resolve_coop_unit_ids(obj) -> list[int]:
        return [u.pk for u in obj.coop_units.all()]


# TaskOut's fields read straight from a row: the column of the same name unless named here
_TASK_OUT_SOURCES = {"area": "area__name", "lead_unit": "lead_unit__name", "coop_unit_ids": "coop_units"}
_TASK_OUT_COLUMNS = tuple(_TASK_OUT_SOURCES.get(name, name) for name in TaskOut.model_fields)
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
            item = items[row[_ID_AT]] = dict(zip(TaskOut.model_fields, row))
            item["coop_unit_ids"] = []
        if row[_COOP_AT] is not None:
            item["coop_unit_ids"].append(row[_COOP_AT])
    return list(items.values())


class TaskFilter(Schema):
    status: str | None = None
    area_id: int | None = None
    unit_id: int | None = None
    meeting_id: int | None = None
    kind: str | None = None
    overdue: bool | None = None


class TaskPatch(Schema):
    version: int
    title: str | None = None
    text: str | None = None
    area_id: int | None = None
    lead_unit_id: int | None = None
    coop_unit_ids: list[int] | None = None
    deadline: dt.date | None = None
    priority: int | None = None


class ReasonIn(Schema):
    reason: str


class ReportIn(Schema):
    text: str
    progress_percent: int = 0
    request_close: bool = False


class ReportOut(Schema):
    id: int
    task_id: int
    unit_id: int
    unit: str
    text: str
    progress_percent: int
    request_close: bool
    status: str
    review_comment: str
    created_at: dt.datetime

    @staticmethod
    def resolve_unit(obj) -> str:
        return obj.unit.name


class ReviewIn(Schema):
    comment: str = ""


@router.get("", response=list[TaskOut], summary="督办事项列表 tasks (filter, paginated)")
@paginate_rendered(KeysFirstPagination, task_out_rows, page_size=50)
def task_list(request, filters: Query[TaskFilter]):
    # the rows in list order, and the same rows spelled for counting
    return (selectors.task_list(viewer=request.user, in_list_order=True, **filters.dict()),
            selectors.task_list(viewer=request.user, **filters.dict()))


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
                                   progress_percent=payload.progress_percent, request_close=payload.request_close)
    return Status(201, report)


@reports_router.get("", response=list[ReportOut], summary="进展报告列表 progress reports")
@paginate(PageNumberPagination, page_size=50)
def report_list(request, status: str | None = None):
    return selectors.report_list(viewer=request.user, status=status)


@reports_router.post("/{int:report_id}/accept", response=ReportOut, summary="采纳 accept a report")
def report_accept(request, report_id: int, payload: ReviewIn):
    actions.report_accept(actor=request.user, report_id=report_id, comment=payload.comment)
    return selectors.report_get(viewer=request.user, report_id=report_id)


@reports_router.post("/{int:report_id}/return", response=ReportOut, summary="退回 return a report")
def report_return(request, report_id: int, payload: ReasonIn):
    actions.report_return(actor=request.user, report_id=report_id, reason=payload.reason)
    return selectors.report_get(viewer=request.user, report_id=report_id)
