"""After a session expired: HTMX requests get HX-Redirect to the sign-in page (never the sign-in page inside a
fragment); a form post comes back to the page the form was on, not to a GET of the post's URL (405)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from duban.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _next_of(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/accounts/login/"
    return parse_qs(parts.query)["next"][0]


def test_an_htmx_request_after_expiry_is_sent_to_sign_in_with_the_page_as_next(client, org):
    task = org.draft_task()
    page = "http://testserver/meetings/7/?tab=ledger"
    response = client.get(f"/tasks/{task.pk}/edit/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=page)
    assert response.status_code == 200
    assert response.content == b""  # nothing to swap into the row
    assert _next_of(response["HX-Redirect"]) == "/meetings/7/?tab=ledger"


def test_an_htmx_request_from_another_site_gets_no_foreign_next(client, org):
    task = org.draft_task()
    response = client.get(f"/tasks/{task.pk}/row/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="https://evil.example/phish")
    assert _next_of(response["HX-Redirect"]) == "/"


def test_a_post_after_expiry_returns_to_the_form_page_and_signing_in_lands_there(client, org):
    task = org.task_in("accepted")
    response = client.post(f"/tasks/{task.pk}/report/", {"text": "已部署", "progress_percent": "10"},
                           HTTP_REFERER=f"http://testserver/tasks/{task.pk}/")
    assert response.status_code == 302
    target = _next_of(response["Location"])
    assert target == f"/tasks/{task.pk}/"
    signed_in = client.post("/accounts/login/", {"username": "lead_staff", "password": PASSWORD, "next": target})
    assert signed_in.status_code == 302 and signed_in["Location"] == target
    assert client.get(target).status_code == 200
    # Nothing was written by the post that found no session.
    assert not task.reports.exists()


def test_a_plain_page_request_keeps_its_own_url_as_next(client, org):
    task = org.task_in("accepted")
    response = client.get(f"/tasks/{task.pk}/")
    assert _next_of(response["Location"]) == f"/tasks/{task.pk}/"


def test_a_signed_in_htmx_request_is_untouched(client, org):
    task = org.draft_task()
    client.force_login(org.supervisor)
    response = client.get(f"/tasks/{task.pk}/edit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert b"<form" in response.content


def test_a_user_who_must_change_the_password_gets_no_page_inside_a_fragment(client, org):
    from duban.core.models import Profile

    Profile.objects.filter(user=org.lead_staff).update(must_change_password=True)
    client.force_login(org.lead_staff)
    page = client.get("/accounts/password/").content.decode()
    assert "workbench-badge" not in page  # nothing on that page asks for another page
    response = client.get("/workbench/count/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == "/accounts/password/"
