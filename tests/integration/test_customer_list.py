"""The customer list's read model (adapters/db/workspace/customer_list.py) on SQLite and PostgreSQL:
what a search finds, the filters, the orders, the pages."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, select, update

from arrears.adapters.db import tables as t
from arrears.services import balances, customers, disputes
from tests.ledger import contact, customer, invoice
from tests.workspace import Desk


@pytest.fixture
def book(desk: Desk) -> Desk:
    """Acme (C1, USD, maria, overdue 350.00) and Beta (C2, EUR, sam, tags key;eu, overdue 40.00) of
    `accounts`; Gamma (C3, USD, no collector, on hold, nothing owed) with a contact; and Δelta_100%
    (C4, USD, maria, 500.00 overdue)."""
    desk.accounts()
    desk.ledger.load(
        "customers",
        [
            customer("C3", "Gamma SA", on_hold="true", email="billing@gamma.example"),
            customer("C4", "Δelta_100% Oy", collector="maria"),
        ],
    )
    paula = contact("C3", "Paula Payables", email="paula@gamma.example", phone="+44 20 7946 0958")
    desk.ledger.load("contacts", [paula])
    desk.ledger.load("invoices", [invoice("D1", "C4", due=date(2026, 5, 1), amount="500.00", number="X-77")])
    balances.roll_balances(desk.uow())
    return desk


def ids(desk: Desk, **options: object) -> list[str]:
    page = customers.customer_list(desk.uow(), desk["morgan"], **options)  # type: ignore[arg-type]
    return [row.external_id for row in page.items]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("acme", ["C1"]),  # part of a name, any case
        ("GMBH", ["C2"]),
        ("c3", ["C3"]),  # the customer id
        ("billing@gamma", ["C3"]),  # its email
        ("415 555", ["C1"]),  # its phone
        ("paula", ["C3"]),  # a contact's name
        ("PAULA@GAMMA.EXAMPLE", ["C3"]),  # a contact's email
        ("7946", ["C3"]),  # a contact's phone
        ("inv-2002", ["C1"]),  # an invoice number, any case
        ("B1", ["C2"]),  # an invoice's external id
        ("INV-20", []),  # an invoice number is matched whole
        ("δelta", ["C4"]),  # beyond ASCII
        ("_100%", ["C4"]),  # % and _ are themselves, not wildcards
        ("%", ["C4"]),
        ("nobody at all", []),
    ],
)
def test_a_search_finds_a_customer_by_what_a_collector_has_at_hand(book: Desk, q: str, found: list[str]) -> None:
    assert ids(book, q=q) == found


def test_the_filters(book: Desk) -> None:
    disputes.open_dispute(book.uow(), book["maria"], "I2", "pricing")

    assert ids(book, collector="maria") == ["C1", "C4"]
    assert ids(book, collector="-") == ["C3"]
    assert ids(book, overdue=True) == ["C1", "C2", "C4"]
    assert ids(book, on_hold=True) == ["C3"]
    assert ids(book, disputed=True) == ["C1"]
    assert ids(book, tag="eu") == ["C2"]
    assert ids(book, tag="e") == []  # a whole tag
    assert ids(book, collector="maria", q="acme") == ["C1"]


def test_a_row_carries_the_balances_the_collector_and_the_disputes(book: Desk) -> None:
    disputes.open_dispute(book.uow(), book["maria"], "I2", "pricing")

    [acme] = customers.customer_list(book.uow(), book["maria"], q="acme").items

    assert (acme.collector, acme.open_invoice_count, acme.outstanding_minor, acme.overdue_minor) == (
        "maria",
        3,
        430_00,
        100_00,  # I2 is disputed: overdue nowhere
    )
    assert (acme.disputed_invoice_count, acme.on_hold, acme.phone, acme.tags) == (1, False, "+1 415 555 0100", ())


def test_the_orders_and_amounts_within_a_currency(book: Desk) -> None:
    assert ids(book) == ["C1", "C2", "C3", "C4"]
    assert ids(book, sort="-name") == ["C4", "C3", "C2", "C1"]
    assert ids(book, sort="-overdue") == ["C2", "C4", "C1", "C3"]  # EUR first, then USD largest first
    assert ids(book, sort="-outstanding") == ["C2", "C4", "C1", "C3"]


def test_the_orders_by_amount_count_a_customer_without_balances_in_its_currency_as_owing_nothing(
    book: Desk,
) -> None:
    c, b = t.customers, t.customer_balances
    with book.arrears.engine.begin() as connection:
        delta = connection.execute(select(c.c.id).where(c.c.external_id == "C4")).scalar_one()
        beta = connection.execute(select(c.c.id).where(c.c.external_id == "C2")).scalar_one()
        connection.execute(delete(b).where(b.c.customer_id == delta))  # no balances yet
        connection.execute(update(b).where(b.c.customer_id == beta).values(currency="USD"))  # a former currency

    by_overdue = ids(book, sort="-overdue")
    by_outstanding = ids(book, sort="-outstanding")
    one_by_one = [
        row.external_id
        for offset in range(4)
        for row in customers.customer_list(book.uow(), book["morgan"], sort="-overdue", limit=1, offset=offset).items
    ]

    assert by_overdue == ["C2", "C1", "C3", "C4"]  # Beta's 40.00 still in EUR; Δelta's 500.00 not yet counted
    assert by_outstanding == ["C2", "C1", "C3", "C4"]
    assert one_by_one == by_overdue


def test_pages(book: Desk) -> None:
    first = customers.customer_list(book.uow(), book["maria"], limit=3)
    rest = customers.customer_list(book.uow(), book["maria"], limit=3, offset=first.next_offset or 0)

    assert [r.external_id for r in (*first.items, *rest.items)] == ["C1", "C2", "C3", "C4"]
    assert rest.next_offset is None
