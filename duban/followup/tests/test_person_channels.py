"""Messages that reach a person: 企业微信 application messages, 钉钉 work notices and an SMS gateway, each run against a
real HTTP server on loopback that speaks the provider's documented request and response shapes (token fetch and
expiry, rate-limit error codes, 5xx then success), through the real queue (``deliveries_enqueue``/``deliveries_send``).
Bindings and preferences are set through ``contact_update``."""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.utils import timezone

from duban.conftest import login
from duban.core.audit import EventType
from duban.core.errors import InvalidInput, NotFound
from duban.core.models import AuditEvent
from duban.followup import actions
from duban.followup.queueing import deliveries_enqueue
from duban.followup.delivery import deliveries_send
from duban.followup.models import Delivery

# 2026-10-09 was a Friday (a working day); 2026-10-03 a Saturday inside the National Day holiday.
WORKDAY = timezone.make_aware(dt.datetime(2026, 10, 9, 10, 0))
HOLIDAY = timezone.make_aware(dt.datetime(2026, 10, 3, 10, 0))


class Provider:
    """A loopback server speaking one provider's API. ``script`` holds answers to give to sends, in order:
    ("json", {...}) or ("status", 503); once exhausted every send succeeds."""

    def __init__(self, kind: str):
        self.kind = kind
        self.tokens_issued = 0
        self.token = ""
        self.sends: list[dict] = []
        self.script: list[tuple] = []
        self.lock = threading.Lock()

    def issue_token(self, query: dict) -> dict:
        expected = {"wecom": ("corpid", "corpsecret"), "dingtalk": ("appkey", "appsecret")}[self.kind]
        if not all(query.get(k) for k in expected):
            return {"errcode": 40013, "errmsg": "invalid credential"}
        self.tokens_issued += 1
        self.token = f"token-{self.tokens_issued}"
        return {"errcode": 0, "errmsg": "ok", "access_token": self.token, "expires_in": 7200}

    def answer_send(self, query: dict, body: dict) -> tuple[int, dict]:
        self.sends.append({"query": query, "body": body})
        if self.script:
            how, value = self.script.pop(0)
            if how == "status":
                return value, {"errmsg": "server error"}
            return 200, value
        if self.kind in ("wecom", "dingtalk") and query.get("access_token") != self.token:
            return 200, {"errcode": 42001 if self.kind == "wecom" else 88, "errmsg": "access_token expired"}
        if self.kind == "sms":
            return 200, {"code": "OK", "message": "sent", "request_id": "r1"}
        return 200, {"errcode": 0, "errmsg": "ok", **({"task_id": 1} if self.kind == "dingtalk" else {"msgid": "m"})}


@pytest.fixture
def provider_server():
    servers = []

    def start(kind: str) -> Provider:
        provider = Provider(kind)

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, payload: dict):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                with provider.lock:
                    if url.path in ("/cgi-bin/gettoken", "/gettoken"):
                        return self._reply(200, provider.issue_token(query))
                self._reply(404, {})

            def do_POST(self):
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if kind == "sms":
                    body["authorization"] = self.headers.get("Authorization")
                with provider.lock:
                    status, payload = provider.answer_send(query, body)
                self._reply(status, payload)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        provider.url = f"http://127.0.0.1:{server.server_address[1]}"
        return provider

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def wecom(settings, provider_server):
    provider = provider_server("wecom")
    settings.DUBAN_WECOM_API_BASE = provider.url
    settings.DUBAN_WECOM_CORPID, settings.DUBAN_WECOM_SECRET, settings.DUBAN_WECOM_AGENTID = "ww1", "s3cret", "1000002"
    cache.clear()
    return provider


@pytest.fixture
def dingtalk(settings, provider_server):
    provider = provider_server("dingtalk")
    settings.DUBAN_DINGTALK_API_BASE = provider.url
    settings.DUBAN_DINGTALK_APPKEY, settings.DUBAN_DINGTALK_APPSECRET = "ding1", "s3cret"
    settings.DUBAN_DINGTALK_AGENTID = "2000003"
    cache.clear()
    return provider


