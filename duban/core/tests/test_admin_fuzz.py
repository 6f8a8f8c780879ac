"""The administration API fuzzed from its OpenAPI document as the 系统管理员 (the one role every administration
operation lets in, so the input reaches the actions): whatever is sent, never a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from duban.core.tests.test_schemathesis import _keep_the_test_connection_open  # noqa: F401 (a fixture)
from duban.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    path_regex=r"^/api/v1/(people|units)")

pytestmark = pytest.mark.slow


@pytest.fixture
def sysadmin_token(org):
    from duban.core.actions import api_token_create

    org.task_in("in_progress")
    return api_token_create(actor=org.sysadmin, name="fuzz")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_no_administration_operation_answers_with_a_server_error(case, sysadmin_token):
    response = case.call(headers={"Authorization": f"Bearer {sysadmin_token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}\n"
        f"body: {case.body!r}\nquery: {case.query!r}\n{response.text[:500]}")
