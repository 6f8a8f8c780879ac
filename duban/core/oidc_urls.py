"""OpenID Connect sign-in routes (mozilla-django-oidc's views under /oidc/). They answer 404 unless
``DUBAN_OIDC_CLIENT_ID`` is set, so an installation without a provider shows no half-configured door."""

from django.conf import settings
from django.http import Http404
from django.urls import path


def _when_enabled(view_name: str):
    def view(request, *args, **kwargs):
        if not settings.DUBAN_OIDC_ENABLED:
            raise Http404("未启用统一身份认证")
        from mozilla_django_oidc import views

        return getattr(views, view_name).as_view()(request, *args, **kwargs)

    return view


urlpatterns = [
    path("oidc/authenticate/", _when_enabled("OIDCAuthenticationRequestView"), name="oidc_authentication_init"),
    path("oidc/callback/", _when_enabled("OIDCAuthenticationCallbackView"), name="oidc_authentication_callback"),
]
