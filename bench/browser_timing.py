"""The browser's side of the main pages: Navigation Timing in Chromium with its CPU slowed 4× (Chrome DevTools'
"mid-tier mobile" setting, through the DevTools protocol's ``Emulation.setCPUThrottlingRate``), beside the server's
time for the same pages.

Starts `duban serve --no-scheduler` (gunicorn, 2 workers) on a free loopback port against DATABASE_URL (a database
seeded by `duban seed-bench`), signs the office supervisor in (a session stored in that database) and, for the
工作台 (``/``), the task list (``/tasks/``) and a task page, in Debian's Chromium (Playwright, headless):
one navigation to fill the browser's cache (as a person's second visit), then ``--runs`` navigations, each read
from ``performance.getEntriesByType("navigation")`` once ``loadEventEnd`` is set, and the first contentful paint.
The server's time is the same URL fetched ``--runs`` times by a plain HTTP client on loopback (request sent to last
byte read), timed between the browser's runs.

    DATABASE_URL=... .venv/bin/python bench/browser_timing.py --runs 10 --json out.json

Columns: server (HTTP client, median), TTFB (``responseStart - requestStart``: the server as the browser sees it),
DOMContentLoaded and load (from ``startTime``), FCP, the document's size; medians of the runs and their worst.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.loadtest import free_port, wait_for  # noqa: E402
from bench.throughput_bench import ENV, session_cookie, stop_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
THROTTLE = 4  # DevTools' "4x slowdown": a mid-range phone against this machine's core

NAV_ENTRY = """() => {
  const n = performance.getEntriesByType("navigation")[0];
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {ttfb: n.responseStart - n.requestStart, response_end: n.responseEnd, dom_interactive: n.domInteractive,
          dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd, fcp: fcp ? fcp.startTime : null,
          transfer: n.transferSize, body: n.decodedBodySize};
}"""


def session_and_targets() -> tuple[str, str, list[tuple[str, str]]]:
    """The supervisor's session (cookie name, value) and the three pages."""
    cookie, page_list = session_cookie()
    task_page = next(url for name, _, url in page_list if name == "task detail")
    return "sessionid", cookie, [("工作台 /", "/"), ("task list /tasks/", "/tasks/"), ("task page", task_page)]


def server_time(port: int, cookie: str, path: str) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.perf_counter()
    conn.request("GET", quote(path, safe="/?=&"), headers={"Cookie": cookie})
    r = conn.getresponse()
    r.read()
    elapsed = time.perf_counter() - t0
    conn.close()
    if r.status != 200:
        raise RuntimeError(f"{path}: HTTP {r.status}")
    return elapsed * 1000


def measure(browser, base: str, cookie_name: str, cookie_value: str, port: int, path: str, runs: int) -> dict:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    context.add_cookies([{"name": cookie_name, "value": cookie_value, "url": base}])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLE})
    page.goto(base + path, wait_until="load")  # fills the cache with the static files
    nav, server = [], []
    for _ in range(runs):
        server.append(server_time(port, f"{cookie_name}={cookie_value}", path))
        page.goto(base + path, wait_until="load")
        page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
        nav.append(page.evaluate(NAV_ENTRY))
    context.close()

    def stats(values):
        values = [v for v in values if v is not None]
        return {"median": statistics.median(values), "max": max(values)} if values else None

    return {"path": path, "server_ms": stats(server),
            **{k: stats([n[k] for n in nav]) for k in ("ttfb", "dom_interactive", "dcl", "load", "fcp")},
            "transfer_bytes": nav[-1]["transfer"], "body_bytes": nav[-1]["body"]}


def markdown(rows: list[dict]) -> str:
    out = ["| page (Chromium, CPU 4× slower) | server ms | TTFB ms | DOMContentLoaded ms | load ms | FCP ms "
           "| HTML KB |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    def cell(s):
        return f"{s['median']:.0f} (≤ {s['max']:.0f})" if s else "–"

    for r in rows:
        out.append(f"| {r['name']} | {cell(r['server_ms'])} | {cell(r['ttfb'])} | {cell(r['dcl'])} | {cell(r['load'])} "
                   f"| {cell(r['fcp'])} | {r['body_bytes'] / 1024:.0f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    cookie_name, cookie_value, targets = session_and_targets()
    port = free_port()
    env = dict(os.environ, **ENV)
    server = subprocess.Popen([sys.executable, "-m", "duban.cli", "serve", "--no-scheduler", "--no-migrate",
                               "--workers", "2", "--port", str(port)],
                              cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        wait_for(port, server)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for name, path in targets:
                    row = {"name": name, **measure(browser, base, cookie_name, cookie_value, port, path, args.runs)}
                    print(name, json.dumps(row, ensure_ascii=False), flush=True)
                    rows.append(row)
            finally:
                browser.close()
    finally:
        stop_server(server)
    print(markdown(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
