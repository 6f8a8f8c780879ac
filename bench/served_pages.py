"""Server time of single pages as a browser gets them: duban served by gunicorn (``duban serve``) on loopback, one
client, one request at a time on a kept-alive connection, the office supervisor signed in.

Prints each page's median and p95 over ``--requests`` requests, the pages interleaved request by request (so a
shared machine's drift touches them alike). On a database served read-only (``bench/peer/readonly_settings.py``)
the session is stored without the sign-in's writes, as ``bench/peer/redmine_bench.py`` does.

    DATABASE_URL=... .venv/bin/python bench/served_pages.py --only 'task detail|notifications'

``--pause`` waits before each request: the machine goes idle in between, as it does for a person's clicks, and
each of the request's hand-offs (client, the server's threads, the database's process, a round trip a statement)
then wakes a processor.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import time
from urllib.parse import quote

from benchenv import ENV, django_setup


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="regex: the pages (names of bench/pages_bench.py) to time")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.0, help="seconds to wait before each request (a client "
                        "that asks now and then, or one that interleaves another server's slower requests)")
    args = parser.parse_args(argv)

    django_setup()
    from django.conf import settings

    from bench.pages_bench import pages, pick_targets
    from benchenv import stored_session
    from bench.throughput_bench import free_port, start_server, stop_server
    from duban.core.models import Profile

    user = Profile.objects.select_related("user").filter(role="supervisor").order_by("id").first().user
    cookie = stored_session(user)
    urls = [(name, quote(url, safe="/?=&")) for name, viewer, url in pages(pick_targets())
            if viewer == "supervisor" and not url.startswith("/bench/") and re.search(args.only, name)]
    port = free_port()
    server = start_server(port, args.workers, dict(os.environ, **ENV))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}"}
        times: dict[str, list[float]] = {name: [] for name, _ in urls}
        for i in range(args.requests + 5):  # the first five warm both workers
            for name, url in urls:
                time.sleep(args.pause)
                t0 = time.perf_counter()
                conn.request("GET", url, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"{name} {url}: status {response.status}")
                if i >= 5:
                    times[name].append(time.perf_counter() - t0)
        for name, url in urls:
            s = sorted(times[name])
            p95 = s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]
            print(f"{name:<30} {url:<40} median {statistics.median(s) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms",
                  flush=True)
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
