"""Changes to units, people, tokens and notifications."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from duban.core import permissions as perms
from duban.core.audit import EventType, audit_log
from duban.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from duban.core.models import (UNIT_ROLES, ApiToken, Area, DocumentSettings, LoginFailureTally, Notification, Profile,
                               Role, Unit)
from duban.core.rules import check_mobile, check_phone, check_text
from duban.core.unit_signals import unit_merging, unit_retiring
from duban.core.txn import durable_action


def _can_manage_org(actor) -> bool:
    return perms.role_of(actor) == Role.SYSADMIN or getattr(actor, "username", None) == "duban-system"


def unit_names_free(names: list[str], *, unit_pk: int | None = None) -> None:
    """The one rule for what a unit is called: none of ``names`` (a name or aliases, trimmed) may be the name or
    an alias of another unit (active or not: communiques name old units too), so a name in a communique points to
    one unit. ``InvalidInput`` names the unit that has it. Used when a unit is added, renamed or its aliases edited."""
    wanted = {n for n in names if n}
    if not wanted:
        return
    for pk, name, aliases in Unit.objects.exclude(pk=unit_pk).values_list("pk", "name", "aliases"):
        taken = wanted & {name, *(aliases or [])}
        if taken:
            clash = sorted(taken)[0]
            raise InvalidInput(f"“{clash}”已是单位“{name}”的名称或别名，不能重复使用",
                               f"“{clash}” is already the name or an alias of the unit “{name}”")


def _clean_aliases(aliases, name: str) -> list[str]:
    """Aliases trimmed, without blanks, repeats or the unit's own name, in the order given."""
    seen: list[str] = []
    for alias in aliases or []:
        alias = check_text(str(alias).strip(), label_zh="别名", label_en="alias", max_length=100, single_line=True)
        if alias and alias != name and alias not in seen:
            seen.append(alias)
    return seen


def unit_create_in_txn(*, actor, name: str, parent: Unit | None = None, short_name: str = "",
                       aliases: list[str] | None = None, sort_order: int = 0, **contacts) -> Unit:
    if not _can_manage_org(actor):
        raise PermissionDenied()
    name = check_text((name or "").strip(), label_zh="单位名称", label_en="unit name", max_length=100,
                      single_line=True)
    if not name:
        raise InvalidInput("单位名称不能为空", "the unit name must not be empty")
    aliases = _clean_aliases(aliases, name)
    unit_names_free([name, *aliases])
    unit = Unit(name=name, parent=parent, short_name=(short_name or "").strip(), aliases=aliases,
                sort_order=sort_order, **contacts)
    _unit_clean(unit, exclude=["parent", "path", "name"])
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


class _Fields:
    """Refusals gathered field by field, so a form hears every problem at once: ``check`` runs one rule and keeps
    its ``InvalidInput`` under the field's name; ``raise_any`` raises one ``InvalidInput`` listing them all (Chinese,
    then English; ``details`` maps each field to its message)."""

    def __init__(self):
        self.errors: dict[str, InvalidInput] = {}

    def check(self, field: str, rule, *args, **kwargs):
        try:
            return rule(*args, **kwargs)
        except InvalidInput as exc:
            self.errors.setdefault(field, exc)
            return None

    def refuse(self, field: str, message_zh: str, message_en: str) -> None:
        self.errors.setdefault(field, InvalidInput(message_zh, message_en))

    def raise_any(self) -> None:
        if self.errors:
            found = self.errors.values()
            raise InvalidInput("；".join(e.message_zh for e in found), "; ".join(e.message_en for e in found),
                               details={k: e.message for k, e in self.errors.items()})


def check_display_name(value: str) -> str:
    """A person's 姓名: required, one line, at most 50 characters."""
    value = check_text((value or "").strip(), label_zh="姓名", label_en="name", max_length=50, single_line=True)
    if not value:
        raise InvalidInput("请填写姓名", "the name is required")
    return value


def _check_email(user) -> None:
    try:
        user.clean_fields(exclude=[f.name for f in user._meta.fields if f.name != "email"])
    except ValidationError:
        raise InvalidInput("邮箱格式不正确", "the email address is not valid") from None


def _check_username(username: str, user) -> None:
    """An account name: required, letters, digits and @.+-_ (Django's rule), not taken in any letter case."""
    if not username:
        raise InvalidInput("请填写账号", "the username is required")
    try:
        user.clean_fields(exclude=[f.name for f in user._meta.fields if f.name != "username"])
    except ValidationError:
        raise InvalidInput("账号只能包含字母、数字和 @ . + - _，且不超过150个字符",
                           "the username may contain only letters, digits and @ . + - _ (at most 150)") from None
    if get_user_model().objects.filter(username__iexact=username).exists():
        raise InvalidInput("账号已存在（不区分大小写）", "the username is taken (letter case aside)")


