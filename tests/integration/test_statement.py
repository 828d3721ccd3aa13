"""A customer's statement read from SQL (`CustomerRecords.statement`) on SQLite and PostgreSQL: open
invoices oldest due first and bounded, the aging per currency over every open one, the payments and
credit notes of the period newest first and bounded; and the statement PDF's HTML as WeasyPrint is
given it (the customer's text escaped, the totals per currency, the bank details)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from arrears.adapters.rendering import Templates
from arrears.domain.users import Role
from arrears.services import statements
from tests.ledger import credit_note, invoice, payment
from tests.workspace import TODAY, Desk

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    opened = Desk.open(db_url, tmp_path)
    opened.accounts()
    # A long-overdue invoice named like a script, a paid one (not listed), and a period of cash.
    opened.ledger.load(
        "invoices",
        [
            invoice("I4", "C1", due=date(2026, 2, 1), amount="70.00", number=SCRIPT),
            invoice("I5", "C1", due=date(2026, 6, 1), amount="20.00", number="INV-PAID"),
        ],
    )
    opened.ledger.load(
        "payments",
        [
            payment("P1", invoice="I5", on=date(2026, 6, 10), amount="20.00", method="wire"),
            payment("P2", invoice="I1", on=date(2026, 6, 20), amount="30.00"),
            payment("P0", invoice="I2", on=date(2026, 3, 1), amount="10.00"),  # before the period
        ],
    )
    opened.ledger.load("credit-notes", [credit_note("CN1", invoice="I2", on=date(2026, 6, 25), amount="5.00")])
    yield opened
    opened.arrears.close()


def acme(desk: Desk) -> int:
    with desk.uow() as uow:
        customer = uow.ledger.customer("C1")
        assert customer is not None
        return customer.id


def test_the_statement_lists_open_invoices_aging_per_currency_and_the_periods_cash(desk: Desk) -> None:
    customer_id = acme(desk)
    with desk.uow() as uow:
        lines = uow.customer_records.statement(customer_id, TODAY, date(2026, 4, 1), 500)

    assert [i.external_id for i in lines.open_invoices] == ["I4", "I1", "I2", "I3"]  # oldest due first
    assert lines.open_count == 4
    assert [i.outstanding_minor for i in lines.open_invoices] == [70_00, 70_00, 235_00, 80_00]
    # I3 current; I1 (30 days) and I2 (15) in 1-30; I4 (149 days) in 91+
    assert [(a.currency, a.minors) for a in lines.aging] == [("USD", (80_00, 235_00 + 70_00, 0, 0, 70_00))]
    assert [(c.kind, c.external_id) for c in lines.cash] == [
        ("credit_note", "CN1"),
        ("payment", "P2"),
        ("payment", "P1"),
    ]
    assert lines.more_cash is False


def test_the_statement_is_bounded_and_its_totals_count_what_it_leaves_out(desk: Desk) -> None:
    customer_id = acme(desk)
    with desk.uow() as uow:
        lines = uow.customer_records.statement(customer_id, TODAY, date(2026, 4, 1), 2)

    assert [i.external_id for i in lines.open_invoices] == ["I4", "I1"]
    assert lines.open_count == 4
    assert [sum(a.minors) for a in lines.aging] == [455_00]
    assert len(lines.cash) == 2 and lines.more_cash is True


def test_the_statement_html_escapes_customer_text_and_prints_totals_and_bank_details(desk: Desk) -> None:
    templates = Templates(company="Northwind", bank_details="IBAN DE00 1234\nBIC NWDEXXX")
    with desk.uow() as uow:
        customer = uow.ledger.customer("C1")
        assert customer is not None
        context = statements.statement_context(uow, customer, TODAY)

    html = templates.statement_html(context)

    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Total outstanding" in html and "$455.00" in html and "149" in html  # days past due of I4
    assert "INV-PAID" not in html.split("Recent activity")[0]  # paid: not an open item
    assert "CN1" in html and "P2" in html and "P0" not in html  # the last 90 days only
    assert "IBAN DE00 1234\nBIC NWDEXXX" in html and "Northwind" in html


def test_a_statement_pdf_downloads_for_a_collector(desk: Desk) -> None:
    templates = Templates(company="Northwind")
    maria = desk["maria"]

    document = statements.statement_pdf(desk.uow(), maria, templates, "C1")

    assert document.filename == "statement-C1-2026-06-30.pdf"
    assert document.data.startswith(b"%PDF")
    assert maria.role is Role.CONTRIBUTOR  # any role may download it
