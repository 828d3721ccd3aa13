"""`arrears import invoices FILE --complete`: an ERP's full sync. The file lists every invoice of its
customers; their open invoices it leaves out are no longer owed per the ERP and close as void
(audited, listed), all or nothing with the file's rows. Without --complete nothing closes."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.services.imports import TERMINAL_IMPORT, ErrorReport, ImportRejected, write_rows
from arrears.services.ports import AuditStamp
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, customer, invoice, payment

DUE = date(2026, 5, 31)


@pytest.fixture
def erp(ledger: Ledger) -> Ledger:
    """Acme (C1) with I1, I2, I3 open and I4 paid; Beta (C2) with B1 open."""
    ledger.load("customers", [customer("C1", "Acme"), customer("C2", "Beta")])
    ledger.load(
        "invoices",
        [invoice(ref, "C1", due=DUE) for ref in ("I1", "I2", "I3", "I4")] + [invoice("B1", "C2", due=DUE)],
    )
    ledger.load("payments", [payment("P4", "C1", invoice="I4", amount="100.00")])
    return ledger


def statuses(ledger: Ledger) -> dict[str, str]:
    """Each invoice's status as a collector reads it (open, paid, void, written_off)."""
    i = t.invoices
    with ledger.arrears.engine.connect() as connection:
        return {ref: status for ref, status in connection.execute(select(i.c.external_id, i.c.status))}


def closing_entries(ledger: Ledger) -> list[tuple[str, str, str]]:
    a = t.audit_log
    with ledger.arrears.engine.connect() as connection:
        query = select(a.c.entity_id, a.c.action, a.c.summary).where(a.c.action == "closed").order_by(a.c.entity_id)
        return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]


def test_a_complete_file_closes_its_customers_open_invoices_that_it_leaves_out(cli: Cli, erp: Ledger) -> None:
    erp.file("erp.csv", [invoice("I1", "C1", due=DUE, amount="120.00"), invoice("I5", "C1", due=DUE)])

    result = cli("import", "invoices", "erp.csv", "--complete", "--format", "json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["created"], summary["updated"]) == (1, 1)
    assert (summary["closed"], summary["closed_invoices"]) == (2, ["I2", "I3"])
    assert statuses(erp) == {"I1": "open", "I2": "void", "I3": "void", "I4": "paid", "I5": "open", "B1": "open"}
    assert [(ref, action) for ref, action, _ in closing_entries(erp)] == [("I2", "closed"), ("I3", "closed")]
    assert "erp.csv: invoice I2 closed as void" in closing_entries(erp)[0][2]
    assert erp.aging_of("C1")["total"] == "220.00"


def test_without_complete_nothing_closes_and_the_output_is_as_before(cli: Cli, erp: Ledger) -> None:
    erp.file("erp.csv", [invoice("I1", "C1", due=DUE)])

    result = cli("import", "invoices", "erp.csv", "--format", "json")

    assert "closed" not in json.loads(result.stdout)
    assert set(statuses(erp).values()) == {"open", "paid"}
    assert closing_entries(erp) == []


def test_an_absent_invoice_with_a_payment_on_it_rejects_the_whole_file(cli: Cli, erp: Ledger) -> None:
    erp.load("payments", [payment("P2", "C1", invoice="I2", amount="30.00")])
    erp.file("erp.csv", [invoice("I1", "C1", due=DUE, amount="150.00")])
    before = erp.state()

    result = cli("import", "invoices", "erp.csv", "--complete")

    assert result.exit_code == 1
    assert "erp.csv:2: column 'customer_external_id': invoice 'I2' of customer 'C1'" in result.output
    assert "30.00 USD paid or credited on it" in result.output
    assert erp.state() == before


def test_a_dry_run_counts_and_names_what_would_close_and_writes_nothing(cli: Cli, erp: Ledger) -> None:
    erp.file("erp.csv", [invoice("I1", "C1", due=DUE)])
    before = erp.state()

    as_json = cli("import", "invoices", "erp.csv", "--complete", "--dry-run", "--format", "json")
    as_text = cli("import", "invoices", "erp.csv", "--complete", "--dry-run")
    not_invoices = cli("import", "customers", "erp.csv", "--complete")

    assert json.loads(as_json.stdout)["closed_invoices"] == ["I2", "I3"]
    assert "2 closed as not in the file (I2, I3) (dry run: nothing was written)" in as_text.stdout
    assert not_invoices.exit_code == 2
    assert erp.state() == before


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_complete_import_waits_for_a_payment_being_written_to_its_customer_and_then_sees_it(erp: Ledger) -> None:
    """A payment to I2 is being written (its transaction holds Acme's lock) when the ERP's complete
    file arrives without I2: the import waits, then finds the payment and rejects the file, instead
    of voiding an invoice with cash on it."""
    arrears = erp.arrears
    stamp = AuditStamp(arrears.clock.now() if arrears.clock else datetime.now(UTC), TERMINAL_IMPORT, "pay.csv")
    row = {key: str(value) for key, value in payment("P2", "C1", invoice="I2", amount="30.00").items()}
    outcome: list[object] = []
    erp.file("erp.csv", [invoice("I1", "C1", due=DUE)])

    def complete_import() -> None:
        try:
            outcome.append(erp.import_file("invoices", erp.tmp_path / "erp.csv", complete=True))
        except ImportRejected as error:
            outcome.append(error)

    paying = arrears.uow()
    with paying:
        write_rows(paying, "payments", list(row), iter([(2, row)]), ErrorReport("pay.csv"), stamp, in_transaction=True)
        other = threading.Thread(target=complete_import)
        other.start()
        other.join(0.5)
        waited = other.is_alive()
        paying.commit()
    other.join(10)

    assert waited, "the complete import did not wait for the payment's transaction"
    assert isinstance(outcome[0], ImportRejected)
    assert "invoice 'I2' of customer 'C1'" in outcome[0].message
    assert statuses(erp)["I2"] == "open"
