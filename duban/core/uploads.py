"""Limits on what an upload may cost before anything reads it.

``check_zip_package`` is for every zip-based document format (.docx, .xlsx, .ofd): it reads the archive's central
directory only and refuses a package with too many members or too large an unpacked size, before a parser (lxml
behind python-docx and openpyxl) inflates a byte of it. Python's ``zipfile`` never inflates more than a member's
declared size, so the declared sizes bound what the parsers can get.

``RequestSizeMiddleware`` refuses a request by its ``Content-Length`` before the body is read: a small maximum for
requests from nobody signed in (the sign-in form is all they may post), and per route for the signed-in (uploads
may be large, other forms and JSON bodies not)."""

from __future__ import annotations

from django.conf import settings

from duban.core.errors import InvalidInput

# room for a multipart body's boundaries, headers and the other form fields around a file of the maximum size
_MULTIPART_OVERHEAD = 64 * 1024


def check_zip_package(data: bytes, *, kind: str) -> None:
    """Refuse ``data`` (a .docx, .xlsx or other zip package, named ``kind`` in messages) when it holds more than
    ``DUBAN_ZIP_MAX_MEMBERS`` members or unpacks to more than ``DUBAN_ZIP_MAX_UNPACKED_BYTES``. Data that is no
    zip at all passes: the format's own reader then says what is wrong with it. The rule itself is the document
    readers' (``duban.extraction.formats.zipsafe``), so every zip-based format is judged alike."""
    from duban.extraction.errors import ExtractionError
    from duban.extraction.formats.zipsafe import open_zip

    try:
        open_zip(data, max_unpacked_bytes=settings.DUBAN_ZIP_MAX_UNPACKED_BYTES,
                 max_members=settings.DUBAN_ZIP_MAX_MEMBERS, what=f" {kind} ").close()
    except ExtractionError as exc:
        if exc.code == "bad_package":
            return
        raise InvalidInput(exc.message_zh, exc.message_en) from None


def upload_limit(request) -> tuple[int, bool]:
    """The most this request's files may add up to, as the forms state it (合计不超过5MB), and whether the
    request is signed in (nobody signed in may post only the sign-in form: no files at all)."""
    signed_in = "HTTP_AUTHORIZATION" in request.META  # checked by the API before it reads the body
    if not signed_in:
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
    if not signed_in:
        return settings.DUBAN_ANONYMOUS_MAX_BODY_BYTES, False
    for prefix, limit in settings.DUBAN_ROUTE_MAX_BODY_BYTES:
        if request.path.startswith(prefix):
            return limit, True
    return settings.DUBAN_MAX_UPLOAD_BYTES, True


def body_limit(request) -> int:
    """The largest body this request may carry."""
    limit, signed_in = upload_limit(request)
    return limit + _MULTIPART_OVERHEAD if signed_in else limit


class RequestSizeMiddleware:
    """413 for a body larger than ``body_limit`` by its declared length, before anything reads it (the CSRF check
    would parse a multipart body into temporary files). Placed after the authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > 0 and length > body_limit(request):
            from duban.core.error_pages import too_large

            return too_large(request, *upload_limit(request))
        return self.get_response(request)
