"""Login, failed login and logout are audited with the client address (等保: every sign-in is traceable).

Signals only decouple Django's auth views from our actions here; the audit row itself is written by the actions in
``duban.core.actions``.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver


def client_ip(request) -> str | None:
    """The peer address. Behind a reverse proxy the proxy must set REMOTE_ADDR (we never trust X-Forwarded-For,
    which any client can forge)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


@receiver(user_logged_in, dispatch_uid="duban.audit.login")
def _on_login(sender, request, user, **kwargs) -> None:
    from duban.core.actions import user_record_login

    user_record_login(actor=user, ip_address=client_ip(request))


@receiver(user_login_failed, dispatch_uid="duban.audit.login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from duban.core.actions import user_record_login_failure

    # django-axes's receiver runs first and marks a request refused by (or now reaching) the lock
    user_record_login_failure(username=str(credentials.get("username") or ""), ip_address=client_ip(request),
                              locked=bool(getattr(request, "axes_locked_out", False)))


@receiver(user_logged_out, dispatch_uid="duban.audit.logout")
def _on_logout(sender, request, user, **kwargs) -> None:
    if user is None or not user.is_authenticated:
        return
    from duban.core.actions import user_record_logout

    user_record_logout(actor=user, ip_address=client_ip(request))
