"""The management reports over a period (docs/reports.md): DSO, CEI and their trend by month,
promises to pay, disputes by reason, and each collector's work. The formulas are in
domain/reports.py; every figure is per currency, never summed across currencies.

Each report is a value with `as_dict()`, the JSON document of the contract (amounts as decimal
strings, ratios as numbers with one decimal or null), which the CLI and the pages print.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ..domain import reports as rules
from ..domain.aging import BUCKETS
from ..domain.errors import NotFound
from ..domain.money import format_minor
from ..domain.permissions import Action, require
from ..domain.reports import Period, Receivables
from ..domain.tasks import CallResult
from ..domain.users import User
from .ports import UnitOfWork
from .workspace_ports import AgingTotal

# The currency of an empty report: there is no ledger to take one from.
EMPTY_CURRENCY = "USD"
CALL_OUTCOMES = tuple(r.value for r in CallResult)

# The columns of each report's CSV (and of its table), in order; None is an empty cell.
DSO_FIELDS = ("currency", "from", "to", "dso", "best_possible_dso", "add", "sales", "ar", "current_ar")
CEI_FIELDS = ("currency", "from", "to", "cei", "opening_ar", "sales", "closing_ar", "current_ar")
MONTH_FIELDS = (
    "currency",
    "from",
    "to",
    "dso",
    "best_possible_dso",
    "add",
    "cei",
    "sales",
    "opening_ar",
    "ar",
    "current_ar",
)
PROMISE_FIELDS = ("currency", "kept", "broken", "open", "closed_by_hand", "kept_rate", "promised", "kept_amount")
DISPUTE_FIELDS = (
    "reason",
    "currency",
    "opened",
    "amount",
    "resolved",
    "rejected",
    "open",
    "open_amount",
    "median_days_to_resolve",
)
Table = tuple[list[str], list[list[Any]]]


def table_of(documents: Sequence[dict[str, Any]], fields: Sequence[str]) -> Table:
    """The `fields` of each document, as a header and rows."""
    return list(fields), [[document[f] for f in fields] for document in documents]


def _number(value: Decimal | None) -> float | None:
    """A one-decimal ratio as a JSON number (45.3), or null. The Decimal is already rounded: its
    float prints the same digits."""
    return None if value is None else float(value)


def _span(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def _instants(period: Period, timezone: str) -> tuple[datetime, datetime]:
    """The period as [since, until) in UTC: from midnight of its first day to midnight after its
    last, in the workspace's time zone."""
    zone = ZoneInfo(timezone)
    since = datetime.combine(period.start, time(), zone)
    until = datetime.combine(period.end + timedelta(days=1), time(), zone)
    return since, until


# -- DSO and CEI ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivablesLine:
    """One currency's DSO and CEI figures over one period."""

    currency: str
    period: Period
    figures: Receivables

    @property
    def dso(self) -> rules.Dso:
        return rules.dso(self.figures, self.period.days)

    @property
    def cei(self) -> Decimal | None:
        return rules.cei(self.figures)

    def dso_dict(self) -> dict[str, Any]:
        dso = self.dso
        return {
            "currency": self.currency,
            **_span(self.period),
            "dso": _number(dso.dso),
            "best_possible_dso": _number(dso.best_possible_dso),
            "add": _number(dso.add),
            "sales": format_minor(self.figures.sales, self.currency),
            "ar": format_minor(self.figures.closing, self.currency),
            "current_ar": format_minor(self.figures.current, self.currency),
        }

    def month_dict(self) -> dict[str, Any]:
        """One month of a trend: its DSO figures and its CEI."""
        document = self.dso_dict()
        del document["currency"]
        return {**document, "cei": _number(self.cei), "opening_ar": format_minor(self.figures.opening, self.currency)}

    def cei_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            **_span(self.period),
            "cei": _number(self.cei),
            "opening_ar": format_minor(self.figures.opening, self.currency),
            "sales": format_minor(self.figures.sales, self.currency),
            "closing_ar": format_minor(self.figures.closing, self.currency),
            "current_ar": format_minor(self.figures.current, self.currency),
        }


