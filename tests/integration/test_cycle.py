"""The daily cycle, the documented semantics (docs/workflows.md) one by one, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from arrears.adapters.db import tables as t
from arrears.adapters.rendering import TemplateError, Templates
from arrears.domain.emails import PermanentFailure, TemporaryFailure
from arrears.domain.errors import NotFound, PermissionDenied
from arrears.domain.workflows import parse_workflows
from arrears.services import accounts, chasing, cycle, disputes, outbox, plans, task_list, tasks
from tests.ledger import contact, customer, invoice, payment
from tests.workspace import Desk

DAY = date(2026, 6, 30)

WORKFLOW = """
[[workflow]]
name = "standard"

[[workflow.step]]
name = "welcome"
on = "customer_created"
email = "welcome"

[[workflow.step]]
name = "presentment"
on = "invoice_created"
email = "invoice"

[[workflow.step]]
name = "courtesy"
days = -3
email = "courtesy_reminder"

[[workflow.step]]
name = "past-due-30"
days = 30
email = "past_due"
task = { type = "call", due_in_days = 2 }

[[workflow.step]]
name = "past-due-45"
days = 45
email = "past_due"
task = { type = "call", due_in_days = 2 }

[[workflow.step]]
name = "collections"
days = 90
task = { type = "escalate_to_collections" }
"""


@dataclass
class Outbox:
    """A Sender fake: records messages; can be told to fail the next tries."""

    sent: list[Message] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def send(self, message: Message) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)

    def close(self) -> None:
        return None


@dataclass
class Cycle:
    desk: Desk
    outbox: Outbox = field(default_factory=Outbox)
    workflow_text: str = WORKFLOW

    @property
    def mailer(self) -> cycle.Mailer:
        return cycle.Mailer(Templates(company="Northwind"), self.outbox, "ar@northwind.example")

    def run(self, day: date = DAY, **options: Any) -> cycle.CycleReport:
        self.desk.travel(day)
        workflows = parse_workflows(self.workflow_text, "test.toml")
        return cycle.run_cycle(self.desk.arrears.uow, workflows, self.mailer, day, **options)

    def dry_run(self, day: date = DAY) -> cycle.CycleReport:
        self.desk.travel(day)
        workflows = parse_workflows(self.workflow_text, "test.toml")
        with self.desk.arrears.dry_run() as uow_factory:
            return cycle.run_cycle(uow_factory, workflows, self.mailer, day, dry_run=True)

    def emails(self) -> list[Any]:
        e = t.emails
        with self.desk.arrears.engine.connect() as connection:
            return list(connection.execute(select(e).order_by(e.c.id)))

    def runs(self, status: str = "fired") -> list[tuple[str, str]]:
        r = t.step_runs
        with self.desk.arrears.engine.connect() as connection:
            rows = connection.execute(select(r.c.step, r.c.subject).where(r.c.status == status).order_by(r.c.id))
            return [(row.step, row.subject) for row in rows]

    def steps_of(self, external_id: str, status: str = "fired") -> list[str]:
        with self.desk.arrears.engine.connect() as connection:
            invoice_id = connection.execute(
                select(t.invoices.c.id).where(t.invoices.c.external_id == external_id)
            ).scalar()
        return [step for step, subject in self.runs(status) if subject == f"invoice:{invoice_id}"]


@pytest.fixture
def day(desk: Desk) -> Cycle:
    """Acme (C1, collector maria) with a reminder contact, invoices at various ages as of DAY (I02 due
    in 2 days); Beta (C2, no address) and Gamma (C3) with one late invoice each."""
    desk.ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd", collector="maria", email="ap@acme.example"),
            customer("C2", "Beta GmbH", currency="EUR", collector="sam"),
            customer("C3", "Gamma SA", collector="sam", email="ap@gamma.example"),
        ],
    )
    desk.ledger.load(
        "contacts",
        [
            contact("C1", "Ann Lee", email="ann@acme.example"),
            contact("C1", "No Reminders", email="cfo@acme.example", receives_reminders="false"),
        ],
    )
    desk.ledger.load(
        "invoices",
        [
            invoice("I50", "C1", due=DAY - timedelta(days=50), amount="100.00"),
            invoice("I31", "C1", due=DAY - timedelta(days=31), amount="200.00"),
            invoice("I30", "C1", due=DAY - timedelta(days=30), amount="300.00"),
            invoice("I02", "C1", due=DAY + timedelta(days=2), amount="50.00"),
            invoice("B40", "C2", due=DAY - timedelta(days=40), amount="40.00"),
            invoice("G35", "C3", due=DAY - timedelta(days=35), amount="70.00"),
        ],
    )
    return Cycle(desk)


def test_only_the_latest_due_step_fires_and_earlier_ones_are_skipped(day: Cycle) -> None:
    day.run()

    assert day.steps_of("I50") == ["past-due-45"]
    assert day.steps_of("I50", "skipped") == ["courtesy", "past-due-30"]
    assert day.steps_of("I30") == ["past-due-30"]
    assert day.steps_of("I02") == ["courtesy"]
    assert day.steps_of("I31", "skipped") == ["courtesy"]  # late: the courtesy step is never caught up


def test_one_past_due_email_and_one_task_per_customer_listing_all_its_invoices(day: Cycle) -> None:
    report = day.run()

    [courtesy, acme] = [e for e in day.emails() if e.customer_id == 1]  # a step before the due date sends its own
    assert (courtesy.step, acme.step) == ("courtesy", "past-due-45")  # the template of the latest step that fired
    assert all(number in acme.text for number in ("I50", "I31", "I30")) and "I02" not in acme.text
    assert json_list(acme.to_addresses) == ["ann@acme.example"]
    [acme_call] = [r for r in day.desk.everyone(types=("call",)) if r.customer_external_id == "C1"]
    assert set(acme_call.invoice_external_ids) == {"I50", "I31", "I30"}
    assert (acme_call.assignee, acme_call.due_date, acme_call.source) == ("maria", DAY + timedelta(days=2), "workflow")
    assert report.emails_queued == 3  # Acme's two, Gamma's; Beta has no address: its task alone
    assert report.emails_sent == 3
    assert day.steps_of("I31") == ["past-due-30"]  # each step recorded for its own invoice


def json_list(text: str) -> list[str]:
    import json

    value: list[str] = json.loads(text)
    return value


def test_without_contacts_the_email_goes_to_the_customers_address(day: Cycle) -> None:
    day.desk.ledger.load("customers", [customer("C2", "Beta GmbH", currency="EUR", email="billing@beta.example")])

    day.run()

    beta = [e for e in day.emails() if e.customer_id == 2]
    assert [json_list(e.to_addresses) for e in beta] == [["billing@beta.example"]]


def test_running_the_same_day_again_or_an_earlier_one_creates_nothing(day: Cycle) -> None:
    first = day.run()
    before = (len(day.emails()), day.desk.count(t.tasks), len(day.outbox.sent))

    again = day.run()
    earlier = day.run(DAY - timedelta(days=5))

    assert first.emails_queued > 0
    assert (again.emails_queued, again.tasks_created, earlier.emails_queued, earlier.tasks_created) == (0, 0, 0, 0)
    assert (len(day.emails()), day.desk.count(t.tasks), len(day.outbox.sent)) == before


def test_a_customer_s_open_workflow_task_of_a_type_gets_the_next_invoices_instead_of_a_new_task(
    day: Cycle,
) -> None:
    day.run(DAY - timedelta(days=15))  # I50 is 35 days late: a call task about it
    [first] = day.desk.everyone(types=("call",))

    report = day.run()  # I50 reaches 45 days, I31 and I30 30 days, while that call is still open

    [call] = [r for r in day.desk.everyone(types=("call",)) if r.customer_external_id == "C1"]
    assert call.id == first.id and set(call.invoice_external_ids) == {"I50", "I31", "I30"}
    assert call.version == first.version + 1
    assert (report.tasks_joined, report.tasks_created) == (1, 2)  # Beta's and Gamma's calls are new
    history = accounts.timeline(day.desk.uow(), day.desk["morgan"], "C1").items
    on_the_task = [e.summary for e in history if e.entity == "task" and e.entity_id == str(call.id)]
    assert any("added to this call task by step past-due-45" in summary for summary in on_the_task)


def test_a_done_workflow_task_is_not_reopened_the_next_invoices_make_a_new_one(day: Cycle) -> None:
    day.run(DAY - timedelta(days=15))
    [first] = day.desk.everyone(types=("call",))
    tasks.complete_task(day.desk.uow(), day.desk["maria"], first.id, outcome="left_voicemail", version=first.version)

    day.run()

    [call] = [r for r in day.desk.everyone(types=("call",)) if r.customer_external_id == "C1"]
    assert call.id != first.id and set(call.invoice_external_ids) == {"I50", "I31", "I30"}


def test_a_contact_taken_down_on_a_call_receives_reminders_only_when_ticked(day: Cycle) -> None:
    quiet = tasks.NewContact("Bob Quiet", email="bob@beta.example")
    day.desk.task(as_user="sam", customer_id="C2", new_contact=quiet, description="Spoke to Bob")
    day.run(DAY - timedelta(days=1))  # B40 is 39 days late: its past-due-30 step fires, with no address
    assert [e for e in day.emails() if e.customer_id == 2] == []

    ticked = tasks.NewContact("Ada Payables", email="ada@beta.example", receives_reminders=True)
    day.desk.task(as_user="sam", customer_id="C2", new_contact=ticked, description="Spoke to Ada")
    day.desk.ledger.load("invoices", [invoice("B31", "C2", due=DAY - timedelta(days=31), amount="10.00")])
    day.run()

    [email] = [e for e in day.emails() if e.customer_id == 2]
    assert json_list(email.to_addresses) == ["ada@beta.example"]


def test_a_missed_week_catches_up_without_flooding(day: Cycle) -> None:
    day.run(DAY - timedelta(days=20))

    day.run(DAY)

    assert day.steps_of("I50") == ["past-due-30", "past-due-45"]
    assert day.steps_of("I50", "skipped") == ["courtesy"]
    assert len([e for e in day.emails() if e.step == "past-due-45"]) == 1


def test_a_step_fires_once_per_invoice_even_after_a_payment_reopens_it(day: Cycle) -> None:
    day.run()
    day.desk.ledger.load("payments", [payment("P1", invoice="I30", amount="300.00", on=DAY)])
    day.desk.ledger.load("payments", [payment("P1", invoice="I30", amount="100.00", on=DAY)])

    day.run(DAY + timedelta(days=1))

    assert day.steps_of("I30") == ["past-due-30"]


def test_the_dry_run_shows_exactly_what_the_run_then_does_and_writes_nothing(day: Cycle) -> None:
    dry = day.dry_run()

    assert (len(day.emails()), day.desk.count(t.tasks), day.outbox.sent) == (0, 0, [])
    real = day.run()
    strip = [(p.kind, p.customer_external_id, p.step, sorted(p.invoices), p.to, p.subject) for p in dry.planned]
    assert strip == [
        (p.kind, p.customer_external_id, p.step, sorted(p.invoices), p.to, p.subject) for p in real.planned
    ]
    assert (dry.emails_queued, dry.tasks_created) == (real.emails_queued, real.tasks_created)


def test_the_json_summary_has_the_contract_keys(day: Cycle) -> None:
    summary = day.run().summary()

    assert {"as_of", "emails_queued", "emails_sent", "tasks_created", "tasks_closed", "alerts_raised"} <= set(summary)
    assert summary["as_of"] == "2026-06-30"


# -- what is not chased ------------------------------------------------------------------------------


def test_disputed_on_hold_paid_and_promised_invoices_are_not_chased(day: Cycle) -> None:
    desk = day.desk
    disputes.open_dispute(desk.uow(), desk["maria"], "I50", "pricing")
    desk.ledger.load("payments", [payment("P1", invoice="I31", amount="200.00", on=DAY - timedelta(days=1))])
    desk.task(
        type="expected_payment",
        expected_amount="300.00",
        expected_date=DAY + timedelta(days=3),
        invoice_external_ids=("I30",),
    )
    desk.ledger.load("customers", [{"external_id": "C2", "name": "Beta GmbH", "on_hold": "true"}])

    day.run()

    fired = {step for step, _ in day.runs()}
    assert day.steps_of("I50") == [] and day.steps_of("I31") == [] and day.steps_of("I30") == []
    assert day.steps_of("B40") == []
    assert fired == {"courtesy", "past-due-30"}  # I02's courtesy note and Gamma's G35 alone


def test_a_promise_whose_date_has_passed_no_longer_protects_the_invoice(day: Cycle) -> None:
    day.desk.task(
        type="expected_payment",
        expected_amount="300.00",
        expected_date=DAY - timedelta(days=0),
        invoice_external_ids=("I30",),
    )

    day.run(DAY + timedelta(days=1))

    assert day.steps_of("I30") == ["past-due-30"]


def test_plans_are_chased_by_instalment(day: Cycle) -> None:
    desk = day.desk
    desk.travel(DAY - timedelta(days=60))
    plans.create_plan(
        desk.uow(), desk["morgan"], ["I50"], [(DAY - timedelta(days=45), "40.00"), (DAY + timedelta(days=20), "60.00")]
    )

    day.run()

    subjects = [s for step, s in day.runs() if s.startswith("instalment:")]
    assert len(subjects) == 1 and day.steps_of("I50") == []
    email = next(e for e in day.emails() if "Instalment 1" in e.text)
    assert "$40.00" in email.text


# -- events ------------------------------------------------------------------------------------------


def test_events_fire_only_for_what_arrives_after_the_first_cycle(day: Cycle) -> None:
    day.run()
    assert [e for e in day.emails() if e.step in ("welcome", "presentment")] == []

    day.desk.ledger.load("customers", [customer("C4", "Delta Inc", email="ap@delta.example")])
    day.desk.ledger.load(
        "invoices",
        [
            invoice("D1", "C4", due=DAY + timedelta(days=30), issued=DAY),
            invoice("D2", "C4", due=DAY - timedelta(days=1), issued=DAY - timedelta(days=31)),
        ],
    )
    day.run(DAY + timedelta(days=1))

    new = [e for e in day.emails() if e.step in ("welcome", "presentment")]
    assert sorted(e.step for e in new) == ["presentment", "welcome"]
    presentment = next(m for m in day.outbox.sent if "Invoice D1" in str(m["Subject"]))
    attachments = [p.get_filename() for p in presentment.walk() if p.get_filename()]
    assert attachments == ["invoice-D1.pdf"]
    day.run(DAY + timedelta(days=2))
    assert len([e for e in day.emails() if e.step in ("welcome", "presentment")]) == 2


def test_a_workflow_file_replaces_the_default_and_filters_by_tag(day: Cycle) -> None:
    day.desk.ledger.load("customers", [customer("C1", "Acme Ltd", tags="enterprise")])
    day.workflow_text = """
