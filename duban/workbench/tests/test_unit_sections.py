"""A unit's 工作台 sections of tasks: their figures are those of a plain count of the scope's tasks, and on SQLite at
a million tasks each section's matches are read once, from an index holding what the scope tests (a county's cold
工作台 read 30,000 cooperations' and 16,500 supervised tasks' rows, each twice: 318 ms)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.db import connection

from duban.core.tests.plans import sqlite_plan
from duban.tasks.models import ProgressReport, ReportStatus, Task
from duban.workbench.selectors import SHOWN, UNIT_SOON_DAYS, workbench_get

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 1)
OPEN = ("assigned", "accepted", "in_progress", "close_requested", "returned")


def _section(wb, key):
    return next(s for s in wb.sections if s.key == key)


def _world(org):
    """Tasks of every status led, cooperated on and issued by the units, due on either side of the horizon, with
    reports due or not, some parts filed (one returned): more than ``SHOWN`` in the busiest sections."""
    units = [org.safety, org.child, org.health, org.other]
    statuses = ("assigned", "accepted", "in_progress", "close_requested", "returned", "closed")
    for i in range(30):
        coop = [u.pk for u in (units[1 + i % 3], units[1 + (i + 1) % 3])[: i % 3]]
        task = org.task_in(statuses[i % len(statuses)], title=f"事项{i}", coop_unit_ids=coop,
                           deadline=TODAY + dt.timedelta(days=(i * 7) % 19 - 9))
        # another lead unit, the kept report due and the issuing unit as the benchmark seed writes them
        Task.objects.filter(pk=task.pk).update(
            lead_unit_id=units[i % 4].pk, report_due=TODAY + dt.timedelta(days=(i * 5) % 17 - 4) if i % 4 else None,
            issuing_unit_id=(org.safety.pk if i % 5 == 1 else org.other.pk if i % 5 == 2 else None))
    for task in Task.objects.filter(status__in=("accepted", "in_progress")).order_by("id")[::2]:
        for unit_id in task.coop_units.values_list("pk", flat=True)[:1]:
            report = ProgressReport.objects.create(task=task, unit_id=unit_id, author=org.supervisor,
                                                   text="配合意见", progress_percent=0)
            if task.pk % 3 == 0:
                ProgressReport.objects.filter(pk=report.pk).update(status=ReportStatus.RETURNED)


def _expected(viewer, units: set[int]) -> dict[str, tuple[int, list[int]]]:
    """Each section from its rule, over every task and report read plainly: (count, first ``SHOWN`` ids)."""
    horizon = TODAY + dt.timedelta(days=UNIT_SOON_DAYS)
    tasks = list(Task.objects.all())
    coop = {}
    for task_id, unit_id in Task.coop_units.through.objects.values_list("task_id", "unit_id"):
        coop.setdefault(task_id, set()).add(unit_id)
    filed = {(r.task_id, r.unit_id) for r in ProgressReport.objects.all() if r.status != ReportStatus.RETURNED}

    def visible(t):
        return t.status != "draft" and (t.lead_unit_id in units or coop.get(t.pk, set()) & units
                                        or t.issuing_unit_id in units)

    def by_deadline(rows):
        return sorted((t.deadline, t.pk) for t in rows)

    mine = [t for t in tasks if visible(t) and t.status in OPEN]
    sections = {
        "to_sign": by_deadline(t for t in mine if t.lead_unit_id in units and t.status == "assigned"
                               and t.issuing_unit_id != viewer.profile.unit_id),
        "to_report": sorted((t.report_due, t.pk) for t in mine if t.report_due and t.report_due <= horizon),
        "coop": by_deadline(t for t in tasks if t.status in ("accepted", "in_progress") and t.lead_unit_id not in units
                            and coop.get(t.pk, set()) & units
                            and not any((t.pk, u) in filed for u in units)),
        "due_soon": by_deadline(t for t in mine if t.status in ("assigned", "accepted", "in_progress")
                                and t.deadline <= horizon),
    }
    return {key: (len(rows), [pk for _order, pk in rows[:SHOWN]]) for key, rows in sections.items()}


def test_a_units_sections_are_a_plain_count_of_its_scope(org):
    _world(org)
    for viewer, units in ((org.lead_staff, {org.safety.pk, org.child.pk}), (org.coop_staff, {org.health.pk}),
                          (org.other_staff, {org.other.pk}), (org.child_staff, {org.child.pk})):
        wb = workbench_get(viewer=viewer, today=TODAY)
        got = {key: (_section(wb, key).count, [t.pk for t in _section(wb, key).rows]) for key in
               ("to_sign", "to_report", "coop", "due_soon")}
        assert got == _expected(viewer, units), viewer.username
        # a row shows its task's own columns and lead unit
        for key in got:
            for row in _section(wb, key).rows:
                task = Task.objects.select_related("lead_unit").get(pk=row.pk)
                assert (row.title, row.lead_unit.name, row.deadline, row.status, row.report_due, row.version) == (
                    task.title, task.lead_unit.name, task.deadline, task.status, task.report_due, task.version)
    # the world is not empty where it matters: a section shows its first eight of more
    assert _section(workbench_get(viewer=org.lead_staff, today=TODAY), "due_soon").count > SHOWN


# SQLite's statistics at a million tasks, five million reports and 314,319 cooperations (``sqlite_stat1`` after the
# benchmark seed's ANALYZE and the migration's): rows, then rows per distinct value of each index's columns
MILLION_STATS = [
    ("tasks_progressreport", "report_review_queue_idx", "7925 7925 5 1"),
    ("tasks_progressreport", "report_task_unit_idx", "5000000 6 4"),
    ("tasks_progressreport", "report_task_unit_status_idx", "5000000 6 4 4"),
    ("tasks_progressreport", "tasks_progressreport_author_id_ef864028", "5000000 16779"),
    ("tasks_progressreport", "tasks_progressreport_task_id_1fcd78b5", "5000000 6"),
    ("tasks_progressreport", "tasks_progressreport_unit_id_540251e5", "5000000 16779"),
    ("tasks_task", "task_area_status_dl_idx", "1000000 83334 10417 18"),
    ("tasks_task", "task_id_issuing_idx", "1000000 1"),
    ("tasks_task", "task_id_scope_idx", "1000000 1 1 1 1"),
    ("tasks_task", "task_lead_area_status_dl_idx", "1000000 3356 280 54 2"),
    ("tasks_task", "task_lead_status_closed_idx", "1000000 3356 463 4"),
    ("tasks_task", "task_lead_status_dl_idx", "1000000 3356 463 3"),
    ("tasks_task", "task_open_deadline_idx", "67303 32 1 1 1 1"),
    ("tasks_task", "task_report_due_idx", "29612 45 1"),
    ("tasks_task", "task_report_due_scope_idx", "29612 45 1 1 1 1"),
    ("tasks_task", "task_status_area_order_idx", "1000000 125000 10417 166 166 16 1"),
    ("tasks_task", "task_status_closed_idx", "1000000 125000 546"),
    ("tasks_task", "task_status_deadline_idx", "1000000 125000 113"),
    ("tasks_task", "task_status_dl_closed_idx", "1000000 125000 113 113"),
    ("tasks_task", "task_status_dl_scope_idx", "1000000 125000 113 3 3"),
    ("tasks_task", "task_status_order_idx", "1000000 125000 842 842 16 1"),
    ("tasks_task", "task_supervised_dl_idx", "59185 28 1"),
    ("tasks_task", "task_tree_path_nocase_idx", "1000000 2"),
    ("tasks_task", "tasks_task_area_id_56619fdf", "1000000 83334"),
    ("tasks_task", "tasks_task_issuing_unit_id_a803bb70", "1000000 90910"),
    ("tasks_task", "tasks_task_latest_report_id_01f87358", "1000000 1"),
    ("tasks_task", "tasks_task_lead_unit_id_850a9799", "1000000 3356"),
    ("tasks_task", "tasks_task_meeting_id_5bf0dbb5", "1000000 3985"),
    ("tasks_task", "tasks_task_parent_id_ee6a2001", "1000000 6"),
    ("tasks_task_coop_units", "tasks_coop_unit_task_idx", "314319 1055 1"),
    ("tasks_task_coop_units", "tasks_task_coop_units_task_id_0239c1d6", "314319 1"),
    ("tasks_task_coop_units", "tasks_task_coop_units_task_id_unit_id_1c883ef6_uniq", "314319 1 1"),
    ("tasks_task_coop_units", "tasks_task_coop_units_unit_id_03b4d074", "314319 1055"),
]


@contextmanager
def _statements():
    """The statements run inside, with their parameters bound as Django binds them (the captured SQL inlines
    them, and SQLite plans literals differently: a partial index on a list of statuses only for literals)."""
    ran = []

    def keep(execute, sql, params, many, context):
        ran.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        yield ran


def test_a_units_sections_read_each_match_once_from_indexes_of_what_the_scope_tests(org):
    with _statements() as ran:
        workbench_get(viewer=org.lead_staff, today=TODAY)
    [(sql, params)] = [(sql, params) for sql, params in ran if "OVER ()" in sql]
    if connection.vendor != "sqlite":
        return  # PostgreSQL reads the scope's columns from the model's indexes (INCLUDE)
    plan = sqlite_plan(sql, MILLION_STATS, params)
    text = "\n".join(plan)
    # 待报送 in its index, with the scope's columns; 即将到期 by status and deadline, likewise
    assert "SEARCH tasks_task USING COVERING INDEX task_report_due_scope_idx (report_due<?)" in plan, text
    assert "SEARCH tasks_task USING COVERING INDEX task_status_dl_scope_idx (status=? AND deadline<?)" in plan, text
    # 待报送配合意见: each task cooperated on probed in the index by id, each filed part in the reports' index
    assert "SEARCH tasks_task USING COVERING INDEX task_id_scope_idx (id=?)" in plan, text
    assert any(line.startswith("SEARCH U0 USING COVERING INDEX report_task_unit_status_idx") for line in plan), text
    # each section's matches once: its count and first rows from one pass, not a pass each
    assert sum("task_status_dl_scope_idx" in line for line in plan) == 1, text
    assert sum("task_id_scope_idx" in line for line in plan) == 1, text


def test_the_scope_indexes_come_back_after_a_table_rebuild():
    """Django's SQLite schema editor rebuilds a table to alter it, dropping the indexes the model does not declare;
    the check after every migrate puts them back (PostgreSQL has none of them)."""
    from duban.tasks.sqlite_indexes import SCOPE_INDEXES, ensure_sqlite_indexes

    if connection.vendor != "sqlite":
        assert ensure_sqlite_indexes() == []
        return
    with connection.cursor() as cursor:
        for name in SCOPE_INDEXES:
            cursor.execute(f"DROP INDEX {name}")
    assert sorted(ensure_sqlite_indexes()) == sorted(SCOPE_INDEXES)
    assert ensure_sqlite_indexes() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'task_report_due_scope_idx'")
        assert "WHERE report_due IS NOT NULL" in cursor.fetchone()[0]
