"""Who may take which follow-up step, built on the helpers of ``duban.core.permissions``."""

from __future__ import annotations

from duban.core import permissions as perms
from duban.core.models import Role


def can_request_extension(user, task) -> bool:
    """申请延期 is the lead unit's, like 申请办结."""
    return perms.is_lead_member(user, task)


def can_decide_extension(user, request) -> bool:
    return perms.is_supervisor(user)


def can_urge_task(user, task) -> bool:
    """催办 by hand is the office's; units are reminded, they do not remind."""
    return perms.is_supervisor(user)


def can_issue_notice(user, task) -> bool:
    """A 督办通知单 on demand is the office's."""
    return perms.is_supervisor(user)


def can_manage_deliveries(user) -> bool:
    """The delivery log shows every recipient's address, so only the sysadmin sees it."""
    return perms.role_of(user) == Role.SYSADMIN
