"""The JSON endpoints of reporting, scoped like the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from duban.conftest import login

pytestmark = pytest.mark.django_db


def test_dashboard_and_ranking_json(client, org):
    org.task_in("closed")
    org.task_in("assigned", lead_unit_id=org.other.pk, coop_unit_ids=[], deadline=dt.date.today() - dt.timedelta(1))
    login(client, org.supervisor)
    data = client.get("/api/v1/stats/dashboard").json()
    assert (data["total"], data["closed"], data["overdue"]) == (2, 1, 1)
    assert data["lights"]["red"] == 1 and len(data["weeks"]) == 12
    assert {r["name"] for r in data["by_unit"]} == {"市应急管理局", "市教育局"}
    ranking = client.get("/api/v1/stats/ranking").json()
    assert ranking[0]["unit"] == "市应急管理局" and ranking[0]["average_score"] == 100.0
    client.logout()
    login(client, org.other_staff)
    data = client.get("/api/v1/stats/dashboard").json()
    assert data["total"] == 1 and [r["name"] for r in data["by_unit"]] == ["市教育局"]
    assert client.get("/api/v1/stats/dashboard", {"date_from": "x"}).status_code == 422


def test_anonymous_is_401(client):
    assert client.get("/api/v1/stats/dashboard").status_code == 401
