"""Follow-up records: reminders sent (one per task, stage and due key, enforced by the database), 督办通知单,
extension requests, completion evidence, and the delivery of notifications over channels."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    REMIND = "remind", _("催办提醒")
    WARN = "warn", _("预警")
    ESCALATE = "escalate", _("督办")


class ReminderSent(models.Model):
    """One follow-up step taken on a task. The unique constraint is what makes the reminder pass safe to run in
    several workers at once: each inserts first, and the loser of a race gets an IntegrityError and sends nothing."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="reminders")
    stage = models.CharField(_("阶段"), max_length=20, choices=Stage.choices)
    due_key = models.CharField(max_length=60)
    light = models.CharField(max_length=10)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    recipient_count = models.PositiveIntegerField(default=0)
    for_date = models.DateField(_("评估日期"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["task", "stage", "due_key"], name="reminder_once_per_stage")]


class SupervisionNotice(models.Model):
    """A 督办通知单 (.docx) generated at escalation, stored under ``DATA_DIR/notices`` (outside the web root)."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="supervision_notices")
    unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="+")
    reminder = models.OneToOneField(ReminderSent, on_delete=models.PROTECT, related_name="notice")
    number = models.CharField(_("编号"), max_length=40)
    overdue_days = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=255)  # relative to DATA_DIR
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    @property
    def file_name(self) -> str:
        return f"督办通知单-{self.number}.docx"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class ExtensionRequest(models.Model):
    """申请延期: the lead unit asks for a new deadline with a reason; the office approves or rejects."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="extension_requests")
    unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("延期理由"))
    old_deadline = models.DateField(_("原时限"), null=True, blank=True)
    new_deadline = models.DateField(_("申请延至"))
    status = models.CharField(_("状态"), max_length=20, choices=ExtensionStatus.choices,
                              default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(_("审批意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["task"], condition=models.Q(status="pending"),
                                    name="extension_one_pending_per_task"),
        ]


class CloseEvidence(models.Model):
    """佐证材料 attached to a completion request (a progress report with ``request_close``)."""

    report = models.OneToOneField("tasks.ProgressReport", on_delete=models.PROTECT, related_name="close_evidence")
    text = models.TextField(_("佐证说明"), blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_path = models.CharField(max_length=255, blank=True)  # relative to DATA_DIR
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class NotificationDispatch(models.Model):
    """Marks a notification whose deliveries were queued, so the enqueue pass sees each one once (insert-first,
    unique) even when several workers run it."""

    notification = models.OneToOneField("core.Notification", on_delete=models.PROTECT, related_name="+")
    delivery_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("失败待重试")
    DEAD = "dead", _("已放弃")


class Delivery(models.Model):
    """One message over one channel to one target. ``group_key`` lets several notifications that say the same
    thing to the same group (three staff of one unit) share one webhook post."""

    notification = models.ForeignKey("core.Notification", on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=30)
    target = models.CharField(max_length=500)
    group_key = models.CharField(max_length=80)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.TextField(blank=True)
    claimed_by = models.CharField(max_length=80, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]
        constraints = [models.UniqueConstraint(fields=["channel", "target", "group_key"], name="delivery_once")]


class DeadlineChange(models.TextChoices):
    NONE = "", _("无")
    PENDING = "pending", _("待督查室确认")
    CONFIRMED = "confirmed", _("已确认")
    DECLINED = "declined", _("未采纳")


class LeaderComment(models.Model):
    """A leader's 批示/圈阅 on a task. It may propose a deadline (set one, or an earlier one); the deadline changes
    only when the supervision office confirms it (``deadline_status``)."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="leader_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("批示内容"))
    proposed_deadline = models.DateField(_("批示时限"), null=True, blank=True)
    deadline_status = models.CharField(max_length=10, choices=DeadlineChange.choices, blank=True, default="")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    @property
    def proposed_deadline_warning(self) -> str:
        """The workday check of a task's deadline (``duban.tasks.models.deadline_warning``) on the proposed one,
        said before the office confirms it."""
        from duban.tasks.models import deadline_warning

        return deadline_warning(self.proposed_deadline)


class TaskWatch(models.Model):
    """A leader's 重点关注 mark on a task. Unmarking keeps the row (``active`` false): when a task was watched is
    part of the record."""

    task = models.ForeignKey("tasks.Task", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "task"], name="task_watch_once")]


class PersonContact(models.Model):
    """Where messages reach one person (their mobile number, 企业微信 userid, 钉钉 userid) and what they want: which
    kinds of notice (empty: all), over which person channels (empty: all bound), and whether to hold messages on
    non-working days (per the official calendar) until the next working morning. Set by the person on their account
    page or by the sysadmin."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact")
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    wecom_userid = models.CharField(_("企业微信账号"), max_length=64, blank=True)
    dingtalk_userid = models.CharField(_("钉钉账号"), max_length=64, blank=True)
    kinds = models.JSONField(default=list, blank=True)  # notification kinds wanted; [] means all
    channels = models.JSONField(default=list, blank=True)  # person channel names wanted; [] means all bound
    quiet_non_working_days = models.BooleanField(_("节假日免打扰"), default=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
