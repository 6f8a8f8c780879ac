"""What every request costs before the page's own work: the session engine that skips expiry writes made
less than DUBAN_SESSION_REFRESH_SECONDS ago (sessions still die after 30 idle minutes at most and stay revocable),
and the nav bar's unread count loaded with the user."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from duban.conftest import PASSWORD, login
from duban.core.models import Notification

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _statements(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, [q["sql"] for q in ctx.captured_queries]


def _signed_in(client, org):
    client.post(LOGIN, {"username": org.lead_staff.username, "password": PASSWORD})
    return Session.objects.get(session_key=client.session.session_key)


def test_a_request_soon_after_the_last_write_does_not_write_the_session(client, org):
    assert settings.SESSION_ENGINE == "duban.core.backends" and settings.DUBAN_SESSION_REFRESH_SECONDS == 60
    session = _signed_in(client, org)
    response, sql = _statements(client, "/notifications/")
    assert response.status_code == 200
    assert not [s for s in sql if "django_session" in s and not s.startswith("SELECT")]
    assert Session.objects.get(pk=session.pk).expire_date == session.expire_date


def test_an_older_expiry_is_pushed_forward_and_never_beyond_the_idle_limit(client, org):
    session = _signed_in(client, org)
    stale = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 61)
    Session.objects.filter(pk=session.pk).update(expire_date=stale)
    before = timezone.now()
    response, sql = _statements(client, "/notifications/")
    assert response.status_code == 200
    assert [s for s in sql if s.startswith("UPDATE") and "django_session" in s]
    expire = Session.objects.get(pk=session.pk).expire_date
    assert before + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE) <= expire
    assert expire <= timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)


@override_settings(DUBAN_SESSION_REFRESH_SECONDS=0)
def test_refresh_interval_zero_writes_on_every_request(client, org):
    session = _signed_in(client, org)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + dt.timedelta(minutes=29, seconds=59))
    client.get("/notifications/")
    assert Session.objects.get(pk=session.pk).expire_date > timezone.now() + dt.timedelta(minutes=29, seconds=59)


def test_changed_session_data_is_always_written(client, org):
    from duban.core.backends import SessionStore

    session = _signed_in(client, org)
    store = SessionStore(session_key=session.session_key)
    store["probe"] = "x"  # within the refresh interval, but the data changed
    store.save()
    assert SessionStore(session_key=session.session_key)["probe"] == "x"
    unchanged = SessionStore(session_key=session.session_key)
    assert unchanged.get("probe") == "x"
    with CaptureQueriesContext(connection) as ctx:
        unchanged.save()
    assert ctx.captured_queries == []


def test_deleting_the_row_revokes_the_session_at_once(client, org):
    session = _signed_in(client, org)
    assert client.get("/notifications/").status_code == 200
    Session.objects.filter(pk=session.pk).delete()
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_an_expired_session_is_signed_out_even_if_just_used(client, org):
    session = _signed_in(client, org)
    assert client.get("/notifications/").status_code == 200
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_nav_unread_count_comes_with_the_user_and_follows_changes(client, org):
    task = org.task_in("assigned")  # lead_staff is told: one unread notification at least
    unread = Notification.objects.filter(recipient=org.lead_staff, read_at__isnull=True).count()
    assert unread >= 1
    login(client, org.lead_staff)
    response, sql = _statements(client, f"/tasks/{task.pk}/")
    assert f'id="notif-badge" class="badge rounded-pill bg-danger">{unread}</span>' in response.content.decode()
    assert not [s for s in sql if 'FROM "core_notification"' in s and s.startswith("SELECT COUNT")]
    Notification.objects.filter(recipient=org.lead_staff).update(read_at=timezone.now())
    body = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="notif-badge" class="badge rounded-pill bg-danger d-none">0</span>' in body


def test_the_closed_phone_menu_shows_unread_notifications_with_no_query_of_its_own(client, org):
    """On a phone the menu (☰) is closed: its button carries the unread count (and says it to a screen reader), from
    the count loaded with the user; with nothing unread the button shows no badge."""
    task = org.task_in("assigned")
    unread = Notification.objects.filter(recipient=org.lead_staff, read_at__isnull=True).count()
    assert unread >= 1
    login(client, org.lead_staff)
    response, sql = _statements(client, f"/tasks/{task.pk}/")
    body = response.content.decode()
    toggler = body[body.index('class="navbar-toggler'):]
    toggler = toggler[:toggler.index("</button>")]
    assert (f'<span id="toggler-badge" class="badge rounded-pill text-bg-light ms-1" aria-hidden="true">{unread}</span>'
            in toggler)
    assert f'aria-label="展开菜单（{unread} 条未读通知）"' in toggler
    assert not [s for s in sql if 'FROM "core_notification"' in s and s.startswith("SELECT COUNT")]
    Notification.objects.filter(recipient=org.lead_staff).update(read_at=timezone.now())
    body = client.get(f"/tasks/{task.pk}/").content.decode()
    assert 'id="toggler-badge"' not in body and 'aria-label="展开菜单"' in body


def test_the_unread_count_is_the_viewers_own(client, org):
    org.task_in("assigned")
    login(client, org.other_staff)
    body = client.get("/tasks/").content.decode()
    assert 'id="notif-badge" class="badge rounded-pill bg-danger d-none">0</span>' in body


# --- the session's and the user's rows, read by statements compiled once per process ------------------------------

def _concrete(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_user_row_is_what_the_orm_loads_with_profile_and_unit_and_nothing_is_read_later(org):
    """Every column of the user, the profile and the unit, with the types the ORM gives (JSON lists, aware times,
    booleans), the two relations already there: no statement when a page asks for them."""
    from duban.core.backends import ProfileModelBackend
    from duban.core.models import Profile

    staff = org.lead_staff  # 市应急管理局, whose aliases are a JSON list
    staff.last_login = timezone.now() - dt.timedelta(hours=2)
    staff.save(update_fields=["last_login"])
    Profile.objects.filter(user=staff).update(password_changed_at=timezone.now() - dt.timedelta(days=3),
                                              password_history=["argon2$a", "argon2$b"], phone="0791-1234")
    Notification.objects.create(recipient=staff, kind="urge", title="催办")
    expected = (get_user_model().objects.select_related("profile", "profile__unit").get(pk=staff.pk))
    unread = Notification.objects.filter(recipient=staff, read_at__isnull=True).count()

    with CaptureQueriesContext(connection) as ctx:
        user = ProfileModelBackend().get_user(staff.pk)
        profile, unit = user.profile, user.profile.unit
    assert len(ctx.captured_queries) == 1
    assert _concrete(user) == _concrete(expected)
    assert _concrete(profile) == _concrete(expected.profile)
    assert _concrete(unit) == _concrete(expected.profile.unit)
    assert unit.aliases == ["应急局"] and profile.password_history == ["argon2$a", "argon2$b"]
    assert timezone.is_aware(profile.password_changed_at) and timezone.is_aware(user.last_login)
    assert profile.must_change_password is False and user.is_active is True
    assert profile.user is user and user.unread_notifications_at_load == unread >= 1
    assert not user._state.adding and user._state.db == profile._state.db == unit._state.db == "default"


def test_a_user_without_a_unit_or_profile_and_an_unknown_or_inactive_one(org):
    from duban.core.backends import ProfileModelBackend

    backend = ProfileModelBackend()
    with CaptureQueriesContext(connection) as ctx:
        leader = backend.get_user(org.leader.pk)
        assert leader.profile.role == "leader" and leader.profile.unit is None
    assert len(ctx.captured_queries) == 1
    bare = get_user_model().objects.create_user(username="no-profile", password=PASSWORD)
    assert getattr(backend.get_user(bare.pk), "profile", None) is None
    assert backend.get_user(10**9) is None
    get_user_model().objects.filter(pk=org.other_staff.pk).update(is_active=False)
    assert backend.get_user(org.other_staff.pk) is None


def test_the_session_row_read_gives_the_stored_expiry_and_nothing_once_expired(client, org):
    from duban.core.backends import SessionStore

    session = _signed_in(client, org)
    store = SessionStore(session_key=session.session_key)
    assert store.load()["_auth_user_id"] == str(org.lead_staff.pk)
    assert store._stored_expiry == session.expire_date and timezone.is_aware(store._stored_expiry)
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    gone = SessionStore(session_key=session.session_key)
    assert gone.load() == {} and gone.session_key is None


# --- what a signed-in session must feel at its very next request -----------------------------------------------

def test_a_signed_out_session_cookie_is_refused_at_the_next_request(client, org):
    from django.test import Client

    _signed_in(client, org)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    response = replay.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_password_reset_signs_the_session_out_and_the_flag_alone_sends_to_the_password_page(client, org):
    from duban.core.actions import user_reset_password
    from duban.core.models import Profile

    _signed_in(client, org)
    assert client.get("/notifications/").status_code == 200
    Profile.objects.filter(user=org.lead_staff).update(must_change_password=True)
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    user_reset_password(actor=org.sysadmin, user_id=org.lead_staff.pk)  # a new password: the session's hash is old
    response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


# --- the navigation ------------------------------------------------------------------------------------------------

def test_the_navigation_links_are_the_routes_under_each_script_prefix(client, org):
    from django.urls import reverse, set_script_prefix

    login(client, org.lead_staff)
    body = client.get("/notifications/").content.decode()
    for name, args in (("dashboard", []), ("guide", []), ("guide_page", ["unit"]), ("account", []),
                       ("password_change", []), ("logout", [])):
        assert f'href="{reverse(name, args=args)}"' in body or f'action="{reverse(name, args=args)}"' in body
    assert f'hx-get="{reverse("workbench_count")}"' in body
    # behind a proxy that mounts duban under a path (the WSGI handler sets the prefix from SCRIPT_NAME; the test
    # client does not), the same process links there too
    set_script_prefix("/duban/")
    try:
        body = client.get("/notifications/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'href="/duban/accounts/me/"' in body and 'action="/duban/accounts/logout/"' in body
    assert 'href="/duban/help/"' in body and 'hx-get="/duban/workbench/count/"' in body
    assert 'href="/accounts/me/"' in client.get("/notifications/").content.decode()


def test_the_workbench_shows_its_own_count_in_the_navigation_without_asking_again(client, org):
    org.task_in("assigned")  # the lead unit has a task to sign
    login(client, org.lead_staff)
    count = client.get("/workbench/count/").content.decode()
    assert count and int(count) >= 1
    home = client.get("/").content.decode()
    assert f'id="workbench-badge" class="badge rounded-pill text-bg-light" aria-label="待办数">{count}</span>' in home
    assert "/workbench/count/" not in home
    assert 'hx-get="/workbench/count/"' in client.get("/notifications/").content.decode()
