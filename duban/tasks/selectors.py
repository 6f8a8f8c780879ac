"""Every read of tasks and progress reports, starting from the viewer's scoped queryset."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.errors import NotFound
from duban.core.models import AuditEvent, Unit
from duban.tasks.models import OPEN_STATUSES, ProgressReport, Task, TaskStatus


def today_local() -> dt.date:
    return timezone.localdate()


def task_list(*, viewer, status: str | None = None, area_id: int | None = None, unit_id: int | None = None,
              meeting_id: int | None = None, kind: str | None = None, overdue: bool | None = None,
              include_withdrawn: bool = False, today: dt.date | None = None) -> QuerySet[Task]:
    """Tasks the viewer may see, filtered. ``unit_id`` matches the lead unit or a cooperating unit."""
    qs = perms.tasks_visible_to(viewer)
    if status:
        qs = qs.filter(status=status)
    elif not include_withdrawn:
        qs = qs.exclude(status=TaskStatus.WITHDRAWN)
    if area_id:
        qs = qs.filter(area_id=area_id)
    if unit_id:
        coop = Task.coop_units.through.objects.filter(unit_id=unit_id).values("task_id")
        qs = qs.filter(Q(lead_unit_id=unit_id) | Q(pk__in=coop))
    if meeting_id:
        qs = qs.filter(meeting_id=meeting_id)
    if kind:
        qs = qs.filter(kind=kind)
    if overdue is not None:
        late = Q(status__in=OPEN_STATUSES, deadline__lt=today or today_local())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    return (qs.select_related("area", "lead_unit", "meeting", "latest_report")
            .prefetch_related(Prefetch("coop_units", queryset=Unit.objects.only("id", "name")))
            .order_by("-meeting__date", "meeting_id", "seq", "id"))


def task_get(*, viewer, task_id: int) -> Task:
    """One task, or ``NotFound`` whether it is missing or out of the viewer's scope."""
    task = task_list(viewer=viewer, include_withdrawn=True).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    return task


def task_history(*, viewer, task_id: int) -> QuerySet[AuditEvent]:
    """The audit trail of one task the viewer may see (``NotFound`` otherwise), oldest first."""
    if not perms.tasks_visible_to(viewer).filter(pk=task_id).exists():
        raise NotFound()
    return (AuditEvent.objects.filter(task_id=task_id).select_related("actor", "actor__profile", "unit", "report")
            .order_by("id"))


def report_list(*, viewer, task_id: int | None = None, status: str | None = None) -> QuerySet[ProgressReport]:
    qs = perms.reports_visible_to(viewer)
    if task_id is not None:
        qs = qs.filter(task_id=task_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("unit", "author", "author__profile", "reviewed_by", "task").order_by("-id")


def report_get(*, viewer, report_id: int) -> ProgressReport:
    report = report_list(viewer=viewer).filter(pk=report_id).first()
    if report is None:
        raise NotFound()
    return report


@dataclass(frozen=True)
class TaskStats:
    total: int
    by_status: dict[str, int]
    overdue: int
    closed: int
    completion_rate: float
    by_area: list[dict]
    by_unit: list[dict]


def task_stats(*, viewer, meeting_id: int | None = None, today: dt.date | None = None) -> TaskStats:
    """Dashboard figures over the tasks the viewer may see (a chart must not count what its viewer cannot open)."""
    qs = perms.tasks_visible_to(viewer).exclude(status__in=[TaskStatus.WITHDRAWN, TaskStatus.DRAFT])
    if meeting_id:
        qs = qs.filter(meeting_id=meeting_id)
    late = Q(status__in=OPEN_STATUSES, deadline__lt=today or today_local())
    by_status = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    total = sum(by_status.values())
    closed = by_status.get(TaskStatus.CLOSED, 0)
    overdue = qs.filter(late).count()
    counts = dict(total=Count("id"), closed=Count("id", filter=Q(status=TaskStatus.CLOSED)),
                  overdue=Count("id", filter=late))
    by_area = [dict(row, name=row.pop("area__name") or "未分类", id=row["area_id"]) for row in
               qs.values("area_id", "area__name").annotate(**counts).order_by("area__sort_order", "area_id")]
    by_unit = [dict(row, name=row.pop("lead_unit__name") or "未指定", id=row["lead_unit_id"]) for row in
               qs.values("lead_unit_id", "lead_unit__name").annotate(**counts).order_by("-total", "lead_unit_id")]
    for row in by_area + by_unit:
        row["rate"] = round(100 * row["closed"] / row["total"], 1) if row["total"] else 0.0
    return TaskStats(total=total, by_status=by_status, overdue=overdue, closed=closed,
                     completion_rate=round(100 * closed / total, 1) if total else 0.0, by_area=by_area,
                     by_unit=by_unit)
