"""`duban seed-bench` writes its rows directly (no model save): the task list's sort key must be filled there too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Q

from duban.perf.seed import seed
from duban.tasks.models import Task

# seed() sets PRAGMAs that SQLite refuses inside a transaction
pytestmark = pytest.mark.django_db(transaction=True)


def test_seeded_tasks_carry_their_meetings_date():
    seed(tasks=60, today=dt.date(2026, 11, 25))
    assert Task.objects.filter(meeting__isnull=False).count() == 24  # 40% of the tasks are from meetings
    assert not Task.objects.filter(meeting__isnull=False).exclude(meeting_date=F("meeting__date")).exists()
    assert not Task.objects.filter(Q(meeting__isnull=True) & Q(meeting_date__isnull=False)).exists()


def _constraints_and_indexes() -> dict:
    from django.db import connection

    from duban.core.models import AuditEvent
    from duban.tasks.models import ProgressReport

    tables = [m._meta.db_table for m in (Task, Task.coop_units.through, ProgressReport, AuditEvent)]
    with connection.cursor() as c:
        return {t: connection.introspection.get_constraints(c, t) for t in tables}


def test_the_bulk_load_leaves_every_index_and_foreign_key_as_it_found_them():
    """The seed drops the big tables' secondary indexes (and on PostgreSQL their foreign keys) while it loads;
    afterwards the schema must be exactly the migrated one, foreign keys still deferred to commit."""
    before = _constraints_and_indexes()
    assert any(c["foreign_key"] for c in before["tasks_progressreport"].values())
    assert any(c["index"] and not c["primary_key"] and not c["unique"] for c in before["tasks_task"].values())
    seed(tasks=30, today=dt.date(2026, 11, 25))
    assert _constraints_and_indexes() == before
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT (condeferrable AND condeferred)"
                      " AND conrelid::regclass::text IN ('tasks_task', 'tasks_progressreport', 'core_auditevent')")
            assert c.fetchone()[0] == 0
            c.execute("SELECT count(*) FROM pg_constraint WHERE NOT convalidated AND conrelid::regclass::text IN "
                      "('tasks_task', 'tasks_task_coop_units', 'tasks_progressreport', 'core_auditevent')")
            assert c.fetchone()[0] == 0  # every foreign key checked against the rows


def _tree_shape(path: str, rank: dict[int, int]) -> list[int]:
    """A tree path with each task id replaced by its rank in its own tree (ids differ between two databases)."""
    return [rank[int(part)] for part in path.strip("/").split("/")] if path else []


def test_sub_tasks_follow_their_parents_and_count_as_tasks():
    """Sub-tasks count in --tasks, get reports and audit events like any task, and keep the rules of a split: a
    deadline no later than the parent's, a closed parent only over closed parts, issued by the office to the
    counties and by a county to the units under it; the audit chain stays valid."""
    from duban.core.audit import EventType, audit_verify
    from duban.core.models import AuditEvent, Unit

    summary = seed(tasks=120, today=dt.date(2026, 11, 25), subtasks=2, depth=2, split_share=1)
    assert Task.objects.count() == summary.tasks == 120
    subs = Task.objects.filter(parent__isnull=False)
    assert subs.count() > 40
    assert subs.filter(parent__parent__isnull=False).exists()  # two levels down
    assert not subs.filter(deadline__gt=F("parent__deadline")).exists()
    assert not subs.filter(parent__status="closed").exclude(status="closed").exists()
    city = Unit.objects.get(parent__isnull=True)
    for sub in subs.select_related("lead_unit", "parent", "issuing_unit"):
        assert sub.tree_path == f"{sub.parent.tree_path}{sub.pk}/"
        if sub.parent.parent_id is None:  # split by the office to a county
            assert sub.issuing_unit_id is None and sub.lead_unit.parent_id == city.pk
        else:  # split by the county's own office to a unit under it
            assert sub.issuing_unit_id == sub.parent.lead_unit_id
            assert sub.lead_unit.path.startswith(sub.issuing_unit.path) and sub.lead_unit_id != sub.issuing_unit_id
    assert subs.filter(reports__isnull=False).exists()
    assert AuditEvent.objects.filter(task__in=subs, event_type=EventType.REPORT_SUBMITTED).exists()
    assert (AuditEvent.objects.filter(event_type=EventType.SUBTASK_ISSUED).count() == subs.count())
    assert (AuditEvent.objects.filter(event_type=EventType.TASK_DECOMPOSED).count()
            == Task.objects.filter(children__isnull=False).distinct().count())
    assert not Task.objects.filter(parent__isnull=True, children__isnull=True).exclude(tree_path="").exists()
    assert audit_verify() == []


def test_a_seeded_split_task_keeps_the_rolled_up_progress_the_actions_would_keep():
    """A split task's ``rolled_progress`` is what the actions keep after its sub-tasks' writes: recomputed here by
    the actions' own refresh from the deepest split tasks up, with every kept value cleared first."""
    from django.db import transaction

    from duban.tasks.actions import rollup_refresh_in_txn

    seed(tasks=120, today=dt.date(2026, 11, 25), subtasks=2, depth=2, split_share=1)
    seeded = dict(Task.objects.filter(children__isnull=False).distinct().values_list("pk", "rolled_progress"))
    assert seeded and None not in seeded.values()
    Task.objects.update(rolled_progress=None)
    paths = dict(Task.objects.filter(pk__in=seeded).values_list("pk", "tree_path"))
    with transaction.atomic():
        for pk in sorted(seeded, key=lambda pk: -paths[pk].count("/")):  # the deepest first
            rollup_refresh_in_txn(task_id=pk)
    assert dict(Task.objects.filter(pk__in=seeded).values_list("pk", "rolled_progress")) == seeded


