"""``UnitTally``: the counts kept per unit, status and light for a day equal a direct count of the same scope by
the light of each task (``task_light``), after any sequence of writes (actions, single and bulk updates, the
ledger import's bulk inserts, rows inserted without the ORM, deletes, the cooperation table, a unit moved in the
tree, a flush) and on any later day; on SQLite and on PostgreSQL (the same tests with ``DATABASE_URL``), whose
triggers differ. ``counted``/``recounted`` are what other modules' tests compare after their writes (concurrent
ones in ``test_concurrency``, a unit merge in ``core``)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from duban.core.audit import insert_rows_in_txn, reserve_ids_in_txn
from duban.core.models import Area, Unit
from duban.followup.lights import task_light
from duban.reports.selectors import DashboardFilters, dashboard_stats
from duban.tasks import permissions as perms
from duban.tasks import unit_tally
from duban.tasks.actions import task_bulk_create_in_txn
from duban.tasks.models import OPEN_STATUSES, Task, TaskStatus, UnitTally, UnitTallyStamp
from duban.tasks.selectors import _kept_scope, task_stats, today_local

pytestmark = pytest.mark.django_db

STATUSES = list(TaskStatus.values)
COOP = Task.coop_units.through


def direct(tasks, today: dt.date) -> Counter:
    """What the kept rows must say: each task of the scope counted once by its own light (``task_light``, the
    task-by-task form of the rule, not the one the tally uses), drafts and withdrawn tasks left out."""
    out = Counter()
    for task in tasks.exclude(status__in=[TaskStatus.DRAFT, TaskStatus.WITHDRAWN]).select_related("latest_report"):
        late = task.deadline is not None and task.deadline < today
        out[(task.area_id, task.lead_unit_id, task.status, task_light(task, today).code, late)] += 1
    return out


def kept(viewer, today: dt.date, subtree=None) -> Counter:
    return Counter({k: n for k, n in unit_tally.kept_counts(*_kept_scope(viewer, subtree), today).items() if n})


def counted(today: dt.date | None = None) -> Counter:
    """The office's kept counts (every task at its lead unit), as a read keeps them: a unit whose rows a write did
    not make stale is read as kept, so a write the triggers missed shows as a difference from ``recounted``."""
    return Counter({k: n for k, n in unit_tally.kept_counts(None, 0, today or today_local()).items() if n})


def recounted(today: dt.date | None = None) -> Counter:
    return direct(Task.objects.all(), today or today_local())


def per_axis(counts: Counter) -> Counter:
    out = Counter()
    for (area, lead, *rest), n in counts.items():
        out[("area", area, *rest)] += n
        out[("lead", lead, *rest)] += n
    return out


def figures(viewer, today: dt.date, subtree=None) -> Counter:
    return Counter({k: n for k, n in unit_tally.kept_figures(*_kept_scope(viewer, subtree), today).items() if n})


def subtree_of(unit) -> tuple[int, ...]:
    unit.refresh_from_db()
    return tuple(Unit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))


def check(org, today: dt.date) -> None:
    for viewer in (org.lead_staff, org.child_staff, org.coop_staff, org.other_staff):
        viewer.profile.unit.refresh_from_db()  # a unit may have moved
    for viewer in (org.supervisor, org.leader, org.lead_staff, org.child_staff, org.coop_staff, org.other_staff):
        expected = direct(perms.tasks_visible_to(viewer), today)
        assert kept(viewer, today) == expected, viewer.username
        assert figures(viewer, today) == per_axis(expected), viewer.username  # the scope's kept sum
    for viewer, unit in ((org.supervisor, org.safety), (org.lead_staff, org.child), (org.supervisor, org.health)):
        ids = subtree_of(unit)
        expected = direct(perms.tasks_visible_to(viewer).filter(lead_unit_id__in=ids), today)
        assert kept(viewer, today, ids) == expected, (viewer.username, unit.name)
        assert figures(viewer, today, ids) == per_axis(expected), (viewer.username, unit.name)


@pytest.fixture
def world(org):
    from duban.core.actions import unit_create

    org.grandchild = unit_create(actor=org.system, name="临川区某街道", parent=org.child)
    org.units = [org.safety, org.child, org.grandchild, org.health, org.other]
    for status in ("assigned", "in_progress", "close_requested", "closed", "returned", "draft"):
        org.task_in(status, coop_unit_ids=[org.health.pk, org.child.pk])
    org.task_in("in_progress", deadline=today_local() - dt.timedelta(days=2), coop_unit_ids=[org.grandchild.pk])
    org.task_in("accepted", deadline=None, coop_unit_ids=[])
    org.task_in("assigned", deadline=today_local() + dt.timedelta(days=1), coop_unit_ids=[org.other.pk, org.child.pk])
    org.baseline = list(Task.objects.values_list("id", *BASE))
    org.links = list(COOP.objects.values_list("task_id", "unit_id"))
    return org


BASE = ("status", "deadline", "lead_unit_id", "issuing_unit_id", "area_id", "progress_percent")


def reset(org) -> None:
    """Back to the world's tasks and cooperations (by updates, which the triggers see like any write), so every
    example starts from a varied world however the one before left it."""
    for pk, *values in org.baseline:
        Task.objects.filter(pk=pk).update(**dict(zip(BASE, values)))
    COOP.objects.all().delete()
    COOP.objects.bulk_create([COOP(task_id=task, unit_id=unit) for task, unit in org.links])
    Unit.objects.filter(pk=org.other.pk).update(parent=None, path=f"/{org.other.pk}/")


step = st.one_of(
    st.tuples(st.just("status"), st.integers(0, 50), st.sampled_from(STATUSES)),
    st.tuples(st.just("deadline"), st.integers(0, 50), st.one_of(st.none(), st.integers(-20, 40))),
    st.tuples(st.just("lead"), st.integers(0, 50), st.integers(-1, 4)),
    st.tuples(st.just("issuing"), st.integers(0, 50), st.integers(-1, 4)),
    st.tuples(st.just("progress"), st.integers(0, 50), st.integers(0, 100)),
    st.tuples(st.just("bulk"), st.integers(0, 50), st.sampled_from(STATUSES)),
    st.tuples(st.just("coop_add"), st.integers(0, 50), st.integers(0, 4)),
    st.tuples(st.just("coop_remove"), st.integers(0, 50), st.integers(0, 4)),
    st.tuples(st.just("create"), st.sampled_from(["assigned", "in_progress", "withdrawn"]), st.integers(-5, 30)),
    st.tuples(st.just("report"), st.integers(0, 50), st.integers(0, 100)),
    st.tuples(st.just("move"), st.integers(0, 1), st.integers(0, 0)),
    st.tuples(st.just("day"), st.integers(1, 40), st.integers(0, 0)),
    st.tuples(st.just("read"), st.integers(0, 0), st.integers(0, 0)),
)


def apply(org, op, today: dt.date) -> dt.date:
    from duban.core.errors import DubanError
    from duban.tasks import actions

    what, a, b = op
    ids = list(Task.objects.order_by("id").values_list("id", flat=True))
    pk = ids[a % len(ids)] if isinstance(a, int) else None
    one = Task.objects.filter(pk=pk)

    def unit(i: int) -> int | None:
        return None if i < 0 else org.units[i].pk

    if what == "status":
        one.update(status=b)
    elif what == "deadline":
        one.update(deadline=None if b is None else today + dt.timedelta(days=b))
    elif what == "lead":
        one.update(lead_unit_id=unit(b))
    elif what == "issuing":
        one.update(issuing_unit_id=unit(b))
    elif what == "progress":
        one.update(progress_percent=b)
    elif what == "bulk":  # many rows in one statement
        Task.objects.filter(pk__in=ids[a % len(ids)::3]).update(status=b, progress_percent=a)
    elif what == "coop_add":
        COOP.objects.bulk_create([COOP(task_id=pk, unit_id=unit(b))], ignore_conflicts=True)
    elif what == "coop_remove":  # the a-th cooperation there is
        links = list(COOP.objects.order_by("id").values_list("id", flat=True))
        COOP.objects.filter(pk=links[a % len(links)] if links else None).delete()
    elif what == "create":
        try:
            org.task_in(a, deadline=today + dt.timedelta(days=b), coop_unit_ids=[org.other.pk])
        except DubanError:
            pass  # a deadline the action refuses: nothing written
    elif what == "report":  # an action: the latest report moves the report cycle
        try:
            actions.report_submit(actor=org.lead_staff, task_id=pk, text="推进中", progress_percent=b)
        except DubanError:
            pass  # not the lead staff's task, or not reportable now: nothing written
    elif what == "move":  # a unit moved in the tree changes whose scope a task is in
        other, parent = org.other, (org.health if a else None)
        other.refresh_from_db()
        path = (parent.path if parent else "/") + f"{other.pk}/"
        Unit.objects.filter(pk=other.pk).update(parent=parent, path=path)
    elif what == "day":
        return today + dt.timedelta(days=a)
    elif what == "read":  # a read keeps the counts, so later checks mix kept and recounted units
        check(org, today)
    return today


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(step, min_size=1, max_size=8))
def test_kept_counts_equal_a_direct_count_after_any_writes(world, ops):
    today = today_local()
    reset(world)
    check(world, today)  # kept for today (and the examples before this one), so a write a trigger missed shows
    for op in ops:
        today = apply(world, op, today)
    check(world, today)


def test_a_write_makes_only_its_units_stale_and_a_read_counts_only_those(world):
    org = world
    check(org, today_local())  # every unit counted and kept
    stamps = dict(UnitTallyStamp.objects.values_list("unit_id", "counted"))
    task = Task.objects.filter(lead_unit=org.safety, status=TaskStatus.IN_PROGRESS).first()
    Task.objects.filter(pk=task.pk).update(progress_percent=5)
    stale = {unit for unit, version, counted in UnitTallyStamp.objects.values_list("unit_id", "version", "counted")
             if version != counted}
    assert stale == {org.safety.pk, *task.coop_units.values_list("id", flat=True)}
    assert stale < set(stamps)
    check(org, today_local())
    assert not UnitTallyStamp.objects.exclude(counted=F("version")).exists()


def test_the_next_day_is_counted_again_and_the_pass_refreshes_every_unit(world):
    org = world
    check(org, today_local())
    later = today_local() + dt.timedelta(days=60)  # every open deadline passed: red
    assert unit_tally.refresh_all(later) >= len(org.units)
    assert unit_tally.refresh_all(later) == 0  # nothing stale any more
    assert not UnitTallyStamp.objects.exclude(day=later).exists()
    assert kept(org.supervisor, later) == direct(Task.objects.all(), later)
    assert any(key[3] == "red" for key in kept(org.supervisor, later))


def test_a_kept_read_costs_a_fixed_number_of_queries_and_touches_no_task(world):
    org = world
    unit_tally.refresh_all(today_local())
    scope = _kept_scope(org.lead_staff, None)
    with CaptureQueriesContext(connection) as ctx:
        unit_tally.kept_counts(*scope, today_local())
    assert len(ctx.captured_queries) == 2
    assert not any("tasks_task" in q["sql"] for q in ctx.captured_queries)
    unit_tally.kept_figures(*scope, today_local())  # the scope's sum is kept: read with the stamps, one statement
    with CaptureQueriesContext(connection) as ctx:
        unit_tally.kept_figures(*scope, today_local())
    assert len(ctx.captured_queries) == 1


def test_the_dashboards_read_the_kept_counts_when_unfiltered_and_count_directly_when_filtered(world):
    org = world
    UnitTally.objects.update(n=1000)  # kept rows that disagree with the tasks: who reads them shows it
    UnitTallyStamp.objects.update(counted=None)
    unit_tally.refresh_all(today_local())
    UnitTally.objects.filter(level=0).update(n=1000)
    assert task_stats(viewer=org.supervisor, today=today_local()).total >= 1000
    assert dashboard_stats(viewer=org.supervisor, today=today_local()).total >= 1000
    filtered = dashboard_stats(viewer=org.supervisor, today=today_local(),
                               filters=DashboardFilters(area_id=org.area_safety.pk))
    assert filtered.total == Task.objects.filter(area=org.area_safety).exclude(
        status__in=[TaskStatus.DRAFT, TaskStatus.WITHDRAWN]).count()


def test_the_dashboard_lights_from_the_kept_counts_equal_the_direct_ones(world):
    org = world
    org.task_in("in_progress", deadline=today_local() + dt.timedelta(days=1))  # blue
    org.task_in("assigned", deadline=None, coop_unit_ids=[])  # no deadline
    for viewer in (org.supervisor, org.lead_staff):
        for subtree in (None, org.safety.pk):
            board = dashboard_stats(viewer=viewer, filters=DashboardFilters(subtree_id=subtree), today=today_local())
            tasks = perms.tasks_visible_to(viewer)
            if subtree:
                tasks = tasks.filter(lead_unit_id__in=subtree_of(org.safety))
            lights = Counter()
            for (area, lead, status, light, late), n in direct(tasks, today_local()).items():
                lights[light] += n
            assert {code: board.lights[code] for code in ("red", "yellow", "blue", "green", "nodeadline")} == {
                code: lights[code] for code in ("red", "yellow", "blue", "green", "nodeadline")}
            assert board.total == sum(direct(tasks, today_local()).values())


def test_a_unit_moved_in_the_tree_is_counted_in_its_new_parents_scope(world):
    org = world
    check(org, today_local())
    apply(org, ("move", 1, 0), today_local())  # 市教育局 under 市卫健委: its tasks join 市卫健委's scope, counted once
    check(org, today_local())
    apply(org, ("move", 0, 0), today_local())
    check(org, today_local())


def test_the_follow_up_pass_counts_every_unit_for_its_day(world):
    from duban.followup.scheduler import run_pass

    org = world
    later = today_local() + dt.timedelta(days=3)
    assert run_pass(today=later).recounted >= len(org.units)
    assert not UnitTallyStamp.objects.exclude(day=later).exists()
    assert not UnitTallyStamp.objects.exclude(counted=F("version")).exists()
    assert kept(org.lead_staff, later) == direct(perms.tasks_visible_to(org.lead_staff), later)


def test_counts_of_a_unit_written_between_its_count_and_its_store_stay_stale(world):
    """A reader counts, a writer commits, the reader stores: the rows it counted before the write must not be kept
    as valid for the units the write touched (their version moved on), only for the others."""
    org = world
    versions, stale = unit_tally._stale(None, today_local())
    recounted = unit_tally._recount(sorted(stale), today_local())
    task = Task.objects.filter(lead_unit=org.safety, coop_units=org.health).first()
    Task.objects.filter(pk=task.pk).update(progress_percent=7)  # the write, between the count and the store
    unit_tally._store(stale, recounted, today_local())
    _, still = unit_tally._stale(None, today_local())
    assert set(still) == {org.safety.pk, *task.coop_units.values_list("id", flat=True)}
    check(org, today_local())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_way_of_writing_tasks_is_counted(org, seed):
    """Each way tasks are written, in random order; after each the kept counts (read, and so kept, after the write
    before) equal a direct count, and every viewer's scope does at the end."""
    rnd = random.Random(seed)
    other_area = Area.objects.create(name="其他", sort_order=99)
    units, areas = [org.safety.pk, org.other.pk, org.child.pk, None], [org.area_safety.pk, other_area.pk, None]
    for _ in range(4):
        org.task_in(rnd.choice(["draft", "assigned", "in_progress", "closed", "withdrawn"]))
    check(org, today_local())
    assert counted() == recounted()
    for step in range(30):
        ids = list(Task.objects.values_list("pk", flat=True))
        what = rnd.randrange(7)
        if what == 0:  # one row, as an action or an edit writes it
            Task.objects.filter(pk=rnd.choice(ids)).update(status=rnd.choice(STATUSES))
        elif what == 1:  # many rows in one statement, keys to and from "none"
            Task.objects.filter(pk__in=rnd.sample(ids, min(3, len(ids)))).update(
                lead_unit_id=rnd.choice(units), area_id=rnd.choice(areas))
        elif what == 2:  # a deadline moved: late, and the light, follow the date
            Task.objects.filter(pk=rnd.choice(ids)).update(
                deadline=rnd.choice([None, today_local() - dt.timedelta(days=2), today_local() + dt.timedelta(days=1)]))
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
        elif what == 5:  # a statement that changes nothing counted
            Task.objects.filter(pk__in=ids).update(progress_percent=rnd.randrange(101))
        else:  # a delete (never done to business records by the product; the counts must follow anyway)
            Task.objects.filter(pk__in=list(Task.objects.filter(title="直接写入").values_list("pk", flat=True)[:2]),
                                ).delete()
        assert counted() == recounted(), (step, what)
    check(org, today_local())


