"""The customer record (services/customer_record.py), over fakes: what the page shows as of today,
and the note a collector adds to the account."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from arrears.domain.audit import SYSTEM, Actor, AuditEntry
from arrears.domain.errors import InvalidValue, NotFound
from arrears.domain.tasks import TaskStatus, TaskType
from arrears.services import chasing, customer_record, disputes
from arrears.services.workspace_ports import CashLine, EmailRow, Reminded, TimelineRow
from tests.fakes import FakeUnitOfWork, acme_desk, make_customer, rolled
from tests.unit.builders import MARIA, MORGAN, NOW, SAM, TODAY, days, instalment, make_promise, make_task


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return rolled(acme_desk())


# -- the page ----------------------------------------------------------------------------------------------


def test_the_header_shows_the_balance_and_the_overdue_amount_as_of_today(uow: FakeUnitOfWork) -> None:
    record = customer_record.customer_record(uow, SAM, "C1")

    assert (record.today, record.outstanding_invoice_count, record.balance_minor, record.overdue_minor) == (
        TODAY,
        3,
        430_00,
        350_00,
    )
    assert (record.customer.name, record.customer.collector, record.customer.phone) == (
        "Acme Ltd",
        "maria",
        "+1 415 555 0100",
    )


def test_reading_the_record_writes_nothing(uow: FakeUnitOfWork) -> None:
    customer_record.customer_record(uow, SAM, "C1")

    assert (uow.commits, uow.balances.refreshes) == (0, [])


@pytest.mark.parametrize(("limit", "over"), [(400_00, True), (430_00, False), (None, False)])
def test_a_balance_above_the_credit_limit_is_flagged(uow: FakeUnitOfWork, limit: int | None, over: bool) -> None:
    uow.ledger.add_customer(make_customer(id=3, external_id="C3", name="Gamma SA"), credit_limit_minor=limit)
    uow.ledger.add_customer(make_customer(), credit_limit_minor=limit, phone="+1 415 555 0100")

    assert customer_record.customer_record(uow, SAM, "C1").over_credit_limit is over


def test_the_invoices_are_listed_open_first_by_due_date_with_their_days_past_due(uow: FakeUnitOfWork) -> None:
    uow.ledger.change_invoice("I2", status="paid", outstanding_minor=0)

    record = customer_record.customer_record(uow, SAM, "C1")

    assert [(line.invoice.external_id, line.days_past_due, line.selectable) for line in record.invoices] == [
        ("I1", 30, True),
        ("I3", 0, True),
        ("I2", 0, False),
    ]
    assert (record.invoice_count, record.more_invoices, record.selectable_count) == (3, False, 2)


def test_the_aging_bar_splits_what_is_owed_by_days_past_due(uow: FakeUnitOfWork) -> None:
    record = customer_record.customer_record(uow, SAM, "C1")

    assert [(s.bucket, s.minor, s.width) for s in record.aging if s.minor] == [
        ("current", 80_00, 186),
        ("1-30", 350_00, 814),
    ]


def test_the_page_shows_the_contacts_open_issues_emails_and_dispute_reasons(uow: FakeUnitOfWork) -> None:
    uow.customer_records.add_contact(1, "Ann Lee", "ann@acme.example", None, "AP")
    open_issue = uow.customer_records.add_issue(1, "Collect May", MARIA.id)
    closed = uow.customer_records.add_issue(1, "Collect April", MARIA.id)
    uow.customer_records.issue_rows[closed].status = "closed"
    email = EmailRow(4, NOW, ["ap@acme.example"], "Past due", "past_due", "sent", 1, None, NOW)
    uow.customer_records.add_email(1, email)
    uow.accounts.set_setting("rules", json.dumps({"dispute_reasons": ["pricing", "wrong_site"]}))

    record = customer_record.customer_record(uow, SAM, "C1")

    assert [(c.name, c.email, c.role) for c in record.contacts] == [("Ann Lee", "ann@acme.example", "AP")]
    assert [i.id for i in record.issues] == [open_issue]
    assert record.emails == [email]
    assert record.dispute_reasons == ("pricing", "wrong_site")


def test_the_timeline_shows_its_first_entries_and_says_there_are_more(uow: FakeUnitOfWork) -> None:
    for n in range(3):
        at = NOW + timedelta(minutes=n)
        uow.audit.record(AuditEntry(at, SYSTEM, "task", str(n), "created", f"entry {n}", 1))

    record = customer_record.customer_record(uow, SAM, "C1", timeline_limit=2)

    assert [row.summary for row in record.timeline] == ["entry 2", "entry 1"]
    assert record.more_timeline is True


def test_the_record_lists_the_payments_and_credit_notes_newest_first(uow: FakeUnitOfWork) -> None:
    old = CashLine("payment", "P1", TODAY - days(9), 50_00, "USD", "I1", "INV-1", "wire")
    new = CashLine("credit_note", "CN1", TODAY - days(1), 20_00, "USD", None, None, "goodwill")
    uow.customer_records.cash[1] = [old, new]

    assert customer_record.customer_record(uow, SAM, "C1").cash == [new, old]


def test_the_record_shows_each_promise_with_its_state_latest_first(uow: FakeUnitOfWork) -> None:
    kept = make_task(
        id=None, type=TaskType.EXPECTED_PAYMENT, promise=make_promise(amount_minor=100_00, due=TODAY - days(3))
    )
    broken = make_task(
        id=None, type=TaskType.EXPECTED_PAYMENT, promise=make_promise(amount_minor=90_00, due=TODAY - days(2))
    )
    pending = make_task(id=None, type=TaskType.EXPECTED_PAYMENT, promise=make_promise(due=TODAY + days(5)))
    elsewhere = make_task(id=None, customer_id=2, type=TaskType.EXPECTED_PAYMENT, promise=make_promise())
    for task in (replace(kept, status=TaskStatus.DONE, outcome="kept"), pending, elsewhere):
        uow.tasks.add_task(task, None)
    uow.tasks.add_task(replace(broken, status=TaskStatus.DONE, outcome="broken"), None)

    record = customer_record.customer_record(uow, SAM, "C1")

    assert [(line.promise.expected_date, line.state) for line in record.promises] == [
        (TODAY + days(5), "pending"),
        (TODAY - days(2), "broken"),
        (TODAY - days(3), "kept"),
    ]


def test_the_record_shows_the_plans_with_their_instalments_newest_first(uow: FakeUnitOfWork) -> None:
    first = uow.plans.add_plan(1, "USD", [11], [instalment(TODAY + days(30), 100_00)], TODAY, 100_00, MARIA.id)
    second = uow.plans.add_plan(1, "USD", [12], [instalment(TODAY + days(7), 250_00)], TODAY, 250_00, MARIA.id)
    uow.plans.add_plan(2, "EUR", [21], [instalment(TODAY + days(7), 40_00)], TODAY, 40_00, SAM.id)

    plans = customer_record.customer_record(uow, SAM, "C1").plans

    assert [(p.id, p.invoice_external_ids, [i.amount_minor for i in p.instalments]) for p in plans] == [
        (second, ["I2"], [250_00]),
        (first, ["I1"], [100_00]),
    ]


def test_each_invoice_says_how_often_and_when_it_was_last_reminded(uow: FakeUnitOfWork) -> None:
    def email(n: int, status: str = "sent") -> EmailRow:
        return EmailRow(n, NOW + timedelta(days=n), ["ap@acme.example"], "Past due", "past_due", status, 1, None, NOW)

    uow.customer_records.add_email(1, email(1), step="reminder", invoices=("I1", "I2"))
    uow.customer_records.add_email(1, email(2), step="final", invoices=("I1",))
    uow.customer_records.add_email(1, email(3, "failed"), step="final", invoices=("I1",))

    reminded = customer_record.customer_record(uow, SAM, "C1").reminded

    assert reminded == {
        "I1": Reminded(2, NOW + timedelta(days=2), "final", 2),
        "I2": Reminded(1, NOW + timedelta(days=1), "reminder", 1),
    }


def test_the_record_says_when_the_customers_chasing_is_paused(uow: FakeUnitOfWork) -> None:
    before = customer_record.customer_record(uow, SAM, "C1").paused
    chasing.set_chasing(uow, MORGAN, "customer", "C1", "paused", True)

    assert (before, customer_record.customer_record(uow, SAM, "C1").paused) == (False, True)


def test_the_record_of_an_unknown_customer_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no customer with external id 'C9'"):
        customer_record.customer_record(uow, SAM, "C9")


# -- notes ------------------------------------------------------------------------------------------------


def test_a_note_is_kept_on_the_accounts_timeline_with_who_wrote_it(uow: FakeUnitOfWork) -> None:
    row = customer_record.add_note(uow, MARIA, "C1", "  Their AP moves to Dublin in June  ")

    assert uow.audit.entries == [
        AuditEntry(
            NOW,
            Actor.of(MARIA),
            "customer",
            "C1",
            "note",
            "Note: Their AP moves to Dublin in June",
            1,
            {"note": "Their AP moves to Dublin in June"},
        )
    ]
    assert row == TimelineRow(
        NOW,
        "maria",
        "user",
        "customer",
        "C1",
        "note",
        "Note: Their AP moves to Dublin in June",
        {"note": "Their AP moves to Dublin in June"},
    )


def test_the_record_shows_the_notes_newest_first_beside_the_standing_notes(uow: FakeUnitOfWork) -> None:
    uow.ledger.customer_details[1].notes = "Pays on the 15th"
    customer_record.add_note(uow, MARIA, "C1", "first")
    uow.clock.advance(timedelta(minutes=1))
    customer_record.add_note(uow, MARIA, "C1", "second")

    record = customer_record.customer_record(uow, SAM, "C1")

    assert record.standing_notes == "Pays on the 15th"
    assert [row.summary for row in record.notes] == ["Note: second", "Note: first"]


@pytest.mark.parametrize(
    ("text", "reason"), [("   ", "write the note before adding it"), ("x" * 5001, "at most 5000 characters")]
)
def test_an_empty_or_overlong_note_is_refused(uow: FakeUnitOfWork, text: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        customer_record.add_note(uow, MARIA, "C1", text)

    assert not uow.audit.entries and uow.commits == 0


def test_a_note_on_an_unknown_customer_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound):
        customer_record.add_note(uow, MARIA, "C9", "hello")

    assert not uow.audit.entries


def test_the_days_past_due_of_an_invoice_due_today_is_zero(uow: FakeUnitOfWork) -> None:
    uow.ledger.change_invoice("I3", due_date=TODAY)

    record = customer_record.customer_record(uow, SAM, "C1")

    assert {line.invoice.external_id: line.days_past_due for line in record.invoices}["I3"] == 0


def test_the_record_lists_the_open_disputes_and_the_amount_in_dispute(uow: FakeUnitOfWork) -> None:
    disputes.open_dispute(uow, MARIA, "I1", "pricing", amount="60.00")
    closed = disputes.open_dispute(uow, MARIA, "I2", "damaged")
    disputes.close_dispute(uow, MORGAN, closed.id, "rejected", "Not damaged")

    record = customer_record.customer_record(uow, SAM, "C1")

    assert [(d.invoice_external_id, d.amount_minor) for d in record.disputes] == [("I1", 60_00)]
    assert record.disputed_minor == 60_00
