"""Concurrent writers against the real server: does every acknowledged write land exactly once?

Starts `duban serve --no-scheduler` (gunicorn) on a free loopback port against a fresh SQLite database (or the
DATABASE_URL given), makes N unit users each with an API token, and lets N threads post progress reports on their
units' tasks for S seconds. Every report carries a unique payload id. Afterwards it reads the database and counts:
sent, acknowledged (201), stored, lost (acknowledged but not stored), duplicated (stored more than once), phantom
(stored but not acknowledged: a timeout whose write landed), errors by status, 5xx, and latency percentiles. It also
checks the audit hash chain. Exit 0 only with zero lost, duplicated and 5xx.

    python bench/loadtest.py                       # 50 writers × 60 s, prints a table and writes JSON to stdout
    python bench/loadtest.py --writers 10 --seconds 5 --json /tmp/load.json
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "Load-test-2026!"
UNITS = 10


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_database(env: dict, writers: int) -> list[dict]:
    """Migrate and create units, one user and token per writer, and one accepted task per two writers (so two
    people of a unit write on the same task, as colleagues do). Runs in a child process with the server's env."""
    code = f"""
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from duban.core.actions import unit_create, user_create, api_token_create
from duban.core.audit import system_actor
from duban.core.models import Profile
from duban.tasks import actions
import datetime as dt
system = system_actor()
office = unit_create(actor=system, name="市委督查室")
sup = user_create(actor=system, username="office", password={PASSWORD!r}, role="supervisor", unit=office,
                  display_name="督查室")
units = [unit_create(actor=system, name=f"测试单位{{i}}") for i in range({UNITS})]
out = []
tasks = {{}}
for w in range({writers}):
    unit = units[(w // 2) % {UNITS}]
    user = user_create(actor=system, username=f"writer{{w}}", password={PASSWORD!r}, role="unit_staff", unit=unit,
                       display_name=f"写入{{w}}")
    Profile.objects.filter(user=user).update(must_change_password=False)
    user = type(user).objects.select_related("profile").get(pk=user.pk)  # with the password change recorded
    key = w // 2
    if key not in tasks:
        t = actions.task_create(actor=sup, title=f"压力测试事项{{key}}", text="压力测试", lead_unit_id=unit.pk,
                                deadline=dt.date.today() + dt.timedelta(days=90))
        actions.task_assign(actor=sup, task_id=t.pk)
        actions.task_accept(actor=user, task_id=t.pk)
        tasks[key] = t.pk
    out.append({{"writer": w, "task_id": tasks[key], "token": api_token_create(actor=user, name="load")}})
print("WRITERS=" + json.dumps(out))
"""
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                          check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("WRITERS="))
    return json.loads(line[len("WRITERS="):])


def count_stored(env: dict) -> dict:
    code = """
import json, os, django, re
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "duban.settings")
django.setup()
from duban.tasks.models import ProgressReport
from duban.core.audit import audit_verify
from duban.core.models import AuditEvent
ids = [m.group(1) for t in ProgressReport.objects.values_list("text", flat=True)
       for m in [re.search(r"payload=([0-9a-f-]{36})", t)] if m]
print("STORED=" + json.dumps({"ids": ids, "audit_broken": audit_verify()[:20], "audit_events": AuditEvent.objects.count()}))
"""
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True,
                          check=True)
    line = next(x for x in proc.stdout.splitlines() if x.startswith("STORED="))
    return json.loads(line[len("STORED="):])


