"""What SQLite's synchronous=FULL costs against NORMAL (both in WAL mode), on this machine's disk.

Two measurements, each mode run alternately so both see the same machine load:

1. commits: single-row write transactions back to back on one connection (the floor of one write), commits/s;
2. server: the load test (bench/loadtest.py: the real `duban serve`, concurrent writers over the API) with
   DUBAN_SQLITE_SYNCHRONOUS set for the server, acknowledged writes/s and latency.

    python bench/sqlite_sync_bench.py                  # 3 rounds, 2000 commits, 10 writers x 10 s
    python bench/sqlite_sync_bench.py --rounds 1 --writers 4 --seconds 5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODES = ("NORMAL", "FULL")


def commits_per_second(mode: str, commits: int) -> float:
    with tempfile.TemporaryDirectory(dir=os.environ.get("DUBAN_BENCH_DIR")) as tmp:
        db = sqlite3.connect(Path(tmp) / "sync.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={mode}")
        db.execute("CREATE TABLE report (id INTEGER PRIMARY KEY, text TEXT, at REAL)")
        row = "压力测试进展" * 20
        started = time.perf_counter()
        for _ in range(commits):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO report (text, at) VALUES (?, ?)", (row, time.time()))
            db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
    return commits / elapsed


def server_run(mode: str, writers: int, seconds: float) -> dict:
    spec = importlib.util.spec_from_file_location("loadtest", REPO / "bench" / "loadtest.py")
    loadtest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loadtest)
    os.environ["DUBAN_SQLITE_SYNCHRONOUS"] = mode
    try:
        report = loadtest.run(writers=writers, seconds=seconds, workers=2)
    finally:
        os.environ.pop("DUBAN_SQLITE_SYNCHRONOUS", None)
    return {key: report[key] for key in ("acknowledged", "lost", "server_errors_5xx", "writes_per_second",
                                         "p50_ms", "p95_ms")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args(argv)
    results = {mode: {"commits_per_s": [], "server": []} for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            results[mode]["commits_per_s"].append(round(commits_per_second(mode, args.commits), 1))
        for mode in MODES:
            results[mode]["server"].append(server_run(mode, args.writers, args.seconds))
    for mode in MODES:
        results[mode]["commits_per_s_median"] = statistics.median(results[mode]["commits_per_s"])
        results[mode]["server_writes_per_s_median"] = statistics.median(
            r["writes_per_second"] for r in results[mode]["server"])
        results[mode]["server_p50_ms_median"] = statistics.median(r["p50_ms"] for r in results[mode]["server"])
    results["machine"] = {"cores": os.cpu_count(), "python": sys.version.split()[0], "load": os.getloadavg()[0],
                          "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
