"""Who may take which follow-up step, built on the helpers of ``duban.core.permissions`` and the task rules of
``duban.tasks.permissions``."""

from __future__ import annotations

from duban.core import permissions as perms
from duban.core.audit import SYSTEM_USERNAME
from duban.core.models import Role
from duban.tasks import permissions as task_perms


def can_request_extension(user, task) -> bool:
    """申请延期 is the lead unit's, like 申请办结."""
    return task_perms.is_lead_member(user, task)


def can_decide_extension(user, request) -> bool:
    """The office that supervises the task (a sub-task's: the unit that issued it) decides."""
    return task_perms.supervises_task(user, request.task)


def can_urge_task(user, task) -> bool:
    """催办 by hand is the supervising office's; units are reminded, they do not remind."""
    return task_perms.supervises_task(user, task)


def can_issue_notice(user, task) -> bool:
    """A 督办通知单 on demand is the supervising office's."""
    return task_perms.supervises_task(user, task)


def can_manage_deliveries(user) -> bool:
    """The delivery log shows every recipient's address, so only the sysadmin sees it."""
    return perms.role_of(user) == Role.SYSADMIN


def can_record_delivery(user) -> bool:
    """Delivery outcomes are recorded by the follow-up worker, which acts as the system actor."""
    return getattr(user, "username", None) == SYSTEM_USERNAME


def can_comment_on_task(user, task) -> bool:
    """批示 is a leader's, on any task the leader may see (leaders see every task)."""
    return perms.role_of(user) == Role.LEADER


def can_watch_task(user, task) -> bool:
    """重点关注 is a leader's watch list."""
    return perms.role_of(user) == Role.LEADER


def can_decide_deadline_change(user, task) -> bool:
    """A deadline set in a 批示 takes effect only when confirmed (or declined) by the level that supervises the
    task: for a sub-task a unit issued, that unit's own supervision office (本级督查室, ``supervises_task``); the
    supervision office may for every task, as before there were levels."""
    if perms.is_supervisor(user):
        return True
    return task_perms.supervises_task(user, task)


def can_edit_contact(user, person) -> bool:
    """A person binds their own mobile and 企业微信/钉钉 ids; so may whoever manages their account (the sysadmin for
    anyone, a unit admin for the people of their unit subtree), who sets up the accounts in the first place."""
    if perms.role_of(user) is None:
        return False
    if user.pk == person.pk:
        return True
    return perms.can_manage_people(user) and perms.people_manageable_by(user).filter(pk=person.pk).exists()


def can_see_undelivered(user) -> bool:
    """Steps that reached nobody are the supervision office's to chase (they name units and tasks of all)."""
    return perms.is_supervisor(user)
