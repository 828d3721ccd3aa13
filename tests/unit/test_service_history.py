"""A customer's history and emails, page by page and filtered (services/history.py), over fakes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from arrears.domain.audit import SYSTEM, AuditEntry
from arrears.domain.errors import InvalidValue, NotFound
from arrears.services import history
from arrears.services.workspace_ports import EmailRow
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, NOW


@pytest.fixture
def uow() -> FakeUnitOfWork:
    desk = acme_desk()
    for n, step in enumerate(["reminder", "final", "reminder"], start=1):
        row = EmailRow(n, NOW + timedelta(hours=n), ["ap@acme.example"], f"Mail {n}", "past_due", "sent", 1, None, NOW)
        desk.customer_records.add_email(1, row, step=step, invoices=("I1",) if n < 3 else ("I2",))
        desk.audit.record(AuditEntry(row.created_at, SYSTEM, "email", str(n), "sent", f"Email {n} sent", 1))
    desk.audit.record(AuditEntry(NOW, SYSTEM, "customer", "C1", "note", "Note: pays late", 1))
    desk.audit.record(AuditEntry(NOW, SYSTEM, "email", "99", "sent", "Someone else's", 2))
    return desk


def test_the_history_is_newest_first_and_offers_the_kinds_the_account_has(uow: FakeUnitOfWork) -> None:
    found = history.history(uow, MARIA, "C1")

    assert [row.summary for row in found.page.items] == [
        "Email 3 sent",
        "Email 2 sent",
        "Email 1 sent",
        "Note: pays late",
    ]
    assert found.kinds == ["customer", "email"]


def test_the_history_narrows_to_a_kind_a_step_or_an_invoice(uow: FakeUnitOfWork) -> None:
    def summaries(**narrowed: str) -> list[str]:
        return [row.summary for row in history.history(uow, MARIA, "C1", **narrowed).page.items]

    assert summaries(kind="customer") == ["Note: pays late"]
    assert summaries(step="reminder") == ["Email 3 sent", "Email 1 sent"]
    assert summaries(invoice="I1") == ["Email 2 sent", "Email 1 sent"]
    assert summaries(invoice="I1", step="reminder") == ["Email 1 sent"]


def test_the_emails_of_a_step_are_counted_to_answer_how_often_it_was_sent(uow: FakeUnitOfWork) -> None:
    found = history.emails(uow, MARIA, "C1", step="reminder")

    assert (found.page.total, [e.id for e in found.page.items]) == (2, [3, 1])
    assert history.emails(uow, MARIA, "C1", invoice="I2").page.total == 1
    assert history.emails(uow, MARIA, "C1", status="failed").page.total == 0


def test_the_pages_go_fifty_at_a_time(uow: FakeUnitOfWork) -> None:
    for n in range(history.PAGE_SIZE + 5):
        uow.audit.record(AuditEntry(NOW - timedelta(days=1, minutes=n), SYSTEM, "task", str(n), "created", "t", 1))

    first = history.history(uow, MARIA, "C1")
    second = history.history(uow, MARIA, "C1", page=2)

    assert (len(first.page.items), first.page.next_offset) == (50, 50)
    assert (len(second.page.items), second.page.next_offset) == (59 - 50, None)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda uow: history.history(uow, MARIA, "C9"), NotFound, "no customer"),
        (lambda uow: history.history(uow, MARIA, "C1", invoice="B1"), InvalidValue, "not an invoice of customer 'C1'"),
        (lambda uow: history.history(uow, MARIA, "C1", page=0), InvalidValue, "numbered from 1"),
        (lambda uow: history.emails(uow, MARIA, "C1", status="lost"), InvalidValue, "queued, sent, failed, bounced"),
        (lambda uow: history.email(uow, MARIA, 404), NotFound, "no email 404"),
    ],
)
def test_what_cannot_be_found_or_read_says_so(uow: FakeUnitOfWork, call, error: type, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call(uow)


def test_one_email_opens_with_its_invoices_and_body(uow: FakeUnitOfWork) -> None:
    found = history.email(uow, MARIA, 2)

    assert (found.row.subject, found.step, found.invoice_external_ids, found.customer_external_id) == (
        "Mail 2",
        "final",
        ["I1"],
        "C1",
    )
