"""Levels at scale: the subtree dashboard and the task tree with 100k top-level tasks of 5 sub-tasks each.

On a database seeded by `duban seed-bench --tasks 100000` (PostgreSQL), ``--load`` first gives every top-level task
five sub-tasks (600k tasks in all), with its own small loader: one INSERT ... SELECT in SQL, each sub-task a copy of
its parent (status, dates, area, meeting) led by a unit of a different county (sub-task j of task k goes to county
(k + j) mod 10, to one of its departments or townships), issued by the office, with ``tree_path`` set as
``task_decompose`` sets it ("/parent/" and "/parent/child/"). The kept counts and search indexes follow through
their triggers, as for any write. Then it times, in-process with Django's test Client (every middleware, the
dashboard's figure cache off so each request computes), and the selectors alone:

- the subtree dashboard of a county (a district: its own tasks and its units', about 60k tasks), for the office
  and for the county's own staff, as a page and through the API;
- the city's subtree (every unit: all 600k tasks);
- the task tree: ``task_tree`` on a split task (its subtree by the ``tree_path`` prefix), and the task page.

    .venv/bin/python bench/subtree_bench.py --database-url postgres://postgres@127.0.0.1:5499/duban_subtree --load
    .venv/bin/python bench/subtree_bench.py --database-url ... --iterations 40

Target: p95 under 200 ms for the subtree dashboard and the task tree.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SUBTASKS = 5
COPIED = ("kind", "seq", "title", "text", "source_start", "source_end", "heading", "deadline", "deadline_text",
          "status", "priority", "report_cycle", "report_every", "progress_percent", "returns_count", "score",
          "created_at", "updated_at", "assigned_at", "accepted_at", "closed_at", "version", "area_id",
          "created_by_id", "meeting_id", "meeting_date")


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ.setdefault("DUBAN_DEBUG", "0")
    os.environ.setdefault("DUBAN_SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("DUBAN_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    import django

    django.setup()


def counties():
    """The seed's counties (人民政府 under the city) in id order, with the units under each."""
    from duban.core.models import Unit

    out = []
    for county in Unit.objects.filter(parent__parent__isnull=True, parent__isnull=False,
                                      name__endswith="人民政府").order_by("id"):
        kids = list(Unit.objects.filter(path__startswith=county.path).exclude(pk=county.pk).order_by("id")
                    .values_list("id", flat=True))
        out.append((county, kids))
    return out


def load() -> None:
    """Five sub-tasks for every top-level task that has none (see the module's docstring)."""
    from django.db import connection, transaction

    from duban.tasks.models import Task

    if Task.objects.filter(parent__isnull=False).exists():
        print("sub-tasks already loaded", flush=True)
        return
    t0 = time.perf_counter()
    leads = [(n, i, unit_id) for n, (_, kids) in enumerate(counties()) for i, unit_id in enumerate(kids)]
    sizes = {}
    for n, i, _ in leads:
        sizes[n] = max(sizes.get(n, 0), i + 1)
    columns = ", ".join(COPIED)
    copied = ", ".join(f"p.{c}" for c in COPIED)
    with transaction.atomic(), connection.cursor() as c:
        c.execute("CREATE TEMP TABLE bench_leads (county int, idx int, unit_id bigint) ON COMMIT DROP")
        c.executemany("INSERT INTO bench_leads VALUES (%s, %s, %s)", leads)
        c.execute("CREATE TEMP TABLE bench_sizes (county int, n int) ON COMMIT DROP")
        c.executemany("INSERT INTO bench_sizes VALUES (%s, %s)", list(sizes.items()))
        c.execute(f"""
            INSERT INTO tasks_task ({columns}, lead_unit_id, parent_id, issuing_unit_id, rollup_mode, tree_path,
                                    latest_report_id)
            SELECT {copied}, l.unit_id, p.id, NULL, 'worst', '', NULL
            FROM tasks_task p CROSS JOIN generate_series(0, {SUBTASKS - 1}) AS j(j)
            JOIN bench_sizes s ON s.county = (p.id + j.j) %% %s
            JOIN bench_leads l ON l.county = s.county AND l.idx = (p.id * 7 + j.j) %% s.n
            WHERE p.parent_id IS NULL
            ORDER BY p.id, j.j""", [len(sizes)])
        print(f"  sub-tasks inserted: {c.rowcount} ({time.perf_counter() - t0:.1f}s)", flush=True)
        c.execute("UPDATE tasks_task SET tree_path = '/' || id || '/' WHERE parent_id IS NULL")
        c.execute("UPDATE tasks_task SET tree_path = '/' || parent_id || '/' || id || '/' "
                  "WHERE parent_id IS NOT NULL")
        # the progress each top-level task takes from its sub-tasks, as the actions keep it ("worst": the mean)
        c.execute("UPDATE tasks_task p SET rolled_progress = s.mean FROM (SELECT parent_id, "
                  "round(avg(CASE WHEN status = 'closed' THEN 100 ELSE progress_percent END))::int AS mean "
                  "FROM tasks_task WHERE parent_id IS NOT NULL AND status <> 'withdrawn' GROUP BY parent_id) s "
                  "WHERE p.id = s.parent_id")
    print(f"  tree paths set ({time.perf_counter() - t0:.1f}s)", flush=True)
    with connection.cursor() as c:
        c.execute("VACUUM ANALYZE tasks_task")
        c.execute("VACUUM ANALYZE tasks_tasktally")
    print(f"  loaded in {time.perf_counter() - t0:.1f}s", flush=True)


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))]


