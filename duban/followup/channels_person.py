"""What the person channels (企业微信 application messages, 钉钉 work notices, SMS) share: the recipient's binding and
preferences (``PersonContact``), the quiet rule for non-working days, a provider access token kept in the cache and
refreshed when it expires, and JSON over HTTP with the provider's errors mapped to ``ChannelError``.

Each provider is a class in its own module (``channels_wecom``, ``channels_dingtalk``, ``channels_sms``) registered
through ``duban.followup.channels.register_channel`` like the built-in channels, by ``FollowupConfig.ready``.
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from duban.followup.channels import ChannelError, Deferred, http_json, message_text
from duban.tasks.workdays import is_workday, next_workday_on_or_after

QUIET_UNTIL_HOUR = 8  # held messages go out at 08:30 on the next working day
QUIET_UNTIL_MINUTE = 30


class TokenExpired(ChannelError):
    """The provider says the access token is invalid or expired: refresh it and try once more."""


def contact_of(user):
    """The person's contact settings, or None. Read through ``user.contact``, which the delivery loop loads with
    the delivery (``select_related``) before a lane thread sends: a send never touches the database."""
    from duban.followup.models import PersonContact

    try:
        return user.contact
    except PersonContact.DoesNotExist:
        return None


def quiet_until(now: dt.datetime) -> dt.datetime | None:
    """When a held message may go out, or None when ``now`` is a working day."""
    local = timezone.localtime(now, ZoneInfo(settings.TIME_ZONE))
    if is_workday(local.date()):
        return None
    day = next_workday_on_or_after(local.date())
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, QUIET_UNTIL_HOUR, QUIET_UNTIL_MINUTE),
                               ZoneInfo(settings.TIME_ZONE))


class PersonChannel:
    """A channel to one person through an id they bound. Subclasses set ``name``, ``field`` (the binding) and
    ``configured()``, and implement ``deliver(delivery)``."""

    name = ""
    field = ""

    def configured(self) -> bool:
        raise NotImplementedError

    def targets(self, notification) -> list[str]:
        if not self.configured():
            return []
        contact = contact_of(notification.recipient)
        if contact is None:
            return []
        target = (getattr(contact, self.field) or "").strip()
        if not target:
            return []
        if contact.kinds and notification.kind not in contact.kinds:
            return []
        if contact.channels and self.name not in contact.channels:
            return []
        return [target]

    def group_key(self, notification) -> str:
        # One message per notification and person: the (channel, target, group_key) constraint makes a second
        # queueing of the same notification a no-op, so nobody gets it twice.
        return f"n{notification.pk}"

    def send(self, delivery) -> None:
        contact = contact_of(delivery.notification.recipient)
        if contact is not None and contact.quiet_non_working_days:
            until = quiet_until(getattr(delivery, "attempt_at", None) or timezone.now())
            if until is not None:
                raise Deferred(until)
        self.deliver(delivery)  # its outcome is audited by the delivery loop (delivery_record), as every channel's

    def deliver(self, delivery) -> None:
        raise NotImplementedError


class TokenCache:
    """An access token kept in Django's cache (shared by the workers) until shortly before it expires."""

    MARGIN = 300  # seconds before the provider's expiry that we stop using a token

    def __init__(self, key: str, fetch):
        self.key = key
        self.fetch = fetch  # () -> (token, expires_in seconds)

    def get(self) -> str:
        token = cache.get(self.key)
        if token:
            return token
        return self.refresh()

    def refresh(self) -> str:
        token, expires_in = self.fetch()
        cache.set(self.key, token, max(int(expires_in) - self.MARGIN, 60))
        return token

    def call(self, send):
        """``send(token)``; when it raises ``TokenExpired``, refresh the token and send once more."""
        try:
            return send(self.get())
        except TokenExpired:
            return send(self.refresh())


def with_query(url: str, **params) -> str:
    return f"{url}?{urllib.parse.urlencode(params)}"


class TokenChannel(PersonChannel):
    """A provider that wants an access token on each send (企业微信, 钉钉): the token is fetched with the app's
    credentials, cached, and refreshed once when a send answers one of ``token_errors``; any other non-zero
    ``errcode`` fails the attempt. Subclasses give the two requests."""

    cache_key = ""
    token_errors: frozenset[int] = frozenset()

    def __init__(self):
        self.tokens = TokenCache(self.cache_key, self.fetch_token)

    def token_url(self) -> str:
        raise NotImplementedError

    def send_request(self, token: str, target: str, text: str) -> tuple[str, dict]:
        raise NotImplementedError

    def fetch_token(self):
        answer = http_json("GET", self.token_url())
        if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
            raise ChannelError(f"{self.name} gettoken errcode {answer.get('errcode')}: {answer.get('errmsg', '')}")
        return answer["access_token"], answer.get("expires_in", 7200)

    def deliver(self, delivery) -> None:
        text = message_text(delivery.notification)

        def send(token):
            url, payload = self.send_request(token, delivery.target, text)
            code = http_json("POST", url, payload=payload).get("errcode", 0)
            if code in self.token_errors:
                raise TokenExpired(f"{self.name} errcode {code}")
            if code != 0:
                raise ChannelError(f"{self.name} errcode {code}")
        self.tokens.call(send)
