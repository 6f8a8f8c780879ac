"""Every follow-up read for a user, starting from the viewer's scoped task queryset."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from duban.core.audit import EventType
from duban.core.errors import NotFound
from duban.followup import permissions as fperms
from duban.followup.lights import (ORDER, ROLLUP_FIELDS, SUPERVISED_STATUSES, Light, LightCodes, RollupCodes,
                                   lights_for, rolled_light, rollup_light)
from duban.followup.models import (CloseEvidence, DeadlineChange, Delivery, ExtensionRequest, ExtensionStatus,
                                   LeaderComment, ReminderSent, SupervisionNotice, TaskWatch)
from duban.tasks import selectors as task_selectors
from duban.tasks import permissions as perms
from duban.tasks.selectors import newest_rows, page_list_part
from duban.tasks.models import (OPEN_STATUSES, REPORTABLE_STATUSES, ProgressReport, ReportFile, ReportStatus, Task,
                                TaskStatus)


def task_light_get(*, viewer, task_id: int, today: dt.date | None = None) -> tuple[Task, Light]:
    task = task_selectors.task_get(viewer=viewer, task_id=task_id)
    return task, rolled_light(task, today)


def light_page(*, viewer, code: str | None = None, unit_id: int | None = None, today: dt.date | None = None,
               offset: int = 0, limit: int = 100) -> tuple[list[tuple[Task, Light]], int]:
    """One page of the open tasks the viewer may see with their lights, reddest first (then by deadline, none
    last, then id), and how many there are. The scope, status and unit filters are SQL; each row's light comes
    from the one light rule (``LightCodes``) over plain columns streamed in chunks, a split task's rolled up from
    its sub-tasks (``RollupCodes``), keeping only the ``offset + limit`` first in order (a heap), so memory is
    bounded by the page and the split tasks, not the data; the page's tasks are then read by their ids (at most
    ``limit``) with their lights in words (``lights_for``)."""
    today = today or timezone.localdate()
    qs = task_selectors.task_list(viewer=viewer, unit_id=unit_id).filter(
        status__in=[*SUPERVISED_STATUSES, TaskStatus.CLOSE_REQUESTED])
    rollup = RollupCodes(LightCodes(today))
    rank = {light: i for i, light in enumerate(ORDER)}
    matched = 0
    deadlines: dict[int, dt.date | None] = {}  # of the split tasks held back until their sub-tasks are read

    def keep(pk, deadline, light):
        nonlocal matched
        if code is None or light == code:
            matched += 1
            return rank[light], deadline is None, deadline or today, pk
        return None

    def keys():
        rows = (qs.select_related(None).prefetch_related(None).order_by()
                .values_list("deadline", *RollupCodes.columns()).iterator(chunk_size=2000))
        for deadline, *values in rows:
            light = rollup.add(*values)
            if light is None:
                deadlines[values[0]] = deadline
                continue
            key = keep(values[0], deadline, light)
            if key is not None:
                yield key

    def split_keys():  # runs after ``keys`` has read every row (``chain`` is lazy)
        if not (perms.is_office(viewer) and unit_id is None):  # the stream held every lit task otherwise
            rollup.fill()
        for pk, deadline in deadlines.items():
            key = keep(pk, deadline, rollup.code_of(pk))
            if key is not None:
                yield key

    first = heapq.nsmallest(offset + limit, itertools.chain(keys(), split_keys()))
    ids = [key[-1] for key in first[offset:]]
    tasks = list(Task.objects.filter(pk__in=ids).select_related("latest_report", "lead_unit"))
    lights = lights_for(tasks, today)
    by_id = {t.pk: t for t in tasks}
    return [(by_id[pk], lights[pk]) for pk in ids], matched


def reddest_first(tasks: list[Task], today: dt.date | None) -> list[tuple[Task, Light]]:
    """Tasks with their lights, reddest first, then by deadline."""
    lights = lights_for(tasks, today)
    rank = {light: i for i, light in enumerate(ORDER)}  # the one order of lights (``light_page`` too)
    rows = [(t, lights[t.pk]) for t in tasks]
    rows.sort(key=lambda row: (rank.get(row[1].code, len(rank)), row[0].deadline or dt.date.max, row[0].pk))
    return rows


def reminder_list(*, viewer, task_id: int) -> QuerySet[ReminderSent]:
    task_selectors.task_get(viewer=viewer, task_id=task_id)
    return ReminderSent.objects.filter(task_id=task_id).select_related("notice").order_by("-id")


def reminders_undelivered(*, viewer) -> QuerySet[ReminderSent]:
    """Follow-up steps that reached nobody (REMINDER_UNDELIVERED), newest first: the supervision office's to
    chase by other means; nobody else sees them."""
    if not fperms.can_see_undelivered(viewer):
        return ReminderSent.objects.none()
    return (ReminderSent.objects.filter(recipient_count=0).select_related("task", "task__lead_unit")
            .order_by("-id"))


def extension_list(*, viewer, task_id: int | None = None, status: str | None = None
                   ) -> QuerySet[ExtensionRequest]:
    qs = ExtensionRequest.objects.filter(task__in=perms.tasks_visible_to(viewer))
    if task_id is not None:
        qs = qs.filter(task_id=task_id)
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("task", "unit", "requested_by", "requested_by__profile", "decided_by").order_by("-id")


def extensions_to_decide(viewer) -> QuerySet[ExtensionRequest]:
    """The extension requests waiting for ``viewer``'s decision (待审批延期): pending, on the tasks whose supervision
    it runs (``perms.supervised_by``: the office's those no unit issued, a unit's 督查室's those its unit issued;
    ``can_decide_extension`` as a queryset) and may see, oldest first. The 工作台's section and its count, and the
    list of them (``/followup/extensions/``), are these. The viewer's scope is tested request by request (the
    pending few), not collected first (every task the office reads: 258 ms at a million tasks on SQLite)."""
    return (ExtensionRequest.objects.filter(
        perms.supervised_by(viewer, "task__"), Exists(perms.tasks_visible_to(viewer).filter(pk=OuterRef("task_id"))),
        status=ExtensionStatus.PENDING).order_by("created_at", "id"))


def extension_get(*, viewer, request_id: int) -> ExtensionRequest:
    request = extension_list(viewer=viewer).filter(pk=request_id).first()
    if request is None:
        raise NotFound()
    return request


def notice_get(*, viewer, notice_id: int) -> SupervisionNotice:
    """A 督办通知单 for whoever may see its task; NotFound alike for missing and out of scope."""
    notice = (SupervisionNotice.objects.filter(task__in=perms.tasks_visible_to(viewer), pk=notice_id)
              .select_related("task", "unit").first())
    if notice is None:
        raise NotFound()
    return notice


def evidence_get(*, viewer, evidence_id: int) -> CloseEvidence:
    evidence = (CloseEvidence.objects.filter(report__in=perms.reports_visible_to(viewer), pk=evidence_id)
                .select_related("report", "report__task").first())
    if evidence is None:
        raise NotFound()
    return evidence


def delivery_list(*, viewer, status: str | None = None) -> QuerySet[Delivery]:
    """The delivery log, for the sysadmin only (others get nothing: it holds everyone's addresses)."""
    if not fperms.can_manage_deliveries(viewer):
        return Delivery.objects.none()
    qs = Delivery.objects.all()
    if status:
        qs = qs.filter(status=status)
    return qs.select_related("notification", "notification__recipient").order_by("-id")


@dataclass
class TaskFollowup:
    task: Task
    light: Light
    reminders: list
    extensions: list
    pending_extension: ExtensionRequest | None
    close_request: ProgressReport | None
    close_files: list
    coop_parts: list  # (unit name, filed?) for each cooperating unit, shown with the close request
    can_request_extension: bool
    can_decide_extension: bool
    can_request_close: bool
    can_review: bool
    can_see_deliveries: bool = False
    open_subtasks: int = 0  # a close request on a split task: its sub-tasks still open (sign-off needs a reason)


# The task's audit events written with every reminder row (``reminder_send``, ``task_urge``, ``notice_issue``) and
# with every extension request (``extension_request``), in the same transaction: a task whose history has none of
# them has no such row.
REMINDER_EVENTS = frozenset((EventType.TASK_REMINDED, EventType.TASK_WARNED, EventType.TASK_ESCALATED,
                             EventType.REMINDER_UNDELIVERED, EventType.TASK_URGED, EventType.TASK_NOTICE_ISSUED))
EXTENSION_EVENTS = frozenset((EventType.TASK_EXTENSION_REQUESTED,))


def followup_parts(*, viewer, task: Task, history_kinds: frozenset | set | None = None) -> dict:
    """The follow-up section's lists of a task page (``task_selectors.page_lists``): its reminders (50 newest),
    extension requests (20 newest) and, while a close is asked (申请办结), the request with what its review shows.
    ``history_kinds``: the event types of the task's whole audit history when the caller has read it: reminders
    and extension requests are then read only when an event says there are some."""
    parts = {}
    if history_kinds is None or history_kinds & REMINDER_EVENTS:
        parts["reminders"] = page_list_part(newest_rows(ReminderSent.objects.filter(task_id=task.pk), 50), id="id",
                                            day="for_date", code="stage", text="reason", n="recipient_count",
                                            n2="notice__id")
    if history_kinds is None or history_kinds & EXTENSION_EVENTS:
        parts["extensions"] = page_list_part(newest_rows(ExtensionRequest.objects.filter(task_id=task.pk), 20),
                                             id="id", at="created_at", day="old_deadline", day2="new_deadline",
                                             code="status", text="reason", text2="decision_comment")
    if task.status == TaskStatus.CLOSE_REQUESTED:
        # the close request waiting for review, its evidence files, which cooperating units filed their part
        # (``parts_filed_by``), and the sub-tasks still open (the sign-off then needs a reason)
        asked = newest_rows(ProgressReport.objects.filter(task_id=task.pk, request_close=True,
                                                          status=ReportStatus.SUBMITTED), 1)
        parts["close_request"] = page_list_part(asked, id="id", n="progress_percent", text="text",
                                                text2="evidence_text")
        parts["close_files"] = task_selectors.report_files_part(ReportFile.objects.filter(report__in=asked))
        coop = [u.pk for u in task.coop_units.all()]  # prefetched with the task by ``task_get``
        parts["filed"] = page_list_part(
            task_selectors.parts_filed_by(coop).filter(task_id=task.pk).order_by("unit_id"), id="unit_id")
        if task.tree_path:
            parts["open_subtasks"] = page_list_part(
                task_selectors.open_subtasks(task.pk).order_by("id"), id="id")
    return parts


def top_parts(*, viewer, task: Task, commented: bool = True) -> dict:
    """The lists of the top of a task page (``task_selectors.page_lists``): leaders' 批示 (20 newest; none read
    when ``commented`` is False), whether the viewer watches the task (重点关注), and a task back in progress
    after a return its latest close request (shown when it was returned)."""
    parts = {}
    if commented:
        author = Coalesce(NullIf("author__profile__display_name", Value("")), "author__username")
        parts["comments"] = page_list_part(newest_rows(LeaderComment.objects.filter(task_id=task.pk), 20), id="id",
                                           at="created_at", day="proposed_deadline", code="deadline_status",
                                           text="text", text2="decision_comment", text3=author)
    if fperms.can_watch_task(viewer, task):
        parts["watching"] = page_list_part(
            TaskWatch.objects.filter(user=viewer, task_id=task.pk, active=True).order_by("id"), id="id")
    if task.status == TaskStatus.IN_PROGRESS and task.returns_count:  # only a returned close request counts
        parts["last_close"] = page_list_part(
            newest_rows(ProgressReport.objects.filter(task_id=task.pk, request_close=True), 1), id="id",
            at="reviewed_at", code="status", text="review_comment")
    return parts


def task_page_parts(*, viewer, task: Task, history_kinds: frozenset | set) -> dict:
    """Every follow-up list of a task page (``top_parts`` and ``followup_parts``), for the page to read with its
    own in one statement; ``history_kinds``: the event types of the task's whole history."""
    return {**top_parts(viewer=viewer, task=task, commented=EventType.TASK_COMMENTED in history_kinds),
            **followup_parts(viewer=viewer, task=task, history_kinds=history_kinds)}


def _reminder_of(task: Task, row) -> ReminderSent:
    """A reminder of ``followup_parts`` with the id of its 督办通知单 (``notice_id``, None for most stages)."""
    reminder = ReminderSent(id=row.id, task=task, for_date=row.day, stage=row.code, reason=row.text,
                            recipient_count=row.n)
    reminder.notice_id = row.n2
    return reminder


def _comment_of(task: Task, row) -> LeaderComment:
    """A 批示 of ``top_parts`` with its author's name (``author_name``: the display name, else the account)."""
    comment = LeaderComment(id=row.id, task=task, created_at=row.at, proposed_deadline=row.day,
                            deadline_status=row.code, text=row.text, decision_comment=row.text2)
    comment.author_name = row.text3
    return comment


def _check_scope(viewer, task: Task) -> None:
    """``NotFound`` unless ``task_get`` read ``task`` for this viewer or the viewer may see it."""
    if not task_selectors.in_scope_of(task, viewer) and not perms.tasks_visible_to(viewer).filter(
            pk=task.pk).exists():
        raise NotFound()


def task_followup(*, viewer, task: Task, today: dt.date | None = None, light: Light | None = None,
                  history_kinds: frozenset | set | None = None, lists: dict | None = None) -> TaskFollowup:
    """Everything the follow-up section of a task page shows. ``task`` must be one the viewer may see (it comes
    from ``task_get``); this checks again so a template cannot leak another unit's task, unless ``task_get``
    read it for this same viewer (``in_scope_of``: the check would repeat the one that read it). ``light``: the
    task's light when the page has it already (its tree's roll-up), else read (``rolled_light``).
    ``history_kinds``: see ``followup_parts``. ``lists``: the page's lists (``task_selectors.page_lists``) when
    the page has read them with ``task_page_parts``, else read here."""
    _check_scope(viewer, task)
    today = today or timezone.localdate()
    if lists is None:
        lists = task_selectors.page_lists(followup_parts(viewer=viewer, task=task, history_kinds=history_kinds))
    # The section shows no one's name: the requesting and deciding users load on access if anything needs them.
    reminders = [_reminder_of(task, r) for r in lists.get("reminders", ())]
    extensions = [ExtensionRequest(id=r.id, task=task, created_at=r.at, old_deadline=r.day, new_deadline=r.day2,
                                   status=r.code, reason=r.text, decision_comment=r.text2)
                  for r in lists.get("extensions", ())]
    pending = next((e for e in extensions if e.status == ExtensionStatus.PENDING), None)
    close_request = next((ProgressReport(id=r.id, task=task, request_close=True, status=ReportStatus.SUBMITTED,
                                         progress_percent=r.n, text=r.text, evidence_text=r.text2)
                          for r in lists.get("close_request", ())), None)
    close_files = [task_selectors.file_of_row(r) for r in lists.get("close_files", ())]
    coop_parts = []
    if close_request:
        filed = {r.id for r in lists.get("filed", ())}
        coop_parts = [(u.name, u.pk in filed) for u in task.coop_units.all()]
    return TaskFollowup(
        task=task, light=light or rolled_light(task, today), reminders=reminders, extensions=extensions,
        pending_extension=pending, close_request=close_request, close_files=close_files,
        coop_parts=coop_parts,
        # 申请延期 once signed for (before, the unit may send the task back), as ``actions.extension_request``
        can_request_extension=task.status in REPORTABLE_STATUSES and pending is None
        and fperms.can_request_extension(viewer, task),
        can_decide_extension=pending is not None and perms.supervises_task(viewer, task),
        can_request_close=task.status in (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
        and perms.can_request_close(viewer, task),
        can_review=close_request is not None and perms.supervises_task(viewer, task),
        can_see_deliveries=perms.is_supervisor(viewer),
        open_subtasks=len(lists.get("open_subtasks", ())) if close_request else 0,
    )


# --- leaders: 批示 and 重点关注 ----------------------------------------------------------------------------------

@dataclass
class TaskTop:
    """What the top of a task page shows: leaders' 批示, a returned close request with its reason, and the
    buttons the viewer may use."""

    task: Task
    comments: list
    returned_close: ProgressReport | None
    watching: bool
    can_comment: bool
    can_watch: bool
    can_decide_deadline: bool


def task_top(*, viewer, task: Task, commented: bool = True, lists: dict | None = None) -> TaskTop:
    """``task`` as ``task_get`` returned it for this viewer (checked again otherwise, as ``task_followup`` does).
    ``commented`` False: the caller knows there is no 批示 (from the task's history), so none are read.
    ``lists``: the page's lists (``task_selectors.page_lists``) when the page has read them with
    ``task_page_parts``, else read here."""
    _check_scope(viewer, task)
    if lists is None:
        lists = task_selectors.page_lists(top_parts(viewer=viewer, task=task, commented=commented))
    comments = [_comment_of(task, r) for r in lists.get("comments", ())]
    returned = next((ProgressReport(id=r.id, task=task, request_close=True, status=r.code, review_comment=r.text,
                                    reviewed_at=r.at)
                     for r in lists.get("last_close", ()) if r.code == ReportStatus.RETURNED), None)
    watching = bool(lists.get("watching"))
    return TaskTop(task=task, comments=comments, returned_close=returned, watching=watching,
                   can_comment=fperms.can_comment_on_task(viewer, task), can_watch=fperms.can_watch_task(viewer, task),
                   can_decide_deadline=fperms.can_decide_deadline_change(viewer, task))


def comment_list(*, viewer, task_id: int) -> QuerySet[LeaderComment]:
    task_selectors.task_get(viewer=viewer, task_id=task_id)
    return LeaderComment.objects.filter(task_id=task_id).select_related("author").order_by("-id")


def comment_get(*, viewer, comment_id: int) -> LeaderComment:
    found = (LeaderComment.objects.filter(task__in=perms.tasks_visible_to(viewer), pk=comment_id)
             .select_related("author").first())
    if found is None:
        raise NotFound()
    return found


def deadline_change_pending() -> Q:
    """A task with a leader's 批示 whose deadline waits for the supervising office to confirm it (待督查室确认),
    while its units work on it (the only time a deadline can change): the office's queue on its 工作台, each
    confirmed or not on the task page (``deadline_change_confirm``, ``deadline_change_decline``). Read from the
    few pending 批示, not tested task by task (an office's open tasks are most of a million)."""
    return Q(pk__in=LeaderComment.objects.filter(deadline_status=DeadlineChange.PENDING).values("task_id"),
             status__in=SUPERVISED_STATUSES)


def watch_list(*, viewer, today: dt.date | None = None) -> list[tuple[Task, Light]]:
    """The viewer's 重点关注 tasks (scoped like every read) with their lights, reddest first."""
    watched = TaskWatch.objects.filter(user=viewer, active=True).values("task_id")
    return reddest_first(list(task_selectors.task_list(viewer=viewer, include_withdrawn=True).filter(pk__in=watched)),
                         today)


def contact_get(*, viewer, user_id: int):
    """Where messages reach ``user_id`` (an unsaved blank when nothing is bound yet), for the person themself or
    whoever manages their account (``can_edit_contact``); ``NotFound`` for anyone else."""
    from django.contrib.auth import get_user_model

    from duban.followup.models import PersonContact

    person = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if person is None or not fperms.can_edit_contact(viewer, person):
        raise NotFound()
    return PersonContact.objects.filter(user=person).first() or PersonContact(user=person)


def task_delivery_list(*, viewer, task_id: int) -> list[Delivery]:
    """How a task's notices went out over the channels (who, which channel, sent or not), for the supervision
    office; addresses are not shown here (the sysadmin's delivery log has them). ``NotFound`` for others."""
    task_selectors.task_get(viewer=viewer, task_id=task_id)
    if not perms.is_supervisor(viewer):
        raise NotFound()
    return list(Delivery.objects.filter(notification__task_id=task_id)
                .select_related("notification", "notification__recipient", "notification__recipient__profile")
                .order_by("-id")[:500])


# --- levels: a task's tree of sub-tasks and its roll-up -------------------------------------------------------

@dataclass
class TreeNode:
    task: Task
    depth: int  # 0 for the task the page shows
    light: Light  # a task with sub-tasks: rolled up from them
    progress: int
    subtasks: int = 0  # its sub-tasks (withdrawn ones left out) and how many of them are closed
    closed: int = 0
    visible: bool = True  # False: in the tree but outside the viewer's scope (shown without a link or names)

    @property
    def indent(self) -> range:
        return range(self.depth)


@dataclass
class TaskTree:
    ancestors: list[Task]  # from the root down to the parent, those the viewer may see
    nodes: list[TreeNode]  # the task and its subtree, depth first
    open_subtasks: int  # direct sub-tasks still open (a close needs the office's reason while any are)

    @property
    def top(self) -> TreeNode:
        return self.nodes[0]


def _path_key(task: Task) -> tuple[int, ...]:
    return tuple(int(part) for part in task.tree_path.strip("/").split("/"))


def task_tree(*, viewer, task: Task, today: dt.date | None = None) -> TaskTree | None:
    """The tree a task belongs to as its page shows it: the ancestors the viewer may see, then the task and its
    whole subtree with each node's light and progress, a node with sub-tasks rolled up from them by its
    ``rollup_mode`` (``rollup_light``, bottom up). None for a task never split nor split from another. One
    statement by the materialized path: the subtree (a prefix) and the ancestors (by id), each row with whether
    the viewer may see it (no walk per level)."""
    if not task.tree_path:
        return None
    if (not task_selectors.in_scope_of(task, viewer) and not task_selectors.read_above_scope(task, viewer)
            and not perms.tasks_visible_to(viewer).filter(pk=task.pk).exists()):
        raise NotFound()
    today = today or timezone.localdate()
    above = [int(part) for part in task.tree_path.strip("/").split("/")[:-1]]
    # Unordered, sorted here by id (the model's order within a tree, which shares its meeting and number): an
    # ORDER BY only costs compiling the SQL, and SQLite may walk the model's order instead of the paths' index.
    # Only what the roll-up and the tree show (not the hundred columns of each task, lead unit and report).
    rows = sorted(Task.objects.filter(Q(tree_path__startswith=task.tree_path) | Q(pk__in=above)).order_by()
                  .select_related("lead_unit", "latest_report")
                  .only(*ROLLUP_FIELDS, "title", "lead_unit__name", "latest_report__created_at")
                  .annotate(in_scope=Exists(perms.tasks_visible_to(viewer).filter(pk=OuterRef("pk")))),
                  key=lambda t: t.pk)
    subtree = [t for t in rows if t.tree_path.startswith(task.tree_path)]
    ancestors = sorted((t for t in rows if not t.tree_path.startswith(task.tree_path)), key=_path_key)
    # A withdrawn sub-task leaves the tree with everything below it; the task shown is always its top, withdrawn
    # or not.
    gone = [t.tree_path for t in subtree if t.status == TaskStatus.WITHDRAWN and t.pk != task.pk]
    subtree = [t for t in subtree if not any(t.tree_path.startswith(path) for path in gone)]
    visible = {t.pk for t in subtree if t.in_scope}
    # every task above one the viewer may read is readable too (``perms.can_read_ancestor_task``): in the subtree
    # shown (a township's district part, under the city's task) as above it
    for t in subtree:
        if t.pk in visible:
            visible.update(int(part) for part in t.tree_path.strip("/").split("/"))
    base = task.tree_path.count("/")
    rolled = rollup_light(subtree, today)  # the one roll-up: lists, the lights API and the reminders use it too
    nodes = sorted((TreeNode(t, t.tree_path.count("/") - base, rolled[t.pk].light, rolled[t.pk].progress,
                             subtasks=rolled[t.pk].subtasks, closed=rolled[t.pk].closed, visible=t.pk in visible)
                    for t in subtree), key=lambda n: _path_key(n.task))
    open_subtasks = sum(1 for c in subtree if c.parent_id == task.pk and c.status in OPEN_STATUSES)
    return TaskTree(ancestors=ancestors, nodes=nodes, open_subtasks=open_subtasks)
