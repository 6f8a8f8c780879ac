"""The audit trail: stable event numbers and the one function that appends a row.

Numbers are banded per entity (1xx users, 2xx units, 3xx meetings, 4xx tasks, 5xx progress reports, 6xx data
operations, 7xx notifications); a number is never renumbered or reused. ``docs/audit-events.md`` explains each, and a
test fails when one is undocumented or emitted by no action test.
"""

from __future__ import annotations

import datetime as dt
import enum
import json

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from duban.core.models import AuditChainHead, AuditEvent


class EventType(enum.IntEnum):
    USER_LOGGED_IN = 101
    USER_LOGIN_FAILED = 102
    USER_LOGGED_OUT = 103
    USER_PASSWORD_CHANGED = 104
    USER_CREATED = 105
    API_TOKEN_CREATED = 106

    UNIT_CREATED = 201

    MEETING_IMPORTED = 301
    MEETING_CONFIRMED = 302

    TASK_CREATED = 401
    TASK_UPDATED = 402
    TASK_MERGED = 403
    TASK_SPLIT = 404
    TASK_WITHDRAWN = 405
    TASK_ASSIGNED = 406
    TASK_ACCEPTED = 407
    TASK_DECLINED = 408
    TASK_CLOSE_REQUESTED = 409
    TASK_CLOSED = 410
    TASK_CLOSE_RETURNED = 411

    # 420-449 follow-up (duban.followup): reminders, escalation, extensions, completion evidence
    TASK_REMINDED = 420
    TASK_WARNED = 421
    TASK_ESCALATED = 422
    TASK_EXTENSION_REQUESTED = 423
    TASK_EXTENSION_APPROVED = 424
    TASK_EXTENSION_REJECTED = 425
    TASK_CLOSE_EVIDENCE_ADDED = 426
    DELIVERY_RETRIED = 430

    # 450-469 evaluation (duban.reports)
    TASK_SCORED = 451

    REPORT_SUBMITTED = 501
    REPORT_ACCEPTED = 502
    REPORT_RETURNED = 503

    # 600-609 backup and restore (duban.ops)
    DATA_BACKED_UP = 600
    DATA_RESTORED = 601

    # 610-619 ledger, briefing and calendar-feed data operations (duban.reports)
    LEDGER_IMPORTED = 610
    LEDGER_EXPORTED = 611
    BRIEFING_EXPORTED = 612
    CALENDAR_TOKEN_ROTATED = 613

    # 8xx other sources (duban.sources): instructions, inspection cases, livelihood projects, hazards, attachments
    INSTRUCTION_CREATED = 801
    INSTRUCTION_TASK_ADDED = 802
    CASE_CREATED = 811
    CASE_RECTIFICATION_RECORDED = 812
    LIVELIHOOD_CREATED = 821
    LIVELIHOOD_ACTUAL_RECORDED = 822
    HAZARD_FOUND = 831
    HAZARD_RECTIFIED = 832
    HAZARD_REVIEWED = 833
    HAZARD_REVIEW_FAILED = 834
    HAZARD_CLOSED = 835
    ATTACHMENT_UPLOADED = 841


SYSTEM_USERNAME = "duban-system"


def system_actor():
    """The named actor of scheduled work and of set-up; it cannot log in. The audit trail has no anonymous rows."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=SYSTEM_USERNAME, defaults={"is_active": False,
                                                                             "first_name": "系统"})
    return user


def _event_row(*, actor, event_type: EventType, unit=None, target_user=None, target_unit=None, meeting=None,
               task=None, report=None, extra: dict | None = None, ip_address: str | None = None,
               created_at=None) -> AuditEvent:
    """An unsaved event with its values as the database will give them back, or verify would flag the row:
    UTC time, a normalized IP address, and JSON as JSON stores it (tuples become lists, keys strings)."""
    if unit is None and actor is not None and hasattr(actor, "profile"):
        unit = actor.profile.unit
    created_at = (created_at or timezone.now()).astimezone(dt.timezone.utc)
    ip_address = AuditEvent._meta.get_field("ip_address").get_prep_value(ip_address or None)
    extra = json.loads(json.dumps(extra or {}, ensure_ascii=False))
    return AuditEvent(event_type=int(event_type), created_at=created_at, actor=actor, unit=unit,
                      target_user=target_user, target_unit=target_unit, meeting=meeting, task=task, report=report,
                      extra=extra, ip_address=ip_address)


def _locked_head() -> AuditChainHead:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events must be written inside an action's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    return head


def audit_log(*, actor, event_type: EventType, unit=None, target_user=None, target_unit=None, meeting=None,
              task=None, report=None, extra: dict | None = None, ip_address: str | None = None,
              created_at=None) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction (every action has one), so the row
    exists exactly when the change does."""
    head = _locked_head()
    event = _event_row(actor=actor, event_type=event_type, unit=unit, target_user=target_user,
                       target_unit=target_unit, meeting=meeting, task=task, report=report, extra=extra,
                       ip_address=ip_address, created_at=created_at)
    event.prev_hash = head.last_hash
    event.save(force_insert=True)
    event.chain_hash = event.content_digest(head.last_hash)
    AuditEvent.objects.filter(pk=event.pk).update(chain_hash=event.chain_hash)
    head.last_event_id = event.pk
    head.last_hash = event.chain_hash
    head.save(update_fields=["last_event_id", "last_hash"])
    return event


def _reserve_event_ids(count: int) -> list[int]:
    """Ids for ``count`` new events, taken while the chain head is locked so they follow every earlier event. The
    hash covers the id, so knowing ids before the insert saves rewriting every row after it."""
    table = AuditEvent._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [table, count])
            return [row[0] for row in cursor.fetchall()]
        # SQLite: AUTOINCREMENT keeps its high-water mark in sqlite_sequence; explicit ids above it advance it.
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + count))


def audit_log_many(events: list[dict], *, batch_size: int = 1000) -> list[AuditEvent]:
    """Append many events (each a dict of ``audit_log``'s arguments) with one lock of the chain head and one bulk
    insert: for imports of thousands of rows, where one ``audit_log`` per row costs four queries each."""
    if not events:
        return []
    head = _locked_head()
    rows = [_event_row(**fields) for fields in events]
    prev = head.last_hash
    for row, pk in zip(rows, _reserve_event_ids(len(rows))):
        row.pk = pk
        row.prev_hash = prev
        row.chain_hash = row.content_digest(prev)
        prev = row.chain_hash
    AuditEvent.objects.bulk_create(rows, batch_size=batch_size)
    head.last_event_id = rows[-1].pk
    head.last_hash = prev
    head.save(update_fields=["last_event_id", "last_hash"])
    return rows


def audit_verify() -> list[int]:
    """Ids of events whose stored hash does not match their content and predecessor (empty when intact). The
    chain head must point at the last row, so deleting the newest rows is caught too (their ids are reported)."""
    broken: list[int] = []
    prev = ""
    last_id = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev or event.content_digest(prev) != event.chain_hash:
            broken.append(event.pk)
        prev = event.chain_hash
        last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_event_id, head.last_hash) != (last_id, prev):
        broken.append(head.last_event_id)
    return broken
