"""Reads of units, areas, notifications."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from duban.core import permissions as perms
from duban.core.errors import NotFound, PermissionDenied
from duban.core.models import ApiToken, Area, Notification, Unit


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


def api_token_list(*, viewer) -> QuerySet[ApiToken]:
    """The viewer's own API tokens (never anyone else's), newest first."""
    if not viewer.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user_id=viewer.pk).order_by("-id")


# --- administration -----------------------------------------------------------------------------------------

def _people(viewer):
    """``people_manageable_by`` with profile and unit, each row marked ``locked`` when django-axes has locked the
    login after too many failed sign-ins (one EXISTS per row in the same statement, no query per person)."""
    from axes.models import AccessAttempt
    from django.conf import settings

    if not perms.can_manage_people(viewer):
        raise PermissionDenied()
    attempts = AccessAttempt.objects.filter(username=OuterRef("username"),
                                            failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
    return (perms.people_manageable_by(viewer).select_related("profile", "profile__unit")
            .annotate(locked=Exists(attempts)))


def person_list(*, viewer, query: str = "", unit_id: int | None = None, include_inactive: bool = True):
    """The people ``viewer`` may manage, by unit then name; ``query`` matches account, name or phone."""
    qs = _people(viewer)
    if query:
        qs = qs.filter(Q(username__icontains=query) | Q(profile__display_name__icontains=query)
                       | Q(profile__phone__icontains=query))
    if unit_id:
        qs = qs.filter(profile__unit_id=unit_id)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs.order_by("profile__unit__path", "profile__display_name", "id")


def person_get(*, viewer, user_id: int):
    """One person ``viewer`` may manage; ``NotFound`` for missing and out of scope alike."""
    user = _people(viewer).filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def unit_tree(*, viewer, include_inactive: bool = False) -> list[tuple[Unit, int]]:
    """Units in tree order (each after its parent) with their depth, for the unit administration page."""
    if not perms.can_manage_units(viewer):
        return []
    qs = Unit.objects.all() if include_inactive else Unit.objects.filter(is_active=True)
    units = list(qs.order_by("path"))
    by_parent: dict[int | None, list[Unit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    known = {u.pk for u in units}
    out: list[tuple[Unit, int]] = []

    def walk(parent_id, depth):
        for unit in sorted(by_parent.get(parent_id, []), key=lambda u: (u.sort_order, u.pk)):
            out.append((unit, depth))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    for unit in units:  # a unit whose parent is hidden (inactive) still shows, at the top
        if unit.parent_id is not None and unit.parent_id not in known:
            out.append((unit, 0))
            walk(unit.pk, 1)
    return out


def unit_name_at(*, unit: Unit, when) -> str:
    """The name ``unit`` had at ``when``: its current name unless a later rename (UNIT_RENAMED) says otherwise."""
    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    first_later = (AuditEvent.objects.filter(event_type=EventType.UNIT_RENAMED, target_unit_id=unit.pk,
                                             created_at__gt=when).order_by("id").values_list("extra", flat=True)
                   .first())
    return first_later["old"]["name"] if first_later else unit.name
