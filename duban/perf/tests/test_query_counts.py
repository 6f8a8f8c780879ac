"""Each main page makes the same number of SQL queries with 10 tasks as with 1000 (no query per row).

Tasks are made with bulk_create (fast, and enough here: the pages only read), for units the ``org`` users may see,
each with a cooperating unit and progress reports, so that a page that fetches a relation per row shows it. A page
whose URL does not resolve yet is left out; once it lands, it is checked.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from duban.meetings.models import Meeting
from duban.tasks.models import ProgressReport, Task

STATUSES = ("assigned", "accepted", "in_progress", "close_requested", "closed", "returned")

# (name, viewer attribute of org, URL template)
PAGES = [
    ("dashboard", "supervisor", "/"),
    ("dashboard (unit)", "lead_staff", "/"),
    ("task list", "supervisor", "/tasks/"),
    ("task list (unit)", "lead_staff", "/tasks/"),
    ("task list filtered", "supervisor", "/tasks/?status=in_progress&area={area}"),
    ("task list by unit", "supervisor", "/tasks/?unit={unit}"),
    ("task detail", "supervisor", "/tasks/{task}/"),
    ("task detail (unit)", "lead_staff", "/tasks/{task}/"),
    ("meeting list", "supervisor", "/meetings/"),
    ("meeting page", "supervisor", "/meetings/{meeting}/"),
    ("API task list", "supervisor", "/api/v1/tasks"),
    ("API task list (unit)", "lead_staff", "/api/v1/tasks?status=in_progress"),
    ("API meeting list", "supervisor", "/api/v1/meetings"),
    ("reports dashboard", "supervisor", "/reports/"),
    ("search", "supervisor", "/search/?q=燃气"),
    ("search (unit)", "lead_staff", "/search/?q=燃气"),
    ("search indexed word", "supervisor", "/search/?q=燃气安全"),
    ("task list by meeting", "supervisor", "/tasks/?meeting={meeting}"),
    ("task list overdue", "supervisor", "/tasks/?overdue=1"),
    ("task list page 2", "supervisor", "/tasks/?page=2"),
    ("meeting page (unit)", "lead_staff", "/meetings/{meeting}/"),
    ("API task list page 2", "supervisor", "/api/v1/tasks?page=2&page_size=5"),
]

# Pages that meet the target of at most 10 statements a request (the others are listed in bench/RESULTS.md).
AT_MOST_10 = {"task list", "task list (unit)", "task list filtered", "task list by unit", "task detail",
              "task detail (unit)", "meeting page", "meeting page (unit)", "search", "search (unit)",
              "search indexed word", "task list by meeting", "task list overdue", "task list page 2",
              "API task list", "API task list (unit)", "API task list page 2"}


def add_tasks(org, meeting, n: int, *, start: int) -> list[Task]:
    today = dt.date.today()
    tasks = Task.objects.bulk_create([
        Task(kind="meeting", meeting=meeting, seq=start + i, title=f"排查整治燃气安全隐患{start + i}",
             text="要全面排查整治燃气安全隐患。", area=org.area_safety if i % 2 else org.area_health,
             lead_unit=org.safety if i % 3 else org.child, deadline=today + dt.timedelta(days=i % 60 - 20),
             status=STATUSES[i % len(STATUSES)], progress_percent=i % 100, created_by=org.supervisor)
        for i in range(n)
    ])
    through = Task.coop_units.through
    through.objects.bulk_create([through(task_id=t.pk, unit_id=org.health.pk) for t in tasks])
    reports = ProgressReport.objects.bulk_create([
        ProgressReport(task=t, unit=org.safety, author=org.lead_staff, text="已部署", progress_percent=30,
                       status="accepted")
        for t in tasks
    ])
    for t, r in zip(tasks, reports):
        t.latest_report = r
    Task.objects.bulk_update(tasks, ["latest_report"])
    return tasks


# Ceiling for any page; the target is 10, and bench/RESULTS.md lists the pages above it and why.
MAX_QUERIES = 20


def count(client, url: str) -> int:
    """SQL statements of one request, not counting SAVEPOINT/RELEASE (transaction control, no round trip of data)."""
    client.get(url)  # warm caches that fill once per process (content types, templates)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, f"{url} -> {response.status_code}"
    return sum(1 for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))


def test_query_count_does_not_grow_with_tasks(org):
    """One set-up for every page (the org fixture hashes passwords; 1000 tasks take a moment): counts at 10 tasks,
    then at 1000, compared page by page. Every page listed must resolve."""
    from django.test import Client

    meeting = Meeting.objects.create(title="市委常委会2026年第1次会议", date=dt.date.today(), source_text="会议",
                                     sha256="0" * 64, status="confirmed", created_by=org.supervisor)
    tasks = add_tasks(org, meeting, 10, start=1)
    detail = tasks[2]  # led by 市应急管理局, open, visible to lead_staff
    ids = dict(area=org.area_safety.pk, unit=org.safety.pk, task=detail.pk, meeting=meeting.pk)
    clients = {}
    for viewer in {v for _, v, _ in PAGES}:
        clients[viewer] = Client()
        clients[viewer].force_login(getattr(org, viewer))
    present = [(name, viewer, template.format(**ids)) for name, viewer, template in PAGES]
    # Every listed page must still exist: a page that stopped resolving would silently drop out of the check.
    unresolved = []
    for name, _, url in present:
        try:
            resolve(url.split("?")[0])
        except Resolver404:
            unresolved.append((name, url))
    assert not unresolved, f"listed pages that no longer resolve: {unresolved}"

    small = {name: count(clients[viewer], url) for name, viewer, url in present}
    add_tasks(org, meeting, 990, start=11)
    ProgressReport.objects.bulk_create([
        ProgressReport(task=detail, unit=org.health, author=org.coop_staff, text="配合推进", progress_percent=50)
        for _ in range(30)
    ])
    large = {name: count(clients[viewer], url) for name, viewer, url in present}
    grew = {name: (small[name], large[name]) for name in small if large[name] != small[name]}
    assert not grew, f"query count grew from 10 to 1000 tasks (page: (at 10, at 1000)): {grew}"
    over = {name: n for name, n in large.items() if n > MAX_QUERIES}
    assert not over, f"pages over {MAX_QUERIES} queries: {over}"
    over_target = {name: n for name, n in large.items() if name in AT_MOST_10 and n > 10}
    assert not over_target, f"pages over the target of 10 queries: {over_target}"
