"""``Task.report_due``: the next report due kept on each task equals the rule computed from the row itself
(``task_report_due`` of a working task, accepted or in progress, not split into sub-tasks; none otherwise) after any
sequence of actions, on SQLite and on PostgreSQL (the same tests with ``DATABASE_URL``); the nightly pass heals a
write that bypassed the actions; the unit's 待报送 reads it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from duban.core.errors import DubanError
from duban.followup import scheduler
from duban.followup.lights import task_report_due
from duban.tasks import actions
from duban.tasks.models import ProgressReport, ReportCycle, ReportStatus, Task, TaskStatus
from duban.tasks.report_due import report_due_refresh_all
from duban.tasks.selectors import today_local

pytestmark = pytest.mark.django_db

CYCLES = [(ReportCycle.WEEKLY, 0), (ReportCycle.BIWEEKLY, 0), (ReportCycle.MONTHLY, 0), (ReportCycle.WORKDAYS, 3),
          (ReportCycle.WORKDAYS, 1), (ReportCycle.ONCE, 0)]


def expected(task: Task) -> dt.date | None:
    """The rule's text: a report is due by the cycle only while the unit works on the task (signed for, not asking
    to close) and the task is not split (its progress then comes from its sub-tasks)."""
    if task.status not in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS) or task.rolled_progress is not None:
        return None
    return task_report_due(task)


def check() -> None:
    rows = list(Task.objects.select_related("latest_report").order_by("id"))
    assert rows
    wrong = [(t.pk, t.status, t.report_cycle, t.deadline, t.report_due, expected(t)) for t in rows
             if t.report_due != expected(t)]
    assert not wrong


@pytest.fixture
def world(org):
    """Tasks of every cycle in each status the actions lead to, assigned some weeks ago (a write beside the
    actions, which the refresh then keeps, as the nightly pass would), some with a near deadline."""
    for i, (cycle, every) in enumerate(CYCLES):
        for status in ("assigned", "accepted", "in_progress", "close_requested"):
            task = org.task_in(status, report_cycle=cycle, report_every=every,
                               deadline=today_local() + dt.timedelta(days=(4 if i % 2 else 60)))
            Task.objects.filter(pk=task.pk).update(assigned_at=timezone.now() - dt.timedelta(days=3 + 5 * i))
    report_due_refresh_all()
    return org


def _latest(task_id: int) -> ProgressReport | None:
    return ProgressReport.objects.filter(task_id=task_id, status=ReportStatus.SUBMITTED).order_by("-id").first()


step = st.one_of(
    st.tuples(st.just("report"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("close_request"), st.integers(0, 99), st.integers(0, 0)),
    st.tuples(st.just("accept"), st.integers(0, 99), st.integers(0, 0)),
    st.tuples(st.just("return"), st.integers(0, 99), st.integers(0, 0)),
    st.tuples(st.just("sign_for"), st.integers(0, 99), st.integers(0, 0)),
    st.tuples(st.just("cycle"), st.integers(0, 99), st.integers(0, len(CYCLES) - 1)),
    st.tuples(st.just("deadline"), st.integers(0, 99), st.integers(0, 40)),
    st.tuples(st.just("extension"), st.integers(0, 99), st.integers(1, 40)),
    st.tuples(st.just("split"), st.integers(0, 99), st.integers(0, 0)),
    st.tuples(st.just("withdraw"), st.integers(0, 99), st.integers(0, 0)),
)


def apply(org, op) -> None:
    from duban.followup.actions import extension_approve, extension_request

    what, a, b = op
    ids = list(Task.objects.order_by("id").values_list("id", flat=True))
    task = Task.objects.get(pk=ids[a % len(ids)])
    try:
        if what == "report":
            actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="推进中", progress_percent=b)
        elif what == "close_request":
            actions.report_submit(actor=org.lead_staff, task_id=task.pk, text="已完成", progress_percent=100,
                                  request_close=True, evidence_text="验收记录")
        elif what in ("accept", "return"):  # the office decides the task's newest report (a close request: 办结)
            report = _latest(task.pk)
            if report is None:
                return
            if what == "accept":
                actions.report_accept(actor=org.supervisor, report_id=report.pk, override_reason="测试")
            else:
                actions.report_return(actor=org.supervisor, report_id=report.pk, reason="材料不全")
        elif what == "sign_for":
            actions.task_accept(actor=org.lead_staff, task_id=task.pk)
        elif what == "cycle":
            cycle, every = CYCLES[b]
            actions.task_update(actor=org.supervisor, task_id=task.pk, version=task.version,
                                changes={"report_cycle": cycle, "report_every": every})
        elif what == "deadline":
            actions.task_deadline_adjust(actor=org.supervisor, task_id=task.pk, version=task.version,
                                         deadline=today_local() + dt.timedelta(days=b), reason="工作需要")
        elif what == "extension":
            request = extension_request(actor=org.lead_staff, task_id=task.pk, reason="需要更多时间",
                                        new_deadline=(task.deadline or today_local()) + dt.timedelta(days=b))
            extension_approve(actor=org.supervisor, request_id=request.pk)
        elif what == "split":
            deadline = min(task.deadline or today_local() + dt.timedelta(days=30), today_local() + dt.timedelta(days=30))
            actions.task_decompose(actor=org.supervisor, task_id=task.pk, version=task.version,
                                   parts=[{"lead_unit_id": org.child.pk, "coop_unit_ids": [], "deadline": deadline}])
        elif what == "withdraw":
            actions.task_withdraw(actor=org.supervisor, task_id=task.pk, reason="重复")
    except DubanError:
        pass  # an action the task's state refuses writes nothing


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(step, min_size=1, max_size=6))
def test_the_kept_report_due_equals_the_rule_after_any_actions(world, ops):
    for op in ops:
        apply(world, op)
    check()


def test_the_world_has_dues_of_every_kind(world):
    """The property above is about something: tasks with a due, working tasks without one (one-off cycle, a due
    past the deadline) and tasks not working."""
    rows = list(Task.objects.select_related("latest_report"))
    working = [t for t in rows if t.status in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)]
    assert any(t.report_due is not None for t in working)
    assert any(t.report_due is None and t.report_cycle == ReportCycle.ONCE for t in working)
    assert any(t.report_due is None and t.report_cycle != ReportCycle.ONCE for t in working)  # due past deadline
    assert all(t.report_due is None for t in rows if t.status not in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS))
    check()


def test_a_report_moves_the_due_to_a_cycle_after_it(world):
    task = Task.objects.filter(status=TaskStatus.ACCEPTED, report_cycle=ReportCycle.WEEKLY).first()
    assigned = timezone.localdate(task.assigned_at)
    # weekly: seven days after the assignment (no report yet), the next working day when that is a holiday
    assert assigned + dt.timedelta(days=7) <= task.report_due <= assigned + dt.timedelta(days=14)
    actions.report_submit(actor=world.lead_staff, task_id=task.pk, text="本周进展", progress_percent=50)
    task.refresh_from_db()
    today = timezone.localdate()
    assert today + dt.timedelta(days=7) <= task.report_due <= today + dt.timedelta(days=14)


def test_splitting_a_task_clears_its_due_and_a_sub_task_is_due_once_it_is_signed_for(world):
    parent = Task.objects.filter(status=TaskStatus.IN_PROGRESS, report_cycle=ReportCycle.WEEKLY,
                                 deadline__gt=today_local() + dt.timedelta(days=30)).first()
    assert parent.report_due is not None
    [child] = actions.task_decompose(actor=world.supervisor, task_id=parent.pk, version=parent.version,
                                     parts=[{"lead_unit_id": world.child.pk, "coop_unit_ids": [],
                                             "deadline": today_local() + dt.timedelta(days=30)}])
    parent.refresh_from_db()
    child.refresh_from_db()
    assert parent.rolled_progress is not None and parent.report_due is None
    assert child.report_due is None  # assigned, not yet signed for
    actions.task_accept(actor=world.child_staff, task_id=child.pk)
    child.refresh_from_db()
    assert child.report_due is not None
    check()


def test_the_nightly_pass_heals_writes_that_bypassed_the_actions(world, monkeypatch):
    working = Task.objects.filter(status__in=(TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS))
    wrong = list(working.exclude(report_due=None).values_list("id", flat=True)[:3])
    assert wrong
    Task.objects.filter(pk__in=wrong).update(report_due=today_local() - dt.timedelta(days=400))
    Task.objects.filter(status=TaskStatus.CLOSE_REQUESTED).update(report_due=today_local())  # a due on a task not working
    Task.objects.filter(report_cycle=ReportCycle.ONCE, status=TaskStatus.IN_PROGRESS).update(
        report_cycle=ReportCycle.WEEKLY)  # a bulk change of the cycle beside the actions
    monkeypatch.setattr(scheduler, "_dues_checked_on", {})
    result = scheduler.run_pass(today=today_local())
    assert result.dues_fixed >= len(wrong) + 1
    check()
    assert scheduler.run_pass(today=today_local()).dues_fixed == 0  # once a day per process


def test_the_migration_fills_the_due_from_the_historical_rows_and_can_be_rerun(world):
    import importlib

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    fill = importlib.import_module("duban.tasks.migrations.0014_wb_report_due").fill
    historical = MigrationLoader(connection).project_state(("tasks", "0014_wb_report_due")).apps
    kept = dict(Task.objects.values_list("pk", "report_due"))
    assert any(kept.values())
    Task.objects.update(report_due=None)
    fill(historical, None)
    assert dict(Task.objects.values_list("pk", "report_due")) == kept
    Task.objects.update(report_due=today_local())  # wrong everywhere: the rerun sets every row right again
    fill(historical, None)
    assert dict(Task.objects.values_list("pk", "report_due")) == kept
    check()
