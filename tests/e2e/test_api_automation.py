"""The API's chasing and workflow endpoints: pause or resume a customer or an invoice, exclude an
invoice, read the workflows in force and save a new file (with errors that name the line)."""

from __future__ import annotations

from sqlalchemy import select

from arrears.adapters.db import tables as t
from tests.api import Api, World, api_fixture, assert_error, world_fixture  # noqa: F401

WORKFLOW = """
[[workflow]]
name = "gentle"

[[workflow.step]]
name = "first"
days = 10
email = "past_due"
task = { type = "call", due_in_days = 1 }
"""


def flags(api: Api, table: t.Table, external_id: str, *columns: str) -> tuple[bool, ...]:
    with api.arrears.engine.connect() as connection:
        row = connection.execute(
            select(*(table.c[name] for name in columns)).where(table.c.external_id == external_id)
        ).one()
    return tuple(bool(value) for value in row)


def test_a_customer_is_paused_then_resumed_and_the_timeline_says_so(world: World) -> None:
    api = world.api

    paused = api.put("/customers/C1/chasing", {"paused": True}, as_="morgan")
    assert paused.status_code == 200, paused.text
    assert paused.json() == {"kind": "customer", "external_id": "C1", "flag": "paused", "value": True}
    assert flags(api, t.customers, "C1", "workflow_paused") == (True,)

    assert api.put("/customers/C1/chasing", {"paused": False}).status_code == 200
    assert flags(api, t.customers, "C1", "workflow_paused") == (False,)
    summaries = [item["summary"] for item in api.get("/customers/C1/timeline").json()["items"]]
    assert "Customer C1 paused" in summaries and "Customer C1 resumed" in summaries


def test_an_invoice_is_paused_or_excluded_one_flag_at_a_time(world: World) -> None:
    api = world.api

    assert api.put("/invoices/I1/chasing", {"paused": True}).status_code == 200
    excluded = api.put("/invoices/I2/chasing", {"excluded": True})

    assert excluded.json() == {"kind": "invoice", "external_id": "I2", "flag": "excluded", "value": True}
    assert flags(api, t.invoices, "I1", "workflow_paused", "excluded") == (True, False)
    assert flags(api, t.invoices, "I2", "workflow_paused", "excluded") == (False, True)
    assert_error(api.put("/invoices/I1/chasing", {"paused": True, "excluded": True}), 422, "invalid_input")
    assert_error(api.put("/invoices/I1/chasing", {}), 422, "invalid_input")
    assert_error(api.put("/invoices/NOPE/chasing", {"paused": True}), 404, "not_found", "NOPE")
    assert_error(api.put("/customers/C1/chasing", {"paused": True}, as_="maria"), 403, "forbidden")


def test_the_workflows_are_read_and_a_new_file_is_saved_or_refused_with_its_line(world: World) -> None:
    api = world.api

    before = api.get("/workflows", as_="maria").json()
    bad = api.put("/workflows", {"text": WORKFLOW.replace("days = 10", "days = ten")}, as_="morgan")
    saved = api.put("/workflows", {"text": WORKFLOW}, as_="morgan")
    after = api.get("/workflows").json()

    assert before["origin"] == "default" and "past-due-30" in [s["name"] for s in before["workflows"][0]["steps"]]
    assert_error(bad, 422, "invalid_workflow", "from the API:7:")
    assert saved.status_code == 200, saved.text
    assert after["origin"] == "stored" and after["text"] == WORKFLOW
    assert after["workflows"] == [
        {
            "name": "gentle",
            "match_tags": [],
            "steps": [
                {
                    "name": "first",
                    "days": 10,
                    "on": None,
                    "email": "past_due",
                    "task_type": "call",
                    "task_due_in_days": 1,
                }
            ],
        }
    ]


def test_the_timeline_narrows_to_a_kind_or_an_invoice_and_refuses_another_customers_invoice(world: World) -> None:
    api = world.api
    api.put("/customers/C1/chasing", {"paused": True}, as_="morgan")
    api.put("/invoices/I1/chasing", {"paused": True}, as_="morgan")

    customers = api.get("/customers/C1/timeline", params={"kind": "customer"}).json()["items"]
    on_i1 = api.get("/customers/C1/timeline", params={"invoice": "I1", "kind": "invoice"}).json()["items"]
    refused = api.get("/customers/C1/timeline", params={"invoice": "B1"})

    assert {item["entity"] for item in customers} == {"customer"}
    assert "Customer C1 paused" in [item["summary"] for item in customers]
    assert [item["summary"] for item in on_i1 if item["action"].startswith("paused")] == ["Invoice I1 paused"]
    assert_error(refused, 422, "invalid_value", "not an invoice of customer")
