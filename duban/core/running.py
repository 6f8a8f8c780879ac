"""Which duban processes are running on this data dir: ``duban serve`` (with its gunicorn workers) and
``duban worker`` hold a shared lock on ``DATA_DIR/running.lock`` for as long as they run, and ``duban restore``
takes it exclusively, so a restore never replaces the database and files under a process that goes on writing
(its acknowledged writes would be lost between the safety copy and the replacement).

The lock is ``flock``: the kernel drops it when the process dies, kill -9 included, so a crash leaves no stale lock.
A gunicorn worker inherits its master's open lock file at fork; the lock is held while any of them lives. It covers
the processes of one host; with PostgreSQL and app servers on several hosts, ``duban restore`` also refuses while
another session is connected to the database (``duban.ops.backup``).
"""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from django.conf import settings

from duban.core.errors import Conflict

LOCK_NAME = "running.lock"
STOP_HINT_ZH = "请先停止本数据目录的 duban serve 和 duban worker（如 systemctl stop duban duban-worker），再恢复"
STOP_HINT_EN = ("stop duban serve and duban worker on this data dir first (e.g. systemctl stop duban "
                "duban-worker), then restore")


def _lock_path() -> Path:
    return Path(settings.DATA_DIR) / LOCK_NAME


@contextlib.contextmanager
def instance_running():
    """Mark this process (and the children it forks meanwhile) as serving the data dir for the duration. Waits
    while a restore holds the lock, so a server started during a restore comes up on the restored data."""
    with open(_lock_path(), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class InstanceRunning(Conflict):
    """A server or worker is running on the data dir."""


@contextlib.contextmanager
def no_instance_running():
    """Hold the data dir exclusively for the duration, or raise ``InstanceRunning`` at once (saying how to stop
    them) when a server or worker holds it."""
    with open(_lock_path(), "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InstanceRunning(f"服务或催办调度正在运行；{STOP_HINT_ZH}", f"a server or worker is running; "
                                  f"{STOP_HINT_EN}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
