"""The demo ledger: a made-up but realistic accounts-receivable book, generated from a seed.

`generate` is pure: a seed and the ledger's "today" (`as_of`) in, rows in the CSV formats of
docs/csv.md out. Customers pay the way real ones do — prompt, late, in parts, or hardly at all — so
every aging bucket fills. Each part of the ledger draws from its own random stream (seeded from the
seed and the part's name), so a later part can be added without changing the rows of the others.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from ..domain.errors import InvalidValue
from ..domain.money import format_minor
from .vocabulary import (
    CONTACT_ROLES,
    CREDIT_REASONS,
    FIRST_NAMES,
    ON_ACCOUNT_REASONS,
    PLACES,
    REGIONS,
    SEGMENTS,
    SURNAMES,
    TRADES,
    Region,
    Segment,
)

DEFAULT_CUSTOMERS = 300
MAX_CUSTOMERS = 2_000  # the word lists make about 6,900 distinct company names
DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed by `arrears demo`: it guards made-up data
HISTORY_DAYS = 548  # invoices span the 18 months before `as_of`

Row = dict[str, str]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DemoUser:
    name: str
    role: str
    email: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("demo", "owner", "demo@example.com"),
    DemoUser("morgan", "manager", "morgan@example.com"),
    DemoUser("alex", "contributor", "alex@example.com"),
    DemoUser("sam", "contributor", "sam@example.com"),
    DemoUser("jordan", "contributor", "jordan@example.com"),
)
COLLECTORS: tuple[str, ...] = tuple(u.name for u in DEMO_USERS if u.role == "contributor")

# The columns each file gets, in the names of docs/csv.md.
HEADERS: dict[str, tuple[str, ...]] = {
    "customers": (
        "external_id",
        "name",
        "currency",
        "payment_terms_days",
        "credit_limit",
        "collector",
        "email",
        "phone",
        "tags",
        "on_hold",
    ),
    "contacts": ("external_id", "customer_external_id", "name", "email", "phone", "role", "receives_reminders"),
    "invoices": ("external_id", "customer_external_id", "number", "issue_date", "due_date", "amount", "status"),
    "payments": ("external_id", "customer_external_id", "date", "amount", "invoice_external_id", "method"),
    "credit-notes": ("external_id", "customer_external_id", "date", "amount", "invoice_external_id", "reason"),
    "credit-scores": ("customer_external_id", "date", "score", "max_score", "rating", "source"),
}


class Behaviour(StrEnum):
    """How a customer pays; the demo's hidden truth, which the aging should reveal."""

    PROMPT = "prompt"  # on or before the due date
    LATE = "late"  # 10 to 60 days after it
    PARTIAL = "partial"  # in two or three parts, sometimes never the last
    CHRONIC = "chronic"  # months late, or never: the 91+ bucket


BEHAVIOUR_SHARES = (
    (Behaviour.PROMPT, 0.40),
    (Behaviour.LATE, 0.30),
    (Behaviour.PARTIAL, 0.15),
    (Behaviour.CHRONIC, 0.15),
)


@dataclass(frozen=True, slots=True)
class _Customer:
    external_id: str
    name: str
    region: Region
    segment: Segment
    behaviour: Behaviour
    terms: int
    typical_minor: int
    interval: int
    since: date
    fixed_price: bool
    domain: str


@dataclass(slots=True)
class _Invoice:
    customer: _Customer
    issue: date
    due: date
    amount_minor: int
    void: bool
    external_id: str = ""


@dataclass(slots=True)
class _Cash:
    """A payment allocation or a credit note, before it gets its external id."""

    customer: _Customer
    day: date
    amount_minor: int
    invoice: _Invoice | None
    note: str


@dataclass
class DemoLedger:
    """The demo's rows per CSV kind, and the behaviour each customer was given."""

    seed: int
    as_of: date
    users: tuple[DemoUser, ...]
    rows: dict[str, list[Row]]
    behaviours: dict[str, Behaviour] = field(default_factory=dict)


def _stream(seed: int, part: str) -> random.Random:
    """The random stream of one part of the ledger (string seeds are stable across runs and platforms)."""
    return random.Random(f"arrears-demo:{seed}:{part}")


