"""Supervised tasks (督办事项) and the progress reports units submit on them.

One Task model serves every source of supervised work (meeting decisions, leader instructions, inspection cases,
livelihood projects, hazards); kind-specific facts live in their own tables that point at the task, so the workflow
exists once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from duban.extraction.deadlines import default_calendar


class TaskStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    ASSIGNED = "assigned", _("已交办")
    ACCEPTED = "accepted", _("已签收")
    IN_PROGRESS = "in_progress", _("办理中")
    CLOSE_REQUESTED = "close_requested", _("申请办结")
    CLOSED = "closed", _("已办结")
    RETURNED = "returned", _("已退回")  # the lead unit sent the assignment back to the office
    WITHDRAWN = "withdrawn", _("已撤销")  # dropped from a draft, merged away, or cancelled; never deleted


OPEN_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS, TaskStatus.CLOSE_REQUESTED,
                 TaskStatus.RETURNED)
# A progress report is taken once the lead unit has accepted the task, until it asks to close it.
REPORTABLE_STATUSES = (TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)
# Followed up (a light, reminders, 催办) from 交办 until the lead unit asks to close (duban.followup.lights).
SUPERVISED_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS)


class TaskKind(models.TextChoices):
    MEETING = "meeting", _("会议决定事项")
    INSTRUCTION = "instruction", _("领导批示")
    INSPECTION = "inspection", _("督察交办件")
    LIVELIHOOD = "livelihood", _("民生实事")
    HAZARD = "hazard", _("隐患整改")
    OTHER = "other", _("其他")


class Priority(models.IntegerChoices):
    NORMAL = 2, _("一般")
    HIGH = 1, _("重要")
    URGENT = 0, _("紧急")


class ReportCycle(models.TextChoices):
    ONCE = "once", _("一次性")
    WEEKLY = "weekly", _("每周")
    BIWEEKLY = "biweekly", _("每两周")
    MONTHLY = "monthly", _("每月")
    WORKDAYS = "workdays", _("每N个工作日")


def choice_label(choices, value) -> str:
    """What ``get_<field>_display()`` returns, with one translation lookup: Django's builds a dict of every choice
    on each call, hashing each lazy label (a translation lookup apiece), ~1 ms a call, 160 calls on a meeting page."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class TaskManager(models.Manager):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.fill_meeting_date()
        return super().bulk_create(objs, *args, **kwargs)


# The order of every task list: newest meeting first, then the communique's order. ``meeting_date`` is the
# meeting's date copied onto the task so that the order is one index walk instead of a join and a sort of every
# matching row (0.5-0.9 s a list at 100k tasks).
LIST_ORDER = ("-meeting_date", "meeting_id", "seq", "id")


class RollupMode(models.TextChoices):
    """How a task split into sub-tasks (分解下达) takes its progress and light from them."""
    WORST = "worst", _("取最差灯色")
    SHARE = "share", _("按办结比例")
    ALL = "all", _("全部办结")


def rollup_progress(mode: str, children: list[tuple[str, int]]) -> int:
    """The progress of a task split into sub-tasks from its children's ``(status, progress)`` (a split child's
    progress is its own rolled-up one; withdrawn children left out by the caller), by the parent's roll-up mode:

    - "all" (全部办结): 100 once every child is closed, else the least advanced child's;
    - "share" (按办结比例): the share of children closed;
    - "worst" (取最差灯色): the children's mean (its light is no better than the worst child's: the lights'
      ``rollup_rule``).

    A closed child counts 100 whatever it reported. 0 without children."""
    if not children:
        return 0
    progress = [100 if status == TaskStatus.CLOSED else percent for status, percent in children]
    closed = sum(1 for status, _ in children if status == TaskStatus.CLOSED)
    if mode == RollupMode.SHARE:
        return round(100 * closed / len(children))
    if mode == RollupMode.ALL:
        return 100 if closed == len(children) else min(progress)
    return round(sum(progress) / len(progress))


