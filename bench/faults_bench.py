"""Faults injected into a running instance under write load: is any acknowledged write lost?

Each scenario runs bench/loadtest.py (the real `duban serve`, concurrent writers posting progress reports over the
API, each with a unique payload id) and injects its fault halfway:

- kill9: kill -9 of every server process (gunicorn's master and workers) three times, restarting it each time;
- fulldisk (SQLite): the data dir on a small tmpfs filled to the last byte for a few seconds, then freed; the
  server is not restarted;
- restore: `duban backup` then `duban restore` while serving (the restore must refuse and say how to stop the
  server).

Afterwards the database is read: lost = acknowledged (201) but not stored. Runs on SQLite (a fresh file) or, with
--database-url, on PostgreSQL (a fresh database per scenario beside the one named; fulldisk is SQLite only, as
PostgreSQL's data directory belongs to the server, not to duban).

    python bench/faults_bench.py                                   # every scenario on SQLite
    python bench/faults_bench.py --scenario kill9 --database-url postgres://postgres@127.0.0.1:5499/postgres
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _loadtest():
    spec = importlib.util.spec_from_file_location("loadtest", REPO / "bench" / "loadtest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fresh_database(url: str | None, name: str) -> str | None:
    """A new, empty PostgreSQL database beside the one of ``url`` (None: SQLite, a new file per run)."""
    if not url:
        return None
    import psycopg

    base, _, _ = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def _summary(report: dict) -> dict:
    keep = ("database", "writers", "seconds", "sent", "acknowledged", "stored", "lost", "duplicated", "phantom",
            "by_status", "server_errors_5xx", "writes_per_second", "audit_broken", "during")
    return {key: report.get(key) for key in keep}


def kill9(writers: int, seconds: float, database_url: str | None) -> dict:
    def during(control):
        downs = []
        for _ in range(3):
            downs.append(round(control.kill9_and_restart(), 1))
            time.sleep(1)
        return {"kills": len(downs), "seconds_down": downs}

    return _summary(_loadtest().run(writers, seconds, 2, database_url, during=during))


def fulldisk(writers: int, seconds: float, database_url: str | None) -> dict:
    if database_url:
        return {"skipped": "SQLite only: PostgreSQL's data directory is the server's"}
    mount = Path(tempfile.mkdtemp(prefix="duban-fulldisk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], check=True)
    try:
        def during(control):
            ballast = mount / "ballast"
            filled_at = time.monotonic()
            fd = os.open(ballast, os.O_WRONLY | os.O_CREAT, 0o600)
            try:
                for size in (1 << 20, 4096, 1):  # down to the last byte
                    try:
                        while True:
                            os.write(fd, b"\0" * size)
                    except OSError:
                        pass
            finally:
                os.close(fd)
            time.sleep(4)
            ballast.unlink()
            freed_at = time.monotonic()
            return {"full_seconds": round(freed_at - filled_at, 1), "freed_at": freed_at, "filled_at": filled_at}

        report = _loadtest().run(writers, seconds, 2, None, during=during, data_dir=mount / "data")
        freed = report["during"]["freed_at"]
        filled = report["during"]["filled_at"]
        report["acked_while_full"] = sum(1 for status, t in report["finished"] if status == "201" and filled < t < freed)
        report["errors_while_full"] = sum(1 for status, t in report["finished"] if status != "201" and filled < t < freed)
        report["acked_after_freeing"] = sum(1 for status, t in report["finished"] if status == "201" and t > freed)
        summary = _summary(report)
        summary["during"] = {"full_seconds": report["during"]["full_seconds"]}
        summary.update({key: report[key] for key in ("acked_while_full", "errors_while_full", "acked_after_freeing")})
        return summary
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()


def restore(writers: int, seconds: float, database_url: str | None) -> dict:
    backup = Path(tempfile.mkdtemp(prefix="duban-restore-")) / "mid-load.tar"

    def during(control):
        def duban(*args):
            return subprocess.run([sys.executable, "-m", "duban.cli", *args], env=control.env, cwd=REPO,
                                  capture_output=True, text=True, timeout=600, check=False)

        made = duban("backup", "--output", str(backup))
        refused = duban("restore", str(backup), "--yes")
        return {"backup_exit": made.returncode, "restore_exit": refused.returncode,
                "restore_said": refused.stderr.strip()[:200]}

    return _summary(_loadtest().run(writers, seconds, 2, database_url, during=during))


SCENARIOS = {"kill9": kill9, "fulldisk": fulldisk, "restore": restore}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), action="append")
    parser.add_argument("--writers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    results = {}
    for name in args.scenario or list(SCENARIOS):
        url = fresh_database(args.database_url, f"duban_faults_{name}")
        results[name] = SCENARIOS[name](args.writers, args.seconds, url)
        print(json.dumps({name: results[name]}, ensure_ascii=False), file=sys.stderr, flush=True)
    results["machine"] = {"cores": os.cpu_count(), "python": sys.version.split()[0], "load": os.getloadavg()[0],
                          "date": time.strftime("%Y-%m-%d")}
    print(json.dumps(results, ensure_ascii=False, indent=1))
    return 0 if all(not r.get("lost") for r in results.values() if isinstance(r, dict)) else 1


if __name__ == "__main__":
    sys.exit(main())