def user_create_in_txn(*, actor, username: str, password: str | None, role: str, unit: Unit | None = None,
                       display_name: str = "", email: str = "", phone: str = "", must_change_password: bool = True):
    if role not in Role.values:
        raise InvalidInput("未知角色", "unknown role")
    if not (_can_manage_org(actor) or perms.can_give_role(actor, role, unit)):
        raise PermissionDenied()
    fields = _Fields()
    display_name = fields.check("display_name", check_display_name, display_name) or ""
    username = (username or "").strip()
    email = (email or "").strip()
    user = get_user_model()(username=username, email=email, first_name=display_name)
    fields.check("username", _check_username, username, user)
    phone = fields.check("phone", check_mobile, phone) or ""
    fields.check("email", _check_email, user)
    if role in UNIT_ROLES and unit is None:
        fields.refuse("unit", "单位用户必须属于一个单位", "a unit user needs a unit")
    if password is None:  # imported: no one can sign in until an admin resets the password and hands it over
        user.set_unusable_password()
    else:
        fields.check("password", _validate_password, password, user)
        user.set_password(password)
    fields.raise_any()
    user.save()
    Profile.objects.create(user=user, unit=unit, role=role, display_name=display_name, phone=phone,
                           must_change_password=must_change_password)
    audit_log(actor=actor, event_type=EventType.USER_CREATED, target_user=user, unit=unit,
              extra={"username": username, "role": role, "unit_id": unit.pk if unit else None})
    return user


def _validate_password(password: str, user) -> None:
    """The password policy (``AUTH_PASSWORD_VALIDATORS``): every rule it breaks, in Chinese and in English."""
    from duban.core.passwords import english_of

    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("；".join(exc.messages), "; ".join(english_of(e) for e in exc.error_list)) from None


@durable_action
def user_create(*, actor, **fields):
    """Sysadmins add a person with any role; unit admins add unit staff and unit admins in their own unit or a
    unit under it. Event USER_CREATED. New users must change the password at first sign-in."""
    return user_create_in_txn(actor=actor, **fields)


@durable_action
def user_change_password(*, actor, old_password: str, new_password: str, ip_address: str | None = None) -> None:
    """Anyone changes their own password. Event USER_PASSWORD_CHANGED."""
    if not actor.check_password(old_password):
        raise InvalidInput("原密码不正确", "the current password is wrong")
    if old_password == new_password:
        raise InvalidInput("新密码不能与原密码相同", "the new password must differ from the old one")
    _validate_password(new_password, actor)
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


# --- administration of people -------------------------------------------------------------------------------

def _managed_person(actor, user_id: int):
    """The person ``actor`` may manage, locked for the change; missing and out of scope alike are ``NotFound``,
    so a unit admin learns nothing about another unit's people."""
    if not perms.can_manage_people(actor):
        raise PermissionDenied()
    user = perms.people_manageable_by(actor).select_related("profile", "profile__unit").filter(pk=user_id).first()
    if user is None:
        raise NotFound()
    return user


def _not_self(actor, user, what_zh: str, what_en: str) -> None:
    if user.pk == actor.pk:
        raise InvalidInput(f"不能{what_zh}自己的账号", f"you cannot {what_en} your own account")


def _bump_profile(profile: Profile, version: int | None, **changes) -> None:
    """Write ``changes`` to the profile if nobody changed it since ``version`` (None: the caller read it just now
    inside this transaction)."""
    expected = profile.version if version is None else version
    updated = Profile.objects.filter(pk=profile.pk, version=expected).update(version=F("version") + 1, **changes)
    if not updated:
        raise Conflict("此人的资料已被他人修改，请刷新后重试", "the person was changed by someone else; reload")


USER_EDITABLE = ("display_name", "phone", "email", "role")


@durable_action
def user_update(*, actor, user_id: int, version: int, changes: dict):
    """The sysadmin, or a unit admin for people of their subtree, edits name, phone, email and role. A unit admin
    may give only unit roles. Event USER_UPDATED (``extra.old``/``extra.new``); nobody is told."""
    return user_update_in_txn(actor=actor, user_id=user_id, version=version, changes=changes)


