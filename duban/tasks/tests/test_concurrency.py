"""Writers at the same moment on real connections (threads, one database session each): one lock order for every
write, a whole action run again when the database gives it up, and of two reviews of one report exactly one wins.

The races need row locks that wait for each other, which only PostgreSQL has (SQLite lets one writer in at a time),
so the tests that show them run when the suite runs on PostgreSQL (``DATABASE_URL``) and are skipped on SQLite."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import OperationalError, connection, connections

from duban.core.audit import EventType, audit_verify
from duban.core.errors import Conflict, DubanError
from duban.core.models import AuditEvent, Notification
from duban.core.txn import durable_action, is_retryable
from duban.tasks import actions
from duban.tasks.models import ProgressReport, ReportStatus, Task, TaskStatus
from duban.tasks.tests.test_unit_tally import counted, recounted

pytestmark = [pytest.mark.django_db(transaction=True)]

# Row locks that wait for each other need PostgreSQL (SQLite has one writer): these run in CI's PostgreSQL pass
# and are deselected, not skipped, on SQLite (duban/conftest.py).
needs_postgres = pytest.mark.postgresql


def _in_thread(target, results: list, index: int):
    def run():
        try:
            results[index] = ("ok", target())
        except Exception as exc:  # noqa: BLE001 - every outcome is asserted by the caller
            results[index] = ("error", exc)
        finally:
            connections.close_all()
    return threading.Thread(target=run)


def _wait_for_lock_waiters(count: int, results: list, timeout: float = 20) -> None:
    """Until ``count`` other sessions of this database wait on a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(results):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # else the same answer for the whole transaction
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} sessions never waited on a lock: {results}")


def race_behind_task_lock(task_id: int, *actions_at_once) -> list:
    """Run the actions in threads while this test holds the task's row lock, let go once all of them wait on it (each
    has read what it read before locking), and return each one's ("ok", value) or ("error", exception)."""
    from django.db import transaction

    results: list = [None] * len(actions_at_once)
    threads = [_in_thread(action, results, i) for i, action in enumerate(actions_at_once)]
    with transaction.atomic():
        Task.objects.select_for_update().get(pk=task_id)
        for thread in threads:
            thread.start()
        _wait_for_lock_waiters(len(threads), results)
    for thread in threads:
        thread.join(60)
    return results


@needs_postgres
@pytest.mark.parametrize("first,second", [("accept", "return"), ("return", "accept"), ("accept", "accept")])
def test_two_reviews_of_one_report_at_once_exactly_one_wins(org, first, second):
    task = org.task_in("close_requested")
    report = ProgressReport.objects.get(task=task, request_close=True)
    review = {"accept": lambda: actions.report_accept(actor=org.supervisor, report_id=report.pk, comment="同意"),
              "return": lambda: actions.report_return(actor=org.supervisor, report_id=report.pk, reason="材料不全")}
    before_events = AuditEvent.objects.count()
    before_notices = Notification.objects.count()
    results = race_behind_task_lock(task.pk, review[first], review[second])

    outcomes = [kind for kind, _ in results]
    report.refresh_from_db()
    task.refresh_from_db()
    if first == second:  # the same decision twice: both answer it, it is recorded once
        assert outcomes == ["ok", "ok"], results
        assert report.status == ReportStatus.ACCEPTED
    else:
        assert sorted(outcomes) == ["error", "ok"], results
        loser = next(value for kind, value in results if kind == "error")
        assert isinstance(loser, Conflict)
        winner = [first, second][outcomes.index("ok")]
        assert report.status == {"accept": ReportStatus.ACCEPTED, "return": ReportStatus.RETURNED}[winner]
    # One review's effects only: its two events (the review and the close or the return), one notice set.
    assert AuditEvent.objects.count() - before_events == 2 + (1 if report.status == ReportStatus.ACCEPTED else 0)
    if report.status == ReportStatus.ACCEPTED:
        assert task.status == TaskStatus.CLOSED
        assert AuditEvent.objects.filter(event_type=EventType.TASK_CLOSED, task=task).count() == 1
    else:
        assert task.status == TaskStatus.IN_PROGRESS and task.returns_count == 1
    assert AuditEvent.objects.filter(event_type__in=[EventType.REPORT_ACCEPTED, EventType.REPORT_RETURNED],
                                     report=report).count() == 1
    assert Notification.objects.count() - before_notices == len(actions.unit_people(report.unit_id))
    assert audit_verify() == []


