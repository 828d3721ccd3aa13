"""A file that breaks any rule is refused whole: every error names file, line, column and reason,
and the ledger is exactly as it was before."""

from __future__ import annotations

import pytest

from arrears.services.imports import SHOWN_ERRORS
from tests.ledger import BAD_FILES, BadFile, Ledger, csv_bytes, error_lines, has_line, invoice, many_invoices, seed_ledger


@pytest.mark.parametrize("bad", BAD_FILES)
def test_a_file_breaking_a_rule_is_rejected_with_where_and_why_and_nothing_is_written(
    ledger: Ledger, bad: BadFile
) -> None:
    seed_ledger(ledger)
    path = ledger.file("bad.csv", bad.content)
    before = ledger.state()

    with pytest.raises(Exception, match="rejected with") as caught:
        ledger.import_file(bad.kind, path)

    message = str(caught.value)
    assert error_lines(message)[0].startswith("bad.csv: rejected with")
    assert has_line(message, bad.error.format(file="bad.csv")), message
    assert ledger.state() == before


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
    content = csv_bytes([*many_invoices(12_000), invoice("I-LAST", due_date="2026-02-30")])

    error = ledger.rejected("invoices", content)

    assert error_lines(error) == [
        "invoices.csv: rejected with 1 error; nothing was imported",
        "invoices.csv:12002: column 'due_date': '2026-02-30' is not a calendar date",
    ]
    assert ledger.state() == before


def test_a_rule_broken_only_by_the_whole_file_is_found_after_thousands_of_good_rows(ledger: Ledger) -> None:
    seed_ledger(ledger)
    before = ledger.state()
    content = csv_bytes([*many_invoices(12_000), invoice("I000007")])

    error = ledger.rejected("invoices", content)

    assert has_line(error, "invoices.csv:12002: column 'external_id': the same external_id is already on line 8")
    assert ledger.state() == before