def user_update_in_txn(*, actor, user_id: int, version: int | None, changes: dict):
    """``user_update`` joining the caller's transaction (the people import); ``version`` None: as read now."""
    user = _managed_person(actor, user_id)
    profile = user.profile
    unknown = set(changes) - set(USER_EDITABLE)
    if unknown:
        raise InvalidInput("不能修改这些字段：" + "、".join(sorted(unknown)), "fields not editable here")
    old = {"display_name": profile.display_name, "phone": profile.phone, "email": user.email, "role": profile.role}
    new = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items() if old.get(k) != v}
    fields = _Fields()  # the same rules as on adding a person, every problem at once
    if "display_name" in new:
        new["display_name"] = fields.check("display_name", check_display_name, new["display_name"])
    if "phone" in new:
        new["phone"] = fields.check("phone", check_mobile, new["phone"])
    if "email" in new:
        user.email = new["email"]
        fields.check("email", _check_email, user)
    fields.raise_any()
    new = {k: v for k, v in new.items() if old.get(k) != v}
    if not new:
        return user
    role = new.get("role", profile.role)
    if role not in Role.values:
        raise InvalidInput("未知角色", "unknown role")
    if "role" in new and not perms.can_give_role(actor, role, profile.unit):
        raise PermissionDenied("无权授予该角色", "you may not give this role")
    if role in UNIT_ROLES and profile.unit is None:
        raise InvalidInput("单位用户必须属于一个单位", "a unit user needs a unit")
    if "role" in new:
        _not_self(actor, user, "修改", "change the role of")
    _bump_profile(profile, version, **{k: v for k, v in new.items() if k != "email"})
    get_user_model().objects.filter(pk=user.pk).update(email=user.email, first_name=new.get(
        "display_name", profile.display_name))
    audit_log(actor=actor, event_type=EventType.USER_UPDATED, target_user=user, unit=profile.unit,
              extra={"old": {k: old[k] for k in new}, "new": new})
    return user


@durable_action
def user_move(*, actor, user_id: int, version: int, unit_id: int):
    """Move a person to another unit (调动). Their past reports, audit events and tasks stay theirs, under the
    unit they were made in; from now on they work for the new unit. The sysadmin moves anyone anywhere; a unit
    admin only within their subtree. Event USER_MOVED (``extra.old_unit``/``new_unit``, ids and names)."""
    return user_move_in_txn(actor=actor, user_id=user_id, version=version, unit_id=unit_id)


def user_move_in_txn(*, actor, user_id: int, version: int | None, unit_id: int):
    """``user_move`` joining the caller's transaction (the people import)."""
    user = _managed_person(actor, user_id)
    profile = user.profile
    unit = Unit.objects.filter(pk=unit_id, is_active=True).first()
    if unit is None:
        raise InvalidInput("目标单位不存在或已停用", "the target unit does not exist or is inactive")
    if not perms.can_give_role(actor, profile.role, unit):
        raise NotFound()
    if profile.unit_id == unit.pk:
        return user
    old_unit = profile.unit
    _bump_profile(profile, version, unit=unit)
    audit_log(actor=actor, event_type=EventType.USER_MOVED, target_user=user, unit=unit, target_unit=unit,
              extra={"old_unit": {"id": old_unit.pk, "name": old_unit.name} if old_unit else None,
                     "new_unit": {"id": unit.pk, "name": unit.name}})
    return user


def _set_active(actor, user_id: int, active: bool):
    user = _managed_person(actor, user_id)
    _not_self(actor, user, "停用", "deactivate")
    if user.is_active == active:
        return user, False
    get_user_model().objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
    return user, True


@durable_action
def user_deactivate(*, actor, user_id: int, reason: str = ""):
    """Someone left: their login stops working at once (sessions and API tokens included: both check
    ``is_active``); the account and all it did stay. Never a delete. Event USER_DEACTIVATED; a second call
    changes nothing and writes nothing. A reason is required (the person's page shows it, with who and when)."""
    _managed_person(actor, user_id)
    reason = check_text((reason or "").strip(), label_zh="停用原因", label_en="reason", max_length=200,
                        single_line=True)
    if not reason:
        raise InvalidInput("请填写停用原因", "give the reason for deactivating")
    user, changed = _set_active(actor, user_id, False)
    if changed:
        audit_log(actor=actor, event_type=EventType.USER_DEACTIVATED, target_user=user, unit=user.profile.unit,
                  extra={"reason": reason})
    return user


@durable_action
def user_reactivate(*, actor, user_id: int):
    """Undo a deactivation. Event USER_REACTIVATED."""
    user, changed = _set_active(actor, user_id, True)
    if changed:
        audit_log(actor=actor, event_type=EventType.USER_REACTIVATED, target_user=user, unit=user.profile.unit)
    return user


