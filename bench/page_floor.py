"""What every page pays before its own work, piece by piece: CPU time of requests handed straight to Django's WSGI
handler in this process (no test client, whose signals and context copies would be counted too), the office
supervisor signed in by a stored session.

Cases (each ``--requests`` requests after five untimed, median thread CPU time; ``--rounds`` rounds, the cases
interleaved round by round so a shared machine's drift touches them alike):

- Django alone: no middleware, a view that answers "x";
- every middleware and the same view (the session and the signed-in user are read: the middleware ask who it is);
- the same without one middleware at a time (``--each``), which shows what that one costs;
- the base template with nothing in it (``base.html``, the navigation, the context processors);
- named pages (``--pages``: paths).

``--pause S`` sleeps S seconds before each request, as the side-by-side comparison's client leaves a server while
the other one answers: the work then runs on cold CPU caches and costs more.

Each line gives the median thread CPU time and the median wall time (which adds the database server's work when it
is another process, as PostgreSQL is).

    DATABASE_URL=... .venv/bin/python bench/page_floor.py --each --pages /notifications/
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchenv import django_setup
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import include, path


def bare(request):
    return HttpResponse("x", content_type="text/plain")


def base(request):
    return render(request, "base.html", {})


def __getattr__(name: str):
    """This module is also the URLconf (``urlpatterns``), built when Django first asks, after it is set up."""
    if name == "urlpatterns":
        return [path("floor/bare/", bare), path("floor/base/", base), path("", include("duban.urls"))]
    raise AttributeError(name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--each", action="store_true", help="also every middleware left out in turn")
    parser.add_argument("--pages", nargs="*", default=["/notifications/"], help="paths of pages to time too")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds of sleep before each request, as a client that waits for another server "
                             "between two requests leaves the process (its CPU caches go cold)")
    args = parser.parse_args(argv)

    django_setup()
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.page_floor"
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    from benchenv import stored_session
    from duban.core.models import Profile

    user = Profile.objects.select_related("user").filter(role="supervisor").order_by("id").first().user
    cookie = f"{settings.SESSION_COOKIE_NAME}={stored_session(user)}"
    factory = RequestFactory(HTTP_HOST="127.0.0.1")
    full = list(settings.MIDDLEWARE)

    def handler(middleware: list[str]) -> WSGIHandler:
        kept, settings.MIDDLEWARE = settings.MIDDLEWARE, middleware
        try:
            return WSGIHandler()  # reads MIDDLEWARE once, here
        finally:
            settings.MIDDLEWARE = kept

    cases = [("Django alone", handler([]), "/floor/bare/"), ("every middleware", handler(full), "/floor/bare/")]
    if args.each:
        cases += [(f"without {m.rsplit('.', 1)[1]}", handler([x for x in full if x != m]), "/floor/bare/")
                  for m in full if not m.endswith(".SessionMiddleware")]  # the user needs the session
    cases += [("base template", cases[1][1], "/floor/base/")] + [(p, cases[1][1], p) for p in args.pages]

    statuses: list[str] = []

    def timed(wsgi, url: str) -> tuple[float, float]:
        spent, waited = [], []
        for i in range(args.requests + 5):
            environ = factory.get(url, HTTP_COOKIE=cookie).environ
            statuses.clear()
            if args.pause:
                time.sleep(args.pause)
            t0, w0 = time.thread_time(), time.perf_counter()
            b"".join(wsgi(environ, lambda status, headers, exc_info=None: statuses.append(status)))
            if i >= 5:
                spent.append(time.thread_time() - t0)
                waited.append(time.perf_counter() - w0)
            if not statuses[0].startswith("200"):
                raise RuntimeError(f"{url}: {statuses[0]}")
        return statistics.median(spent) * 1000, statistics.median(waited) * 1000

    rounds: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in cases}
    for _ in range(args.rounds):
        for name, wsgi, url in cases:
            rounds[name].append(timed(wsgi, url))
    for name, _, url in cases:
        cpu, wall = ([r[k] for r in rounds[name]] for k in (0, 1))
        runs = " / ".join(f"{x:.2f}" for x in cpu)
        # the wall clock adds what the database server spends (PostgreSQL: another process) and the waits for it
        print(f"{name:<42} {url:<22} CPU {statistics.median(cpu):6.2f} ms  (rounds {runs})  "
              f"wall {statistics.median(wall):6.2f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
