"""Supervised tasks (督办事项) and the progress reports units submit on them.

One Task model serves every source of supervised work (meeting decisions, leader instructions, inspection cases,
livelihood projects, hazards); kind-specific facts live in their own tables that point at the task, so the workflow
exists once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class Task(models.Model):
    kind = models.CharField(_("类型"), max_length=20, choices=TaskKind.choices, default=TaskKind.MEETING)
    meeting = models.ForeignKey("meetings.Meeting", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="tasks")
    seq = models.PositiveIntegerField(_("序号"), default=0)
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
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["meeting_id", "seq", "id"]
        verbose_name = _("督办事项")
        verbose_name_plural = _("督办事项")
        indexes = [
            models.Index(fields=["status", "deadline"], name="task_status_deadline_idx"),
            # deadline makes these covering for the dashboard's per-unit and per-area counts (overdue needs it):
            # at 100k tasks SQLite then reads the index alone instead of every row (bench/RESULTS.md).
            models.Index(fields=["lead_unit", "status", "deadline"], name="task_lead_status_dl_idx"),
            models.Index(fields=["area", "status", "deadline"], name="task_area_status_dl_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_percent__lte=100), name="task_progress_le_100"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    ACCEPTED = "accepted", _("已采纳")
    RETURNED = "returned", _("已退回")


class ProgressReport(models.Model):
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("进展情况"))
    progress_percent = models.PositiveSmallIntegerField(_("进度"), default=0)
    request_close = models.BooleanField(_("申请办结"), default=False)
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
