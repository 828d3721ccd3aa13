"""The reports' SQL on both databases: what is receivable as of a day (the twin of
domain.reports.receivables, on random ledgers), and the promises, disputes and productivity
reports on a small ledger written row by row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, insert

from arrears.adapters.db import reports as sql
from arrears.adapters.db import tables as t
from arrears.adapters.db.engine import make_engine
from arrears.bootstrap import Arrears
from arrears.domain.reports import DatedInvoice, Period, receivables
from arrears.services import reports

START = date(2026, 1, 1)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def day(offset: int) -> date:
    return START + timedelta(days=offset)


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[list[DatedInvoice], list[dict[str, Any]]]:
    """Invoices in two currencies, some void or written off in part, each with dated payments and
    credit notes that never add up past its amount; and payments on account that name no invoice."""
    invoices = []
    for _ in range(draw(st.integers(0, 12))):
        issued = draw(st.integers(0, 120))
        amount = draw(st.integers(1, 50_000))
        written_off = draw(st.sampled_from((0, 0, 0, amount // 4)))
        left = amount - written_off
        allocations = []
        for _ in range(draw(st.integers(0, 3))):
            if left == 0:
                break
            minor = draw(st.integers(1, left))
            left -= minor
            allocations.append((day(issued + draw(st.integers(-5, 90))), minor))
        invoices.append(
            DatedInvoice(
                draw(st.sampled_from(("USD", "JPY"))),
                day(issued),
                day(issued + draw(st.sampled_from((0, 14, 30, 60)))),
                amount,
                written_off,
                draw(st.sampled_from((False, False, False, True))),
                tuple(allocations),
            )
        )
    on_account = [{"date": day(draw(st.integers(0, 150))), "amount": draw(st.integers(1, 9_000))} for _ in range(2)]
    return invoices, on_account


periods = st.tuples(st.integers(-10, 160), st.integers(0, 100)).map(lambda p: Period(day(p[0]), day(p[0] + p[1])))


def put(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """One insert a row: the rows name different columns, the others take their defaults."""
    for row in rows:
        connection.execute(insert(table).values(**row))


def _write(connection: Connection, invoices: list[DatedInvoice], on_account: list[dict[str, Any]]) -> None:
    put(connection, t.customers, [{"id": 1, "external_id": "C1", "name": "C", "currency": "USD"}])
    n = 0
    for k, invoice in enumerate(invoices, start=1):
        put(
            connection,
            t.invoices,
            [
                {
                    "id": k,
                    "external_id": f"I{k}",
                    "customer_id": 1,
                    "number": f"I{k}",
                    "issue_date": invoice.issue_date,
                    "due_date": invoice.due_date,
                    "currency": invoice.currency,
                    "amount_minor": invoice.amount_minor,
                    "written_off_minor": invoice.written_off_minor,
                    "is_void": invoice.is_void,
                    "status": "void" if invoice.is_void else "open",
                }
            ],
        )
        for on, minor in invoice.allocations:
            n += 1
            table = t.payments if n % 2 else t.credit_notes
            put(
                connection,
                table,
                [
                    {
                        "external_id": f"A{n}",
                        "customer_id": 1,
                        "invoice_id": k,
                        "date": on,
                        "amount_minor": minor,
                        "currency": invoice.currency,
                    }
                ],
            )
    for row in on_account:
        n += 1
        put(
            connection,
            t.payments,
            [
                {
                    "external_id": f"A{n}",
                    "customer_id": 1,
                    "date": row["date"],
                    "amount_minor": row["amount"],
                    "currency": "USD",
                }
            ],
        )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), chosen=st.lists(periods, min_size=1, max_size=4))
def test_what_is_receivable_in_sql_is_what_the_rule_says(
    engine: Engine, ledger: tuple[list[DatedInvoice], list[dict[str, Any]]], chosen: list[Period]
) -> None:
    invoices, on_account = ledger
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            _write(connection, invoices, on_account)
            got = sql.receivables(connection, chosen)
        finally:
            transaction.rollback()
    currencies = {i.currency for i in invoices if not i.is_void}
    assert set(got) == currencies
    for currency in currencies:
        mine = [i for i in invoices if i.currency == currency]
        assert got[currency] == [receivables(mine, p)[currency] for p in chosen]


# -- promises, disputes and productivity on a small ledger --------------------------------------------

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
JUNE = Period(date(2026, 6, 1), date(2026, 6, 30))


def at(d: date, hour: int = 12) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def _small_ledger(arrears: Arrears) -> None:
    june = date(2026, 6, 10)
    with arrears.engine.begin() as c:
        put(
            c,
            t.users,
            [
                {"id": 1, "name": "alex", "role": "contributor"},
                {"id": 2, "name": "sam", "role": "contributor"},
                {"id": 3, "name": "gone", "role": "contributor", "active": False},
            ],
        )
        put(
            c,
            t.customers,
            [
                {"id": 1, "external_id": "C1", "name": "One", "currency": "USD", "collector_id": 1},
                {"id": 2, "external_id": "C2", "name": "Two", "currency": "EUR", "collector_id": 2},
                {"id": 3, "external_id": "C3", "name": "Three", "currency": "USD"},
            ],
        )
        put(
            c,
            t.invoices,
            [
                {
                    "id": k,
                    "external_id": f"I{k}",
                    "customer_id": cust,
                    "number": f"I{k}",
                    "issue_date": date(2026, 5, 1),
                    "due_date": date(2026, 5, 31),
                    "currency": cur,
                    "amount_minor": 100_000,
                }
                for k, cust, cur in ((1, 1, "USD"), (2, 2, "EUR"), (3, 3, "USD"))
            ],
        )
        promise = {"type": "expected_payment", "due_date": june, "expected_date": june, "promise_made_on": june}
        put(
            c,
            t.tasks,
            [
                {
                    **promise,
                    "customer_id": 1,
                    "status": "done",
                    "outcome": "kept",
                    "expected_amount_minor": 5_000,
                    "expected_currency": "USD",
                    "created_by": 1,
                },
                {
                    **promise,
                    "customer_id": 1,
                    "status": "done",
                    "outcome": "broken",
                    "expected_amount_minor": 7_000,
                    "expected_currency": "USD",
                    "created_by": 1,
                },
                {
                    **promise,
                    "customer_id": 1,
                    "status": "open",
                    "expected_amount_minor": 1_000,
                    "expected_currency": "USD",
                },
                {
                    **promise,
                    "customer_id": 1,
                    "status": "cancelled",
                    "expected_amount_minor": 9_000,
                    "expected_currency": "USD",
                },
                {
                    **promise,
                    "customer_id": 2,
                    "status": "done",
                    "outcome": "kept",
                    "expected_amount_minor": 3_000,
                    "expected_currency": "EUR",
                    "created_by": 2,
                },
                # Due in July: outside the period.
                {
                    **promise,
                    "customer_id": 2,
                    "status": "open",
                    "expected_amount_minor": 3_000,
                    "expected_currency": "EUR",
                    "expected_date": date(2026, 7, 1),
                },
                # Calls completed by alex in June (and one in May, outside).
                *(
                    {
                        "customer_id": 1,
                        "type": "call",
                        "due_date": june,
                        "status": "done",
                        "outcome": outcome,
                        "completed_by": 1,
                        "completed_at": at(when),
                    }
                    for outcome, when in (
                        ("answered", june),
                        ("answered", june),
                        ("not_answered", june),
                        ("answered", date(2026, 5, 30)),
                    )
                ),
                {
                    "customer_id": 1,
                    "type": "follow_up",
                    "due_date": june,
                    "status": "done",
                    "outcome": "done",
                    "completed_by": 2,
                    "completed_at": at(june),
                },
            ],
        )
        dispute = {"invoice_id": 1, "customer_id": 1, "currency": "USD"}
        put(
            c,
            t.disputes,
            [
                {
                    **dispute,
                    "reason": "pricing",
                    "amount_minor": 10_000,
                    "status": "resolved",
                    "created_at": at(date(2026, 6, 1)),
                    "closed_at": at(date(2026, 6, 5)),
                },
                {
                    **dispute,
                    "reason": "pricing",
                    "amount_minor": 20_000,
                    "status": "resolved",
                    "created_at": at(date(2026, 5, 20)),
                    "closed_at": at(date(2026, 6, 8)),
                },
                {
                    **dispute,
                    "reason": "pricing",
                    "amount_minor": 5_000,
                    "status": "open",
                    "created_at": at(date(2026, 6, 20)),
                },
                {
                    **dispute,
                    "reason": "damaged",
                    "amount_minor": 4_000,
                    "status": "rejected",
                    "created_at": at(date(2026, 6, 2)),
                    "closed_at": at(date(2026, 6, 3)),
                },
                # Opened in June, resolved in July: open at the period's end.
                {
                    **dispute,
                    "reason": "damaged",
                    "amount_minor": 1_000,
                    "status": "resolved",
                    "created_at": at(date(2026, 6, 29)),
                    "closed_at": at(date(2026, 7, 2)),
                },
                {
                    "invoice_id": 2,
                    "customer_id": 2,
                    "currency": "EUR",
                    "reason": "pricing",
                    "amount_minor": 8_000,
                    "status": "open",
                    "created_at": at(date(2026, 6, 15)),
                },
            ],
        )
        email = {"to_addresses": "[]", "subject": "s", "html": "", "text": "", "template": "t", "message_id": "m"}
        put(
            c,
            t.emails,
            [
                {**email, "customer_id": 1, "dedupe_key": "a", "status": "sent", "sent_at": at(june)},
                {**email, "customer_id": 1, "dedupe_key": "b", "status": "bounced", "sent_at": at(june)},
                {**email, "customer_id": 1, "dedupe_key": "c", "status": "queued"},
                {**email, "customer_id": 3, "dedupe_key": "d", "status": "sent", "sent_at": at(june)},
            ],
        )
        put(
            c,
            t.payments,
            [
                {
                    "external_id": "P1",
                    "customer_id": 1,
                    "invoice_id": 1,
                    "date": june,
                    "amount_minor": 4_000,
                    "currency": "USD",
                },
                {"external_id": "P2", "customer_id": 1, "date": june, "amount_minor": 1_000, "currency": "USD"},
                {"external_id": "P3", "customer_id": 2, "date": june, "amount_minor": 2_500, "currency": "EUR"},
                {
                    "external_id": "P4",
                    "customer_id": 2,
                    "date": date(2026, 7, 1),
                    "amount_minor": 9_999,
                    "currency": "EUR",
                },
                {"external_id": "P5", "customer_id": 3, "date": june, "amount_minor": 700, "currency": "USD"},
            ],
        )


def test_promises_whose_date_falls_in_the_period_per_currency(arrears: Arrears) -> None:
    _small_ledger(arrears)
    document = reports.promises(arrears.uow(), JUNE).as_dict()
    assert document["from"] == "2026-06-01" and document["to"] == "2026-06-30"
    assert document["rows"] == [
        {
            "currency": "EUR",
            "kept": 1,
            "broken": 0,
            "open": 0,
            "closed_by_hand": 0,
            "kept_rate": 100.0,
            "promised": "30.00",
            "kept_amount": "30.00",
        },
        {
            "currency": "USD",
            "kept": 1,
            "broken": 1,
            "open": 1,
            "closed_by_hand": 0,
            "kept_rate": 50.0,
            "promised": "130.00",
            "kept_amount": "50.00",
        },
    ]


def test_disputes_per_reason_and_currency(arrears: Arrears) -> None:
    _small_ledger(arrears)
    rows = reports.disputes(arrears.uow(), JUNE, "UTC").as_dict()["rows"]
    assert rows == [
        # Most opened first; a tie by the reason's name.
        {
            "reason": "damaged",
            "currency": "USD",
            "opened": 2,
            "amount": "50.00",
            "resolved": 0,
            "rejected": 1,
            "open": 1,
            "open_amount": "10.00",
            "median_days_to_resolve": None,
        },
        # Opened in June: 2 (the one from May is not); resolved in June: 2, after 4 and 19 days.
        {
            "reason": "pricing",
            "currency": "USD",
            "opened": 2,
            "amount": "150.00",
            "resolved": 2,
            "rejected": 0,
            "open": 1,
            "open_amount": "50.00",
            "median_days_to_resolve": 11.5,
        },
        {
            "reason": "pricing",
            "currency": "EUR",
            "opened": 1,
            "amount": "80.00",
            "resolved": 0,
            "rejected": 0,
            "open": 1,
            "open_amount": "80.00",
            "median_days_to_resolve": None,
        },
    ]


def test_a_dispute_is_counted_on_the_days_of_the_workspace_time_zone(arrears: Arrears) -> None:
    _small_ledger(arrears)
    # 12:00 UTC on May 31 is already June 1 in Auckland (UTC+12).
    with arrears.engine.begin() as c:
        put(
            c,
            t.disputes,
            [
                {
                    "invoice_id": 3,
                    "customer_id": 3,
                    "currency": "USD",
                    "reason": "other",
                    "amount_minor": 100,
                    "created_at": datetime(2026, 5, 31, 12, 30, tzinfo=UTC),
                }
            ],
        )
    utc = {r["reason"]: r for r in reports.disputes(arrears.uow(), JUNE, "UTC").as_dict()["rows"]}
    auckland = {r["reason"]: r for r in reports.disputes(arrears.uow(), JUNE, "Pacific/Auckland").as_dict()["rows"]}
    assert utc["other"]["opened"] == 0 and utc["other"]["open"] == 1
    assert auckland["other"]["opened"] == 1


def test_productivity_per_user(arrears: Arrears) -> None:
    _small_ledger(arrears)
    rows = reports.productivity(arrears.uow(), JUNE, "UTC").as_dict()["rows"]
    assert rows == [
        {
            "user": "alex",
            "tasks_completed": 3,
            "calls": {"answered": 2, "not_answered": 1, "left_voicemail": 0, "skipped": 0},
            "promises_taken": 2,
            "emails_sent": 2,
            "collected": {"USD": "50.00"},
        },
        {
            "user": "sam",
            "tasks_completed": 1,
            "calls": {"answered": 0, "not_answered": 0, "left_voicemail": 0, "skipped": 0},
            "promises_taken": 1,
            "emails_sent": 0,
            "collected": {"EUR": "25.00"},
        },
        # The customers without a collector: an email and a payment; the inactive user has no row.
        {
            "user": None,
            "tasks_completed": 0,
            "calls": {"answered": 0, "not_answered": 0, "left_voicemail": 0, "skipped": 0},
            "promises_taken": 0,
            "emails_sent": 1,
            "collected": {"USD": "7.00"},
        },
    ]


def test_an_empty_period_reports_nulls_not_zeros(arrears: Arrears) -> None:
    _small_ledger(arrears)
    early = Period(date(2025, 1, 1), date(2025, 1, 31))
    lines = {line.currency: line.dso_dict() for line in reports.receivables(arrears.uow(), early)}
    assert set(lines) == {"EUR", "USD"}  # the ledger's currencies, with nothing in them yet
    assert lines["USD"]["dso"] is None and lines["USD"]["ar"] == "0.00"
    assert reports.promises(arrears.uow(), early).as_dict()["rows"] == []
    assert reports.disputes(arrears.uow(), early, "UTC").as_dict()["rows"] == []
