"""Changes to units, people, tokens and notifications."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.audit import EventType, audit_log
from duban.core.errors import InvalidInput, NotFound, PermissionDenied
from duban.core.models import ApiToken, LoginFailureTally, Notification, Profile, Role, Unit
from duban.core.rules import check_text
from duban.core.txn import durable_action


def _can_manage_org(actor) -> bool:
    return perms.role_of(actor) == Role.SYSADMIN or getattr(actor, "username", None) == "duban-system"


def unit_create_in_txn(*, actor, name: str, parent: Unit | None = None, short_name: str = "",
                       aliases: list[str] | None = None, sort_order: int = 0, **contacts) -> Unit:
    if not _can_manage_org(actor):
        raise PermissionDenied()
    if not name.strip():
        raise InvalidInput("单位名称不能为空", "the unit name must not be empty")
    unit = Unit(name=name.strip(), parent=parent, short_name=short_name, aliases=aliases or [],
                sort_order=sort_order, **contacts)
    unit.full_clean(exclude=["parent", "path"])
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    audit_log(actor=actor, event_type=EventType.UNIT_CREATED, target_unit=unit, unit=unit,
              extra={"name": unit.name, "parent_id": parent.pk if parent else None})
    return unit


@durable_action
def unit_create(*, actor, **fields) -> Unit:
    """Sysadmins (and set-up, as the system actor) add a unit. Event UNIT_CREATED."""
    return unit_create_in_txn(actor=actor, **fields)


def user_create_in_txn(*, actor, username: str, password: str, role: str, unit: Unit | None = None,
                       display_name: str = "", email: str = "", must_change_password: bool = True):
    if not _can_manage_org(actor):
        raise PermissionDenied()
    if role not in Role.values:
        raise InvalidInput("未知角色", "unknown role")
    if role in (Role.UNIT_ADMIN, Role.UNIT_STAFF) and unit is None:
        raise InvalidInput("单位用户必须属于一个单位", "a unit user needs a unit")
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise InvalidInput("用户名已存在", "the username is taken")
    user = User(username=username, email=email, first_name=display_name)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("；".join(exc.messages), "the password does not meet the policy") from None
    user.set_password(password)
    user.save()
    Profile.objects.create(user=user, unit=unit, role=role, display_name=display_name,
                           must_change_password=must_change_password)
    audit_log(actor=actor, event_type=EventType.USER_CREATED, target_user=user, unit=unit,
              extra={"username": username, "role": role})
    return user


@durable_action
def user_create(*, actor, **fields):
    """Sysadmins add a person with a role in a unit. Event USER_CREATED. New users must change the password."""
    return user_create_in_txn(actor=actor, **fields)


@durable_action
def user_change_password(*, actor, old_password: str, new_password: str, ip_address: str | None = None) -> None:
    """Anyone changes their own password. Event USER_PASSWORD_CHANGED."""
    if not actor.check_password(old_password):
        raise InvalidInput("原密码不正确", "the current password is wrong")
    if old_password == new_password:
        raise InvalidInput("新密码不能与原密码相同", "the new password must differ from the old one")
    try:
        password_validation.validate_password(new_password, actor)
    except ValidationError as exc:
        raise InvalidInput("；".join(exc.messages), "the password does not meet the policy") from None
    from django.conf import settings
    from django.contrib.auth.hashers import check_password

    keep = settings.DUBAN_PASSWORD_HISTORY
    profile = Profile.objects.select_for_update().filter(user=actor).first()
    history = list(profile.password_history if profile else [])[: max(keep - 1, 0)]
    if any(check_password(new_password, old_hash) for old_hash in history):
        raise InvalidInput(f"新密码不能与最近 {keep} 次使用过的密码相同",
                           f"the new password must differ from the last {keep} passwords")
    previous_hash = actor.password
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    Profile.objects.filter(user=actor).update(must_change_password=False, password_changed_at=timezone.now(),
                                              password_history=[previous_hash, *history][: max(keep - 1, 0)])
    audit_log(actor=actor, event_type=EventType.USER_PASSWORD_CHANGED, target_user=actor, ip_address=ip_address)


@durable_action
def user_record_login(*, actor, ip_address: str | None) -> None:
    """Every successful login is audited with its address. Event USER_LOGGED_IN."""
    audit_log(actor=actor, event_type=EventType.USER_LOGGED_IN, target_user=actor, ip_address=ip_address)


@durable_action
def user_record_logout(*, actor, ip_address: str | None) -> None:
    """Event USER_LOGGED_OUT."""
    audit_log(actor=actor, event_type=EventType.USER_LOGGED_OUT, target_user=actor, ip_address=ip_address)


@durable_action
def user_record_login_failure(*, username: str, ip_address: str | None, locked: bool = False) -> None:
    """A failed login is audited as the system actor with the username tried. Event USER_LOGIN_FAILED.

    Attempts refused because the account (from this address) or the address is locked are a burst, not events
    each: they are counted per username and address, and one USER_LOGIN_FAILURES row a minute carries the count
    since the previous one (a client hammering a locked account writes one row a minute, not one a request)."""
    from django.conf import settings

    from duban.core.audit import system_actor

    username = username[:150]
    target = get_user_model().objects.filter(username=username).first()
    if not locked:
        audit_log(actor=system_actor(), event_type=EventType.USER_LOGIN_FAILED, target_user=target,
                  ip_address=ip_address, extra={"username": username})
        return
    now = timezone.now()
    tally, _ = LoginFailureTally.objects.select_for_update().get_or_create(username=username,
                                                                           ip_address=ip_address or "")
    window = timedelta(seconds=settings.DUBAN_LOGIN_AUDIT_BURST_SECONDS)
    if tally.last_reported_at is not None and now - tally.last_reported_at < window:
        LoginFailureTally.objects.filter(pk=tally.pk).update(unreported=F("unreported") + 1)
        return
    count = tally.unreported + 1
    LoginFailureTally.objects.filter(pk=tally.pk).update(unreported=0, last_reported_at=now)
    audit_log(actor=system_actor(), event_type=EventType.USER_LOGIN_FAILURES, target_user=target,
              ip_address=ip_address, extra={"username": username, "count": count, "locked": True})


def api_token_digest(token: str) -> str:
    """What is stored of a token (and looked up by): its SHA-256. A token is 256 random bits, so a fast hash
    suffices; the database never holds a usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


