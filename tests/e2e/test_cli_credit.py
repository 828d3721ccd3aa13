"""`arrears credit hold|release` and `arrears report credit` as a user runs them, on both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from arrears.cli.credit import json_line
from arrears.domain.credit import CreditFlag
from arrears.services.credit import CreditLine
from tests.e2e.conftest import Cli
from tests.ledger import AS_OF, Ledger, credit_score, customer, invoice


@pytest.fixture
def book(ledger: Ledger) -> Ledger:
    ledger.load(
        "customers",
        [customer("C1", "Acme Ltd", credit_limit="1000.00"), customer("C2", "Beta GmbH", currency="EUR")],
    )
    ledger.load("invoices", [invoice("I1", "C1", due=AS_OF - timedelta(days=10), amount="1200.00")])
    ledger.load("credit-scores", [credit_score("C1", on=AS_OF - timedelta(days=20), score=30, max_score="100")])
    return ledger


def test_report_credit_json_is_one_document_with_a_customer_a_line(cli: Cli, book: Ledger) -> None:
    result = cli("report", "credit", "--as-of", AS_OF.isoformat(), "--format", "json")

    lines = result.stdout.splitlines()
    assert lines[:3] == ["{", f'  "as_of": "{AS_OF.isoformat()}",', '  "rows": [']
    assert [json.loads(line.strip().rstrip(","))["external_id"] for line in lines[3:-2]] == ["C1", "C2"]
    assert lines[-2:] == ["  ]", "}"]


def test_report_credit_json_of_no_customers_has_no_rows(cli: Cli) -> None:
    assert json.loads(cli("report", "credit", "--format", "json").stdout)["rows"] == []


def test_report_credit_json_lists_every_customer_with_the_contracts_fields(cli: Cli, book: Ledger) -> None:
    result = cli("report", "credit", "--as-of", AS_OF.isoformat(), "--format", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["as_of"] == AS_OF.isoformat()
    acme, beta = document["rows"]
    assert {key: acme[key] for key in ("external_id", "credit_limit", "exposure", "available", "score", "flags")} == {
        "external_id": "C1",
        "credit_limit": "1000.00",
        "exposure": "1200.00",
        "available": "-200.00",
        "score": 30,
        "flags": ["over_limit", "score_below_threshold"],
    }
    assert acme["next_review_date"] == (AS_OF - timedelta(days=20) + timedelta(days=90)).isoformat()
    assert (beta["credit_limit"], beta["available"], beta["score"], beta["flags"]) == (None, None, None, [])


def test_report_credit_flagged_csv_has_one_row_per_flagged_customer(cli: Cli, book: Ledger) -> None:
    result = cli("report", "credit", "--flagged", "--format", "csv", "--as-of", AS_OF.isoformat())

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["external_id"], row["credit_hold"], row["flags"]) for row in rows] == [
        ("C1", "false", "over_limit;score_below_threshold")
    ]


def test_hold_and_release_change_the_report_and_say_when_nothing_changed(cli: Cli, book: Ledger) -> None:
    held = cli("credit", "hold", "C1", "--note", "over limit since May")
    again = cli("credit", "hold", "C1")
    shown = json.loads(cli("report", "credit", "--format", "json").stdout)["rows"][0]
    released = cli("credit", "release", "C1")

    assert (held.exit_code, again.exit_code, released.exit_code) == (0, 0, 0)
    assert held.stdout.strip() == "C1 is on credit hold"
    assert again.stdout.strip() == "C1 is on credit hold (it was already)"
    assert shown["credit_hold"] is True
    assert released.stdout.strip() == "C1 is not on credit hold"
    assert json.loads(cli("report", "credit", "--format", "json").stdout)["rows"][0]["credit_hold"] is False


def test_an_unknown_customer_or_a_bad_date_is_a_clear_error(cli: Cli, book: Ledger) -> None:
    unknown = cli("credit", "hold", "NOPE")
    bad_day = cli("report", "credit", "--as-of", "2026-13-01")

    assert unknown.exit_code == 1 and "no customer with external id 'NOPE'" in unknown.stderr
    assert bad_day.exit_code != 0 and "--as-of" in bad_day.stderr


def test_a_bad_credit_setting_is_named(cli: Cli, book: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARREARS_CREDIT_LIMIT_ALERTS", "80,ninety")

    result = cli("report", "credit")

    assert result.exit_code == 1
    assert "ARREARS_CREDIT_LIMIT_ALERTS" in result.stderr


def test_a_score_entered_by_hand_becomes_the_score_that_counts_and_starts_the_review_period(
    cli: Cli, book: Ledger
) -> None:
    entered = cli("credit", "score", "C1", "620", "--max", "850", "--on", AS_OF.isoformat(), "--source", "Bureau")
    above = cli("credit", "score", "C1", "900", "--max", "850")
    ours = cli("credit", "score", "C1", "50", "--source", "arrears")

    assert entered.exit_code == 0, entered.output
    assert entered.stdout.strip() == f"C1: score 620 of 850 on {AS_OF} (Bureau)"
    assert above.exit_code == 1 and "above max_score 850" in above.stderr
    assert ours.exit_code == 1 and "name the bureau or agency" in ours.stderr
    acme = json.loads(cli("report", "credit", "--as-of", AS_OF.isoformat(), "--format", "json").stdout)["rows"][0]
    assert (acme["score"], acme["max_score"], acme["score_source"]) == (620, 850, "Bureau")
    assert acme["next_review_date"] == (AS_OF + timedelta(days=365)).isoformat()
    assert acme["flags"] == ["over_limit"]


def test_history_lists_the_limit_and_terms_as_each_write_set_them_and_the_scores(cli: Cli, book: Ledger) -> None:
    book.load("customers", [customer("C1", "Acme Ltd", credit_limit="1500.00")])

    document = json.loads(cli("credit", "history", "C1", "--format", "json").stdout)
    table = cli("credit", "history", "C1").stdout

    assert [(t["created"], t["was_credit_limit"], t["credit_limit"]) for t in document["terms"]] == [
        (True, None, "1000.00"),
        (False, "1000.00", "1500.00"),
    ]
    assert [(s["score"], s["max_score"]) for s in document["scores"]] == [(30, 100)]
    assert "1000.00 → 1500.00" in table


def test_a_json_line_is_the_documents_json_character_for_character() -> None:
    everything = CreditLine(
        7, 'C-7 "quoted"', "Ünïcode\\ Ltd\n\t\u2028😀", "JPY", 1_000_000, 1_250_000, -250_000, 612, 850,
        date(2026, 4, 1), "bureau", 71, True, "held", date(2026, 7, 1),
        (CreditFlag.OVER_LIMIT, CreditFlag.SCORE_BELOW_THRESHOLD, CreditFlag.REVIEW_DUE),
    )  # fmt: skip
    nothing = CreditLine(
        8, "C8", "Beta", "KWD", None, -1_005, None, None, None, None, None, None, False, None, None, ()
    )
    usd = everything._replace(currency="USD", available_minor=0, flags=(CreditFlag.REVIEW_DUE,), credit_hold=False)

    encode = json.JSONEncoder(ensure_ascii=False).encode

    for line in (everything, nothing, usd):
        assert json_line(line) == encode(line.document())
