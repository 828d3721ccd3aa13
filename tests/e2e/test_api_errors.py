"""Errors are JSON with a code and a message, never a 500 or an HTML page: unknown ids and routes,
malformed input. None of these change anything, so one seeded workspace per backend serves them all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import World, assert_error, shared_world_fixture  # noqa: F401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/tasks/999999", None),
        ("PATCH", "/tasks/999999", {"version": 1, "note": "x"}),
        ("POST", "/tasks/999999/complete", {}),
        ("POST", "/tasks/999999/reschedule", {"due_date": "2026-07-01"}),
        ("POST", "/tasks/bulk-complete", {"ids": [999999]}),
        ("POST", "/tasks", {"customer_external_id": "NOPE", "type": "call"}),
        ("GET", "/customers/NOPE", None),
        ("GET", "/customers/NOPE/timeline", None),
        ("GET", "/contacts/NOPE", None),
        ("GET", "/invoices/NOPE", None),
        ("GET", "/payments/NOPE", None),
        ("GET", "/credit-notes/NOPE", None),
        ("GET", "/disputes/999999", None),
        ("POST", "/disputes/999999/resolve", {"resolution": "x"}),
        ("POST", "/disputes", {"invoice_external_id": "NOPE", "reason": "pricing"}),
        ("GET", "/payment-plans/999999", None),
        (
            "POST",
            "/payment-plans",
            {"invoice_external_ids": ["NOPE"], "instalments": [{"due_date": "2026-08-01", "amount": "1"}]},
        ),
        ("POST", "/alerts/999999/dismiss", None),
        ("DELETE", "/views/999999", None),
        ("GET", "/issues?customer_external_id=NOPE", None),
        ("GET", "/no/such/thing", None),
    ],
)
def test_unknown_ids_are_404_with_a_json_error(shared_world: World, method: str, path: str, body: Any) -> None:
    answer = shared_world.api.call(method, path, json=body)

    assert_error(answer, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "body", "words"),
    [
        ("POST", "/tasks", {"customer_external_id": "C1", "type": "lunch"}, ("body.type",)),
        ("POST", "/tasks", {"customer_external_id": "C1", "type": "call", "due_date": "30/06/2026"}, ("due_date",)),
        ("POST", "/tasks", {"customer_external_id": "C1", "type": "call", "colour": "red"}, ("colour",)),
        ("POST", "/disputes", {"invoice_external_id": "I1", "reason": "pricing", "amount": 12.5}, ("amount",)),
        ("POST", "/disputes", {"invoice_external_id": "I1", "reason": "pricing", "amount": "1e3"}, ("amount",)),
        ("GET", "/tasks?limit=0", None, ("limit",)),
        ("GET", "/tasks?status=late", None, ("status",)),
        ("GET", "/tasks/abc", None, ("task_id",)),
        ("PATCH", "/tasks/1", {"note": "no version"}, ("version",)),
    ],
)
def test_malformed_input_is_422_naming_where(
    shared_world: World, method: str, path: str, body: Any, words: Any
) -> None:
    answer = shared_world.api.call(method, path, json=body)

    error = assert_error(answer, 422, "invalid_input", *words)
    assert error["errors"][0]["reason"]


def test_a_body_that_is_not_json_is_a_json_422(shared_world: World) -> None:
    answer = shared_world.api.call("POST", "/tasks", content=b"{not json", headers={"Content-Type": "application/json"})

    assert_error(answer, 422, "invalid_input")


def test_text_with_a_nul_character_is_422_on_every_backend(shared_world: World) -> None:
    answer = shared_world.api.post("/tasks", {"customer_external_id": "C1", "type": "call", "description": "a\x00b"})

    assert_error(answer, 422, "invalid_input", "description")


@pytest.mark.parametrize("field", ["reason", "owner", "customer_external_id"])
def test_a_nul_character_in_a_dispute_filter_is_422_on_every_backend(shared_world: World, field: str) -> None:
    answer = shared_world.api.get("/disputes", params={field: "a\x00b"})

    assert_error(answer, 422, "invalid_input", field)


def test_a_method_the_path_does_not_have_is_a_json_405(shared_world: World) -> None:
    answer = shared_world.api.call("DELETE", "/tasks")

    assert_error(answer, 405, "method_not_allowed")


def test_tokens_are_checked_before_input(shared_world: World) -> None:
    answer = shared_world.api.call("POST", "/tasks", None, json={"type": "lunch"})

    assert_error(answer, 401, "unauthorized")
