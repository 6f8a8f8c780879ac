"""What every request costs before the page's own work: the session engine that skips expiry writes made
less than DUBAN_SESSION_REFRESH_SECONDS ago (sessions still die after 30 idle minutes at most and stay revocable),
and the nav bar's unread count loaded with the user."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
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


def test_the_unread_count_is_the_viewers_own(client, org):
    org.task_in("assigned")
    login(client, org.other_staff)
    body = client.get("/tasks/").content.decode()
    assert 'id="notif-badge" class="badge rounded-pill bg-danger d-none">0</span>' in body
