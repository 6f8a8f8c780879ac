"""The task list filtered by one unit (``?unit=``): exactly the tasks that unit leads or cooperates on, within the
viewer's scope and without the withdrawn ones, in the list's order (the newest meeting first, then the meeting's
order of its tasks, then the id), page after page, with their number. The expected rows are worked out here from
that rule over the tasks as they were created, not read back from the list's own statements."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from django.db import transaction

from duban.conftest import login
from duban.core.views import PAGE_SIZE
from duban.meetings.models import Meeting
from duban.tasks.actions import task_bulk_create_in_txn, task_withdraw

pytestmark = pytest.mark.django_db

ROW_LINK = re.compile(r'<a href="/tasks/(\d+)/" class="fw-semibold">')


def _meeting(org, title: str, date: dt.date) -> Meeting:
    return Meeting.objects.create(title=title, date=date, source_text="会议", sha256=title.encode().hex()[:64],
                                  status="confirmed", created_by=org.supervisor)


def _tasks(org) -> list[dict]:
    """Tasks over three meetings (created in another order than their dates), each led by one of four units and
    cooperated on by up to two others, some withdrawn; returned as the facts the rule reads."""
    meetings = [_meeting(org, "市政府常务会议第3次", dt.date(2026, 2, 1)),
                _meeting(org, "市政府常务会议第9次", dt.date(2026, 9, 1)),
                _meeting(org, "市政府常务会议第5次", dt.date(2026, 5, 1))]
    units = [org.safety, org.health, org.other, org.child]
    rows = []
    for i in range(230):
        lead = units[i % 4]
        coop = [u.pk for u in (units[(i // 4) % 4], units[(i // 3 + 1) % 4]) if u != lead][:1 + i % 2]
        rows.append(dict(title=f"事项{i}", text="要落实。", meeting=meetings[i % 3], seq=(i * 7) % 23 + 1,
                         lead_unit_id=lead.pk, coop_unit_ids=sorted(set(coop))))
    with transaction.atomic():
        created = task_bulk_create_in_txn(actor=org.supervisor, assign=True, rows=rows)
    # a draft without a lead unit yet (the office's own until assigned), which the unit cooperates on
    rows.append(dict(meeting=meetings[0], seq=4, lead_unit_id=None, coop_unit_ids=[org.health.pk]))
    created.append(org.draft_task(title="尚未确定牵头单位", meeting=meetings[0], seq=4, lead_unit_id=None,
                                  coop_unit_ids=[org.health.pk]))
    withdrawn = {task.pk for task in created[::9]}
    for pk in sorted(withdrawn):
        task_withdraw(actor=org.supervisor, task_id=pk, reason="重复立项")
    return [dict(pk=task.pk, lead=row["lead_unit_id"], coop=set(row["coop_unit_ids"]), date=row["meeting"].date,
                 meeting=row["meeting"].pk, seq=row["seq"], withdrawn=task.pk in withdrawn)
            for task, row in zip(created, rows)]


def _listed(client, unit_id: int, pages: int) -> tuple[list[int], list[str]]:
    ids, pages_html = [], []
    for number in range(1, pages + 1):
        html = client.get(f"/tasks/?unit={unit_id}&page={number}").content.decode()
        ids += [int(pk) for pk in ROW_LINK.findall(html)]
        pages_html.append(html)
    return ids, pages_html


@pytest.mark.parametrize("viewer", ["supervisor", "lead_staff"])
def test_a_units_list_is_what_it_leads_or_cooperates_on_in_list_order_across_pages(org, client, viewer):
    facts = _tasks(org)
    unit = org.health.pk
    # the office sees every task; a unit's staff the tasks its unit or a unit below it leads or cooperates on
    subtree = {org.safety.pk, org.child.pk}
    in_scope = ((lambda f: True) if viewer == "supervisor"
                else (lambda f: f["lead"] in subtree or bool(f["coop"] & subtree)))
    expected = [f["pk"] for f in sorted(
        (f for f in facts if (f["lead"] == unit or unit in f["coop"]) and not f["withdrawn"] and in_scope(f)),
        key=lambda f: (-f["date"].toordinal(), f["meeting"], f["seq"], f["pk"]))]
    assert len(expected) > PAGE_SIZE  # the rule's rows fill more than one page
    login(client, getattr(org, viewer))
    pages = math.ceil(len(expected) / PAGE_SIZE)
    ids, html = _listed(client, unit, pages)
    assert ids == expected
    assert f"共 {len(expected)} 条" in html[0]
    # the unit with another filter: its assigned tasks are all of the above but the draft
    lead_of = {f["pk"]: f["lead"] for f in facts}
    assigned = [pk for pk in expected if lead_of[pk] is not None]
    html = client.get(f"/tasks/?unit={unit}&status=assigned").content.decode()
    assert f"共 {len(assigned)} 条" in html
    assert [int(pk) for pk in ROW_LINK.findall(html)] == assigned[:PAGE_SIZE]
    # led, cooperated on and withdrawn tasks all took part in the rule above
    assert any(f["lead"] == unit for f in facts if f["pk"] in ids)
    assert any(unit in f["coop"] for f in facts if f["pk"] in ids)
    assert any(f["withdrawn"] and (f["lead"] == unit or unit in f["coop"]) for f in facts)


# SQLite's statistics at a million tasks (``sqlite_stat1`` of the benchmark seed): rows, then rows per distinct
# value. The busiest unit leads 15,000 tasks there and cooperates on a few hundred.
MILLION_STATS = [("tasks_task", "task_lead_order_idx", "1000000 3356 17 17 3 1 1"),
                 ("tasks_task", "tasks_task_lead_unit_id_850a9799", "1000000 3356"),
                 ("tasks_task", "task_lead_status_dl_idx", "1000000 3356 463 3"),
                 ("tasks_task", "task_lead_status_closed_idx", "1000000 3356 463 4"),
                 ("tasks_task", "task_lead_area_status_dl_idx", "1000000 3356 280 54 2"),
                 ("tasks_task", "task_list_order_idx", "1000000 3985 3985 16 1"),
                 ("tasks_task", "task_status_order_idx", "1000000 125000 842 842 16 1"),
                 ("tasks_task_coop_units", "tasks_coop_unit_task_idx", "314319 1055 1"),
                 ("tasks_task_coop_units", "tasks_task_coop_units_unit_id_03b4d074", "314319 1055"),
                 ("tasks_task_coop_units", "tasks_task_coop_units_task_id_unit_id_1c883ef6_uniq", "314319 1 1")]


def test_sqlite_reads_a_units_tasks_with_their_order_from_an_index_at_a_millions_statistics(org):
    """SQLite answers "leads or cooperates on" from two indexes and sorts what they give. The tasks the unit leads
    (15,000 for the busiest at a million tasks) come from an index that has their place in the list's order and
    their status (``task_lead_order_idx``): with the lead unit's own index each of their rows was read from
    the table (27 ms warm, 77 ms under load, for any page of that unit's list)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.core.tests.plans import sqlite_plan
    from duban.tasks import selectors

    with CaptureQueriesContext(connection) as ctx:
        list(selectors.task_list_page_keys(viewer=org.supervisor, unit_id=org.health.pk)[:PAGE_SIZE])
    [read] = [q["sql"] for q in ctx.captured_queries if "tasks_task_coop_units" in q["sql"]]
    assert f'"lead_unit_id" = {org.health.pk}' in read, read
    if connection.vendor != "sqlite":
        return  # PostgreSQL's plan at a million tasks: duban/perf/tests/test_list_plans.py
    plan = "\n".join(sqlite_plan(read, MILLION_STATS))
    assert "USING COVERING INDEX task_lead_order_idx (lead_unit_id=?)" in plan, plan
    assert "lead_unit_id_850a9799" not in plan, plan


def test_the_hundredth_page_and_the_total_of_a_busy_units_list(org, client):
    """Far into a unit's list (page 100: its rows 4,951 to 5,000) and on its last page, the rows are still the
    rule's, in its order, with the rule's total, as on its first pages (read another way: ``task_list_keys``).
    The unit leads half of 7,200 tasks and cooperates on half of the others, some of them withdrawn."""
    meetings = [_meeting(org, "市政府常务会议第2次", dt.date(2026, 3, 1)),
                _meeting(org, "市政府常务会议第7次", dt.date(2026, 7, 1)),
                _meeting(org, "市政府常务会议第4次", dt.date(2026, 4, 1))]
    unit = org.health.pk
    rows = [dict(title=f"事项{i}", text="要落实。", meeting=meetings[i % 3], seq=i % 997 + 1,
                 lead_unit_id=unit if i % 2 == 0 else (org.safety.pk if i % 4 == 1 else org.other.pk),
                 coop_unit_ids=[unit] if i % 4 == 1 else ([org.child.pk] if i % 4 == 3 else []))
            for i in range(7200)]
    with transaction.atomic():
        created = task_bulk_create_in_txn(actor=org.supervisor, assign=True, rows=rows)
    withdrawn = {task.pk for task in created[::800]} | {task.pk for task in created[1::800]}
    for pk in sorted(withdrawn):
        task_withdraw(actor=org.supervisor, task_id=pk, reason="重复立项")
    expected = [task.pk for task, row in sorted(
        ((task, row) for task, row in zip(created, rows)
         if (row["lead_unit_id"] == unit or unit in row["coop_unit_ids"]) and task.pk not in withdrawn),
        key=lambda pair: (-pair[1]["meeting"].date.toordinal(), pair[1]["meeting"].pk, pair[1]["seq"], pair[0].pk))]
    last = math.ceil(len(expected) / PAGE_SIZE)
    assert last > 100 and any(row["lead_unit_id"] != unit for task, row in zip(created, rows)
                              if task.pk in set(expected[4950:]))
    login(client, org.supervisor)
    pages = {1: expected[:PAGE_SIZE], 20: expected[950:1000], 21: expected[1000:1050], 100: expected[4950:5000],
             last: expected[(last - 1) * PAGE_SIZE:]}
    for number, wanted in pages.items():
        html = client.get(f"/tasks/?unit={unit}&page={number}").content.decode()
        assert [int(pk) for pk in ROW_LINK.findall(html)] == wanted
        assert f"共 {len(expected)} 条" in html


def test_a_small_units_list_and_a_deep_page_are_read_as_the_merge_of_its_two_parts(org):
    """A unit with few tasks, or a page deep in a large unit's list, is read from the unit's two parts, each from
    its own index: the tasks it leads in the list's order (``task_lead_order_idx``, no task's row read) merged
    with those it cooperates on, not by walking the whole list's index to find them (PostgreSQL at a million
    tasks: page 100 of the busiest unit 190 ms walked, 35 ms merged)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from duban.core.tests.plans import sqlite_plan
    from duban.tasks import selectors

    def read(listed: int, bottom: int) -> str:
        with CaptureQueriesContext(connection) as ctx:
            selectors.task_list_keys(viewer=org.supervisor, unit_id=org.health.pk, listed=listed, bottom=bottom,
                                     top=bottom + PAGE_SIZE)
        [sql] = [q["sql"] for q in ctx.captured_queries if "tasks_task_coop_units" in q["sql"]]
        return sql

    # the first pages of a large unit's list are walked in the list's order (PostgreSQL: 2 ms for the busiest)
    assert "UNION" not in read(5000, selectors.UNIT_MERGED_FROM - PAGE_SIZE)
    for listed, bottom in ((10, 0), (5000, selectors.UNIT_MERGED_FROM)):
        merged = read(listed, bottom)
        assert "UNION ALL" in merged and f'"lead_unit_id" = {org.health.pk}' in merged, merged
    if connection.vendor != "sqlite":
        return  # PostgreSQL's plan: duban/perf/tests/test_list_plans.py
    plan = "\n".join(sqlite_plan(merged, MILLION_STATS))
    assert "MERGE (UNION ALL)" in plan, plan
    assert "USING COVERING INDEX task_lead_order_idx (lead_unit_id=?)" in plan, plan
    assert "tasks_coop_unit_task_idx (unit_id=?)" in plan and "SCAN tasks_task" not in plan, plan
