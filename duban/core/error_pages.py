"""What an error looks like to a person (our Chinese pages) and to a script (the API's JSON envelope), for errors
raised outside a view's own handling: unknown paths, refused or oversized requests, numbers beyond the database's
range, an unavailable database and anything unexpected. Django calls these through ``handler400`` … ``handler500``
(``duban.urls``) and ``CSRF_FAILURE_VIEW``; ``DatabaseErrorMiddleware`` maps the database's refusals raised in a
view before they become a server error."""

from __future__ import annotations

import logging
import sys

from django.core.exceptions import DisallowedHost
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

from duban.core.errors import DubanError, error_envelope, is_api_path

logger = logging.getLogger("duban.errors")

# (status, code, Chinese, English) of each kind of refusal
OUT_OF_RANGE = (400, "invalid_input", "数值超出范围或格式不正确", "a number or value is out of range")
UNAVAILABLE = (503, "unavailable", "数据库暂时无法访问，请稍后重试", "the database is unavailable; try again later")
_STATUS_TEXT = {
    400: ("请求无效", "bad request"), 401: ("请先登录", "authentication required"),
    403: ("无权执行此操作", "permission denied"), 404: ("未找到", "not found"),
    405: ("不支持此请求方法", "method not allowed"), 413: ("请求内容过大", "request body too large"),
    429: ("请求过于频繁，请稍后再试", "too many requests"),
}
_PAGES = {
    400: (400, "bad_request", "请求无效", "bad request"),
    403: (403, "permission_denied", "无权执行此操作", "permission denied"),
    404: (404, "not_found", "未找到", "not found"),
    500: (500, "server_error", "系统出现错误，请稍后重试", "internal server error"),
}


def _answer(request, kind, template: str, context: dict | None = None):
    status, code, zh, en = kind
    if is_api_path(request.path):
        return error_envelope(status, code, zh, en)
    try:
        body = loader.render_to_string(template, context or {}, request if status < 500 else None)
    except Exception:  # the page itself failed (its base template reads the database): a plain answer
        body = f"<!doctype html><title>{zh}</title><h1>{zh}</h1>"
    return HttpResponse(body, status=status)


def refusal_for(exc: BaseException):
    """The kind of answer a database or number error deserves, or None for a real fault. A domain error that a
    view did not map itself is answered with its own status and message."""
    if isinstance(exc, DubanError):
        return (exc.status, exc.code, exc.message_zh, exc.message_en)
    if isinstance(exc, (OverflowError, DataError)):
        return OUT_OF_RANGE
    if isinstance(exc, (OperationalError, InterfaceError)):
        return UNAVAILABLE
    return None


def refusal_response(request, exc: BaseException):
    kind = refusal_for(exc)
    if kind is None:
        return None
    if kind is UNAVAILABLE:
        logger.error("database unavailable on %s: %s", request.path, exc)
        return _answer(request, kind, "503.html")
    if kind[0] == 404:
        return _answer(request, kind, "404.html")
    if kind[0] == 403:
        return _answer(request, kind, "403.html", {"exception": kind[2]})
    return _answer(request, kind, "400.html", {"exception": kind[2]})


def bad_request(request, exception=None):
    return _answer(request, _PAGES[400], "400.html")


def permission_denied(request, exception=None):
    kind = _PAGES[403]
    if exception is not None and str(exception):
        kind = (403, "permission_denied", str(exception), kind[3])
    return _answer(request, kind, "403.html", {"exception": str(exception or "")})


def page_not_found(request, exception=None):
    return _answer(request, _PAGES[404], "404.html")


def server_error(request):
    response = refusal_response(request, sys.exc_info()[1]) if sys.exc_info()[1] is not None else None
    return response or _answer(request, _PAGES[500], "500.html")


def size_text(size: int) -> str:
    """A size as a person reads it: 5MB, 3.8MB, 64KB."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + "MB"
    return f"{max(1, round(size / 1024))}KB"


def too_large(request, limit: int, signed_in: bool):
    """The request was refused by its size before anything read it (``RequestSizeMiddleware``, which gives this
    address's ``limit`` and whether the request is signed in: ``uploads.upload_limit``): the page says the limit
    and leads back to the form (the page the request came from, when it is ours), where
    what was typed is kept (``data-draft``) but the files have to be chosen again."""
    from django.utils.http import url_has_allowed_host_and_scheme

    stated = size_text(limit)
    zh = (f"请求内容过大，未被接收：上传的文件合计不能超过{stated}" if signed_in
          else "请求内容过大，未被接收")
    kind = (413, "too_large", zh, f"the request body is too large (at most {stated})")
    back = request.META.get("HTTP_REFERER", "")
    try:
        ours = url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure())
    except DisallowedHost:
        ours = False
    back = back if ours else ""
    return _answer(request, kind, "413.html", {"exception": zh, "limit": stated, "signed_in": signed_in,
                                              "back": back})


def csrf_failure(request, reason: str = ""):
    kind = (403, "csrf_failed", "页面已过期或缺少安全令牌，请刷新后重试", "CSRF verification failed; reload and retry")
    return _answer(request, kind, "403_csrf.html")


class DatabaseErrorMiddleware:
    """A view's number beyond the database's range → 400, an unavailable database → 503 (page or JSON); any
    other error answer under /api/v1 that is not JSON (a method not allowed, say) becomes the envelope, and a page's
    method not allowed (a form's address opened in the browser) our page instead of an empty body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (response.status_code >= 400 and is_api_path(request.path)
                and not response.get("Content-Type", "").startswith("application/json")):
            status = response.status_code
            zh, en = _STATUS_TEXT.get(status, ("请求无法处理", "the request cannot be processed"))
            return error_envelope(status, _PAGES.get(status, (0, "http_error"))[1], zh, en)
        if response.status_code == 405 and not response.content:
            # a form's address opened in the browser (a bookmark, a link copied from the address bar): Django's
            # answer has no body, which the browser shows as its own error; ours says what the address is for
            page = _answer(request, (405, "method_not_allowed", "不能直接打开此地址", "method not allowed"), "405.html")
            page["Allow"] = response.get("Allow", "")
            return page
        return response

    def process_exception(self, request, exc):
        return refusal_response(request, exc)
