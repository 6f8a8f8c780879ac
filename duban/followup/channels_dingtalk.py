"""钉钉 work notices (工作通知) to one person, by their 钉钉 userid.

The provider's documented shapes: ``GET /gettoken?appkey=…&appsecret=…`` answers
``{"errcode": 0, "access_token": "…", "expires_in": 7200}``;
``POST /topapi/message/corpconversation/asyncsend_v2?access_token=…`` with
``{"agent_id": …, "userid_list": userid, "msg": {"msgtype": "text", "text": {"content": …}}}`` answers
``{"errcode": 0, "task_id": …}``. Error codes 40014 and 88 mean an invalid or expired token (refresh and resend); any
other non-zero code (a flow-control code, say) fails the attempt, which the worker retries with backoff.
"""

from __future__ import annotations

from django.conf import settings

from duban.followup.channels_person import TokenChannel, with_query


class DingTalkWorkChannel(TokenChannel):
    name = "dingtalk_work"
    field = "dingtalk_userid"
    cache_key = "duban:dingtalk:token"
    token_errors = frozenset({40014, 88})

    def configured(self) -> bool:
        return bool(settings.DUBAN_DINGTALK_APPKEY and settings.DUBAN_DINGTALK_APPSECRET
                    and settings.DUBAN_DINGTALK_AGENTID)

    def token_url(self) -> str:
        return with_query(f"{settings.DUBAN_DINGTALK_API_BASE}/gettoken", appkey=settings.DUBAN_DINGTALK_APPKEY,
                          appsecret=settings.DUBAN_DINGTALK_APPSECRET)

    def send_request(self, token: str, target: str, text: str) -> tuple[str, dict]:
        return (with_query(f"{settings.DUBAN_DINGTALK_API_BASE}/topapi/message/corpconversation/asyncsend_v2",
                           access_token=token),
                {"agent_id": int(settings.DUBAN_DINGTALK_AGENTID), "userid_list": target,
                 "msg": {"msgtype": "text", "text": {"content": text}}})
