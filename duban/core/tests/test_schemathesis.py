"""Property-based fuzzing of the whole JSON API from its own OpenAPI document: whatever a client sends, the answer is
never a server error. 4xx answers are fine (that is the API refusing bad input); only 5xx fail. Runs in-process over
WSGI as a supervisor with an API token (the role that may call the most operations), a bounded number of examples
per operation."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from duban.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open():
    """Called as a WSGI app, Django closes the database connection after each request (request_finished →
    close_old_connections), which on PostgreSQL ends the test's transaction; the test client disconnects it for the
    same reason, and so do we."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def supervisor_token(org):
    from duban.core.actions import api_token_create

    org.task_in("in_progress")  # something to find behind the ids
    return api_token_create(actor=org.supervisor, name="fuzz")


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_no_operation_answers_with_a_server_error(case, supervisor_token):
    response = case.call(headers={"Authorization": f"Bearer {supervisor_token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}\n"
        f"body: {case.body!r}\nquery: {case.query!r}\n{response.text[:500]}")