@durable_action
def user_reset_password(*, actor, user_id: int) -> str:
    """Give a person a new random password, shown once to the admin; they must change it at their next
    sign-in. Also lifts a lockout, since the admin has just vouched for them. Event USER_PASSWORD_RESET."""
    user = _managed_person(actor, user_id)
    _not_self(actor, user, "重置", "reset the password of")
    password = _generated_password(user)
    user.set_password(password)
    get_user_model().objects.filter(pk=user.pk).update(password=user.password)
    _bump_profile(user.profile, None, must_change_password=True)
    unlocked = _axes_reset(user.username)
    audit_log(actor=actor, event_type=EventType.USER_PASSWORD_RESET, target_user=user, unit=user.profile.unit,
              extra={"lockout_cleared": unlocked})
    return password


def _generated_password(user) -> str:
    """A password easy to read out (``duban.core.passwords.readable_password``) that keeps the policy for ``user``."""
    from duban.core.passwords import readable_password

    while True:
        password = readable_password()
        try:
            password_validation.validate_password(password, user)
        except ValidationError:
            continue
        return password


def _axes_reset(username: str) -> int:
    from axes.utils import reset

    return reset(username=username)


@durable_action
def user_unlock(*, actor, user_id: int) -> int:
    """Lift a lockout after too many failed sign-ins (django-axes' own reset). Returns how many failure records
    were cleared; 0 means the account was not locked and nothing is written. Event USER_UNLOCKED."""
    user = _managed_person(actor, user_id)
    cleared = _axes_reset(user.username)
    if cleared:
        audit_log(actor=actor, event_type=EventType.USER_UNLOCKED, target_user=user, unit=user.profile.unit,
                  extra={"cleared": cleared})
    return cleared


@durable_action
def first_admin_create(*, username: str, password: str, display_name: str = "系统管理员"):
    """The first administrator of a fresh installation, made by the system actor (``duban createadmin``). Refused
    once an active sysadmin exists, so the command cannot be used to add a back door later. The password is the
    one chosen at the console; no change is forced. Event USER_CREATED (``extra.first_admin``)."""
    from duban.core.audit import system_actor

    if Profile.objects.filter(role=Role.SYSADMIN, user__is_active=True).exists():
        raise Conflict("已有系统管理员，请由其在“人员管理”中添加账号",
                       "an administrator exists already; add people through the administration pages")
    return user_create_in_txn(actor=system_actor(), username=username, password=password, role=Role.SYSADMIN,
                              display_name=display_name, must_change_password=False)


# --- administration of the unit tree ------------------------------------------------------------------------

def _managed_unit(actor, unit_id: int, version: int | None = None) -> Unit:
    if not perms.can_manage_units(actor):
        raise PermissionDenied()
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    if version is not None and unit.version != version:
        raise Conflict("该单位已被他人修改，请刷新后重试", "the unit was changed by someone else; reload")
    return unit


def _bump_unit(unit: Unit, **changes) -> None:
    if not Unit.objects.filter(pk=unit.pk, version=unit.version).update(version=F("version") + 1, **changes):
        raise Conflict("该单位已被他人修改，请刷新后重试", "the unit was changed by someone else; reload")


@durable_action
def unit_rename(*, actor, unit_id: int, version: int, name: str, short_name: str | None = None) -> Unit:
    """The sysadmin renames a unit (机构更名). The old name becomes an alias, so older communiques still name it
    and the extractor still finds it; the event keeps old and new names with the time of the change, so the
    name in force on any date can be told (``duban.core.selectors.unit_name_at``). Event UNIT_RENAMED."""
    unit = _managed_unit(actor, unit_id, version)
    name = name.strip()
    if not name:
        raise InvalidInput("单位名称不能为空", "the unit name must not be empty")
    check_text(name, label_zh="单位名称", label_en="unit name", max_length=100, single_line=True)
    unit_names_free([name], unit_pk=unit.pk)
    if name == unit.name and (short_name is None or short_name == unit.short_name):
        return unit
    aliases = [a for a in unit.aliases if a != name]
    if unit.name not in aliases:
        aliases.append(unit.name)
    changes = {"name": name[:100], "aliases": aliases}
    if short_name is not None:
        changes["short_name"] = short_name.strip()[:50]
    _bump_unit(unit, **changes)
    audit_log(actor=actor, event_type=EventType.UNIT_RENAMED, target_unit=unit, unit=unit,
              extra={"old": {"name": unit.name, "short_name": unit.short_name},
                     "new": {"name": changes["name"], "short_name": changes.get("short_name", unit.short_name)}})
    return Unit.objects.get(pk=unit.pk)


