"""A meeting whose decisions are supervised, with the exact text it was extracted from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONFIRMED = "confirmed", _("已确认")
    WITHDRAWN = "withdrawn", _("已撤销")


class Meeting(models.Model):
    title = models.CharField(_("会议名称"), max_length=200)
    body = models.CharField(_("会议类型"), max_length=100, blank=True)
    date = models.DateField(_("会议日期"), null=True, blank=True)
    date_text = models.CharField(_("原文日期"), max_length=20, blank=True)  # "09-29" when the year is unknown
    presider = models.CharField(_("主持人"), max_length=50, blank=True)
    presider_title = models.CharField(_("主持人职务"), max_length=50, blank=True)
    reports_heard = models.JSONField(_("听取汇报"), default=list, blank=True)
    source_text = models.TextField(_("原文"))
    source_name = models.CharField(_("来源文件"), max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    encoding = models.CharField(max_length=20, blank=True)
    extraction = models.JSONField(default=dict, blank=True)  # the draft as extracted, kept for comparison
    status = models.CharField(_("状态"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("会议")
        verbose_name_plural = _("会议")

    def __str__(self) -> str:
        return self.title


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("识别中")
    DONE = "done", _("待校对")
    FAILED = "failed", _("识别失败")
    CANCELLED = "cancelled", _("已取消")
    IMPORTED = "imported", _("已导入")


class ScanJob(models.Model):
    """A scanned or photographed communique waiting for text recognition (OCR), which the worker runs; the clerk
    then checks the recognised text against the image before it is imported as a draft meeting. The upload is
    kept in the row itself (bounded by the upload limit), so it is backed up and restored with the database."""

    filename = models.CharField(_("文件名"), max_length=255)
    data = models.BinaryField()
    kind = models.CharField(max_length=10)  # pdf, png, jpeg, tiff
    year = models.PositiveIntegerField(_("会议年份"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ScanStatus.choices, default=ScanStatus.QUEUED)
    pages_total = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    text = models.TextField(_("识别结果"), blank=True)
    error = models.CharField(max_length=500, blank=True)
    meeting = models.ForeignKey(Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="scanjob_status_idx")]

    @property
    def is_open(self) -> bool:
        return self.status in (ScanStatus.QUEUED, ScanStatus.RUNNING)
class ResponsibilityVersion(models.Model):
    """One version of the responsibility list (职责清单) that suggests lead and cooperating units: the whole list
    as ``entries`` (each ``name``, ``full_name``, ``aliases``, ``keywords``, ``areas``, as in the TOML format).
    The newest row is in force; older rows are the history. Before the first row, the TOML file
    (``DUBAN_UNITS_FILE`` or the packaged one) is the seed."""

    entries = models.JSONField(default=list)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("职责清单版本")
        verbose_name_plural = _("职责清单版本")
