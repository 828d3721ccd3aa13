"""Dates Arrears cannot compute with (before 1900-01-01, after 2999-12-31), wherever a date comes in:
a command's option (exit 1 and a message, no traceback), a page's date field (a 400 page that changes
nothing), the portal's promise form, the API (a 422 JSON error) and a CSV row (the file rejected with
its line). The first and last supported days work everywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from arrears.domain.dates import FIRST_DAY, LAST_DAY
from arrears.services import portal as portal_service
from tests.api import Api, api_fixture, assert_error  # noqa: F401
from tests.e2e.conftest import Cli
from tests.e2e.test_web_robustness import ROUTES, check, fingerprint, owner, send, url
from tests.ledger import Ledger, customer, invoice
from tests.web import Site, open_site

OUTSIDE = ["9999-12-31", "0001-01-01"]
SUPPORTED = "outside the dates Arrears supports"
# A refused date is refused before any database is read, and a page's answer does not depend on the
# backend: one is enough for those tests (the ledger at the edges runs on both).
on_sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def date_fields(fields: dict[str, str | list[str]]) -> list[str]:
    return [key for key, value in fields.items() if isinstance(value, str) and DAY.match(value)]


COMMANDS = [
    ["cycle", "--as-of"],
    ["cycle", "--dry-run", "--as-of"],
    ["report", "aging", "--as-of"],
    ["report", "credit", "--as-of"],
    ["report", "dso", "--from"],
    ["report", "promises", "--to"],
    ["promises", "check", "--as-of"],
    ["credit", "score", "C1", "600", "--on"],
]


@on_sqlite_only
def test_a_command_refuses_a_date_it_cannot_compute_with(cli: Cli, ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme")])
    before = ledger.state()

    for command in COMMANDS:
        for day in OUTSIDE:
            result = cli(*command, day)

            assert result.exit_code == 1, (command, day, result.output)
            assert SUPPORTED in result.output and "Traceback" not in result.output
            assert "1900-01-01 to 2999-12-31" in result.output
    assert ledger.state() == before


def test_the_first_and_last_supported_days_work_with_a_ledger(cli: Cli, ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme")])
    ledger.load(
        "invoices",
        [
            invoice("OLD", "C1", due=FIRST_DAY, issued=FIRST_DAY),
            invoice("NEW", "C1", due=LAST_DAY, issued=LAST_DAY),
        ],
    )

    for day in (FIRST_DAY.isoformat(), LAST_DAY.isoformat()):
        for command in (["cycle", "--as-of", day], ["report", "aging", "--as-of", day, "--format", "json"]):
            result = cli(*command)

            assert result.exit_code == 0, (command, result.output)
        assert cli("report", "credit", "--as-of", day).exit_code == 0


def test_a_csv_row_with_a_date_outside_the_range_rejects_the_file_with_its_line(cli: Cli, ledger: Ledger) -> None:
    ledger.load("customers", [customer("C1", "Acme")])
    ledger.file("invoices.csv", [invoice("I1", "C1"), invoice("I2", "C1", due=date(2026, 6, 1), issued=date(1, 1, 1))])

    result = cli("import", "invoices", "invoices.csv")

    assert result.exit_code == 1
    assert "invoices.csv:3:" in result.output and "issue_date" in result.output and SUPPORTED in result.output
    assert ledger.exported_rows("invoices") == []


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    opened = open_site(db_url, tmp_path)
    opened.client().get("/signin")
    yield opened
    opened.arrears.close()


@on_sqlite_only
def test_every_date_field_of_every_page_refuses_a_date_outside_the_range_with_a_400_page(site: Site) -> None:
    client, csrf = owner(site)
    seen = 0
    for (method, template), make in ROUTES.items():
        sample = make(site)
        for key in date_fields(sample.fields):
            for day in OUTSIDE:
                before = fingerprint(site) if method == "POST" else None
                what = f"{method} {template} {key}={day}"

                answer = send(client, method, url(template, sample.params), sample, csrf, {**sample.fields, key: day})

                check(site, what, answer, before)
                assert answer.status_code == 400, f"{what}: {answer.status_code}"
                assert SUPPORTED in answer.text, what
                seen += 1
    assert seen >= 2 * 8, "the samples of ROUTES hold fewer date fields than expected"


@on_sqlite_only
def test_the_workflow_preview_of_the_first_and_last_supported_days_is_a_page(site: Site) -> None:
    client = site.signed_in("olivia")

    first = client.get("/workflows/preview", params={"as_of": FIRST_DAY.isoformat()})
    last = client.get("/workflows/preview", params={"as_of": LAST_DAY.isoformat()})

    assert first.status_code == 200
    assert last.status_code == 400  # the preview's own limit: it replays the days up to it
    assert "days" in last.text and SUPPORTED not in last.text


@on_sqlite_only
def test_the_portal_refuses_a_promise_dated_outside_the_range(site: Site, tmp_path: Path) -> None:
    Ledger(site.arrears, tmp_path).load("invoices", [invoice("I9", "C1", due=date(2026, 6, 10), amount="30.00")])
    issued = portal_service.issue_link(site.arrears.uow(), site.people["olivia"], "C1", days=30, base_url="x")
    token = issued.url.rsplit("/", 1)[1]
    client = site.client()
    page = client.get(f"/portal/{token}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    before = fingerprint(site)

    answer = client.post(
        f"/portal/{token}/promises",
        data={"csrf": csrf.group(1), "date": "9999-12-31", "amount": "30.00", "invoice_external_ids": "I9"},
    )

    assert 400 <= answer.status_code < 500
    assert SUPPORTED in answer.text
    assert fingerprint(site) == before


@on_sqlite_only
def test_the_api_refuses_a_date_outside_the_range_with_a_422(api: Api) -> None:
    api.load("customers", [customer("C1", "Acme")])

    body = {key: value for key, value in invoice("I1", "C1").items() if key != "external_id"}
    as_invoice = api.put("/invoices/I1", body | {"due_date": "9999-12-31"})
    as_task = api.post("/tasks", {"customer_external_id": "C1", "type": "call", "due_date": "0001-01-01"})
    at_the_edge = api.post("/tasks", {"customer_external_id": "C1", "type": "call", "due_date": "2999-12-31"})

    assert_error(as_invoice, 422, "invalid_input", "due_date")
    assert_error(as_task, 422, "invalid_input", "due_date")
    assert at_the_edge.status_code == 201, at_the_edge.text


@on_sqlite_only
def test_the_month_pack_refuses_a_month_outside_the_range(site: Site) -> None:
    client = site.signed_in("olivia")

    for month in ("0001-01", "1899-12"):
        answer = client.get("/reports/pack.pdf", params={"month": month})

        assert answer.status_code == 400, (month, answer.status_code)
        assert SUPPORTED in answer.text