def test_the_office_dashboards_give_the_figures_of_a_direct_count(org):
    """Read from the kept counts (the office's scope is unfiltered): the total leaves out drafts and withdrawn
    tasks, overdue counts the open ones past their deadline, and the rows per area add up to the total."""
    today = today_local()
    for status in ("assigned", "in_progress", "close_requested", "closed", "withdrawn", "draft", "returned"):
        org.task_in(status)
        org.task_in(status, deadline=today - dt.timedelta(days=3))  # late while open
    org.task_in("assigned", lead_unit_id=org.other.pk, area_id=None)
    shown = Task.objects.exclude(status__in=[TaskStatus.DRAFT, TaskStatus.WITHDRAWN])
    late = shown.filter(status__in=OPEN_STATUSES, deadline__lt=today).count()
    assert late > 0
    for _ in range(2):  # counted from the tasks, then read as kept
        figures = dashboard_stats(viewer=org.supervisor, today=today)
        assert (figures.total, figures.overdue) == (shown.count(), late)
        stats = task_stats(viewer=org.supervisor, today=today)
        assert stats.lights is not None  # the kept path
        assert (stats.total, stats.overdue) == (shown.count(), late)
        assert {row["id"]: row["total"] for row in stats.by_area} == Counter(shown.values_list("area_id", flat=True))
        assert {row["id"]: row["total"] for row in stats.by_unit} == Counter(
            shown.values_list("lead_unit_id", flat=True))


def test_lost_triggers_are_recreated_and_every_unit_counted_again(org):
    task = org.task_in("assigned")
    if connection.vendor != "sqlite":
        assert unit_tally.ensure_unit_tally() is False  # PostgreSQL keeps them
        return
    assert unit_tally.ensure_unit_tally() is False
    assert counted() == recounted()  # kept
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER tasks_unit_tally_au")
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.CLOSED)  # not seen: the trigger is gone
    assert counted() != recounted()
    assert unit_tally.ensure_unit_tally() is True
    assert counted() == recounted()
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS)
    assert counted() == recounted() and unit_tally.ensure_unit_tally() is False


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_counts_that_add_up(org):
    """A flush (what a transactional test's teardown runs) empties the tables in any order, the task table's
    delete triggers stamping units as it goes; what is kept afterwards must still be what the tasks say."""
    org.task_in("closed")
    org.task_in("assigned")
    assert counted() == recounted() != Counter()
    call_command("flush", interactive=False, verbosity=0)
    assert counted() == recounted() == Counter()