@pytest.fixture
def sms(settings, provider_server):
    provider = provider_server("sms")
    settings.DUBAN_SMS_GATEWAY_URL = provider.url + "/sms/send"
    settings.DUBAN_SMS_API_KEY, settings.DUBAN_SMS_TEMPLATE_ID = "k-123", "SMS_001"
    return provider


def _assign_to(org, *, at: dt.datetime):
    """A task assigned at ``at`` through the real action: its notices are what gets delivered."""
    from duban.tasks.actions import task_assign

    task = org.draft_task()
    task_assign(actor=org.supervisor, task_id=task.pk)
    from duban.core.models import Notification

    Notification.objects.filter(task=task).update(created_at=at)
    return task


def _bind(org, **fields):
    return actions.contact_update(actor=org.lead_staff, user_id=org.lead_staff.pk, **fields)


def test_wecom_application_message_fetches_caches_and_refreshes_its_token(client, org, wecom):
    _bind(org, wecom_userid="LiSi", quiet_non_working_days=False)
    task = _assign_to(org, at=WORKDAY)
    deliveries_enqueue(now=WORKDAY)
    [delivery] = Delivery.objects.filter(channel="wecom_app")
    assert delivery.target == "LiSi"
    assert deliveries_send(now=WORKDAY)["sent"] == 1
    # shown on the task to the office, without the address
    login(client, org.supervisor)
    page = client.get(f"/followup/tasks/{task.pk}/deliveries/").content.decode()
    assert "wecom_app" in page and "已发送" in page and "LiSi" not in page
    login(client, org.lead_staff)
    assert client.get(f"/followup/tasks/{task.pk}/deliveries/").status_code == 404
    [send] = wecom.sends
    assert send["query"]["access_token"] == "token-1"
    assert send["body"]["touser"] == "LiSi" and send["body"]["agentid"] == 1000002
    assert send["body"]["msgtype"] == "text" and "新交办事项" in send["body"]["text"]["content"]
    # A second message reuses the cached token; then the provider expires it (42001): refresh once and resend.
    org.task_in("assigned")
    deliveries_enqueue(now=timezone.now())
    wecom.token = "rotated-by-provider"
    assert deliveries_send(now=timezone.now())["sent"] == 1
    assert wecom.tokens_issued == 2
    assert [s["query"]["access_token"] for s in wecom.sends] == ["token-1", "token-1", "token-2"]


def test_wecom_rate_limit_then_5xx_then_success_is_retried_with_backoff_and_sent_once(org, wecom, settings):
    settings.DUBAN_DELIVERY_BACKOFF_SECONDS = 60
    _bind(org, wecom_userid="LiSi", quiet_non_working_days=False)
    _assign_to(org, at=WORKDAY)
    deliveries_enqueue(now=WORKDAY)
    deliveries_enqueue(now=WORKDAY)  # queueing twice queues nothing more
    assert Delivery.objects.filter(channel="wecom_app").count() == 1
    wecom.script = [("json", {"errcode": 45009, "errmsg": "api freq out of limit"}), ("status", 503)]
    assert deliveries_send(now=WORKDAY)["failed"] == 1
    delivery = Delivery.objects.get(channel="wecom_app")
    assert delivery.status == "failed" and "45009" in delivery.last_error
    assert deliveries_send(now=WORKDAY + dt.timedelta(seconds=30)).get("failed", 0) == 0  # still backing off
    assert deliveries_send(now=WORKDAY + dt.timedelta(seconds=61))["failed"] == 1  # the 503
    assert "http 503" in Delivery.objects.get(channel="wecom_app").last_error
    assert deliveries_send(now=WORKDAY + dt.timedelta(seconds=200))["sent"] == 1
    assert deliveries_send(now=WORKDAY + dt.timedelta(hours=5)).get("sent", 0) == 0  # never sent twice
    assert len(wecom.sends) == 3 and Delivery.objects.get(channel="wecom_app").status == "sent"
    # each outcome audited, naming the person and not the address
    failed = AuditEvent.objects.filter(event_type=EventType.DELIVERY_FAILED, extra__channel="wecom_app").order_by("id")
    assert [e.extra["attempt"] for e in failed] == [1, 2] and "45009" in failed[0].extra["error"]
    [sent] = AuditEvent.objects.filter(event_type=EventType.DELIVERY_SENT, extra__channel="wecom_app")
    assert sent.target_user_id == org.lead_staff.pk and sent.extra["channel"] == "wecom_app"
    assert "LiSi" not in json.dumps(sent.extra)


