"""`arrears report aging` in its three formats: a table per currency, CSV, and the JSON of docs/cli.md
(an object for one currency, a list when there are several)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from tests.e2e.conftest import Cli
from tests.ledger import AS_OF, Ledger, customer, invoice, payment

BUCKETS = ["current", "1-30", "31-60", "61-90", "91+"]


def _usd_ledger(ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme Ltd"), customer("C2", "Blue Sky Inc")])
    ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=AS_OF, amount="100.00"),
            invoice("I2", "C1", due=AS_OF - timedelta(days=31), amount="50.00"),
            invoice("I3", "C2", due=AS_OF - timedelta(days=91), amount="20.00"),
        ],
    )
    ledger.load("payments", [payment("P1", "C2", invoice=None, amount="5.00")])


def test_json_for_one_currency_is_one_object(cli: Cli, ledger: Ledger) -> None:
    _usd_ledger(ledger)

    result = cli("report", "aging", "--as-of", "2026-06-30", "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["as_of"], document["currency"], document["buckets"]) == ("2026-06-30", "USD", BUCKETS)
    acme, blue_sky = document["customers"]
    assert {key: acme[key] for key in ("external_id", "name", *BUCKETS, "total")} == {
        "external_id": "C1",
        "name": "Acme Ltd",
        "current": "100.00",
        "1-30": "0.00",
        "31-60": "50.00",
        "61-90": "0.00",
        "91+": "0.00",
        "total": "150.00",
    }
    assert (blue_sky["91+"], blue_sky["total"], blue_sky["unapplied_cash"]) == ("20.00", "20.00", "5.00")
    assert (document["total"]["total"], document["total"]["unapplied_cash"]) == ("170.00", "5.00")


def test_json_for_several_currencies_is_a_list_of_one_object_per_currency(cli: Cli, ledger: Ledger) -> None:
    ledger.load("customers", [customer("U1", currency="USD"), customer("J1", currency="JPY")])
    ledger.load("invoices", [invoice("IU", "U1", amount="10.00"), invoice("IJ", "J1", amount="1000")])

    result = cli("report", "aging", "--as-of", "2026-06-30", "--format", "json")

    assert result.exit_code == 0, result.output
    documents = json.loads(result.stdout)
    assert [(d["currency"], d["total"]["total"]) for d in documents] == [("JPY", "1000"), ("USD", "10.00")]


def test_json_with_nothing_outstanding_is_one_empty_report(cli: Cli) -> None:
    result = cli("report", "aging", "--as-of", "2026-06-30", "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["customers"], document["total"]["total"]) == ([], "0.00")


def test_as_of_an_earlier_date_ages_from_that_date(cli: Cli, ledger: Ledger) -> None:
    _usd_ledger(ledger)

    result = cli("report", "aging", "--as-of", "2026-06-01", "--format", "json")

    document = json.loads(result.stdout)
    assert [(c["external_id"], c["current"], c["1-30"], c["61-90"]) for c in document["customers"]] == [
        ("C1", "100.00", "50.00", "0.00"),
        ("C2", "0.00", "0.00", "20.00"),
    ]


def test_csv_has_a_row_per_customer_and_a_total_row_per_currency(cli: Cli, ledger: Ledger) -> None:
    _usd_ledger(ledger)

    result = cli("report", "aging", "--as-of", "2026-06-30", "--format", "csv")

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows == [
        ["currency", "external_id", "name", *BUCKETS, "total", "unapplied_cash", "unapplied_credit"],
        ["USD", "C1", "Acme Ltd", "100.00", "0.00", "50.00", "0.00", "0.00", "150.00", "0.00", "0.00"],
        ["USD", "C2", "Blue Sky Inc", "0.00", "0.00", "0.00", "0.00", "20.00", "20.00", "5.00", "0.00"],
        ["USD", "", "TOTAL", "100.00", "0.00", "50.00", "0.00", "20.00", "170.00", "5.00", "0.00"],
    ]


def test_the_table_shows_each_customer_and_the_total(cli: Cli, ledger: Ledger) -> None:
    _usd_ledger(ledger)

    result = cli("report", "aging", "--as-of", "2026-06-30")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "Aging as of 2026-06-30 - USD"
    assert _cells(lines, "Acme Ltd (C1)") == ["100.00", "0.00", "50.00", "0.00", "0.00", "150.00", "0.00", "0.00"]
    assert _cells(lines, "Blue Sky Inc (C2)") == ["0.00", "0.00", "0.00", "0.00", "20.00", "20.00", "5.00", "0.00"]
    assert _cells(lines, "TOTAL") == ["100.00", "0.00", "50.00", "0.00", "20.00", "170.00", "5.00", "0.00"]


def _cells(lines: list[str], first: str) -> list[str]:
    """The amounts of the table row whose first cell is `first`."""
    cells = next(cells for line in lines if (cells := [c.strip() for c in line.strip("│ ").split("│")])[0] == first)
    return cells[1:]


def test_the_table_says_so_when_nothing_is_outstanding(cli: Cli) -> None:
    result = cli("report", "aging", "--as-of", "2026-06-30")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Nothing outstanding as of 2026-06-30.")
