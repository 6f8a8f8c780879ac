"""Security headers (CSP), the forced password change, and where an expired session sends the user."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

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
                if request.headers.get("HX-Request") == "true":
                    # a fragment request would paste the password page into the page: leave the page instead
                    answer = HttpResponse(status=200)
                    answer["HX-Redirect"] = reverse("password_change")
                    return answer
                return redirect(reverse("password_change"))
        return self.get_response(request)


class SignInRedirectMiddleware:
    """After a session expired, send the user to sign in and back to the *page* they were on.

    ``login_required`` answers with a redirect to the sign-in page whose ``next`` is the URL requested. That is
    right for a page, wrong for two kinds of request:

    - an HTMX request would follow the redirect and swap the sign-in page into a table row; it gets
      ``HX-Redirect`` instead, so the browser leaves the page, with ``next`` the page the fragment belongs to
      (``HX-Current-URL``);
    - a form post (报送进展, say) would come back after signing in as a GET of the post's URL, which answers 405;
      ``next`` becomes the page the form was on (the ``Referer``), where the typed text waits in the browser
      (``app.js`` keeps forms marked ``data-draft`` until they were sent).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 302 or request.user.is_authenticated:
            return response
        sign_in = resolve_url(settings.LOGIN_URL)
        if not response.get("Location", "").startswith(sign_in + "?"):
            return response
        htmx = request.headers.get("HX-Request") == "true"
        if not htmx and request.method in ("GET", "HEAD"):
            return response
        source = request.headers.get("HX-Current-URL" if htmx else "Referer", "")
        target = "/"
        if source and url_has_allowed_host_and_scheme(source, allowed_hosts={request.get_host()},
                                                      require_https=request.is_secure()):
            parts = urlsplit(source)
            if parts.path != sign_in:
                target = parts.path + (f"?{parts.query}" if parts.query else "")
        location = f"{sign_in}?{urlencode({'next': target})}"
        if htmx:
            answer = HttpResponse(status=200)
            answer["HX-Redirect"] = location
            return answer
        return redirect(location)
