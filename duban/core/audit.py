"""The audit trail: stable event numbers and the one function that appends a row.

Numbers are banded per entity (1xx users, 2xx units, 3xx meetings, 4xx tasks, 5xx progress reports, 6xx data
operations, 7xx notifications); a number is never renumbered or reused. ``docs/audit-events.md`` explains each, and a
test fails when one is undocumented or emitted by no action test.
"""

from __future__ import annotations

import enum

from django.contrib.auth import get_user_model
from django.db import transaction
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

    REPORT_SUBMITTED = 501
    REPORT_ACCEPTED = 502
    REPORT_RETURNED = 503


SYSTEM_USERNAME = "duban-system"


def system_actor():
    """The named actor of scheduled work and of set-up; it cannot log in. The audit trail has no anonymous rows."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=SYSTEM_USERNAME, defaults={"is_active": False,
                                                                             "first_name": "系统"})
    return user


def audit_log(*, actor, event_type: EventType, unit=None, target_user=None, target_unit=None, meeting=None,
              task=None, report=None, extra: dict | None = None, ip_address: str | None = None,
              created_at=None) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction (every action has one), so the row
    exists exactly when the change does."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_log must run inside an action's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    if unit is None and actor is not None and hasattr(actor, "profile"):
        unit = actor.profile.unit
    event = AuditEvent.objects.create(
        event_type=int(event_type), created_at=created_at or timezone.now(), actor=actor, unit=unit,
        target_user=target_user, target_unit=target_unit, meeting=meeting, task=task, report=report,
        extra=extra or {}, ip_address=ip_address, prev_hash=head.last_hash,
    )
    event.chain_hash = event.content_digest(head.last_hash)
    AuditEvent.objects.filter(pk=event.pk).update(chain_hash=event.chain_hash)
    head.last_event_id = event.pk
    head.last_hash = event.chain_hash
    head.save(update_fields=["last_event_id", "last_hash"])
    return event


def audit_verify() -> list[int]:
    """Ids of events whose stored hash does not match their content and predecessor (empty when intact)."""
    broken: list[int] = []
    prev = ""
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev or event.content_digest(prev) != event.chain_hash:
            broken.append(event.pk)
        prev = event.chain_hash
    return broken
