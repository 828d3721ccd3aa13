from datetime import date, timedelta

import pytest

from arrears.domain.aging import BUCKETS, AgingLine, bucket_due_dates, bucket_for, days_past_due
from arrears.domain.errors import CurrencyMismatch
from arrears.domain.money import Money

AS_OF = date(2026, 6, 30)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "91+"),
        (400, "91+"),
    ],
)
def test_bucket_edges_follow_the_contract(days: int, bucket: str) -> None:
    assert bucket_for(days) == bucket


def test_days_past_due_counts_from_the_due_date() -> None:
    assert days_past_due(date(2026, 5, 31), AS_OF) == 30
    assert days_past_due(date(2026, 7, 1), AS_OF) == -1


@pytest.mark.parametrize("days", range(-3, 130))
def test_date_bounds_agree_with_bucket_for(days: int) -> None:
    due = AS_OF - timedelta(days=days)

    by_bounds = next(name for name, bound in bucket_due_dates(AS_OF) if bound is None or due >= bound)

    assert by_bounds == bucket_for(days_past_due(due, AS_OF))


def test_aging_line_totals_its_buckets() -> None:
    line = AgingLine("USD", (0, 1010, 0, 0, 5))

    assert line.total == Money.of("10.15", "USD")
    assert list(line.buckets) == list(BUCKETS)
    assert line.buckets["1-30"] == Money.of("10.10", "USD")
    assert line.amounts()["91+"] == "0.05"


def test_aging_lines_add_up_in_one_currency_only() -> None:
    total = AgingLine("USD", (1, 2, 3, 4, 5), 6, 7).plus(AgingLine("USD", (10, 20, 30, 40, 50), 60, 70))

    assert total == AgingLine("USD", (11, 22, 33, 44, 55), 66, 77)
    with pytest.raises(CurrencyMismatch):
        assert total.plus(AgingLine("EUR"))
