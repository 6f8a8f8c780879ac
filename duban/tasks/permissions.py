"""Who may see and do what with tasks and progress reports: the scoped querysets every read of them starts from
(``tasks_visible_to``, ``reports_visible_to``, ``tasks_supervised_by``) and the ``can_*`` predicates of the task
workflow, built on the role and unit helpers of ``duban.core.permissions``.

Scope of tasks: the supervision office, leaders and sysadmins see all of them; a unit's people see the tasks their
unit (or a unit under it) leads or cooperates on, and the sub-tasks their unit (or one under it) issued. Levels: a
unit's own supervision office (``Role.UNIT_SUPERVISOR``, a district's 督查室) is a unit role that also supervises
the sub-tasks its unit issued (``supervises_task``); the level above reads the subtree and supervises only its own.

The core helpers are imported here by name (``role_of``, ``units_in_scope`` and ``units_visible_to`` only to be
read through this module), so a module of this app or one above reads a rule and the helpers beside it through
one import (``perms.is_supervisor``, ``perms.tasks_visible_to``): still one implementation each, in core.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from duban.core.models import UNIT_ROLES, Role
from duban.core.permissions import (in_unit_tree, is_office, is_supervisor, is_unit_member, is_unit_supervisor,
                                    scope_unit_ids, unit_of)
from duban.core.permissions import role_of as role_of
from duban.core.permissions import units_in_scope as units_in_scope
from duban.core.permissions import units_visible_to as units_visible_to
from duban.tasks.models import ProgressReport, Task, TaskStatus


def supervises_task(user, task: Task) -> bool:
    """Who runs the supervision of a task (edits, reviews, signs off, reminds): the office for every task it
    issued (all but the sub-tasks a unit issued), a unit's own supervision office for the sub-tasks its unit
    issued. Each level supervises its own; the levels above read those sub-tasks only."""
    if task.issuing_unit_id is None:
        return is_supervisor(user)
    if not is_unit_supervisor(user):
        return False
    return task.issuing_unit_id == unit_of(user).pk


# --- scoped querysets: the only starting points for reads of tasks ----------------------------------------

def tasks_visible_to(user, *, in_list_order: bool = False) -> QuerySet[Task]:
    """The tasks ``user`` may see. Two spellings of the same set, for two kinds of read:

    - default, for counts, aggregates and lookups (which read every match anyway): the lead units' index and the
      cooperation table's index each give their ids (SQLite's MULTI-INDEX OR, PostgreSQL's bitmap/hashed subplan);
    - ``in_list_order=True``, for a page of a list sorted by ``LIST_ORDER``: the cooperation test is a correlated
      EXISTS, which no index can drive, so the database walks the list-order index and stops after a page instead
      of collecting and sorting every match (county user's list at 100k tasks on SQLite: keys 35 ms -> 1 ms).
      Counting with it would probe every task (~10x slower than the default), hence both.
    """
    if is_office(user):
        return Task.objects.all()
    if not is_unit_member(user):
        return Task.objects.none()
    # The unit subtree is resolved to ids once (a few hundred at most), so the task filter is an indexed
    # IN over lead_unit_id instead of a LIKE on every joined row: 4x faster dashboards at 100k tasks.
    unit_ids = scope_unit_ids(user)
    coop = Task.coop_units.through.objects.filter(unit_id__in=unit_ids)
    if in_list_order:
        # ``task_id`` between the task's id and itself, not ``=``: PostgreSQL turns an EXISTS correlated by equality
        # into a hash of every cooperation row of the scope, built before the first task is tested (a county at a
        # million tasks: 58,000 rows, 80 ms for a page); a range cannot be hashed, so each task walked is one probe
        # of the (task_id, unit_id) index (16 ms for the page). Same rows on every database.
        cooperates = Q(Exists(coop.filter(task_id__gte=OuterRef("pk"), task_id__lte=OuterRef("pk"))))
    else:
        cooperates = Q(pk__in=coop.values("task_id"))
    # Drafts belong to the office until they are assigned. The sub-tasks a unit of the subtree issued are its own
    # to supervise, whoever leads them.
    return (Task.objects.exclude(status=TaskStatus.DRAFT)
            .filter(Q(lead_unit_id__in=unit_ids) | cooperates | Q(issuing_unit_id__in=unit_ids)))


def can_read_ancestor_task(user, task: Task) -> bool:
    """A task above one the user may see (the task a sub-task was split from, up to the root) may be opened
    read-only, for its title, deadline, issuing unit, status and tree, though it is outside the user's scope: a
    district opens the city task its part came from when that task's lead is a pseudo unit like 各辖市区. Only
    ancestors: a sibling's part stays out of scope (404), and in the tree a row the user may not see shows no
    names. The one widening of task scope, used by the task page (``duban.tasks.selectors.task_page_get``) and
    by the writes, which answer such a reader 403 (may read, may not act) rather than 404."""
    if not task.tree_path or is_office(user) or not is_unit_member(user):
        return False
    return tasks_visible_to(user).filter(tree_path__startswith=task.tree_path).exclude(pk=task.pk).exists()


def tasks_supervised_by(user) -> QuerySet[Task]:
    """The tasks whose supervision ``user`` runs, ``supervises_task`` as a queryset (a 工作台's reviews and
    extension requests): the office's are those no unit issued, a unit's 督查室's those its unit issued."""
    return Task.objects.filter(supervised_by(user))


def supervised_by(user, via: str = "") -> Q:
    """``tasks_supervised_by`` as a condition on a task reached through ``via`` (``"task__"`` from its reports or
    extension requests): a join on the task, which lets SQLite read the waiting rows from their own index, where
    ``task__in=tasks_supervised_by(...)`` made it start from every task the office issued (a million tasks: the
    office's review queue 1.25 s)."""
    if is_supervisor(user):
        return Q(**{f"{via}issuing_unit__isnull": True})
    if is_unit_supervisor(user):
        return Q(**{f"{via}issuing_unit_id": unit_of(user).pk})
    return Q(pk__in=[])


def reports_visible_to(user) -> QuerySet[ProgressReport]:
    if is_office(user):
        return ProgressReport.objects.all()
    return ProgressReport.objects.filter(task__in=tasks_visible_to(user))


# --- predicates: one condition per line so coverage proves each branch ---------------------------------------

def can_edit_task(user, task: Task) -> bool:
    if not supervises_task(user, task):
        return False
    return task.status not in (TaskStatus.CLOSED, TaskStatus.WITHDRAWN)


def can_assign_task(user, task: Task) -> bool:
    return supervises_task(user, task)


def can_reassign_task(user, task: Task) -> bool:
    """改派 and 重新交办 after 交办 are the supervising office's."""
    return supervises_task(user, task)


def can_adjust_deadline(user, task: Task) -> bool:
    """调整时限 by the supervising office (a unit asks for 延期 instead)."""
    return supervises_task(user, task)


def handed_down_by(user, task: Task) -> bool:
    """Whether the task is a sub-task that the user's unit, or a unit under it, issued (分解下达): there the user's
    side is the issuer, which supervises the work (审核, 办结, 催办) and does not do it in the name of the unit it
    gave it to. The one exception to a unit acting for the units under it (``is_lead_member``,
    ``is_coop_member``)."""
    return in_unit_tree(user, task.issuing_unit_id)


def is_lead_member(user, task: Task) -> bool:
    """Acts for the lead unit (签收, 报送进展, 申请办结, 申请延期): its people, and those of a unit above it (a bureau
    for its 分局) on work that came from above, never on a sub-task their own side issued (``handed_down_by``:
    a district does not report in a township's name what it gave the township)."""
    if not is_unit_member(user) or not in_unit_tree(user, task.lead_unit_id):
        return False
    return unit_of(user).pk == task.lead_unit_id or not handed_down_by(user, task)


def is_coop_member(user, task: Task) -> bool:
    """Gives a cooperating unit's part (配合意见), as ``is_lead_member`` acts for the lead unit."""
    if not is_unit_member(user):
        return False
    if getattr(user, "request_memo", None) is not None:
        # a request's user: its scope's ids (read once a request) against the task's cooperating units (prefetched
        # by the task page), rather than a query each time a predicate asks
        scope = set(scope_unit_ids(user))
        cooperates = [unit.pk for unit in task.coop_units.all() if unit.pk in scope]
    else:
        cooperates = list(task.coop_units.filter(path__startswith=unit_of(user).path).values_list("pk", flat=True))
    if not cooperates:
        return False
    return unit_of(user).pk in cooperates or not handed_down_by(user, task)


def can_accept_task(user, task: Task) -> bool:
    """签收 is the lead unit's."""
    return is_lead_member(user, task)


# who hears about a unit's tasks (its notices): its staff and heads
NOTICE_ROLES = (Role.UNIT_ADMIN, Role.UNIT_STAFF)


def unit_people(unit, *, roles=NOTICE_ROLES) -> QuerySet:
    """The active people of ``unit`` (an id, None, or ``OuterRef`` to one) in ``roles``: by default those who
    receive its notices (``actions.unit_recipients``; the 工作台's 牵头单位无人接收通知 counts tasks whose lead unit
    has none); ``UNIT_ROLES``, everyone who may act for the unit's own tasks (``has_lead_signer``)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if unit is None:
        return User.objects.none()
    return User.objects.filter(is_active=True, profile__unit_id=unit, profile__role__in=list(roles))


def unit_members(unit_id):
    """The active people of a unit in a unit role (``is_unit_member``): each may act for the unit's own tasks."""
    return unit_people(unit_id, roles=UNIT_ROLES)


def has_lead_signer(task: Task) -> bool:
    """Whether someone active can sign for the task's lead unit (``is_lead_member``): its people, or those of a
    unit above it. Who may act depends on the unit one sits in, so one active person of each unit in the lead
    unit's chain is asked, the lead unit's own first; a task read with ``lead_unit_staffed`` (the task page's,
    ``selectors.task_get``) already says whether the lead unit has its own, and a unit with people costs nothing
    more."""
    if task.lead_unit_id is None:
        return False
    staffed = getattr(task, "lead_unit_staffed", None)
    if staffed:
        return True
    chain = [int(pk) for pk in reversed(task.lead_unit.path.strip("/").split("/")) if pk] or [task.lead_unit_id]
    if staffed is False:
        chain = [pk for pk in chain if pk != task.lead_unit_id]
    for unit_id in chain:
        person = unit_members(unit_id).select_related("profile__unit").first()
        if person is not None and is_lead_member(person, task):
            return True
    return False


def can_accept_for_unit(user, task: Task) -> bool:
    """代为签收: the office that supervises the task signs for a lead unit that has nobody who can sign for itself
    (no active account: ``has_lead_signer``), so that the work it reports by telephone can be taken down
    (``can_enter_report_for_unit``). Never while someone can sign: 签收 is the unit's own."""
    if not supervises_task(user, task):
        return False
    if task.lead_unit_id is None:
        return False
    return not has_lead_signer(task)


def can_report_on_task(user, task: Task) -> bool:
    """Lead and cooperating units both report progress (``is_lead_member``, ``is_coop_member``: not the unit that
    issued a sub-task, which reviews it); only the lead may ask to close."""
    return is_lead_member(user, task) or is_coop_member(user, task)


def can_request_close(user, task: Task) -> bool:
    return is_lead_member(user, task)


def can_enter_report_for_unit(user, task: Task) -> bool:
    """The supervision office records progress a lead unit gave it another way (a telephoned update, an edited
    ledger): 由督查室代录, shown as such. A unit's own supervision office reviews what the units it gave sub-tasks
    report and does not write it (``handed_down_by``), except for a unit with nobody who could, for which it also
    signs (``can_accept_for_unit``). Never a close request: 申请办结 is the unit's own."""
    if task.lead_unit_id is None:
        return False
    if is_supervisor(user):
        return True
    return can_accept_for_unit(user, task)


def wrote_report(user, report: ProgressReport) -> bool:
    """Whether ``user`` is the report's author: nobody reviews their own report (``can_review_report``)."""
    return report.author_id is not None and report.author_id == user.pk


def can_review_report(user, report: ProgressReport) -> bool:
    """采纳/退回 by the office that supervises the task, never by the report's own author. (The office's 代录 is
    recorded as accepted when entered, ``can_enter_report_for_unit``: it is the lead unit's report, taken down, and
    never waits for a review.)"""
    if wrote_report(user, report):
        return False
    return supervises_task(user, report.task)


def can_close_task(user, task: Task) -> bool:
    return supervises_task(user, task)


SPLITTABLE_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


def can_split_task(user, task: Task) -> bool:
    """分解下达: the office once the task is assigned (at 交办), or later the receiving (lead) unit's own
    supervision office, for its part (when: ``SPLITTABLE_STATUSES``, the action's status guard)."""
    if supervises_task(user, task):
        return True
    if not is_unit_supervisor(user):
        return False
    return task.lead_unit_id == unit_of(user).pk


def reviews_reports(user) -> bool:
    """Whether progress reports wait for ``user``'s review on some tasks (``supervised_by``): the office, and a
    unit's own supervision office on the sub-tasks its unit issued. The task list offers them 待审核进展."""
    return is_supervisor(user) or is_unit_supervisor(user)


def sees_drafts(user) -> bool:
    """Drafts belong to the office until they are assigned (``tasks_visible_to``): nobody else can list them."""
    return is_office(user)


def keeps_task_ledger(user) -> bool:
    """Who keeps a ledger of tasks and exports it from the task list: the office that runs them and the units that
    do them. A leader reads the list (the ledger is on 统计报表 too); the export itself is anyone's
    (``duban.reports.actions.ledger_export``)."""
    return is_supervisor(user) or is_unit_member(user)


def can_configure_close_evidence(user) -> bool:
    """Which kinds of task need evidence to close is the supervision office's rule."""
    return is_supervisor(user)
