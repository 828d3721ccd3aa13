"""What needs attention, arranged through the services on the site of tests/web.py: an open alert of
every kind (`raise_every_kind`), and a fuller book of customers, promises and tasks for the dashboard's
screenshot (`fill_book`)."""

from __future__ import annotations

from datetime import timedelta
from email.message import Message

from arrears.domain.emails import PermanentFailure
from arrears.services import alerts, collection_rules, cycle, disputes, tasks
from tests.ledger import Ledger, contact, customer, invoice, payment
from tests.web import NOW, TODAY, Site

DAY = timedelta(days=1)


class RefusingSender:
    """An SMTP server that refuses every message for good: each email fails and raises an alert."""

    def send(self, message: Message) -> None:
        raise PermanentFailure("550 mailbox unavailable")

    def close(self) -> None:
        return None


def raise_every_kind(site: Site) -> dict[str, int]:
    """One open alert (at least) of each kind, the way they arise; returns the newest id of each kind.

    Failed emails: the day's cycle sends Acme's reminders to a server that refuses them (Acme's
    collector is maria; failed emails are for the managers). A dispute: maria disputes the script-named
    customer's invoice. A broken promise and a stale task: ten days ago maria took a promise from Acme
    for five days ago and had a call due six days ago; today's rules find the promise unpaid and the
    call more than three days late."""
    uow, maria = site.arrears.uow, site.people["maria"]
    mailer = cycle.Mailer(site.arrears.templates, RefusingSender(), "ar@example.com")
    cycle.run_cycle(uow, site.arrears.workflows(), mailer, TODAY)
    disputes.open_dispute(uow(), maria, "S1", "pricing", note="Charged the list price, not the contract price")
    site.clock.at = NOW - 10 * DAY
    try:
        tasks.create_task(
            uow(),
            maria,
            tasks.NewTask(
                "C1",
                "expected_payment",
                "Promise to pay INV-1001",
                due_date=TODAY - 5 * DAY,
                invoice_external_ids=("I1",),
                expected_amount="100.00",
                expected_date=TODAY - 5 * DAY,
            ),
        )
        tasks.create_task(
            uow(), maria, tasks.NewTask("C1", "call", "Call Acme's payables desk", due_date=TODAY - 6 * DAY)
        )
    finally:
        site.clock.at = NOW
    collection_rules.check_promises(uow(), TODAY)
    collection_rules.stale_task_alerts(uow(), TODAY)
    newest: dict[str, int] = {}
    for row in alerts.list_alerts(uow(), site.people["olivia"], limit=500).items:
        newest.setdefault(row.kind, row.id)
    return newest


def fill_book(site: Site, ledger: Ledger) -> None:
    """Five more customers over every bucket in USD and EUR, for maria, sam and nobody; promises due
    this week (one already paid); a few more calls due today."""
    ledger.load(
        "customers",
        [
            customer("C4", "Northwind Traders", collector="maria", phone="+1 212 555 0142"),
            customer("C5", "Globex Corporation", collector="sam", phone="+1 312 555 0175"),
            customer("C6", "Initech"),
            customer("C7", "Umbrella GmbH", currency="EUR", collector="sam"),
            customer("C8", "Soylent SA", currency="EUR", collector="maria"),
        ],
    )
    ledger.load("contacts", [contact("C4", "Dana Ortiz", phone="+1 212 555 0143", email="dana@northwind.test")])
    ledger.load(
        "invoices",
        [
            invoice("N1", "C4", due=TODAY + 12 * DAY, amount="1250.00", number="NW-3301"),
            invoice("N2", "C4", due=TODAY - 12 * DAY, amount="3400.00", number="NW-3290"),
            invoice("N3", "C4", due=TODAY - 44 * DAY, amount="2150.50", number="NW-3255"),
            invoice("G1", "C5", due=TODAY - 75 * DAY, amount="8900.00", number="GX-118"),
            invoice("G2", "C5", due=TODAY - 120 * DAY, amount="4200.00", number="GX-097"),
            invoice("G3", "C5", due=TODAY + 20 * DAY, amount="1100.00", number="GX-131"),
            invoice("T1", "C6", due=TODAY - 38 * DAY, amount="650.00", number="IN-7"),
            invoice("U1", "C7", due=TODAY + 5 * DAY, amount="5600.00", number="UM-2026-41"),
            invoice("U2", "C7", due=TODAY - 18 * DAY, amount="2300.00", number="UM-2026-33"),
            invoice("U3", "C7", due=TODAY - 95 * DAY, amount="1200.00", number="UM-2026-02"),
            invoice("S8", "C8", due=TODAY - 50 * DAY, amount="3100.00", number="SY-55"),
        ],
    )
    people = site.people
    for who, external_id, amount, invoices, days in (
        ("maria", "C4", "3400.00", ("N2",), 2),
        ("sam", "C5", "4200.00", ("G2",), 4),
        ("sam", "C7", "2300.00", ("U2",), 1),
    ):
        tasks.create_task(
            site.arrears.uow(),
            people[who],
            tasks.NewTask(
                external_id,
                "expected_payment",
                f"Promise to pay {amount}",
                due_date=TODAY + days * DAY,
                invoice_external_ids=invoices,
                expected_amount=amount,
                expected_date=TODAY + days * DAY,
            ),
        )
    ledger.load("payments", [payment("PU2", "C7", invoice="U2", on=TODAY, amount="2300.00")])
    for who, external_id, kind, description in (
        ("maria", "C4", "call", "Call Northwind about NW-3255"),
        ("maria", "C8", "email", "Send Soylent a statement"),
        ("sam", "C5", "call", "Call Globex about GX-118 and GX-097"),
    ):
        tasks.create_task(
            site.arrears.uow(), people[who], tasks.NewTask(external_id, kind, description, due_date=TODAY)
        )