def _quota(rng: random.Random, shares: Sequence[tuple[T, float]], count: int) -> list[T]:
    """`count` items in the given shares, each present at least once when count allows, shuffled."""
    counts = [round(count * share) for _, share in shares]
    if count >= len(shares):
        counts = [max(1, n) for n in counts]
    counts[0] += count - sum(counts)  # the largest share absorbs the rounding
    items = [value for (value, _), n in zip(shares, counts, strict=True) for _ in range(n)]
    rng.shuffle(items)
    return items


def _weighted(rng: random.Random, options: Sequence[tuple[T, float]]) -> T:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _round_to(value: float, step: int) -> int:
    """`value` minor units rounded to a multiple of `step` (e.g. 100: whole dollars)."""
    return round(value / step) * step


def _slug(name: str) -> str:
    words = [w for w in "".join(c if c.isalnum() else " " for c in name.lower()).split() if w]
    return "-".join(
        w for w in words if w not in ("inc", "llc", "corp", "co", "ltd", "plc", "llp", "sas", "sarl", "s", "a")
    )


def _customers(seed: int, count: int, as_of: date) -> list[_Customer]:
    rng = _stream(seed, "customers")
    behaviours = _quota(rng, BEHAVIOUR_SHARES, count)
    regions = _quota(rng, [(r, r.share) for r in REGIONS], count)
    start = as_of - timedelta(days=HISTORY_DAYS)
    names: set[str] = set()
    customers: list[_Customer] = []
    for number, (behaviour, region) in enumerate(zip(behaviours, regions, strict=True), start=1):
        segment = _weighted(rng, [(s, s.share) for s in SEGMENTS])
        base = ""
        while not base or base in names:  # unique without the suffix, so that email domains are too
            pattern = rng.random()
            if pattern < 0.55:
                base = f"{rng.choice(PLACES)} {rng.choice(TRADES)}"
            elif pattern < 0.8:
                base = f"{rng.choice(SURNAMES)} {rng.choice(TRADES)}"
            else:
                first, second = rng.sample(SURNAMES, 2)
                base = f"{first} & {second}"
        names.add(base)
        name = f"{base} {rng.choice(region.suffixes)}"
        typical = max(50, round(segment.typical_amount * rng.lognormvariate(0, 0.5)))
        # Most customers were there before the window opened; some were won during it.
        since = start if rng.random() < 0.75 else start + timedelta(days=rng.randrange(HISTORY_DAYS - 30))
        customers.append(
            _Customer(
                external_id=f"CUST-{number:04d}",
                name=name,
                region=region,
                segment=segment,
                behaviour=behaviour,
                terms=_weighted(rng, segment.terms),
                typical_minor=typical * 100,
                interval=_weighted(rng, segment.intervals),
                since=since,
                fixed_price=rng.random() < 0.3,
                domain=f"{_slug(name)}.example.com",
            )
        )
    return customers


def _customer_rows(seed: int, customers: list[_Customer]) -> list[Row]:
    rng = _stream(seed, "customer-details")
    rows: list[Row] = []
    for customer in customers:
        monthly = customer.typical_minor * 30 // customer.interval
        credit_limit = max(500_000, _round_to(monthly * rng.choice((2, 3, 4)), 100_000))
        on_hold = customer.behaviour is Behaviour.CHRONIC and rng.random() < 0.35
        rows.append(
            {
                "external_id": customer.external_id,
                "name": customer.name,
                "currency": customer.region.currency,
                "payment_terms_days": str(customer.terms),
                "credit_limit": format_minor(credit_limit, customer.region.currency),
                "collector": rng.choice(COLLECTORS),
                "email": f"{rng.choice(('ap', 'accounts', 'invoices', 'billing'))}@{customer.domain}",
                "phone": customer.region.phone(rng),
                "tags": f"{customer.segment.name};{customer.region.code}",
                "on_hold": "true" if on_hold else "false",
            }
        )
    return rows


def _contact_rows(seed: int, customers: list[_Customer]) -> list[Row]:
    rng = _stream(seed, "contacts")
    rows: list[Row] = []
    for customer in customers:
        people = rng.choices((1, 2, 3), weights=(0.35, 0.45, 0.2))[0]
        roles = ["Accounts Payable", *rng.sample(CONTACT_ROLES, people - 1)]
        used: set[str] = set()
        for role in roles:
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            while f"{first} {last}" in used:
                first = rng.choice(FIRST_NAMES)
            used.add(f"{first} {last}")
            rows.append(
                {
                    "external_id": f"CON-{len(rows) + 1:05d}",
                    "customer_external_id": customer.external_id,
                    "name": f"{first} {last}",
                    "email": f"{first.lower()}.{last.lower()}@{customer.domain}",
                    "phone": customer.region.phone(rng),
                    "role": role,
                    "receives_reminders": "true" if role in ("Accounts Payable", "AP Clerk", "Bookkeeper") else "false",
                }
            )
    return rows