UNIT_CONTACT_FIELDS = ("short_name", "head_name", "contact_name", "contact_phone", "contact_email", "webhook_url",
                      "webhook_kind", "sort_order")
# what ``unit_update`` changes: the contacts, the aliases (a list; the name changes only by ``unit_rename``) and
# whether the unit only groups others (仅用于分组)
UNIT_EDITABLE = (*UNIT_CONTACT_FIELDS, "aliases", "is_group")


def _unit_clean(unit: Unit, *, exclude: list[str]) -> None:
    """The unit's fields in their formats (phone, email, robot address…), or ``InvalidInput`` naming the fields."""
    if unit.contact_phone:
        unit.contact_phone = check_phone(unit.contact_phone)
    if unit.webhook_url and not unit.webhook_kind:
        raise InvalidInput("请选择群机器人类型（企业微信或钉钉）", "choose the robot's kind (wecom or dingtalk)")
    try:
        unit.full_clean(exclude=exclude, validate_unique=False)
    except ValidationError as exc:
        fields = "、".join(str(unit._meta.get_field(k).verbose_name) for k in exc.message_dict if k != "__all__")
        raise InvalidInput(f"格式不正确：{fields}", "invalid values: " + ", ".join(exc.message_dict),
                           details=exc.message_dict) from None


@durable_action
def unit_update(*, actor, unit_id: int, version: int, changes: dict) -> Unit:
    """The sysadmin edits a unit's contacts and its channel targets: the group robot (``webhook_url`` of
    ``webhook_kind`` 企业微信/钉钉) that gets its people's notifications, and the contact email; and its aliases
    (a list: a wrong one can be taken off; none may belong to another unit, ``unit_names_free``). The name changes
    only through ``unit_rename``. Event UNIT_UPDATED (``extra.old``/``extra.new``)."""
    return unit_update_in_txn(actor=actor, unit_id=unit_id, version=version, changes=changes)


def unit_update_in_txn(*, actor, unit_id: int, version: int, changes: dict) -> Unit:
    """``unit_update`` joining the caller's transaction (the units import)."""
    unit = _managed_unit(actor, unit_id, version)
    unknown = set(changes) - set(UNIT_EDITABLE)
    if unknown:
        raise InvalidInput("不能修改这些字段：" + "、".join(sorted(unknown)), "fields not editable here")
    changes = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
    if "aliases" in changes:
        changes["aliases"] = _clean_aliases(changes["aliases"], unit.name)
    if "contact_phone" in changes:
        changes["contact_phone"] = check_phone(changes["contact_phone"])
    new = {k: v for k, v in changes.items() if getattr(unit, k) != v}
    if not new:
        return unit
    if "aliases" in new:  # those it has already (a merged unit's name among them) stay as they are
        unit_names_free([a for a in new["aliases"] if a not in unit.aliases], unit_pk=unit.pk)
    for key, value in new.items():
        setattr(unit, key, value)
    _unit_clean(unit, exclude=["parent", "path", "name"])
    old = Unit.objects.filter(pk=unit.pk).values(*new).get()
    _bump_unit(Unit(pk=unit.pk, version=version), **new)
    audit_log(actor=actor, event_type=EventType.UNIT_UPDATED, target_unit=unit, unit=unit,
              extra={"old": old, "new": new})
    return Unit.objects.get(pk=unit.pk)


@durable_action
def unit_merge(*, actor, unit_id: int, into_id: int, version: int) -> dict:
    """机构改革: the sysadmin merges a unit into another. Every task it leads moves to the new unit; where it
    cooperates the new unit cooperates instead; its people and sub-units move under the new unit; the old unit
    is deactivated, its name kept as an alias of the new one. Reports and notices it made stay its own (history).
    Event UNIT_MERGED (target: the old unit; ``extra`` lists the moved task, person and sub-unit ids).

    The tasks move by ``duban.core.unit_signals.unit_merging`` (the tasks app's receiver), sent in this transaction
    before anything else moves: the task rows are still written first, as before."""
    unit = _managed_unit(actor, unit_id, version)
    into = Unit.objects.filter(pk=into_id, is_active=True).first()
    if into is None:
        raise InvalidInput("合并目标单位不存在或已停用", "the unit to merge into does not exist or is inactive")
    if into.pk == unit.pk or into.path.startswith(unit.path):
        raise InvalidInput("不能并入自身或下属单位", "a unit cannot be merged into itself or a unit under it")
    if not unit.is_active:
        raise Conflict("该单位已停用", "the unit is inactive already")
    moved = {}
    for _receiver, answer in unit_merging.send(sender=Unit, actor=actor, unit=unit, into=into):
        moved.update(answer or {})
    member_ids = list(Profile.objects.filter(unit_id=unit.pk).values_list("user_id", flat=True))
    Profile.objects.filter(unit_id=unit.pk).update(unit_id=into.pk, version=F("version") + 1)
    child_ids = list(Unit.objects.filter(parent_id=unit.pk).values_list("pk", flat=True))
    Unit.objects.filter(parent_id=unit.pk).update(parent_id=into.pk)
    Unit.objects.filter(path__startswith=unit.path).exclude(pk=unit.pk).update(
        path=Concat(Value(into.path), Substr("path", len(unit.path) + 1)))
    Unit.objects.filter(pk=into.pk).update(aliases=[*into.aliases, *[a for a in [unit.name, *unit.aliases]
                                                                     if a not in into.aliases]],
                                           version=F("version") + 1)
    _bump_unit(unit, is_active=False)
    moved.update(member_ids=sorted(member_ids), child_unit_ids=sorted(child_ids))
    audit_log(actor=actor, event_type=EventType.UNIT_MERGED, target_unit=unit, unit=into,
              extra={"into": {"id": into.pk, "name": into.name}, "name": unit.name, **moved})
    return moved


