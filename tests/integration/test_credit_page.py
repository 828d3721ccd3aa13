"""The credit page's store on SQLite and PostgreSQL: customers sorted in SQL (exposure largest first and
available least first within each currency, score lowest first as a percent of its scale, name),
filtered (currency, credit hold, over the limit, flagged), paged with the next offset; each row's
figures the same as the report's; and the record's panel (the behavioural score's parts, hold by
whom and when, the scores over time)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from arrears.domain.credit import CreditFlag
from arrears.domain.errors import InvalidValue
from arrears.services import credit
from arrears.services.credit import CreditPolicy
from tests.ledger import credit_score, customer, invoice
from tests.workspace import TODAY, Desk

POLICY = CreditPolicy(score_alert_below=40, review_days=365)


@pytest.fixture
def book(desk: Desk) -> Desk:
    """USD: Acme (limit 1,000.00, owes 1,200.00: over), Delta (limit 5,000.00, owes 300.00), Gamma
    (no limit, owes nothing, a bureau score of 300 of 850: 35 %, low). EUR: Beta (limit 100.00, owes
    50.00, a score of 90 of 100)."""
    desk.ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd", credit_limit="1000.00"),
            customer("C2", "Beta GmbH", currency="EUR", credit_limit="100.00"),
            customer("C3", "Gamma SA"),
            customer("C4", "Delta Inc", credit_limit="5000.00"),
        ],
    )
    desk.ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=TODAY - timedelta(days=10), amount="1200.00"),
            invoice("I2", "C2", due=TODAY + timedelta(days=10), amount="50.00", currency="EUR"),
            invoice("I4", "C4", due=TODAY - timedelta(days=5), amount="300.00"),
        ],
    )
    desk.ledger.load(
        "credit-scores",
        [
            credit_score("C3", on=TODAY - timedelta(days=20), score=300, max_score="850", source="bureau"),
            credit_score("C2", on=TODAY - timedelta(days=20), score=90, max_score="100", source="bureau"),
        ],
    )
    return desk


def page(desk: Desk, **options: object) -> tuple[list[str], int | None]:
    with desk.arrears.uow() as uow:
        rows, next_offset = uow.credit.credit_page(**{"order": "-exposure", "limit": 50, "offset": 0, **options})  # type: ignore[arg-type]
    return [row.external_id for row in rows], next_offset


def test_exposure_largest_first_within_each_currency(book: Desk) -> None:
    assert page(book) == (["C2", "C1", "C4", "C3"], None)


def test_available_least_first_within_each_currency_and_no_limit_last(book: Desk) -> None:
    assert page(book, order="available")[0] == ["C2", "C1", "C4", "C3"]


def test_score_lowest_first_as_a_percent_of_its_scale_and_no_score_last(book: Desk) -> None:
    ids, _ = page(book, order="score")

    assert ids[:2] == ["C3", "C2"] and set(ids[2:]) == {"C1", "C4"}


def test_by_name_either_way(book: Desk) -> None:
    assert page(book, order="name")[0] == ["C1", "C2", "C4", "C3"]
    assert page(book, order="-name")[0] == ["C3", "C4", "C2", "C1"]


def test_filters_currency_over_limit_flagged_and_hold(book: Desk) -> None:
    assert page(book, currency="EUR")[0] == ["C2"]
    assert page(book, over_limit=True)[0] == ["C1"]
    assert page(book, flagged_below=40)[0] == ["C1", "C3"]  # over the limit; 35 % below 40 %
    assert page(book, flagged_below=95)[0] == ["C2", "C1", "C3"]  # 90 % is below 95 %
    assert page(book, on_hold=True)[0] == []

    credit.hold(book.arrears.uow(), book["morgan"], "C4", "watch")

    assert page(book, on_hold=True)[0] == ["C4"]


def test_flagged_selects_a_customer_whose_only_flag_is_its_review_due(book: Desk) -> None:
    """Epsilon: no limit, a good score (90 of 100) reported 400 days ago: its review fell due 35 days
    ago. Zeta: the same score 300 days ago: not due yet."""
    book.ledger.load("customers", [customer("C5", "Epsilon"), customer("C6", "Zeta")])
    book.ledger.load(
        "credit-scores",
        [
            credit_score("C5", on=TODAY - timedelta(days=400), score=90, max_score="100", source="bureau"),
            credit_score("C6", on=TODAY - timedelta(days=300), score=90, max_score="100", source="bureau"),
        ],
    )

    found = credit.credit_page(book.arrears.uow(), book["maria"], POLICY, sort="name", flagged=True)

    assert [line.external_id for line in found.lines] == ["C1", "C5", "C3"]
    assert found.lines[1].flags == (CreditFlag.REVIEW_DUE,)
    every = {line.external_id: line.flags for line in credit.report(book.arrears.uow, POLICY, TODAY)}
    assert {line.external_id for line in found.lines} == {name for name, flags in every.items() if flags}


def test_pages_give_the_next_offset(book: Desk) -> None:
    assert page(book, order="name", limit=3) == (["C1", "C2", "C4"], 3)
    assert page(book, order="name", limit=3, offset=3) == (["C3"], None)


def test_a_rows_figures_are_the_reports(book: Desk) -> None:
    found = credit.credit_page(book.arrears.uow(), book["maria"], POLICY, sort="name")

    reported = {line.external_id: line for line in credit.report(book.arrears.uow, POLICY, TODAY)}
    assert {line.external_id: line for line in found.lines} == reported
    assert found.currencies == ["EUR", "USD"]
    assert reported["C1"].flags == (CreditFlag.OVER_LIMIT,)
    assert reported["C3"].flags == (CreditFlag.SCORE_BELOW_THRESHOLD,)


def test_an_unknown_sort_is_refused(book: Desk) -> None:
    with pytest.raises(InvalidValue):
        credit.credit_page(book.arrears.uow(), book["maria"], POLICY, sort="exposure; drop table")


def test_the_panel_has_the_parts_the_hold_and_the_history(book: Desk) -> None:
    parts = [{"name": "lateness", "points": "4.0", "why": "pays 4.0 days late on average"}]
    with book.arrears.uow() as uow:
        acme = uow.ledger.customer("C1")
        assert acme is not None
        uow.credit.add_scores(
            [(acme.id, date(2026, 5, 1), 90, json.dumps({"why": "pays 4.0 days late", "parts": parts}))],
            uow.clock.now(),
        )
        uow.commit()
    book.ledger.load("credit-scores", [credit_score("C1", on=TODAY - timedelta(days=3), score=610, max_score="850")])
    credit.hold(book.arrears.uow(), book["morgan"], "C1", "over the limit")

    panel = credit.credit_panel(book.arrears.uow(), book["maria"], "C1", POLICY)

    assert panel.line.credit_hold and panel.line.hold_note == "over the limit"
    assert panel.hold_by == "morgan" and panel.hold_at == book.clock.now()
    assert panel.why == "pays 4.0 days late"
    assert [(p.name, p.points) for p in panel.parts] == [("lateness", "4.0")]
    assert [(s.date, s.score, s.source) for s in panel.history] == [
        (date(2026, 5, 1), 90, "arrears"),
        (TODAY - timedelta(days=3), 610, "imported"),
    ]