def receivables(uow: UnitOfWork, period: Period) -> list[ReceivablesLine]:
    """One line per currency of the ledger (one in USD with zeros on an empty ledger)."""
    with uow:
        figures = uow.reports.receivables([period])
    return _lines(figures, period)


def _lines(figures: dict[str, list[Receivables]], period: Period) -> list[ReceivablesLine]:
    """The lines of `period` from the adapter's figures, whose first in each list is the period's."""
    if not figures:
        return [ReceivablesLine(EMPTY_CURRENCY, period, Receivables(0, 0, 0, 0))]
    return [ReceivablesLine(currency, period, lines[0]) for currency, lines in figures.items()]


@dataclass(frozen=True)
class Trend:
    """DSO and CEI by calendar month, per currency: one statement for every month."""

    period: Period
    lines: dict[str, list[ReceivablesLine]]

    def table(self, fields: Sequence[str] = MONTH_FIELDS) -> Table:
        """One row per currency and month."""
        months = [{"currency": c, **line.month_dict()} for c, lines in self.lines.items() for line in lines]
        return table_of(months, fields)

    def as_dict(self) -> list[dict[str, Any]]:
        return [
            {
                "currency": currency,
                **_span(self.period),
                "months": [line.month_dict() for line in lines],
            }
            for currency, lines in self.lines.items()
        ]


def trend(uow: UnitOfWork, period: Period) -> Trend:
    with uow:
        figures = uow.reports.receivables(period.months())
    return _trend(figures, period)


def _trend(figures: dict[str, list[Receivables]], period: Period) -> Trend:
    """The trend over `period` from the adapter's figures of its months, in order."""
    months = period.months()
    if not figures:
        figures = {EMPTY_CURRENCY: [Receivables(0, 0, 0, 0)] * len(months)}
    return Trend(
        period,
        {
            currency: [ReceivablesLine(currency, m, f) for m, f in zip(months, lines, strict=True)]
            for currency, lines in figures.items()
        },
    )


# -- promises ----------------------------------------------------------------------------------------


@dataclass
class PromiseLine:
    currency: str
    kept: int = 0
    broken: int = 0
    open: int = 0
    closed_by_hand: int = 0
    promised_minor: int = 0
    kept_minor: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "kept": self.kept,
            "broken": self.broken,
            "open": self.open,
            "closed_by_hand": self.closed_by_hand,
            "kept_rate": _number(rules.kept_rate(self.kept, self.broken)),
            "promised": format_minor(self.promised_minor, self.currency),
            "kept_amount": format_minor(self.kept_minor, self.currency),
        }


@dataclass(frozen=True)
class PromisesReport:
    period: Period
    rows: list[PromiseLine]

    def as_dict(self) -> dict[str, Any]:
        return {**_span(self.period), "rows": [row.as_dict() for row in self.rows]}

    def table(self) -> Table:
        return table_of(self.as_dict()["rows"], PROMISE_FIELDS)


def promises(uow: UnitOfWork, period: Period) -> PromisesReport:
    """Promises to pay whose date falls in the period, per currency: kept, broken, still open (and
    closed by hand, which count in neither), with the kept rate and the amounts promised and kept."""
    with uow:
        counts = uow.reports.promises(period.start, period.end)
    lines: dict[str, PromiseLine] = {}
    for row in counts:
        line = lines.setdefault(row.currency, PromiseLine(row.currency))
        setattr(line, "closed_by_hand" if row.state == "done" else row.state, row.number)
        line.promised_minor += row.amount_minor
        if row.state == "kept":
            line.kept_minor = row.amount_minor
    return PromisesReport(period, [lines[c] for c in sorted(lines)])


# -- disputes ----------------------------------------------------------------------------------------