@durable_action
def unit_deactivate(*, actor, unit_id: int, version: int) -> Unit:
    """The sysadmin retires an empty unit. A unit that still has open tasks, active people or active sub-units
    is refused with what is left (merge it instead). Event UNIT_DEACTIVATED. The apps above say what the unit
    still has there through ``duban.core.unit_signals.unit_retiring`` (the tasks app: its open tasks)."""
    unit = _managed_unit(actor, unit_id, version)
    if not unit.is_active:
        return unit
    left = [item for _receiver, answer in unit_retiring.send(sender=Unit, unit=unit) for item in answer or ()]
    if Profile.objects.filter(unit_id=unit.pk, user__is_active=True).exists():
        left.append(("在岗人员", "active people"))
    if Unit.objects.filter(parent_id=unit.pk, is_active=True).exists():
        left.append(("下属单位", "active sub-units"))
    if left:
        raise Conflict("该单位仍有" + "、".join(z for z, _ in left) + "，请先调整或合并",
                       "the unit still has " + ", ".join(e for _, e in left) + "; move or merge them first")
    _bump_unit(unit, is_active=False)
    audit_log(actor=actor, event_type=EventType.UNIT_DEACTIVATED, target_unit=unit, unit=unit,
              extra={"name": unit.name})
    return Unit.objects.get(pk=unit.pk)



# --- work areas (工作领域): the list the clerk classifies tasks by -------------------------------------------

def _area_name(name: str, *, area_pk: int | None = None) -> str:
    """The one rule for what an area is called: one line, 1-50 characters, not another area's name (active or not:
    a retired area's tasks still carry it)."""
    name = check_text((name or "").strip(), label_zh="领域名称", label_en="area name", max_length=50,
                      single_line=True)
    if not name:
        raise InvalidInput("领域名称不能为空", "the area name must not be empty")
    if Area.objects.filter(name=name).exclude(pk=area_pk).exists():
        raise InvalidInput(f"已有名为“{name}”的领域（含已停用的）", f"an area named {name} exists (perhaps retired)")
    return name


def _managed_area(actor, area_id: int) -> Area:
    if not perms.can_manage_units(actor):
        raise PermissionDenied()
    area = Area.objects.select_for_update().filter(pk=area_id).first()
    if area is None:
        raise NotFound()
    return area


@durable_action
def area_create(*, actor, name: str) -> Area:
    """The sysadmin adds a work area, placed last. Event AREA_CREATED."""
    if not perms.can_manage_units(actor):
        raise PermissionDenied()
    name = _area_name(name)
    last = Area.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
    area = Area.objects.create(name=name, sort_order=last + 1)
    audit_log(actor=actor, event_type=EventType.AREA_CREATED, extra={"area_id": area.pk, "name": name})
    return area


@durable_action
def area_rename(*, actor, area_id: int, name: str) -> Area:
    """The sysadmin renames a work area; its tasks follow (they hold the area, not its name). Event AREA_RENAMED
    with the old and new names."""
    area = _managed_area(actor, area_id)
    name = _area_name(name, area_pk=area.pk)
    if name == area.name:
        return area
    old = area.name
    Area.objects.filter(pk=area.pk).update(name=name)
    audit_log(actor=actor, event_type=EventType.AREA_RENAMED, extra={"area_id": area.pk, "old": old, "new": name})
    area.name = name
    return area


