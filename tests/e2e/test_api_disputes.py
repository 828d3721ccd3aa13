"""Disputes over the API, on both databases: a reason outside the codes in force is 422 with the list;
resolving may record a credit note and a write-off on the ledger (once); the body of resolve and
reject may be left out; a rejection records nothing."""

from __future__ import annotations

from tests.api import Api, World, api_fixture, world_fixture  # noqa: F401


def test_a_reason_outside_the_codes_in_force_is_422_with_the_list(world: World) -> None:
    answer = world.api.post("/disputes", {"invoice_external_id": "I1", "reason": "price"})

    assert answer.status_code == 422
    message = answer.json()["error"]["message"]
    assert message == (
        "'price' is not a dispute reason: use one of pricing, quantity, damaged, not_received, duplicate, "
        "already_paid, other"
    )
    assert world.api.get("/invoices/I1").json()["disputed"] is False


def test_resolving_with_a_credit_note_records_it_against_the_invoice_once(world: World) -> None:
    api = world.api
    dispute = api.post("/disputes", {"invoice_external_id": "I2", "reason": "pricing", "amount": "60.00"}).json()

    resolved = api.post(f"/disputes/{dispute['id']}/resolve", {"resolution": "Agreed", "credit_note": "60.00"})
    again = api.post(f"/disputes/{dispute['id']}/resolve", {"credit_note": "60.00"})

    assert resolved.status_code == 200
    assert resolved.json() == resolved.json() | {
        "status": "resolved",
        "resolution": f"Agreed (credit note DISPUTE-{dispute['id']}-CN, 60.00 USD)",
    }
    assert again.status_code == 409
    note = api.get(f"/credit-notes/DISPUTE-{dispute['id']}-CN").json()
    assert note == note | {"amount": "60.00", "invoice_external_id": "I2", "customer_external_id": "C1"}
    assert api.get("/invoices/I2").json() == api.get("/invoices/I2").json() | {"disputed": False}


def test_a_write_off_is_a_credit_note_with_reason_write_off(world: World) -> None:
    api = world.api
    dispute = api.post("/disputes", {"invoice_external_id": "I1", "reason": "damaged"}).json()

    resolved = api.post(f"/disputes/{dispute['id']}/resolve", {"write_off": "100.00"})

    assert resolved.status_code == 200
    assert resolved.json()["resolution"] == f"Resolved: write-off DISPUTE-{dispute['id']}-WO, 100.00 USD"
    note = api.get(f"/credit-notes/DISPUTE-{dispute['id']}-WO").json()
    assert (note["amount"], note["reason"]) == ("100.00", "write_off")
    assert api.get("/invoices/I1").json()["status"] == "paid"


def test_the_credit_note_and_write_off_a_resolution_recorded_are_fields_of_the_dispute(world: World) -> None:
    api = world.api
    dispute = api.post("/disputes", {"invoice_external_id": "I2", "reason": "pricing", "amount": "60.00"}).json()
    other = api.post("/disputes", {"invoice_external_id": "I1", "reason": "quantity"}).json()
    assert (dispute["credit_note"], dispute["write_off"]) == (None, None)

    resolved = api.post(f"/disputes/{dispute['id']}/resolve", {"credit_note": "40.00", "write_off": "20.00"}).json()
    api.post(f"/disputes/{other['id']}/reject", {})

    assert (resolved["credit_note"], resolved["write_off"]) == ("40.00", "20.00")
    assert "credit note DISPUTE-" in resolved["resolution"]  # still said in the resolution too
    listed = {d["id"]: d for d in api.get("/disputes", params={"status": "all"}).json()["items"]}
    assert (listed[dispute["id"]]["credit_note"], listed[dispute["id"]]["write_off"]) == ("40.00", "20.00")
    assert (listed[other["id"]]["credit_note"], listed[other["id"]]["write_off"]) == (None, None)
    shown = api.get(f"/disputes/{dispute['id']}").json()
    assert (shown["credit_note"], shown["write_off"]) == ("40.00", "20.00")


def test_a_settlement_above_the_disputed_amount_is_422_and_the_dispute_stays_open(world: World) -> None:
    api = world.api
    dispute = api.post("/disputes", {"invoice_external_id": "I2", "reason": "pricing", "amount": "60.00"}).json()

    answer = api.post(f"/disputes/{dispute['id']}/resolve", {"credit_note": "50.00", "write_off": "10.01"})

    assert answer.status_code == 422
    assert "above the disputed amount" in answer.json()["error"]["message"]
    assert api.get(f"/disputes/{dispute['id']}").json()["status"] == "open"
    assert api.get(f"/credit-notes/DISPUTE-{dispute['id']}-CN").status_code == 404


def test_an_amount_that_is_not_money_is_422(world: World) -> None:
    answer = world.api.post(f"/disputes/{world['dispute']}/resolve", {"credit_note": "ten"})

    assert answer.status_code == 422


def test_resolve_and_reject_without_a_body_close_with_resolved_or_rejected(world: World) -> None:
    api = world.api
    other = api.post("/disputes", {"invoice_external_id": "I1", "reason": "quantity"}).json()

    resolved = api.call("POST", f"/disputes/{world['dispute']}/resolve", "morgan")
    rejected = api.post(f"/disputes/{other['id']}/reject", {})

    assert (resolved.status_code, resolved.json()["resolution"]) == (200, "Resolved")
    assert (rejected.status_code, rejected.json()["resolution"]) == (200, "Rejected")


def test_a_rejection_records_no_credit_note(world: World) -> None:
    answer = world.api.post(f"/disputes/{world['dispute']}/reject", {"credit_note": "5.00"})

    assert answer.status_code == 422
    assert "a rejected dispute records no credit note or write-off" in answer.json()["error"]["message"]


def test_contributors_may_not_resolve_with_a_credit_note(world: World) -> None:
    answer = world.api.post(f"/disputes/{world['dispute']}/resolve", {"credit_note": "5.00"}, as_="maria")

    assert answer.status_code == 403
    assert world.api.get("/credit-notes/DISPUTE-1-CN").status_code == 404


def test_a_manager_hands_a_dispute_to_another_owner(world: World) -> None:
    api = world.api

    assigned = api.post(f"/disputes/{world['dispute']}/assign", {"owner": "morgan"}, as_="morgan")
    by_collector = api.post(f"/disputes/{world['dispute']}/assign", {"owner": "maria"}, as_="maria")
    unknown = api.post(f"/disputes/{world['dispute']}/assign", {"owner": "nobody"})

    assert (assigned.status_code, assigned.json()["owner"]) == (200, "morgan")
    assert by_collector.status_code == 403
    assert unknown.status_code == 422
    assert api.get(f"/disputes/{world['dispute']}").json()["owner"] == "morgan"
