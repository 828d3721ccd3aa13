"""The aging report: outstanding per customer and bucket as of a date, one report per currency."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter

from ..domain.aging import BUCKETS, AgingLine
from .ports import AgingRow, UnitOfWork


@dataclass
class CustomerAging:
    external_id: str
    name: str
    line: AgingLine


@dataclass
class AgingReport:
    as_of: date
    currency: str
    customers: list[CustomerAging] = field(default_factory=list)
    total: AgingLine | None = None

    def as_dict(self) -> dict[str, object]:
        """The JSON document of docs/csv.md for one currency."""
        assert self.total is not None
        return {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "buckets": list(BUCKETS),
            "customers": [{"external_id": c.external_id, "name": c.name, **c.line.amounts()} for c in self.customers],
            "total": self.total.amounts(),
        }


def aging_report(uow: UnitOfWork, as_of: date) -> list[AgingReport]:
    """One report per currency, customers by name; unapplied cash and credit reported apart."""
    with _collector_paused():
        return _aging_report(uow, as_of)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a report is built.

    A report over a large ledger is hundreds of thousands of small objects, all kept and none in a
    cycle: each pass of the collector would free nothing, yet walk them and everything else alive
    (at 64,000 customers it cost about as much as building the report). Reference counting still
    frees what is dropped.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _aging_report(uow: UnitOfWork, as_of: date) -> list[AgingReport]:
    with uow:
        rows = list(uow.reports.aging(as_of))
    by_currency: dict[str, list[AgingRow]] = {}
    for row in rows:
        by_currency.setdefault(row.currency, []).append(row)
    reports = []
    for currency in sorted(by_currency):
        group = by_currency[currency]
        # By name, then external id: two stable sorts on plain strings compare faster than one on tuples.
        group.sort(key=attrgetter("external_id"))
        group.sort(key=lambda row: row.name.casefold())
        report = AgingReport(as_of, currency)
        report.customers = [
            CustomerAging(
                row.external_id, row.name, AgingLine(currency, row.buckets, row.unapplied_cash, row.unapplied_credit)
            )
            for row in group
        ]
        report.total = AgingLine(
            currency,
            tuple(sum(column) for column in zip(*map(attrgetter("buckets"), group), strict=True)),
            sum(map(attrgetter("unapplied_cash"), group)),
            sum(map(attrgetter("unapplied_credit"), group)),
        )
        reports.append(report)
    return reports
