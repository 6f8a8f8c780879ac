"""Trees of sub-tasks at scale (分解下达): ``--roots`` top-level tasks, each split into five sub-tasks for the
townships of one district, on an empty migrated database (PostgreSQL meant: ``DATABASE_URL``).

Seeds the tasks with two INSERT ... SELECT statements (the database numbers them; ``tree_path`` is written from the
ids), then times, through the real stack (Django's test Client, every middleware):

- the task page of a random top-level task as the office (the tree of six, rolled up), and of a sub-task as its
  township;
- ``task_tree`` alone for a random top-level task (the subtree's prefix query, the viewer's share of it, the
  ancestors);
- the district's 督查室: its 工作台 and its task list (the scope with the sub-tasks its unit issued).

    DATABASE_URL=postgres://... DUBAN_DATA_DIR=$(mktemp -d) .venv/bin/python bench/levels_bench.py --roots 100000

Target (benchmark, not a timed test): p95 under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
TOWNS = 5


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ.setdefault("DUBAN_DEBUG", "0")
    os.environ.setdefault("DUBAN_SECRET_KEY", "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    os.environ.setdefault("DUBAN_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    import django

    django.setup()


def percentiles(call, repeat: int) -> tuple[float, float]:
    walls = []
    for _ in range(repeat):
        wall = time.perf_counter()
        call()
        walls.append((time.perf_counter() - wall) * 1000)
    walls.sort()
    return statistics.median(walls), walls[min(len(walls) - 1, int(len(walls) * 0.95))]


def seed(roots: int):
    """Units (a district with its townships), the office, the district's 督查室 and a township's staff through the
    real actions; then the tasks by SQL: roots assigned to the district by the office, each split into one
    sub-task per township, issued by the district."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from duban.core.actions import unit_create, user_create
    from duban.core.audit import system_actor
    from duban.core.models import Profile
    from duban.tasks.models import Task

    call_command("migrate", verbosity=0)
    if Task.objects.exists():
        raise SystemExit("the database already holds tasks: use an empty one")
    system = system_actor()
    district = unit_create(actor=system, name="临川区人民政府")
    towns = [unit_create(actor=system, name=f"临川区第{i + 1}镇人民政府", parent=district) for i in range(TOWNS)]
    office_unit = unit_create(actor=system, name="市委督查室")
    password = "Bench-pass-2026!"
    office = user_create(actor=system, username="office", password=password, role="supervisor", unit=office_unit)
    district_sup = user_create(actor=system, username="district.office", password=password, role="unit_supervisor",
                               unit=district)
    town_staff = user_create(actor=system, username="town.staff", password=password, role="unit_staff",
                             unit=towns[0])
    Profile.objects.update(must_change_password=False)
    now, today = timezone.now(), timezone.localdate()
    common = {"kind": "'meeting'", "seq": "g", "text": "'各辖市区要全面排查整治燃气安全隐患。'", "heading": "''",
              "deadline_text": "''", "priority": "2", "report_cycle": "'once'", "report_every": "0",
              "progress_percent": "mod(g * 7, 100)", "returns_count": "0", "created_by_id": str(office.pk),
              "created_at": "%(now)s", "updated_at": "%(now)s", "assigned_at": "%(now)s", "version": "1",
              "rollup_mode": "'worst'", "status": "'in_progress'",
              "deadline": "%(today)s::date + mod(g, 90)"}
    t0 = time.perf_counter()
    with connection.cursor() as c:
        columns = {**common, "title": "'排查整治燃气安全隐患' || g", "lead_unit_id": str(district.pk),
                   "tree_path": "''"}
        c.execute(f"INSERT INTO tasks_task ({', '.join(columns)}) SELECT {', '.join(columns.values())} "
                  "FROM generate_series(1, %(roots)s) AS g", {"now": now, "today": today, "roots": roots})
        c.execute("UPDATE tasks_task SET tree_path = '/' || id || '/'")
        town_ids = "ARRAY[" + ", ".join(str(t.pk) for t in towns) + "]"
        columns = {**common, "title": "p.title || '（' || t.n || '）'", "lead_unit_id": f"({town_ids})[t.n]",
                   "tree_path": "p.tree_path", "parent_id": "p.id", "issuing_unit_id": str(district.pk)}
        values = ", ".join(v.replace("g", "p.seq") if k in ("seq", "progress_percent", "deadline") else v
                           for k, v in columns.items())
        c.execute(f"INSERT INTO tasks_task ({', '.join(columns)}) SELECT {values} "
                  f"FROM tasks_task p CROSS JOIN generate_series(1, {TOWNS}) AS t(n) WHERE p.parent_id IS NULL",
                  {"now": now, "today": today})
        c.execute("UPDATE tasks_task SET tree_path = tree_path || id || '/' WHERE parent_id IS NOT NULL")
        # the progress each root takes from its sub-tasks, as ``task_decompose`` and the reports keep it ("worst":
        # the mean; SQL rounds halves up where Python rounds them to even, no matter for timing)
        c.execute("UPDATE tasks_task p SET rolled_progress = s.mean FROM (SELECT parent_id, "
                  "round(avg(CASE WHEN status = 'closed' THEN 100 ELSE progress_percent END))::int AS mean "
                  "FROM tasks_task WHERE parent_id IS NOT NULL AND status <> 'withdrawn' GROUP BY parent_id) s "
                  "WHERE p.id = s.parent_id")
        c.execute("ANALYZE tasks_task")
    print(f"seeded {roots} trees of {TOWNS + 1} tasks in {time.perf_counter() - t0:.1f} s")
    return office, district_sup, town_staff


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--roots", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client

    from duban.followup.selectors import task_tree
    from duban.tasks.models import Task

    office, district_sup, town_staff = seed(args.roots)
    print(f"tasks {Task.objects.count()} on {connection.vendor}")
    rng = random.Random(20261205)
    roots = list(Task.objects.filter(parent__isnull=True).values_list("pk", flat=True))
    own = list(Task.objects.filter(lead_unit=town_staff.profile.unit).values_list("pk", flat=True)[:1000])

    def client_of(user):
        client = Client()
        client.force_login(user)
        return client

    as_office, as_district, as_town = client_of(office), client_of(district_sup), client_of(town_staff)

    def page(client, ids):
        def call():
            response = client.get(f"/tasks/{rng.choice(ids)}/")
            assert response.status_code == 200, response.status_code
        return call

    def tree():
        task = Task.objects.get(pk=rng.choice(roots))
        assert len(task_tree(viewer=office, task=task).nodes) == TOWNS + 1

    def get(client, url):
        def call():
            assert client.get(url).status_code == 200
        return call

    for label, call in (("task page, office, root of six", page(as_office, roots)),
                        ("task page, township, its sub-task", page(as_town, own)),
                        ("task_tree alone, office, root", tree),
                        ("工作台, district 督查室", get(as_district, "/")),
                        ("task list, district 督查室", get(as_district, "/tasks/")),
                        ("task list, township", get(as_town, "/tasks/"))):
        call()  # warm
        median, p95 = percentiles(call, args.repeat)
        print(f"{label:36} median {median:7.1f} ms  p95 {p95:7.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