def timed(name: str, fn, iterations: int) -> dict:
    fn()  # once to warm the connection and Django's caches
    walls = []
    for i in range(iterations):
        t0 = time.perf_counter()
        fn(i)
        walls.append(time.perf_counter() - t0)
    row = {"name": name, "n": iterations, "median": statistics.median(walls) * 1000,
           "p95": percentile(walls, 95) * 1000, "max": max(walls) * 1000}
    print(f"{name:<58} med {row['median']:7.1f} ms  p95 {row['p95']:7.1f} ms  max {row['max']:7.1f} ms", flush=True)
    return row


def run(iterations: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from duban.core.models import Profile, Unit
    from duban.followup.selectors import task_tree
    from duban.reports.selectors import DashboardFilters, dashboard_stats
    from duban.tasks.models import Task

    county, _ = counties()[0]
    city = Unit.objects.get(pk=county.parent_id)
    sup = Profile.objects.select_related("user").filter(role="supervisor").order_by("id").first().user
    county_user = Profile.objects.select_related("user").get(unit=county, role="unit_staff").user
    n_city = Task.objects.count()
    n_county = Task.objects.filter(lead_unit__path__startswith=county.path).count()
    print(f"{connection.vendor}: {n_city} tasks, {Task.objects.filter(parent__isnull=False).count()} sub-tasks; "
          f"{county.name}'s subtree leads {n_county}", flush=True)
    rng = random.Random(20261205)
    # drafts and withdrawn tasks have no page tree to show (a withdrawn split task's page is left out: see
    # RESULTS.md)
    roots = list(Task.objects.filter(parent__isnull=True, tree_path__gt="").exclude(status__in=("draft", "withdrawn"))
                 .values_list("id", flat=True)[:20000])
    picks = [rng.choice(roots) for _ in range(iterations + 1)]
    # sub-tasks led in the county, for its own staff's task pages
    own = list(Task.objects.filter(parent__isnull=False, lead_unit__path__startswith=county.path)
               .exclude(status__in=("draft", "withdrawn")).values_list("id", flat=True)[:20000])
    own_picks = [rng.choice(own) for _ in range(iterations + 1)]
    office, county_client = Client(), Client()
    office.force_login(sup)
    county_client.force_login(county_user)

    def page(client, url):
        def go(i=0):
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
        return go

    results = []
    with override_settings(DUBAN_STATS_CACHE_SECONDS=0):  # every request computes its figures
        for name, fn in (
            (f"dashboard_stats, subtree {county.name}, office",
             lambda i=0: dashboard_stats(viewer=sup, filters=DashboardFilters(subtree_id=county.pk))),
            (f"dashboard_stats, subtree {county.name}, its own staff",
             lambda i=0: dashboard_stats(viewer=county_user, filters=DashboardFilters(subtree_id=county.pk))),
            (f"GET /reports/?subtree=<{county.name}>, office", page(office, f"/reports/?subtree={county.pk}")),
            (f"GET /reports/?subtree=<{county.name}>, its own staff",
             page(county_client, f"/reports/?subtree={county.pk}")),
            (f"GET /api/v1/stats/dashboard?subtree=<{county.name}>, office",
             page(office, f"/api/v1/stats/dashboard?subtree={county.pk}")),
            (f"GET /reports/ranking/?subtree=<{county.name}>, office",
             page(office, f"/reports/ranking/?subtree={county.pk}")),
            ("GET /reports/ (the city: no subtree, the kept counts), office", page(office, "/reports/")),
            (f"dashboard_stats, subtree {city.name} (every task), office",
             lambda i=0: dashboard_stats(viewer=sup, filters=DashboardFilters(subtree_id=city.pk))),
            (f"GET /reports/?subtree=<{city.name}>, office", page(office, f"/reports/?subtree={city.pk}")),
            ("task_tree of a split top-level task, office",
             lambda i=0: task_tree(viewer=sup, task=Task.objects.get(pk=picks[i]))),
            (f"task_tree of a sub-task, {county.name}'s staff",
             lambda i=0: task_tree(viewer=county_user, task=Task.objects.get(pk=own_picks[i]))),
            ("GET /tasks/<split top-level task>/, office",
             lambda i=0: page(office, f"/tasks/{picks[i]}/")()),
            (f"GET /tasks/<sub-task>/, {county.name}'s staff",
             lambda i=0: page(county_client, f"/tasks/{own_picks[i]}/")()),
        ):
            results.append(timed(name, fn, iterations))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5499/duban_subtree"))
    parser.add_argument("--load", action="store_true", help="add the sub-tasks first (once)")
    parser.add_argument("--iterations", type=int, default=40)
    args = parser.parse_args(argv)
    setup(args.database_url)
    if args.load:
        load()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; Python {platform.python_version()}", flush=True)
    rows = run(args.iterations)
    print("\n| what | median ms | p95 ms | max ms |\n| --- | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['name']} | {row['median']:.1f} | {row['p95']:.1f} | {row['max']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
