"""What reporting keeps: ledger imports (for idempotent re-imports) and the secret tokens of calendar feeds."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerImport(models.Model):
    """One accepted upload of an .xlsx ledger (a no-op re-import is audited but leaves no row here)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    created_count = models.PositiveIntegerField(_("新建事项数"), default=0)
    skipped_count = models.PositiveIntegerField(_("已存在跳过数"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")


class ImportedRow(models.Model):
    """A ledger row that became a task. ``key`` is the SHA-256 of the normalised (事项, 牵头单位, 时限), so the
    same line imported again (from this file or a re-saved copy) is recognised and creates nothing."""

    ledger_import = models.ForeignKey(LedgerImport, on_delete=models.PROTECT, related_name="imported_rows")
    row_number = models.PositiveIntegerField()
    key = models.CharField(max_length=64, unique=True)
    task = models.OneToOneField("tasks.Task", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]


class CalendarToken(models.Model):
    """The secret in a person's iCalendar feed URL. Rotating replaces it; the old URL then answers 404."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_token")
    token = models.CharField(max_length=64, unique=True)  # the SHA-256 of the feed URL's secret
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)


class ScoreRuleSet(models.Model):
    """One version of the evaluation (考评) rules, in force for tasks closed from ``effective_from`` until the day
    a later version takes over. Never edited: a change is a new version, so every stored score can be explained
    by the rules that made it."""

    effective_from = models.DateField(_("生效日期"))
    on_time = models.DecimalField(_("按期办结得分"), max_digits=6, decimal_places=1)
    per_overdue_workday = models.DecimalField(_("每逾期1个工作日扣分"), max_digits=6, decimal_places=1)
    per_return = models.DecimalField(_("每退回1次扣分"), max_digits=6, decimal_places=1)
    floor = models.DecimalField(_("最低分"), max_digits=6, decimal_places=1)
    per_early_workday = models.DecimalField(_("每提前1个工作日加分"), max_digits=6, decimal_places=1, default=0)
    max_early_bonus = models.DecimalField(_("提前办结加分上限"), max_digits=6, decimal_places=1, default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from", "-id"]
        verbose_name = _("考评规则")
        verbose_name_plural = _("考评规则")


class ScoreAdjustment(models.Model):
    """A manual 加减分 for a unit (optionally on one of its tasks), with its reason and author; counted in the
    ranking of the period that contains ``on``."""

    unit = models.ForeignKey("core.Unit", on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("分值"), max_digits=5, decimal_places=1)
    reason = models.CharField(_("理由"), max_length=200)
    on = models.DateField(_("计入日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]
        indexes = [models.Index(fields=["on", "unit"], name="score_adjust_on_unit_idx")]
        verbose_name = _("考评加减分")
        verbose_name_plural = _("考评加减分")


class DocumentNumber(models.Model):
    """A 发文字号 given to one of the office's documents (the meeting briefing, the 督查通报): numbers run in one
    sequence per year and issuing office (``scope``: 0 for the office, else the unit whose subtree a level's own
    documents cover), whatever the kind, so no two documents share one. A document is the same one downloaded again
    when its kind, subject (``meeting:<id>`` for a briefing, empty for the 督查通报 over every task) and date
    (``day``: its 成文日期, the day its figures run to) are: it keeps its number rather than using up a new one."""

    scope = models.IntegerField(default=0)
    year = models.IntegerField()
    serial = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    subject = models.CharField(max_length=100, blank=True)
    day = models.DateField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scope", "year", "serial"]
        constraints = [
            models.UniqueConstraint(fields=["scope", "year", "serial"], name="document_number_unique_serial"),
            models.UniqueConstraint(fields=["scope", "kind", "subject", "day"], name="document_number_once_a_day"),
        ]
        verbose_name = _("发文字号")
        verbose_name_plural = _("发文字号")
