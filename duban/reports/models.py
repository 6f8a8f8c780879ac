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
