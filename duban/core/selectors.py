"""Reads of units, areas, notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from duban.core import permissions as perms
from duban.core.errors import NotFound
from duban.core.models import ApiToken, Area, Notification, Role, Unit


def unit_list(*, viewer, active_only: bool = True) -> QuerySet[Unit]:
    qs = perms.units_visible_to(viewer).select_related("parent")
    return qs.filter(is_active=True) if active_only else qs


def unit_get(*, viewer, unit_id: int) -> Unit:
    unit = perms.units_visible_to(viewer).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def area_list(*, viewer) -> QuerySet[Area]:
    return Area.objects.filter(is_active=True) if perms.role_of(viewer) else Area.objects.none()


def notification_list(*, viewer, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient_id=viewer.pk).select_related("task")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notification_unread_count(*, viewer) -> int:
    if not viewer.is_authenticated:
        return 0
    return Notification.objects.filter(recipient_id=viewer.pk, read_at__isnull=True).count()


def api_token_list(*, viewer, everyone: bool = False) -> QuerySet[ApiToken]:
    """The viewer's own API tokens, newest first; ``everyone``: a sysadmin sees every person's (to revoke)."""
    if not viewer.is_authenticated:
        return ApiToken.objects.none()
    if everyone and perms.role_of(viewer) == Role.SYSADMIN:
        return ApiToken.objects.select_related("user").order_by("-id")
    return ApiToken.objects.filter(user_id=viewer.pk).order_by("-id")


def login_failures_from(*, ip_address: str | None) -> int:
    """Failed sign-ins from one address within the lock's cool-off time, over every username (django-axes keeps
    one row per username and address)."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum
    from django.utils import timezone

    if not ip_address:
        return 0
    since = timezone.now() - timezone.timedelta(hours=settings.AXES_COOLOFF_TIME)
    total = AccessAttempt.objects.filter(ip_address=ip_address, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start"))["n"]
    return total or 0
