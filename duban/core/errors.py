"""Domain errors. Handlers turn them into HTTP in one place (``duban.api`` and ``duban.core.views``).

Messages are Chinese first with English alongside, because the office reads Chinese and scripts read English.
"""

from __future__ import annotations


class DubanError(Exception):
    status = 400
    code = "error"

    def __init__(self, message_zh: str, message_en: str = "", *, details: list | dict | None = None):
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details

    @property
    def message(self) -> str:
        return f"{self.message_zh} / {self.message_en}" if self.message_en else self.message_zh

    def as_dict(self) -> dict:
        data = {"code": self.code, "message": self.message_zh, "message_en": self.message_en}
        if self.details is not None:
            data["details"] = self.details
        return data


class NotFound(DubanError):
    """Raised alike for a missing row and a row outside the viewer's scope, so an id reveals nothing."""

    status = 404
    code = "not_found"

    def __init__(self, message_zh: str = "未找到", message_en: str = "not found", **kw):
        super().__init__(message_zh, message_en, **kw)


class PermissionDenied(DubanError):
    status = 403
    code = "permission_denied"

    def __init__(self, message_zh: str = "无权执行此操作", message_en: str = "permission denied", **kw):
        super().__init__(message_zh, message_en, **kw)


class Conflict(DubanError):
    status = 409
    code = "conflict"


class InvalidInput(DubanError):
    status = 422
    code = "invalid_input"


def is_api_path(path: str) -> bool:
    """Requests whose errors are answered with the JSON envelope instead of a page."""
    return path.startswith("/api/v1/") or path == "/api/v1"


def error_envelope(status: int, code: str, message_zh: str, message_en: str):
    """The API's error body ``{code, message, message_en}`` for errors raised outside the API's own handlers
    (unknown paths, oversized bodies, an unavailable database)."""
    from django.http import JsonResponse

    return JsonResponse({"code": code, "message": message_zh, "message_en": message_en}, status=status,
                        json_dumps_params={"ensure_ascii": False})
