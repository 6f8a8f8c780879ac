"""The one JSON API (/api/v1): mounts each app's router; domain errors become HTTP here and nowhere else."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, DataError
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.security.session import SessionAuth

from duban.core.actions import api_token_digest
from duban.core.errors import DubanError, PermissionDenied
from duban.core.models import ApiToken

logger = logging.getLogger("duban.api")


def _refuse_until_password_changed(user) -> None:
    """A new or demo account must set its own password on the web page before it may use the API (等保: no
    shared default passwords in use); a 403 says so instead of a bare 401."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.must_change_password:
        raise PermissionDenied("请先登录网页修改初始密码，再使用接口",
                               "change the initial password on the web page before using the API")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer dbn_…`` with a token made on the account page: not revoked, not expired (tokens
    from before expiry existed expire ``DUBAN_API_TOKEN_DAYS`` after they were made)."""

    def authenticate(self, request, token: str):
        now = timezone.now()
        unexpired = Q(expires_at__gt=now) | Q(
            expires_at__isnull=True, created_at__gt=now - dt.timedelta(days=settings.DUBAN_API_TOKEN_DAYS))
        row = (ApiToken.objects.select_related("user", "user__profile", "user__profile__unit")
               .filter(unexpired, key_hash=api_token_digest(token), revoked_at__isnull=True,
                       user__is_active=True).first())
        if row is None:
            return None
        _refuse_until_password_changed(row.user)
        _note_use(row, now)
        request.user = row.user
        request.api_token = row
        return row.user


def _note_use(row: ApiToken, now) -> None:
    """A read must not write: the last use is kept to the hour, so a token's reads write at most once an hour,
    outside any transaction, and a failed write (a full disk, a held lock) never fails the read."""
    if row.last_used_at is not None and now - row.last_used_at < dt.timedelta(hours=1):
        return
    try:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    except DatabaseError as exc:
        logger.warning("token %s: last use not recorded: %s", row.pk, exc)


class PasswordCheckedSessionAuth(SessionAuth):
    """Django's session (with its CSRF check), refused like a token while the password must be changed."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            _refuse_until_password_changed(user)
        return user


api = NinjaAPI(
    title="duban 督办 API",
    version="1",
    description="督查督办平台接口。每个用户只能看到本单位可见的数据。Every user sees only what their unit may see.",
    auth=[TokenAuth(), PasswordCheckedSessionAuth()],
    urls_namespace="api",
)


def _envelope(request, status: int, code: str, message: str, message_en: str, details=None):
    body = {"code": code, "message": message, "message_en": message_en}
    if details is not None:
        body["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(DubanError)
def _domain_error(request, exc: DubanError):
    return _envelope(request, exc.status, exc.code, exc.message_zh, exc.message_en, exc.details)


@api.exception_handler(Http404)
def _http404(request, exc):
    # Django's own 404 (a stored file that is gone, a get_object_or_404) in the envelope like every other error.
    return _envelope(request, 404, "not_found", "未找到", "not found")


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return _envelope(request, 422, "invalid_input", "输入不合法", "invalid input", exc.errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return _envelope(request, 401, "unauthenticated", "请先登录", "authentication required")


@api.exception_handler(OverflowError)
def _number_out_of_range(request, exc):
    # An id or number beyond the database's integer range (2**63 and up) is bad input, not a server error.
    return _envelope(request, 422, "invalid_input", "数值超出范围", "a number is out of range")


@api.exception_handler(DataError)
def _data_error(request, exc):
    # The database refused a value that passed validation (PostgreSQL: integer or text out of range).
    return _envelope(request, 422, "invalid_input", "数值超出范围或格式不正确", "a value is out of range")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _envelope(request, exc.status_code, "http_error", str(exc), str(exc))


def _mount() -> None:
    from duban.core.api import router as core_router
    from duban.followup.api import router as followup_router
    from duban.meetings.api import router as meetings_router
    from duban.reports.api import router as reports_router
    from duban.sources.api import router as sources_router
    from duban.tasks.api import reports_router as progress_router
    from duban.tasks.api import router as tasks_router

    api.add_router("/", core_router, tags=["units"])
    api.add_router("/meetings", meetings_router, tags=["meetings"])
    api.add_router("/tasks", tasks_router, tags=["tasks"])
    api.add_router("/reports", progress_router, tags=["progress reports"])
    api.add_router("/", followup_router, tags=["follow-up"])
    api.add_router("/", reports_router, tags=["reports"])
    api.add_router("/", sources_router, tags=["sources"])


_mount()
