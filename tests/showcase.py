"""A realistic workspace for the README's screenshots: the demo ledger of `arrears demo` (60 customers
of the collectors alex, sam and jordan, in USD, EUR and GBP), worked for a week the way a team would.

On June 22 the first cycle runs: reminders go out and call tasks open. The collectors log most of
those calls over the next days; two each stay open (they are stale by June 30). On June 24 alex takes
a promise to pay due June 26 (broken by June 30), sam and jordan take promises due next week, alex
disputes an invoice and the manager morgan puts another invoice of that customer on a payment plan.
On June 30, 09:00 UTC — where the clock stays — the day's cycle runs, and the mail server refuses its
first message (an alert). Every change goes through the services, as the web pages and the API make
them. Nothing here is a real company or person (the demo's names and addresses are made up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import Message
from pathlib import Path

from sqlalchemy import func, select

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.adapters.email import FileTransport
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.demo import DEMO_PASSWORD
from arrears.domain.currencies import minor_unit
from arrears.domain.emails import PermanentFailure
from arrears.domain.users import User
from arrears.services import cycle, disputes, plans, task_list, tasks
from arrears.services.demo import load_demo

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
FIRST_CYCLE = TODAY - 8 * DAY
CUSTOMERS = 60
SEED = 7
PASSWORD = DEMO_PASSWORD


class FirstMessageRefused:
    """The mail server of the day: it refuses the first message for good and takes the rest (as files)."""

    def __init__(self, folder: Path) -> None:
        self.files = FileTransport(folder)
        self.refused: list[str] = []

    def send(self, message: Message) -> None:
        if not self.refused:
            self.refused.append(str(message["To"]))
            raise PermanentFailure(f"550 5.1.1 <{message['To']}>: mailbox unavailable")
        self.files.send(message)

    def close(self) -> None:
        return None


@dataclass(frozen=True)
class Overdue:
    """An open, past-due invoice of a customer, as the arrangements below pick them."""

    customer: str
    collector: str
    invoice: str
    currency: str
    outstanding_minor: int
    due: date
    invoices: int  # how many invoices the customer has, paid or not


@dataclass
class Showcase:
    arrears: Arrears
    clock: FixedClock
    people: dict[str, User] = field(default_factory=dict)
    promised: str = ""  # alex's customer (a young account) whose promise broke
    disputed: str = ""  # alex's customer with a dispute and a payment plan (several invoices past due)


def build(db_url: str, folder: Path) -> Showcase:
    """The workspace on `db_url` (an empty database), as it stands on June 30 at 09:00 UTC."""
    clock = FixedClock(datetime.combine(FIRST_CYCLE, NOW.timetz()))
    arrears = bootstrap(Settings(database_url=db_url, email_url=f"file://{folder / 'mail'}"), clock)
    arrears.ready()
    load_demo(arrears.uow, arrears.hasher, SEED, TODAY, customers=CUSTOMERS)
    show = Showcase(arrears, clock)
    with arrears.uow() as uow:
        for name in ("demo", "morgan", "alex", "sam", "jordan"):
            user = uow.users.by_name(name)
            assert user is not None
            show.people[name] = user

    cycle.run_cycle(arrears.uow, arrears.workflows(), arrears.mailer(), FIRST_CYCLE)
    _log_most_calls(show)

    clock.at = datetime.combine(TODAY - 6 * DAY, NOW.timetz())
    _promises_disputes_and_a_plan(show)

    clock.at = NOW
    refusing = cycle.Mailer(arrears.templates, FirstMessageRefused(folder / "mail"), arrears.settings.email_from)
    report = cycle.run_cycle(arrears.uow, arrears.workflows(), refusing, TODAY)
    assert report.emails_failed == 1 and report.promises_broken == 1, report.summary(planned=False)
    return show


def _log_most_calls(show: Showcase) -> None:
    """Over the next two days each collector logs the calls and escalations of the first cycle,
    all but the two due first, which stay open."""
    show.clock.at += DAY
    for name in ("alex", "sam", "jordan"):
        user = show.people[name]
        page = task_list.task_list(show.arrears.uow(), user, assignee=name, status="open", limit=500)
        for done, row in enumerate(page.items[2:]):
            outcome = ("answered", "left_voicemail", "not_answered")[done % 3] if row.type == "call" else None
            note = {
                "answered": "Spoke to AP: payment run on Friday.",
                "left_voicemail": "Left a message with the AP line.",
                "not_answered": None,
            }.get(outcome or "", "Passed to the collections agency.")
            tasks.complete_task(show.arrears.uow(), user, row.id, outcome=outcome, note=note)


def _overdue(show: Showcase, collector: str) -> list[Overdue]:
    """The open, past-due invoices of a collector's customers that are still chased, oldest first."""
    i, c, u = t.invoices, t.customers, t.users
    outstanding = i.c.amount_minor - i.c.paid_minor - i.c.credited_minor - i.c.written_off_minor
    every = t.invoices.alias("every")
    count = select(func.count()).where(every.c.customer_id == c.c.id).scalar_subquery()
    query = (
        select(c.c.external_id, u.c.name, i.c.external_id, i.c.currency, outstanding, i.c.due_date, count)
        .join(c, c.c.id == i.c.customer_id)
        .join(u, u.c.id == c.c.collector_id)
        .where(
            u.c.name == collector,
            i.c.status == "open",
            i.c.due_date < show.clock.today(),
            outstanding > 0,
            i.c.disputed.is_(False),
            i.c.plan_id.is_(None),
            c.c.on_hold.is_(False),
        )
        .order_by(i.c.due_date, i.c.id)
    )
    with show.arrears.engine.connect() as connection:
        return [Overdue(*row) for row in connection.execute(query)]


