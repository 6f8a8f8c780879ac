"""Ledger .xlsx export and import of N rows (default 10 000), each beside a raw openpyxl baseline on the same cells.

    .venv/bin/python bench/ledger_bench.py [--rows 10000] [--repeat 3] [--json out.json]

Export: ``duban.reports.actions.ledger_export`` (scoped query, ledger layout, audit event) against openpyxl writing
the same 10k x 17 values into a bare workbook. Round trip: the export imported as it is (every 任务编号 line
compared with its task; nothing changes). Import: ``ledger_import`` (header mapping, per-row validation, one
draft task with its audit event per row, idempotency keys, one transaction) against openpyxl's read-only reader
iterating the same cells. Both run on a throwaway SQLite database in a temporary directory (or DATABASE_URL).
CPU time of this process is printed next to wall time: steadier on a shared machine. Target: <= 5 s each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def setup(tmp: str) -> None:
    os.environ.setdefault("DUBAN_DATA_DIR", tmp)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
    os.environ.setdefault("DUBAN_LEDGER_MAX_ROWS", "100000")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def machine() -> dict:
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "date": dt.date.today().isoformat(), "load": os.getloadavg()[0]}


def seed(rows: int):
    """Units, a supervisor and ``rows`` assigned tasks (bulk-created: this is the bench's fixture, not a workflow)."""
    from django.contrib.auth import get_user_model

    from duban.core.audit import system_actor
    from duban.core.models import Profile, Role
    from duban.tasks.models import Task

    system = system_actor()
    from duban.core.actions import unit_create

    units = [unit_create(actor=system, name=f"市第{i}局") for i in range(40)]
    user = get_user_model().objects.create(username="bench-office")
    Profile.objects.create(user=user, unit=units[0], role=Role.SUPERVISOR, must_change_password=False)
    day = dt.date(2026, 1, 1)
    Task.objects.bulk_create([
        Task(title=f"落实第{i}项重点工作任务，确保按期完成", text=f"要落实第{i}项重点工作任务。", status="assigned",
             lead_unit=units[i % 40], deadline=day + dt.timedelta(days=i % 365), created_by=user,
             progress_percent=i % 100, seq=i)
        for i in range(rows)], batch_size=2000)
    through = Task.coop_units.through
    ids = list(Task.objects.values_list("id", flat=True))
    through.objects.bulk_create([through(task_id=t, unit_id=units[(n + 7) % 40].pk) for n, t in enumerate(ids)],
                                batch_size=2000)
    return user


def timed(fn, repeat: int) -> dict:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "result": result}


def raw_write(values) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in values:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def raw_read(data: bytes) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    n = sum(1 for row in wb.worksheets[0].iter_rows(values_only=True) for _ in row)
    wb.close()
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="duban-ledger-bench-") as tmp:
        setup(tmp)
        from openpyxl import load_workbook

        from duban.reports.actions import ledger_export, ledger_import
        from duban.tasks.models import Task

        user = seed(args.rows)
        export = timed(lambda: ledger_export(actor=user), args.repeat)
        data = export["result"]
        values = [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]
        export_raw = timed(lambda: raw_write(values), args.repeat)
        # Re-import of the export itself: every line carries its 任务编号 and matches its task, so nothing changes
        # (each line compared with its task: the round trip's cost).
        roundtrip = timed(lambda: ledger_import(actor=user, data=data, filename="export.xlsx"), 1)
        assert roundtrip["result"].noop and not roundtrip["result"].refused, roundtrip["result"].message
        # Import into the same database as new lines: without the 任务编号 and with fresh titles every row becomes
        # a task. Each repetition needs fresh keys, so the titles get a per-run suffix (the file is rewritten
        # outside the timer).
        header = values[1]
        key, title = header.index("任务编号"), header.index("督办事项")
        files = []
        for run in range(args.repeat):
            ws_values = [values[0], header] + [
                [None if i == key else f"{v}（第{run}轮）" if i == title else v for i, v in enumerate(r)]
                for r in values[2:]]
            files.append(raw_write(ws_values))
        before = Task.objects.count()
        runs = iter(files)
        imported = timed(lambda: ledger_import(actor=user, data=next(runs), filename="bench.xlsx"), args.repeat)
        assert imported["result"].created == args.rows, imported["result"].message
        assert Task.objects.count() == before + args.rows * args.repeat
        import_raw = timed(lambda: raw_read(files[0]), args.repeat)
        noop = timed(lambda: ledger_import(actor=user, data=files[0], filename="bench.xlsx"), 1)
        assert noop["result"].noop
    figures = {
        "machine": machine(), "rows": args.rows, "repeat": args.repeat,
        "export": {k: round(v, 3) for k, v in export.items() if k != "result"},
        "export_raw_openpyxl": {k: round(v, 3) for k, v in export_raw.items() if k != "result"},
        "import": {k: round(v, 3) for k, v in imported.items() if k != "result"},
        "import_raw_openpyxl": {k: round(v, 3) for k, v in import_raw.items() if k != "result"},
        "reimport_noop": {k: round(v, 3) for k, v in noop.items() if k != "result"},
        "roundtrip_noop": {k: round(v, 3) for k, v in roundtrip.items() if k != "result"},
    }
    figures["export_ratio"] = round(export["wall"] / export_raw["wall"], 2)
    figures["import_ratio"] = round(imported["wall"] / import_raw["wall"], 2)
    m = figures["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, {m['date']}, load {m['load']:.1f}")
    print(f"{'step':<26}{'wall s':>9}{'cpu s':>9}")
    for name in ("export", "export_raw_openpyxl", "import", "import_raw_openpyxl", "reimport_noop",
                 "roundtrip_noop"):
        print(f"{name:<26}{figures[name]['wall']:>9.2f}{figures[name]['cpu']:>9.2f}")
    print(f"export ratio duban/raw = {figures['export_ratio']}  import ratio duban/raw = {figures['import_ratio']}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
