"""Serving duban with gunicorn (the production WSGI server), with the follow-up scheduler beside it."""

from __future__ import annotations


def run_server(*, host: str, port: int, workers: int = 2, scheduler: bool = True) -> int:
    from gunicorn.app.base import BaseApplication

    from duban.wsgi import application

    if scheduler:
        from duban.followup.scheduler import start_background_scheduler

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