def _amount(minor: int, currency: str) -> str:
    return str(Decimal(minor).scaleb(-minor_unit(currency)))


def _promise(show: Showcase, owing: Overdue, due: date) -> None:
    user = show.people[owing.collector]
    amount = _amount(owing.outstanding_minor, owing.currency)
    new = tasks.NewTask(
        owing.customer,
        "expected_payment",
        f"Promised to pay {owing.invoice} by transfer",
        due_date=due,
        invoice_external_ids=(owing.invoice,),
        expected_amount=amount,
        expected_date=due,
    )
    tasks.create_task(show.arrears.uow(), user, new)


def _promises_disputes_and_a_plan(show: Showcase) -> None:
    alex = _overdue(show, "alex")
    # A young account (its record fits a screen): its most recent past-due invoice.
    broken = [o for o in alex if o.invoices == min(o.invoices for o in alex)][-1]
    _promise(show, broken, TODAY - 4 * DAY)
    show.promised = broken.customer
    _promise(show, _overdue(show, "sam")[-1], TODAY + 2 * DAY)
    _promise(show, _overdue(show, "jordan")[-1], TODAY + DAY)

    # An account with several invoices past due, and not too many invoices (its record fits a page).
    others = [o for o in alex if o.customer != broken.customer]
    late = {name: [o for o in others if o.customer == name] for name in {o.customer for o in others}}
    several = [name for name, owed in late.items() if len(owed) > 1]
    customer = min(several, key=lambda name: (late[name][0].invoices, -len(late[name]), name))
    theirs = [o for o in others if o.customer == customer]
    show.disputed = customer
    disputes.open_dispute(
        show.arrears.uow(),
        show.people["alex"],
        theirs[-1].invoice,
        "pricing",
        note="Billed at the list price; their contract price is 8% lower.",
    )
    planned = theirs[0]
    first = planned.outstanding_minor // 2
    plans.create_plan(
        show.arrears.uow(),
        show.people["morgan"],
        [planned.invoice],
        [
            (TODAY + 15 * DAY, _amount(first, planned.currency)),
            (TODAY + 46 * DAY, _amount(planned.outstanding_minor - first, planned.currency)),
        ],
    )


def csv_of(header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    lines = [",".join(header), *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()