@durable_action
def api_token_create(*, actor, name: str, via_token: bool = False, days: int | None = None) -> str:
    """A signed-in person makes an API token for themselves, valid ``days`` (default ``DUBAN_API_TOKEN_DAYS``);
    the plain token is returned once and only its hash is kept. Not with a token, and not before the initial
    password is changed. Event API_TOKEN_CREATED."""
    from django.conf import settings

    if not perms.can_create_api_token(actor, via_token=via_token):
        if via_token:
            raise PermissionDenied("API 令牌不能用于生成新令牌，请在网页上生成",
                                   "an API token cannot create tokens; make one on the web page")
        raise PermissionDenied("请先修改初始密码，再生成 API 令牌", "change the initial password before making a token")
    days = settings.DUBAN_API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= 366:
        raise InvalidInput("令牌有效期应在1到366天之间", "a token is valid for 1 to 366 days")
    name = check_text((name or "").strip()[:100] or "token", label_zh="令牌用途", label_en="token name",
                      max_length=100, single_line=True)
    token = "dbn_" + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(user=actor, name=name, key_hash=api_token_digest(token),
                                  expires_at=timezone.now() + timedelta(days=days))
    audit_log(actor=actor, event_type=EventType.API_TOKEN_CREATED, target_user=actor,
              extra={"token_id": row.pk, "name": row.name, "expires_at": row.expires_at.isoformat()})
    return token


@durable_action
def api_token_revoke(*, actor, token_id: int) -> ApiToken:
    """The owner (or a sysadmin) stops a token at once; revoking twice changes nothing and is not audited
    again. Event API_TOKEN_REVOKED."""
    row = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if row is None or not perms.can_revoke_api_token(actor, row):
        raise NotFound()
    if row.revoked_at is None:
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit_log(actor=actor, event_type=EventType.API_TOKEN_REVOKED, target_user=row.user,
                  extra={"token_id": row.pk, "name": row.name})
    return row


def notification_mark_read(*, actor, notification_ids: list[int] | None = None) -> int:
    """Reading a notification is the recipient's own business and not audited; returns how many changed."""
    qs = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