@durable_action
def area_active_set(*, actor, area_id: int, active: bool) -> Area:
    """The sysadmin retires a work area (停用: no longer offered for tasks nor accepted by a ledger import; the
    tasks that have it keep it) or restores it. Nothing is deleted. Event AREA_DEACTIVATED or AREA_REACTIVATED."""
    area = _managed_area(actor, area_id)
    if area.is_active == active:
        return area
    Area.objects.filter(pk=area.pk).update(is_active=active)
    audit_log(actor=actor, event_type=EventType.AREA_REACTIVATED if active else EventType.AREA_DEACTIVATED,
              extra={"area_id": area.pk, "name": area.name})
    area.is_active = active
    return area


# --- bulk import from .xlsx (previewed by duban.core.selectors.*_import_plan) ---------------------------------

def _refuse_errors(plan) -> None:
    errors = [row for row in plan if row.action == "error"]
    if errors:
        raise InvalidInput("；".join(f"第{r.number}行：{r.error}" for r in errors[:20]) + "。未导入任何数据",
                           f"{len(errors)} rows have errors; nothing was imported",
                           details=[{"row": r.number, "key": r.key, "error": r.error} for r in errors])


@durable_action
def people_import(*, actor, data: bytes, filename: str = "") -> dict:
    """Import people from an .xlsx sheet (姓名, 账号, 单位, 角色, 手机): all rows or none. New accounts have no
    usable password until an admin resets it and hands it over (so no password travels in a spreadsheet); known
    accounts are edited and moved through the same actions as by hand (USER_CREATED, USER_UPDATED, USER_MOVED
    each), then one USERS_IMPORTED with the counts. Same rights as adding by hand."""
    from duban.core.selectors import people_import_plan
    from duban.core.sheets import PEOPLE_COLUMNS, PEOPLE_REQUIRED, read_sheet

    plan = people_import_plan(viewer=actor, rows=read_sheet(data, PEOPLE_COLUMNS, PEOPLE_REQUIRED))
    _refuse_errors(plan)
    User = get_user_model()
    units = {u.pk: u for u in Unit.objects.filter(pk__in={r.values["unit_id"] for r in plan if r.values})}
    counts = {"create": 0, "update": 0, "same": 0}
    for row in plan:
        counts[row.action] += 1
        v = row.values
        if row.action == "create":
            user_create_in_txn(actor=actor, username=row.key, password=None, role=v["role"],
                               unit=units.get(v["unit_id"]), display_name=v["display_name"], phone=v["phone"])
        elif row.action == "update":
            user = User.objects.get(username=row.key)
            if "unit_id" in row.changes:
                user_move_in_txn(actor=actor, user_id=user.pk, version=None, unit_id=v["unit_id"])
            edits = {k: v[k] for k in ("display_name", "phone", "role") if k in row.changes}
            if edits:
                user_update_in_txn(actor=actor, user_id=user.pk, version=None, changes=edits)
    audit_log(actor=actor, event_type=EventType.USERS_IMPORTED,
              extra={"filename": filename[:255], "sha256": hashlib.sha256(data).hexdigest(), "rows": len(plan),
                     "created": counts["create"], "updated": counts["update"], "unchanged": counts["same"]})
    return counts


@durable_action
def units_import(*, actor, data: bytes, filename: str = "") -> dict:
    """Import units from an .xlsx sheet (名称, 上级单位, 简称): all rows or none; a parent may be a unit made by an
    earlier row. Each unit through ``unit_create_in_txn`` (UNIT_CREATED) or ``unit_update_in_txn``
    (UNIT_UPDATED), then one UNITS_IMPORTED with the counts. The sysadmin's."""
    from duban.core.selectors import units_import_plan
    from duban.core.sheets import UNIT_COLUMNS, UNIT_REQUIRED, read_sheet

    plan = units_import_plan(viewer=actor, rows=read_sheet(data, UNIT_COLUMNS, UNIT_REQUIRED))
    _refuse_errors(plan)
    counts = {"create": 0, "update": 0, "same": 0}
    for row in plan:
        counts[row.action] += 1
        v = row.values
        if row.action == "create":
            parent = Unit.objects.get(name=v["parent"], is_active=True) if v["parent"] else None
            unit_create_in_txn(actor=actor, name=row.key, parent=parent, short_name=v["short_name"])
        elif row.action == "update":
            unit_update_in_txn(actor=actor, unit_id=v["unit_id"], version=v["version"],
                               changes={"short_name": v["short_name"]})
    audit_log(actor=actor, event_type=EventType.UNITS_IMPORTED,
              extra={"filename": filename[:255], "sha256": hashlib.sha256(data).hexdigest(), "rows": len(plan),
                     "created": counts["create"], "updated": counts["update"], "unchanged": counts["same"]})
    return counts


