"""The reminder pass reads tasks in id-range batches: every due step is found across batch boundaries, a step
already taken is not planned again, and no statement grows with the number of tasks."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.followup.reminders import reminders_run, reminders_steps
from duban.followup.tests.conftest import place_task

D = dt.date
TODAY = D(2026, 1, 5)  # a Monday; the tasks' deadline 2025-12-31 has passed: each is red, due an escalation


def _overdue(org, n):
    return [place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31),
                       progress=30).pk for _ in range(n)]


def test_every_due_step_is_found_across_batches(org):
    ids = _overdue(org, 5)
    green = place_task(org.task_in("in_progress"), assigned=D(2025, 12, 1), deadline=D(2026, 6, 30), progress=90)
    steps = list(reminders_steps(today=TODAY, batch=2))
    assert [(s.task_id, s.stage) for s in steps] == [(pk, "escalate") for pk in ids]
    assert green.pk not in [s.task_id for s in steps]


def test_a_taken_step_is_not_planned_again(org):
    ids = _overdue(org, 3)
    reminders_run(today=TODAY, actor=org.system)
    assert list(reminders_steps(today=TODAY, batch=2)) == []
    more = _overdue(org, 1)
    assert [s.task_id for s in reminders_steps(today=TODAY, batch=2)] == more
    assert len(ids) == 3


def test_no_statement_grows_with_the_tasks(org):
    _overdue(org, 2)

    def longest():
        with CaptureQueriesContext(connection) as ctx:
            list(reminders_steps(today=TODAY, batch=1000))
        return max(len(q["sql"]) for q in ctx.captured_queries), len(ctx.captured_queries)

    few = longest()
    _overdue(org, 6)
    many = longest()
    # the same statements; only the ids of the tasks to load (at most a batch) lengthen the one that reads them
    assert many[1] == few[1]
    assert many[0] - few[0] <= 6 * 8
