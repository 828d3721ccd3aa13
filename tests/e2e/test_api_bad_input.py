"""Bad input gets a 4xx with a JSON error (code and message) and changes nothing: another collector's
task, dates in the past, bad promises and plans, disputes on paid invoices, huge bulk calls, and two
people editing one task at once. (Unknown ids and malformed requests: test_api_errors.py.)"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select

from arrears.adapters.db import tables as t
from tests.api import Api, World, api_fixture, assert_error, world_fixture  # noqa: F401


def test_a_contributor_touching_another_collectors_task_is_403_and_nothing_changes(world: World) -> None:
    api, sams = world.api, world["task_sam"]
    before = api.get(f"/tasks/{sams}").json()

    answers = [
        api.patch(f"/tasks/{sams}", {"version": 1, "description": "mine now"}, as_="maria"),
        api.patch(f"/tasks/{world['task_maria']}", {"version": 1, "assignee": "sam"}, as_="maria"),
        api.post(f"/tasks/{sams}/complete", {"outcome": "answered"}, as_="maria"),
        api.post(f"/tasks/{sams}/reschedule", {"due_date": "2026-07-09"}, as_="maria"),
        api.post("/tasks/bulk-complete", {"ids": [world["task_maria"], sams]}, as_="maria"),
    ]

    for answer in answers:
        assert_error(answer, 403, "forbidden")
    assert api.get(f"/tasks/{sams}").json() == before
    assert api.get(f"/tasks/{world['task_maria']}").json()["status"] == "open"


def test_a_follow_up_date_in_the_past_is_422_and_the_task_stays_open(world: World) -> None:
    api = world.api

    answer = api.post(f"/tasks/{world['task_maria']}/complete", {"follow_up_date": "2026-06-29"}, as_="maria")

    assert_error(answer, 422, "invalid_value", "2026-06-29", "in the past")
    assert api.get(f"/tasks/{world['task_maria']}").json()["status"] == "open"
    assert len(api.get("/tasks", params={"all": "true"}).json()["items"]) == 2


@pytest.mark.parametrize(
    ("promise", "words"),
    [
        ({"expected_amount": "-50.00", "expected_date": "2026-07-10"}, ("negative",)),
        ({"expected_amount": "0", "expected_date": "2026-07-10"}, ("greater than zero",)),
        ({"expected_amount": "50.00", "expected_date": "2026-07-10", "expected_currency": "EUR"}, ("EUR", "USD")),
        ({"expected_amount": "50.00", "expected_date": "2026-06-01"}, ("in the past",)),
        ({"expected_amount": "50.005", "expected_date": "2026-07-10"}, ("decimals",)),
    ],
)
def test_a_bad_promise_to_pay_is_422_and_no_task_is_created(
    world: World, promise: dict[str, str], words: tuple[str, ...]
) -> None:
    api = world.api

    answer = api.post("/tasks", {"customer_external_id": "C1", "type": "expected_payment", **promise})

    assert_error(answer, 422, "invalid_value", *words)
    assert len(api.get("/tasks", params={"all": "true"}).json()["items"]) == 2


def test_a_plan_whose_instalments_do_not_add_up_is_422_and_the_invoice_stays_off_plans(world: World) -> None:
    api = world.api
    instalments = [{"due_date": "2026-07-15", "amount": "50.00"}, {"due_date": "2026-08-15", "amount": "40.00"}]

    answer = api.post("/payment-plans", {"invoice_external_ids": ["I1"], "instalments": instalments})

    assert_error(answer, 422, "invalid_value", "90.00 USD", "100.00 USD")
    assert api.get("/invoices/I1").json()["plan_id"] is None


def test_a_dispute_on_a_paid_invoice_is_422(world: World) -> None:
    api = world.api

    answer = api.post("/disputes", {"invoice_external_id": "I4", "reason": "pricing"})

    assert_error(answer, 422, "invalid_value", "paid", "nothing to dispute")
    assert api.get("/invoices/I4").json()["disputed"] is False


def test_a_second_dispute_on_one_invoice_is_409(world: World) -> None:
    answer = world.api.post("/disputes", {"invoice_external_id": "B1", "reason": "pricing"})

    assert_error(answer, 409, "conflict", "already has an open dispute")


def _maria_tasks(api: Api, count: int) -> list[int]:
    """`count` open calls on Acme for maria, inserted at once."""
    maria = api.people["maria"].id
    with api.arrears.engine.begin() as connection:
        customer_id = connection.execute(select(t.customers.c.id).where(t.customers.c.external_id == "C1")).scalar()
        first = connection.execute(select(t.tasks.c.id).order_by(t.tasks.c.id.desc()).limit(1)).scalar() or 0
        connection.execute(
            insert(t.tasks),
            [
                {"customer_id": customer_id, "type": "call", "assignee_id": maria, "due_date": date(2026, 6, 30)}
                for _ in range(count)
            ],
        )
        return list(connection.execute(select(t.tasks.c.id).where(t.tasks.c.id > first)).scalars())


def test_a_bulk_call_with_10000_ids_completes_them_all_in_one_go(world: World) -> None:
    api = world.api
    ids = _maria_tasks(api, 10_000)

    answer = api.post("/tasks/bulk-complete", {"ids": ids}, as_="maria")

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"completed": 10_000}
    assert [task["id"] for task in api.get("/tasks", as_="maria").json()["items"]] == [world["task_maria"]]


def test_a_bulk_call_with_10000_ids_one_of_them_another_collectors_changes_nothing(world: World) -> None:
    api = world.api
    ids = [*_maria_tasks(api, 9_999), world["task_sam"]]

    answer = api.post("/tasks/bulk-move", {"ids": ids, "due_date": "2026-07-31"}, as_="maria")

    assert_error(answer, 403, "forbidden", str(world["task_sam"]))
    moved = api.get("/tasks", as_="maria", params={"limit": 500}).json()["items"]
    assert {task["due_date"] for task in moved} == {"2026-06-30"}


def test_a_bulk_call_with_more_than_10000_ids_is_422_before_anything_is_read(world: World) -> None:
    answer = world.api.post("/tasks/bulk-complete", {"ids": list(range(1, 10_002))})

    error = assert_error(answer, 422, "invalid_input", "ids")
    assert "10000" in error["message"]


def test_the_second_of_two_edits_made_from_the_same_version_is_409_and_nothing_is_lost(world: World) -> None:
    api, task_id = world.api, world["task_maria"]
    read_by_both = api.get(f"/tasks/{task_id}").json()["version"]

    first = api.patch(f"/tasks/{task_id}", {"version": read_by_both, "description": "Call the CFO"}, as_="maria")
    second = api.patch(f"/tasks/{task_id}", {"version": read_by_both, "note": "Prefers mornings"}, as_="morgan")

    assert first.status_code == 200 and first.json()["version"] == read_by_both + 1
    assert_error(second, 409, "conflict", "changed by someone else")
    reloaded = api.get(f"/tasks/{task_id}").json()
    assert (reloaded["description"], reloaded["note"]) == ("Call the CFO", None)
    retried = api.patch(f"/tasks/{task_id}", {"version": reloaded["version"], "note": "Prefers mornings"})
    assert retried.status_code == 200
    assert (retried.json()["description"], retried.json()["note"]) == ("Call the CFO", "Prefers mornings")


def test_completing_with_a_stale_version_is_409(world: World) -> None:
    api, task_id = world.api, world["task_maria"]
    api.post(f"/tasks/{task_id}/reschedule", {"due_date": "2026-07-01", "version": 1})

    answer = api.post(f"/tasks/{task_id}/complete", {"version": 1})

    assert_error(answer, 409, "conflict")
    assert api.get(f"/tasks/{task_id}").json()["status"] == "open"


def test_concurrent_edits_of_one_task_let_exactly_one_win(world: World) -> None:
    api, task_id = world.api, world["task_maria"]
    start = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def edit(who: str, description: str) -> None:
        start.wait()
        answers[who] = api.patch(f"/tasks/{task_id}", {"version": 1, "description": description}, as_=who)

    threads = [threading.Thread(target=edit, args=args) for args in (("maria", "by maria"), ("morgan", "by morgan"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answer.status_code for answer in answers.values()) == [200, 409]
    winner = next(who for who, answer in answers.items() if answer.status_code == 200)
    reloaded = api.get(f"/tasks/{task_id}").json()
    assert (reloaded["description"], reloaded["version"]) == (f"by {winner}", 2)


def test_an_alert_cannot_be_dismissed_twice(world: World) -> None:
    world.api.post(f"/alerts/{world['alert']}/dismiss")

    answer = world.api.post(f"/alerts/{world['alert']}/dismiss")

    assert_error(answer, 404, "not_found")
