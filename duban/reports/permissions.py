"""Who may use reporting's office-only doors; built on duban.core.permissions, one condition per line."""

from __future__ import annotations

from duban.core import permissions as perms


def can_export_briefing(user) -> bool:
    """A briefing speaks for the whole meeting, so only the office (which sees every task) writes one; a unit's
    view would silently leave out other units' items."""
    return perms.is_office(user)


def can_import_ledger(user) -> bool:
    return perms.is_supervisor(user)


def can_set_score_rules(user) -> bool:
    """The evaluation rules are the office's (督查室 and the sysadmin); leaders read them."""
    return perms.is_supervisor(user)


def can_adjust_score(user) -> bool:
    return perms.is_supervisor(user)