[[workflow]]
name = "enterprise"
match = { tags = ["enterprise"] }
[[workflow.step]]
name = "ent-40"
days = 40
task = { type = "book_meeting" }
"""

    day.run()

    assert {step for step, _ in day.runs()} == {"ent-40"}
    assert day.steps_of("I50") == ["ent-40"]
    assert day.emails() == []


# -- sending -------------------------------------------------------------------------------------------


def test_a_temporary_failure_is_retried_later_and_sent_once(day: Cycle) -> None:
    day.outbox.failures = [TemporaryFailure("451 try again later")] * 10

    report = day.run()

    assert report.emails_sent == 0
    queued = day.emails()
    assert {e.status for e in queued} == {"queued"} and {e.attempts for e in queued} == {1}
    day.outbox.failures = []
    day.desk.clock.at += timedelta(minutes=2)
    sent = outbox.send_due(day.desk.arrears.uow, day.outbox, Templates(), "ar@northwind.example")
    assert sent.sent == len(queued)
    assert {e.status for e in day.emails()} == {"sent"}
    assert len(day.outbox.sent) == len(queued)


def test_a_permanent_failure_fails_the_email_raises_an_alert_and_shows_on_the_timeline(day: Cycle) -> None:
    day.outbox.failures = [PermanentFailure("550 no such user")] * 10

    report = day.run()

    assert report.emails_failed == report.emails_queued > 0
    assert day.desk.open_alerts("email_failed") == report.emails_queued
    history = accounts.timeline(day.desk.uow(), day.desk["morgan"], "C1").items
    assert any(e.summary.startswith("Error sending email") for e in history)
    day.outbox.failures = []
    day.desk.clock.at += timedelta(days=1)
    assert outbox.send_due(day.desk.arrears.uow, day.outbox, Templates(), "ar@x.example").sent == 0


def body_of(message: Message, kind: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == f"text/{kind}")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def test_the_body_is_rendered_when_sent_from_what_the_cycle_decided(day: Cycle) -> None:
    day.outbox.failures = [TemporaryFailure("451 try again later")] * 10
    day.run()
    queued = {e.step: e for e in day.emails() if e.customer_id == 1}["past-due-45"]
    assert (queued.status, queued.html, queued.text) == ("queued", "", "")  # no body until it is sent
    assert queued.subject and queued.template == "past_due"
    assert [i["number"] for i in outbox.thaw(queued.context)["invoices"]] == ["I50", "I31", "I30"]
    # A payment after the decision does not change the email decided: it lists what was due then.
    day.desk.ledger.load("payments", [payment("P1", invoice="I31", on=DAY, amount="150.00")])
    day.outbox.failures = []
    day.desk.clock.at += timedelta(minutes=2)

    outbox.send_due(day.desk.arrears.uow, day.outbox, Templates(company="Northwind"), "ar@northwind.example")

    message = next(m for m in day.outbox.sent if m["Message-ID"] == queued.message_id)
    text, html = body_of(message, "plain"), body_of(message, "html")
    assert "I31  due May 30, 2026  $200.00 outstanding (31 days overdue)" in text
    assert "Total outstanding: $600.00" in text and "Dear Ann Lee," in text
    assert "<strong>$600.00</strong>" in html and f"<title>{queued.subject}</title>" in html
    assert message["Subject"] == queued.subject
    sent = {e.id: e for e in day.emails()}[queued.id]  # what went out is kept
    assert (sent.status, sent.text, sent.html) == ("sent", text, html)


@pytest.mark.parametrize(
    "broken_text",
    [
        "{{ no_such_variable.at_all }}",  # a variable the context lacks
        "{{ customer.name | day }}",  # a filter given what it cannot format (a Python error inside it)
        "{% for x in invoices %}",  # a syntax error
    ],
)
def test_an_email_whose_template_fails_at_send_time_fails_is_alerted_and_the_next_ones_go(
    day: Cycle, tmp_path: Path, broken_text: str
) -> None:
    """An override broken after the cycle queued its emails: the courtesy reminder (queued first, so
    taken first) fails for good; the send loop goes on to the others."""
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "courtesy_reminder.txt").write_text(broken_text, encoding="utf-8")
    broken = Templates(tmp_path, company="Northwind")
    day.outbox.failures = [TemporaryFailure("451 try again later")] * 10
    report = day.run()
    day.outbox.failures = []
    day.desk.clock.at += timedelta(minutes=2)

    sent = outbox.send_due(day.desk.arrears.uow, day.outbox, broken, "ar@northwind.example")

    emails = day.emails()
    assert emails[0].step == "courtesy"
    assert emails[0].status == "failed" and "email template 'courtesy_reminder' failed" in emails[0].last_error
    assert [e.status for e in emails[1:]] == ["sent", "sent"]
    assert (sent.sent, sent.failed) == (2, 1) and report.tasks_created == 3
    assert day.desk.open_alerts("email_failed") == 1
    day.desk.clock.at += timedelta(days=1)
    assert outbox.send_due(day.desk.arrears.uow, day.outbox, broken, "ar@x.example").failed == 0


@pytest.mark.parametrize("part", ["past_due.html", "past_due.subject.txt"])
def test_a_broken_template_stops_the_cycle_before_any_email_is_queued_with_it(
    day: Cycle, tmp_path: Path, part: str
) -> None:
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / part).write_text("{{ no_such_variable.at_all }}", encoding="utf-8")
    workflows = parse_workflows(day.workflow_text, "test.toml")
    day.desk.travel(DAY)
    broken = cycle.Mailer(Templates(tmp_path, company="Northwind"), day.outbox, "ar@northwind.example")

    with pytest.raises(TemplateError, match="email template 'past_due' failed"):
        cycle.run_cycle(day.desk.arrears.uow, workflows, broken, DAY)

    assert [e.template for e in day.emails() if e.template == "past_due"] == []
    assert day.runs() == []  # the batch's claims went with it: fixed, the day runs again in full
    report = day.run()
    assert report.emails_sent == 3 and {e.status for e in day.emails()} == {"sent"}


def test_customer_text_is_escaped_in_the_body_rendered_at_send_time(day: Cycle) -> None:
    hostile = '<script>alert("x")</script> & <b>Co</b>'
    day.desk.ledger.load("customers", [customer("C3", hostile, email="ap@c3.example")])
    day.desk.ledger.load("invoices", [invoice("X<i>1", "C3", due=DAY - timedelta(days=40), amount="10.00")])

    day.run()

    message = next(m for m in day.outbox.sent if m["To"] == "ap@c3.example")
    html, text = body_of(message, "html"), body_of(message, "plain")
    assert "<script>" not in html and "<b>Co</b>" not in html and "X<i>1" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert "X&lt;i&gt;1" in html
    assert f"Dear {hostile}," in text  # the text part is not HTML: nothing to escape


@pytest.mark.parametrize(
    "stored", ['{"total": {"$decimal": "not a number"}}', '{"as_of": {"$date": "2026-13-45"}}', "{"]
)
def test_a_stored_context_that_does_not_read_back_fails_its_email_and_the_next_ones_go(day: Cycle, stored: str) -> None:
    day.outbox.failures = [TemporaryFailure("451 try again later")] * 10
    day.run()
    first = day.emails()[0]
    with day.desk.arrears.engine.begin() as connection:
        connection.execute(update(t.emails).where(t.emails.c.id == first.id).values(context=stored))
    day.outbox.failures = []
    day.desk.clock.at += timedelta(minutes=2)

    sent = outbox.send_due(day.desk.arrears.uow, day.outbox, Templates(), "ar@northwind.example")

    assert (sent.sent, sent.failed) == (2, 1)
    assert [e.status for e in day.emails()] == ["failed", "sent", "sent"]


def test_an_email_queued_with_its_body_before_migration_0008_is_sent_as_it_was(day: Cycle) -> None:
    day.outbox.failures = [TemporaryFailure("451 try again later")] * 10
    day.run()
    e = t.emails
    with day.desk.arrears.engine.begin() as connection:  # as 0007 left it: a body and no context
        connection.execute(update(e).values(context=None, html="<p>Old body</p>", text="Old body"))
    day.outbox.failures = []
    day.desk.clock.at += timedelta(minutes=2)

    sent = outbox.send_due(day.desk.arrears.uow, day.outbox, Templates(), "ar@northwind.example")

    assert sent.sent == len(day.outbox.sent) == 3
    assert {(body_of(m, "plain"), body_of(m, "html")) for m in day.outbox.sent} == {("Old body", "<p>Old body</p>")}
    assert {(x.status, x.text) for x in day.emails()} == {("sent", "Old body")}


def test_the_outbox_sends_all_that_is_due_unless_given_a_limit(day: Cycle) -> None:
    day.outbox.failures = [TemporaryFailure("451 try again later")] * 3
    day.run()  # three emails put back for a later try
    day.desk.clock.at += timedelta(minutes=2)
    templates = Templates()

    first = outbox.send_due(day.desk.arrears.uow, day.outbox, templates, "ar@x.example", limit=2)
    rest = outbox.send_due(day.desk.arrears.uow, day.outbox, templates, "ar@x.example")

    assert (first.sent, rest.sent) == (2, 1)
    assert {e.status for e in day.emails()} == {"sent"}


def test_after_the_last_try_a_temporary_failure_becomes_a_failure(day: Cycle) -> None:
    day.outbox.failures = [TemporaryFailure("connection refused")] * 100
    day.run()

    for _ in range(8):
        day.desk.clock.at += timedelta(hours=7)
        outbox.send_due(day.desk.arrears.uow, day.outbox, Templates(), "ar@x.example")

    assert {e.status for e in day.emails()} == {"failed"}
    assert {e.attempts for e in day.emails()} == {6}


def test_the_timeline_counts_the_reminders_sent(day: Cycle) -> None:
    day.run()
    task_list.task_filter(day.desk.uow(), day.desk["maria"])

    history = accounts.timeline(day.desk.uow(), day.desk["morgan"], "C1").items

    assert sum(1 for e in history if e.entity == "email" and e.action == "queued") == 2  # courtesy, past due
    assert sum(1 for e in history if e.entity == "email" and e.action == "sent") == 2


def test_a_paused_customer_or_invoice_is_not_chased_until_resumed(day: Cycle) -> None:
    desk = day.desk
    chasing.set_chasing(desk.uow(), desk["morgan"], "customer", "C2", "paused", True)
    chasing.set_chasing(desk.uow(), desk["morgan"], "invoice", "I50", "paused", True)

    day.run()
    assert day.steps_of("B40") == [] and day.steps_of("I50") == []
    assert day.steps_of("I30") == ["past-due-30"]

    chasing.set_chasing(desk.uow(), desk["morgan"], "invoice", "I50", "paused", False)
    day.run(DAY + timedelta(days=1))
    assert day.steps_of("I50") == ["past-due-45"]


def test_an_excluded_invoice_is_neither_chased_nor_overdue(day: Cycle) -> None:
    desk = day.desk
    desk.task()
    before = desk.mine()[0].overdue_minor

    chasing.set_chasing(desk.uow(), desk["morgan"], "invoice", "I50", "excluded", True)
    day.run()

    assert day.steps_of("I50") == []
    assert desk.mine()[0].overdue_minor == before - 100_00


def test_only_managers_and_owners_hold_back_chasing(day: Cycle) -> None:
    with pytest.raises(PermissionDenied):
        chasing.set_chasing(day.desk.uow(), day.desk["maria"], "customer", "C1", "paused", True)
    with pytest.raises(NotFound):
        chasing.set_chasing(day.desk.uow(), day.desk["morgan"], "invoice", "NOPE", "excluded", True)
