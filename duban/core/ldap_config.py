"""django-auth-ldap's settings built from plain values; imported by ``duban.settings`` (so nothing here may load
Django's models) and by the tests, which point it at their own slapd."""

from __future__ import annotations


def ldap_settings(*, uri: str, bind_dn: str = "", bind_password: str = "", user_base: str,
                  user_filter: str = "(uid=%(user)s)", group_base: str = "", group_type: str = "groupOfNames",
                  timeout: int = 5) -> dict:
    """django-auth-ldap's ``AUTH_LDAP_*`` settings from plain values (``duban.settings`` passes the
    ``DUBAN_LDAP_*`` environment; tests pass their own slapd's). ``group_type`` "activeDirectory" reads AD's
    nested ``member``/``memberOf`` groups."""
    try:
        import ldap
        from django_auth_ldap.config import GroupOfNamesType, LDAPSearch, NestedActiveDirectoryGroupType
    except ImportError:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            "DUBAN_LDAP_URI is set but LDAP support is not installed: apt-get install libldap2-dev libsasl2-dev, "
            "then pip install -r requirements-ldap.lock (or pip install 'duban[ldap]')") from None

    groups = NestedActiveDirectoryGroupType() if group_type == "activeDirectory" else GroupOfNamesType()
    group_filter = "(objectClass=group)" if group_type == "activeDirectory" else "(objectClass=groupOfNames)"
    return {
        "AUTH_LDAP_SERVER_URI": uri,
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": bind_password,
        "AUTH_LDAP_USER_SEARCH": LDAPSearch(user_base, ldap.SCOPE_SUBTREE, user_filter),
        "AUTH_LDAP_GROUP_SEARCH": LDAPSearch(group_base or user_base, ldap.SCOPE_SUBTREE, group_filter),
        "AUTH_LDAP_GROUP_TYPE": groups,
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "cn", "email": "mail"},
        # A directory that does not answer must not hold the sign-in page: fail fast, say so, let local accounts in.
        "AUTH_LDAP_CONNECTION_OPTIONS": {ldap.OPT_NETWORK_TIMEOUT: timeout, ldap.OPT_TIMEOUT: timeout,
                                         ldap.OPT_REFERRALS: 0},
    }
