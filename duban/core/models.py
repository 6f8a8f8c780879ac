"""Units, people and their roles, areas of work, the audit trail and notifications.

Business records are never deleted: units are deactivated, everything else is withdrawn or archived by actions.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SYSADMIN = "sysadmin", _("系统管理员")
    SUPERVISOR = "supervisor", _("督查室")
    LEADER = "leader", _("领导")
    UNIT_ADMIN = "unit_admin", _("单位管理员")
    UNIT_STAFF = "unit_staff", _("单位经办人")
    # A unit's own supervision office (a district's 督查室): a unit role that also supervises the sub-tasks its unit
    # issued (分解下达), while the city's office (SUPERVISOR) supervises everything.
    UNIT_SUPERVISOR = "unit_supervisor", _("本级督查室")


OFFICE_ROLES = frozenset({Role.SYSADMIN, Role.SUPERVISOR, Role.LEADER})
UNIT_ROLES = frozenset({Role.UNIT_ADMIN, Role.UNIT_STAFF, Role.UNIT_SUPERVISOR})


class Unit(models.Model):
    """An office or department (单位). ``path`` is the chain of ancestor ids ("/1/7/12/") so that "this unit and
    every unit under it" is one indexed prefix query instead of a recursive walk."""

    name = models.CharField(_("名称"), max_length=100, unique=True)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    aliases = models.JSONField(_("别名"), default=list, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    head_name = models.CharField(_("负责人"), max_length=50, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), blank=True)
    webhook_url = models.URLField(_("群机器人地址"), blank=True, max_length=500)
    webhook_kind = models.CharField(_("群机器人类型"), max_length=20, blank=True,
                                    choices=[("wecom", "企业微信"), ("dingtalk", "钉钉")])
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)
    # a node of the tree that only groups units (县直部门, 乡镇): never a lead or cooperating unit of a task
    is_group = models.BooleanField(_("仅用于分组"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("单位")
        verbose_name_plural = _("单位")

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What duban knows of a login: the unit it works for and its role there."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="profile")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("电话"), max_length=50, blank=True)
    must_change_password = models.BooleanField(default=True)
    password_changed_at = models.DateTimeField(null=True, blank=True)
    # the hashes of the last passwords (newest first), none of which may be chosen again
    password_history = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("用户资料")
        verbose_name_plural = _("用户资料")
        constraints = [
            models.CheckConstraint(
                condition=(~models.Q(role__in=["unit_admin", "unit_staff", "unit_supervisor"])
                           | models.Q(unit__isnull=False)),
                name="profile_unit_role_has_unit",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.user.get_username()


class Area(models.Model):
    """An area of work (工作领域) such as 安全生产; the list is configurable."""

    name = models.CharField(_("名称"), max_length=50, unique=True)
    sort_order = models.IntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("工作领域")
        verbose_name_plural = _("工作领域")

    def __str__(self) -> str:
        return self.name


class AuditEvent(models.Model):
    """One row per change, append-only. ``event_type`` numbers come from ``duban.core.audit.EventType`` and are
    never reused. Rows are hash-chained: ``chain_hash`` covers this row's content and the previous row's hash, so
    ``duban audit verify`` finds a row edited behind the application's back."""

    event_type = models.PositiveIntegerField(db_index=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    target_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    target_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey("meetings.Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events")
    report = models.ForeignKey("tasks.ProgressReport", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    extra = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    backfilled = models.BooleanField(default=False)
    prev_hash = models.CharField(max_length=64, default="")
    chain_hash = models.CharField(max_length=64, default="")
    # which secret keyed ``chain_hash`` (settings.DUBAN_AUDIT_KEYS); "" for rows written before keys existed
    key_id = models.CharField(max_length=32, default="", blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["task", "id"], name="audit_task_idx")]

    def content_digest(self, prev_hash: str) -> str:
        """The hash this row must carry given the previous row's hash."""
        return event_digest(self.pk, self.event_type, self.created_at, self.actor_id, self.unit_id,
                            self.target_user_id, self.target_unit_id, self.meeting_id, self.task_id, self.report_id,
                            self.extra, self.ip_address, self.backfilled, prev_hash, key_id=self.key_id)


class UnknownAuditKey(KeyError):
    """A row names a key id that ``DUBAN_AUDIT_KEYS`` no longer holds: it cannot be verified."""


def event_digest(pk, event_type, created_at, actor_id, unit_id, target_user_id, target_unit_id, meeting_id, task_id,
                 report_id, extra, ip_address, backfilled, prev_hash, /, key_id: str = "") -> str:
    """The chain hash of an audit event from its stored values (``AuditEvent.content_digest``); also called on
    plain values by the bulk writers, which build no model object. With a ``key_id`` it is an HMAC-SHA256 under
    that key from ``settings.DUBAN_AUDIT_KEYS`` (kept outside the database), so whoever can write the table cannot
    recompute a valid chain; the key id is part of the keyed content. Without one (rows from before keys) it is
    the plain SHA-256 of the same content."""
    return event_hasher(key_id)(pk, event_type, created_at, actor_id, unit_id, target_user_id, target_unit_id,
                                meeting_id, task_id, report_id, extra, ip_address, backfilled, prev_hash)


def event_hasher(key_id: str = ""):
    """``event_digest`` for one key, as a function of the same values: the key is looked up and the keyed HMAC
    state built once, then copied for each row (a bulk writer hashing ten million rows saves a key schedule per
    row)."""
    # json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str), its encoder made once
    encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode
    if key_id:
        try:
            key = settings.DUBAN_AUDIT_KEYS[key_id]
        except KeyError:
            raise UnknownAuditKey(key_id) from None
        keyed = hmac.new(key.encode("utf-8"), digestmod=hashlib.sha256)

        def new_hash(data: bytes):
            h = keyed.copy()
            h.update(data)
            return h
    else:
        new_hash = hashlib.sha256

    def digest(pk, event_type, created_at, actor_id, unit_id, target_user_id, target_unit_id, meeting_id, task_id,
               report_id, extra, ip_address, backfilled, prev_hash, /) -> str:
        values = [pk, event_type, created_at.isoformat(), actor_id, unit_id, target_user_id, target_unit_id,
                  meeting_id, task_id, report_id, extra, ip_address, backfilled, prev_hash]
        if key_id:
            values.append(key_id)
        return new_hash(encode(values).encode("utf-8")).hexdigest()

    return digest


class AuditChainHead(models.Model):
    """A single row whose lock serializes writers of the hash chain (PostgreSQL row lock; SQLite's IMMEDIATE
    transactions serialize writers anyway)."""

    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")


class Notification(models.Model):
    """A message to one person (in-app, and the outbox for email and webhooks). Written by actions inside their
    transaction, so a rolled-back change tells nobody."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    task = models.ForeignKey("tasks.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once when made."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)  # null: tokens made before expiry existed


class LoginFailureTally(models.Model):
    """Failed sign-ins of one username from one address not yet written to the audit trail: a burst of attempts
    (a locked account hammered from outside) becomes one audit row a minute with its count, not a row each."""

    username = models.CharField(max_length=150)
    ip_address = models.CharField(max_length=45, default="", blank=True)  # "" when unknown (unique with NULL fails)
    unreported = models.PositiveIntegerField(default=0)
    last_reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["username", "ip_address"], name="login_failure_tally_uniq")]


class DocumentSettings(models.Model):
    """How the office's documents (the meeting briefing, the 督查通报) name their issuer, one version a row: the
    latest is in force, earlier ones stay as the record of who changed what. Set by the system administrator on
    /reports/document-settings/ (``actions.document_settings_set``); read by every document (``selectors.letterhead``); until the first row exists, the DUBAN_DOC_* settings stand."""

    issuer = models.CharField(_("发文机关"), max_length=60)
    number_code = models.CharField(_("发文机关代字"), max_length=20)
    red_header = models.BooleanField(_("使用红头（版头）"), default=False)
    addressee = models.CharField(_("主送机关"), max_length=200)
    cc = models.CharField(_("抄送机关"), max_length=300, blank=True)
    printed_by = models.CharField(_("印发机关"), max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("公文设置")
        verbose_name_plural = _("公文设置")
