"""Other sources of supervised work (leader instructions, inspection cases, livelihood projects, hazards), their
attachments, and the policy phrases (提法) collected from communiques.

Every record here points at one or more ``tasks.Task`` rows: the workflow (assign, accept, report, close) exists
once, in ``duban.tasks.actions``; these tables hold only the facts specific to each kind. Nothing is deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Instruction(models.Model):
    """A leader's written instruction (领导批示) from which the office makes one or more tasks."""

    text = models.TextField(_("批示内容"))
    leader = models.CharField(_("批示领导"), max_length=50)
    date = models.DateField(_("批示日期"))
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")

    def __str__(self) -> str:
        return f"{self.leader}批示（{self.date}）"


class InstructionTask(models.Model):
    """One task made from an instruction; a task belongs to at most one instruction."""

    instruction = models.ForeignKey(Instruction, on_delete=models.PROTECT, related_name="links")
    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="instruction_link")

    class Meta:
        ordering = ["id"]


class InspectionCase(models.Model):
    """A case handed over by an inspection (督察交办件, e.g. 中央生态环境保护督察). Its task closes only once the
    rectification report (整改情况) and the disclosure decision (是否公开) are recorded."""

    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="inspection_case")
    case_number = models.CharField(_("案件编号"), max_length=50, unique=True)
    inspection = models.CharField(_("督察名称"), max_length=100, blank=True)
    batch = models.CharField(_("批次"), max_length=50, blank=True)
    complaint = models.TextField(_("投诉内容"))
    reply_due = models.DateField(_("要求回复日期"), null=True, blank=True)
    rectification = models.TextField(_("整改情况"), blank=True)
    disclose = models.BooleanField(_("是否公开"), null=True, blank=True)  # None: not yet decided
    rectification_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("督察交办件")
        verbose_name_plural = _("督察交办件")

    def __str__(self) -> str:
        return self.case_number

    @property
    def ready_to_close(self) -> bool:
        return bool(self.rectification.strip()) and self.disclose is not None


class LivelihoodProject(models.Model):
    """A livelihood project (民生实事) with a numeric target, e.g. 新增养老床位 1000 张, over a period (a year by
    default)."""

    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="livelihood_project")
    indicator = models.CharField(_("指标"), max_length=100)
    target = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2)
    measure_unit = models.CharField(_("计量单位"), max_length=20)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name = _("民生实事")
        verbose_name_plural = _("民生实事")
        constraints = [
            models.CheckConstraint(condition=models.Q(target__gt=0), name="livelihood_target_positive"),
            models.CheckConstraint(condition=models.Q(period_end__gt=models.F("period_start")),
                                   name="livelihood_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.target}{self.measure_unit}"

    @property
    def is_level(self) -> bool:
        """A target measured as a rate (覆盖率 95%) is a level: each month's figure is the value reached so far, not
        an increment, so the latest figure counts. A count (新增床位 1000 张) is reached by adding months up."""
        return self.measure_unit.strip() in LEVEL_UNITS


# Units of measure that make a target a level rather than a count.
LEVEL_UNITS = frozenset({"%", "％", "‰", "百分比", "百分点"})


class LivelihoodActual(models.Model):
    """What was achieved in one month. A correction adds a row with the next ``version``; the old row stays, so
    the history of figures is kept. The current figure of a month is its highest version."""

    project = models.ForeignKey(LivelihoodProject, on_delete=models.PROTECT, related_name="actuals")
    month = models.DateField(_("月份"))  # always the first day of the month
    value = models.DecimalField(_("完成值"), max_digits=14, decimal_places=2)
    version = models.PositiveIntegerField(default=1)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month", "version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month", "version"], name="livelihood_actual_month_version"),
            models.CheckConstraint(condition=models.Q(value__gte=0), name="livelihood_actual_nonnegative"),
        ]


class HazardCategory(models.TextChoices):
    CHEMICALS = "chemicals", _("危化品")
    GAS = "gas", _("燃气")
    SELF_BUILT = "self_built", _("自建房")
    CONSTRUCTION = "construction", _("建筑施工")
    FIRE = "fire", _("消防")
    TRANSPORT = "transport", _("交通运输")
    OTHER = "other", _("其他")


class HazardSeverity(models.TextChoices):
    ORDINARY = "ordinary", _("一般")
    LARGER = "larger", _("较大")
    MAJOR = "major", _("重大")


class HazardStatus(models.TextChoices):
    FOUND = "found", _("已发现（待整改）")
    RECTIFIED = "rectified", _("已整改（待复查）")
    REVIEWED = "reviewed", _("复查通过（待销号）")
    CLOSED = "closed", _("已销号")


# The closed loop 发现 → 整改 → 复查 → 销号. A failed review sends the hazard back to 整改.
HAZARD_TRANSITIONS: dict[str, tuple[str, ...]] = {
    HazardStatus.FOUND: (HazardStatus.RECTIFIED,),
    HazardStatus.RECTIFIED: (HazardStatus.REVIEWED, HazardStatus.FOUND),
    HazardStatus.REVIEWED: (HazardStatus.CLOSED,),
    HazardStatus.CLOSED: (),
}


class Hazard(models.Model):
    """An entry of the work-safety hazard ledger (隐患台账)."""

    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="hazard")
    place = models.CharField(_("隐患地点"), max_length=200)
    category = models.CharField(_("类别"), max_length=20, choices=HazardCategory.choices)
    severity = models.CharField(_("等级"), max_length=20, choices=HazardSeverity.choices)
    description = models.TextField(_("隐患描述"))
    deadline = models.DateField(_("整改期限"))
    responsible_person = models.CharField(_("责任人"), max_length=50)
    status = models.CharField(_("状态"), max_length=20, choices=HazardStatus.choices, default=HazardStatus.FOUND)
    rectification = models.TextField(_("整改情况"), blank=True)
    review_note = models.TextField(_("复查意见"), blank=True)
    found_at = models.DateTimeField(auto_now_add=True)
    rectified_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # how many rectifications were reported (整改 rounds: a failed re-inspection asks for the next one); the round
    # a photo belongs to
    rectification_rounds = models.PositiveSmallIntegerField(_("整改轮次"), default=0)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("安全隐患")
        verbose_name_plural = _("安全隐患")
        indexes = [models.Index(fields=["status", "deadline"], name="hazard_status_deadline_idx")]

    def __str__(self) -> str:
        return f"{self.place}（{self.get_category_display()}）"

    @property
    def current_deadline(self):
        """The 整改期限 in force: its task's 时限, which 调整时限 and approved extensions move (``deadline`` keeps the
        date set when the hazard was found). A task whose 时限 was cleared leaves the registered date."""
        return self.task.deadline or self.deadline

    @property
    def deadline_moved(self) -> bool:
        return self.current_deadline != self.deadline


