"""Delivery channels: one small interface, one registry, and the built-in channels registered through it.

In-app delivery is the ``Notification`` row itself (the nav badge counts unread rows), so it needs no channel.
A channel says which ``targets`` a notification has on it (addresses, webhook URLs, phone numbers) and ``send``s
one delivery, raising ``ChannelError`` when the far end refuses; the worker records the outcome and retries with
backoff. A new channel lives in a module of its own and calls ``register_channel`` at import (the built-in ones
below do the same). Its contract:

- ``send`` runs in a worker thread, beside the sends of other lanes: it must not use the database. Everything it
  needs is loaded on ``delivery`` (its notification, the recipient with profile and unit, the task).
- ``send`` gives up after its own timeout (``DUBAN_WEBHOOK_TIMEOUT``, ``DUBAN_SMTP_TIMEOUT`` or one of its own
  setting), longer than the far end takes to answer: a sender that gives up before the receiver finishes records a
  failure for a message that arrives, and sends it again.
- every message carries ``delivery_key(delivery)`` where the receiver can see it (a header, a field), the same on
  every attempt, so receivers that keep it drop repeats.
- ``lane(delivery)`` (optional) names what a failure blocks: deliveries of one lane go one after another and back
  off together; lanes run at once. Without it the lane is the channel and target.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMessage, get_connection


class ChannelError(Exception):
    """A send that failed and may succeed later (network, 5xx, robot error code)."""


class Deferred(ChannelError):
    """Not now: send again at ``until`` without counting an attempt (a person's quiet hours). Not a failure: the
    lane goes on and its breaker is not touched."""

    def __init__(self, until):
        super().__init__(f"held until {until.isoformat()}")
        self.until = until


def http_json(method: str, url: str, *, payload: dict | None = None, headers: dict | None = None,
              lenient: bool = False) -> dict:
    """One JSON request; a 5xx, 429, other HTTP error or network failure is a ``ChannelError`` (retried later).
    An answer that is not JSON is one too, unless ``lenient`` (a group robot's plain 200: nothing to read)."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=settings.DUBAN_WEBHOOK_TIMEOUT) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise ChannelError(f"http {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"network: {exc}") from exc
    try:
        answer = json.loads(body or b"{}")
    except ValueError as exc:
        if lenient:
            return {}
        raise ChannelError("the provider's answer is not JSON") from exc
    return answer if isinstance(answer, dict) else {}


class Channel(Protocol):
    name: str

    def targets(self, notification) -> list[str]:
        """Where this notification goes on this channel (empty: not at all)."""

    def group_key(self, notification) -> str:
        """Deliveries with equal (channel, target, group_key) are one message."""

    def send(self, delivery) -> None:
        """Send one delivery; raise ``ChannelError`` on failure."""


def delivery_key(delivery) -> str:
    """The id a receiver sees on every attempt of one delivery (the same each time: repeats can be dropped)."""
    return f"duban-delivery-{delivery.pk}"


def channel_lane(channel, delivery) -> str:
    """The lane of a delivery: the channel's own ``lane`` if it has one, else the channel and target."""
    lane = getattr(channel, "lane", None)
    return lane(delivery) if lane is not None else f"{delivery.channel}:{delivery.target}"


_REGISTRY: dict[str, Channel] = {}


def register_channel(channel: Channel) -> Channel:
    _REGISTRY[channel.name] = channel
    return channel


def get_channel(name: str) -> Channel | None:
    return _REGISTRY.get(name)


def registered_channels() -> list[Channel]:
    return list(_REGISTRY.values())


def _recipient_unit(notification):
    profile = getattr(notification.recipient, "profile", None)
    return profile.unit if profile is not None else None


def message_text(notification) -> str:
    lines = [notification.title]
    if notification.body:
        lines.append(notification.body)
    if notification.task_id:
        lines.append(f"督办事项编号：{notification.task_id}")
    return "\n".join(lines)


class EmailChannel:
    """Mail over SMTP (``EMAIL_HOST``/``EMAIL_PORT``) to the recipient's own address."""

    name = "email"

    def targets(self, notification) -> list[str]:
        email = (notification.recipient.email or "").strip()
        return [email] if email else []

    def group_key(self, notification) -> str:
        return f"n{notification.pk}"

    def lane(self, delivery) -> str:
        """Every mail goes through the one SMTP server: when it fails, all mail waits."""
        return f"email:{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"

    def send(self, delivery) -> None:
        n = delivery.notification
        key = delivery_key(delivery)
        # Message-ID is what mail systems drop duplicates by; the same on every attempt of this delivery.
        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip("> ") or "localhost"
        headers = {"Message-ID": f"<{key}@{domain}>", "X-Duban-Delivery-Id": key}
        try:
            connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
            EmailMessage(subject=f"[督办] {n.title}", body=message_text(n), to=[delivery.target],
                         connection=connection, headers=headers).send(fail_silently=False)
        except (OSError, ValueError) as exc:  # smtplib errors are OSErrors
            raise ChannelError(f"smtp: {exc}") from exc


class WebhookChannel:
    """A group robot of the recipient's unit (``Unit.webhook_url`` of ``webhook_kind == name``). Staff of one unit
    share a group, so one notification fanned out to them is posted once."""

    name = ""

    def targets(self, notification) -> list[str]:
        unit = _recipient_unit(notification)
        if unit is None or not unit.webhook_url or unit.webhook_kind != self.name:
            return []
        return [unit.webhook_url]

    def group_key(self, notification) -> str:
        group = (notification.payload or {}).get("group")
        if group:
            return str(group)[:80]
        digest = hashlib.sha1("|".join([notification.kind, str(notification.task_id), notification.title,
                                        notification.body, notification.created_at.date().isoformat()])
                              .encode("utf-8")).hexdigest()
        return f"h{digest}"

    def payload(self, notification) -> dict:
        raise NotImplementedError

    def send(self, delivery) -> None:
        # The robots take only their documented JSON fields, so the delivery id travels as headers.
        key = delivery_key(delivery)
        answer = http_json("POST", delivery.target, payload=self.payload(delivery.notification),
                           headers={"X-Duban-Delivery-Id": key, "Idempotency-Key": key}, lenient=True)
        # Both robots answer 200 with {"errcode": 0, "errmsg": "ok"}; a non-zero code is a refusal.
        if answer.get("errcode", 0) != 0:
            raise ChannelError(f"robot errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")


def _markdown(notification) -> str:
    parts = [f"### {notification.title}"]
    if notification.body:
        parts.append(notification.body)
    if notification.task_id:
        parts.append(f"> 督办事项编号：{notification.task_id}")
    return "\n".join(parts)


class WeComChannel(WebhookChannel):
    name = "wecom"

    def payload(self, notification) -> dict:
        return {"msgtype": "markdown", "markdown": {"content": _markdown(notification)}}


class DingTalkChannel(WebhookChannel):
    name = "dingtalk"

    def payload(self, notification) -> dict:
        return {"msgtype": "markdown", "markdown": {"title": notification.title, "text": _markdown(notification)}}


register_channel(EmailChannel())
register_channel(WeComChannel())
register_channel(DingTalkChannel())
