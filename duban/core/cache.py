"""Cached figures (dashboards, list counts) that are never stale.

Every change duban makes goes through an action that writes an audit event, and the audit chain's head row
(``AuditChainHead``: the last event's id and chain hash) moves with every event, under a row lock, in the writer's
transaction. So a key made of

    (what is computed, the viewer's visible scope, the filters, today's date, the chain head's id and hash)

names one exact state of the data: a later change moves the head and misses the old entry; a restore of an older
backup brings back an older head, and with it data that matches the entries cached under that head. Reading the
head is one query by primary key. The date is in the key because lights and "overdue" depend on it. The scope is
the viewer's role class and unit (the office sees everything; a unit member sees their unit's subtree), so figures
never leak between scopes; two users of one unit share an entry, because they see the same tasks.

Data changed WITHOUT an audit event is not seen until the entry expires (``DUBAN_STATS_CACHE_SECONDS``, default
300 s): that is only ``duban seed-bench``'s bulk load and migrations, which run with the server stopped (a fresh
process has an empty per-process cache), and direct SQL behind the application's back. Setting
``DUBAN_STATS_CACHE_SECONDS=0`` turns the cache off. Django's default cache (no ``CACHES`` setting: a per-process
LocMemCache) is enough: the key is right in every process, so processes only differ in how warm they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router

from duban.core import permissions as perms
from duban.core.models import AuditChainHead

T = TypeVar("T")
VERSION = 3  # bump when what is cached changes shape


def timeout_seconds() -> int:
    return int(getattr(settings, "DUBAN_STATS_CACHE_SECONDS", 300))


def scope_of(viewer) -> str:
    """What the viewer may see, as a key part: the office (everything), a unit subtree, or nothing."""
    if perms.is_office(viewer):
        return "office"
    if perms.is_unit_member(viewer):
        unit = perms.unit_of(viewer)
        return f"unit:{unit.pk}:{unit.path}"
    return "none"


def chain_head() -> tuple[int, str]:
    """The last audit event's id and hash. Read on every request of a page that keeps figures (the task list, the
    工作台, the navigation's count after every page), so as plain SQL through the connection's cursor: the ORM's
    building and compiling of the same one-row read cost four times the statement (0.3 against 0.07 ms of CPU).
    An integer and a text column: nothing for the ORM to convert."""
    meta = AuditChainHead._meta
    sql = (f"SELECT {meta.get_field('last_event_id').column}, {meta.get_field('last_hash').column} "
           f"FROM {meta.db_table} WHERE {meta.pk.column} = %s")
    with connections[router.db_for_read(AuditChainHead)].cursor() as cursor:
        cursor.execute(sql, [1])
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, "")


def cache_key(name: str, viewer, parts: tuple, today: dt.date, head: tuple[int, str] | None = None) -> str:
    event_id, event_hash = chain_head() if head is None else head
    raw = repr((VERSION, name, scope_of(viewer), parts, today.isoformat(), event_id, event_hash,
                settings.DUBAN_REMIND_DAYS, settings.DUBAN_PROGRESS_TOLERANCE, settings.TIME_ZONE))
    return "duban:stats:" + hashlib.sha256(raw.encode()).hexdigest()


def cached(name: str, viewer, parts: tuple, today: dt.date, compute: Callable[[], T], *,
           head: tuple[int, str] | None = None) -> T:
    """``compute()``, or its result for the same key computed earlier (see the module docstring). ``head``: the
    ``chain_head()`` read earlier in the same request, for a view that keeps several figures and makes no change
    between reading the head and the last of them (a page that only reads): one query for all of them. Read
    again after any change, or leave it out (each call reads the head)."""
    seconds = timeout_seconds()
    if seconds <= 0:
        return compute()
    key = cache_key(name, viewer, parts, today, head)
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value
