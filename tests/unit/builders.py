"""Builders for the unit tests of the domain: small plain values with sensible defaults, each
overridden by name (`make_task(due=date(2026, 5, 31))`), and the Hypothesis strategies the
properties draw from. Nothing here touches a database, a file or the clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st

from arrears.domain.currencies import MINOR_UNITS
from arrears.domain.money import MAX_MINOR, Money
from arrears.domain.plans import Instalment
from arrears.domain.records import FieldError, Lookups
from arrears.domain.tasks import Promise, Task, TaskStatus, TaskType
from arrears.domain.users import Role, User
from arrears.domain.workflows import Step, TaskSpec, Workflow

# The day the rules run for, and the moment a user acts on it.
TODAY = date(2026, 5, 31)
NOW = datetime(2026, 5, 31, 9, 30, tzinfo=UTC)

OLIVIA = User(1, "olivia", Role.OWNER, "olivia@example.com")
MORGAN = User(2, "morgan", Role.MANAGER, "morgan@example.com")
MARIA = User(3, "maria", Role.CONTRIBUTOR, "maria@example.com")
SAM = User(4, "sam", Role.CONTRIBUTOR, None)


def days(n: int) -> timedelta:
    return timedelta(days=n)


# -- tasks and promises --------------------------------------------------------------------------


def make_task(
    *,
    id: int | None = 7,
    customer_id: int = 1,
    type: TaskType = TaskType.CALL,
    description: str = "Call about INV-1",
    assignee: int | None = MARIA.id,
    due: date = TODAY,
    status: TaskStatus = TaskStatus.OPEN,
    issue_id: int | None = 5,
    contact_id: int | None = 9,
    invoice_ids: tuple[int, ...] = (11, 12),
    note: str | None = None,
    promise: Promise | None = None,
    version: int = 1,
) -> Task:
    return Task(
        id=id,
        customer_id=customer_id,
        type=type,
        description=description,
        assignee_id=assignee,
        due_date=due,
        status=status,
        issue_id=issue_id,
        contact_id=contact_id,
        invoice_ids=invoice_ids,
        note=note,
        promise=promise,
        version=version,
    )


A_WEEK_AGO = TODAY - timedelta(days=7)


def make_promise(
    *, amount_minor: int = 50_000, currency: str = "USD", due: date = TODAY, made_on: date = A_WEEK_AGO
) -> Promise:
    return Promise(amount_minor=amount_minor, currency=currency, due=due, made_on=made_on)


# -- payment plans -------------------------------------------------------------------------------


def instalment(due: date, amount_minor: int) -> Instalment:
    return Instalment(due_date=due, amount_minor=amount_minor)


# -- workflows -----------------------------------------------------------------------------------


def make_step(
    name: str,
    *,
    days: int | None = None,
    on: str | None = None,
    email: str | None = "past_due",
    task: TaskSpec | None = None,
) -> Step:
    return Step(name=name, days=days, on=on, email=email, task=task)


def make_workflow(*steps: Step, name: str = "standard", tags: tuple[str, ...] = ()) -> Workflow:
    return Workflow(name, tuple(steps), tags)


def toml(*lines: str) -> str:
    """A workflow file, one argument a line: line N of the file is the Nth argument."""
    return "\n".join(lines) + "\n"


# -- import rows ---------------------------------------------------------------------------------

# C1 is an account in US dollars, J1 in yen (no decimals), K1 in Kuwaiti dinars (three decimals).
LOOKUPS = Lookups(
    customers={"C1": (1, "USD"), "J1": (2, "JPY"), "K1": (3, "KWD")},
    users={"olivia": OLIVIA.id, "morgan": MORGAN.id, "maria": MARIA.id},
)


def customer_row(**columns: str) -> dict[str, str]:
    return {"external_id": "C7", "name": "Acme Ltd", **columns}


def contact_row(**columns: str) -> dict[str, str]:
    return {"customer_external_id": "C1", "name": "Ann Lee", **columns}


def invoice_row(**columns: str) -> dict[str, str]:
    return {
        "external_id": "INV-1",
        "customer_external_id": "C1",
        "issue_date": "2026-05-01",
        "due_date": "2026-05-31",
        "amount": "1234.50",
        **columns,
    }


def payment_row(**columns: str) -> dict[str, str]:
    return {"external_id": "P-1", "customer_external_id": "C1", "date": "2026-06-02", "amount": "200.00", **columns}


def credit_score_row(**columns: str) -> dict[str, str]:
    return {"customer_external_id": "C1", "date": "2026-05-01", "score": "640", **columns}


Parser = Callable[[Mapping[str, str], Lookups], tuple[object, list[FieldError]]]


def errors_of(parse: Parser, row: Mapping[str, str], lookups: Lookups = LOOKUPS) -> list[tuple[str, str]]:
    """(column, reason) of each error the parser reports for the row, in the order it found them."""
    _, errors = parse(row, lookups)
    return [(error.column, error.reason) for error in errors]


def columns_in_error(parse: Parser, row: Mapping[str, str], lookups: Lookups = LOOKUPS) -> list[str]:
    return [column for column, _ in errors_of(parse, row, lookups)]


# -- properties ----------------------------------------------------------------------------------

# Fast and repeatable enough for the unit suite; no example database written to the work tree.
PROPERTY = settings(max_examples=50, deadline=None, database=None)

currencies = st.sampled_from(sorted(MINOR_UNITS))
minors = st.integers(min_value=-MAX_MINOR, max_value=MAX_MINOR)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def moneys(draw: st.DrawFn, currency: str | None = None) -> Money:
    code = currency if currency is not None else draw(currencies)
    return Money(draw(minors), code)


@st.composite
def two_currencies(draw: st.DrawFn) -> tuple[str, str]:
    first = draw(currencies)
    second = draw(currencies.filter(lambda code: code != first))
    return first, second
