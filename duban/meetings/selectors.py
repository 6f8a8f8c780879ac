"""Every read of meetings, starting from the viewer's scoped queryset."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from duban.core.errors import NotFound
from duban.meetings import permissions as perms
from duban.meetings.models import Meeting, MeetingStatus, ScanJob
from duban.tasks.models import TaskStatus
from duban.tasks.selectors import LIST_ROW_FIELDS, meeting_item_q, task_list


def meeting_list(*, viewer, include_withdrawn: bool = False) -> QuerySet[Meeting]:
    """The meetings the viewer may see, newest first, each with ``task_count`` and ``closed_count``: its items
    (决定事项) the viewer sees and how many are closed, and ``subtask_count``: the sub-tasks (分解下达) under them
    the viewer sees, which are not more items. An item is a task not split from another, or, for a unit that
    sees a sub-task but not the task above it, that sub-task (its part of the meeting)."""
    qs = perms.meetings_visible_to(viewer)
    if not include_withdrawn:
        qs = qs.exclude(status=MeetingStatus.WITHDRAWN)
    visible = perms.tasks_visible_to(viewer).exclude(status=TaskStatus.WITHDRAWN).values("pk")
    seen = Q(tasks__in=visible)
    # the office sees every task, so above a sub-task there is always one it sees
    item = seen & meeting_item_q(visible, prefix="tasks__", all_visible=perms.is_office(viewer))
    return (qs.defer("source_text", "extraction")
            .annotate(task_count=Count("tasks", filter=item, distinct=True),
                      closed_count=Count("tasks", filter=item & Q(tasks__status=TaskStatus.CLOSED), distinct=True),
                      subtask_count=Count("tasks", filter=seen, distinct=True) - Count("tasks", filter=item,
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
MEETING_ROW_FIELDS = (*LIST_ROW_FIELDS, "source_start", "source_end")


def meeting_task_rows(*, viewer, meeting: Meeting) -> QuerySet[tuple]:
    """The tasks of ``meeting`` (from ``meeting_get``) the viewer may see, in the communique's order, as
    ``MEETING_ROW_FIELDS`` tuples (no model instances: a province's meeting has 150 of them)."""
    return (task_list(viewer=viewer, meeting_id=meeting.pk).prefetch_related(None).order_by("seq", "id")
            .values_list(*MEETING_ROW_FIELDS))


def scan_get(*, viewer, job_id: int) -> ScanJob:
    """A scan job: the office's (those who may import), ``NotFound`` for anyone else and for missing ids."""
    if not perms.can_import_meeting(viewer):
        raise NotFound()
    job = ScanJob.objects.filter(pk=job_id).defer("data").first()
    if job is None:
        raise NotFound()
    return job


SCAN_PREVIEW_DPI = 110
SCAN_PREVIEW_PIXELS = 4_000_000


def scan_page_png(job: ScanJob, page: int) -> bytes:
    """Page ``page`` of a scan, rendered small enough to show beside its text."""
    import io

    from duban.extraction.errors import ExtractionError
    from duban.extraction.formats import PDF, Limits
    from duban.extraction.formats.ocr import open_image
    from duban.extraction.formats.pdf import page_count, render_pages

    data = bytes(ScanJob.objects.filter(pk=job.pk).values_list("data", flat=True).first() or b"")
    limits = Limits(ocr_dpi=SCAN_PREVIEW_DPI, max_pixels=SCAN_PREVIEW_PIXELS)
    try:
        if job.kind == PDF:
            if not 0 <= page < page_count(data):
                raise NotFound()
            image = next(img for i, img in enumerate(render_pages(data, limits)) if i == page)
        else:
            if page != 0:
                raise NotFound()
            from django.conf import settings

            image = open_image(data, Limits(max_pixels=settings.DUBAN_MAX_IMAGE_PIXELS))
            image.thumbnail((1400, 2000))
    except ExtractionError:
        raise NotFound() from None
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
# --- the responsibility list (职责清单) ---------------------------------------------------------------------------

def responsibility_in_force() -> tuple[int | None, list[dict]]:
    """(version id, entries) of the list extraction uses: the newest saved version, else the seed TOML
    (``DUBAN_UNITS_FILE`` or the packaged default) with id None. The list is not secret: any caller may read it."""
    from django.conf import settings

    from duban import extraction
    from duban.meetings.models import ResponsibilityVersion
    from duban.meetings.responsibility import entries_from_unit_list

    row = ResponsibilityVersion.objects.order_by("-id").values_list("pk", "entries").first()
    if row is not None:
        return row
    path = getattr(settings, "DUBAN_UNITS_FILE", None)
    return None, entries_from_unit_list(extraction.load_units(path) if path else extraction.default_units())


def responsibility_versions(*, viewer, limit: int = 50):
    from duban.meetings.models import ResponsibilityVersion

    if not perms.is_office(viewer):
        return ResponsibilityVersion.objects.none()
    return (ResponsibilityVersion.objects.select_related("created_by", "created_by__profile")
            .defer("entries").order_by("-id")[:limit])


def responsibility_preview(*, viewer, entries: list[dict], text: str) -> list[dict]:
    """Which suggestions on ``text`` the proposed ``entries`` would change against the list in force."""
    from duban.core.errors import PermissionDenied
    from duban.meetings import responsibility

    if not perms.can_import_meeting(viewer):
        raise PermissionDenied()
    version_id, current = responsibility_in_force()
    before = responsibility.unit_list(current, version_id)
    after = responsibility.unit_list(responsibility.clean_entries(entries))
    return responsibility.suggestion_changes(text, before, after)