def wait_for(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/accounts/login/")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return
        except OSError:
            time.sleep(0.2)
        finally:
            conn.close()
    raise RuntimeError("server did not start")


class Writer(threading.Thread):
    def __init__(self, port, spec, stop_at, results):
        super().__init__(daemon=True)
        self.port, self.spec, self.stop_at, self.results = port, spec, stop_at, results

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        seq = 0
        while time.monotonic() < self.stop_at:
            seq += 1
            payload = str(uuid.uuid4())
            body = json.dumps({"text": f"压力测试进展 writer={self.spec['writer']} seq={seq} payload={payload}",
                               "progress_percent": min(seq, 100)})
            headers = {"Authorization": f"Bearer {self.spec['token']}", "Content-Type": "application/json"}
            start = time.perf_counter()
            try:
                conn.request("POST", f"/api/v1/tasks/{self.spec['task_id']}/reports", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status = f"error:{type(exc).__name__}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.results.append((payload, status, time.perf_counter() - start, time.monotonic()))
        conn.close()


def machine() -> dict:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "")
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d"), "load_average": os.getloadavg()[0]}


class Control:
    """What ``during`` gets: the server's environment, and the server to kill and start again."""

    def __init__(self, env: dict, start, port: int):
        self.env, self._start, self.port = env, start, port
        self.servers = [start()]

    @property
    def server(self) -> subprocess.Popen:
        return self.servers[-1]

    def kill9_and_restart(self) -> float:
        """kill -9 every process of the server (gunicorn's master and workers), start it again; seconds down."""
        down = time.monotonic()
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait()
        self.servers.append(self._start())
        wait_for(self.port, self.server)
        return time.monotonic() - down


def run(writers: int, seconds: float, workers: int, database_url: str | None = None,
        scheduler: bool = False, during=None, data_dir: Path | None = None) -> dict:
    """``scheduler``: serve with its follow-up loop, a pass a second, writing beside the writers. ``during``: a
    function called with a ``Control`` halfway through the load (a fault to inject, a command to run beside it);
    what it returns is the report's ``during``. The report then also keeps ``env`` and the ``acked`` payload ids,
    for checks after the run. ``data_dir``: the server's data dir (default: a new temporary one)."""
    tmp = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="duban-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DUBAN_DATA_DIR=str(tmp), DUBAN_DEBUG="1", PYTHONUNBUFFERED="1", DUBAN_SCHEDULER_INTERVAL="1")
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    specs = setup_database(env, writers)
    port = free_port()
    # ``-m`` from this checkout (the console script imports whichever checkout the environment was installed from)
    cmd = [sys.executable, "-m", "duban.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *([] if scheduler else ["--no-scheduler"]),
           "--no-migrate", "--workers", str(workers)]
    log_path = Path(tempfile.mkdtemp(prefix="duban-load-log-")) / "server.log"  # not in a data dir that may fill
    log = open(log_path, "wb")
    control = Control(env, lambda: subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                                    start_new_session=True), port)
    results: list = []
    try:
        wait_for(port, control.server)
        stop_at = time.monotonic() + seconds
        threads = [Writer(port, spec, stop_at, results) for spec in specs]
        started = time.monotonic()
        for t in threads:
            t.start()
        during_result = None
        if during is not None:
            time.sleep(seconds / 2)
            during_result = during(control)
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        server = control.server
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        server_log = log_path.read_text(errors="replace")[-2000:]
    stored = count_stored(env)
    stored_counts = collections.Counter(stored["ids"])
    acked = {p for p, status, _, _ in results if status == 201}
    sent = {p for p, _, _, _ in results}
    by_status = collections.Counter(str(s) for _, s, _, _ in results)
    latencies = sorted(lat for _, s, lat, _ in results if s == 201)
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    report = {
        "writers": writers, "seconds": seconds, "gunicorn_workers": workers, "elapsed": round(elapsed, 1),
        "database": "postgresql" if database_url else "sqlite",
        "sent": len(results), "acknowledged": len(acked), "stored": sum(stored_counts.values()),
        "lost": len(acked - set(stored_counts)), "duplicated": sum(1 for c in stored_counts.values() if c > 1),
        "phantom": len(set(stored_counts) - acked), "unknown_payloads": len(set(stored_counts) - sent),
        "by_status": dict(by_status), "server_errors_5xx": sum(c for s, c in by_status.items() if s.startswith("5")),
        "writes_per_second": round(len(acked) / elapsed, 1) if elapsed else 0,
        "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else 0,
        "audit_events": stored["audit_events"], "audit_broken": stored["audit_broken"], "machine": machine(),
    }
    if during is not None:
        report.update(during=during_result, env=env, acked=sorted(acked),
                      finished=[(str(status), t) for _, status, _, t in results])
    if report["server_errors_5xx"] or report["lost"]:
        report["server_log_tail"] = server_log
    return report


def ok(report: dict) -> bool:
    return (report["lost"] == 0 and report["duplicated"] == 0 and report["server_errors_5xx"] == 0
            and not report["audit_broken"] and report["acknowledged"] > 0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (4 threads each)")
    parser.add_argument("--database-url", help="run against this PostgreSQL database instead of a fresh SQLite")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    report = run(args.writers, args.seconds, args.workers, args.database_url)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")
    return 0 if ok(report) else 1


if __name__ == "__main__":
    sys.exit(main())
