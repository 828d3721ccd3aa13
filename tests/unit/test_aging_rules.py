"""Aging: days past due, the bucket of an invoice on any day, and aging lines per currency."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.aging import BUCKETS, AgingLine, bucket_due_dates, bucket_for, days_past_due
from arrears.domain.errors import CurrencyMismatch
from arrears.domain.money import Money
from tests.unit.builders import PROPERTY, dates, days

AS_OF = date(2026, 6, 30)


def test_an_invoice_due_on_the_as_of_date_is_current_and_overdue_the_next_day() -> None:
    due = date(2028, 2, 29)

    buckets = (bucket_for(days_past_due(due, date(2028, 2, 29))), bucket_for(days_past_due(due, date(2028, 3, 1))))

    assert buckets == ("current", "1-30")


def test_days_past_due_count_the_29th_of_february() -> None:
    due = date(2028, 2, 29)

    late = days_past_due(due, date(2028, 3, 31))

    assert (late, bucket_for(late)) == (31, "31-60")


def test_the_bounds_name_each_bucket_once_in_order_with_no_bound_for_the_oldest() -> None:
    bounds = bucket_due_dates(AS_OF)

    assert bounds == [
        ("current", date(2026, 6, 30)),
        ("1-30", date(2026, 5, 31)),
        ("31-60", date(2026, 5, 1)),
        ("61-90", date(2026, 4, 1)),
        ("91+", None),
    ]


@PROPERTY
@given(dates, st.integers(min_value=-3_650, max_value=3_650))
def test_days_past_due_are_the_calendar_days_after_the_due_date(due: date, late: int) -> None:
    as_of = due + days(late)

    assert days_past_due(due, as_of) == late


@PROPERTY
@given(st.integers(min_value=-10_000, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_an_invoice_never_moves_back_to_a_younger_bucket_as_it_ages(late: int, more: int) -> None:
    before, after = bucket_for(late), bucket_for(late + more)

    assert BUCKETS.index(before) <= BUCKETS.index(after)


@PROPERTY
@given(dates, st.integers(min_value=-400, max_value=400))
def test_the_date_bounds_agree_with_bucket_for_on_any_day(as_of: date, late: int) -> None:
    due = as_of - days(late)

    by_bounds = next(name for name, bound in bucket_due_dates(as_of) if bound is None or due >= bound)

    assert by_bounds == bucket_for(days_past_due(due, as_of))


# -- aging lines ---------------------------------------------------------------------------------


def test_an_empty_aging_line_is_zero_everywhere() -> None:
    line = AgingLine("EUR")

    assert line.amounts() == {
        "current": "0.00",
        "1-30": "0.00",
        "31-60": "0.00",
        "61-90": "0.00",
        "91+": "0.00",
        "total": "0.00",
        "unapplied_cash": "0.00",
        "unapplied_credit": "0.00",
    }


def test_unapplied_cash_and_credit_are_reported_apart_and_never_netted_into_the_total() -> None:
    line = AgingLine("USD", (10_000, 0, 0, 0, 0), unapplied_cash_minor=2_500, unapplied_credit_minor=500)

    figures = (line.total, line.unapplied_cash, line.unapplied_credit)

    assert figures == (Money(10_000, "USD"), Money(2_500, "USD"), Money(500, "USD"))


@pytest.mark.parametrize(
    ("currency", "total"), [("JPY", "150000"), ("KWD", "150.000"), ("USD", "1500.00"), ("UYW", "15.0000")]
)
def test_aging_amounts_are_written_with_the_currency_decimals(currency: str, total: str) -> None:
    line = AgingLine(currency, (100_000, 50_000, 0, 0, 0))

    assert line.amounts()["total"] == total


def test_the_message_of_adding_two_currencies_names_both() -> None:
    dollars = AgingLine("USD", (1, 0, 0, 0, 0))

    with pytest.raises(CurrencyMismatch) as caught:
        dollars.plus(AgingLine("EUR"))

    assert caught.value.message == "cannot add EUR aging to USD aging"


line_minors = st.tuples(*(st.integers(min_value=0, max_value=10**12) for _ in BUCKETS))


@PROPERTY
@given(line_minors, line_minors, st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_adding_aging_lines_sums_each_bucket_in_either_order(
    first: tuple[int, ...], second: tuple[int, ...], cash: int, credit: int
) -> None:
    a, b = AgingLine("GBP", first, cash, 0), AgingLine("GBP", second, 0, credit)

    total = a.plus(b)

    assert total == b.plus(a)
    assert total.minors == tuple(x + y for x, y in zip(first, second, strict=True))
    assert (total.unapplied_cash_minor, total.unapplied_credit_minor) == (cash, credit)
    assert total.total == a.total + b.total
