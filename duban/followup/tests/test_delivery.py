import datetime as dt
import email
import email.policy

from django.contrib.auth import get_user_model
from django.utils import timezone

from duban.core.models import Notification, Unit
from duban.followup.queueing import deliveries_enqueue
from duban.followup.delivery import claim_lease, deliveries_send, delivery_claim
from duban.followup.models import Delivery
from duban.followup.reminders import reminders_run
from duban.followup.tests.conftest import place_task

D = dt.date


def _setup(org, webhook_url="", kind="wecom"):
    """A weekly task; the addresses are set afterwards so only follow-up messages travel."""
    task = place_task(org.task_in("in_progress"), assigned=D(2025, 9, 1), deadline=D(2025, 12, 31),
                      cycle="weekly", progress=30, reported=D(2025, 9, 1))
    deliveries_enqueue()  # the assignment's notifications: nobody has an address yet
    get_user_model().objects.filter(pk=org.lead_admin.pk).update(email="head@safety.example")
    Unit.objects.filter(pk=org.safety.pk).update(webhook_url=webhook_url, webhook_kind=kind)
    return task


def test_warning_reaches_the_head_by_mail_over_real_smtp(org, smtp_server):
    _setup(org)
    reminders_run(today=D(2025, 9, 9))
    assert deliveries_enqueue() == 1
    counts = deliveries_send()
    assert counts == {"sent": 1, "failed": 0, "dead": 0}
    [message] = smtp_server.messages
    assert message.rcpt_tos == ["head@safety.example"]
    mail = email.message_from_bytes(message.content, policy=email.policy.default)
    assert str(mail["Subject"]).strip().startswith("[督办] 督办预警（黄灯）")
    assert "逾期未报" in mail.get_content()
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.channel) == ("sent", 1, "email")


def test_wecom_webhook_retries_after_a_500(org, webhook_server):
    _setup(org, webhook_url=webhook_server.url + "/wecom?key=abc", kind="wecom")
    webhook_server.recorder.statuses = [500]
    now = timezone.now()
    reminders_run(today=D(2025, 9, 3))  # blue: one staff member in the unit group
    deliveries_enqueue(now=now)
    assert deliveries_send(now=now) == {"sent": 0, "failed": 1, "dead": 0}
    delivery = Delivery.objects.get(channel="wecom")
    assert (delivery.status, delivery.attempts) == ("failed", 1) and "500" in delivery.last_error
    assert delivery.next_attempt_at == now + dt.timedelta(seconds=60)
    assert deliveries_send(now=now + dt.timedelta(seconds=30)) == {"sent": 0, "failed": 0, "dead": 0}  # backing off
    assert deliveries_send(now=now + dt.timedelta(seconds=61)) == {"sent": 1, "failed": 0, "dead": 0}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert len(webhook_server.recorder.requests) == 2
    body = webhook_server.recorder.requests[-1]["json"]
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    assert "催办提醒" in body["markdown"]["content"]


def test_dingtalk_payload_and_one_post_per_group(org, webhook_server):
    _setup(org, webhook_url=webhook_server.url + "/ding", kind="dingtalk")
    reminders_run(today=D(2026, 1, 5))  # red: the head and the supervisor; the head's unit has the robot
    # a message to several people of one unit is one group post
    from duban.core.notifications import notify

    notify(actor=org.system, recipients=[org.lead_admin, org.lead_staff], kind="task_assigned", title="新交办事项：测试",
           body="x")
    deliveries_enqueue()
    deliveries_send()
    posts = [r["json"] for r in webhook_server.recorder.requests]
    assert len(posts) == 2
    assert all(set(p["markdown"]) == {"title", "text"} for p in posts)
    assert posts[0]["markdown"]["title"].startswith("超期督办")


def test_gives_up_after_the_maximum_attempts(org, webhook_server, settings):
    settings.DUBAN_DELIVERY_MAX_ATTEMPTS = 3
    _setup(org, webhook_url=webhook_server.url + "/w", kind="wecom")
    webhook_server.recorder.statuses = [500, 500, 500, 500]
    reminders_run(today=D(2025, 9, 3))
    deliveries_enqueue()
    now = timezone.now()
    outcomes = [deliveries_send(now=now + dt.timedelta(hours=i)) for i in range(4)]
    assert [o["failed"] for o in outcomes] == [1, 1, 0, 0] and outcomes[2]["dead"] == 1
    assert Delivery.objects.get().status == "dead"


def test_a_claimed_delivery_is_not_claimed_twice(org):
    _setup(org)
    reminders_run(today=D(2025, 9, 9))
    deliveries_enqueue()
    delivery = Delivery.objects.get()
    now = timezone.now()
    assert delivery_claim(delivery_id=delivery.pk, worker="a", now=now) is True
    assert delivery_claim(delivery_id=delivery.pk, worker="b", now=now) is False
    assert delivery_claim(delivery_id=delivery.pk, worker="b", now=now + claim_lease() - dt.timedelta(seconds=1)) is False
    assert delivery_claim(delivery_id=delivery.pk, worker="b", now=now + claim_lease() + dt.timedelta(seconds=1)) is True


def test_enqueue_sees_each_notification_once(org):
    _setup(org)
    reminders_run(today=D(2025, 9, 9))
    assert deliveries_enqueue() == 1
    assert deliveries_enqueue() == 0
    assert Notification.objects.filter(kind="task_warned").count() == 1


def test_each_failed_attempt_waits_twice_as_long_as_the_one_before(org, webhook_server, settings):
    """DUBAN_DELIVERY_BACKOFF_SECONDS is the first retry delay; it doubles at each attempt."""
    settings.DUBAN_DELIVERY_BACKOFF_SECONDS = 60
    settings.DUBAN_DELIVERY_MAX_ATTEMPTS = 10
    _setup(org, webhook_url=webhook_server.url + "/wecom?key=abc", kind="wecom")
    webhook_server.recorder.statuses = [500, 500, 500]
    reminders_run(today=D(2025, 9, 3))
    now = timezone.now()
    deliveries_enqueue(now=now)
    waits = []
    for _ in range(3):
        assert deliveries_send(now=now) == {"sent": 0, "failed": 1, "dead": 0}
        delivery = Delivery.objects.get(channel="wecom")
        waits.append((delivery.next_attempt_at - now).total_seconds())
        now = delivery.next_attempt_at
    assert waits == [60, 120, 240]