@needs_postgres
def test_close_requests_returns_and_accepts_at_once_lose_nothing_and_never_fail(org):
    """Lead units ask to close while the office returns and accepts other tasks of the same area: every action
    either succeeds or answers a domain error (never a database error, which the API would answer with a 500),
    and every acknowledged write is there afterwards. Meanwhile a reader keeps the counts per unit again and again
    (storing rows the writers make stale under it): afterwards they are what the tasks say."""
    tasks = [org.task_in("in_progress") for _ in range(6)]
    rounds = 6
    acknowledged = {t.pk: {"submits": 0, "returns": 0, "accepted": False} for t in tasks}
    failures: list = []
    assert counted() == recounted()  # kept before the writers start
    writing = threading.Event()
    writing.set()

    def read_counts():
        reads = 0
        while writing.is_set() and reads < 500:
            counted()
            reads += 1
        return reads

    def cycle(task_id: int):
        def run():
            for n in range(rounds):
                report = actions.report_submit(actor=org.lead_staff, task_id=task_id, text=f"第{n}次申请办结",
                                               progress_percent=100, request_close=True, evidence_text="验收报告")
                acknowledged[task_id]["submits"] += 1
                if n < rounds - 1:
                    actions.report_return(actor=org.supervisor, report_id=report.pk, reason=f"第{n}次退回")
                    acknowledged[task_id]["returns"] += 1
                else:
                    actions.report_accept(actor=org.supervisor, report_id=report.pk)
                    acknowledged[task_id]["accepted"] = True
        return run

    results: list = [None] * len(tasks)
    threads = [_in_thread(cycle(t.pk), results, i) for i, t in enumerate(tasks)]
    reader_result: list = [None]
    reader = _in_thread(read_counts, reader_result, 0)
    reader.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    writing.clear()
    reader.join(120)
    assert reader_result[0][0] == "ok" and reader_result[0][1] > 0, reader_result
    failures = [value for kind, value in results if kind == "error"]
    assert not [f for f in failures if not isinstance(f, DubanError)], failures
    assert failures == []

    for task in tasks:
        task.refresh_from_db()
        mine = acknowledged[task.pk]
        assert ProgressReport.objects.filter(task=task, request_close=True).count() == mine["submits"] == rounds
        assert task.returns_count == mine["returns"] == rounds - 1
        assert task.status == TaskStatus.CLOSED and mine["accepted"]
        assert AuditEvent.objects.filter(task=task, event_type=EventType.TASK_CLOSE_RETURNED).count() == rounds - 1
    assert audit_verify() == []
    kept = counted()
    assert kept == recounted()
    by_status = Counter()
    for (area, _lead, status, _light, _late), n in kept.items():
        by_status[(area, status)] += n
    assert by_status[(org.area_safety.pk, TaskStatus.CLOSED)] == len(tasks)
    assert by_status[(org.area_safety.pk, TaskStatus.IN_PROGRESS)] == 0


def test_durable_action_runs_the_whole_action_again_after_a_deadlock_and_only_then():
    """A rolled-back attempt is run again from the start; other database errors are not retried."""
    import psycopg.errors

    calls = []

    class Deadlock(OperationalError):
        pass

    @durable_action
    def flaky(*, fail_times: int, error=None):
        calls.append(connection.in_atomic_block)
        if len(calls) <= fail_times:
            raise Deadlock("deadlock detected") from (error or psycopg.errors.DeadlockDetected())
        return len(calls)

    assert flaky(fail_times=2) == 3
    assert calls == [True, True, True]  # each attempt in its own outermost transaction
    calls.clear()
    with pytest.raises(OperationalError):
        flaky(fail_times=1, error=psycopg.errors.UndefinedTable())
    assert len(calls) == 1
    assert is_retryable(Deadlock("x").with_traceback(None)) is False
    assert is_retryable(psycopg.errors.SerializationFailure()) is True