@dataclass
class DisputeLine:
    reason: str
    currency: str
    opened: int = 0
    amount_minor: int = 0
    resolved: int = 0
    rejected: int = 0
    open: int = 0
    open_minor: int = 0
    days_to_resolve: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "currency": self.currency,
            "opened": self.opened,
            "amount": format_minor(self.amount_minor, self.currency),
            "resolved": self.resolved,
            "rejected": self.rejected,
            "open": self.open,
            "open_amount": format_minor(self.open_minor, self.currency),
            "median_days_to_resolve": _number(rules.median_days(self.days_to_resolve)),
        }


@dataclass(frozen=True)
class DisputesReport:
    period: Period
    rows: list[DisputeLine]

    def as_dict(self) -> dict[str, Any]:
        return {**_span(self.period), "rows": [row.as_dict() for row in self.rows]}

    def table(self) -> Table:
        return table_of(self.as_dict()["rows"], DISPUTE_FIELDS)


def disputes(uow: UnitOfWork, period: Period, timezone: str) -> DisputesReport:
    """Per reason code and currency: disputes opened in the period and their amount, resolved and
    rejected in it, open at its end, and the median days from opening to resolving (the calendar
    days between the two dates in the workspace's time zone) of those resolved in it. Rows by the
    number opened, most first."""
    since, until = _instants(period, timezone)
    with uow:
        activity = uow.reports.disputes(since, until, timezone)
    lines: dict[tuple[str, str], DisputeLine] = {}

    def line(reason: str, currency: str) -> DisputeLine:
        return lines.setdefault((reason, currency), DisputeLine(reason, currency))

    for row in activity.opened:
        opened = line(row.reason, row.currency)
        opened.opened, opened.amount_minor = row.number, row.amount_minor
    for row in activity.open_at_end:
        still = line(row.reason, row.currency)
        still.open, still.open_minor = row.number, row.amount_minor
    for row in activity.rejected:
        line(row.reason, row.currency).rejected = row.number
    for resolved in activity.resolved:
        target = line(resolved.reason, resolved.currency)
        target.resolved += resolved.number
        target.days_to_resolve.extend([resolved.days] * resolved.number)
    rows = sorted(lines.values(), key=lambda r: (-r.opened, -r.open, r.reason, r.currency))
    return DisputesReport(period, rows)


# -- the team's work ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductivityLine:
    user: str | None  # None: the customers without a collector
    tasks_completed: int
    calls: dict[str, int]
    promises_taken: int
    emails_sent: int
    collected: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        calls = {outcome: self.calls.get(outcome, 0) for outcome in CALL_OUTCOMES}
        calls |= {k: v for k, v in sorted(self.calls.items()) if k not in calls}
        return {
            "user": self.user,
            "tasks_completed": self.tasks_completed,
            "calls": calls,
            "promises_taken": self.promises_taken,
            "emails_sent": self.emails_sent,
            "collected": {c: format_minor(m, c) for c, m in sorted(self.collected.items())},
        }


@dataclass(frozen=True)
class ProductivityReport:
    period: Period
    rows: list[ProductivityLine]

    def as_dict(self) -> dict[str, Any]:
        return {**_span(self.period), "rows": [row.as_dict() for row in self.rows]}

    def currencies(self) -> list[str]:
        return sorted({c for row in self.rows for c in row.collected})

    def call_outcomes(self) -> list[str]:
        extra = sorted({k for row in self.rows for k in row.calls} - set(CALL_OUTCOMES))
        return [*CALL_OUTCOMES, *extra]

    def table(self, no_user: str | None = None) -> Table:
        """One row per user: a column per call result and per currency collected; the row of the
        customers with no collector names `no_user` as its user."""
        outcomes, currencies = self.call_outcomes(), self.currencies()
        header = [
            "user",
            "tasks_completed",
            *(f"calls_{o}" for o in outcomes),
            "promises_taken",
            "emails_sent",
            *(f"collected_{c}" for c in currencies),
        ]
        rows = [
            [
                row["user"] if row["user"] is not None else no_user,
                row["tasks_completed"],
                *(row["calls"].get(o, 0) for o in outcomes),
                row["promises_taken"],
                row["emails_sent"],
                *(row["collected"].get(c, format_minor(0, c)) for c in currencies),
            ]
            for row in self.as_dict()["rows"]
        ]
        return header, rows


