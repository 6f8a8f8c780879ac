"""The reminder pass: evaluate every supervised task's light and take the follow-up step it calls for, once, on
working days only.

``reminders_plan`` is a read (it writes nothing, so ``duban remind --dry-run`` can show it); ``reminders_run``
takes each planned step through the ``reminder_send`` action, which the database keeps to once per task, stage
and due key however many workers run the pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone

from duban.core.audit import system_actor
from duban.followup.actions import reminder_send
from duban.followup.lights import STAGE_OF, SUPERVISED_STATUSES, LightCodes, RollupCodes, lights_for
from duban.followup.models import ReminderSent
from duban.tasks.workdays import is_workday
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


def reminders_due_on(today: dt.date) -> bool:
    """Reminders, warnings and escalations go out on official working days only (adjusted weekends included,
    public holidays and ordinary weekends not): a step that falls due on a holiday is taken on the next working
    day, since the lights are evaluated afresh then and the step is still untaken."""
    return is_workday(today)


def reminders_steps(*, today: dt.date, batch: int = 2000) -> Iterator[PlannedReminder]:
    """The steps due on ``today`` and not yet taken, in task order. Reads the supervised tasks in batches of
    ``batch`` by id range as plain columns, classifies them by the light rule (``LightCodes``), and loads as
    model instances only those whose light calls for a step, with the steps already taken for the same id range:
    memory and every statement stay the same size however many tasks there are (no parameter list longer than a
    batch). A split task follows its rolled-up light (never a report of its own, which comes from its
    sub-tasks; under the "worst" roll-up no better than its reddest sub-task): ``RollupCodes`` sorts the batch,
    reading the sub-tasks of its split ones by prefix, and ``lights_for`` words the light of those staged."""
    supervised = Task.objects.filter(status__in=SUPERVISED_STATUSES)
    codes = LightCodes(today)
    after = 0
    while True:
        rows = list(supervised.filter(pk__gt=after).order_by("pk").values_list(*RollupCodes.columns())[:batch])
        if not rows:
            return
        first, after = rows[0][0], rows[-1][0]
        rollup = RollupCodes(codes)
        own = {row[0]: rollup.add(*row) for row in rows}
        if rollup.held:
            rollup.fill()
        staged = [pk for pk, code in own.items() if (rollup.code_of(pk) if code is None else code) in STAGE_OF]
        if not staged:
            continue
        taken = set(ReminderSent.objects.filter(task_id__gte=first, task_id__lte=after)
                    .values_list("task_id", "stage", "due_key"))
        tasks = list(Task.objects.filter(pk__in=staged).select_related("latest_report", "lead_unit").order_by("pk"))
        lights = lights_for(tasks, today)
        for task in tasks:
            light = lights[task.pk]
            if light.stage is None or (task.pk, light.stage, light.due_key) in taken:
                continue
            yield PlannedReminder(task_id=task.pk, task_title=task.title,
                                  unit=task.lead_unit.name if task.lead_unit else "", stage=light.stage,
                                  due_key=light.due_key, light=light.code, reason=light.reason)


def reminders_plan(*, today: dt.date | None = None) -> list[PlannedReminder]:
    """The steps due on ``today`` and not yet taken; none on a day that is not a working day."""
    today = today or timezone.localdate()
    if not reminders_due_on(today):
        return []
    return list(reminders_steps(today=today))


def reminders_run(*, today: dt.date | None = None, actor=None) -> list[ReminderSent]:
    """Take every planned step; returns the reminders this call recorded (a racing worker's are not included)."""
    today = today or timezone.localdate()
    actor = actor or system_actor()
    sent = []
    if not reminders_due_on(today):
        return sent
    for step in reminders_steps(today=today):
        reminder = reminder_send(actor=actor, task_id=step.task_id, stage=step.stage, due_key=step.due_key,
                                 today=today)
        if reminder is not None:
            sent.append(reminder)
    return sent
