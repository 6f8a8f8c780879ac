"""A slow or failing receiver holds only itself: lanes (the SMTP server, each group robot) are sent at once, a
failing lane backs off behind its circuit breaker, every message carries its delivery id, and every outcome is
audited. Real servers on loopback: aiosmtpd for mail, HTTP servers that answer at once or after a sleep."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from duban.core.audit import EventType
from duban.core.models import AuditEvent, Unit
from duban.core.notifications import notify
from duban.followup.queueing import deliveries_enqueue
from duban.followup.delivery import deliveries_send
from duban.followup.models import Delivery


class Receiver:
    """A group robot on loopback that answers after ``delay`` seconds, recording each request's arrival and
    delivery id."""

    def __init__(self, delay: float):
        self.delay = delay
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                arrived = time.monotonic()
                receiver.requests.append({"at": arrived, "id": self.headers.get("X-Duban-Delivery-Id"),
                                          "json": json.loads(body)})
                time.sleep(receiver.delay)
                answer = b'{"errcode": 0, "errmsg": "ok"}'
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the sender gave up meanwhile
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(delay: float) -> Receiver:
        made.append(Receiver(delay))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def _timed(smtp_server) -> list[float]:
    """Arrival times of the SMTP server's messages."""
    arrivals: list[float] = []
    original = smtp_server.handle_DATA

    async def handle_DATA(server, session, envelope):
        arrivals.append(time.monotonic())
        return await original(server, session, envelope)

    smtp_server.handle_DATA = handle_DATA
    return arrivals


def _wire(org, slow_url: str, fast_url: str) -> None:
    """The safety bureau's group robot is slow, the health commission's is quick, and the safety head reads mail.
    What the set-up's own actions queued goes out first, while nobody has an address (no deliveries)."""
    deliveries_enqueue()
    get_user_model().objects.filter(pk=org.lead_admin.pk).update(email="head@safety.example")
    Unit.objects.filter(pk=org.safety.pk).update(webhook_url=slow_url, webhook_kind="wecom")
    Unit.objects.filter(pk=org.health.pk).update(webhook_url=fast_url, webhook_kind="dingtalk")


def _messages(org, n: int) -> None:
    for i in range(n):
        notify(actor=org.system, recipients=[org.lead_admin, org.coop_staff], kind="task_reminded", title=f"催办提醒{i}",
               body="请按时报送进展", payload={"group": f"test:{i}"})


def test_a_sleeping_receiver_holds_neither_mail_nor_the_other_groups(org, smtp_server, receivers, settings):
    settings.DUBAN_WEBHOOK_TIMEOUT = 30
    slow, fast = receivers(delay=3.0), receivers(delay=0.0)
    _wire(org, slow.url, fast.url)
    arrivals = _timed(smtp_server)
    _messages(org, 2)
    assert deliveries_enqueue() == 6  # per message: a mail to the head, a post to each unit's group

    started = time.monotonic()
    counts = deliveries_send()
    took = time.monotonic() - started

    assert counts == {"sent": 6, "failed": 0, "dead": 0}
    # Mail and the quick group were through while the slow group still slept on its first post.
    first_slow_answer = slow.requests[0]["at"] + slow.delay
    assert len(arrivals) == 2 and max(arrivals) < first_slow_answer, (arrivals, first_slow_answer)
    assert len(fast.requests) == 2 and max(r["at"] for r in fast.requests) < first_slow_answer
    # The slow lane's two posts one after another; the whole pass no longer than that lane.
    assert len(slow.requests) == 2 and took < 2 * slow.delay + 2.0, took
    assert AuditEvent.objects.filter(event_type=EventType.DELIVERY_SENT).count() == 6

    # Every message carries its delivery id: mail as Message-ID and X-Duban-Delivery-Id, robots as a header.
    ids = {f"duban-delivery-{pk}" for pk in Delivery.objects.values_list("pk", flat=True)}
    posted = {r["id"] for r in slow.requests + fast.requests}
    mailed = set()
    for message in smtp_server.messages:
        mail = email.message_from_bytes(message.content, policy=email.policy.default)
        mailed.add(mail["X-Duban-Delivery-Id"])
        assert mail["Message-ID"].startswith(f"<{mail['X-Duban-Delivery-Id']}@")
    assert posted | mailed == ids and len(posted) == 4 and len(mailed) == 2


def test_a_receiver_slower_than_the_timeout_fails_once_then_rests_while_the_others_flow(
        org, smtp_server, receivers, settings):
    settings.DUBAN_WEBHOOK_TIMEOUT = 1
    settings.DUBAN_DELIVERY_BREAKER_FAILURES = 1
    settings.DUBAN_DELIVERY_BREAKER_SECONDS = 600
    slow, fast = receivers(delay=2.5), receivers(delay=0.0)
    _wire(org, slow.url, fast.url)
    _messages(org, 3)
    deliveries_enqueue()
    now = timezone.now()

    first = deliveries_send(now=now)
    # One timed-out post to the slow group (not three: its lane stops at the first failure), everything else sent.
    assert first == {"sent": 6, "failed": 1, "dead": 0}, first
    assert len(slow.requests) == 1 and len(fast.requests) == 3 and len(smtp_server.messages) == 3
    failed = Delivery.objects.get(status="failed")
    assert failed.attempts == 1 and "timed out" in failed.last_error
    assert Delivery.objects.filter(channel="wecom", status="pending", claimed_until__isnull=True).count() == 2
    event = AuditEvent.objects.get(event_type=EventType.DELIVERY_FAILED)
    assert event.extra["delivery_id"] == failed.pk and event.extra["attempt"] == 1
    assert event.target_user_id == org.lead_admin.pk

    # More messages later: mail and the quick group go; the resting lane is not tried at all.
    notify(actor=org.system, recipients=[org.lead_admin, org.coop_staff], kind="task_reminded", title="催办提醒后续",
           body="x", payload={"group": "test:later"})
    deliveries_enqueue(now=now)
    later = deliveries_send(now=now + timezone.timedelta(seconds=120))
    assert later == {"sent": 2, "failed": 0, "dead": 0}, later
    assert len(slow.requests) == 1
    # When the breaker's rest is over, the failed message goes again with the same delivery id.
    slow.delay = 0.0
    again = deliveries_send(now=now + timezone.timedelta(seconds=601))
    assert again["sent"] == 4 and again["failed"] == 0, again
    assert [r["id"] for r in slow.requests].count(f"duban-delivery-{failed.pk}") == 2
    assert AuditEvent.objects.filter(event_type=EventType.DELIVERY_SENT).count() == 12


def test_the_last_allowed_attempt_is_audited_as_given_up(org, receivers, settings):
    settings.DUBAN_WEBHOOK_TIMEOUT = 1
    settings.DUBAN_DELIVERY_MAX_ATTEMPTS = 1
    slow = receivers(delay=2.0)
    deliveries_enqueue()  # the set-up's messages, before the robot is set
    Unit.objects.filter(pk=org.safety.pk).update(webhook_url=slow.url, webhook_kind="wecom")
    notify(actor=org.system, recipients=[org.lead_staff], kind="task_reminded", title="催办提醒", body="x")
    deliveries_enqueue()
    assert deliveries_send() == {"sent": 0, "failed": 0, "dead": 1}
    event = AuditEvent.objects.get(event_type=EventType.DELIVERY_GAVE_UP)
    assert event.extra["channel"] == "wecom" and event.extra["attempt"] == 1
    assert event.actor.username == "duban-system"