class Task(models.Model):
    kind = models.CharField(_("类型"), max_length=20, choices=TaskKind.choices, default=TaskKind.MEETING)
    meeting = models.ForeignKey("meetings.Meeting", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="tasks")
    seq = models.PositiveIntegerField(_("序号"), default=0)
    # Copy of meeting.date (None without a meeting or date), set when the task is saved or bulk-created; a task's
    # meeting and a meeting's date never change after creation, so the copy cannot go stale. Sort key only.
    meeting_date = models.DateField(null=True, blank=True, editable=False)
    title = models.CharField(_("事项"), max_length=200)
    text = models.TextField(_("内容"))
    source_start = models.IntegerField(null=True, blank=True)
    source_end = models.IntegerField(null=True, blank=True)
    heading = models.CharField(_("所属部署"), max_length=200, blank=True)
    area = models.ForeignKey("core.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    lead_unit = models.ForeignKey("core.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="lead_tasks")
    coop_units = models.ManyToManyField("core.Unit", blank=True, related_name="coop_tasks")
    deadline = models.DateField(_("办理时限"), null=True, blank=True)
    deadline_text = models.CharField(_("原文时限"), max_length=50, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.DRAFT)
    priority = models.IntegerField(_("优先级"), choices=Priority.choices, default=Priority.NORMAL)
    report_cycle = models.CharField(_("报送周期"), max_length=20, choices=ReportCycle.choices,
                                    default=ReportCycle.ONCE)
    report_every = models.PositiveIntegerField(_("每N个工作日"), default=0)
    progress_percent = models.PositiveSmallIntegerField(_("进度"), default=0)
    latest_report = models.ForeignKey("tasks.ProgressReport", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    returns_count = models.PositiveIntegerField(_("退回次数"), default=0)
    score = models.DecimalField(_("考评得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    # The day the share of time elapsed (the light's 进度滞后) runs from when the work began before it was assigned:
    # a livelihood project's period start. None: from the assignment (``assigned_at``).
    schedule_start = models.DateField(_("时间进度起算日"), null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Levels (分解下达): a sub-task points at the task it was split from. ``tree_path`` is the chain of task ids
    # from the root ("/<root>/<child>/.../"), set by the action that splits, so a task's whole subtree is one
    # indexed prefix query; a task never split and split from nothing keeps "". ``issuing_unit`` is the unit whose
    # supervision office (本级督查室) issued the sub-task and supervises it; None is the top-level office.
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    tree_path = models.CharField(max_length=255, db_index=True, default="", blank=True, editable=False)
    issuing_unit = models.ForeignKey("core.Unit", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="issued_tasks")
    rollup_mode = models.CharField(_("汇总方式"), max_length=10, choices=RollupMode.choices,
                                   default=RollupMode.WORST)
    # The progress a task split into sub-tasks takes from them (``rollup_progress`` by
    # ``rollup_mode``, withdrawn sub-tasks left out); None for a task without live sub-tasks, which is also how a
    # light knows a task is split. Derived, like a cache: it depends only on the sub-tasks' status and progress
    # (not on the date), so the action that changes a sub-task keeps it, up through every ancestor, in the same
    # transaction (``duban.tasks.actions.rollup_refresh_in_txn``). Not audited: the sub-task's own change is.
    # Stored so that whatever reads lights from plain columns (lists, tallies, the reminder pass) sees it.
    rolled_progress = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    # The next progress report due of a working task (``duban.tasks.report_due.kept_report_due``: the one rule of
    # the lights), None when none is due. Derived like ``rolled_progress`` and kept by the actions and the nightly
    # pass, so a unit's reports due are an indexed filter, not every working task read and computed.
    report_due = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["meeting_id", "seq", "id"]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        indexes = [
            models.Index(fields=["status", "deadline"], name="task_status_deadline_idx"),
            # which level supervises a task, read per task of a review queue from the index alone (PostgreSQL; the
            # office's 32,000 waiting reports at a million tasks: 300 -> 70 ms with the queue's index covering)
            models.Index(fields=["id"], include=["issuing_unit"], name="task_id_issuing_idx"),
            # deadline makes these covering for the dashboard's per-unit and per-area counts (overdue needs it):
            # at 100k tasks SQLite then reads the index alone instead of every row (bench/RESULTS.md).
            models.Index(fields=["lead_unit", "status", "deadline"], name="task_lead_status_dl_idx"),
            models.Index(fields=["area", "status", "deadline"], name="task_area_status_dl_idx"),
            # covering for the reports dashboard's one grouped pass (lead unit, area, status; late by deadline).
            # Included on PostgreSQL (other databases ignore ``include``): a unit member's scope tests id and issuing
            # unit on each row, which a unit subtree's report would otherwise read from the table (600k tasks, a
            # district's 58k: 220 -> 25 ms); meeting id for the meetings such a viewer may see.
            models.Index(fields=["lead_unit", "area", "status", "deadline"], include=["id", "issuing_unit", "meeting"],
                         name="task_lead_area_status_dl_idx"),
            # the reports dashboard's weekly "completed" (closed_at ranges)
            models.Index(fields=["status", "closed_at"], name="task_status_closed_idx"),
            # the open tasks by deadline: the first late ones (the dashboard's overdue list) in order, without
            # reading and sorting all late tasks (PostgreSQL, 100k tasks: 18 -> 0.1 ms); after the unique id, the
            # columns late tasks are counted by (status, lead unit, area), so such a count reads the index alone. The
            # condition must stay the very spelling of ``Q(status__in=OPEN_STATUSES)`` for a database to see that
            # a query implies it.
            models.Index(fields=["deadline", "id", "status", "lead_unit", "area"],
                         condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                         name="task_open_deadline_idx"),
            # LIST_ORDER as indexes: the unfiltered list (and filters the index cannot serve, like a unit subtree)
            # walks the first and stops after a page; status (+ area) filters walk the second. The first carries,
            # after the unique id (so its order is LIST_ORDER's), the lead unit and the status: a list filtered by
            # one unit (its lead or a cooperating unit) tests each task it walks in the index alone, the
            # cooperation by the task's id against the unit's cooperations hashed once, instead of reading each
            # task's row (a busy unit's first page at a million tasks walks ~7,700 tasks to find 50).
            models.Index(fields=[*LIST_ORDER, "lead_unit", "status"], name="task_list_order_idx"),
            # a lead unit's tasks in LIST_ORDER, with the status: a small unit's list or a page deep in a large
            # one's is read as the merge of the tasks the unit leads (from here, in order, no task's row read) and
            # those it only cooperates on (``duban.tasks.selectors.task_list_keys``; a million tasks: page 100 of
            # the busiest unit 190 ms walking the index above, 35 ms merged on PostgreSQL). SQLite reads the
            # unit's "leads or cooperates on" from here too: it read each led task's row for its order (27-77 ms).
            models.Index(fields=["lead_unit", *LIST_ORDER, "status"], name="task_lead_order_idx"),
            models.Index(fields=["status", "area", *LIST_ORDER], name="task_status_area_order_idx"),
            # the weekly "completed" of a unit subtree: closed_at ranges per lead unit (600k tasks: 70 -> 12 ms)
            models.Index(fields=["lead_unit", "status", "closed_at"], name="task_lead_status_closed_idx"),
            # a status alone (the open items, 待签收 ...): without it the list sorts every task of that status
            # (a million tasks, PostgreSQL: 130k rows in progress) to show the first 50
            models.Index(fields=["status", *LIST_ORDER], name="task_status_order_idx"),
            # the weekly "fell overdue" of closed tasks (due in the period, closed after their deadline) from the
            # index alone: through the closed_at index it read 25,000 closed tasks' rows (a million tasks: 350 ms)
            models.Index(fields=["status", "deadline", "closed_at"], name="task_status_dl_closed_idx"),
            # a unit's reports due (工作台 待报送) in their order, with what its scope tests, from the index alone:
            # only the tasks with a due are in it (a county at a million tasks read 25,000 working tasks: 1.2 s)
            models.Index(fields=["report_due", "id"], include=["lead_unit", "issuing_unit", "status"],
                         condition=models.Q(report_due__isnull=False), name="task_report_due_idx"),
            # supervised tasks by deadline with what a unit's scope tests, from the index alone: a unit's 即将到期
            # and its cooperations' count read the province's open tasks' rows through the status index to test
            # each one's units (a county at a million tasks: 69,000 and 111,000 rows, 300 and 500 ms)
            models.Index(fields=["deadline", "id"], include=["status", "lead_unit", "issuing_unit"],
                         condition=models.Q(status__in=("assigned", "accepted", "in_progress")),
                         name="task_supervised_dl_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_percent__lte=100), name="task_progress_le_100"),
        ]

    objects = TaskManager()

    def __str__(self) -> str:
        return self.title

    def get_status_display(self) -> str:
        return choice_label(TaskStatus, self.status)

    def get_kind_display(self) -> str:
        return choice_label(TaskKind, self.kind)

    def fill_meeting_date(self) -> None:
        if self.meeting_id is None:
            self.meeting_date = None
        elif self.meeting_date is None:
            self.meeting_date = self.meeting.date

    def save(self, *args, **kwargs):
        if self._state.adding:
            self.fill_meeting_date()
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def deadline_warning(self) -> str:
        """Empty, or why the deadline needs a second look (it falls on a non-working day)."""
        return deadline_warning(self.deadline)

    def is_late(self, today) -> bool:
        """Still open after its deadline (the database's twin: ``Q(status__in=OPEN_STATUSES, deadline__lt=today)``)."""
        return is_late(self.status, self.deadline, today)


def deadline_warning(deadline) -> str:
    """A deadline on a public holiday or an ordinary weekend (per the official calendar, so an adjusted working
    weekend is fine) is allowed but warned about: work is not handed in on a day the offices are closed."""
    if deadline is None or default_calendar().is_workday(deadline):
        return ""
    return f"办理时限{deadline.isoformat()}不是工作日（法定节假日或周末），请核实"


def is_late(status: str, deadline, today) -> bool:
    """``Task.is_late`` for a row read as plain values."""
    return status in OPEN_STATUSES and deadline is not None and deadline < today


def shown_progress(status: str, progress_percent: int, rolled_progress: int | None) -> int:
    """The progress a task is shown with (the task list, the exported ledger): a split task's rolled up from its
    sub-tasks (``rolled_progress``), unless it is closed (then its own, 100 as closing set it); else its own."""
    return int(progress_percent if rolled_progress is None or status == TaskStatus.CLOSED else rolled_progress)


def count_rows() -> models.Count:
    """``COUNT(*)`` for a grouped count of tasks. ``Count("id")`` means the same, but makes PostgreSQL read each
    row from the table to see its id, where ``COUNT(*)`` lets a covering index answer alone (an index-only scan:
    the dashboards' grouped pass over 100k tasks, 142 -> 55 ms)."""
    return models.Count("*")


def count_rows_where(condition: models.Q) -> models.Count:
    """``COUNT(1) FILTER (WHERE condition)``: ``count_rows`` with a condition (Django refuses ``Count("*")``
    with a filter)."""
    return models.Count(models.Value(1), filter=condition)


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    ACCEPTED = "accepted", _("已采纳")
    RETURNED = "returned", _("已退回")
    CLOSED = "closed", _("随事项办结")  # still pending when its task was closed: nothing left to review


class ProgressReport(models.Model):
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("进展情况"))
    progress_percent = models.PositiveSmallIntegerField(_("进度"), default=0)
    request_close = models.BooleanField(_("申请办结"), default=False)
    evidence_text = models.TextField(_("佐证说明"), blank=True)
    # 由督查室代录: the supervision office entered it for the lead unit (``unit``), e.g. from an edited ledger;
    # ``author`` is the office's person.
    entered_by_office = models.BooleanField(_("由督查室代录"), default=False)
    status = models.CharField(_("状态"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.SUBMITTED)
    review_comment = models.TextField(_("审核意见"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("进展报告")
        verbose_name_plural = _("进展报告")
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_percent__lte=100), name="report_progress_le_100"),
        ]
        indexes = [
            # the office's review queue (工作台 待审核进展) in its order, and its count, from the few reports waiting
            # instead of a scan of every report (a million tasks: 5 million reports, 1.3 s)
            # (with the task's id: a level's queue keeps the reports of the tasks it supervises, probed in
            # ``task_id_issuing_idx``, from the two indexes alone)
            models.Index(fields=["-request_close", "created_at", "id"], condition=models.Q(status="submitted"),
                         include=["task"], name="report_review_queue_idx"),
            # whether a unit filed its part of a task (``parts_filed_by``), probed once per task of a unit's
            # cooperations, from the index alone instead of each report's row
            models.Index(fields=["task", "unit"], include=["status"], name="report_task_unit_idx"),
            # the close requests the office returned (工作台 被退回的办结申请): few, so a unit's are found from them,
            # not by reading the latest report of each of its tasks in progress (a county: 7,750 reads, 230 ms)
            models.Index(fields=["id"], condition=models.Q(request_close=True, status="returned"),
                         name="report_close_returned_idx"),
        ]

    def get_status_display(self) -> str:
        return choice_label(ReportStatus, self.status)


class ReportFile(models.Model):
    """A photo or document attached to a progress report (on a close request: its 佐证材料), kept in the storage
    (``duban.core.files``) under a random name and served only through a view that checks the viewer may see the
    report. The type is the one told by the content."""

    report = models.ForeignKey(ProgressReport, on_delete=models.PROTECT, related_name="files")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="report_files")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    @property
    def is_image(self) -> bool:
        return self.content_type in ("image/jpeg", "image/png", "image/webp")

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def type_label(self) -> str:
        """What a file chip shows of the type: the name's suffix (XLSX, DOCX, PDF), else 文件."""
        suffix = self.name.rsplit(".", 1)[1] if "." in self.name else ""
        return suffix.upper()[:4] if suffix.isascii() and suffix.isalnum() else "文件"


class CloseEvidenceRule(models.Model):
    """Whether a close request (申请办结) on a kind of task needs evidence, as the supervision office set it on the
    evidence rules page; a kind without a row follows ``DUBAN_CLOSE_EVIDENCE_KINDS``."""

    kind = models.CharField(_("类型"), max_length=20, choices=TaskKind.choices, unique=True)
    required = models.BooleanField(_("须附佐证"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)


class UnitTally(models.Model):
    """Tasks counted per unit, status and light, kept for one day at a time (``duban.tasks.unit_tally``): the
    cold dashboards of a unit's people and of subtrees read these rows instead of every task of their scope.

    A row counts the tasks attached to ``unit`` (as lead, cooperating or issuing unit) with the same area, lead
    unit, status, light (``light``, the code of the day) and ``late`` (deadline before the day). ``level`` says for
    which scopes: 0, the tasks ``unit`` leads (a subtree's reports count each task once at its lead unit); k > 0,
    the tasks for which ``unit`` is the first (lowest id) of the task's units under the same ancestor at depth k
    (``Unit.path``), so the sum over the units of a subtree rooted at depth k counts each task of that subtree's
    scope once, however many of its units are in it. Drafts and withdrawn tasks are not counted."""

    unit_id = models.BigIntegerField()
    level = models.SmallIntegerField()
    area_id = models.BigIntegerField(null=True)
    lead_unit_id = models.BigIntegerField(null=True)
    status = models.CharField(max_length=20)
    light = models.CharField(max_length=12)
    late = models.BooleanField()
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["level", "unit_id"], name="unit_tally_level_unit_idx")]


class UnitTallyStamp(models.Model):
    """Whether a unit's ``UnitTally`` rows are valid: ``version`` is raised by the database's triggers whenever a
    task attached to the unit (or a task above such a task, whose rolled-up light follows its sub-tasks) or a
    cooperation of it is written, in the writer's transaction; rows counted at ``counted`` for ``day`` are valid
    while ``counted == version`` and the day is today."""

    unit_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=1)
    counted = models.BigIntegerField(null=True)
    day = models.DateField(null=True)


class UnitTallyScope(models.Model):
    """The sum of the ``UnitTally`` rows of a scope (a set of units at a level), per area and per lead unit, kept
    under ``signature``: the day and every unit's stamp version it was summed at. Any write to a unit of the scope
    raises that unit's version, so a changed signature means it is summed again; an office's dashboard reads one row
    instead of every unit's (39,000 at a million tasks)."""

    key = models.CharField(max_length=64, primary_key=True)
    signature = models.CharField(max_length=64)
    counts = models.JSONField(default=list)
