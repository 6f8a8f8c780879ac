"""/api/v1/lights pages in order with bounded parameters: every date and number outside its range is a 422 with
a message, never a long computation or a server error."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from duban.conftest import login
from duban.followup.tests.conftest import place_task

D = dt.date
TODAY = "2026-01-05"  # a Monday


@pytest.fixture
def five(org):
    """Open tasks whose lights on 2026-01-05 are, by the rules: red (due 12-31), red (due 12-30, longer overdue),
    blue (due 01-07, two working days), green (due in June, on track) and 无时限 (no deadline)."""
    made = {}
    for name, deadline in (("red_late", D(2025, 12, 31)), ("red_later", D(2025, 12, 30)),
                           ("blue", D(2026, 1, 7)), ("green", D(2026, 6, 30)), ("none", None)):
        task = org.task_in("in_progress")
        made[name] = place_task(task, assigned=D(2025, 12, 1), deadline=deadline, progress=90).pk
    return made


def _page(client, query):
    response = client.get(f"/api/v1/lights?today={TODAY}&{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_pages_are_reddest_first_then_by_deadline(client, org, five):
    login(client, org.supervisor)
    body = _page(client, "page_size=2")
    assert body["count"] == 5
    assert [i["task_id"] for i in body["items"]] == [five["red_later"], five["red_late"]]
    assert [i["task_id"] for i in _page(client, "page_size=2&page=2")["items"]] == [five["blue"], five["none"]]
    last = _page(client, "page_size=2&page=3")
    assert [(i["task_id"], i["code"]) for i in last["items"]] == [(five["green"], "green")]
    assert _page(client, "page_size=2&page=4")["items"] == []


def test_the_code_filter_counts_only_its_light(client, org, five):
    login(client, org.supervisor)
    body = _page(client, "code=nodeadline")
    assert (body["count"], [(i["task_id"], i["label"]) for i in body["items"]]) == (1, [(five["none"], "无时限")])
    assert _page(client, "code=red")["count"] == 2


def test_a_page_costs_the_same_queries_at_n_and_3n_tasks(client, org, five):
    login(client, org.supervisor)
    with CaptureQueriesContext(connection) as few:
        _page(client, "page_size=2")
    for _ in range(10):
        place_task(org.task_in("in_progress"), assigned=D(2025, 12, 1), deadline=D(2025, 12, 29), progress=90)
    with CaptureQueriesContext(connection) as many:
        _page(client, "page_size=2")
    assert len(many) == len(few)


@pytest.mark.parametrize("query", [
    "today=0001-01-01", "today=1999-12-31", "today=2100-01-01", "today=9999-12-31", "today=2026-02-30",
    "unit_id=0", "unit_id=-1", "unit_id=99999999999999999999", "page=0", "page=100001", "page_size=0",
    "page_size=101", "code=purple",
])
def test_out_of_range_parameters_are_a_422_with_a_message(client, org, five, query):
    login(client, org.supervisor)
    response = client.get(f"/api/v1/lights?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input" and body["message"] and body["message_en"]


@pytest.mark.parametrize("query", ["today=1999-12-31", "today=0001-01-01", "task=0"])
def test_a_tasks_light_checks_its_date_too(client, org, five, query):
    login(client, org.supervisor)
    task_id = 0 if query == "task=0" else five["red_late"]
    query = "" if query == "task=0" else query
    assert client.get(f"/api/v1/tasks/{task_id}/light?{query}").status_code == 422


def test_the_range_edges_are_accepted(client, org, five):
    login(client, org.supervisor)
    for day in ("2000-01-01", "2099-12-31"):
        assert client.get(f"/api/v1/lights?today={day}").status_code == 200