# --- sign-in with the organisation's directory (duban.core.directory) ----------------------------------------

def _unit_by_name(name: str) -> Unit | None:
    name = (name or "").strip()
    if not name:
        return None
    unit = Unit.objects.filter(name=name, is_active=True).first()
    if unit is None:
        matches = [u for u in Unit.objects.filter(is_active=True, aliases__icontains=name) if name in u.aliases]
        unit = matches[0] if len(matches) == 1 else None
    return unit


@durable_action
def directory_user_sync(*, user, source: str, role: str | None, unit_name: str = "", display_name: str = ""):
    """After the directory (LDAP/AD or OpenID Connect) has vouched for a person, give their login the role its
    groups map to and the unit its attribute names, as the system actor; the directory keeps the password, so none
    is to be changed here. Refused (``InvalidInput``) with no role, a unit role without a known unit, or a login
    deactivated here. Event USER_DIRECTORY_SYNCED when the profile is made or its role or unit changes."""
    from duban.core.audit import system_actor

    if not user.is_active:
        raise InvalidInput("账号已停用，请联系管理员", "the account is deactivated")
    if role is None:
        raise InvalidInput("目录中的账号未分配本系统角色，请联系管理员", "the directory gives this person no role here")
    unit = _unit_by_name(unit_name)
    if role in UNIT_ROLES and unit is None:
        raise InvalidInput(f"目录中的单位“{unit_name}”在本系统中不存在，请联系管理员",
                           f"the directory's unit {unit_name!r} is not known here")
    profile = Profile.objects.filter(user=user).first()
    new = {"role": role, "unit_id": unit.pk if unit else None}
    if profile is not None and {"role": profile.role, "unit_id": profile.unit_id} == new:
        return user
    old = {"role": profile.role, "unit_id": profile.unit_id} if profile else None
    if profile is None:
        Profile.objects.create(user=user, role=role, unit=unit, display_name=display_name[:50],
                               must_change_password=False)
    else:
        _bump_profile(profile, None, role=role, unit=unit)
    audit_log(actor=system_actor(), event_type=EventType.USER_DIRECTORY_SYNCED, target_user=user, unit=unit,
              extra={"source": source, "old": old, "new": new, "unit_name": unit_name[:100]})
    user.refresh_from_db()
    return user


# --- how the documents name the office --------------------------------------------------------------------------

DOCUMENT_SETTING_FIELDS = {  # field: (label, max length, required)
    "issuer": ("发文机关", 60, True), "number_code": ("发文机关代字", 20, True), "addressee": ("主送机关", 200, True),
    "cc": ("抄送机关", 300, False), "printed_by": ("印发机关", 60, False)}


@durable_action
def document_settings_set(*, actor, values: dict, red_header: bool):
    """The system administrator sets how the office's documents (the briefing, the 督查通报, the 督办通知单 and the
    催办单) name the issuing office: 发文机关 (落款 and 版记), 代字 (of the 发文字号), the red 版头, 主送 and 抄送,
    the 印发机关 (the 发文机关 when empty). A new version row each time (``DocumentSettings``), read by every
    document from the next one generated (``selectors.letterhead``). Event
    DOCUMENT_SETTINGS_CHANGED (old and new values); nobody is told."""
    from duban.core.selectors import letterhead

    if not perms.can_set_document_settings(actor):
        raise PermissionDenied()
    clean = {}
    for key, (label, limit, required) in DOCUMENT_SETTING_FIELDS.items():
        value = " ".join(str(values.get(key) or "").split())
        if required and not value:
            raise InvalidInput(f"请填写{label}", f"{key} is required")
        if len(value) > limit:
            raise InvalidInput(f"{label}不能超过{limit}个字", f"{key} is longer than {limit} characters")
        clean[key] = value
    if any(ch in clean["number_code"] for ch in "〔〕[]()（）0123456789号"):
        raise InvalidInput("发文机关代字只填代字本身（如“督查”），年份和序号由系统生成",
                           "the code is the word alone; the year and serial are added")
    old = letterhead()
    row = DocumentSettings.objects.create(created_by=actor, red_header=bool(red_header), **clean)
    new = letterhead()
    audit_log(actor=actor, event_type=EventType.DOCUMENT_SETTINGS_CHANGED,
              extra={"old": _letterhead_values(old), "new": _letterhead_values(new), "version": row.pk})
    return row


def _letterhead_values(head) -> dict:
    return {"issuer": head.issuer, "number_code": head.number_code, "red_header": head.red_header,
            "addressee": head.addressee, "cc": head.cc, "printed_by": head.printed_by}
