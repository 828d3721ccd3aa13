"""The customer portal over fakes (services/portal.py, domain/portal.py): links issued, checked,
expired and revoked; what a link lets the customer see and do, and nothing of another customer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.audit import ActorKind
from arrears.domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from arrears.domain.portal import (
    Owed,
    allocate_oldest_first,
    check_link_days,
    looks_like_token,
    new_token,
    token_hash,
)
from arrears.domain.tasks import TaskSource, TaskType
from arrears.services import portal
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, NOW, PROPERTY, TODAY

BASE = "https://ar.example.com/"


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def token_of(url: str) -> str:
    assert url.startswith("https://ar.example.com/portal/")
    return url.rsplit("/", 1)[1]


def link(uow: FakeUnitOfWork, customer: str = "C1", days: int = 30) -> str:
    return token_of(portal.issue_link(uow, MARIA, customer, days=days, base_url=BASE).url)


# -- tokens ------------------------------------------------------------------------------------------


def test_a_token_is_43_url_safe_characters_and_only_its_sha256_is_kept() -> None:
    token = new_token()

    assert looks_like_token(token)
    assert len(token_hash(token)) == 64 and token not in token_hash(token)
    assert token_hash(token) == token_hash(token) != token_hash(new_token())


@pytest.mark.parametrize("text", ["", "short", "a" * 42, "a" * 44, "a" * 42 + "/", "a" * 42 + "\x00", "é" * 43])
def test_anything_but_a_tokens_shape_is_refused_before_any_lookup(text: str) -> None:
    assert not looks_like_token(text)


@pytest.mark.parametrize("days", [0, -1, 367])
def test_a_link_is_valid_one_day_to_a_year(days: int) -> None:
    with pytest.raises(InvalidValue, match="valid 1 to 366 days"):
        check_link_days(days)


# -- allocation ---------------------------------------------------------------------------------------


def test_a_payment_goes_to_the_oldest_due_first_each_up_to_what_it_owes_and_the_rest_stays_on_account() -> None:
    owed = [
        Owed("I2", date(2026, 5, 15), 250_00),
        Owed("I1", date(2026, 5, 1), 100_00),
        Owed("I3", date(2026, 6, 30), 80_00),
    ]

    assert allocate_oldest_first(300_00, owed).parts == (("I1", 100_00), ("I2", 200_00))
    assert allocate_oldest_first(300_00, owed).unapplied_minor == 0
    assert allocate_oldest_first(500_00, owed).parts == (("I1", 100_00), ("I2", 250_00), ("I3", 80_00))
    assert allocate_oldest_first(500_00, owed).unapplied_minor == 70_00


def test_invoices_due_the_same_day_take_their_turn_by_external_id_and_paid_ones_get_nothing() -> None:
    day = date(2026, 5, 1)
    owed = [Owed("B", day, 10_00), Owed("A", day, 10_00), Owed("Z", date(2026, 1, 1), 0)]

    assert allocate_oldest_first(15_00, owed).parts == (("A", 10_00), ("B", 5_00))


@PROPERTY
@given(
    amount=st.integers(0, 10**9),
    owed=st.lists(st.tuples(st.dates(), st.integers(0, 10**8)), max_size=8),
)
def test_an_allocation_never_loses_or_makes_money_nor_pays_an_invoice_above_what_it_owes(
    amount: int, owed: list[tuple[date, int]]
) -> None:
    invoices = [Owed(f"I{n}", due, minor) for n, (due, minor) in enumerate(owed)]
    allocation = allocate_oldest_first(amount, invoices)

    assert sum(minor for _, minor in allocation.parts) + allocation.unapplied_minor == amount
    limits = {invoice.external_id: invoice.outstanding_minor for invoice in invoices}
    assert all(0 < minor <= limits[external_id] for external_id, minor in allocation.parts)
    assert allocation.unapplied_minor == max(0, amount - sum(limits.values()))


# -- links, for the staff -------------------------------------------------------------------------------


def test_a_link_opens_its_customer_until_it_expires(uow: FakeUnitOfWork) -> None:
    token = link(uow, days=7)

    assert portal.check(uow, token).customer.external_id == "C1"
    uow.clock.at = NOW + timedelta(days=7) - timedelta(seconds=1)
    assert portal.check(uow, token).customer.external_id == "C1"
    uow.clock.at = NOW + timedelta(days=7)
    with pytest.raises(portal.LinkInvalid):
        portal.check(uow, token)


def test_issuing_a_link_is_audited_and_an_unknown_customer_is_refused(uow: FakeUnitOfWork) -> None:
    issued = portal.issue_link(uow, MARIA, "C1", days=30, base_url=BASE)

    [entry] = uow.audit.entries
    assert (entry.entity, entry.action, entry.actor.name, entry.customer_id) == ("portal_link", "issued", "maria", 1)
    assert issued.expires_at == NOW + timedelta(days=30)
    with pytest.raises(NotFound, match="no customer with external id 'C9'"):
        portal.issue_link(uow, MARIA, "C9", days=30, base_url=BASE)


def test_revoking_invalidates_every_link_of_that_customer_and_no_other(uow: FakeUnitOfWork) -> None:
    first, second, other = link(uow), link(uow), link(uow, "C2")

    assert portal.active_links(uow, MARIA, "C1") == 2
    assert portal.revoke_links(uow, MARIA, "C1") == 2

    for token in (first, second):
        with pytest.raises(portal.LinkInvalid):
            portal.check(uow, token)
    assert portal.check(uow, other).customer.external_id == "C2"
    assert portal.active_links(uow, MARIA, "C1") == 0
    assert uow.audit.entries[-1].summary == "Portal links revoked (2)"


def test_unknown_forged_and_revoked_tokens_get_one_and_the_same_answer(uow: FakeUnitOfWork) -> None:
    revoked = link(uow)
    portal.revoke_links(uow, MARIA, "C1")

    messages = set()
    for token in (new_token(), "not-a-token", revoked, revoked[:-1] + ("A" if revoked[-1] != "A" else "B")):
        with pytest.raises(portal.LinkInvalid) as raised:
            portal.view(uow, token)
        messages.add(str(raised.value))
    assert len(messages) == 1 and "C1" not in messages.pop()


def test_a_person_without_a_role_that_works_tasks_cannot_issue_links(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        portal.issue_link(uow, None, "C1", days=30, base_url=BASE)  # type: ignore[arg-type]


def test_a_link_for_an_email_is_issued_in_the_callers_transaction_without_an_audit_line(uow: FakeUnitOfWork) -> None:
    with uow:
        token = portal.issue_for_email(uow, 2, None, 30, "email 7")
        uow.commit()

    assert portal.check(uow, token).customer.external_id == "C2"
    assert not uow.audit.entries


# -- the portal, for the customer -----------------------------------------------------------------------


def test_the_page_shows_the_customers_open_invoices_oldest_first_with_totals_and_reasons(uow: FakeUnitOfWork) -> None:
    shown = portal.view(uow, link(uow))

    assert (shown.customer_name, shown.customer_external_id, shown.as_of) == ("Acme Ltd", "C1", TODAY)
    assert [i.external_id for i in shown.invoices] == ["I1", "I2", "I3"]
    assert shown.totals == [("USD", 430_00)]
    assert shown.days_past_due(shown.invoices[0]) == 30 and shown.days_past_due(shown.invoices[2]) == 0
    assert "pricing" in shown.reasons


def test_opening_the_page_goes_on_the_timeline_once_an_hour_and_never_uses_the_link_up(uow: FakeUnitOfWork) -> None:
    token = link(uow)
    for _ in range(3):
        portal.view(uow, token)
    uow.clock.at = NOW + timedelta(hours=1)
    portal.view(uow, token)

    opened = [e for e in uow.audit.entries if e.action == "opened"]
    assert len(opened) == 2
    assert (opened[0].actor.kind, opened[0].actor.name, opened[0].summary) == (
        ActorKind.CUSTOMER,
        "Acme Ltd",
        "Portal opened",
    )


def test_a_customer_disputes_its_invoice_which_stops_chasing_and_alerts_the_collector(uow: FakeUnitOfWork) -> None:
    row = portal.dispute(uow, link(uow), "I2", "damaged", "  Two crates arrived broken  ")

    assert (row.invoice_external_id, row.reason, row.note, row.source, row.owner) == (
        "I2",
        "damaged",
        "Two crates arrived broken",
        "portal",
        "maria",
    )
    assert uow.ledger.invoice("I2").disputed
    [alert] = uow.alerts.rows.values()
    assert alert.kind == "dispute_opened" and alert.user_id == MARIA.id and "on the portal" in alert.message
    assert [e.actor.kind for e in uow.audit.entries if e.entity == "dispute"] == [ActorKind.CUSTOMER]


def test_a_customer_cannot_dispute_another_customers_invoice_nor_twice(uow: FakeUnitOfWork) -> None:
    token = link(uow)

    with pytest.raises(NotFound, match="no invoice 'B1' on this account"):
        portal.dispute(uow, token, "B1", "damaged", "")
    portal.dispute(uow, token, "I1", "pricing", "")
    with pytest.raises(Conflict):
        portal.dispute(uow, token, "I1", "pricing", "")
    with pytest.raises(InvalidValue, match="not a dispute reason"):
        portal.dispute(uow, token, "I2", "because", "")
    assert not uow.ledger.invoice("B1").disputed


def test_a_promise_on_the_portal_is_an_expected_payment_task_for_the_collector(uow: FakeUnitOfWork) -> None:
    task = portal.promise(uow, link(uow), TODAY + timedelta(days=5), "150.00", ["I1", "I2"])

    stored = uow.tasks.rows[task.id]  # type: ignore[index]
    assert (stored.type, stored.source, stored.assignee_id, stored.due_date) == (
        TaskType.EXPECTED_PAYMENT,
        TaskSource.PORTAL,
        MARIA.id,
        TODAY + timedelta(days=5),
    )
    assert stored.promise is not None and (stored.promise.amount_minor, stored.promise.currency) == (150_00, "USD")
    assert stored.invoice_ids == (11, 12)
    assert uow.audit.entries[-1].summary == "Payment promised on the portal: 150.00 USD by 2026-06-05 (I1, I2)"


@pytest.mark.parametrize(
    ("on", "amount", "invoices", "error"),
    [
        (TODAY - timedelta(days=1), "10.00", [], "in the past"),
        (TODAY, "0", [], "greater than zero"),
        (TODAY, "ten", [], "amount"),
        (TODAY, "10.00", ["B1"], "no invoice 'B1' on this account"),
        (TODAY, "10.00", ["NOPE"], "no invoice 'NOPE' on this account"),
    ],
)
def test_a_promise_that_cannot_be_kept_is_refused_and_changes_nothing(
    uow: FakeUnitOfWork, on: date, amount: str, invoices: list[str], error: str
) -> None:
    token = link(uow)
    before = dict(uow.tasks.rows)

    with pytest.raises((InvalidValue, NotFound), match=error):
        portal.promise(uow, token, on, amount, invoices)
    assert uow.tasks.rows == before


def test_an_invoice_pdf_is_only_of_the_links_customer(uow: FakeUnitOfWork) -> None:
    token = link(uow)

    class Pdfs:
        def invoice_pdf(self, context: dict[str, object]) -> bytes:
            return f"%PDF {context['customer']}".encode()

        def statement_pdf(self, context: dict[str, object]) -> bytes:
            return b"%PDF statement"

    with pytest.raises(NotFound):
        portal.invoice_pdf(uow, token, Pdfs(), "B1")  # type: ignore[arg-type]
    with pytest.raises(portal.LinkInvalid):
        portal.invoice_pdf(uow, new_token(), Pdfs(), "I1")  # type: ignore[arg-type]
