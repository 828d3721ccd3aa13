"""A dispute's outcome on the ledger, on both databases: resolving with a credit note or a write-off
records a credit note against the invoice (once, however often it is asked), audited like any ledger
write; rejecting resumes the chasing; the reason codes of ARREARS_DISPUTE_REASONS are in force."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from arrears.domain.errors import Conflict, InvalidValue
from arrears.domain.users import TERMINAL
from arrears.services import disputes, settings
from tests.ledger import Ledger, credit_note, customer, invoice, payment


@pytest.fixture
def disputed(ledger: Ledger) -> int:
    """A dispute on 60.00 of invoice I1 (250.00, of which 50.00 is paid)."""
    ledger.load("customers", [customer("C1")])
    ledger.load("invoices", [invoice("I1", amount="250.00"), invoice("I2", amount="80.00")])
    ledger.load("payments", [payment("P1", amount="50.00")])
    return disputes.open_dispute(ledger.arrears.uow(), TERMINAL, "I1", "pricing", amount="60.00").id


def audit_of(ledger: Ledger, entity: str) -> list[Any]:
    a = t.audit_log
    with ledger.arrears.engine.connect() as connection:
        return list(connection.execute(select(a).where(a.c.entity == entity).order_by(a.c.id)))


def disputed_flag(ledger: Ledger, external_id: str) -> bool:
    i = t.invoices
    with ledger.arrears.engine.connect() as connection:
        return bool(connection.execute(select(i.c.disputed).where(i.c.external_id == external_id)).scalar_one())


def test_resolving_with_a_credit_note_reduces_the_outstanding_once_however_often_it_is_asked(
    ledger: Ledger, disputed: int
) -> None:
    row = disputes.close_dispute(
        ledger.arrears.uow(), TERMINAL, disputed, "resolved", "Price corrected", credit_note="60.00"
    )
    with pytest.raises(Conflict, match=f"dispute {disputed} is already resolved"):
        disputes.close_dispute(ledger.arrears.uow(), TERMINAL, disputed, "resolved", None, credit_note="60.00")

    assert row.status == "resolved"
    assert row.resolution == f"Price corrected (credit note DISPUTE-{disputed}-CN, 60.00 USD)"
    assert ledger.invoice("I1") == ("open", "140.00")
    assert disputed_flag(ledger, "I1") is False
    [note] = ledger.exported_rows("credit-notes")
    assert {k: note[k] for k in ("external_id", "customer_external_id", "amount", "invoice_external_id")} == {
        "external_id": f"DISPUTE-{disputed}-CN",
        "customer_external_id": "C1",
        "amount": "60.00",
        "invoice_external_id": "I1",
    }
    assert note["reason"] == f"dispute {disputed}: pricing"


def test_the_credit_note_of_a_dispute_reimported_from_the_export_changes_nothing(ledger: Ledger, disputed: int) -> None:
    disputes.close_dispute(ledger.arrears.uow(), TERMINAL, disputed, "resolved", None, credit_note="60.00")
    exported = ledger.export("credit-notes")

    summary = ledger.load("credit-notes", exported.encode())

    assert (summary.counts.created, summary.counts.updated) == (0, 0)
    assert ledger.invoice("I1") == ("open", "140.00")


def test_a_write_off_is_a_credit_note_with_reason_write_off_and_can_settle_the_invoice(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load("invoices", [invoice("I1", amount="100.00")])
    ledger.load("credit-notes", [credit_note("CN1", amount="30.00")])
    dispute_id = disputes.open_dispute(ledger.arrears.uow(), TERMINAL, "I1", "damaged").id

    row = disputes.close_dispute(ledger.arrears.uow(), TERMINAL, dispute_id, "resolved", None, write_off="70.00")

    assert row.resolution == f"Resolved: write-off DISPUTE-{dispute_id}-WO, 70.00 USD"
    assert ledger.invoice("I1") == ("paid", "0.00")
    notes = {n["external_id"]: (n["amount"], n["reason"]) for n in ledger.exported_rows("credit-notes")}
    assert notes == {"CN1": ("30.00", ""), f"DISPUTE-{dispute_id}-WO": ("70.00", "write_off")}


def test_a_credit_note_and_a_write_off_together_are_two_credit_notes(ledger: Ledger, disputed: int) -> None:
    disputes.close_dispute(
        ledger.arrears.uow(), TERMINAL, disputed, "resolved", None, credit_note="40.00", write_off="20.00"
    )

    assert ledger.invoice("I1") == ("open", "140.00")
    assert sorted(n["external_id"] for n in ledger.exported_rows("credit-notes")) == [
        f"DISPUTE-{disputed}-CN",
        f"DISPUTE-{disputed}-WO",
    ]


def test_a_settlement_above_the_disputed_amount_writes_nothing_and_leaves_the_dispute_open(
    ledger: Ledger, disputed: int
) -> None:
    with pytest.raises(InvalidValue, match="above the disputed amount"):
        disputes.close_dispute(ledger.arrears.uow(), TERMINAL, disputed, "resolved", None, credit_note="60.01")

    assert ledger.exported_rows("credit-notes") == []
    assert disputes.get_dispute(ledger.arrears.uow(), TERMINAL, disputed).status == "open"
    assert ledger.invoice("I1") == ("open", "200.00")


def test_the_settlement_and_the_closing_are_audited_on_the_customers_timeline(ledger: Ledger, disputed: int) -> None:
    disputes.close_dispute(ledger.arrears.uow(), TERMINAL, disputed, "resolved", "Agreed", credit_note="60.00")

    closed = audit_of(ledger, "dispute")[-1]
    assert (closed.action, closed.summary) == (
        "resolved",
        f"Dispute on invoice I1 resolved: Agreed (credit note DISPUTE-{disputed}-CN, 60.00 USD)",
    )
    assert json.loads(closed.changes) == {"credit note": f"DISPUTE-{disputed}-CN, 60.00 USD"}
    [written] = audit_of(ledger, "credit_note")
    assert (written.entity_id, written.action, written.customer_id) == (
        f"DISPUTE-{disputed}-CN",
        "imported",
        closed.customer_id,
    )
    assert written.summary.startswith(f"dispute {disputed}: 1 credit note(s) added")
    assert (written.actor_kind, written.actor_name) == ("import", "terminal")


def test_rejecting_resumes_the_chasing_and_records_nothing_on_the_ledger(ledger: Ledger, disputed: int) -> None:
    row = disputes.close_dispute(ledger.arrears.uow(), TERMINAL, disputed, "rejected")

    assert (row.status, row.resolution) == ("rejected", "Rejected")
    assert disputed_flag(ledger, "I1") is False
    assert ledger.invoice("I1") == ("open", "200.00")
    assert ledger.exported_rows("credit-notes") == []
    assert audit_of(ledger, "dispute")[-1].summary == "Dispute on invoice I1 rejected: Rejected"


def test_the_reasons_of_arrears_dispute_reasons_are_in_force_over_the_stored_ones(ledger: Ledger, db_url: str) -> None:
    ledger.load("customers", [customer("C1")])
    ledger.load("invoices", [invoice("I1")])
    settings.update_settings(ledger.arrears.uow(), TERMINAL, {"dispute_reasons": ["pricing", "wrong_site"]})
    configured = bootstrap(Settings(database_url=db_url, dispute_reasons="warranty, other"))
    try:
        with pytest.raises(InvalidValue, match="'pricing' is not a dispute reason: use one of warranty, other"):
            disputes.open_dispute(configured.uow(), TERMINAL, "I1", "pricing")
        opened = disputes.open_dispute(configured.uow(), TERMINAL, "I1", "warranty")
        in_force = disputes.reasons(configured.uow())
    finally:
        configured.close()

    assert opened.reason == "warranty"
    assert in_force == ("warranty", "other")
    assert disputes.reasons(ledger.arrears.uow()) == ("pricing", "wrong_site")  # without the setting


def test_a_bad_code_in_arrears_dispute_reasons_stops_the_start() -> None:
    with pytest.raises(InvalidValue, match="ARREARS_DISPUTE_REASONS: 'Wrong Site' is not a reason code"):
        bootstrap(Settings(database_url="sqlite://", dispute_reasons="pricing,Wrong Site"))


def test_four_managers_resolving_one_dispute_at_once_record_one_credit_note(ledger: Ledger, disputed: int) -> None:
    """Real concurrent writers (on PostgreSQL, four connections; SQLite serialises them): the
    customer's lock and the dispute's status let one resolution through, the others are refused."""
    barrier = threading.Barrier(4)

    def resolve(_: int) -> str:
        barrier.wait()
        try:
            disputes.close_dispute(ledger.arrears.uow(), TERMINAL, disputed, "resolved", "Agreed", credit_note="60.00")
        except Conflict:
            return "refused"
        return "resolved"

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = sorted(pool.map(resolve, range(4)))

    assert outcomes == ["refused", "refused", "refused", "resolved"]
    assert ledger.invoice("I1") == ("open", "140.00")
    assert [note["amount"] for note in ledger.exported_rows("credit-notes")] == ["60.00"]
