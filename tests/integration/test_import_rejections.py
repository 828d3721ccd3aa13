"""A file that breaks any rule is refused whole, however big: every error is counted, the first ones are
spelled out with file, line, column and reason, and the ledger is exactly as it was before.

Each single rule is proved through the command line, with the same bad files (tests/ledger.py BAD_FILES),
in tests/e2e/test_cli_import_export.py."""

from __future__ import annotations

from arrears.services.imports import BATCH_SIZE, SHOWN_ERRORS
from tests.ledger import (
    Ledger,
    csv_bytes,
    error_lines,
    has_line,
    invoice,
    many_invoices,
    seed_ledger,
)


def test_an_unknown_column_is_accepted_with_ignore_unknown(ledger: Ledger) -> None:
    seed_ledger(ledger)

    summary = ledger.load("invoices", [invoice("I9", colour="red")], ignore_unknown=True)

    assert (summary.counts.created, summary.counts.updated) == (1, 0)
    assert ledger.invoice("I9") == ("open", "100.00")


def test_every_bad_row_of_a_file_is_counted_but_only_the_first_fifty_are_spelled_out(ledger: Ledger) -> None:
    seed_ledger(ledger)
    before = ledger.state()

    error = ledger.rejected("invoices", list(many_invoices(10_000, amount="ten")))

    lines = error_lines(error)
    assert lines[0] == "invoices.csv: rejected with 10,000 errors; nothing was imported"
    assert lines[1] == (
        "invoices.csv:2: column 'amount': 'ten' is not an amount: write digits with '.' as the decimal separator, "
        "e.g. 1234.50"
    )
    assert lines[SHOWN_ERRORS].startswith("invoices.csv:51: column 'amount'")
    assert lines[-1].startswith("... and 9,950 more errors")
    assert len(lines) == 1 + SHOWN_ERRORS + 1
    assert ledger.state() == before


def test_a_bad_row_after_thousands_of_good_ones_rejects_the_whole_file(ledger: Ledger) -> None:
    seed_ledger(ledger)
    before = ledger.state()
    good = BATCH_SIZE + 1_000  # more than one batch of good rows reaches the database before the bad one
    content = csv_bytes([*many_invoices(good), invoice("I-LAST", due_date="2026-02-30")])

    error = ledger.rejected("invoices", content)

    assert error_lines(error) == [
        "invoices.csv: rejected with 1 error; nothing was imported",
        f"invoices.csv:{good + 2}: column 'due_date': '2026-02-30' is not a calendar date",
    ]
    assert ledger.state() == before


def test_a_rule_broken_only_by_the_whole_file_is_found_after_thousands_of_good_rows(ledger: Ledger) -> None:
    seed_ledger(ledger)
    before = ledger.state()
    good = BATCH_SIZE + 1_000
    content = csv_bytes([*many_invoices(good), invoice("I000007")])

    error = ledger.rejected("invoices", content)

    assert has_line(error, f"invoices.csv:{good + 2}: column 'external_id': the same external_id is already on line 8")
    assert ledger.state() == before


def test_a_nul_byte_in_a_value_is_a_row_error_on_both_databases(ledger: Ledger) -> None:
    rejected = ledger.rejected("customers", b"external_id,name\nC1,Acme\x00 Ltd\n")

    assert has_line(rejected, "customers.csv:2: column 'name': contains a NUL byte")
    assert ledger.state()["customers"] == []
