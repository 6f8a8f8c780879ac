"""Sign-in through LDAP against a real slapd on loopback: bind as the person, groups give the role, an attribute
the unit; no role or an unknown unit is refused with a reason; local accounts keep working; an unreachable
directory gives a clear message, never a 500."""

from __future__ import annotations

import importlib.util
import os

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from duban.conftest import PASSWORD, require_tool
from duban.core.audit import EventType
from duban.core.ldap_config import ldap_settings
from duban.core.models import AuditEvent, Profile
from duban.core.tests import slapd

pytestmark = pytest.mark.slow
PEOPLE = f"ou=people,{slapd.SUFFIX}"
GROUPS = f"ou=groups,{slapd.SUFFIX}"
LDAP_PASSWORD = "Ldap-pass-2026!"


def person(uid: str, cn: str, ou: str) -> str:
    return (f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\nsn: {cn[0]}\nou: {ou}\n"
            f"mail: {uid}@duban.test\nuserPassword: {LDAP_PASSWORD}\n\n")


def group(cn: str, *members: str) -> str:
    return f"dn: cn={cn},{GROUPS}\nobjectClass: groupOfNames\ncn: {cn}\n" + "".join(
        f"member: uid={m},{PEOPLE}\n" for m in members) + "\n"


@pytest.fixture(scope="module")
def directory(tmp_path_factory):
    require_tool(os.path.exists(slapd.SLAPD), "slapd (Debian package slapd)")
    require_tool(importlib.util.find_spec("django_auth_ldap") is not None,
                 "django-auth-ldap (apt-get install libldap2-dev libsasl2-dev; pip install -r requirements-ldap.lock)")
    server = slapd.start(tmp_path_factory.mktemp("slapd"))
    server.add(person("zhangsan", "张三", "市应急管理局") + person("lisi", "李四", "市卫健委")
               + person("wangwu", "王五", "不存在的局") + person("zhaoliu", "赵六", "督查室")
               + group("duban-staff", "zhangsan", "wangwu") + group("duban-office", "zhaoliu"))
    yield server
    server.stop()


def configure(settings, uri: str) -> None:
    settings.AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend",
                                        "duban.core.backends.ProfileModelBackend",
                                        "duban.core.directory.DirectoryBackend"]
    for key, value in ldap_settings(uri=uri, bind_dn=slapd.ADMIN_DN, bind_password=slapd.ADMIN_PASSWORD,
                                    user_base=PEOPLE, group_base=GROUPS, timeout=2).items():
        setattr(settings, key, value)
    settings.DUBAN_LDAP_ROLE_GROUPS = f"unit_staff=cn=duban-staff,{GROUPS};supervisor=cn=duban-office,{GROUPS}"
    settings.DUBAN_LDAP_UNIT_ATTR = "ou"


def sign_in(username: str, password: str):
    client = Client()
    return client, client.post("/accounts/login/", {"username": username, "password": password})


def test_a_directory_person_signs_in_with_role_and_unit_from_the_directory(org, directory, settings):
    configure(settings, directory.uri)
    client, response = sign_in("zhangsan", LDAP_PASSWORD)
    assert response.status_code == 302, response.content.decode()[:500]
    profile = Profile.objects.get(user__username="zhangsan")
    assert (profile.role, profile.unit_id, profile.must_change_password) == ("unit_staff", org.safety.pk, False)
    assert profile.user.email == "zhangsan@duban.test"
    assert client.get("/tasks/").status_code == 200  # no forced password change: the directory owns it
    [event] = AuditEvent.objects.filter(event_type=EventType.USER_DIRECTORY_SYNCED)
    assert event.extra["new"] == {"role": "unit_staff", "unit_id": org.safety.pk} and event.extra["source"] == "ldap"
    sign_in("zhangsan", LDAP_PASSWORD)
    assert AuditEvent.objects.filter(event_type=EventType.USER_DIRECTORY_SYNCED).count() == 1
    _, office = sign_in("zhaoliu", LDAP_PASSWORD)
    assert office.status_code == 302
    assert Profile.objects.get(user__username="zhaoliu").role == "supervisor"


def test_wrong_password_no_role_or_unknown_unit_is_refused_with_a_reason(org, directory, settings):
    configure(settings, directory.uri)
    _, wrong = sign_in("zhangsan", "Not-the-password-1")
    assert wrong.status_code == 200 and not get_user_model().objects.filter(username="zhangsan").exists()
    _, no_role = sign_in("lisi", LDAP_PASSWORD)
    assert no_role.status_code == 200 and "未分配本系统角色" in no_role.content.decode()
    _, no_unit = sign_in("wangwu", LDAP_PASSWORD)
    assert no_unit.status_code == 200 and "不存在的局" in no_unit.content.decode()
    assert not Profile.objects.filter(user__username__in=["lisi", "wangwu"]).exists()


def test_local_accounts_keep_working_and_an_outage_says_so(org, directory, settings):
    configure(settings, f"ldap://127.0.0.1:{slapd.free_port()}")  # nothing listens there
    _, local = sign_in("lead_staff", PASSWORD)
    assert local.status_code == 302
    _, down = sign_in("zhangsan", LDAP_PASSWORD)
    assert down.status_code == 200 and "目录暂时无法连接" in down.content.decode()