class HazardPhotoStage(models.TextChoices):
    """Which step of a hazard's loop a photo documents, so the re-inspector compares before and after."""

    FOUND = "found", _("发现")
    RECTIFICATION = "rectification", _("整改")
    REVIEW = "review", _("复查")


class Attachment(models.Model):
    """A file kept outside the web root (``DATA_DIR/attachments``) under a random name; served only through a view
    that checks the viewer may see its task."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="attachments")
    hazard = models.ForeignKey(Hazard, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    # a hazard's file: the step it documents and, for 整改 and 复查, the rectification round ("" and None: files
    # kept before this was recorded, and files of no hazard)
    hazard_stage = models.CharField(_("环节"), max_length=20, choices=HazardPhotoStage.choices, blank=True)
    hazard_round = models.PositiveSmallIntegerField(_("轮次"), null=True, blank=True)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=64, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    @property
    def stage_label(self) -> str:
        """发现, 整改（第2轮）, 复查（第1轮）; "" when not recorded."""
        if not self.hazard_stage:
            return ""
        label = self.get_hazard_stage_display()
        return f"{label}（第{self.hazard_round}轮）" if self.hazard_round else label


class Phrase(models.Model):
    """A policy formulation (提法) quoted in communiques, such as 六个常有 or 四查一帮扶."""

    text = models.CharField(_("提法"), max_length=100, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["text"]
        verbose_name = _("提法")
        verbose_name_plural = _("提法")

    def __str__(self) -> str:
        return self.text


class PhraseOccurrence(models.Model):
    """One quotation of a phrase in a meeting's text, with the task whose span contains it (if any). Derived from
    ``Meeting.extraction`` by ``phrases_collect_in_txn`` and rebuilt by it, so it is an index, not a record."""

    phrase = models.ForeignKey(Phrase, on_delete=models.PROTECT, related_name="occurrences")
    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.PROTECT, related_name="phrase_occurrences")
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="phrase_occurrences")
    start = models.IntegerField()
    end = models.IntegerField()

    class Meta:
        ordering = ["meeting_id", "start"]
        constraints = [models.UniqueConstraint(fields=["meeting", "start"], name="phrase_occurrence_meeting_start")]