def test_dingtalk_work_notice_shape_and_expired_token(org, dingtalk):
    _bind(org, dingtalk_userid="manager4321", quiet_non_working_days=False)
    _assign_to(org, at=WORKDAY)
    deliveries_enqueue(now=WORKDAY)
    cache.set("duban:dingtalk:token", "expired-yesterday", 3600)  # cached, but the provider no longer takes it
    assert deliveries_send(now=WORKDAY)["sent"] == 1
    first, second = dingtalk.sends  # errcode 88, a fresh token, the same message again
    assert first["query"]["access_token"] == "expired-yesterday" and second["query"]["access_token"] == "token-1"
    assert dingtalk.tokens_issued == 1
    body = second["body"]
    assert body["agent_id"] == 2000003 and body["userid_list"] == "manager4321"
    assert body["msg"]["msgtype"] == "text" and "新交办事项" in body["msg"]["text"]["content"]


def test_sms_gateway_by_template_with_5xx_then_success(org, sms, settings):
    settings.DUBAN_DELIVERY_BACKOFF_SECONDS = 60
    _bind(org, mobile="13800138000", quiet_non_working_days=False)
    task = _assign_to(org, at=WORKDAY)
    deliveries_enqueue(now=WORKDAY)
    sms.script = [("status", 502), ("json", {"code": "isv.BUSINESS_LIMIT_CONTROL", "message": "触发流控"})]
    assert deliveries_send(now=WORKDAY)["failed"] == 1
    assert deliveries_send(now=WORKDAY + dt.timedelta(seconds=61))["failed"] == 1
    assert "BUSINESS_LIMIT_CONTROL" in Delivery.objects.get(channel="sms").last_error
    assert deliveries_send(now=WORKDAY + dt.timedelta(seconds=200))["sent"] == 1
    body = sms.sends[-1]["body"]
    assert body["phone"] == "13800138000" and body["template_id"] == "SMS_001"
    assert body["params"] == {"title": f"新交办事项：{task.title}"[:20], "task_id": str(task.pk)}
    assert body["authorization"] == "Bearer k-123"


def test_quiet_on_non_working_days_holds_until_the_next_working_morning(org, wecom):
    _bind(org, wecom_userid="LiSi")  # quiet by default
    _assign_to(org, at=HOLIDAY)
    deliveries_enqueue(now=HOLIDAY)
    assert deliveries_send(now=HOLIDAY) == {"sent": 0, "failed": 0, "dead": 0, "deferred": 1}
    delivery = Delivery.objects.get(channel="wecom_app")
    # National Day 2026 runs 10-01..10-07 (10-08 is a holiday too by the official calendar if so listed): the
    # message waits for the first working day at 08:30, without counting an attempt.
    from duban.tasks.workdays import next_workday_on_or_after

    first_workday = next_workday_on_or_after(HOLIDAY.date())
    assert timezone.localtime(delivery.next_attempt_at).date() == first_workday
    assert (timezone.localtime(delivery.next_attempt_at).hour, timezone.localtime(delivery.next_attempt_at).minute) == (8, 30)
    assert delivery.attempts == 0 and wecom.sends == []


def test_preferences_choose_kinds_and_channels(org, wecom, sms):
    _bind(org, wecom_userid="LiSi", mobile="13800138000", kinds=["task_escalated"], quiet_non_working_days=False)
    _assign_to(org, at=WORKDAY)
    deliveries_enqueue(now=WORKDAY)
    assert not Delivery.objects.filter(channel__in=["wecom_app", "sms"]).exists()  # 新交办 not chosen
    _bind(org, wecom_userid="LiSi", mobile="13800138000", channels=["sms"], quiet_non_working_days=False)
    _assign_to(org, at=WORKDAY)
    deliveries_enqueue(now=WORKDAY)
    assert set(Delivery.objects.values_list("channel", flat=True)) & {"wecom_app", "sms"} == {"sms"}


def test_unconfigured_providers_queue_nothing(org, settings):
    settings.DUBAN_WECOM_CORPID = ""
    _bind(org, wecom_userid="LiSi")
    _assign_to(org, at=WORKDAY)
    deliveries_enqueue(now=WORKDAY)
    assert not Delivery.objects.filter(channel="wecom_app").exists()


