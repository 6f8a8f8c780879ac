"""Search speed on 100k tasks: builds a fresh database, bulk-creates tasks (and a progress report for every
tenth) whose Chinese texts mix a vocabulary of supervision phrases, then times ``duban.sources.search.search`` for
the office (everything in scope) and for one unit (scoped), with index words (>= 3 characters), short words (the
substring fallback) and two words.

    .venv/bin/python bench/search_bench.py                  # SQLite (FTS5 trigram) in a temp dir
    .venv/bin/python bench/search_bench.py --backend pg      # a throwaway PostgreSQL cluster (pg_trgm)
    .venv/bin/python bench/search_bench.py --tasks 20000
    # a database seeded already (``duban seed-bench``, a million tasks), read only, with words of its own
    DATABASE_URL=postgres://…/duban_1m .venv/bin/python bench/search_bench.py --existing --queries 燃气,实大,鲸鱼

Prints a Markdown table for bench/RESULTS.md ("## Search").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

WORDS = ["排查整治", "燃气安全", "隐患", "安全生产", "疫情防控", "乡村振兴", "秋粮收购", "河道治理", "扬尘污染",
         "养老床位", "校园安全", "食品安全", "信访化解", "自建房", "危化品", "消防通道", "交通运输", "重点项目",
         "营商环境", "招商引资", "民生实事", "生态环境", "防汛抗旱", "老旧小区", "电动自行车", "冬季供暖"]
PREFIX = ["要", "各级各部门要", "加快", "坚持", "全面", "持续"]
QUERIES = [("index, common", "安全生产"), ("index, rare", "电动自行车充电"), ("index, 2 words", "燃气安全 老旧小区"),
           ("short word (fallback)", "隐患"), ("short + index", "隐患 自建房"), ("no hit", "不存在的词语")]


def sentence(rng: random.Random) -> str:
    parts = [rng.choice(PREFIX)] + rng.sample(WORDS, 4)
    return "，".join(parts) + f"，第{rng.randint(1, 9999)}号。"


def build(n_tasks: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from duban.core.actions import unit_create
    from duban.core.audit import system_actor
    from duban.core.models import Profile
    from duban.tasks.models import ProgressReport, Task, TaskStatus

    call_command("migrate", verbosity=0)
    User = get_user_model()
    system = system_actor()
    units = [unit_create(actor=system, name=f"单位{i:02d}") for i in range(40)]
    office_user = User.objects.create(username="bench-office")
    Profile.objects.create(user=office_user, role="supervisor", unit=units[0], must_change_password=False)
    unit_user = User.objects.create(username="bench-unit")
    Profile.objects.create(user=unit_user, role="unit_staff", unit=units[7], must_change_password=False)
    rng = random.Random(6)
    started = time.perf_counter()
    batch = []
    for i in range(n_tasks):
        text = sentence(rng) + sentence(rng)
        batch.append(Task(kind="meeting", title=text[:30], text=text, status=TaskStatus.IN_PROGRESS,
                          lead_unit_id=units[i % len(units)].pk, created_by=office_user))
        if len(batch) == 5000:
            Task.objects.bulk_create(batch)
            batch = []
    Task.objects.bulk_create(batch)
    ids = list(Task.objects.values_list("pk", "lead_unit_id")[::10])
    ProgressReport.objects.bulk_create([ProgressReport(task_id=pk, unit_id=unit_id, author=office_user,
                                                       text="已完成" + sentence(rng)) for pk, unit_id in ids])
    return {"office": office_user, "unit": unit_user, "load_s": time.perf_counter() - started,
            "tasks": Task.objects.count(), "reports": len(ids)}


def existing() -> dict:
    """The office and a unit's staff of a database seeded already (the first of each by id), nothing written."""
    from duban.core.models import Profile
    from duban.tasks.models import ProgressReport, Task

    first = Profile.objects.select_related("user").order_by("id")
    return {"office": first.filter(role="supervisor").first().user,
            "unit": first.filter(role="unit_staff").first().user,
            "load_s": 0.0, "tasks": Task.objects.count(), "reports": ProgressReport.objects.count()}


def time_queries(users: dict, repeat: int, queries=QUERIES) -> list[dict]:
    from duban.sources.search import search

    rows = []
    for label, q in queries:
        for who in ("office", "unit"):
            viewer = users[who]
            search(viewer=viewer, q=q)  # warm
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                results = search(viewer=viewer, q=q)
                times.append((time.perf_counter() - t) * 1000)
            rows.append({"query": f"{label}: {q}", "viewer": who, "hits": results.total,
                         "median_ms": statistics.median(times), "max_ms": max(times)})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "pg"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--existing", action="store_true",
                        help="time the database DATABASE_URL names as it is (seeded already), building nothing")
    parser.add_argument("--queries", help="comma-separated queries instead of the built-in ones (words of a "
                                          "query separated by spaces)")
    args = parser.parse_args()
    queries = [(f"q{i + 1}", q) for i, q in enumerate(args.queries.split(","))] if args.queries else QUERIES
    if args.existing:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
        import django

        django.setup()
        users = existing()
        return report(users, time_queries(users, args.repeat, queries), "existing database")
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="duban-search-bench-"))
        os.environ["DUBAN_DATA_DIR"] = tmp
        if args.backend == "pg":
            sys.path.insert(0, str(REPO / "bench"))
            from pgcluster import cluster

            os.environ["DATABASE_URL"] = stack.enter_context(cluster("duban"))
        else:
            os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
        import django

        django.setup()
        users = build(args.tasks)
        rows = time_queries(users, args.repeat, queries)
    return report(users, rows, f"backend {args.backend}")


def report(users: dict, rows: list[dict], backend: str) -> int:
    from django.db import connection

    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {backend} ({connection.vendor}); {users['tasks']} tasks + "
          f"{users['reports']} reports (loaded in {users['load_s']:.1f} s)\n")
    print("| query | viewer | hits | median ms | max ms |")
    print("| --- | --- | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['query']} | {r['viewer']} | {r['hits']} | {r['median_ms']:.1f} | {r['max_ms']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