def test_a_seeded_tree_is_the_one_task_decompose_makes():
    """The same splits made through ``task_decompose`` (the office to the counties, then a county's own office to
    its townships, same units, deadlines and day) give the same sub-tasks, field by field, and the same events.
    Not compared: what the seed lets happen to a task after the split (status, progress, reports, times, version)."""
    from django.contrib.auth import get_user_model

    from duban.core.audit import EventType
    from duban.core.models import AuditEvent
    from duban.tasks.actions import task_decompose

    today = dt.date(2026, 11, 25)
    seed(tasks=60, today=today, subtasks=2, depth=2, split_share=1)
    User = get_user_model()
    root = Task.objects.filter(parent__isnull=True, children__children__isnull=False).order_by("id").first()
    assert root is not None
    seeded = list(Task.objects.filter(tree_path__startswith=root.tree_path).order_by("id"))
    assert len(seeded) == 7  # two counties, two townships each

    copy = Task.objects.create(kind=root.kind, meeting=root.meeting, seq=root.seq, title=root.title, text=root.text,
                               heading=root.heading, area=root.area, lead_unit=root.lead_unit, deadline=root.deadline,
                               deadline_text=root.deadline_text, priority=root.priority,
                               report_cycle=root.report_cycle, report_every=root.report_every,
                               created_by=root.created_by, status="assigned", assigned_at=root.assigned_at)
    office = User.objects.get(username="bench-supervisor")
    made = {root.pk: copy.pk}

    def split(actor, seeded_parent, made_parent_id):
        children = [t for t in seeded if t.parent_id == seeded_parent.pk]
        parent = Task.objects.get(pk=made_parent_id)
        result = task_decompose(
            actor=actor, task_id=parent.pk, version=parent.version, rollup_mode=seeded_parent.rollup_mode,
            today=children[0].created_at.date(),
            parts=[{"lead_unit_id": c.lead_unit_id, "coop_unit_ids": sorted(c.coop_units.values_list("id", flat=True)),
                    "deadline": c.deadline} for c in children])
        made.update({c.pk: m.pk for c, m in zip(children, result)})
        return children

    for county_part in split(office, root, copy.pk):
        county_office = User.objects.get(username=f"u{county_part.lead_unit_id}-office")
        split(county_office, county_part, made[county_part.pk])

    fields = ("kind", "meeting_id", "seq", "meeting_date", "title", "text", "heading", "area_id", "lead_unit_id",
              "deadline", "deadline_text", "priority", "report_cycle", "report_every", "created_by_id",
              "issuing_unit_id", "rollup_mode", "source_start", "source_end", "score", "returns_count")
    rank_seeded = {t.pk: i for i, t in enumerate(seeded)}
    rank_made = {made[t.pk]: i for i, t in enumerate(seeded)}
    for task in seeded:
        twin = Task.objects.get(pk=made[task.pk])
        if task.pk != root.pk:
            assert {f: getattr(task, f) for f in fields} == {f: getattr(twin, f) for f in fields}, task.pk
            assert set(task.coop_units.values_list("id", flat=True)) == set(twin.coop_units.values_list("id",
                                                                                                        flat=True))
            assert made[task.parent_id] == twin.parent_id
            assert task.created_at == task.assigned_at  # issued: created and assigned at once
        assert task.rollup_mode == twin.rollup_mode
        assert _tree_shape(task.tree_path, rank_seeded) == _tree_shape(twin.tree_path, rank_made)

    def events(ids, rank):
        out = []
        for e in AuditEvent.objects.filter(task_id__in=ids, event_type__in=(EventType.SUBTASK_ISSUED,
                                                                          EventType.TASK_DECOMPOSED)).order_by("id"):
            extra = dict(e.extra)
            if "parent_id" in extra:
                extra["parent_id"] = rank[extra["parent_id"]]
            if "child_ids" in extra:
                extra["child_ids"] = [rank[i] for i in extra["child_ids"]]
            out.append((e.event_type, rank[e.task_id], e.actor_id, e.unit_id, e.target_unit_id, e.meeting_id, extra))
        return out

    assert events(list(rank_seeded), rank_seeded) == events(list(rank_made), rank_made)
    issued = AuditEvent.objects.filter(task__in=seeded[1:], event_type=EventType.SUBTASK_ISSUED)
    assert all(e.created_at == e.task.created_at for e in issued.select_related("task"))


