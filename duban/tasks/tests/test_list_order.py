"""The task list's sort key (``Task.meeting_date``), the keys-first pagination of the task list and the API, and the
filter drop-downs built in Python: same rows, same order, same escaping as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from duban.conftest import login
from duban.core.models import Unit
from duban.core.views import KeysFirstPaginator, paginate
from duban.meetings.models import Meeting
from duban.tasks import selectors
from duban.tasks.actions import task_bulk_create_in_txn
from duban.tasks.models import Task

pytestmark = pytest.mark.django_db


def meeting(org, title, date):
    return Meeting.objects.create(title=title, date=date, source_text="会议", sha256=title.encode().hex()[:64],
                                  status="confirmed", created_by=org.supervisor)


def make_tasks(org):
    """Tasks on three meetings (one without a date) and without a meeting, created every way the code does."""
    old = meeting(org, "市委常委会2025年第1次会议", dt.date(2025, 3, 1))
    new = meeting(org, "市委常委会2026年第2次会议", dt.date(2026, 4, 1))
    undated = meeting(org, "专题会议", None)
    tasks = [org.task_in("assigned", meeting=m, seq=seq, title=f"事项{m.pk}-{seq}")
             for m in (old, new, undated) for seq in (2, 1)]
    tasks.append(org.task_in("assigned", title="没有会议的事项"))
    from django.db import transaction

    with transaction.atomic():
        tasks += task_bulk_create_in_txn(actor=org.supervisor, assign=True, rows=[
            dict(title=f"批量事项{i}", text="要落实。", meeting=new, seq=10 + i, lead_unit_id=org.safety.pk)
            for i in range(3)])
    tasks += Task.objects.bulk_create([Task(title="直接写入", text="要落实。", meeting=old, seq=7, status="assigned",
                                            lead_unit=org.safety, created_by=org.supervisor)])
    return tasks


def test_meeting_date_is_copied_on_every_way_of_creating_a_task(org):
    make_tasks(org)
    rows = list(Task.objects.values_list("meeting_date", "meeting__date", "meeting_id"))
    assert len(rows) == 11
    assert all(copy == original for copy, original, _ in rows)
    assert any(copy is not None for copy, _, _ in rows) and any(m is None for _, _, m in rows)


def test_list_order_is_the_same_as_ordering_through_the_meeting(org):
    make_tasks(org)
    ours = list(selectors.task_list(viewer=org.supervisor).values_list("pk", flat=True))
    by_join = list(Task.objects.exclude(status="withdrawn")
                   .order_by("-meeting__date", "meeting_id", "seq", "id").values_list("pk", flat=True))
    assert ours == by_join


@pytest.mark.parametrize("viewer", ["supervisor", "lead_staff"])
def test_keys_first_pages_equal_plain_pages(org, viewer):
    make_tasks(org)
    qs = selectors.task_list(viewer=getattr(org, viewer))
    plain, keys = Paginator(qs, 3), KeysFirstPaginator(qs, 3)
    assert keys.count == plain.count and keys.num_pages == plain.num_pages >= 3
    for number in plain.page_range:
        assert [t.pk for t in keys.page(number)] == [t.pk for t in plain.page(number)]
    # the page's rows come with their relations: no query per row
    page = keys.page(1)
    with CaptureQueriesContext(connection) as ctx:
        rows = [(t.lead_unit.name, t.meeting and t.meeting.title, [u.name for u in t.coop_units.all()])
                for t in page]
    assert rows and len(ctx.captured_queries) == 2  # the page and its cooperating units


def test_paginate_keys_first_keeps_out_of_range_pages_on_the_last(org):
    make_tasks(org)
    request = RequestFactory().get("/tasks/", {"page": "99"})
    page = paginate(request, selectors.task_list(viewer=org.supervisor), per_page=4, keys_first=True)
    plain = paginate(request, selectors.task_list(viewer=org.supervisor), per_page=4)
    assert page.number == page.paginator.num_pages == 3 and len(page) == 3
    assert [t.pk for t in page] == [t.pk for t in plain]


def test_api_pages_are_unchanged(client, org):
    make_tasks(org)
    login(client, org.supervisor)
    expected = list(selectors.task_list(viewer=org.supervisor).values_list("pk", flat=True))
    got = []
    for number in (1, 2, 3):
        body = client.get("/api/v1/tasks", {"page": number, "page_size": 4}).json()
        assert body["count"] == len(expected)
        got += [item["id"] for item in body["items"]]
    assert got == expected


def test_filter_drop_downs_are_escaped_and_keep_the_selection(client, org):
    org.task_in("assigned")
    Unit.objects.filter(pk=org.other.pk).update(name='<script>alert("x")</script>教育局')
    m = meeting(org, "会议<b>粗体</b>", dt.date(2026, 1, 5))
    login(client, org.supervisor)
    body = client.get("/tasks/", {"unit": org.safety.pk, "meeting": m.pk}).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;教育局" in body
    assert "会议&lt;b&gt;粗体&lt;/b&gt;" in body
    assert f'<option value="{org.safety.pk}" selected>{org.safety.name}</option>' in body
    assert f'<option value="{m.pk}" selected>' in body
    assert f'<option value="{org.area_safety.pk}">{org.area_safety.name}</option>' in body


def test_unit_user_drop_down_lists_only_meetings_it_may_see(client, org):
    mine = meeting(org, "有本单位事项的会议", dt.date(2026, 2, 1))
    other = meeting(org, "与本单位无关的会议", dt.date(2026, 2, 2))
    org.task_in("assigned", meeting=mine, seq=1)
    org.task_in("assigned", meeting=other, seq=1, lead_unit_id=org.other.pk, coop_unit_ids=[])
    login(client, org.lead_staff)
    body = client.get("/tasks/").content.decode()
    assert "有本单位事项的会议" in body and "与本单位无关的会议" not in body


def test_task_list_links_to_each_task(client, org):
    task = org.task_in("assigned")
    login(client, org.supervisor)
    body = client.get("/tasks/").content.decode()
    assert f'href="/tasks/{task.pk}/"' in body
    assert client.get(f"/tasks/{task.pk}/").status_code == 200
