"""The reports' formulas on worked examples (docs/reports.md has the same numbers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from arrears.domain.errors import InvalidValue
from arrears.domain.reports import (
    DatedInvoice,
    Period,
    Receivables,
    cei,
    dso,
    kept_rate,
    median_days,
    ratio,
    receivable_at,
    receivables,
)

D = Decimal


def test_a_ratio_is_exact_and_rounded_half_up_to_one_decimal() -> None:
    assert ratio(1, 3) == D("0.3")
    assert ratio(1, 4) == D("0.3")  # 0.25 rounds up
    assert ratio(1, 20) == D("0.1")  # 0.05 rounds up
    assert ratio(1, 21) == D("0.0")
    assert ratio(2, 3, 100) == D("66.7")
    assert ratio(-1, 4) == D("-0.3")  # half away from zero
    # Past a Decimal context's 28 digits: 10**30 + 1 over 10**30 is 1.000…1, still 1.0 exactly.
    assert ratio(10**30 + 1, 10**30) == D("1.0")


def test_a_ratio_over_zero_is_none_not_zero_nor_an_error() -> None:
    assert ratio(5, 0) is None
    assert dso(Receivables(100, 0, 100, 0), 90) == (None, None, None)
    assert cei(Receivables(0, 0, 0, 0)) is None
    assert kept_rate(0, 0) is None
    assert median_days([]) is None


def test_dso_worked_example_ar_90000_of_sales_120000_over_90_days_is_67_5() -> None:
    # Sales of 1,200.00 in 90 days; 900.00 owed at the end, 300.00 of it not yet due.
    figures = Receivables(opening=50_000, sales=120_000, closing=90_000, current=30_000)
    result = dso(figures, 90)
    assert result.dso == D("67.5")  # 90,000 / 120,000 × 90
    assert result.best_possible_dso == D("22.5")  # 30,000 / 120,000 × 90
    assert result.add == D("45.0")  # the past-due 60,000 / 120,000 × 90


def test_add_is_computed_exactly_then_rounded_not_from_the_rounded_figures() -> None:
    # dso = 100/3 × 1 = 33.33…, best = 50/3 = 16.66…: 33.3 − 16.7 would print 16.6; ADD is 16.7.
    result = dso(Receivables(0, 3, 100, 50), 1)
    assert (result.dso, result.best_possible_dso, result.add) == (D("33.3"), D("16.7"), D("16.7"))


def test_cei_worked_example_opening_50000_sales_120000_closing_90000_current_30000_is_57_1() -> None:
    figures = Receivables(opening=50_000, sales=120_000, closing=90_000, current=30_000)
    # (50,000 + 120,000 − 90,000) / (50,000 + 120,000 − 30,000) × 100 = 80,000 / 140,000 × 100
    assert cei(figures) == D("57.1")


def test_cei_is_100_when_everything_collectable_was_collected() -> None:
    assert cei(Receivables(opening=10_000, sales=5_000, closing=2_000, current=2_000)) == D("100.0")


def test_kept_rate_counts_kept_against_kept_plus_broken_only() -> None:
    assert kept_rate(3, 1) == D("75.0")
    assert kept_rate(2, 1) == D("66.7")
    assert kept_rate(0, 4) == D("0.0")


def test_median_days_of_an_odd_and_an_even_count() -> None:
    assert median_days([9, 1, 4]) == D("4.0")
    assert median_days([1, 4, 9, 20]) == D("6.5")
    assert median_days([0]) == D("0.0")


def test_the_default_period_is_the_90_days_to_today() -> None:
    period = Period.of(None, None, date(2026, 6, 30))
    assert (period.start, period.end, period.days) == (date(2026, 4, 2), date(2026, 6, 30), 90)
    assert Period.of(None, date(2026, 3, 31), date(2026, 6, 30)).start == date(2026, 1, 1)
    assert Period.of(date(2026, 6, 1), None, date(2026, 6, 30)).days == 30
    assert Period(date(2026, 6, 1), date(2026, 6, 1)).days == 1


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidValue, match="starts"):
        Period(date(2026, 6, 2), date(2026, 6, 1))


def test_months_cut_a_period_at_calendar_months() -> None:
    months = Period(date(2026, 1, 15), date(2026, 3, 10)).months()
    assert [(m.start, m.end) for m in months] == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 10)),
    ]


def test_the_trend_is_the_12_months_ending_with_the_month_of_its_last_day() -> None:
    period = Period.trend(date(2026, 3, 10))
    assert (period.start, period.end) == (date(2025, 4, 1), date(2026, 3, 10))
    assert len(period.months()) == 12


INVOICE = DatedInvoice(
    "USD",
    issue_date=date(2026, 1, 10),
    due_date=date(2026, 2, 9),
    amount_minor=10_000,
    written_off_minor=1_000,
    allocations=((date(2026, 2, 1), 3_000), (date(2026, 3, 1), 6_000)),
)


def test_receivable_at_a_day_counts_only_what_was_allocated_by_then() -> None:
    assert receivable_at(INVOICE, date(2026, 1, 9)) == 0  # not issued yet
    assert receivable_at(INVOICE, date(2026, 1, 10)) == 9_000  # less the undated write-off
    assert receivable_at(INVOICE, date(2026, 2, 1)) == 6_000  # the payment of its day counts
    assert receivable_at(INVOICE, date(2026, 3, 1)) == 0
    assert receivable_at(INVOICE._replace(is_void=True), date(2026, 1, 20)) == 0


def test_receivables_of_a_period_with_a_payment_after_it_and_a_void_invoice() -> None:
    void = DatedInvoice("USD", date(2026, 2, 3), date(2026, 3, 5), 50_000, is_void=True)
    euro = DatedInvoice("EUR", date(2026, 2, 5), date(2026, 2, 20), 7_000)
    figures = receivables([INVOICE, void, euro], Period(date(2026, 2, 1), date(2026, 2, 28)))
    # USD: owed 9,000 on Jan 31; no sales in February (the void one is none); 6,000 owed on Feb 28,
    # past due since Feb 9, so none of it current; the March payment does not count.
    assert figures["USD"] == Receivables(opening=9_000, sales=0, closing=6_000, current=0)
    assert figures["EUR"] == Receivables(opening=0, sales=7_000, closing=7_000, current=0)
    assert dso(figures["USD"], 28).dso is None
