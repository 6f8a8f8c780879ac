"""The administration API as a unit admin and the sysadmin use it: own subtree yes, elsewhere "not found", errors in
both languages and never a partial write."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

from duban.conftest import login
from duban.core.models import Profile, Unit


def test_unit_admin_lists_only_their_subtree_and_manages_it(org):
    client = login(Client(), org.lead_admin)
    listed = client.get("/api/v1/people").json()
    assert {p["username"] for p in listed["items"]} == {"lead_admin", "lead_staff", "child_staff"}
    person = client.get(f"/api/v1/people/{org.child_staff.pk}").json()
    assert person["unit_name"] == "市应急管理局临川分局" and person["locked"] is False
    done = client.patch(f"/api/v1/people/{org.child_staff.pk}", {"version": person["version"], "phone": "13900000000"},
                        content_type="application/json")
    assert done.status_code == 200 and done.json()["phone"] == "13900000000"
    reset = client.post(f"/api/v1/people/{org.child_staff.pk}/password-reset")
    assert reset.status_code == 200 and len(reset.json()["password"]) >= 10
    assert Profile.objects.get(user=org.child_staff).must_change_password is True


def test_unit_admin_may_not_make_an_office_role_and_the_error_is_bilingual(org):
    client = login(Client(), org.lead_admin)
    response = client.post("/api/v1/people", {"username": "x1", "password": "Matrix-pass-2026!",
                                              "role": "supervisor", "unit_id": org.safety.pk},
                           content_type="application/json")
    assert response.status_code == 403
    assert response.json()["message"] and response.json()["message_en"]
    assert not get_user_model().objects.filter(username="x1").exists()


def test_sysadmin_sets_a_units_robot_and_a_bad_url_is_refused_without_a_write(org):
    client = login(Client(), org.sysadmin)
    unit = Unit.objects.get(pk=org.health.pk)
    bad = client.patch(f"/api/v1/units/{unit.pk}", {"version": unit.version, "webhook_url": "not a url",
                                                    "webhook_kind": "wecom"}, content_type="application/json")
    assert bad.status_code == 422 and "群机器人地址" in bad.json()["message"]
    assert Unit.objects.get(pk=unit.pk).webhook_url == ""
    good = client.patch(f"/api/v1/units/{unit.pk}", {"version": unit.version,
                                                     "webhook_url": "http://127.0.0.1:9/hook",
                                                     "webhook_kind": "wecom"}, content_type="application/json")
    assert good.status_code == 200 and good.json()["webhook_url"] == "http://127.0.0.1:9/hook"
    stale = client.patch(f"/api/v1/units/{unit.pk}", {"version": unit.version, "contact_phone": "1"},
                         content_type="application/json")
    assert stale.status_code == 409
