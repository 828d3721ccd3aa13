"""`arrears portal link|revoke` as a user runs them, on both databases: the link printed opens the
customer's portal for as many days as asked, a revoke closes every link issued so far, and a
customer that does not exist or a number of days out of range is a clear error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from arrears.bootstrap import Arrears
from arrears.domain.portal import token_hash
from arrears.services import portal
from arrears.services.portal import LinkInvalid
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, customer

BASE = "https://ar.northwind.example"


@pytest.fixture
def customers(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    monkeypatch.setenv("ARREARS_BASE_URL", BASE)
    ledger.load("customers", [customer("C1", "Acme Ltd"), customer("C2", "Globex")])
    return ledger


def _token(url: str) -> str:
    assert url.startswith(f"{BASE}/portal/"), url
    return url.removeprefix(f"{BASE}/portal/")


def _expires_at(arrears: Arrears, token: str) -> datetime:
    with arrears.uow() as uow:
        link = uow.portal.link(token_hash(token))
    assert link is not None
    return link.expires_at


def test_link_prints_one_url_that_opens_the_customers_portal(cli: Cli, customers: Ledger, arrears: Arrears) -> None:
    result = cli("portal", "link", "C1")

    assert result.exit_code == 0, result.output
    [url] = result.stdout.splitlines()
    assert portal.check(arrears.uow(), _token(url)).customer.external_id == "C1"
    assert "valid until" in result.stderr


def test_link_is_valid_for_the_days_asked_else_for_arrears_portal_link_days(
    cli: Cli, customers: Ledger, arrears: Arrears, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARREARS_PORTAL_LINK_DAYS", "12")
    before = datetime.now(UTC)

    asked = _token(cli("portal", "link", "C1", "--days", "3").stdout.strip())
    default = _token(cli("portal", "link", "C1").stdout.strip())

    after = datetime.now(UTC)
    assert before + timedelta(days=3) <= _expires_at(arrears, asked) <= after + timedelta(days=3)
    assert before + timedelta(days=12) <= _expires_at(arrears, default) <= after + timedelta(days=12)


def test_revoke_closes_every_link_issued_so_far_and_says_how_many(
    cli: Cli, customers: Ledger, arrears: Arrears
) -> None:
    first = _token(cli("portal", "link", "C1").stdout.strip())
    second = _token(cli("portal", "link", "C1", "--days", "1").stdout.strip())
    other = _token(cli("portal", "link", "C2").stdout.strip())

    result = cli("portal", "revoke", "C1")

    assert (result.exit_code, result.stdout) == (0, "revoked 2 portal links of C1\n")
    for token in (first, second):
        with pytest.raises(LinkInvalid):
            portal.check(arrears.uow(), token)
    assert portal.check(arrears.uow(), other).customer.external_id == "C2"
    assert cli("portal", "revoke", "C1").stdout == "revoked 0 portal links of C1\n"


def test_revoking_leaves_an_audit_line_and_a_new_link_opens_again(
    cli: Cli, customers: Ledger, arrears: Arrears
) -> None:
    cli("portal", "link", "C1")
    cli("portal", "revoke", "C1")

    fresh = _token(cli("portal", "link", "C1").stdout.strip())

    assert portal.check(arrears.uow(), fresh).customer.external_id == "C1"
    acme = customer_id(arrears, "C1")
    with arrears.uow() as uow:
        entries = uow.audit.timeline(acme, 50, 0).items
    assert [(e.entity, e.action, e.actor_kind) for e in entries if e.action == "revoked"] == [
        ("portal_link", "revoked", "system")
    ]


@pytest.mark.parametrize("command", [["link"], ["revoke"]])
def test_an_unknown_customer_is_a_clear_error(cli: Cli, customers: Ledger, command: list[str]) -> None:
    result = cli("portal", *command, "NOPE")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "NOPE" in result.stderr


@pytest.mark.parametrize("days", ["0", "-1", "367"])
def test_a_number_of_days_out_of_range_is_refused_and_issues_nothing(
    cli: Cli, customers: Ledger, arrears: Arrears, days: str
) -> None:
    result = cli("portal", "link", "C1", "--days", days)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert "valid 1 to 366 days" in result.stderr
    acme = customer_id(arrears, "C1")
    with arrears.uow() as uow:
        assert uow.portal.active_links(acme, datetime.now(UTC)) == 0


def customer_id(arrears: Arrears, external_id: str) -> int:
    with arrears.uow() as uow:
        found = uow.ledger.customer(external_id)
    assert found is not None
    return found.id
