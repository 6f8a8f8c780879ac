"""/api/v1/lights pages and the reminder pass's plan on a seeded database (see `duban seed-bench`).

Runs the real stack in-process with Django's test Client (force_login, every middleware) as the supervision
office (who sees every task) and as a county unit's staff; prints median and max wall and CPU time per page, the
peak memory the pass's planning adds (tracemalloc), and the statement sizes (the longest SQL text of the pass,
which must not grow with the data).

    DUBAN_DATA_DIR=/path/with/seeded/db .venv/bin/python bench/lights_bench.py [--today 2026-03-16]

Targets: < 200 ms a page, < 5 s a pass, no statement that grows with the number of tasks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
import tracemalloc

from benchenv import django_setup as setup



def timed(call, repeat: int) -> tuple[float, float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, max(walls) * 1000, statistics.median(cpus) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from duban.core.models import Role
    from duban.followup.reminders import reminders_plan
    from duban.tasks.workdays import next_workday_on_or_after
    from duban.tasks.models import Task

    today = args.today or next_workday_on_or_after(dt.date.today())
    users = get_user_model().objects.filter(is_active=True)
    office = users.filter(profile__role=Role.SUPERVISOR).first()
    county = users.filter(profile__role=Role.UNIT_STAFF).order_by("profile__unit__path").last()
    print(f"tasks {Task.objects.count()}, supervised or awaiting sign-off "
          f"{Task.objects.filter(status__in=['assigned', 'accepted', 'in_progress', 'close_requested']).count()}, "
          f"today {today}, {connection.vendor}")
    for who, user in (("office", office), ("unit staff", county)):
        client = Client()
        client.force_login(user)
        for query in ("", "&page=2", "&page=50", "&code=red", "&code=yellow", "&code=blue", "&code=nodeadline"):
            url = f"/api/v1/lights?today={today.isoformat()}{query}"
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            count = response.json()["count"]
            median, worst, cpu = timed(lambda client=client, url=url: client.get(url), args.repeat)
            print(f"{who:10} lights{query or ' page 1':16} count {count:6}  median {median:7.1f} ms  "
                  f"max {worst:7.1f} ms  cpu {cpu:7.1f} ms")

    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        wall, cpu = time.perf_counter(), time.process_time()
        plan = reminders_plan(today=today)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    longest = max(len(q["sql"]) for q in queries.captured_queries)
    print(f"reminder pass plan: {len(plan)} steps due, {wall:.2f} s wall, {cpu:.2f} s cpu, "
          f"{len(queries.captured_queries)} statements, longest {longest} characters, peak {peak / 2**20:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
