"""The notification list reads as days of work: grouped by day, newest first, with a count per day."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from duban.conftest import login


@pytest.mark.django_db
def test_notifications_are_grouped_by_day(client, org):
    from django.utils import timezone

    from duban.core.models import Notification

    org.task_in("assigned")
    org.task_in("assigned", title="另一项")
    old = Notification.objects.filter(recipient=org.lead_staff).order_by("id").first()
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    login(client, org.lead_staff)
    page = client.get("/notifications/").content.decode()
    days = re.findall(r'class="h6 text-muted mt-3 notification-day">([^<]+)<span[^>]*>(\d+)<', page)
    today = timezone.localdate()
    earlier = today - dt.timedelta(days=3)
    assert days == [(f"{today.year}年{today.month}月{today.day}日", "1"),
                    (f"{earlier.year}年{earlier.month}月{earlier.day}日", "1")]
