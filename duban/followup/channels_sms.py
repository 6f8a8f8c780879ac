"""SMS through a configurable HTTP gateway (the city's own SMS platform or a provider's), by template.

The gateway contract: ``POST DUBAN_SMS_GATEWAY_URL`` with ``Authorization: Bearer DUBAN_SMS_API_KEY`` and
``{"phone": mobile, "template_id": DUBAN_SMS_TEMPLATE_ID, "params": {"title": …, "task_id": …}}``; a 2xx answer with
``{"code": "OK"}`` is sent. Any other code, a 429 (rate limit) or a 5xx fails the attempt, which the worker retries
with backoff. SMS carries template parameters, not free text, because carriers only pass registered templates.
"""

from __future__ import annotations

from django.conf import settings

from duban.followup.channels import ChannelError
from duban.followup.channels_person import PersonChannel, http_json

TITLE_LIMIT = 20  # carriers cap a template parameter's length


class SmsChannel(PersonChannel):
    name = "sms"
    field = "mobile"

    def configured(self) -> bool:
        return bool(settings.DUBAN_SMS_GATEWAY_URL and settings.DUBAN_SMS_TEMPLATE_ID)

    def deliver(self, delivery) -> None:
        n = delivery.notification
        headers = {"Authorization": f"Bearer {settings.DUBAN_SMS_API_KEY}"} if settings.DUBAN_SMS_API_KEY else {}
        answer = http_json("POST", settings.DUBAN_SMS_GATEWAY_URL, headers=headers, payload={
            "phone": delivery.target, "template_id": settings.DUBAN_SMS_TEMPLATE_ID,
            "params": {"title": n.title[:TITLE_LIMIT], "task_id": str(n.task_id or "")}})
        if answer.get("code") != "OK":
            raise ChannelError(f"sms gateway code {answer.get('code')}: {answer.get('message', '')}")
