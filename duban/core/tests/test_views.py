"""Core pages: sign-in with its audit trail, the forced password change, dashboard, notifications, account."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from duban.conftest import PASSWORD, login
from duban.core.actions import user_create
from duban.core.audit import EventType
from duban.core.models import AuditEvent, Notification, Profile

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Zhong-Wen-2027#x"


def test_login_page_renders_for_anonymous(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_anonymous_is_sent_to_login(client):
    for path in ("/", "/tasks/", "/meetings/", "/notifications/", "/accounts/me/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path


def test_login_logout_and_failure_are_audited_with_ip(client, org):
    response = client.post("/accounts/login/", {"username": "supervisor", "password": PASSWORD},
                           REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302 and response["Location"] == "/"
    event = AuditEvent.objects.filter(event_type=EventType.USER_LOGGED_IN).get()
    assert event.actor == org.supervisor and event.ip_address == "10.1.2.3"
    client.post("/accounts/logout/", REMOTE_ADDR="10.1.2.3")
    assert AuditEvent.objects.filter(event_type=EventType.USER_LOGGED_OUT, actor=org.supervisor).count() == 1
    response = client.post("/accounts/login/", {"username": "supervisor", "password": "wrong"},
                           REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 200
    failed = AuditEvent.objects.filter(event_type=EventType.USER_LOGIN_FAILED).get()
    assert failed.ip_address == "10.9.9.9" and failed.target_user == org.supervisor
    assert failed.extra["username"] == "supervisor"


def test_logout_needs_post(client, org):
    login(client, org.supervisor)
    assert client.get("/accounts/logout/").status_code == 405


def test_forced_password_change(client, org):
    user = user_create(actor=org.system, username="newclerk", password=PASSWORD, role="supervisor",
                       unit=org.office, display_name="新文书")
    client.post("/accounts/login/", {"username": "newclerk", "password": PASSWORD})
    response = client.get("/tasks/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    page = client.get("/accounts/password/").content.decode()
    assert "首次登录" in page and "至少10位" in page
    mismatch = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                                   "new_password2": NEW_PASSWORD + "x"})
    assert "两次输入的新密码不一致" in mismatch.content.decode()
    weak = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "abc",
                                               "new_password2": "abc"})
    assert "至少三类" in weak.content.decode()
    wrong = client.post("/accounts/password/", {"old_password": "nope", "new_password1": NEW_PASSWORD,
                                                "new_password2": NEW_PASSWORD})
    assert "原密码不正确" in wrong.content.decode()
    assert not AuditEvent.objects.filter(event_type=EventType.USER_PASSWORD_CHANGED).exists()
    response = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": NEW_PASSWORD,
                                                   "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/tasks/").status_code == 200  # the session survived the change
    assert not Profile.objects.get(user=user).must_change_password
    assert get_user_model().objects.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(event_type=EventType.USER_PASSWORD_CHANGED, actor=user).count() == 1


@pytest.mark.parametrize("role", ["sysadmin", "supervisor", "leader", "lead_admin", "lead_staff", "coop_staff",
                                  "other_staff"])
def test_dashboard_renders_scoped_figures(client, org, role):
    org.task_in("assigned")
    org.task_in("closed")
    login(client, org.roles()[role])
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    expected = 0 if role == "other_staff" else 2
    assert f'id="stat-total">{expected}<' in body
    assert 'id="dashboard-data"' in body and "dashboard.js" in body
    assert f'id="stat-closed">{0 if role == "other_staff" else 1}<' in body


def test_notifications_page_badge_and_mark_read(client, org):
    task = org.task_in("assigned")
    login(client, org.lead_staff)
    unread = Notification.objects.filter(recipient=org.lead_staff, read_at__isnull=True).count()
    assert unread >= 1
    page = client.get("/notifications/").content.decode()
    assert 'id="notif-badge"' in page and f">{unread}</span>" in page
    assert "新交办事项" in page
    note = Notification.objects.filter(recipient=org.lead_staff).first()
    response = client.post("/notifications/read/", {"id": note.pk, "task": task.pk})
    assert response["Location"] == f"/tasks/{task.pk}/"
    client.post("/notifications/read/")
    assert not Notification.objects.filter(recipient=org.lead_staff, read_at__isnull=True).exists()
    assert 'id="notif-badge" class="badge rounded-pill bg-danger d-none"' in client.get("/").content.decode()


def test_account_page_makes_a_token_once(client, org):
    login(client, org.lead_staff)
    assert "尚未生成令牌" in client.get("/accounts/me/").content.decode()
    response = client.post("/accounts/me/", {"name": "台账同步"})
    body = response.content.decode()
    assert 'id="new-token"' in body and "dbn_" in body
    assert AuditEvent.objects.filter(event_type=EventType.API_TOKEN_CREATED, actor=org.lead_staff).count() == 1
    again = client.get("/accounts/me/").content.decode()
    assert "台账同步" in again and "dbn_" not in again


def test_error_pages_are_chinese(client, org):
    login(client, org.lead_staff)
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()
    response = client.get("/meetings/import/")
    assert response.status_code == 403 and "无权访问" in response.content.decode()
    # the generic refusal said once, not again in brackets after the page's own sentence
    assert "（无权执行此操作）" not in response.content.decode()


def test_a_forms_address_opened_in_the_browser_says_what_it_is_for(client, org):
    """A page's address that only takes a form (new person, logout) opened by GET: 405 with Django's Allow header
    and our page saying what the address is for, not an empty body the browser shows as its own error; the API's
    stays its JSON envelope."""
    login(client, org.supervisor)
    for path in ("/accounts/logout/", "/manage/people/new/"):
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code == 405, path
        assert "POST" in response["Allow"] and "GET" not in response["Allow"], path
        assert "不能直接打开此地址" in body and "返回首页" in body, path
    api = client.delete("/api/v1/tasks")
    assert api.status_code == 405 and api.json()["code"] and api["Content-Type"].startswith("application/json")
