"""Every page of the web UI that answers GET, for every role, costs at most ten SQL statements, and no more once
the database holds many more rows (no query per row).

The pages are the GET page routes of the access matrix (``duban.core.access_matrix``), in its world
(``test_auth_matrix.build_world``: a meeting, its task with reports, an extension request, sources records …);
the roles are the matrix's and those of a district below the city (``levels_world``: its own 督查室, its staff, a
township's staff), who see the same pages through another scope. Each request is counted as a cache miss (the
cache of figures is on, and emptied before it), the most a request costs: the figures are computed and the audit
chain head read for their key. Transaction control (SAVEPOINT/RELEASE) is not counted.

The world is given a few rows of every kind the pages list (so that no list is empty: an empty one may skip a
query), every page counted; then ten times as many (three hundred tasks with cooperating units and reports,
reports and extension requests waiting for a decision, notifications for every person, units and people, meetings),
and every page must cost the same.

A page that needs more than ten statements is listed in ``ABOVE_TEN`` with its number and the reason.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from duban.core.access_matrix import ROWS
from duban.conftest import use_data_dir
from duban.core.tests.test_auth_matrix import _url, build_world, role_clients
from duban.perf.tests.test_query_counts import add_tasks

TARGET = 10

# An export is an action: besides its reads it appends its audit event in four statements (the chain head read
# under its lock, the event inserted, its hash written, the head moved: ``duban.core.audit``).
_EXPORT = "an export appends its audit event (4 statements) to its reads"
# route -> (the most statements it may take, why it needs more than TARGET). Keep it short; a fix empties a row.
ABOVE_TEN: dict[str, tuple[int, str]] = {
    # the meeting, its tasks, the ranking (3: the rules that score its open tasks, the counts, 加减分), the 批示,
    # its 发文字号 (read again when downloaded again, taken the first time), the 公文设置 in force + the session and
    # the person (2) + the audit event (4)
    r"^reports/briefing/(?P<meeting_id>\d+)\.(?P<fmt>docx|pdf)$": (14, _EXPORT),
    # the totals, the overdue tasks, the ranking (3), its 发文字号, the 公文设置 + session, person + audit event
    r"^reports/circular\.(?P<fmt>docx|pdf)$": (13, _EXPORT),
    # a district's: its units, the tasks, the tops of its split tasks (their 来源), their cooperating units,
    # reminders and lights + session, person + audit
    "reports/ledger/export.xlsx": (12, _EXPORT),
}

LEVEL_ROLES = ("district_sup", "district_staff", "town_a_staff")


@pytest.fixture
def world(org, settings, tmp_path, django_capture_on_commit_callbacks):
    """The access matrix's world (its stored files moved into place on commit)."""
    use_data_dir(settings, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        return build_world(org)


def statements(client: Client, url: str) -> tuple[int, int]:
    """(status, SQL statements) of one GET as a cache miss. The first request fills what is filled once: per
    process (content types, templates) and per change of the data (the counts kept per unit recount the units a
    write made stale, and keep them: ``duban.tasks.unit_tally``); the second is counted."""
    for _ in range(2):
        cache.clear()
        connection.queries_log.clear()  # the log keeps 9,000 statements; the walk makes more
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
    n = sum(1 for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))
    return response.status_code, n


def grow(org, world: dict, levels, n: int, start: int) -> None:
    """``n`` more tasks of the world's meeting (with a cooperating unit and a report each), a fifth of them with a
    report waiting for review and a tenth with an extension request waiting, ``n // 10`` notifications for every
    person, units with a person each and meetings."""
    from django.utils import timezone

    from duban.core.actions import unit_create, user_create
    from duban.core.models import Notification
    from duban.followup.models import ExtensionRequest
    from duban.meetings.models import Meeting
    from duban.tasks.models import ProgressReport

    meeting = Meeting.objects.get(pk=world["meeting_id"])
    tasks = add_tasks(org, meeting, n, start=start)
    ProgressReport.objects.bulk_create([
        ProgressReport(task=t, unit=t.lead_unit, author=org.lead_staff, text="进展", progress_percent=40,
                       status="submitted", request_close=i % 4 == 0) for i, t in enumerate(tasks[:n // 5])])
    # a tenth of them with an extension request waiting for the office (待审批延期), asked by two people in turn
    ExtensionRequest.objects.bulk_create([
        ExtensionRequest(task=t, unit=t.lead_unit, requested_by=levels.district_staff if i % 2 else org.lead_staff,
                         reason="工程量大", old_deadline=t.deadline, new_deadline=dt.date(2030, 1, 1))
        for i, t in enumerate(tasks[n // 5:n // 5 + n // 10])])
    people = [*org.roles().values(), levels.district_sup, levels.district_staff, levels.town_a_staff]
    Notification.objects.bulk_create([
        Notification(recipient=u, kind=("task_urged", "task_assigned", "task_commented")[i % 3], title=f"通知{i}",
                     body="请按时报送", task=tasks[i]) for u in people for i in range(n // 10)])
    for i in range(start, start + n // 25):
        unit = unit_create(actor=org.system, name=f"新增单位{i}", parent=org.safety if i % 2 else None)
        user_create(actor=org.system, username=f"person{i}", password="Pages-pass-2026!", role="unit_staff",
                    unit=unit, display_name=f"人员{i}")
    Meeting.objects.bulk_create([
        Meeting(title=f"市委常委会2026年第{i}次会议", date=timezone.localdate() - dt.timedelta(days=i % 300),
                source_text="会议", sha256=f"{i:064d}", status="confirmed", created_by=org.supervisor)
        for i in range(start, start + n // 15)])


@pytest.mark.slow
def test_every_page_for_every_role_within_ten_statements_at_any_size(org, world, settings):
    from duban.tasks.tests.levels_world import make_levels

    # A signed-in session's expiry is pushed on at most once a minute (one UPDATE): not in a request counted here.
    settings.DUBAN_SESSION_REFRESH_SECONDS = 3600

    levels = make_levels(org)
    levels.world()
    clients = role_clients(org)
    for role in LEVEL_ROLES:
        clients[role] = Client()
        clients[role].force_login(getattr(levels, role))
    pages = [row for row in ROWS if not row.api and row.method == "GET" and not row.skip]
    assert len(pages) > 50  # the walk covers the UI, not a handful of pages

    def walk() -> dict[tuple[str, str], tuple[int, int]]:
        return {(row.route, role): statements(client, _url(row, world))
                for row in pages for role, client in clients.items()}

    grow(org, world, levels, 30, start=1000)  # a few of everything: no list is empty
    small = walk()
    grow(org, world, levels, 300, start=2000)
    large = walk()
    grew = {key: (small[key][1], large[key][1]) for key in small if large[key][1] > small[key][1]}
    assert not grew, "statements grew with the rows ((route, role): (before, after)):\n" + "\n".join(
        f"{key}: {value}" for key, value in sorted(grew.items()))
    over = {key: n for key, (_status, n) in large.items()
            if n > ABOVE_TEN.get(key[0], (TARGET, ""))[0]}
    assert not over, "pages over their statements ((route, role): statements):\n" + "\n".join(
        f"{key}: {n}" for key, n in sorted(over.items()))
    # the walk met real pages, not only redirects and refusals, and every allowance is still needed
    assert sum(1 for status, _n in large.values() if status == 200) > 300
    unused = {route for route, (limit, _why) in ABOVE_TEN.items()
              if max(n for (r, _role), (_s, n) in large.items() if r == route) <= TARGET}
    assert not unused, f"pages within {TARGET} statements now: remove them from ABOVE_TEN: {sorted(unused)}"
