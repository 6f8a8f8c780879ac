"""Reads of units, areas, notifications."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from duban.core import permissions as perms
from duban.core.errors import InvalidInput, NotFound, PermissionDenied
from duban.core.models import UNIT_ROLES, ApiToken, Area, DocumentSettings, Notification, Role, Unit
from duban.core.rules import check_mobile


def unit_list(*, viewer, active_only: bool = True, groups: bool = False) -> QuerySet[Unit]:
    """The units a viewer picks from (牵头单位, 配合单位, the lists' unit filters): active ones, without the nodes
    that only group units (仅用于分组) unless ``groups``."""
    qs = perms.units_visible_to(viewer).select_related("parent")
    if not groups:
        qs = qs.filter(is_group=False)
    return qs.filter(is_active=True) if active_only else qs


def unit_filter_list(*, viewer) -> QuerySet[Unit]:
    """The units a list's 单位 filter offers (the task list, the reports): every active unit to the office and the
    leaders; to a unit's people (a district's 督查室 too) their unit and those under it, which lead their tasks (the
    city's other units are only ever partners on a few of them, and always count 0 in their reports)."""
    units = unit_list(viewer=viewer).select_related(None)
    if not perms.is_office(viewer):
        units = units.filter(pk__in=perms.units_in_scope(viewer).values("pk"))  # within the same statement
    return units


def in_tree_order(rows) -> list[tuple[int, str]]:
    """Units ``(id, name, path, sort_order)`` as ``(id, name)`` in tree order: each unit followed by those under
    it, units at one level in the office's order (``sort_order``, then id). A unit above those given (their common
    ancestors) orders by its id."""
    rows = list(rows)
    place = {pk: (order, pk) for pk, _name, _path, order in rows}

    def key(row) -> list[tuple[int, int]]:
        return [place.get(int(p), (0, int(p))) for p in row[2].strip("/").split("/") if p]
    return [(pk, name) for pk, name, *_ in sorted(rows, key=key)]


def unit_get(*, viewer, unit_id: int) -> Unit:
    unit = perms.units_visible_to(viewer).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def area_list(*, viewer) -> QuerySet[Area]:
    return Area.objects.filter(is_active=True) if perms.role_of(viewer) else Area.objects.none()


def area_admin_list(*, viewer) -> QuerySet[Area]:
    """Every work area, retired ones too, with how many tasks have it (``task_count``): the sysadmin's list."""
    if not perms.can_manage_units(viewer):
        return Area.objects.none()
    return Area.objects.annotate(task_count=Count("tasks")).order_by("-is_active", "sort_order", "id")


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


def person_deactivation(*, viewer, user):
    """For a deactivated ``user`` (one ``viewer`` manages, from ``person_get``): the audit event that deactivated
    them (``actor`` with profile, ``created_at``, ``extra["reason"]``), or None while the account is active."""
    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    if user.is_active:
        return None
    return (AuditEvent.objects.filter(target_user_id=user.pk, event_type=EventType.USER_DEACTIVATED)
            .select_related("actor", "actor__profile").order_by("-id").first())


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


def unit_may_have_been_renamed(unit: Unit) -> bool:
    """False for a unit never renamed: a rename keeps the old name among the aliases (``unit_rename``) and nothing
    removes one, so a unit without aliases needs no look-up of its renames. (Aliases not read: True.)"""
    return "aliases" in unit.get_deferred_fields() or bool(unit.aliases)


def unit_renames_after(*, unit_id: int, when) -> QuerySet:
    """The renames (UNIT_RENAMED) of a unit after ``when``, oldest first, each with the name it had before
    (``old_name``): the first one's is the unit's name at ``when``."""
    from django.db.models.fields.json import KeyTextTransform, KeyTransform

    from duban.core.audit import EventType
    from duban.core.models import AuditEvent

    return (AuditEvent.objects.filter(event_type=EventType.UNIT_RENAMED, target_unit_id=unit_id, created_at__gt=when)
            .annotate(old_name=KeyTextTransform("name", KeyTransform("old", "extra"))).order_by("id"))


def name_then(later_old_names, current: str) -> str:
    """The rule of a unit's name at a moment: the old name of the first rename after it (``later_old_names`` in
    ``unit_renames_after``'s order: rows of it, or names already read with a page), else the current name."""
    return next(iter(later_old_names), None) or current


def unit_name_at(*, unit: Unit, when) -> str:
    """The name ``unit`` had at ``when``: its current name unless a later rename (UNIT_RENAMED) says otherwise."""
    if not unit_may_have_been_renamed(unit):
        return unit.name
    return name_then(unit_renames_after(unit_id=unit.pk, when=when).values_list("old_name", flat=True)[:1], unit.name)


# --- bulk import of people and units (the preview; duban.core.actions applies it) ----------------------------

@dataclass
class PlanRow:
    number: int
    key: str  # the account (people) or the unit name (units)
    action: str  # "create", "update", "same" or "error"
    changes: dict = field(default_factory=dict)  # field -> [old, new]
    error: str = ""
    values: dict = field(default_factory=dict)  # resolved values for the action: role, unit_id, parent_id ...


ROLE_NAMES = {**{str(label): value for value, label in Role.choices}, **{value: value for value in Role.values},
              "领导": Role.LEADER, "督查室工作人员": Role.SUPERVISOR, "经办人": Role.UNIT_STAFF}


def _unit_names() -> dict[str, Unit]:
    """Active units by name and by unambiguous alias."""
    units = list(Unit.objects.filter(is_active=True))
    by_alias: dict[str, list[Unit]] = {}
    for unit in units:
        for alias in unit.aliases:
            by_alias.setdefault(alias, []).append(unit)
    return {**{a: us[0] for a, us in by_alias.items() if len(us) == 1}, **{u.name: u for u in units}}


def _refusal(rule, *args) -> str | None:
    """What ``rule`` says against ``args`` (its Chinese), or None when it accepts them."""
    try:
        rule(*args)
    except InvalidInput as exc:
        return exc.message_zh
    return None


def people_import_plan(*, viewer, rows: list[tuple[int, dict]]) -> list[PlanRow]:
    """What importing ``rows`` (姓名, 账号, 单位, 角色, 手机) would do, row by row, for ``viewer``: create, update
    (with old and new values), leave as is, or an error saying why. A unit admin may only touch people and units
    of their own subtree, and give only unit roles."""
    from django.contrib.auth import get_user_model

    if not perms.can_manage_people(viewer):
        raise PermissionDenied()
    units = _unit_names()
    usernames = [r["账号"] for _, r in rows if r["账号"]]
    existing = {u.username: u for u in get_user_model().objects.filter(username__in=usernames)
                .select_related("profile", "profile__unit")}
    manageable = set(perms.people_manageable_by(viewer).filter(username__in=usernames)
                     .values_list("username", flat=True))
    seen: set[str] = set()
    plan = []
    for number, r in rows:
        username, name, phone = r["账号"], r["姓名"], r["手机"]
        role = ROLE_NAMES.get(r["角色"])
        unit = units.get(r["单位"]) if r["单位"] else None

        def error(zh: str, number=number, username=username) -> PlanRow:
            return PlanRow(number, username, "error", error=zh)

        if not username:
            plan.append(error("缺少账号"))
        elif username in seen:
            plan.append(error("账号在表中重复"))
        elif role is None:
            plan.append(error(f"未知角色“{r['角色']}”"))
        elif r["单位"] and unit is None:
            plan.append(error(f"找不到单位“{r['单位']}”（或已停用）"))
        elif role in UNIT_ROLES and unit is None:
            plan.append(error("单位用户必须填写单位"))
        elif not perms.can_give_role(viewer, role, unit):
            plan.append(error("无权授予该角色，或单位不在您的管理范围"))
        elif username in existing and username not in manageable:
            plan.append(error("账号已存在，且不在您的管理范围"))
        elif phone_error := _refusal(check_mobile, phone):
            plan.append(error(phone_error))
        else:
            phone = check_mobile(phone)
            values = {"role": role, "unit_id": unit.pk if unit else None, "display_name": name, "phone": phone}
            user = existing.get(username)
            if user is None:
                plan.append(PlanRow(number, username, "create", values=values))
            else:
                p = user.profile
                old = {"display_name": p.display_name, "phone": p.phone, "role": p.role, "unit_id": p.unit_id}
                changes = {k: [old[k], v] for k, v in values.items() if old[k] != v}
                if "unit_id" in changes:
                    changes["unit"] = [p.unit.name if p.unit else "", unit.name if unit else ""]
                plan.append(PlanRow(number, username, "update" if changes else "same", changes, values=values))
        seen.add(username)
    return plan


def units_import_plan(*, viewer, rows: list[tuple[int, dict]]) -> list[PlanRow]:
    """What importing ``rows`` (名称, 上级单位, 简称) would do: create a unit (its parent an existing unit or one
    created by an earlier row), change a short name, leave as is, or an error."""
    if not perms.can_manage_units(viewer):
        raise PermissionDenied()
    units = _unit_names()
    created: set[str] = set()
    plan = []
    for number, r in rows:
        name, parent_name, short = r["名称"], r["上级单位"], r["简称"]
        parent = units.get(parent_name) if parent_name else None
        if not name:
            plan.append(PlanRow(number, name, "error", error="缺少名称"))
        elif name in created:
            plan.append(PlanRow(number, name, "error", error="名称在表中重复"))
        elif parent_name and parent is None and parent_name not in created:
            plan.append(PlanRow(number, name, "error", error=f"找不到上级单位“{parent_name}”（须已存在或在上方行中）"))
        elif name in units:
            unit = units[name]
            if unit.name != name:
                plan.append(PlanRow(number, name, "error", error=f"“{name}”是“{unit.name}”的别名"))
            elif parent_name and unit.parent_id != (parent.pk if parent else None):
                plan.append(PlanRow(number, name, "error", error="单位已存在，上级单位不同（调整隶属请逐个处理）"))
            elif short and short != unit.short_name:
                plan.append(PlanRow(number, name, "update", {"short_name": [unit.short_name, short]},
                                    values={"unit_id": unit.pk, "version": unit.version, "short_name": short}))
            else:
                plan.append(PlanRow(number, name, "same"))
        else:
            created.add(name)
            plan.append(PlanRow(number, name, "create", values={"parent": parent_name, "short_name": short}))
    return plan


# --- how the documents name the office ------------------------------------------------------------------------

def letterhead():
    """The issuing office as every document names it (the briefing, the 督查通报, the 督办通知单 and 催办单:
    ``Letterhead``): the latest
    ``DocumentSettings`` the system administrator saved, else the DUBAN_DOC_* settings."""
    from duban.core.gongwen import Letterhead

    row = DocumentSettings.objects.order_by("-id").first()
    if row is None:
        return Letterhead.from_settings()
    return Letterhead(row.issuer, row.number_code, row.red_header, row.cc, row.printed_by or row.issuer,
                      row.addressee)


def document_settings_versions(*, viewer) -> list:
    """The saved versions of the document settings, newest first, with who saved them (the sysadmin's page)."""

    if not perms.can_set_document_settings(viewer):
        return []
    return list(DocumentSettings.objects.select_related("created_by__profile").order_by("-id")[:50])