def test_binding_is_validated_audited_and_the_persons_own(client, org):
    with pytest.raises(InvalidInput):
        _bind(org, mobile="12345")
    with pytest.raises(InvalidInput):
        _bind(org, wecom_userid="李四 <script>")
    with pytest.raises(NotFound):
        actions.contact_update(actor=org.coop_staff, user_id=org.lead_staff.pk, mobile="13800138000")
    assert not AuditEvent.objects.filter(event_type=EventType.USER_CONTACT_UPDATED).exists()
    actions.contact_update(actor=org.sysadmin, user_id=org.lead_staff.pk, mobile="13800138000")
    [event] = AuditEvent.objects.filter(event_type=EventType.USER_CONTACT_UPDATED)
    assert event.actor_id == org.sysadmin.pk and event.target_user_id == org.lead_staff.pk
    assert event.extra["old"]["mobile"] == "" and event.extra["new"]["mobile"] == "13800138000"
    login(client, org.lead_staff)
    page = client.get("/followup/me/contact/").content.decode()
    assert 'value="13800138000"' in page
    response = client.post("/followup/me/contact/", {"version": "1", "mobile": "13900139000"})
    assert response.status_code == 200 and "已被他人修改" in response.content.decode()  # a stale version
    client.post("/followup/me/contact/", {"version": "2", "mobile": "13900139000", "quiet_non_working_days": "on"})
    assert client.get(f"/api/v1/users/{org.lead_staff.pk}/contact").json()["mobile"] == "13900139000"


def test_the_people_page_links_each_person_to_their_message_settings(client, org):
    """Whoever manages an account sets where its messages go: the sysadmin for anyone, a unit admin for the people
    of their unit; the person list links each (active) person there, and the link opens."""
    from django.contrib.auth import get_user_model

    from duban.core.actions import user_deactivate
    from duban.core.audit import SYSTEM_USERNAME

    user_deactivate(actor=org.sysadmin, user_id=org.other_staff.pk, reason="调离")
    login(client, org.sysadmin)
    page = client.get("/manage/people/").content.decode()
    for person in get_user_model().objects.filter(profile__isnull=False, is_active=True).exclude(username=SYSTEM_USERNAME):
        assert f'href="/followup/users/{person.pk}/contact/"' in page
    assert f'href="/followup/users/{org.other_staff.pk}/contact/"' not in page  # 已停用: nothing to reach
    assert client.get(f"/followup/users/{org.coop_staff.pk}/contact/").status_code == 200

    login(client, org.lead_admin)  # 市应急管理局's unit admin
    page = client.get("/manage/people/").content.decode()
    assert f'href="/followup/users/{org.lead_staff.pk}/contact/"' in page
    assert f'href="/followup/users/{org.coop_staff.pk}/contact/"' not in page  # another unit's person
    detail = client.get(f"/manage/people/{org.lead_staff.pk}/").content.decode()
    assert f'href="/followup/users/{org.lead_staff.pk}/contact/"' in detail
    form = client.get(f"/followup/users/{org.lead_staff.pk}/contact/")
    assert form.status_code == 200 and "人员管理" in form.content.decode()
    done = client.post(f"/followup/users/{org.lead_staff.pk}/contact/", {"mobile": "13800138001",
                                                                         "wecom_userid": "zhangsan"})
    assert done.status_code == 302
    [event] = AuditEvent.objects.filter(event_type=EventType.USER_CONTACT_UPDATED)
    assert (event.actor_id, event.target_user_id) == (org.lead_admin.pk, org.lead_staff.pk)
    assert event.extra["new"]["mobile"] == "13800138001" and event.extra["new"]["wecom_userid"] == "zhangsan"
    assert client.get(f"/followup/users/{org.coop_staff.pk}/contact/").status_code == 404
    with pytest.raises(NotFound):
        actions.contact_update(actor=org.lead_admin, user_id=org.supervisor.pk, mobile="13800138002")
    login(client, org.lead_staff)
    assert client.get(f"/followup/users/{org.lead_admin.pk}/contact/").status_code == 404  # staff manage nobody
