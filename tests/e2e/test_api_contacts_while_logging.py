"""POST /tasks/{id}/complete and /reschedule with `new_contact` or `contact_id`: who was spoken to
while logging the call, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import World, api_fixture, assert_error, world_fixture  # noqa: F401

DANA = {"name": "Dana Ortiz", "phone": "+1 415 555 0177", "email": "dana@acme.example", "role": "AP lead"}


def _contacts(world: World, customer: str) -> list[dict[str, Any]]:
    answer = world.api.get(f"/contacts?customer_external_id={customer}")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _linked_contact(world: World, task_id: int) -> int | None:
    with world.api.arrears.uow() as uow:
        return uow.task_list.task_rows([task_id])[0].contact_id


def test_completing_with_a_new_contact_adds_it_to_the_customer_and_the_timeline(world: World) -> None:
    task_id = world["task_maria"]

    answer = world.api.post(f"/tasks/{task_id}/complete", {"outcome": "answered", "new_contact": DANA}, as_="maria")

    assert answer.status_code == 200, answer.text
    assert answer.json()["task"]["status"] == "done"
    assert "+1 415 555 0177" in answer.json()["task"]["phones"]
    [dana] = [k for k in _contacts(world, "C1") if k["name"] == "Dana Ortiz"]
    assert dana | DANA == dana and dana["customer_external_id"] == "C1"
    assert not [k for k in _contacts(world, "C2") if k["name"] == "Dana Ortiz"]
    assert _linked_contact(world, task_id) == dana["id"]
    timeline = world.api.get("/customers/C1/timeline").json()["items"]
    [added] = [e for e in timeline if e["entity"] == "contact" and e["action"] != "imported"]
    assert added["summary"] == "Contact Dana Ortiz added while logging a call"
    assert (added["entity_id"], added["changes"]["task_id"], added["actor"]) == (str(dana["id"]), task_id, "maria")


def test_rescheduling_with_a_new_contact_keeps_the_task_open(world: World) -> None:
    task_id = world["task_maria"]

    answer = world.api.post(
        f"/tasks/{task_id}/reschedule",
        {"due_date": "2026-07-02", "outcome": "answered", "new_contact": {"name": "Lee Chan"}},
        as_="maria",
    )

    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["due_date"]) == ("open", "2026-07-02")
    [lee] = [k for k in _contacts(world, "C1") if k["name"] == "Lee Chan"]
    assert _linked_contact(world, task_id) == lee["id"]


def test_an_existing_contact_can_be_named_by_id(world: World) -> None:
    [pat] = [k for k in _contacts(world, "C1") if k["external_id"] == "K1"]

    answer = world.api.post(f"/tasks/{world['task_maria']}/complete", {"contact_id": pat["id"]}, as_="maria")

    assert answer.status_code == 200, answer.text
    assert _linked_contact(world, world["task_maria"]) == pat["id"]


@pytest.mark.parametrize("path", ["complete", "reschedule"])
def test_a_bad_email_is_a_422_and_changes_nothing(world: World, path: str) -> None:
    task_id = world["task_maria"]
    before = world.api.get(f"/tasks/{task_id}").json()
    body: dict[str, Any] = {"new_contact": {"name": "Dana", "email": "dana-at-acme"}}
    if path == "reschedule":
        body["due_date"] = "2026-07-02"

    answer = world.api.post(f"/tasks/{task_id}/{path}", body, as_="maria")

    assert_error(answer, 422, "invalid_value", "not an email address")
    assert world.api.get(f"/tasks/{task_id}").json() == before
    assert [k["name"] for k in _contacts(world, "C1")] == ["Pat Payables"]


def test_a_contact_of_another_customer_is_refused(world: World) -> None:
    [pat] = [k for k in _contacts(world, "C1") if k["external_id"] == "K1"]

    answer = world.api.post(f"/tasks/{world['task_sam']}/complete", {"contact_id": pat["id"]}, as_="sam")

    assert_error(answer, 422, "invalid_value", "not a contact of this task's customer")
    assert world.api.get(f"/tasks/{world['task_sam']}").json()["status"] == "open"


@pytest.mark.parametrize(
    "contact",
    [{}, {"name": ""}, {"name": "x" * 201}, {"name": "Dana", "extra": 1}, {"name": "Dana", "email": "a" * 255}],
    ids=["no-name", "empty-name", "long-name", "unknown-field", "long-email"],
)
def test_the_schema_refuses_a_malformed_contact(world: World, contact: dict[str, Any]) -> None:
    answer = world.api.post(f"/tasks/{world['task_maria']}/complete", {"new_contact": contact}, as_="maria")

    assert answer.status_code == 422, answer.text
    assert world.api.get(f"/tasks/{world['task_maria']}").json()["status"] == "open"


def test_a_contributor_cannot_add_a_contact_through_anothers_task(world: World) -> None:
    answer = world.api.post(f"/tasks/{world['task_sam']}/complete", {"new_contact": DANA}, as_="maria")

    assert_error(answer, 403, "forbidden")
    assert not [k for k in _contacts(world, "C2") if k["name"] == "Dana Ortiz"]


def test_the_openapi_schema_documents_the_new_fields() -> None:
    from arrears.api.schemas import TaskComplete, TaskReschedule

    for model in (TaskComplete, TaskReschedule):
        schema = model.model_json_schema()
        assert {"new_contact", "contact_id"} <= set(schema["properties"])
        assert schema["additionalProperties"] is False
        assert schema["$defs"]["NewContactIn"]["additionalProperties"] is False
