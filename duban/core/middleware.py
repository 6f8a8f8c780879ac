"""Security headers (CSP) and the forced password change."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

# Scripts and styles are served from our own origin only; no inline script runs, so injected markup stays inert.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
                           "form-action 'self'; frame-ancestors 'none'")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            # Swagger UI (served from our static files) sets inline styles; its script is a file like ours.
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY.replace(
                "style-src 'self'", "style-src 'self' 'unsafe-inline'"))
        else:
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if _signed_in(request):
            # A page or answer made for one person stays out of shared and browser caches (back button after
            # sign-out, a proxy in front of the office).
            response.headers["Cache-Control"] = "no-store, private"
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


def _signed_in(request) -> bool:
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    try:
        return bool(user is not None and user.is_authenticated)
    except Exception:  # the session could not be read (database unavailable): nothing personal was served
        return False


class PasswordChangeRequiredMiddleware:
    """Demo users and new users must set their own password before anything else (等保: no shared defaults)."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/api/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(self.ALLOWED_PREFIXES):
            profile = getattr(user, "profile", None)
            if profile is not None and profile.must_change_password:
                return redirect(reverse("password_change"))
        return self.get_response(request)
