"""A customer's credit over the API, on both databases: the credit line, and the credit hold set and
released by managers (a contributor is refused; an unknown customer is 404)."""

from __future__ import annotations

from arrears.services import ledger
from tests.api import World, api_fixture, world_fixture  # noqa: F401
from tests.ledger import customer


def test_the_credit_line_gives_limit_exposure_score_hold_and_flags(world: World) -> None:
    world.api.load("customers", [customer("C1", "Acme Ltd", collector="maria", credit_limit="500.00")])
    api = world.api
    ledger.enter_score(
        api.arrears.uow(), api.people["olivia"], "C1", 300, max_score=850, on="2026-06-01", source="bureau"
    )

    answer = world.api.get("/customers/C1/credit", as_="maria")

    assert answer.status_code == 200
    line = answer.json()
    assert {key: line[key] for key in ("credit_limit", "score", "max_score", "score_source", "credit_hold")} == {
        "credit_limit": "500.00",
        "score": 300,
        "max_score": 850,
        "score_source": "bureau",
        "credit_hold": False,
    }
    assert "score_below_threshold" in line["flags"]
    assert line["exposure"] == world.api.get("/customers/C1/credit").json()["exposure"]


def test_managers_set_and_release_a_credit_hold_and_contributors_may_not(world: World) -> None:
    api = world.api

    refused = api.put("/customers/C1/credit-hold", {"hold": True, "note": "over limit"}, as_="maria")
    held = api.put("/customers/C1/credit-hold", {"hold": True, "note": "over limit"}, as_="morgan")
    released = api.put("/customers/C1/credit-hold", {"hold": False}, as_="morgan")

    assert refused.status_code == 403
    assert held.status_code == 200
    assert (held.json()["credit_hold"], held.json()["hold_note"]) == (True, "over limit")
    assert released.json()["credit_hold"] is False


def test_an_unknown_customer_is_404_and_a_body_without_hold_is_422(world: World) -> None:
    assert world.api.get("/customers/NOPE/credit").status_code == 404
    assert world.api.put("/customers/C1/credit-hold", {"note": "x"}).status_code == 422
    assert world.api.put("/customers/C1/credit-hold", {"hold": True, "extra": 1}).status_code == 422
