"""Report CSVs and the lists printed for people (tasks, disputes, API tokens) open safely in a spreadsheet;
the ledger export stays re-importable unless asked."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from arrears.services import tasks, users
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, customer, invoice, payment
from tests.web import open_site

HOSTILE = {"F1": '=HYPERLINK("http://evil.test","x")', "F2": "@SUM(1+1)", "F3": "+cmd", "F4": "-2+3"}

# What a CSV writes is the same on either backend: one is enough.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def hostile_ledger(ledger: Ledger) -> Ledger:
    ledger.load("customers", [customer(ref, name) for ref, name in HOSTILE.items()])
    ledger.load("customers", [customer("F1", HOSTILE["F1"], credit_limit="10.00")])
    ledger.load("invoices", [invoice(f"I-{ref}", ref, amount="12.50") for ref in HOSTILE])
    ledger.load("payments", [payment("P1", "F1", invoice=None, amount="20.00")])  # unapplied: shown apart
    return ledger


def test_the_aging_and_credit_reports_quote_names_that_would_run_as_formulas(cli: Cli, hostile_ledger: Ledger) -> None:
    aging = rows(cli("report", "aging", "--format", "csv").stdout)
    credit = rows(cli("report", "credit", "--format", "csv").stdout)

    for report in (aging, credit):
        names = {row["external_id"]: row["name"] for row in report if row["external_id"]}
        assert names == {ref: "'" + name for ref, name in HOSTILE.items()}
    assert {row["total"] for row in aging if row["external_id"]} == {"12.50"}
    assert [row["unapplied_cash"] for row in aging if row["external_id"] == "F1"] == ["20.00"]
    assert [row["available"] for row in credit if row["external_id"] == "F1"] == ["-2.50"]  # over: a number
    assert [row["exposure"] for row in credit] == ["12.50"] * 4


def test_the_ledger_export_is_re_importable_by_default_and_safe_when_asked(cli: Cli, hostile_ledger: Ledger) -> None:
    plain = cli("export", "customers")
    safe = cli("export", "customers", "--spreadsheet-safe")
    refused = cli("export", "customers", "--format", "json", "--spreadsheet-safe")

    assert {row["name"] for row in rows(plain.stdout)} == set(HOSTILE.values())
    assert {row["name"] for row in rows(safe.stdout)} == {"'" + name for name in HOSTILE.values()}
    assert refused.exit_code == 2
    (hostile_ledger.tmp_path / "again.csv").write_text(plain.stdout, encoding="utf-8")
    assert '"unchanged": 4' in cli("import", "customers", "again.csv", "--format", "json").stdout


def test_a_report_downloaded_from_the_reports_page_is_written_for_spreadsheets_too(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No report holds a customer's text today (user names cannot begin with = + - @): a row that
    did, from a report to come, would still be quoted, its negative figure left a number."""
    monkeypatch.setattr(
        "arrears.web.routes.reports.reports.report_table",
        lambda *args: (["who", "figure"], [[HOSTILE["F1"], "-12.50"], ["Beta", None]]),
    )
    site = open_site(db_url, tmp_path)
    try:
        answer = site.signed_in("olivia").get("/reports/dso.csv")
    finally:
        site.arrears.close()

    assert answer.status_code == 200
    assert list(csv.reader(io.StringIO(answer.text))) == [
        ["who", "figure"],
        ["'" + HOSTILE["F1"], "-12.50"],
        ["Beta", ""],
    ]


# Every start a spreadsheet reads as a formula or a command: = + - @, a tab, a carriage return.
FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(1)", "\t=1+1", "\r=1+1"]


def quoted(texts: list[str]) -> list[str]:
    """What a spreadsheet-safe cell holds for each text, sorted."""
    return sorted("'" + text for text in texts)


def test_the_task_list_csv_quotes_every_cell_that_would_run_as_a_formula(cli: Cli, ledger: Ledger) -> None:
    owner = users.add_user(ledger.arrears.uow(), ledger.arrears.hasher, "maria", "owner", email=None, password=None)
    ledger.load("customers", [customer("C1", "=HYPERLINK(1)", collector="maria", phone="+1 415 555 0100")])
    for description in FORMULAS:
        tasks.create_task(ledger.arrears.uow(), owner, tasks.NewTask("C1", "call", description))

    listed = rows(cli("tasks", "--all", "--format", "csv").stdout)

    # A task's description is stripped of surrounding blanks when written: the tab and CR are gone.
    assert sorted(row["description"] for row in listed) == quoted(["=1+1", "=1+1", "=1+1", "+1+1", "-1+1", "@SUM(1)"])
    assert {row["customer_name"] for row in listed} == {"'=HYPERLINK(1)"}
    assert {row["phones"] for row in listed} == {"'+1 415 555 0100"}
    assert {row["overdue_amount"] for row in listed} == {"0.00"}  # numbers stay numbers


def test_the_disputes_csv_quotes_every_note_that_would_run_as_a_formula(cli: Cli, ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "@Acme")])
    ledger.load("invoices", [invoice(f"I{n}", "C1", amount="12.50") for n in range(len(FORMULAS))])
    for n, note in enumerate(FORMULAS):
        assert cli("disputes", "open", f"I{n}", "--reason", "pricing", "--note", note).exit_code == 0

    listed = rows(cli("disputes", "list", "--format", "csv").stdout)

    assert sorted(row["note"] for row in listed) == quoted(FORMULAS)  # the CR's row quoted whole, still one row
    assert {row["customer_name"] for row in listed} == {"'@Acme"}
    assert {row["amount"] for row in listed} == {"12.50"}


def test_the_api_token_list_csv_quotes_a_label_that_would_run_as_a_formula(cli: Cli, ledger: Ledger) -> None:
    users.add_user(ledger.arrears.uow(), ledger.arrears.hasher, "robot", "manager", email=None, password=None)
    for label in FORMULAS:
        assert cli("users", "token", "robot", "--label", label).exit_code == 0

    listed = rows(cli("users", "tokens", "--format", "csv").stdout)

    # A token's label is stripped of surrounding blanks when issued: the tab and CR are gone.
    assert sorted(row["label"] for row in listed) == quoted(["=1+1", "=1+1", "=1+1", "+1+1", "-1+1", "@SUM(1)"])
