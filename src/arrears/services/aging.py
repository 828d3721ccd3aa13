"""The aging report: outstanding per customer and bucket as of a date, one report per currency."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..domain.aging import BUCKETS, AgingLine
from ..domain.money import Money
from .ports import UnitOfWork


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
        """The JSON document of CONTRACT.md for one currency."""
        assert self.total is not None
        return {
            "as_of": self.as_of.isoformat(),
            "currency": self.currency,
            "buckets": list(BUCKETS),
            "customers": [{"external_id": c.external_id, "name": c.name, **_amounts(c.line)} for c in self.customers],
            "total": _amounts(self.total),
        }


def _amounts(line: AgingLine) -> dict[str, str]:
    assert line.unapplied_cash is not None and line.unapplied_credit is not None
    out = {name: line.buckets[name].to_string() for name in BUCKETS}
    out["total"] = line.total.to_string()
    out["unapplied_cash"] = line.unapplied_cash.to_string()
    out["unapplied_credit"] = line.unapplied_credit.to_string()
    return out


def aging_report(uow: UnitOfWork, as_of: date) -> list[AgingReport]:
    """One report per currency, customers by name; unapplied cash and credit reported apart."""
    with uow:
        rows = list(uow.reports.aging(as_of))
    rows.sort(key=lambda row: (row.currency, row.name.casefold(), row.external_id))
    reports: dict[str, AgingReport] = {}
    sums: dict[str, list[int]] = {}  # per currency: each bucket, then unapplied cash and credit
    zero = None
    for row in rows:
        currency = row.currency
        report = reports.get(currency)
        if report is None:
            report = reports[currency] = AgingReport(as_of, currency)
            sums[currency] = [0] * (len(BUCKETS) + 2)
            zero = Money.zero(currency)
        assert zero is not None
        amounts = (*row.buckets, row.unapplied_cash, row.unapplied_credit)
        money = [Money(minor, currency) if minor else zero for minor in amounts]
        buckets = dict(zip(BUCKETS, money, strict=False))
        report.customers.append(CustomerAging(row.external_id, row.name, AgingLine(currency, buckets, *money[-2:])))
        total = sums[currency]
        for k, minor in enumerate(amounts):
            total[k] += minor
    for currency, report in reports.items():
        money = [Money(minor, currency) for minor in sums[currency]]
        report.total = AgingLine(currency, dict(zip(BUCKETS, money, strict=False)), *money[-2:])
    return [reports[c] for c in sorted(reports)]
