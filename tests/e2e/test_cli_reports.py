"""`arrears report dso|cei|promises|disputes|productivity`: the worked example of docs/reports.md
through the CLI, the three formats, the trend by month, and bad periods."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from tests.e2e.conftest import Cli
from tests.ledger import Ledger, credit_note, customer, invoice, payment

JUNE = ("--from", "2026-06-01", "--to", "2026-06-30")


def _worked_example(ledger: Ledger) -> None:
    """docs/reports.md's example: June 2026, one customer in USD."""
    ledger.load("customers", [customer("C1", "Acme Ltd")])
    ledger.load(
        "invoices",
        [
            invoice("I1", "C1", issued=date(2026, 5, 1), due=date(2026, 5, 31), amount="1000.00"),
            invoice("I2", "C1", issued=date(2026, 6, 5), due=date(2026, 7, 5), amount="2000.00"),
            invoice("I3", "C1", issued=date(2026, 6, 15), due=date(2026, 6, 25), amount="1000.00"),
            invoice("I4", "C1", issued=date(2026, 6, 20), due=date(2026, 7, 20), amount="5000.00", status="void"),
        ],
    )
    ledger.load(
        "payments",
        [
            payment("P1", "C1", invoice="I1", on=date(2026, 6, 10), amount="400.00"),
            payment("P2", "C1", invoice="I1", on=date(2026, 7, 5), amount="600.00"),
        ],
    )
    ledger.load("credit-notes", [credit_note("CN1", "C1", invoice="I2", on=date(2026, 6, 20), amount="500.00")])


def test_dso_of_the_worked_example(cli: Cli, ledger: Ledger) -> None:
    _worked_example(ledger)

    result = cli("report", "dso", *JUNE, "--format", "json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "currency": "USD",
        "from": "2026-06-01",
        "to": "2026-06-30",
        "dso": 31.0,  # 3,100.00 owed on June 30 / 3,000.00 sold in June × 30 days
        "best_possible_dso": 15.0,  # the 1,500.00 of I2 not yet due / 3,000.00 × 30
        "add": 16.0,
        "sales": "3000.00",
        "ar": "3100.00",
        "current_ar": "1500.00",
    }


def test_cei_of_the_worked_example(cli: Cli, ledger: Ledger) -> None:
    _worked_example(ledger)

    result = cli("report", "cei", *JUNE, "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # (1,000.00 + 3,000.00 − 3,100.00) / (1,000.00 + 3,000.00 − 1,500.00) × 100
    assert (document["cei"], document["opening_ar"], document["closing_ar"]) == (36.0, "1000.00", "3100.00")


def test_several_currencies_give_a_list_and_csv_a_row_each(cli: Cli, ledger: Ledger) -> None:
    _worked_example(ledger)
    ledger.load("customers", [customer("J1", currency="JPY")])
    ledger.load("invoices", [invoice("IJ", "J1", issued=date(2026, 6, 1), due=date(2026, 6, 30), amount="9000")])

    documents = json.loads(cli("report", "dso", *JUNE, "--format", "json").stdout)
    rows = list(csv.DictReader(io.StringIO(cli("report", "dso", *JUNE, "--format", "csv").stdout)))

    assert [d["currency"] for d in documents] == ["JPY", "USD"]
    assert documents[0]["dso"] == 30.0 and documents[0]["ar"] == "9000"
    assert [(r["currency"], r["dso"], r["ar"]) for r in rows] == [("JPY", "30.0", "9000"), ("USD", "31.0", "3100.00")]


def test_the_trend_gives_one_line_a_month_and_null_for_a_month_without_sales(cli: Cli, ledger: Ledger) -> None:
    _worked_example(ledger)

    result = cli("report", "cei", "--by-month", "--from", "2026-05-01", "--to", "2026-07-31", "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    months = document["months"]
    assert [(m["from"], m["to"]) for m in months] == [
        ("2026-05-01", "2026-05-31"),
        ("2026-06-01", "2026-06-30"),
        ("2026-07-01", "2026-07-31"),
    ]
    assert [m["dso"] for m in months] == [31.0, 31.0, None]  # May: 1,000.00 owed of 1,000.00 sold × 31
    assert months[1]["cei"] == 36.0
    # July: 600.00 paid on I1; nothing sold: (3,100.00 − 2,500.00) / (3,100.00 − 0) × 100
    assert months[2]["cei"] == 19.4


def test_the_table_says_when_there_is_nothing_to_report(cli: Cli, ledger: Ledger) -> None:
    for kind in ("promises", "disputes"):
        result = cli("report", kind, *JUNE)
        assert result.exit_code == 0, result.output
        assert "No " in result.stdout
    result = cli("report", "dso", *JUNE)
    assert result.exit_code == 0 and "–" in result.stdout  # no sales: no DSO, not zero


def test_productivity_csv_has_a_column_per_call_outcome_and_currency(cli: Cli, ledger: Ledger) -> None:
    ledger.add_user("alex")
    _worked_example(ledger)
    ledger.load("customers", [customer("C1", "Acme Ltd", collector="alex")])

    rows = list(csv.DictReader(io.StringIO(cli("report", "productivity", *JUNE, "--format", "csv").stdout)))

    alex = next(r for r in rows if r["user"] == "alex")
    assert alex["collected_USD"] == "400.00"  # P1; P2 is in July
    assert {"calls_answered", "calls_not_answered", "calls_left_voicemail", "calls_skipped"} <= set(alex)


def test_a_period_that_ends_before_it_starts_is_refused(cli: Cli) -> None:
    result = cli("report", "dso", "--from", "2026-06-30", "--to", "2026-06-01")

    assert result.exit_code == 1
    assert "starts (2026-06-30) after it ends (2026-06-01)" in result.stderr


def test_a_date_that_is_not_one_is_bad_usage(cli: Cli) -> None:
    result = cli("report", "promises", "--from", "June")

    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.stderr


def test_aging_takes_the_period_options_of_the_other_reports(cli: Cli, ledger: Ledger) -> None:
    _worked_example(ledger)

    by_to = json.loads(cli("report", "aging", "--from", "2026-06-01", "--to", "2026-06-30", "--format", "json").stdout)
    by_as_of = json.loads(cli("report", "aging", "--as-of", "2026-06-30", "--format", "json").stdout)
    backwards = cli("report", "aging", "--from", "2026-07-01", "--to", "2026-06-30")

    assert by_to == by_as_of
    assert by_to["total"]["total"] == "3100.00"  # AR(June 30) of the worked example, as `dso` says
    assert backwards.exit_code == 1 and "after it ends" in backwards.stderr
