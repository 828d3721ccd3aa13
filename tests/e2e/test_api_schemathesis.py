"""Schemathesis fuzzes every operation of the API from its OpenAPI schema, as the owner, on both
databases: no answer may be a 5xx, and every answer must match the schema it documents.

Cases come from the schema's examples (which name the seeded customers and invoices, so that some
calls get past the 404s) and from Hypothesis; a bounded number per operation keeps the run short.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance

from arrears.api.app import ROUTERS
from tests.api import World, shared_world_fixture  # noqa: F401

EXAMPLES_PER_OPERATION = 25
OPERATIONS = sorted(
    (method, route.path)
    for module in ROUTERS
    for route in module.router.routes
    for method in getattr(route, "methods", ())
)


@pytest.fixture(scope="module")
def api_schema(shared_world: World) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", shared_world.api.client.app)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_operation_answers_a_server_error_or_breaks_its_schema(
    api_schema: Any, shared_world: World, method: str, path: str
) -> None:
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {shared_world.api.tokens['olivia']}"}
    cases = st.one_of(*operation.get_strategies_from_examples(), operation.as_strategy())

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    def fuzz(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error, response_schema_conformance])

    fuzz()
