"""Delivering notifications over channels: queue ``Delivery`` rows for new notifications, then send the due ones.

Both passes run in the scheduler thread or ``duban worker``, never in a user's request. Several workers may run
them at once: queueing inserts a unique ``NotificationDispatch`` first, and sending claims a row with one
conditional UPDATE (checked by its row count), which is atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from duban.core.models import Notification
from duban.followup.channels import ChannelError, get_channel, registered_channels
from duban.followup.channels_person import Deferred
from duban.followup.models import Delivery, DeliveryStatus, NotificationDispatch

# Notifications older than this when first seen (a fresh install, a long outage) stay in-app only: mailing a
# backlog of stale reminders helps nobody.
ENQUEUE_LOOKBACK = dt.timedelta(days=2)
CLAIM_LEASE = dt.timedelta(minutes=5)
RETRYABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:80]


def deliveries_enqueue(*, notification_ids: list[int] | None = None, now: dt.datetime | None = None,
                       limit: int = 500) -> int:
    """Queue deliveries for notifications not yet dispatched; returns the number of deliveries created."""
    now = now or timezone.now()
    dispatched = NotificationDispatch.objects.filter(notification_id=OuterRef("pk"))
    qs = Notification.objects.filter(~Exists(dispatched), created_at__gte=now - ENQUEUE_LOOKBACK)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    notifications = list(qs.select_related("recipient", "recipient__profile", "recipient__profile__unit", "task")
                         .order_by("id")[:limit])
    created = 0
    for notification in notifications:
        rows = [Delivery(notification=notification, channel=channel.name, target=target[:500],
                         group_key=channel.group_key(notification), next_attempt_at=now)
                for channel in registered_channels() for target in channel.targets(notification)]
        try:
            with transaction.atomic():
                NotificationDispatch.objects.create(notification=notification, delivery_count=len(rows))
                # A group message already queued for a sibling notification is the same message: skip it.
                Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        except IntegrityError:  # another worker dispatched it first
            continue
        created += len(rows)
    return created


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.DUBAN_DELIVERY_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0))


def delivery_claim(*, delivery_id: int, worker: str, now: dt.datetime) -> bool:
    """Claim one due delivery for ``worker``; False when another worker holds it or it is no longer due."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    return Delivery.objects.filter(free, pk=delivery_id, status__in=RETRYABLE, next_attempt_at__lte=now).update(
        claimed_by=worker, claimed_until=now + CLAIM_LEASE) == 1


def deliveries_send(*, now: dt.datetime | None = None, worker: str | None = None, limit: int = 100) -> dict:
    """Send the deliveries that are due; returns counts by outcome."""
    now = now or timezone.now()
    worker = worker or worker_name()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = list(Delivery.objects.filter(free, status__in=RETRYABLE, next_attempt_at__lte=now)
               .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
    counts = {"sent": 0, "failed": 0, "dead": 0}
    for delivery_id in due:
        if not delivery_claim(delivery_id=delivery_id, worker=worker, now=now):
            continue
        delivery = (Delivery.objects.select_related("notification", "notification__recipient",
                                                    "notification__task").get(pk=delivery_id))
        outcome = delivery_attempt(delivery=delivery, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def delivery_attempt(*, delivery: Delivery, now: dt.datetime) -> str:
    """Send one claimed delivery and record the outcome: sent, failed (retry later with backoff) or dead."""
    channel = get_channel(delivery.channel)
    attempts = delivery.attempts + 1
    try:
        if channel is None:
            raise ChannelError(f"unknown channel {delivery.channel}")
        delivery.attempt_at = now  # what "now" is for the channel (quiet hours)
        channel.send(delivery)
    except Deferred as exc:  # quiet hours: later, without counting an attempt
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=exc.until, claimed_until=None)
        return "deferred"
    except ChannelError as exc:
        dead = channel is None or attempts >= settings.DUBAN_DELIVERY_MAX_ATTEMPTS
        status = DeliveryStatus.DEAD if dead else DeliveryStatus.FAILED
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status, attempts=attempts, last_error=str(exc)[:2000], claimed_until=None,
            next_attempt_at=now + _backoff(attempts))
        return "dead" if dead else "failed"
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, attempts=attempts, last_error="",
                                                   claimed_until=None, sent_at=now)
    return "sent"
