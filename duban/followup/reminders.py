"""The reminder pass: evaluate every supervised task's light and take the follow-up step it calls for, once.

``reminders_plan`` is a read (it writes nothing, so ``duban remind --dry-run`` can show it); ``reminders_run``
takes each planned step through the ``reminder_send`` action, which the database keeps to once per task, stage
and due key however many workers run the pass.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from duban.core.audit import system_actor
from duban.followup.actions import reminder_send
from duban.followup.lights import SUPERVISED_STATUSES, task_light
from duban.followup.models import ReminderSent
from duban.tasks.models import Task


@dataclass(frozen=True)
class PlannedReminder:
    task_id: int
    task_title: str
    unit: str
    stage: str
    due_key: str
    light: str
    reason: str


def reminders_plan(*, today: dt.date | None = None) -> list[PlannedReminder]:
    """The steps due on ``today`` and not yet taken (two queries however many tasks)."""
    today = today or timezone.localdate()
    tasks = list(Task.objects.filter(status__in=SUPERVISED_STATUSES)
                 .select_related("latest_report", "lead_unit").order_by("id"))
    taken = set(ReminderSent.objects.filter(task_id__in=[t.pk for t in tasks])
                .values_list("task_id", "stage", "due_key"))
    plan = []
    for task in tasks:
        light = task_light(task, today)
        if light.stage is None or (task.pk, light.stage, light.due_key) in taken:
            continue
        plan.append(PlannedReminder(task_id=task.pk, task_title=task.title,
                                    unit=task.lead_unit.name if task.lead_unit else "", stage=light.stage,
                                    due_key=light.due_key, light=light.code, reason=light.reason))
    return plan


def reminders_run(*, today: dt.date | None = None, actor=None) -> list[ReminderSent]:
    """Take every planned step; returns the reminders this call recorded (a racing worker's are not included)."""
    today = today or timezone.localdate()
    actor = actor or system_actor()
    sent = []
    for step in reminders_plan(today=today):
        reminder = reminder_send(actor=actor, task_id=step.task_id, stage=step.stage, due_key=step.due_key,
                                 today=today)
        if reminder is not None:
            sent.append(reminder)
    return sent
