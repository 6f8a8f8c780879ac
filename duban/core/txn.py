"""The outermost transaction of every action, retried whole when the database gives it up.

Lock order. Every write takes its locks in one order, so two writers never wait for each other in opposite orders:

1. the business row it changes (``task_lock_in_txn``: the task row; then a report, extension or case row of that
   task, read again under the lock and updated with a status guard); then, for a sub-task, the tasks above it
   from the nearest up, whose kept roll-up its change moves (``duban.tasks.actions.rollup_refresh_in_txn``);
2. the stamps of the counts kept per unit (``UnitTallyStamp``, whose versions the task table's triggers raise when
   the task row is updated; the triggers take the stamps in unit order);
3. the audit chain head (``audit_log``), always last: every action writes its audit events after its row updates.

PostgreSQL may still end a transaction with a deadlock (40P01) or a serialization failure (40001), for instance
when a lock is taken implicitly by a foreign key or an index. Such a transaction has changed nothing, so the whole
action is run again (a few times, with a short random pause); its on-commit work (notification delivery) ran for
none of the failed attempts. SQLite serializes writers with ``BEGIN IMMEDIATE`` and a busy timeout, so it never
answers with these errors.
"""

from __future__ import annotations

import functools
import random
import time

from django.db import OperationalError, transaction

# SQLSTATE codes of a transaction the server rolled back only because of a concurrent one.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
MAX_ATTEMPTS = 5


def is_retryable(exc: BaseException) -> bool:
    """True when ``exc`` (or the driver error it wraps) says the transaction lost a race and may simply run again."""
    while exc is not None:
        if getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES or getattr(exc, "pgcode", None) in RETRYABLE_SQLSTATES:
            return True
        exc = exc.__cause__
    return False


def durable_action(func):
    """``transaction.atomic(durable=True)`` around ``func``, run again (up to ``MAX_ATTEMPTS`` times) when the
    database rolled it back for a deadlock or a serialization failure. The durable outermost transaction is what
    makes the retry safe: nothing of the failed attempt was committed, and no caller's work is inside it."""
    atomic = transaction.atomic(durable=True)(func)

    @functools.wraps(func)
    def run(*args, **kwargs):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return atomic(*args, **kwargs)
            except OperationalError as exc:
                if attempt == MAX_ATTEMPTS or not is_retryable(exc):
                    raise
            time.sleep(random.uniform(0, 0.02 * 2 ** attempt))  # noqa: S311 - jitter, not a secret
        raise AssertionError("unreachable")

    return run
