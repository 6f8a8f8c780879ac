"""Serving duban with gunicorn (the production WSGI server), with the follow-up scheduler beside it."""

from __future__ import annotations


def run_server(*, host: str, port: int, workers: int = 2, scheduler: bool = True) -> int:
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connections
    from django.urls import get_resolver
    from gunicorn.app.base import BaseApplication

    from duban.wsgi import application

    get_resolver().url_patterns  # noqa: B018 (the URLconf imports every app's views and API once, before forking)
    # gunicorn forks its workers from this process, so it must hold no database connection and run no thread that
    # may be inside a transaction when it forks: a worker forked while this process held SQLite's write lock
    # believes a sibling connection still holds it, and every write then waits out the busy timeout ("database is
    # locked" at sign-in). The follow-up loop therefore runs as ``duban worker`` in a process of its own.
    follow_up = None
    if scheduler and settings.DUBAN_SCHEDULER_INTERVAL > 0:  # 0 turns the loop off
        follow_up = subprocess.Popen([sys.executable, "-m", "duban.cli", "worker"])
    connections.close_all()
    _return_freed_blocks()

    class _App(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", None)
            self.cfg.set("timeout", 120)

        def load(self):
            return application

    from duban.core.running import instance_running

    try:
        with instance_running():  # gunicorn's workers inherit the lock file: a restore refuses while any lives
            _App().run()
    finally:
        if follow_up is not None:
            follow_up.terminate()
            try:
                follow_up.wait(timeout=10)
            except subprocess.TimeoutExpired:
                follow_up.kill()
    return 0


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)


def _return_freed_blocks(threshold: int = 1 << 20) -> bool:
    """Have glibc map every block of ``threshold`` bytes or more on its own and give it back when freed (its
    documented ``mallopt(M_MMAP_THRESHOLD)``; workers forked from here inherit it). Otherwise glibc raises that
    threshold after the first such block is freed and keeps the next ones in each thread's arena: every password
    hash (19 MiB of argon2 memory) then stayed in the worker for good, once per thread (4 × 19 MiB), whether or not
    anyone signed in again. Returns False where the C library has no ``mallopt`` (not glibc)."""
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, threshold))
    except (OSError, AttributeError):
        return False
