"""Who may use reporting's office-only doors; built on duban.core.permissions, one condition per line."""

from __future__ import annotations

from duban.core import permissions as perms


def can_export_briefing(user, subtree_unit_ids: tuple[int, ...] = ()) -> bool:
    """A briefing speaks for the whole meeting, so only the office (which sees every task) writes one; a unit's
    view would silently leave out other units' items. Taken for a subtree of units (``subtree_unit_ids``), a
    unit's own supervision office (本级督查室) may write it too when the subtree lies within its unit's, where it
    sees every task led."""
    if perms.is_office(user):
        return True
    if not subtree_unit_ids or not perms.is_unit_supervisor(user):
        return False
    return set(subtree_unit_ids) <= set(perms.units_in_scope(user).values_list("id", flat=True))


def can_import_ledger(user) -> bool:
    return perms.is_supervisor(user)


def can_set_score_rules(user) -> bool:
    """The evaluation rules are the office's (督查室 and the sysadmin); leaders read them."""
    return perms.is_supervisor(user)


def can_adjust_score(user) -> bool:
    return perms.is_supervisor(user)
