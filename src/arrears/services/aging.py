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
    lines: dict[tuple[str, int], CustomerAging] = {}
    for row in rows:
        key = (row.currency, row.customer_id)
        entry = lines.get(key)
        if entry is None:
            entry = lines[key] = CustomerAging(row.external_id, row.name, AgingLine(row.currency))
        amount = Money(row.minor, row.currency)
        if row.bucket == "unapplied_cash":
            entry.line.unapplied_cash = amount
        elif row.bucket == "unapplied_credit":
            entry.line.unapplied_credit = amount
        else:
            entry.line.add(row.bucket, amount)
    reports: dict[str, AgingReport] = {}
    for (currency, _), entry in sorted(
        lines.items(), key=lambda item: (item[0][0], item[1].name.casefold(), item[1].external_id)
    ):
        report = reports.get(currency)
        if report is None:
            report = reports[currency] = AgingReport(as_of, currency, total=AgingLine(currency))
        report.customers.append(entry)
        assert report.total is not None
        report.total.absorb(entry.line)
    return [reports[c] for c in sorted(reports)]
