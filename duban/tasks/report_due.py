"""Each task's next report due, kept on the row (``Task.report_due``) so that a unit's "reports due" is an indexed
filter instead of every working task of its scope read and computed (a county at a million tasks: 25,000 tasks).

The due date depends only on the task's own columns (cycle, interval, assignment, latest report's date, deadline,
status, whether it is split), never on today, so it changes only when the row does: the actions that change those
columns keep it in their transaction (``report_due_refresh_in_txn``), and the nightly follow-up pass recomputes it
for every open task (``report_due_refresh_all``), so a write that bypasses the actions (a bulk update, an import, a
restore) or a new year's holiday calendar heals within a day. Derived like ``rolled_progress``: not audited, the
version is not advanced."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from duban.tasks.models import Task, TaskStatus
from duban.tasks.workdays import next_report_due

# The statuses in which a unit owes reports by the task's cycle: signed for and not yet asking to close.
WORKING_STATUSES = (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
# What a task's report due is computed from (the columns the keeping code must watch).
DUE_FIELDS = frozenset({"status", "deadline", "report_cycle", "report_every", "assigned_at", "latest_report_id",
                        "latest_report", "rolled_progress"})
_BATCH = 2000


def local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


def report_base_date(task: Task) -> dt.date | None:
    """The date the current report cycle counts from: the latest report, else the assignment. Reads
    ``task.latest_report``, so lists must ``select_related("latest_report")`` (``lights_for`` does)."""
    if task.latest_report_id is not None and task.latest_report is not None:
        return local_date(task.latest_report.created_at)
    return local_date(task.assigned_at)


def task_report_due(task: Task) -> dt.date | None:
    since = report_base_date(task)
    if since is None:
        return None
    return next_report_due(cycle=task.report_cycle, every=task.report_every, since=since, deadline=task.deadline)


def kept_report_due(task) -> dt.date | None:
    """What ``Task.report_due`` holds: ``task_report_due`` of a working task not split into sub-tasks (a split
    task's progress comes from its sub-tasks, so no report of its own is due); None otherwise, and None for a
    one-off cycle or a due on or after the deadline (``next_report_due``). Reads only attributes, so a migration's
    historical rows work too."""
    if task.status not in WORKING_STATUSES or task.rolled_progress is not None:
        return None
    return task_report_due(task)


def _refresh(rows: Iterable, model) -> int:
    changed = []
    for task in rows:
        due = kept_report_due(task)
        if due != task.report_due:
            task.report_due = due
            changed.append(task)
    if changed:
        model.objects.bulk_update(changed, ["report_due"], batch_size=500)
    return len(changed)


def _rows(model):
    return (model.objects.select_related("latest_report")
            .only("id", "status", "deadline", "report_cycle", "report_every", "assigned_at", "rolled_progress",
                  "report_due", "latest_report_id", "latest_report__created_at"))


def report_due_refresh_in_txn(task_ids: Iterable[int]) -> int:
    """Recompute ``report_due`` of these tasks from their rows as they now are, in the caller's transaction, after
    its own write; returns how many changed. Called by every action that changes a column in ``DUE_FIELDS``."""
    ids = list(task_ids)
    return _refresh(_rows(Task).filter(pk__in=ids), Task) if ids else 0


def report_due_refresh_all(model=Task) -> int:
    """Recompute ``report_due`` of every task that is working or still holds a due (a closed or withdrawn task
    written outside the actions), in batches by id, each batch its own short write; returns how many changed.
    A row an action holds is skipped, not waited for (no lock-order deadlock with it): that action keeps it.
    The nightly follow-up pass runs it; the migration that adds the column fills it with it (``model`` is then
    the migration's historical Task)."""
    from django.db import transaction
    from django.db.models import Q

    wanted = Q(status__in=WORKING_STATUSES) | Q(report_due__isnull=False)
    changed, after = 0, 0
    while True:
        ids = list(model.objects.filter(wanted, pk__gt=after).order_by("pk").values_list("pk", flat=True)[:_BATCH])
        if not ids:
            return changed
        with transaction.atomic():
            changed += _refresh(_rows(model).filter(pk__in=ids).select_for_update(
                of=("self",), skip_locked=True), model)
        after = ids[-1]
