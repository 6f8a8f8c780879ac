"""The dashboards' cache (duban/core/cache.py): never stale after an audited change, never shared between
scopes or days, and what it saves (queries) measured cold and warm."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from duban.core import cache as stats_cache
from duban.tasks.models import Task

pytestmark = pytest.mark.django_db


def figure(client: Client, url: str, element: str) -> int:
    body = client.get(url).content.decode()
    return int(re.search(rf'id="{element}">(\d+)<', body).group(1))


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.parametrize(("url", "element"), [("/", "stat-total"), ("/reports/", "r-total")])
def test_an_audited_change_is_seen_at_once(org, url, element):
    org.task_in("in_progress")
    c = client_for(org.supervisor)
    assert figure(c, url, element) == 1
    assert figure(c, url, element) == 1  # from the cache
    org.task_in("accepted")  # real actions: audit events move the chain head
    assert figure(c, url, element) == 2


def test_the_api_list_count_is_seen_at_once_and_per_scope_and_filter(org):
    org.task_in("in_progress")
    office, other = client_for(org.supervisor), client_for(org.other_staff)
    assert office.get("/api/v1/tasks").json()["count"] == 1
    assert office.get("/api/v1/tasks").json()["count"] == 1  # from the cache
    org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[])
    assert office.get("/api/v1/tasks").json()["count"] == 2
    assert office.get("/api/v1/tasks?status=assigned").json()["count"] == 1
    assert other.get("/api/v1/tasks").json()["count"] == 1


def test_the_cache_is_used_and_keyed_on_scope_and_day(org):
    org.task_in("in_progress")
    org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[])
    calls = []

    def compute(tag):
        calls.append(tag)
        return tag

    today = dt.date(2026, 3, 2)
    assert stats_cache.cached("t", org.supervisor, (), today, lambda: compute("office")) == "office"
    assert stats_cache.cached("t", org.leader, (), today, lambda: compute("leader")) == "office"  # same scope
    assert stats_cache.cached("t", org.lead_staff, (), today, lambda: compute("safety")) == "safety"
    assert stats_cache.cached("t", org.other_staff, (), today, lambda: compute("edu")) == "edu"
    assert stats_cache.cached("t", org.lead_staff, (), today, lambda: compute("again")) == "safety"
    assert stats_cache.cached("t", org.lead_staff, (), today + dt.timedelta(days=1), lambda: compute("tomorrow")) \
        == "tomorrow"
    assert stats_cache.cached("t", org.lead_staff, ("filter",), today, lambda: compute("filtered")) == "filtered"
    assert calls == ["office", "safety", "edu", "tomorrow", "filtered"]


def test_scopes_do_not_leak_through_the_cache(org):
    org.task_in("in_progress")
    org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[])
    office = client_for(org.supervisor)
    assert figure(office, "/reports/", "r-total") == 2
    assert figure(office, "/", "stat-total") == 2
    other = client_for(org.other_staff)
    assert figure(other, "/reports/", "r-total") == 1
    assert figure(other, "/", "stat-total") == 1


@override_settings(DUBAN_STATS_CACHE_SECONDS=0)
def test_switched_off_the_figures_are_computed_every_time(org):
    org.task_in("in_progress")
    c = client_for(org.supervisor)
    assert figure(c, "/", "stat-total") == 1
    Task.objects.filter(status="in_progress").update(status="accepted")  # behind the application's back
    org.task_in("in_progress")
    assert figure(c, "/", "stat-total") == 2


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return sum(1 for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))


@pytest.mark.parametrize("viewer", ["supervisor", "lead_staff"])
@pytest.mark.parametrize("url", ["/", "/reports/"])
def test_query_counts_cold_and_warm(org, viewer, url):
    """Cold (cache off, so every request computes) the count does not grow with the tasks; warm it is the fixed
    statements of any page plus the chain head."""
    c = client_for(getattr(org, viewer))
    org.task_in("in_progress")
    with override_settings(DUBAN_STATS_CACHE_SECONDS=0):
        queries(c, url)
        cold_small = queries(c, url)
        for i in range(4):
            org.task_in(("assigned", "closed", "close_requested", "in_progress")[i],
                        deadline=dt.date.today() - dt.timedelta(days=i))
        # the first read after the writes counts the units they touched again (kept per unit and day, see
        # duban/tasks/unit_tally.py): a fixed number of statements more, whatever the number of tasks
        recounting = queries(c, url)
        cold_large = queries(c, url)
    queries(c, url)
    warm = queries(c, url)
    assert cold_small == cold_large < recounting <= cold_small + 10
    assert warm < cold_large and warm <= 8
    # "/" is the 工作台 too: a statement per section of what waits (office 6, unit 6) on top of the figures
    assert cold_large <= (12 if url == "/" else 13)


def test_the_chain_head_read_is_the_head_row_and_moves_with_every_event(org):
    from duban.core.models import AuditChainHead, AuditEvent

    head = AuditChainHead.objects.get(pk=1)
    last = AuditEvent.objects.order_by("-id").first()
    assert stats_cache.chain_head() == (head.last_event_id, head.last_hash) == (last.pk, last.chain_hash)
    org.task_in("assigned")
    moved = stats_cache.chain_head()
    assert moved[0] > last.pk and moved == (AuditEvent.objects.order_by("-id").first().pk,
                                           AuditEvent.objects.order_by("-id").first().chain_hash)
    with CaptureQueriesContext(connection) as ctx:
        stats_cache.chain_head()
    assert len(ctx.captured_queries) == 1
    AuditChainHead.objects.all().delete()  # a database before its first event
    assert stats_cache.chain_head() == (0, "")