def test_a_seeded_working_task_keeps_the_report_due_the_rule_gives():
    """``report_due`` is filled as the actions keep it: each task's value equals the rule computed from its row."""
    from duban.tasks.report_due import kept_report_due

    seed(tasks=120, today=dt.date(2026, 11, 25), subtasks=2, depth=2, split_share=1)
    rows = list(Task.objects.select_related("latest_report"))
    assert any(t.report_due is not None for t in rows)
    assert [(t.pk, t.report_due) for t in rows] == [(t.pk, kept_report_due(t)) for t in rows]


def _triggers() -> set:
    from django.db import connection

    with connection.cursor() as c:
        if connection.vendor == "sqlite":
            c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        else:
            c.execute("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal")
        return set(c.fetchall())


def test_the_kept_counts_are_upheld_after_the_load():
    """The seed may load without the triggers that keep the counts per unit, but leaves them as it found them, and
    the kept counts read afterwards count every seeded task once at its lead unit by status (drafts and withdrawn
    tasks left out); a write after the seed makes its unit stale again."""
    from collections import Counter

    from duban.tasks import unit_tally
    from duban.tasks.models import TaskStatus, UnitTallyStamp

    today = dt.date(2026, 11, 25)
    before = _triggers()
    assert any("unit_tally" in name for name, _ in before)
    seed(tasks=120, today=today, subtasks=2, depth=2, split_share=1)
    assert _triggers() == before
    kept = Counter()
    for (_area, lead, status, _light, _late), n in unit_tally.kept_counts(None, 0, today).items():
        kept[(lead, status)] += n
    expected = Counter(Task.objects.exclude(status__in=[TaskStatus.DRAFT, TaskStatus.WITHDRAWN])
                       .values_list("lead_unit_id", "status"))
    assert +kept == expected and sum(expected.values()) > 100
    task = Task.objects.filter(status=TaskStatus.IN_PROGRESS).order_by("id").first()
    stamp = UnitTallyStamp.objects.get(unit_id=task.lead_unit_id)
    assert stamp.counted == stamp.version  # counted just now
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.ACCEPTED)
    stamp.refresh_from_db()
    assert stamp.version > stamp.counted
