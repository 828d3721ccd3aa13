"""Emailing a customer by hand (services/sending.py) over the fakes: what is queued (no workflow, the
form's key as dedupe key, the invoices linked, the attachments in the context), who the timeline
names, and that every refusal queues nothing."""

from __future__ import annotations

from email.message import Message

import pytest

from arrears.adapters.rendering import Templates
from arrears.domain.errors import InvalidValue, PermissionDenied
from arrears.services import outbox, sending
from arrears.services.cycle import Mailer
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA

KEY = "0123456789abcdef0123"


class NoSender:
    def send(self, message: Message) -> None:
        raise AssertionError("queueing sends nothing")

    def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def mailer() -> Mailer:
    return Mailer(Templates(company="Northwind"), NoSender(), "ar@northwind.example")


def desk() -> FakeUnitOfWork:
    uow = acme_desk()
    uow.customer_records.add_contact(1, "Pat Payables", "pat@acme.test", None, "AP", True)
    uow.customer_records.add_contact(2, "Ben Beta", "ben@beta.test", None, None, True)
    return uow


def hand(**fields: object) -> sending.HandEmail:
    given: dict[str, object] = {"key": KEY, "to": ("pat@acme.test",), "template": "past_due"}
    return sending.HandEmail(**(given | fields))  # type: ignore[arg-type]


def test_an_email_by_hand_is_queued_without_a_workflow_with_its_invoices_and_attachments(mailer: Mailer) -> None:
    uow = desk()

    queued = sending.queue_email(
        uow, MARIA, mailer, "C1", hand(invoice_external_ids=("I1", "I2"), attach_invoices=True, attach_statement=True)
    )

    [(email_id, email)] = uow.outbox.queued.items()
    assert queued.email_id == email_id and queued.to == ("pat@acme.test",)
    assert (email.workflow, email.step, email.cycle_date) == (None, None, None)
    assert email.dedupe_key == f"hand:1:{KEY}" and email.invoice_ids == (11, 12)
    assert email.subject == "Overdue: $350.00 on your account with Northwind"
    assert email.message_id.startswith("<arrears-") and email.message_id.endswith("@northwind.example>")
    context = outbox.thaw(email.context)
    assert context["attachments"] == [
        {"kind": "invoice", "invoice_id": 11},
        {"kind": "invoice", "invoice_id": 12},
        {"kind": "statement"},
    ]
    assert context["contact_name"] == "Pat Payables"
    [entry] = uow.audit.entries
    assert (entry.actor.name, entry.entity, entry.action) == ("maria", "email", "queued")
    assert entry.entity_id == str(email_id)
    assert "Email queued by hand to pat@acme.test" in entry.summary and "statement attached" in entry.summary


def test_a_written_email_keeps_its_text_in_the_context_and_its_subject_on_one_line(mailer: Mailer) -> None:
    uow = desk()

    sending.queue_email(uow, MARIA, mailer, "C1", hand(template=None, subject="Your\naccount", body=" Hi Pat \r\n"))

    [email] = uow.outbox.queued.values()
    assert (email.template, email.subject) == (sending.FREE_TEXT, "Your account")
    assert outbox.thaw(email.context)["message"] == "Hi Pat"


def test_the_same_form_sent_twice_queues_one_email(mailer: Mailer) -> None:
    uow = desk()

    first = sending.queue_email(uow, MARIA, mailer, "C1", hand())
    second = sending.queue_email(uow, MARIA, mailer, "C1", hand())

    assert first.email_id is not None and second.email_id is None
    assert len(uow.outbox.queued) == 1 and len(uow.audit.entries) == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"to": ()}, "at least one recipient"),
        ({"to": ("ben@beta.test",)}, "is not an address of customer 'C1'"),  # another customer's contact
        ({"template": "nope"}, "no email template 'nope'"),
        ({"template": "_free_text"}, "no email template"),  # the written email's part is not a template
        ({"invoice_external_ids": ("B1",)}, "'B1' is not an invoice of customer 'C1'"),
        ({"template": None, "subject": "Hi", "body": " \n "}, "write the email's text"),
        ({"template": None, "subject": "Hi", "body": "x" * 20_001}, "at most 20,000 characters"),
        ({"key": "short"}, "reload the page"),
    ],
)
def test_bad_input_is_refused_and_queues_nothing(mailer: Mailer, fields: dict[str, object], message: str) -> None:
    uow = desk()

    with pytest.raises(InvalidValue, match=message):
        sending.queue_email(uow, MARIA, mailer, "C1", hand(**fields))

    assert uow.outbox.queued == {} and uow.audit.entries == [] and uow.commits == 0


def test_the_form_offers_the_customers_addresses_ticking_those_who_receive_reminders(mailer: Mailer) -> None:
    uow = desk()
    uow.customer_records.add_contact(1, "Quinn", "quinn@acme.test", None, None, False)

    form = sending.email_form(uow, MARIA, mailer.templates.names(), "C1")

    assert [(a.address, a.ticked) for a in form.addresses] == [("pat@acme.test", True), ("quinn@acme.test", False)]
    assert [i.external_id for i in form.invoices] == ["I1", "I2", "I3"]
    assert "past_due" in form.templates and sending.FREE_TEXT not in form.templates


def test_signing_in_is_needed_to_email_a_customer(mailer: Mailer) -> None:
    with pytest.raises(PermissionDenied):
        sending.queue_email(desk(), None, mailer, "C1", hand())  # type: ignore[arg-type]
