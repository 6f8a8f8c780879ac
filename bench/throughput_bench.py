"""Requests per second of the task-list API served by gunicorn (``duban serve --workers 2``) on loopback, and the
resident memory of the server processes after every page has been exercised.

The load comes from this Python process (a thread pool of keep-alive HTTP connections to 127.0.0.1, bounded in
time), so nothing extra needs installing; on a 2-core machine the client takes CPU from the server, which the
figures include.

    DATABASE_URL=... .venv/bin/python bench/throughput_bench.py --seconds 20 --json out.json
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

from benchenv import ENV, REPO, django_setup


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie() -> tuple[str, dict]:
    """A session of the office supervisor (stored in the database the server reads) and page targets."""
    django_setup()
    from django.conf import settings
    from django.test import Client

    from bench.pages_bench import pages, pick_targets
    from duban.core.models import Profile

    user = Profile.objects.select_related("user").filter(role="supervisor").order_by("id").first().user
    c = Client()
    c.force_login(user)
    return c.cookies[settings.SESSION_COOKIE_NAME].value, pages(pick_targets())


def rss_kb(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS", "VmHWM")):
                k, v = line.split(":")
                out[k] = int(v.split()[0])
    return out


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def run_clients(port: int, threads: int, seconds: float, send, ok_status: int) -> dict:
    """``threads`` clients, each on its own keep-alive connection, call ``send(conn, k)`` (which makes one request
    and returns its HTTP status) until ``seconds`` have passed; ``k`` runs from the client's index in steps of
    ``threads``, so the clients share out the work. Latencies are kept of the requests answered ``ok_status``."""
    stop = time.monotonic() + seconds
    lat: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(i: int):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, k = [], i
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                status = send(conn, k)
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            k += threads
            if status == ok_status:
                mine.append(time.perf_counter() - t0)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - t0
    lat.sort()
    return {"requests": len(lat), "errors": sum(n for st, n in statuses.items() if st != ok_status),
            "statuses": statuses, "seconds": elapsed, "threads": threads, "rps": len(lat) / elapsed,
            "median_ms": statistics.median(lat) * 1000 if lat else None,
            "p95_ms": lat[int(0.95 * (len(lat) - 1))] * 1000 if lat else None}


def load(port: int, cookie: str, paths: list[str], seconds: float, threads: int, headers: dict | None = None) -> dict:
    """``threads`` keep-alive clients requesting ``paths`` in turn for ``seconds``; signed in by the session
    ``cookie`` or, when given, by ``headers`` instead (another server's API key)."""
    headers = headers or {"Cookie": f"sessionid={cookie}"}

    def get(conn, k: int) -> int:
        conn.request("GET", paths[k % len(paths)], headers={**headers, "Connection": "keep-alive"})
        resp = conn.getresponse()
        resp.read()
        return resp.status

    return run_clients(port, threads, seconds, get, 200)


def start_server(port: int, workers: int, env: dict) -> subprocess.Popen:
    """``duban serve`` on loopback ``port`` (no scheduler, no migrate), returned once it accepts connections;
    ``RuntimeError`` with the end of its error output if it stops or has not started within 60 s."""
    server = subprocess.Popen([sys.executable, "-m", "duban.cli", "serve", "--no-scheduler", "--no-migrate",
                               "--workers", str(workers), "--port", str(port)],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("server did not start: " + server.stderr.read().decode()[-2000:]) from None
            time.sleep(0.3)


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM (gunicorn's graceful stop), SIGKILL if it has not stopped within 30 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args(argv)

    cookie, page_list = session_cookie()
    port = free_port()
    server = start_server(port, args.workers, dict(os.environ, **ENV))
    result: dict = {"workers": args.workers}
    try:
        api = [f"/api/v1/tasks?page={p}" for p in range(1, 21)]
        api_filtered = [f"/api/v1/tasks?status={s}&page={p}" for s in ("in_progress", "closed", "assigned")
                        for p in range(1, 4)]
        load(port, cookie, api[:4], 3, 2)  # warm both workers
        result["api_task_list"] = load(port, cookie, api, args.seconds, args.threads)
        print("API task list:", result["api_task_list"], flush=True)
        result["api_task_list_filtered"] = load(port, cookie, api_filtered, args.seconds / 2, args.threads)
        print("API task list filtered:", result["api_task_list_filtered"], flush=True)
        # every page a few times, then the memory of each server process
        urls = [quote(u, safe="/?=&") for _, viewer, u in page_list  # search has a Chinese query
                if viewer == "supervisor" and not u.startswith("/bench/")]
        result["pages_exercised"] = load(port, cookie, urls * 3, 5, 2)
        kids = children(server.pid)
        result["rss_kb"] = {"master": rss_kb(server.pid), "workers": [rss_kb(k) for k in kids]}
        print("RSS:", result["rss_kb"], flush=True)
    finally:
        stop_server(server)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
