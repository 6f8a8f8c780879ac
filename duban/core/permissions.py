"""Who may see and do what, at the bottom: the roles and units every rule builds on (``role_of``, ``unit_of``,
``is_office``, ``units_in_scope`` ...), the scoped queryset of units, and the rules of people, units and API
tokens. The rules of each app above (tasks, meetings, follow-up, reports, sources) live in that app's
``permissions.py``, built on these helpers, so this module imports no app above core.
"""

from __future__ import annotations

from django.db.models import QuerySet

from duban.core.models import OFFICE_ROLES, UNIT_ROLES, Role, Unit


def role_of(user) -> str | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else None


def unit_of(user) -> Unit | None:
    profile = getattr(user, "profile", None)
    return profile.unit if profile is not None else None


def is_office(user) -> bool:
    return role_of(user) in OFFICE_ROLES


def is_supervisor(user) -> bool:
    """The supervision office (督查室) and the sysadmin run the workflow; leaders only read."""
    return role_of(user) in (Role.SUPERVISOR, Role.SYSADMIN)


def is_unit_member(user) -> bool:
    return role_of(user) in UNIT_ROLES and unit_of(user) is not None


def is_unit_supervisor(user) -> bool:
    """A unit's own supervision office (本级督查室): a member of its unit that supervises what its unit issued."""
    return role_of(user) == Role.UNIT_SUPERVISOR and unit_of(user) is not None


def units_in_scope(user) -> QuerySet[Unit]:
    """The viewer's unit and every unit under it."""
    unit = unit_of(user)
    if unit is None:
        return Unit.objects.none()
    return Unit.objects.filter(path__startswith=unit.path)


def scope_unit_ids(user) -> list[int]:
    """Ids of ``units_in_scope(user)``; once per request for a user loaded by ``duban.core.backends`` (a fresh user
    object each request, carrying ``request_memo``), every time for any other user object."""
    memo = getattr(user, "request_memo", None)
    if memo is None:
        return list(units_in_scope(user).values_list("id", flat=True))
    if "scope_unit_ids" not in memo:
        memo["scope_unit_ids"] = list(units_in_scope(user).values_list("id", flat=True))
    return memo["scope_unit_ids"]


def in_unit_tree(user, unit_id: int | None) -> bool:
    """Whether the unit ``unit_id`` is the user's unit or one under it."""
    unit = unit_of(user)
    if unit is None or unit_id is None:
        return False
    if unit.pk == unit_id:
        return True
    if getattr(user, "request_memo", None) is not None:
        # a request's user: its scope's ids, read once a request, answer every such question of the page
        return unit_id in scope_unit_ids(user)
    return Unit.objects.filter(pk=unit_id, path__startswith=unit.path).exists()


# --- scoped querysets: the only starting points for reads ---------------------------------------------------

def units_visible_to(user) -> QuerySet[Unit]:
    """Unit names and contacts are not secret inside the government network; every signed-in user sees them."""
    if role_of(user) is None:
        return Unit.objects.none()
    return Unit.objects.all()


# --- predicates: one condition per line so coverage proves each branch ---------------------------------------

def can_create_api_token(user, *, via_token: bool) -> bool:
    """Signed in on the web with one's own password set: a token never mints another, and an account still on
    its initial password gets none."""
    profile = getattr(user, "profile", None)
    return role_of(user) is not None and not via_token and profile is not None and not profile.must_change_password


def can_revoke_api_token(user, token) -> bool:
    """The token's owner, or a sysadmin for anyone's (a lost laptop, a person who left)."""
    return token.user_id == user.pk or role_of(user) == Role.SYSADMIN


# --- administration: people and units ------------------------------------------------------------------------

def can_manage_people(user) -> bool:
    """The sysadmin manages everyone; a unit admin manages the people of their unit and the units under it."""
    return role_of(user) in (Role.SYSADMIN, Role.UNIT_ADMIN)


def people_manageable_by(user):
    """The logins ``user`` may list and change: everyone for the sysadmin (but the system actor), the unit staff
    and unit admins of the unit subtree for a unit admin, nobody else. Inactive people stay listed so they can be reactivated."""
    from django.contrib.auth import get_user_model

    from duban.core.audit import SYSTEM_USERNAME

    people = get_user_model().objects.filter(profile__isnull=False).exclude(username=SYSTEM_USERNAME)
    role = role_of(user)
    if role == Role.SYSADMIN:
        return people
    if role == Role.UNIT_ADMIN and unit_of(user) is not None:
        # Only unit roles: the office's own people (督查室 staff sit in a unit too) are never a unit admin's.
        return people.filter(profile__unit__path__startswith=unit_of(user).path,
                             profile__role__in=(Role.UNIT_ADMIN, Role.UNIT_STAFF))
    return people.none()


def can_give_role(user, role: str, unit: Unit | None) -> bool:
    """Which role in which unit ``user`` may give: the sysadmin any; a unit admin only a unit role in a unit of
    their subtree (never an office role, never a unit outside)."""
    if role_of(user) == Role.SYSADMIN:
        return True
    if role_of(user) != Role.UNIT_ADMIN:
        return False
    if role not in (Role.UNIT_ADMIN, Role.UNIT_STAFF):
        return False
    return unit is not None and in_unit_tree(user, unit.pk)


def can_manage_units(user) -> bool:
    """The unit tree is the sysadmin's."""
    return role_of(user) == Role.SYSADMIN


def can_set_document_settings(user) -> bool:
    """How the documents name the issuing office (发文机关, 代字, 红头, 主送, 抄送) is set once for the
    installation, like units and accounts: by the system administrator."""
    return role_of(user) == Role.SYSADMIN
