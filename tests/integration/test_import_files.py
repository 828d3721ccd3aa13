"""Files as spreadsheets and ERPs really write them: byte-order marks, CRLF, quoted line breaks, blank
rows; line numbers in errors are the lines a text editor shows."""

from __future__ import annotations

from tests.ledger import Ledger, csv_bytes, customer, error_lines, has_line, invoice


def _acme(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme Ltd")])


def test_a_spreadsheet_file_with_byte_order_mark_and_crlf_is_read(ledger: Ledger) -> None:
    rows = csv_bytes([customer("C1", "Acme Ltd"), customer("C2", "Globex")])
    content = b"\xef\xbb\xbf" + rows.replace(b"\n", b"\r\n")

    summary = ledger.load("customers", content)

    assert summary.counts.created == 2
    assert [row["name"] for row in ledger.exported_rows("customers")] == ["Acme Ltd", "Globex"]


def test_an_error_after_a_quoted_line_break_names_the_line_an_editor_shows(ledger: Ledger) -> None:
    content = csv_bytes([customer("C1", "Acme\nLtd"), customer("C2", "Globex", on_hold="maybe")])

    error = ledger.rejected("customers", content)

    assert error_lines(error)[1:] == ["customers.csv:4: column 'on_hold': 'maybe' is not true or false"]


def test_blank_lines_and_rows_of_empty_fields_are_skipped(ledger: Ledger) -> None:
    content = b"external_id,name\nC1,Acme Ltd\n\n,\nC2,Globex\n"

    summary = ledger.load("customers", content)

    assert (summary.rows, summary.counts.created) == (2, 2)


def test_an_unclosed_quote_is_reported_on_the_line_where_the_row_starts(ledger: Ledger) -> None:
    rows = [customer(f"C{n}", f"Customer {n}") for n in range(1, 6)]
    content = csv_bytes(rows).replace(b"C3,Customer 3", b'C3,"Customer 3')

    error = ledger.rejected("customers", content)

    assert has_line(error, "customers.csv:4: is not valid CSV")


def test_an_amount_too_large_to_store_is_a_reason_not_a_crash(ledger: Ledger) -> None:
    _acme(ledger)
    before = ledger.state()

    error = ledger.rejected("invoices", [invoice("I1", amount="1" + "0" * 20)])

    assert has_line(error, "invoices.csv:2: column 'amount': 100000000000000000000 is too large")
    assert ledger.state() == before


def test_a_number_too_large_to_store_is_a_reason_not_a_crash(ledger: Ledger) -> None:
    error = ledger.rejected("customers", [customer("C1", payment_terms_days="99999999999")])

    assert has_line(error, "customers.csv:2: column 'payment_terms_days': '99999999999' is not a whole number")
