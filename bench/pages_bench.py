"""Server time and SQL queries of each main page and API list on a seeded database (see `duban seed-bench`).

Runs the real stack in-process with Django's test Client (force_login, every middleware), beside a hello-world view
behind the same middleware (duban/perf/bench_urls.py), and re-executes each page's own SQL directly to time what the
database alone needs. Prints, per page: median and p95 wall time, median CPU time of this process (steadier than wall
time on a shared machine), query count, the hello-world's median timed interleaved with the page's requests (one
before each), the raw SQL time, and the ratio page / (hello + raw SQL).

    DATABASE_URL=... .venv/bin/python bench/pages_bench.py --json out.json

Targets at a million tasks (``budget_ms``): lists and detail pages p95 <= 100 ms, dashboards with their cache off
<= 300 ms, <= 10 queries a page; the status-filtered list no slower than the unfiltered one.
The ratio is no target: it is a regression guard (``RATIO_GUARD``, checked by ``make bench``), since it
compares a page's whole work with a view that does none.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

from benchenv import django_setup


def setup():
    django_setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "duban.perf.bench_urls"


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


_LITERAL = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b")


def normalize(sql: str) -> str:
    return _LITERAL.sub("?", sql)


def pick_targets():
    """Ids that make the pages do real work: the busiest meeting, a county with many tasks, a common area."""
    from django.db.models import Count

    from duban.core.models import Unit
    from duban.meetings.models import Meeting
    from duban.tasks.models import Task

    meeting = Meeting.objects.annotate(n=Count("tasks")).order_by("-n", "id").first()
    county = (Unit.objects.filter(parent__parent__isnull=True, parent__isnull=False, name__endswith="人民政府")
              .order_by("id").first())
    leaf = (Task.objects.values("lead_unit_id").annotate(n=Count("id")).order_by("-n").first() or {})
    area = Task.objects.values("area_id").annotate(n=Count("id")).order_by("-n").first() or {}
    task = Task.objects.filter(status="in_progress").order_by("-id").values_list("id", flat=True).first()
    return {"meeting": meeting.pk if meeting else 0, "county": county.pk if county else 0,
            "unit": leaf.get("lead_unit_id") or 0, "area": area.get("area_id") or 0, "task": task or 0}


HELLO_URL = "/bench/hello/"


def pages(t: dict) -> list[tuple[str, str, str]]:
    """(name, viewer, url). The supervisor sees every task; the county user sees its subtree."""
    return [
        ("hello-world", "supervisor", HELLO_URL),
        ("notifications", "supervisor", "/notifications/"),  # a plain small page: every page's own floor
        ("dashboard /", "supervisor", "/"),
        ("dashboard / (county user)", "county", "/"),
        ("dashboard / (cold)", "supervisor", "/"),
        ("dashboard / (county user, cold)", "county", "/"),
        ("task list", "supervisor", "/tasks/"),
        ("task list by status", "supervisor", "/tasks/?status=in_progress"),
        ("task list overdue", "supervisor", "/tasks/?overdue=1"),
        ("task list page 100", "supervisor", "/tasks/?page=100"),
        ("task list filtered", "supervisor", f"/tasks/?status=in_progress&area={t['area']}"),
        ("task list (county user)", "county", "/tasks/"),
        ("unit view", "supervisor", f"/tasks/?unit={t['unit']}"),
        ("task detail", "supervisor", f"/tasks/{t['task']}/"),
        ("meeting page", "supervisor", f"/meetings/{t['meeting']}/"),
        ("search", "supervisor", "/search/?q=燃气"),
        ("reports dashboard", "supervisor", "/reports/"),
        ("reports dashboard (cold)", "supervisor", "/reports/"),
        ("ranking (this year)", "supervisor", "/reports/ranking/"),  # every task of the year scored, open ones too
        ("briefing .docx", "supervisor", f"/reports/briefing/{t['meeting']}.docx"),
        ("API task list filtered", "supervisor", f"/api/v1/tasks?status=in_progress&area_id={t['area']}"),
        ("API task list (all)", "supervisor", "/api/v1/tasks"),
        ("API task list (county user)", "county", "/api/v1/tasks"),
        ("API task list page 100", "supervisor", "/api/v1/tasks?page=100"),
    ]


def budget_ms(name: str) -> float | None:
    """The p95 a page must keep at a province's scale (a million tasks): lists and detail pages 100 ms, the
    dashboards with their cache off 300 ms; every page at most ``MAX_QUERIES`` statements."""
    if name == "hello-world" or "docx" in name or name.startswith("search"):
        return None
    if "cold" in name:
        return 300.0
    if name.startswith(("task list", "unit view", "task detail", "meeting page", "API task list")):
        return 100.0
    return None


MAX_QUERIES = 10


# The ratio page / (hello-world + raw SQL) above which ``make bench`` fails: twice the higher of the two databases'
# ratios measured at 100k tasks when the guard was set (bench/RESULTS.md, "After the fifth pass"), at least 4,
# rounded up to a half. A page that starts doing per-row queries or rendering moves far past it; the drift of a
# shared machine does not (the hello-world alone moves between 2 and 8 ms, which moves the ratio of a page of a few
# milliseconds by 3x: hence the floor). A page without an entry is not guarded; lower an entry when a page gets faster.
# The briefing's was set again after the GB/T 9704 layout of the documents (2026-12-05, 20k tasks: 300 ms, 173 ms of
# CPU, ratio 39-81, against 43 ms before).
RATIO_GUARD = {
    "dashboard /": 4.0, "dashboard / (county user)": 4.0, "dashboard / (cold)": 4.5,
    "dashboard / (county user, cold)": 4.0, "task list filtered": 6.0, "task list (county user)": 6.5,
    "unit view": 5.5, "task detail": 7.5, "meeting page": 5.0, "search": 5.0, "reports dashboard": 4.0,
    "reports dashboard (cold)": 6.0, "briefing .docx": 130.0, "API task list filtered": 4.0,
    "API task list (all)": 4.0, "API task list (county user)": 4.0, "API task list page 100": 4.0,
}


def guard(result: dict) -> list[str]:
    """The pages over their ``RATIO_GUARD``, described. A page is over when its ratio is, by wall time and also by
    CPU time (its CPU against the hello-world's, plus the raw SQL): on a loaded machine a request also waits for a
    core, which the wall time counts and the CPU time does not."""
    hello = next((r for r in result["pages"] if r["page"] == "hello-world" and not r.get("missing")), None)
    over = []
    for row in result["pages"]:
        limit = RATIO_GUARD.get(row["page"])
        if limit is None or row.get("missing"):
            continue
        base = (hello["cpu_median_ms"] if hello else 0) + row["raw_sql_ms"]
        cpu_ratio = row["cpu_median_ms"] / base if base else row["ratio"]
        if min(row["ratio"], cpu_ratio) > limit:
            over.append(f"{row['page']}: ratio {row['ratio']:.2f} (by CPU {cpu_ratio:.2f}) > guard {limit:.1f} "
                        f"({result['vendor']})")
    return over


def run(iterations: int, only: str = "") -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from duban.core.models import Profile

    t = pick_targets()
    sup = Profile.objects.select_related("user").filter(role="supervisor").order_by("id").first().user
    county_user = (Profile.objects.select_related("user").filter(unit_id=t["county"], role="unit_staff")
                   .order_by("id").first())
    clients = {}
    for name, user in (("supervisor", sup), ("county", county_user.user if county_user else sup)):
        c = Client()
        if "sessions" in settings.DATABASES:
            # a database served read-only (bench/peer/readonly_settings.py): the session stored as a sign-in
            # stores it, without the sign-in's writes (last sign-in time, audit event)
            from benchenv import stored_session

            c.cookies[settings.SESSION_COOKIE_NAME] = stored_session(user)
        else:
            c.force_login(user)
        clients[name] = c

    results = []
    hello = {"median": 0.0, "statements": set()}
    for name, viewer, url in pages(t):
        if only and name != "hello-world" and not re.search(only, name):
            continue
        # The dashboards keep their figures in a cache keyed by the audit chain head (duban/core/cache.py), so
        # every timed request after the first is a cache hit; the "(cold)" rows time them with the cache off.
        cache_seconds = 0 if "cold" in name else settings.DUBAN_STATS_CACHE_SECONDS
        with override_settings(DUBAN_STATS_CACHE_SECONDS=cache_seconds):
            results.append(measure(name, viewer, url, clients[viewer], iterations, hello))
    return {"vendor": connection.vendor, "targets": t, "pages": results}


def measure(name: str, viewer: str, url: str, c, iterations: int, hello: dict) -> dict:
    """Time one page; ``hello`` carries the hello-world's median and statements to the pages after it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    r = c.get(url)
    row = {"page": name, "url": url, "viewer": viewer, "status": r.status_code}
    if r.status_code != 200:
        row["missing"] = True
        print(f"{name:<30} {url:<50} status {r.status_code} (page not there yet)", flush=True)
        return row
    n = max(3, iterations // 4) if "docx" in url else iterations
    walls, cpus, hellos = [], [], []
    for _ in range(n):
        if name != "hello-world":
            # The hello-world again, just before each request of the page and by the same viewer: this shared
            # machine's speed drifts by up to 2x between minutes, and a ratio against a hello-world timed
            # minutes earlier would move with it.
            h0 = time.perf_counter()
            c.get(HELLO_URL)
            hellos.append(time.perf_counter() - h0)
        w0, c0 = time.perf_counter(), time.thread_time()
        c.get(url)
        cpus.append(time.thread_time() - c0)
        walls.append(time.perf_counter() - w0)
    with CaptureQueriesContext(connection) as ctx:
        c.get(url)
    statements = [q["sql"] for q in ctx.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    selects = [s for s in statements if s.lstrip("( \n").upper().startswith(("SELECT", "WITH"))]
    if name == "hello-world":
        hello["statements"] = {normalize(s) for s in statements}
    own = [s for s in selects if normalize(s) not in hello["statements"]]
    raw_times = []
    for _ in range(n):
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            for s in own:
                cur.execute(s)
                cur.fetchall()
        raw_times.append(time.perf_counter() - t0)
    med = statistics.median(walls)
    raw = statistics.median(raw_times)
    hello_med = statistics.median(hellos) if hellos else med
    if name == "hello-world":
        hello["median"] = med
        raw = 0.0
    base = hello_med + raw
    row.update(
        n=n, median_ms=med * 1000, p95_ms=percentile(walls, 95) * 1000, hello_ms=hello_med * 1000,
        cpu_median_ms=statistics.median(cpus) * 1000, queries=len(statements),
        own_selects=len(own), raw_sql_ms=raw * 1000, bytes=len(r.content),
        ratio=med / base if name != "hello-world" and base else 1.0,
    )
    print(f"{name:<30} med {row['median_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f} ms  cpu {row['cpu_median_ms']:6.1f}"
          f"  q {row['queries']:3d}  hello {row['hello_ms']:5.1f} ms  raw {row['raw_sql_ms']:6.1f} ms"
          f"  ratio {row['ratio']:5.2f}", flush=True)
    return row


def markdown(result: dict) -> str:
    lines = [f"| page ({result['vendor']}) | median ms | p95 ms | CPU ms | queries | hello-world ms | raw SQL ms "
             "| ratio | target |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in result["pages"]:
        if row.get("missing"):
            lines.append(f"| {row['page']} `{row['url']}` | not there yet (HTTP {row['status']}) | | | | | | | |")
            continue
        lines.append(f"| {row['page']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | {row['cpu_median_ms']:.1f} | "
                     f"{row['queries']} | {row['hello_ms']:.1f} | {row['raw_sql_ms']:.1f} | {row['ratio']:.2f} | "
                     f"{verdict(row)} |")
    by_name = {row["page"]: row for row in result["pages"] if not row.get("missing")}
    if "task list" in by_name and "task list by status" in by_name:
        plain, status = by_name["task list"], by_name["task list by status"]
        lines.append(f"\nStatus-filtered list / unfiltered list, median: "
                     f"{status['median_ms'] / plain['median_ms']:.2f} (target: at most 1, within noise)")
    return "\n".join(lines)


def verdict(row: dict) -> str:
    """"met" or what is missed: the page's p95 budget (``budget_ms``) and the query count."""
    missed = []
    limit = budget_ms(row["page"])
    if limit is not None and row["p95_ms"] > limit:
        missed.append(f"p95 > {limit:.0f} ms")
    if row["page"] != "hello-world" and row["queries"] > MAX_QUERIES:
        missed.append(f"> {MAX_QUERIES} queries")
    return "missed: " + ", ".join(missed) if missed else "met"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--only", default="", help="regex: measure only the pages whose name matches (and hello)")
    args = parser.parse_args(argv)
    setup()
    result = run(args.iterations, args.only)
    print(markdown(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
