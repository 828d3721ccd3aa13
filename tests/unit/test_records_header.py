"""The header row of an import file: the contract's columns per kind, in any order."""

from __future__ import annotations

import pytest

from arrears.domain.records import COLUMNS, KINDS, PARSERS, FieldError, check_header


def test_every_kind_has_its_columns_and_its_parser() -> None:
    kinds = (set(COLUMNS), set(PARSERS))

    assert kinds == (set(KINDS), set(KINDS))
    assert KINDS == ("customers", "contacts", "invoices", "payments", "credit-notes", "credit-scores")


@pytest.mark.parametrize(
    ("kind", "required"),
    [
        ("customers", ("external_id", "name")),
        ("contacts", ("customer_external_id", "name")),
        ("invoices", ("external_id", "customer_external_id", "issue_date", "due_date", "amount")),
        ("payments", ("external_id", "customer_external_id", "date", "amount")),
        ("credit-notes", ("external_id", "customer_external_id", "date", "amount")),
        ("credit-scores", ("customer_external_id", "date", "score")),
    ],
)
def test_the_required_columns_are_those_of_the_contract(kind: str, required: tuple[str, ...]) -> None:
    assert COLUMNS[kind][0] == required


def test_the_required_columns_in_any_order_make_a_good_header() -> None:
    header = ["amount", "due_date", "issue_date", "customer_external_id", "external_id"]

    errors = check_header("invoices", header, ignore_unknown=False)

    assert errors == []


def test_every_column_of_a_kind_makes_a_good_header() -> None:
    required, optional = COLUMNS["customers"]

    errors = check_header("customers", [*optional, *required], ignore_unknown=False)

    assert errors == []


def test_a_missing_required_column_is_reported() -> None:
    header = ["external_id", "customer_external_id", "date"]

    errors = check_header("payments", header, ignore_unknown=False)

    assert errors == [FieldError("amount", "is a required column and is missing from the header")]


def test_a_column_given_twice_is_reported() -> None:
    header = ["external_id", "name", "email", "email"]

    errors = check_header("customers", header, ignore_unknown=False)

    assert errors == [FieldError("email", "appears twice in the header")]


def test_an_unknown_column_is_reported_listing_the_known_ones() -> None:
    header = ["customer_external_id", "date", "score", "bureau"]

    errors = check_header("credit-scores", header, ignore_unknown=False)

    assert errors == [
        FieldError(
            "bureau",
            "is not a column of credit-scores (known: customer_external_id, date, score, source, rating, max_score; "
            "or ignore the columns Arrears does not know: --ignore-unknown on the command line, the box “Ignore "
            "columns Arrears does not know” on the import page)",
        )
    ]
    assert check_header("credit-scores", header, ignore_unknown=False, hint=False)[0].reason.endswith("max_score)")


def test_unknown_columns_may_be_ignored() -> None:
    header = ["customer_external_id", "name", "department", "notes"]

    errors = check_header("contacts", header, ignore_unknown=True)

    assert errors == []


def test_a_column_given_twice_is_reported_even_when_unknown_ones_are_ignored() -> None:
    header = ["customer_external_id", "name", "notes", "notes"]

    errors = check_header("contacts", header, ignore_unknown=True)

    assert errors == [FieldError("notes", "appears twice in the header")]


def test_column_names_are_exact() -> None:
    header = ["External_ID", "name"]

    errors = check_header("customers", header, ignore_unknown=True)

    assert errors == [FieldError("external_id", "is a required column and is missing from the header")]


def test_every_problem_of_a_header_is_reported_at_once() -> None:
    header = ["external_id", "external_id", "amont", "customer_external_id", "date"]

    errors = check_header("credit-notes", header, ignore_unknown=False)

    assert [(e.column, e.reason.split(" (")[0]) for e in errors] == [
        ("external_id", "appears twice in the header"),
        ("amont", "is not a column of credit-notes"),
        ("amount", "is a required column and is missing from the header"),
    ]