def _invoices(seed: int, customers: list[_Customer], as_of: date) -> list[_Invoice]:
    """Invoices over the window, numbered in issue order as an ERP would."""
    rng = _stream(seed, "invoices")
    invoices: list[_Invoice] = []
    for customer in customers:
        day = customer.since + timedelta(days=rng.randrange(customer.interval))
        jitter = max(1, customer.interval // 10)
        while day <= as_of:
            if customer.fixed_price:
                amount = customer.typical_minor
            else:
                amount = max(2_500, round(customer.typical_minor * rng.uniform(0.4, 1.6)))
            invoices.append(
                _Invoice(customer, day, day + timedelta(days=customer.terms), amount, void=rng.random() < 0.01)
            )
            day += timedelta(days=customer.interval + rng.randint(-jitter, jitter))
    invoices.sort(key=lambda i: (i.issue, i.customer.external_id))
    for number, invoice in enumerate(invoices, start=100_001):
        invoice.external_id = f"INV-{number}"
    return invoices


def _settlements(seed: int, invoices: list[_Invoice], as_of: date) -> tuple[list[_Cash], list[_Cash]]:
    """(payments, credit notes) on the invoices, each dated on or before `as_of`."""
    rng = _stream(seed, "settlements")
    payments: list[_Cash] = []
    credits: list[_Cash] = []
    for invoice in invoices:
        if invoice.void:
            continue
        customer = invoice.customer
        outstanding = invoice.amount_minor
        if rng.random() < 0.03:
            day = invoice.issue + timedelta(days=rng.randint(5, 40))
            credit = max(100, _round_to(invoice.amount_minor * rng.uniform(0.05, 0.3), 100))
            if day <= as_of and credit < outstanding:
                credits.append(_Cash(customer, day, credit, invoice, rng.choice(CREDIT_REASONS)))
                outstanding -= credit
        method = rng.choice(customer.region.methods)
        for day, amount in _instalments(rng, customer, invoice, outstanding):
            if day <= as_of:
                payments.append(_Cash(customer, day, amount, invoice, method))
    return payments, credits


def _instalments(
    rng: random.Random, customer: _Customer, invoice: _Invoice, outstanding: int
) -> list[tuple[date, int]]:
    """When and how much the customer will pay on this invoice (dates may lie past `as_of`)."""
    due, terms = invoice.due, customer.terms
    match customer.behaviour:
        case Behaviour.PROMPT:
            return [(invoice.issue + timedelta(days=rng.randint(max(1, terms // 3), terms)), outstanding)]
        case Behaviour.LATE:
            late = rng.randint(10, 60) if rng.random() < 0.85 else -rng.randint(0, 5)
            return [(due + timedelta(days=late), outstanding)]
        case Behaviour.PARTIAL:
            if rng.random() < 0.1:
                return [(due + timedelta(days=rng.randint(0, 20)), outstanding)]
            parts = _split(rng, outstanding, rng.choice((2, 3)))
            day = due + timedelta(days=rng.randint(-5, 15))
            plan: list[tuple[date, int]] = []
            for amount in parts:
                plan.append((day, amount))
                day += timedelta(days=rng.randint(14, 45))
            if rng.random() < 0.15:
                plan = plan[:1]  # the rest never comes
            return plan
        case Behaviour.CHRONIC:
            chance = rng.random()
            if chance < 0.2:
                return []
            half = _round_to(outstanding / 2, 100)
            if chance < 0.35 and 0 < half < outstanding:
                return [(due + timedelta(days=rng.randint(60, 120)), half)]  # and never the rest
            return [(due + timedelta(days=rng.randint(45, 200)), outstanding)]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` minor units in up to `parts` payments of round amounts, the last taking the rest."""
    amounts: list[int] = []
    left = total
    for _ in range(parts - 1):
        amount = _round_to(left * rng.uniform(0.25, 0.55), 100)
        if not 0 < amount < left:
            break
        amounts.append(amount)
        left -= amount
    return [*amounts, left]


def _on_account(seed: int, customers: list[_Customer], as_of: date) -> tuple[list[_Cash], list[_Cash]]:
    """A few payments nobody could match to an invoice, and a few credits granted on the account."""
    rng = _stream(seed, "on-account")
    cash = [
        _Cash(
            c,
            as_of - timedelta(days=rng.randint(1, 45)),
            max(10_000, _round_to(c.typical_minor * rng.uniform(0.3, 1.2), 10_000)),
            None,
            rng.choice(c.region.methods),
        )
        for c in rng.sample(customers, max(2, len(customers) // 30))
    ]
    credit = [
        _Cash(
            c,
            as_of - timedelta(days=rng.randint(5, 120)),
            max(5_000, _round_to(c.typical_minor * rng.uniform(0.05, 0.2), 1_000)),
            None,
            rng.choice(ON_ACCOUNT_REASONS),
        )
        for c in rng.sample(customers, max(1, len(customers) // 60))
    ]
    return cash, credit


def _cash_rows(entries: list[_Cash], prefix: str, first: int, note_column: str) -> list[Row]:
    entries = sorted(entries, key=lambda e: (e.day, e.customer.external_id, e.invoice.external_id if e.invoice else ""))
    return [
        {
            "external_id": f"{prefix}-{number}",
            "customer_external_id": entry.customer.external_id,
            "date": entry.day.isoformat(),
            "amount": format_minor(entry.amount_minor, entry.customer.region.currency),
            "invoice_external_id": entry.invoice.external_id if entry.invoice else "",
            note_column: entry.note,
        }
        for number, entry in enumerate(entries, start=first)
    ]


_SCORE_RANGES = {
    Behaviour.PROMPT: (72, 95, 0),
    Behaviour.LATE: (55, 78, 0),
    Behaviour.PARTIAL: (45, 68, -1),
    Behaviour.CHRONIC: (20, 48, -3),
}  # (lowest start, highest start, drift per quarter)


def _rating(score: int) -> str:
    for floor, rating in ((80, "A - low risk"), (60, "B - moderate risk"), (40, "C - elevated risk")):
        if score >= floor:
            return rating
    return "D - high risk"


def _credit_score_rows(seed: int, customers: list[_Customer], as_of: date) -> list[Row]:
    """Quarterly bureau snapshots for most customers; the chronic payers' scores slide."""
    rng = _stream(seed, "credit-scores")
    rows: list[Row] = []
    for customer in customers:
        if rng.random() < 0.2:
            continue  # never checked
        low, high, drift = _SCORE_RANGES[customer.behaviour]
        score = rng.randint(low, high)
        for quarter in range(5, -1, -1):
            day = as_of - timedelta(days=91 * quarter + 3)
            if day < customer.since:
                continue
            score = min(100, max(1, score + drift + rng.randint(-4, 4)))
            rows.append(
                {
                    "customer_external_id": customer.external_id,
                    "date": day.isoformat(),
                    "score": str(score),
                    "max_score": "100",
                    "rating": _rating(score),
                    "source": "Demo Credit Bureau",
                }
            )
    return rows


def generate(seed: int, as_of: date, *, customers: int = DEFAULT_CUSTOMERS) -> DemoLedger:
    """The demo ledger for a seed and a day: the same arguments always give the same rows."""
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise InvalidValue(f"the demo has 1 to {MAX_CUSTOMERS:,} customers, not {customers:,}")
    people = _customers(seed, customers, as_of)
    invoices = _invoices(seed, people, as_of)
    payments, credits = _settlements(seed, invoices, as_of)
    cash, credit = _on_account(seed, people, as_of)
    rows: dict[str, list[Row]] = {
        "customers": _customer_rows(seed, people),
        "contacts": _contact_rows(seed, people),
        "invoices": [
            {
                "external_id": i.external_id,
                "customer_external_id": i.customer.external_id,
                "number": i.external_id.removeprefix("INV-"),
                "issue_date": i.issue.isoformat(),
                "due_date": i.due.isoformat(),
                "amount": format_minor(i.amount_minor, i.customer.region.currency),
                "status": "void" if i.void else "open",
            }
            for i in invoices
        ],
        "payments": _cash_rows(payments + cash, "PAY", 500_001, "method"),
        "credit-notes": _cash_rows(credits + credit, "CN", 70_001, "reason"),
        "credit-scores": _credit_score_rows(seed, people, as_of),
    }
    return DemoLedger(seed, as_of, DEMO_USERS, rows, {c.external_id: c.behaviour for c in people})
