"""The delivery queue: a ``Delivery`` row for each channel and target of a new notification.

Several workers may queue at once: a unique ``NotificationDispatch`` is inserted first, so a notification is queued
once. Actions queue their notifications' deliveries when their transaction commits; ``delivery`` sends them.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from duban.core.models import Notification
from duban.followup.channels import registered_channels
from duban.followup.models import Delivery, NotificationDispatch

# Notifications older than this when first seen (a fresh install, a long outage) stay in-app only: mailing a
# backlog of stale reminders helps nobody.
ENQUEUE_LOOKBACK = dt.timedelta(days=2)


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
