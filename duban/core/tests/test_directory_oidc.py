"""Sign-in with OpenID Connect (mozilla-django-oidc) against a provider started on loopback: the whole code flow
over real HTTP, claims giving login, role and unit; refusals and an unreachable provider come back to the sign-in
page with a reason; with the option off the routes do not exist."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse
from urllib.error import HTTPError
from urllib.request import HTTPRedirectHandler, build_opener

import pytest
from django.test import Client

from duban.core.audit import EventType
from duban.core.models import AuditEvent, Profile
from duban.core.tests import oidc_provider
from duban.core.tests.slapd import free_port

PEOPLE = {
    "qianqi": {"sub": "u-1", "preferred_username": "qianqi", "name": "钱七", "email": "qianqi@duban.test",
               "groups": ["duban-staff"], "department": "市卫健委"},
    "nobody": {"sub": "u-2", "preferred_username": "nobody", "name": "无角色", "groups": [], "department": "市卫健委"},
}


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def provider():
    with oidc_provider.Provider(PEOPLE) as running:
        yield running


def configure(settings, url: str, token_url: str | None = None) -> None:
    settings.DUBAN_OIDC_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "duban.core.directory.OIDCBackend"]
    settings.OIDC_RP_CLIENT_ID = oidc_provider.CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = oidc_provider.CLIENT_SECRET
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = url + "/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = token_url or url + "/token"
    settings.OIDC_OP_USER_ENDPOINT = url + "/userinfo"
    settings.OIDC_RP_SIGN_ALGO = "HS256"
    settings.DUBAN_OIDC_ROLE_MAP = "unit_staff=duban-staff;supervisor=duban-office"


def sign_in(client: Client, who: str):
    """The browser's round trip: our redirect to the provider, the provider's back with a code, our callback."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    with pytest.raises(HTTPError) as unfollowed:  # urllib reports the 302 it was told not to follow
        build_opener(NoRedirect).open(start["Location"] + "&login_hint=" + who, timeout=10)
    back = unfollowed.value.headers["Location"]
    query = {k: v[0] for k, v in parse_qs(urlparse(back).query).items()}
    return client.get("/oidc/callback/", query)


def test_the_code_flow_signs_in_with_role_and_unit_from_claims(org, provider, settings):
    configure(settings, provider.url)
    client = Client()
    assert 'id="oidc-login"' in client.get("/accounts/login/").content.decode()
    done = sign_in(client, "qianqi")
    assert done.status_code == 302 and done["Location"] == "/"
    profile = Profile.objects.get(user__username="qianqi")
    assert (profile.role, profile.unit_id, profile.must_change_password) == ("unit_staff", org.health.pk, False)
    assert profile.user.email == "qianqi@duban.test" and not profile.user.has_usable_password()
    assert client.get("/tasks/").status_code == 200
    event = AuditEvent.objects.get(event_type=EventType.USER_DIRECTORY_SYNCED)
    assert event.extra["source"] == "oidc" and event.target_user == profile.user


def test_no_role_is_refused_with_the_reason_on_the_sign_in_page(org, provider, settings):
    configure(settings, provider.url)
    client = Client()
    back = sign_in(client, "nobody")
    assert back.status_code == 302 and back["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert 'id="directory-error"' in page and "未分配本系统角色" in page
    assert not Profile.objects.filter(user__username="nobody").exists()
    assert client.get("/tasks/").status_code == 302  # not signed in


def test_an_unreachable_provider_is_a_message_not_a_500(org, provider, settings):
    configure(settings, provider.url, token_url=f"http://127.0.0.1:{free_port()}/token")
    client = Client()
    back = sign_in(client, "qianqi")
    assert back.status_code == 302
    assert "暂时无法连接" in client.get("/accounts/login/").content.decode()


def test_without_configuration_the_routes_are_not_there(org):
    client = Client()
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/").status_code == 404
    assert 'id="oidc-login"' not in client.get("/accounts/login/").content.decode()
