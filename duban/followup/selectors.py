"""Every follow-up read for a user, starting from the viewer's scoped task queryset."""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.errors import NotFound
from duban.followup import permissions as fperms
from duban.followup.lights import ORDER, SUPERVISED_STATUSES, Light, LightCodes, task_light
from duban.followup.models import (CloseEvidence, Delivery, ExtensionRequest, ExtensionStatus, ReminderSent,
                                   SupervisionNotice)
from duban.tasks import selectors as task_selectors
from duban.tasks.models import ProgressReport, ReportStatus, Task, TaskStatus


def task_light_get(*, viewer, task_id: int, today: dt.date | None = None) -> tuple[Task, Light]:
    task = task_selectors.task_get(viewer=viewer, task_id=task_id)
    return task, task_light(task, today)


def light_page(*, viewer, code: str | None = None, unit_id: int | None = None, today: dt.date | None = None,
               offset: int = 0, limit: int = 100) -> tuple[list[tuple[Task, Light]], int]:
    """One page of the open tasks the viewer may see with their lights, reddest first (then by deadline, none
    last, then id), and how many there are. The scope, status and unit filters are SQL; each row's light comes
    from the one light rule (``LightCodes``) over plain columns streamed in chunks, keeping only the
    ``offset + limit`` first in order (a heap), so memory is bounded by the page, not the data; the page's tasks
    are then read by their ids (at most ``limit``) with their lights in words."""
    today = today or timezone.localdate()
    qs = task_selectors.task_list(viewer=viewer, unit_id=unit_id).filter(
        status__in=[*SUPERVISED_STATUSES, TaskStatus.CLOSE_REQUESTED])
    codes = LightCodes(today)
    rank = {light: i for i, light in enumerate(ORDER)}
    matched = 0

    def keys():
        nonlocal matched
        rows = (qs.select_related(None).prefetch_related(None).order_by()
                .values_list("pk", "deadline", *LightCodes.columns()).iterator(chunk_size=2000))
        for pk, deadline, *values in rows:
            light = codes(*values)
            if code is None or light == code:
                matched += 1
                yield rank[light], deadline is None, deadline or today, pk

    first = heapq.nsmallest(offset + limit, keys())
    ids = [key[-1] for key in first[offset:]]
    tasks = {t.pk: t for t in Task.objects.filter(pk__in=ids).select_related("latest_report", "lead_unit")}
    return [(tasks[pk], task_light(tasks[pk], today)) for pk in ids], matched


def reminder_list(*, viewer, task_id: int) -> QuerySet[ReminderSent]:
    task_selectors.task_get(viewer=viewer, task_id=task_id)
    return ReminderSent.objects.filter(task_id=task_id).select_related("notice").order_by("-id")


def reminders_undelivered(*, viewer) -> QuerySet[ReminderSent]:
    """Follow-up steps that reached nobody (REMINDER_UNDELIVERED), newest first: the supervision office's to
    chase by other means; nobody else sees them."""
    if not fperms.can_see_undelivered(viewer):
        return ReminderSent.objects.none()
    return (ReminderSent.objects.filter(recipient_count=0).select_related("task", "task__lead_unit")
            .order_by("-id"))


def extension_list(*, viewer, task_id: int | None = None, status: str | None = None
                   ) -> QuerySet[ExtensionRequest]:
    qs = ExtensionRequest.objects.filter(task__in=perms.tasks_visible_to(viewer))
    if task_id is not None:
        qs = qs.filter(task_id=task_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("task", "unit", "requested_by", "requested_by__profile", "decided_by").order_by("-id")


def extension_get(*, viewer, request_id: int) -> ExtensionRequest:
    request = extension_list(viewer=viewer).filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    return request


def notice_get(*, viewer, notice_id: int) -> SupervisionNotice:
    """A 督办通知单 for whoever may see its task; NotFound alike for missing and out of scope."""
    notice = (SupervisionNotice.objects.filter(task__in=perms.tasks_visible_to(viewer), pk=notice_id)
              .select_related("task", "unit").first())
    if notice is None:
        raise NotFound()
    return notice


def evidence_get(*, viewer, evidence_id: int) -> CloseEvidence:
    evidence = (CloseEvidence.objects.filter(report__in=perms.reports_visible_to(viewer), pk=evidence_id)
                .select_related("report", "report__task").first())
    if evidence is None:
        raise NotFound()
    return evidence


def delivery_list(*, viewer, status: str | None = None) -> QuerySet[Delivery]:
    """The delivery log, for the sysadmin only (others get nothing: it holds everyone's addresses)."""
    if not fperms.can_manage_deliveries(viewer):
        return Delivery.objects.none()
    qs = Delivery.objects.all()
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("notification", "notification__recipient").order_by("-id")


@dataclass
class TaskFollowup:
    task: Task
    light: Light
    reminders: list
    extensions: list
    pending_extension: ExtensionRequest | None
    close_request: ProgressReport | None
    close_evidence: CloseEvidence | None
    can_request_extension: bool
    can_decide_extension: bool
    can_request_close: bool
    can_review: bool


def task_followup(*, viewer, task: Task, today: dt.date | None = None) -> TaskFollowup:
    """Everything the follow-up section of a task page shows. ``task`` must be one the viewer may see (it comes
    from ``task_get``); this checks again so a template cannot leak another unit's task, unless ``task_get``
    read it for this same viewer (``in_scope_of``: the check would repeat the one that read it)."""
    if not task_selectors.in_scope_of(task, viewer) and not perms.tasks_visible_to(viewer).filter(
            pk=task.pk).exists():
        raise NotFound()
    today = today or timezone.localdate()
    reminders = list(ReminderSent.objects.filter(task_id=task.pk).select_related("notice").order_by("-id")[:50])
    # The section shows no one's name: the requesting and deciding users load on access if anything needs them.
    extensions = list(ExtensionRequest.objects.filter(task_id=task.pk).order_by("-id")[:20])
    pending = next((e for e in extensions if e.status == ExtensionStatus.PENDING), None)
    close_request = None
    if task.status == TaskStatus.CLOSE_REQUESTED:
        close_request = (ProgressReport.objects.filter(task_id=task.pk, request_close=True,
                                                       status=ReportStatus.SUBMITTED).order_by("-id").first())
    evidence = (CloseEvidence.objects.filter(report=close_request).first() if close_request else None)
    supervised = task.status in SUPERVISED_STATUSES
    return TaskFollowup(
        task=task, light=task_light(task, today), reminders=reminders, extensions=extensions,
        pending_extension=pending, close_request=close_request, close_evidence=evidence,
        can_request_extension=supervised and pending is None and fperms.can_request_extension(viewer, task),
        can_decide_extension=pending is not None and perms.is_supervisor(viewer),
        can_request_close=task.status in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
        and perms.can_request_close(viewer, task),
        can_review=close_request is not None and perms.is_supervisor(viewer),
    )
