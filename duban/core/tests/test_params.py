"""Paged API lists refuse page numbers and sizes out of range with a 422 and a message, never a 500."""

import pytest

from duban.conftest import login


@pytest.mark.parametrize("url", [
    "/api/v1/tasks?page=99999999999999999999", "/api/v1/tasks?page=100001", "/api/v1/tasks?page=0",
    "/api/v1/tasks?page_size=501", "/api/v1/tasks?page_size=0", "/api/v1/deliveries?page=100001",
    "/api/v1/reminders/undelivered?page_size=501",
])
def test_out_of_range_pages_are_a_422(client, org, url):
    login(client, org.sysadmin)
    response = client.get(url)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


@pytest.mark.parametrize("url", ["/api/v1/tasks?page=100000", "/api/v1/tasks?page_size=500",
                                 "/api/v1/deliveries?page=1&page_size=1"])
def test_the_edges_are_accepted(client, org, url):
    login(client, org.sysadmin)
    assert client.get(url).status_code == 200
