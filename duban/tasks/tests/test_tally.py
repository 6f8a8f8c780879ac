"""``TaskTally``: the database keeps the count of tasks per (lead unit, area, status) through every way tasks are
written, and the office's dashboards read the same figures from it as from a grouped pass."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count

from duban.core.audit import insert_rows_in_txn, reserve_ids_in_txn
from duban.core.models import Area
from duban.reports.selectors import dashboard_stats
from duban.tasks import tally
from duban.tasks.actions import task_bulk_create_in_txn
from duban.tasks.models import OPEN_STATUSES, Task, TaskStatus, TaskTally
from duban.tasks.selectors import grouped_task_counts, task_stats

pytestmark = pytest.mark.django_db

STATUSES = list(TaskStatus.values)


def counted() -> dict:
    """What the triggers kept, without the counts that went back to 0."""
    return {(axis, key, status): n for axis, key, status, n in
            TaskTally.objects.filter(n__gt=0).values_list("axis", "key", "status", "n")}


def recounted() -> dict:
    return {(axis, key or 0, status): n for axis, column in tally.AXES for key, status, n in
            Task.objects.values_list(column, "status").annotate(n=Count("id")).order_by()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_way_of_writing_tasks_is_counted(org, seed):
    rnd = random.Random(seed)
    other_area = Area.objects.create(name="其他", sort_order=99)
    units, areas = [org.safety.pk, org.other.pk, org.child.pk, None], [org.area_safety.pk, other_area.pk, None]
    for _ in range(4):
        org.task_in(rnd.choice(["draft", "assigned", "in_progress", "closed", "withdrawn"]))
    assert counted() == recounted()
    for step in range(40):
        ids = list(Task.objects.values_list("pk", flat=True))
        what = rnd.randrange(6)
        if what == 0:  # one row, as an action or an edit writes it
            Task.objects.filter(pk=rnd.choice(ids)).update(status=rnd.choice(STATUSES))
        elif what == 1:  # many rows in one statement, keys to and from "none"
            Task.objects.filter(pk__in=rnd.sample(ids, min(3, len(ids)))).update(
                lead_unit_id=rnd.choice(units), area_id=rnd.choice(areas))
        elif what == 2:  # a statement that moves nothing counted
            Task.objects.filter(pk__in=ids).update(progress_percent=rnd.randrange(101))
        elif what == 3:  # the ledger import's path (multi-row INSERT on SQLite, COPY on PostgreSQL)
            with transaction.atomic():
                task_bulk_create_in_txn(actor=org.supervisor, assign=rnd.random() < 0.5, rows=[
                    dict(title=f"批量{step}-{i}", text="要落实。", lead_unit_id=rnd.choice(units[:3]),
                         area_id=rnd.choice(areas)) for i in range(rnd.randrange(1, 5))])
        elif what == 4:  # rows written without the ORM's save
            with transaction.atomic():
                pks = reserve_ids_in_txn(Task, 2)
                insert_rows_in_txn(Task, [Task(pk=pk, title="直接写入", text="要落实。", status=rnd.choice(STATUSES),
                                               lead_unit_id=rnd.choice(units), area_id=rnd.choice(areas),
                                               created_by=org.supervisor) for pk in pks])
        else:  # a delete (never done to business records by the product; the count must follow anyway)
            Task.objects.filter(pk__in=list(Task.objects.filter(title="直接写入").values_list("pk", flat=True)[:2]),
                                ).delete()
        assert counted() == recounted(), (step, what)


def test_the_office_dashboards_give_the_same_figures_from_the_counts(org):
    for status in ("assigned", "in_progress", "close_requested", "closed", "withdrawn", "draft", "returned"):
        org.task_in(status)
        org.task_in(status, deadline=dt.date.today() - dt.timedelta(days=3))  # late while open
    org.task_in("assigned", lead_unit_id=org.other.pk, area_id=None)
    today = dt.date.today()
    office = Task.objects.exclude(status__in=[TaskStatus.DRAFT, TaskStatus.WITHDRAWN])

    def open_late_only(groups):
        return {key: [n, late if key[1] in OPEN_STATUSES else 0] for key, (n, late) in groups.items()}

    kept = grouped_task_counts(office, today, viewer=org.supervisor, unfiltered=True)
    passed = grouped_task_counts(office, today, viewer=org.lead_staff, unfiltered=True)  # the grouped pass
    assert [open_late_only(g) for g in kept] == [open_late_only(g) for g in passed]
    by_area, by_unit = kept
    assert any(late for _n, late in by_area.values()) and (None, "assigned") in by_area
    assert (org.other.pk, "assigned") in by_unit and sum(n for n, _ in by_unit.values()) == office.count()
    late = office.filter(status__in=OPEN_STATUSES, deadline__lt=today).count()
    figures = dashboard_stats(viewer=org.supervisor, today=today)
    assert (figures.total, figures.overdue) == (office.count(), late) and late > 0
    stats = task_stats(viewer=org.supervisor, today=today)
    assert (stats.total, stats.overdue) == (office.count(), late)
    assert {row["id"]: row["total"] for row in stats.by_area} == dict(
        office.values_list("area_id").annotate(n=Count("id")).order_by())


def test_counts_that_do_not_add_up_are_counted_again(org):
    """What a flush leaves when it empties the counts before the tasks (their delete trigger then counts -1)."""
    org.task_in("assigned")
    assert tally.ensure_task_tally() is False
    TaskTally.objects.filter(axis="area").update(n=-1)
    assert tally.ensure_task_tally() is True and counted() == recounted()
    TaskTally.objects.filter(axis="lead").update(n=-1)  # the area counts add up, a lead count is negative
    assert tally.ensure_task_tally() is True and counted() == recounted()


def test_lost_triggers_are_recreated_with_the_counts(org):
    org.task_in("assigned")
    if connection.vendor != "sqlite":
        assert tally.ensure_task_tally() is False  # PostgreSQL keeps them
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER tasks_tally_au")
    org.task_in("closed")  # not counted: the trigger is gone
    assert counted() != recounted()
    assert tally.ensure_task_tally() is True
    assert counted() == recounted()
    org.task_in("in_progress")
    assert counted() == recounted() and tally.ensure_task_tally() is False


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_counts_that_add_up(org):
    """A flush (what a transactional test's teardown runs) empties the tables in any order; post_migrate, which it
    sends, counts again."""
    org.task_in("closed")
    org.task_in("assigned")
    call_command("flush", interactive=False, verbosity=0)
    assert counted() == recounted() == {}
    assert not TaskTally.objects.filter(n__lt=0).exists()