def productivity(uow: UnitOfWork, period: Period, timezone: str) -> ProductivityReport:
    """Per user: tasks completed and calls by outcome (by who completed them), promises taken (by
    who recorded them), and the reminders sent to and the payments dated in the period on the
    customers they collect; active users by name, then a row of no user for the customers with no
    collector when anything happened on them."""
    since, until = _instants(period, timezone)
    with uow:
        rows = uow.reports.productivity(period, since, until)
    return ProductivityReport(
        period,
        [
            ProductivityLine(
                row.name, row.tasks_completed, row.calls, row.promises_taken, row.emails_sent, row.collected
            )
            for row in rows
        ],
    )


# -- the reports pages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """Everything the reports page shows for a period: aging on its last day, DSO and CEI over it,
    their trend over the 12 months to its end, promises, disputes and the team's work."""

    period: Period
    aging: list[AgingTotal]
    lines: list[ReceivablesLine]
    trend: Trend
    promises: PromisesReport
    disputes: DisputesReport
    productivity: ProductivityReport

    @property
    def currencies(self) -> list[str]:
        return sorted({line.currency for line in self.lines} | {a.currency for a in self.aging})


def overview(uow: UnitOfWork, user: User, period: Period, timezone: str) -> Overview:
    """The reports page (managers and owners): each report in its own short transaction (DSO, CEI
    and their trend in one)."""
    require(user, Action.READ_REPORTS)
    with uow:
        aging = [total for total in uow.dashboard.aging_totals(period.end) if any(total.buckets)]
    # DSO and CEI over the period and their trend by month in one statement: one pass over the
    # invoices and the payments serves both.
    over = Period.trend(period.end)
    with uow:
        figures = uow.reports.receivables([period, *over.months()])
    return Overview(
        period,
        aging,
        _lines(figures, period),
        _trend({currency: lines[1:] for currency, lines in figures.items()}, over),
        promises(uow, period),
        disputes(uow, period, timezone),
        productivity(uow, period, timezone),
    )


KINDS = ("aging", "dso", "cei", "trend", "promises", "disputes", "productivity")


def report_table(uow: UnitOfWork, user: User, kind: str, period: Period, timezone: str) -> Table:
    """One report of the page as the CSV it downloads: the CLI's columns (aging: the company's
    buckets per currency on the period's last day; trend: by month over the 12 months to its end)."""
    require(user, Action.READ_REPORTS)
    if kind == "aging":
        with uow:
            totals = uow.dashboard.aging_totals(period.end)
        header = ["currency", "as_of", *BUCKETS, "total"]
        return header, [
            [
                t.currency,
                period.end.isoformat(),
                *(format_minor(m, t.currency) for m in t.buckets),
                format_minor(sum(t.buckets), t.currency),
            ]
            for t in totals
        ]
    if kind in ("dso", "cei"):
        lines = receivables(uow, period)
        if kind == "dso":
            return table_of([line.dso_dict() for line in lines], DSO_FIELDS)
        return table_of([line.cei_dict() for line in lines], CEI_FIELDS)
    if kind == "trend":
        return trend(uow, Period.trend(period.end)).table()
    if kind == "promises":
        return promises(uow, period).table()
    if kind == "disputes":
        return disputes(uow, period, timezone).table()
    if kind == "productivity":
        return productivity(uow, period, timezone).table()
    raise NotFound(f"no report {kind!r}: use one of {', '.join(KINDS)}")
