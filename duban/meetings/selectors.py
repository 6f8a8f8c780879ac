"""Every read of meetings, starting from the viewer's scoped queryset."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from duban.core import permissions as perms
from duban.core.errors import NotFound
from duban.meetings.models import Meeting, MeetingStatus
from duban.tasks.models import TaskStatus
from duban.tasks.selectors import task_list


def meeting_list(*, viewer, include_withdrawn: bool = False) -> QuerySet[Meeting]:
    qs = perms.meetings_visible_to(viewer)
    if not include_withdrawn:
        qs = qs.exclude(status=MeetingStatus.WITHDRAWN)
    visible = perms.tasks_visible_to(viewer).exclude(status=TaskStatus.WITHDRAWN).values("pk")
    return (qs.defer("source_text", "extraction")
            .annotate(task_count=Count("tasks", filter=Q(tasks__in=visible), distinct=True),
                      closed_count=Count("tasks", filter=Q(tasks__in=visible, tasks__status=TaskStatus.CLOSED),
                                         distinct=True))
            .order_by("-date", "-id"))


def meeting_choices(*, viewer) -> QuerySet[Meeting]:
    """Meetings for a filter drop-down (id, title, date), newest first: ``meeting_list`` without its per-meeting
    task counts, which cost a pass over every task (1.4 s at 100k tasks) on each task-list page."""
    return (perms.meetings_visible_to(viewer).exclude(status=MeetingStatus.WITHDRAWN).only("id", "title", "date")
            .order_by("-date", "-id"))


def meeting_get(*, viewer, meeting_id: int) -> Meeting:
    meeting = perms.meetings_visible_to(viewer).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound()
    return meeting


def meeting_counted_get(*, viewer, meeting_id: int) -> Meeting:
    """``meeting_get`` with the task counts ``meeting_list`` gives (withdrawn meetings included)."""
    meeting = meeting_list(viewer=viewer, include_withdrawn=True).filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound()
    return meeting


def meeting_find_by_sha256(*, viewer, sha256: str) -> Meeting | None:
    return (perms.meetings_visible_to(viewer).filter(sha256=sha256).exclude(status=MeetingStatus.WITHDRAWN)
            .order_by("id").first())


# A confirmed meeting's table row (and what its light and its span in the source text need), in this order.
MEETING_ROW_FIELDS = ("pk", "seq", "title", "status", "deadline", "progress_percent", "lead_unit__name",
                      "assigned_at", "report_cycle", "report_every", "latest_report__created_at", "source_start",
                      "source_end")


def meeting_task_rows(*, viewer, meeting: Meeting) -> QuerySet[tuple]:
    """The tasks of ``meeting`` (from ``meeting_get``) the viewer may see, in the communique's order, as
    ``MEETING_ROW_FIELDS`` tuples (no model instances: a province's meeting has 150 of them)."""
    return (task_list(viewer=viewer, meeting_id=meeting.pk).prefetch_related(None).order_by("seq", "id")
            .values_list(*MEETING_ROW_FIELDS))
