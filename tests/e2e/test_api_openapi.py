"""The API describes itself: OpenAPI at /openapi.json (money as decimal strings, errors as JSON,
bearer tokens) and interactive docs at /docs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.api import Api, api_fixture  # noqa: F401

MONEY = {"amount", "overdue_amount", "expected_amount", "outstanding_amount", "credit_limit", "total", "paid"}


def properties(schema: Any) -> Iterator[tuple[str, Any]]:
    """Every (name, schema) of a property anywhere in `schema`."""
    if isinstance(schema, dict):
        for name, value in schema.get("properties", {}).items():
            yield name, value
        for value in schema.values():
            yield from properties(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from properties(value)


def types(schema: dict[str, Any]) -> set[str]:
    found = {schema["type"]} if "type" in schema else set()
    for option in schema.get("anyOf", []):
        found |= types(option)
    return found


def test_openapi_describes_every_amount_as_a_decimal_string_and_never_a_number(api: Api) -> None:
    schema = api.get("/openapi.json", as_=None).json()

    money = [(name, value) for name, value in properties(schema["components"]) if name in MONEY]

    assert len(money) >= 15
    for name, value in money:
        assert types(value) <= {"string", "null"} and "string" in types(value), name
        patterns = {value.get("pattern")} | {option.get("pattern") for option in value.get("anyOf", [])}
        assert any(pattern and "[0-9]" in pattern for pattern in patterns), name
    assert all("number" not in types(value) for _, value in properties(schema["components"]))


def test_every_operation_is_under_api_v1_needs_a_bearer_token_and_documents_json_errors(api: Api) -> None:
    schema = api.get("/openapi.json", as_=None).json()

    assert schema["components"]["securitySchemes"]["token"] == schema["components"]["securitySchemes"]["token"] | {
        "type": "http",
        "scheme": "bearer",
    }
    for path, item in schema["paths"].items():
        assert path.startswith("/api/v1/")
        for method, operation in item.items():
            assert operation["security"] == [{"token": []}], (method, path)
            for status in ("401", "403", "404", "409", "422"):
                error = operation["responses"][status]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)


def test_the_contract_operations_are_all_there(api: Api) -> None:
    paths = api.get("/openapi.json", as_=None).json()["paths"]

    for method, path in [
        ("get", "/api/v1/tasks"),
        ("post", "/api/v1/tasks"),
        ("post", "/api/v1/tasks/{task_id}/complete"),
        ("post", "/api/v1/tasks/bulk-complete"),
        ("put", "/api/v1/customers/{external_id}"),
        ("put", "/api/v1/invoices/{external_id}"),
        ("put", "/api/v1/payments/{external_id}"),
        ("post", "/api/v1/disputes"),
        ("post", "/api/v1/payment-plans"),
        ("get", "/api/v1/alerts"),
    ]:
        assert method in paths[path], (method, path)


def test_the_docs_page_is_served(api: Api) -> None:
    answer = api.get("/docs", as_=None)

    assert answer.status_code == 200
    assert "/openapi.json" in answer.text
