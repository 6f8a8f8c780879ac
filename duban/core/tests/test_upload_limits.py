"""A request refused for its size (413) says what the limit of that address is, as the form states it, and leads
back to the form it came from (never to another site)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_too_large_page_says_the_limit_and_leads_back_to_the_form(org, settings):
    settings.DUBAN_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
    settings.DUBAN_ROUTE_MAX_BODY_BYTES = [("/sources/hazards/", settings.DUBAN_ATTACHMENT_MAX_BYTES)]
    client = Client()
    client.force_login(org.lead_staff)
    form = "http://testserver/sources/hazards/4/"
    big = client.post("/sources/hazards/4/rectify/", data=b"x" * (8 * 1024 * 1024),
                      content_type="application/octet-stream", HTTP_REFERER=form)
    page = big.content.decode()
    assert big.status_code == 413
    assert "本页上传的文件合计不能超过 <strong>5MB</strong>" in page
    assert f'<a class="btn btn-danger" id="too-large-back" href="{form}">返回上一页</a>' in page

    elsewhere = client.post("/sources/hazards/4/rectify/", data=b"x" * (8 * 1024 * 1024),
                            content_type="application/octet-stream", HTTP_REFERER="https://evil.example/")
    assert elsewhere.status_code == 413 and "too-large-back" not in elsewhere.content.decode()


def test_the_apis_too_large_answer_says_the_limit_in_both_languages(org, settings):
    settings.DUBAN_MAX_UPLOAD_BYTES = 100 * 1024
    client = Client()
    client.force_login(org.supervisor)
    api = client.post("/api/v1/meetings/import", data=b"x" * (300 * 1024), content_type="application/json")
    assert api.status_code == 413
    assert api.json()["message"] == "请求内容过大，未被接收：上传的文件合计不能超过100KB"
    assert api.json()["message_en"] == "the request body is too large (at most 100KB)"
