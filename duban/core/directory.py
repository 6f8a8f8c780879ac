"""Signing in with the organisation's directory: LDAP / Active Directory through django-auth-ldap, and OpenID
Connect through mozilla-django-oidc. Both are off unless configured (``DUBAN_LDAP_URI``, ``DUBAN_OIDC_*``).

The library checks the password (a bind as the person) and keeps the Django login; duban gives the login its role
(from directory groups or a claim) and unit (from an attribute or a claim, matched to a unit's name or alias)
through ``duban.core.actions.directory_user_sync``, audited. Someone the mapping gives no role, or a unit role
without a known unit, is refused. Local accounts keep working: the local backend is asked first, and a
directory that cannot be reached only marks the request so the sign-in page can say so (never a 500)."""

from __future__ import annotations

from django.conf import settings
try:
    from django_auth_ldap.backend import LDAPBackend, ldap_error
except ImportError:  # the "ldap" extra is not installed: LDAP sign-in is off (settings refuse DUBAN_LDAP_URI then)
    LDAPBackend = ldap_error = None

from duban.core.backends import ProfileModelBackend

# The order in which a person in several mapped groups gets a role: the widest first.
ROLE_ORDER = ("sysadmin", "supervisor", "leader", "unit_admin", "unit_staff")


def parse_role_map(text: str | None) -> dict[str, str]:
    """``"sysadmin=cn=admins,ou=groups,dc=x;unit_staff=cn=staff,..."`` → {group DN or claim value (lower case):
    role}. Separated by ``;`` because DNs contain commas."""
    out = {}
    for part in (text or "").split(";"):
        role, sep, group = part.partition("=")
        if sep and role.strip() in ROLE_ORDER and group.strip():
            out[group.strip().lower()] = role.strip()
    return out


def role_for(groups, role_map: dict[str, str]) -> str | None:
    roles = {role_map[g.lower()] for g in groups if g and g.lower() in role_map}
    return next((r for r in ROLE_ORDER if r in roles), None)


def mark_unreachable(request) -> None:
    if request is not None:
        request.directory_unreachable = True


def _on_ldap_error(sender, context, user, request, exception, **kwargs) -> None:
    import ldap

    if isinstance(exception, (ldap.SERVER_DOWN, ldap.TIMEOUT, ldap.CONNECT_ERROR)):
        mark_unreachable(request)


if ldap_error is not None:
    ldap_error.connect(_on_ldap_error, dispatch_uid="duban-directory-unreachable")


class DirectoryBackend(LDAPBackend or object):
    """django-auth-ldap, then duban's role and unit for the person; sessions are loaded like local ones."""

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is None:
            return None
        from duban.core.actions import directory_user_sync
        from duban.core.errors import DubanError

        attrs = ldap_user.attrs or {}
        unit_values = attrs.get(settings.DUBAN_LDAP_UNIT_ATTR.lower(), []) if settings.DUBAN_LDAP_UNIT_ATTR else []
        names = attrs.get("cn", []) or attrs.get("displayname", [])
        try:
            return directory_user_sync(user=user, source="ldap",
                                       role=role_for(ldap_user.group_dns, parse_role_map(settings.DUBAN_LDAP_ROLE_GROUPS)),
                                       unit_name=unit_values[0] if unit_values else "",
                                       display_name=names[0] if names else "")
        except DubanError as exc:
            request = getattr(ldap_user, "_request", None)
            if request is not None:
                request.directory_refusal = exc.message
            return None

    def get_user(self, user_id):
        return ProfileModelBackend().get_user(user_id)



# --- OpenID Connect (mozilla-django-oidc) -------------------------------------------------------------------

def directory_error(request, message: str) -> None:
    """Keep a directory sign-in's failure for the sign-in page, which the callback redirects to."""
    if request is not None and hasattr(request, "session"):
        request.session["directory_error"] = message


def _oidc_backend_base():
    from mozilla_django_oidc.auth import OIDCAuthenticationBackend

    return OIDCAuthenticationBackend


class OIDCBackend(_oidc_backend_base()):
    """mozilla-django-oidc's code flow; the login is the ``DUBAN_OIDC_USERNAME_CLAIM`` (not a hash of the email),
    and duban's role and unit come from the ``DUBAN_OIDC_ROLE_CLAIM`` and ``DUBAN_OIDC_UNIT_CLAIM`` claims."""

    def authenticate(self, request, **kwargs):
        import requests

        from duban.core.errors import DubanError

        try:
            return super().authenticate(request, **kwargs)
        except (requests.ConnectionError, requests.Timeout):
            directory_error(request, "统一身份认证服务暂时无法连接，请稍后再试；本地账号仍可登录 / "
                                     "the identity provider cannot be reached")
        except requests.RequestException:
            directory_error(request, "统一身份认证服务拒绝了本次登录，请重试 / the identity provider refused the sign-in")
        except DubanError as exc:
            directory_error(request, exc.message)
        return None

    def _username(self, claims) -> str:
        return str(claims.get(settings.DUBAN_OIDC_USERNAME_CLAIM) or "").strip()[:150]

    def verify_claims(self, claims):
        return bool(self._username(claims))

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=self._username(claims))

    def create_user(self, claims):
        self.claims = claims
        return self.UserModel.objects.create_user(self._username(claims), email=claims.get("email") or "",
                                                  first_name=str(claims.get("name") or "")[:150])

    def update_user(self, user, claims):
        self.claims = claims
        return user

    def get_or_create_user(self, access_token, id_token, payload):
        from duban.core.actions import directory_user_sync

        user = super().get_or_create_user(access_token, id_token, payload)
        if user is None:
            return None
        claims = self.claims
        groups = claims.get(settings.DUBAN_OIDC_ROLE_CLAIM) or []
        groups = [groups] if isinstance(groups, str) else list(groups)
        return directory_user_sync(user=user, source="oidc",
                                   role=role_for(groups, parse_role_map(settings.DUBAN_OIDC_ROLE_MAP)),
                                   unit_name=str(claims.get(settings.DUBAN_OIDC_UNIT_CLAIM) or ""),
                                   display_name=str(claims.get("name") or ""))

    def get_user(self, user_id):
        return ProfileModelBackend().get_user(user_id)
