"""The upkeep of the counts kept per unit and light (``duban.tasks.unit_tally``) on a seeded database: every unit
counted for a day (what the nightly ``duban remind`` pays, ``--all``), a county's scope read from the kept rows,
and the same read after one write in one of its units (recounting that unit alone; the write is rolled back).

    DATABASE_URL=... .venv/bin/python bench/counts_bench.py --all
"""

from __future__ import annotations

import argparse
import sys
import time

from benchenv import django_setup


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="mark every unit stale and count them all first")
    args = parser.parse_args(argv)
    django_setup()
    from django.db import transaction
    from django.db.models import F

    from duban.core.models import Unit
    from duban.tasks import unit_tally
    from duban.tasks.models import Task, UnitTallyStamp
    from duban.tasks.selectors import today_local

    today = today_local()
    if args.all:
        UnitTallyStamp.objects.update(counted=None)
        wall, cpu = time.perf_counter(), time.process_time()
        n = unit_tally.refresh_all(today)
        print(f"every unit counted: {n} units, {time.perf_counter() - wall:.1f} s wall, "
              f"{time.process_time() - cpu:.1f} s CPU of this process")
    county = (Unit.objects.filter(parent__parent__isnull=True, parent__isnull=False, name__endswith="人民政府")
              .order_by("id").first())
    ids = list(Unit.objects.filter(path__startswith=county.path).values_list("id", flat=True))
    level = unit_tally.scope_level(county.path)
    for label in ("a county's scope, kept", "again"):
        wall = time.perf_counter()
        rows = unit_tally.kept_counts(ids, level, today)
        print(f"{label}: {len(ids)} units, {sum(rows.values())} tasks, {1000 * (time.perf_counter() - wall):.1f} ms")
    task = Task.objects.filter(lead_unit_id__in=ids[1:]).exclude(status="draft").order_by("id").first()
    with transaction.atomic():
        Task.objects.filter(pk=task.pk).update(progress_percent=F("progress_percent"))
        stale = UnitTallyStamp.objects.filter(unit_id__in=ids).exclude(counted=F("version")).count()
        wall = time.perf_counter()
        rows = unit_tally.kept_counts(ids, level, today)
        print(f"after one write: {stale} stale units of the scope recounted, {sum(rows.values())} tasks, "
              f"{1000 * (time.perf_counter() - wall):.1f} ms")
        transaction.set_rollback(True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
