"""What the former ``TaskTally`` triggers cost every task write, side by side on one seeded PostgreSQL database:
"before" installs them again (the frozen copy that migration ``tasks.0006`` installs, on a table made here),
"after" runs without them, rounds interleaved so the machine's load falls on both alike. The counts kept per unit
(``UnitTally``'s triggers) run in both.

Each round times, through the real code: progress reports (``report_submit`` by the lead unit's staff: a task
row update that moves no count), 签收 (``task_accept``: assigned -> accepted, a counted change; put back by one
untimed statement after the round), the ledger import's bulk insert (``task_bulk_create_in_txn``, ``COPY``,
rolled back), and single-row status updates in autocommit (the bare statement). On a database seeded with
``duban seed-bench``; it leaves the database as it found it but for the reports and audit events it adds.

    DATABASE_URL=postgres://... .venv/bin/python bench/tally_bench.py --rounds 4 --writes 60
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchenv import django_setup

TABLE_DDL = ("CREATE TABLE IF NOT EXISTS tasks_tasktally (id bigserial PRIMARY KEY, axis varchar(4) NOT NULL, "
             "key bigint NOT NULL, status varchar(20) NOT NULL, n integer NOT NULL DEFAULT 0, "
             "CONSTRAINT task_tally_key UNIQUE (axis, key, status))")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds per side, interleaved")
    parser.add_argument("--writes", type=int, default=60, help="actions of each kind per round")
    parser.add_argument("--bulk", type=int, default=2000, help="rows of the bulk insert")
    args = parser.parse_args(argv)
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from duban.core.models import Profile
    from duban.tasks import actions
    from duban.tasks.migrations import _task_tally
    from duban.tasks.models import Task, TaskStatus

    if connection.vendor != "postgresql":
        print("PostgreSQL only (DATABASE_URL)", file=sys.stderr)
        return 2
    staff = dict(Profile.objects.filter(role="unit_staff").values_list("unit_id", "user_id"))
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=staff.values())}

    def pick(status: str) -> list[tuple[int, object]]:
        rows = (Task.objects.filter(status=status, lead_unit_id__in=list(staff), parent__isnull=True)
                .order_by("id").values_list("id", "lead_unit_id")[:args.writes])
        return [(pk, users[staff[lead]]) for pk, lead in rows]

    reporting, accepting = pick(TaskStatus.IN_PROGRESS), pick(TaskStatus.ASSIGNED)
    supervisor = Profile.objects.get(user__username="bench-supervisor").user
    flips = list(Task.objects.filter(status=TaskStatus.CLOSED).order_by("id").values_list("id", flat=True)[:args.writes])
    area_unit = Task.objects.filter(pk=flips[0]).values_list("area_id", "lead_unit_id").get()
    print(f"{Task.objects.count()} tasks; {len(reporting)} reports, {len(accepting)} acceptances, "
          f"{args.bulk} rows bulk, {len(flips)} single updates a round; {args.rounds} rounds a side")

    def side(before: bool) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if before:
                cursor.execute(TABLE_DDL)
                _task_tally.install(connection)  # and count every task: untimed
            else:
                _task_tally.uninstall(connection)

    def functions() -> dict[str, tuple[int, float]]:
        """Calls and total ms of the triggers' functions so far (``track_functions``: the server's own clock, so
        the machine's other load does not fall on the figure as it does on the client's)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT 1")  # the flush happens while the session is idle before this
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT funcname, calls, total_time FROM pg_stat_user_functions "
                           "WHERE funcname IN ('tasks_tally_apply', 'tasks_unit_tally_task')")
            return {name: (calls, total) for name, calls, total in cursor.fetchall()}

    in_triggers: dict[tuple, list] = {}  # (workload, function, side): [ms, writes]

    def one_round(n: int, before: bool) -> dict[str, list[float]]:
        def each(name: str, calls: list) -> list[float]:
            start = functions()
            out = []
            for call in calls:
                t0 = time.perf_counter()
                call()
                out.append((time.perf_counter() - t0) * 1000)
            for function, (_calls, total) in functions().items():
                sums = in_triggers.setdefault((name, function, before), [0.0, 0])
                sums[0] += total - start.get(function, (0, 0.0))[1]
                sums[1] += len(calls)
            return out

        timings = {
            "report_submit": each("report_submit", [
                lambda pk=pk, user=user: actions.report_submit(actor=user, task_id=pk, text=f"基准进展{n}",
                                                               progress_percent=50) for pk, user in reporting]),
            "task_accept": each("task_accept", [
                lambda pk=pk, user=user: actions.task_accept(actor=user, task_id=pk) for pk, user in accepting]),
        }
        Task.objects.filter(pk__in=[pk for pk, _ in accepting]).update(status=TaskStatus.ASSIGNED, accepted_at=None)

        def bulk():
            with transaction.atomic():
                actions.task_bulk_create_in_txn(actor=supervisor, assign=True, rows=[
                    dict(title=f"基准导入{n}-{i}", text="要落实。", lead_unit_id=area_unit[1], area_id=area_unit[0])
                    for i in range(args.bulk)])
                transaction.set_rollback(True)

        timings["bulk_insert"] = each("bulk_insert", [bulk])

        def flip(pk: int, status: str):
            with connection.cursor() as cursor:
                cursor.execute("UPDATE tasks_task SET status = %s WHERE id = %s", [status, pk])

        timings["update_statement"] = each("update_statement", [
            lambda pk=pk, status=status: flip(pk, status)
            for status in (TaskStatus.IN_PROGRESS, TaskStatus.CLOSED) for pk in flips])
        # the same statements run by the server in one loop (no round trip per statement, so the client's and
        # the network's share is gone): a counted change (status back and forth) and one that moves no count
        # (the progress a report writes); per statement
        for name, assignment in (("loop_status", "status = CASE status WHEN 'closed' THEN 'in_progress' "
                                                 "ELSE 'closed' END"),
                                 ("loop_progress", "progress_percent = progress_percent")):
            statements = 2 * len(flips) * 5
            loop = (f"DO $$ DECLARE ids bigint[] := ARRAY{flips}; BEGIN FOR i IN 1..{statements} LOOP "
                    f"UPDATE tasks_task SET {assignment} WHERE id = ids[1 + (i - 1) % {len(flips)}]; END LOOP; END $$")

            def run(loop=loop):
                with connection.cursor() as cursor:
                    cursor.execute(loop)

            timings[name] = [ms / statements for ms in each(name, [run])]
            for key in ((name, f, before) for f in ("tasks_tally_apply", "tasks_unit_tally_task")):
                if key in in_triggers:
                    in_triggers[key][1] += statements - 1  # per statement, not per loop
        return timings

    results = {True: {}, False: {}}
    with connection.cursor() as cursor:
        cursor.execute("SET track_functions = 'pl'")
    try:
        side(False)
        one_round(-1, False)  # warm up (connections, caches, the first plans): untimed
        for n in range(args.rounds):
            for before in ((True, False) if n % 2 == 0 else (False, True)):
                side(before)
                for name, values in one_round(n, before).items():
                    results[before].setdefault(name, []).extend(values)
    finally:
        with transaction.atomic(), connection.cursor() as cursor:
            _task_tally.uninstall(connection)
            cursor.execute("DROP TABLE IF EXISTS tasks_tasktally")
    print(f"{'':18} {'with TaskTally (median / p95 ms)':>34} {'without':>20} {'saved (median)':>16}")
    for name in results[True]:
        row = []
        for before in (True, False):
            values = sorted(results[before][name])
            p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
            row.append((statistics.median(values), p95))
        saved = row[0][0] - row[1][0]
        print(f"{name:18} {row[0][0]:>24.2f} / {row[0][1]:<8.2f} {row[1][0]:>10.2f} / {row[1][1]:<8.2f} "
              f"{saved:>8.2f} ({100 * saved / row[0][0]:.0f} %)")
    print("\nin the triggers' functions, ms per write (the server's clock), with TaskTally / without:")
    for name in results[True]:
        cells = []
        for function in ("tasks_tally_apply", "tasks_unit_tally_task"):
            for before in (True, False):
                ms, writes = in_triggers.get((name, function, before), [0.0, 0])
                cells.append(ms / writes if writes else 0.0)
        print(f"{name:18} TaskTally {cells[0]:8.3f} / {cells[1]:.3f}   UnitTally {cells[2]:8.3f} / {cells[3]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
