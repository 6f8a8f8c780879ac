"""企业微信 application messages (应用消息) to one person, by their 企业微信 userid.

The provider's documented shapes: ``GET /cgi-bin/gettoken?corpid=…&corpsecret=…`` answers
``{"errcode": 0, "access_token": "…", "expires_in": 7200}``; ``POST /cgi-bin/message/send?access_token=…`` with
``{"touser": userid, "msgtype": "text", "agentid": agentid, "text": {"content": …}}`` answers ``{"errcode": 0, …}``.
Error codes 40014 and 42001 mean an invalid or expired token (refresh and resend); any other non-zero code (45009:
the rate limit) fails the attempt, which the worker retries with backoff.
"""

from __future__ import annotations

from django.conf import settings

from duban.followup.channels_person import TokenChannel, with_query


class WeComAppChannel(TokenChannel):
    name = "wecom_app"
    field = "wecom_userid"
    cache_key = "duban:wecom:token"
    token_errors = frozenset({40014, 42001})

    def configured(self) -> bool:
        return bool(settings.DUBAN_WECOM_CORPID and settings.DUBAN_WECOM_SECRET and settings.DUBAN_WECOM_AGENTID)

    def token_url(self) -> str:
        return with_query(f"{settings.DUBAN_WECOM_API_BASE}/cgi-bin/gettoken", corpid=settings.DUBAN_WECOM_CORPID,
                          corpsecret=settings.DUBAN_WECOM_SECRET)

    def send_request(self, token: str, target: str, text: str) -> tuple[str, dict]:
        return (with_query(f"{settings.DUBAN_WECOM_API_BASE}/cgi-bin/message/send", access_token=token),
                {"touser": target, "msgtype": "text", "agentid": int(settings.DUBAN_WECOM_AGENTID),
                 "text": {"content": text}})
