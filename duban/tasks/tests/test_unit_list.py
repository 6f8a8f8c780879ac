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
