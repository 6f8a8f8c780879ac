"""Serving duban with gunicorn (the production WSGI server), with the follow-up scheduler beside it."""

from __future__ import annotations


def run_server(*, host: str, port: int, workers: int = 2, scheduler: bool = True) -> int:
    from django.urls import get_resolver
    from gunicorn.app.base import BaseApplication

    from duban.wsgi import application

    # Import every module a request or the scheduler uses before the scheduler thread starts: gunicorn forks its
    # workers from this process, and a fork taken while that thread is half-way through an import leaves the
    # module half-initialized in every worker (ImportError on the first request).
    get_resolver().url_patterns  # noqa: B018 (the URLconf imports every app's views and API)
    if scheduler:
        from duban.followup.scheduler import import_pass_modules, start_background_scheduler

        import_pass_modules()
        start_background_scheduler()

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", None)
            self.cfg.set("timeout", 120)

        def load(self):
            return application

    _App().run()
    return 0
