"""Trees of sub-tasks at scale (分解下达), on a database that ``duban seed-bench`` fills with cascaded sub-tasks
(PostgreSQL meant: ``DATABASE_URL``, an empty database): ``--tasks`` tasks in all, ``--split-share`` of the top-level
ones split by the office among ``--subtasks`` counties and each county's part again by the county's own 督查室 among
as many of its townships (``duban.perf.seed``). Then it times, through the real stack (Django's test Client, every
middleware):

- the task page of a random split top-level task as the office (its tree, rolled up), and of a township's sub-task
  as that township;
- ``task_tree`` alone for a random split top-level task (the subtree's prefix query, the viewer's share of it, the
  ancestors);
- the county's 督查室 (临川区): its 工作台 and its task list (the scope with the sub-tasks its unit issued).

    DATABASE_URL=postgres://... DUBAN_DATA_DIR=$(mktemp -d) .venv/bin/python bench/levels_bench.py --tasks 600000

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
COUNTY = "临川区人民政府"


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


def seed(args):
    """Migrate and seed (``duban.perf.seed``, sub-tasks included); return the office, 临川区's 督查室 and the staff of
    the township that leads most of its sub-tasks."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count

    from duban.core.models import Unit
    from duban.perf.seed import seed as seed_bench
    from duban.tasks.models import Task

    call_command("migrate", verbosity=0)
    if Task.objects.exists():
        raise SystemExit("the database already holds tasks: use an empty one")
    t0 = time.perf_counter()
    summary = seed_bench(tasks=args.tasks, subtasks=args.subtasks, depth=2, split_share=args.split_share,
                         out=sys.stdout)
    print(f"seeded in {time.perf_counter() - t0:.1f} s: {summary.describe()}")
    User = get_user_model()
    county = Unit.objects.get(name=COUNTY)
    town = (Task.objects.filter(issuing_unit=county).values("lead_unit").annotate(n=Count("id")).order_by("-n")
            .first()["lead_unit"])
    return (User.objects.get(username="bench-supervisor"), User.objects.get(username=f"u{county.pk}-office"),
            User.objects.get(username=f"u{town}-staff"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=600_000, help="tasks in all, sub-tasks included")
    parser.add_argument("--subtasks", type=int, default=5, help="parts of each split (counties, then townships)")
    parser.add_argument("--split-share", type=float, default=0.2, help="share of the top-level tasks split")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test import Client

    from duban.followup.selectors import task_tree
    from duban.tasks.models import Task

    office, district_sup, town_staff = seed(args)
    print(f"tasks {Task.objects.count()} on {connection.vendor}")
    rng = random.Random(20261205)
    roots = list(Task.objects.filter(parent__isnull=True, children__isnull=False).distinct()
                 .exclude(status__in=("draft", "withdrawn")).values_list("pk", flat=True)[:20000])
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
        assert len(task_tree(viewer=office, task=task).nodes) > 1

    def get(client, url):
        def call():
            assert client.get(url).status_code == 200
        return call

    for label, call in (("task page, office, split root", page(as_office, roots)),
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
