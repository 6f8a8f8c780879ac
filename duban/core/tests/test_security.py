"""Identity (等保三级): password policy, Argon2, lockout, idle session expiry, the forced password change, and every
sign-in and failure audited with its address. Each test goes through the real page, action or API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from duban.conftest import PASSWORD
from duban.core import actions
from duban.core.audit import EventType
from duban.core.errors import InvalidInput
from duban.core.models import AuditEvent, Profile

GOOD = "Xk7#mPq2Lw"
LOGIN = "/accounts/login/"


def _new_user(org, username="zhangwei", password=GOOD, **kw):
    return actions.user_create(actor=org.system, username=username, password=password, role="unit_staff",
                               unit=org.safety, **{"display_name": "张伟", **kw})


# --- password policy -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, why", [
    ("Xk7#mPq2L", "nine characters"),
    ("xk7mpq2lwr", "two classes: lower case and digits"),
    ("XKMPQLWRTZ", "one class"),
    ("xk#mpq!lw?", "two classes: lower case and symbols"),
])
def test_user_create_refuses_a_password_against_the_policy(org, password, why):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as refused:
        _new_user(org, password=password)
    assert set(refused.value.details) == {"password"}, why
    assert not get_user_model().objects.filter(username="zhangwei").exists(), why
    assert AuditEvent.objects.count() == before


def test_the_password_must_not_contain_the_username(org):
    with pytest.raises(InvalidInput) as exc:
        _new_user(org, username="wangfang", password="Wangfang#2026")
    assert "用户名" in exc.value.message_zh or "相似" in exc.value.message_zh
    # The rule is ours, not only Django's similarity check: the username inside a longer password is refused too.
    from django.core.exceptions import ValidationError

    from duban.core.passwords import CharacterClassValidator

    user = get_user_model()(username="wangfang")
    with pytest.raises(ValidationError):
        CharacterClassValidator().validate("Qz9!wangfang-Ty", user)


def test_ten_characters_of_three_classes_is_accepted_and_stored_with_argon2(org):
    user = _new_user(org)
    assert user.password.startswith("argon2")
    assert user.check_password(GOOD)
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("new, ok", [("short#1A", False), ("onlylowercase", False), ("Yt5$kLm9Qa", True)])
def test_user_change_password_applies_the_same_policy(org, new, ok):
    user = _new_user(org)
    if not ok:
        with pytest.raises(InvalidInput):
            actions.user_change_password(actor=user, old_password=GOOD, new_password=new)
        user.refresh_from_db()
        assert user.check_password(GOOD)
        assert Profile.objects.get(user=user).must_change_password
        return
    actions.user_change_password(actor=user, old_password=GOOD, new_password=new, ip_address="10.0.0.9")
    user.refresh_from_db()
    assert user.check_password(new) and user.password.startswith("argon2")
    assert not Profile.objects.get(user=user).must_change_password
    event = AuditEvent.objects.filter(event_type=EventType.USER_PASSWORD_CHANGED).get()
    assert (event.actor_id, event.target_user_id, event.ip_address) == (user.pk, user.pk, "10.0.0.9")


def test_user_change_password_needs_the_old_password(org):
    user = _new_user(org)
    with pytest.raises(InvalidInput):
        actions.user_change_password(actor=user, old_password="Wrong#pass99", new_password="Yt5$kLm9Qa")
    user.refresh_from_db()
    assert user.check_password(GOOD)


# --- lockout and login audit ---------------------------------------------------------------------------------

def _post_login(client, username, password, ip="10.20.30.40"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(org, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = _post_login(client, "lead_staff", "Wrong#pass99")
        assert "_auth_user_id" not in client.session
    assert settings.AXES_FAILURE_LIMIT == 5
    response = _post_login(client, "lead_staff", PASSWORD)
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still not signed in
    failures = AuditEvent.objects.filter(event_type=EventType.USER_LOGIN_FAILED, target_user=org.lead_staff)
    assert failures.count() == 4  # four wrong passwords; the fifth locks, and the lock's burst is counted
    burst = AuditEvent.objects.filter(event_type=EventType.USER_LOGIN_FAILURES, target_user=org.lead_staff)
    assert burst.count() == 1 and burst.get().extra["count"] == 1
    assert set(failures.values_list("ip_address", flat=True)) == {"10.20.30.40"}
    assert not AuditEvent.objects.filter(event_type=EventType.USER_LOGGED_IN, target_user=org.lead_staff).exists()
    # Another account is not locked by it (the lock is per account, not per address).
    _post_login(client, "coop_staff", PASSWORD)
    assert client.session["_auth_user_id"] == str(org.coop_staff.pk)


def test_the_lockout_is_the_apps_own_page_saying_how_long_and_whom_to_ask(org, client):
    pages = [_post_login(client, "lead_staff", "Wrong#pass99") for _ in range(settings.AXES_FAILURE_LIMIT - 2)]
    assert all("锁定" not in p.content.decode().split("<main")[1].split("</form>")[0] for p in pages)
    last_but_one = _post_login(client, "lead_staff", "Wrong#pass99").content.decode()
    assert "再输错 1 次" in last_but_one and "30 分钟" in last_but_one  # warned before the last try
    locked = _post_login(client, "lead_staff", "Wrong#pass99")
    body = locked.content.decode()
    assert locked.status_code == 429
    assert 'id="account-locked"' in body and '<main class="container' in body  # the app's styled layout
    assert "登录失败次数过多" in body and "30 分钟" in body and "系统管理员" in body
    assert "Too many failed sign-ins" in body and "Account locked: too many login attempts" not in body
    assert 'href="/accounts/login/"' in body
    again = _post_login(client, "lead_staff", PASSWORD)  # the right password while locked: the same page
    assert again.status_code == 429 and 'id="account-locked"' in again.content.decode()


def test_four_failures_then_the_right_password_signs_in(org, client):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, "lead_staff", "Wrong#pass99")
    response = _post_login(client, "lead_staff", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org.lead_staff.pk)


def test_login_failure_and_logout_are_audited_with_the_address(org, client):
    _post_login(client, "lead_staff", "Wrong#pass99", ip="192.0.2.7")
    failed = AuditEvent.objects.filter(event_type=EventType.USER_LOGIN_FAILED).get()
    assert failed.ip_address == "192.0.2.7"
    assert failed.extra["username"] == "lead_staff" and failed.target_user_id == org.lead_staff.pk
    assert failed.actor.username == "duban-system"

    _post_login(client, "nobody-such", "Wrong#pass99", ip="192.0.2.8")
    unknown = AuditEvent.objects.filter(event_type=EventType.USER_LOGIN_FAILED).order_by("-id").first()
    assert unknown.extra["username"] == "nobody-such" and unknown.target_user_id is None

    response = _post_login(client, "lead_staff", PASSWORD, ip="192.0.2.9")
    assert response.status_code == 302
    logged_in = AuditEvent.objects.filter(event_type=EventType.USER_LOGGED_IN).get()
    assert (logged_in.actor_id, logged_in.ip_address) == (org.lead_staff.pk, "192.0.2.9")

    client.post(reverse("logout"), REMOTE_ADDR="192.0.2.9")
    logged_out = AuditEvent.objects.filter(event_type=EventType.USER_LOGGED_OUT).get()
    assert (logged_out.actor_id, logged_out.ip_address) == (org.lead_staff.pk, "192.0.2.9")


# --- sessions ------------------------------------------------------------------------------------------------

def test_a_session_dies_after_thirty_idle_minutes(org, client):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    _post_login(client, "lead_staff", PASSWORD)
    assert client.get("/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert dt.timedelta(minutes=29) < remaining <= dt.timedelta(minutes=30)

    # Every request pushes the expiry forward (idle time, not time since login) ...
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    assert client.get("/").status_code == 200
    session.refresh_from_db()
    assert session.expire_date - timezone.now() > dt.timedelta(minutes=29)

    # ... and a session idle past its expiry is signed out.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_session_cookie_flags(org, client):
    response = _post_login(client, "lead_staff", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 1800


# --- forced password change ----------------------------------------------------------------------------------

def test_a_new_user_is_sent_to_the_password_change_until_they_change_it(org, client):
    user = _new_user(org)
    assert Profile.objects.get(user=user).must_change_password
    _post_login(client, "zhangwei", GOOD)
    for path in ("/", "/notifications/", "/tasks/", "/meetings/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("password_change"), path
    assert client.get(reverse("password_change")).status_code == 200

    response = client.post(reverse("password_change"), {"old_password": GOOD, "new_password1": "Yt5$kLm9Qa",
                                                        "new_password2": "Yt5$kLm9Qa"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # still signed in, and free to go anywhere


def test_demo_users_must_change_their_password(db):
    from duban.core.audit import system_actor
    from duban.demo.loader import ensure_areas, ensure_units_and_users

    ensure_areas()
    ensure_units_and_users(system_actor())
    profiles = Profile.objects.all()
    assert profiles.count() >= 5
    assert all(p.must_change_password for p in profiles)


def test_the_api_refuses_a_user_who_must_change_the_password(org, client):
    from duban.core.errors import PermissionDenied

    user = _new_user(org)
    with pytest.raises(PermissionDenied, match="修改初始密码"):
        actions.api_token_create(actor=user, name="script")
    client.force_login(user)
    response = client.get("/api/v1/me")
    assert response.status_code == 403
    assert "修改初始密码" in response.json()["message"]
    client.logout()

    actions.user_change_password(actor=user, old_password=GOOD, new_password="Yt5$kLm9Qa")
    user = get_user_model().objects.get(pk=user.pk)
    token = actions.api_token_create(actor=user, name="script")
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200 and response.json()["username"] == "zhangwei"


def test_the_api_refuses_a_revoked_token_and_an_inactive_user(org, client):
    token = actions.api_token_create(actor=org.lead_staff, name="script")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    get_user_model().objects.filter(pk=org.lead_staff.pk).update(is_active=False)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer dbn_forged"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
