"""The worklist's priority, expected payment date and "why" (domain/worklist.py), on worked examples."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from arrears.domain.errors import InvalidValue
from arrears.domain.worklist import (
    Standing,
    age_weight,
    expected_payment,
    parse_rates,
    priority,
    why,
)

TODAY = date(2026, 12, 4)


def standing(overdue: int = 1_240_000, days: int | None = 45, **fields: object) -> Standing:
    oldest = None if days is None else TODAY - timedelta(days=days)
    return Standing(**{"currency": "USD", "overdue_minor": overdue, "oldest_due": oldest, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("days", "weight"),
    [(0, 1), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4), (400, 4)],
)
def test_the_age_weight_follows_the_aging_buckets(days: int, weight: int) -> None:
    assert age_weight(days) == weight


def test_12400_usd_overdue_45_days_paying_38_days_late_is_12400_x2_x138_x2() -> None:
    assert priority(standing(days_late=38), TODAY) == 12_400 * 2 * 138 * 2


def test_a_promise_broken_last_week_makes_it_half_as_urgent_again() -> None:
    calm = priority(standing(days_late=38), TODAY)
    broken = priority(standing(days_late=38, broken_on=TODAY - timedelta(days=9)), TODAY)
    assert broken * 2 == calm * 3


def test_a_promise_broken_more_than_30_days_ago_no_longer_counts() -> None:
    assert priority(standing(broken_on=TODAY - timedelta(days=31)), TODAY) == priority(standing(), TODAY)
    assert priority(standing(broken_on=TODAY - timedelta(days=30)), TODAY) > priority(standing(), TODAY)


def test_an_open_promise_dated_today_or_later_sinks_the_customer_and_lapses_the_day_after() -> None:
    assert priority(standing(promised_until=TODAY), TODAY) == 0
    assert priority(standing(promised_until=TODAY + timedelta(days=10)), TODAY) == 0
    assert priority(standing(promised_until=TODAY - timedelta(days=1)), TODAY) == priority(standing(), TODAY)


def test_nothing_overdue_is_priority_0_even_for_a_late_payer() -> None:
    assert priority(standing(overdue=0, days=-5, days_late=90), TODAY) == 0


def test_lateness_counts_up_to_100_days_and_never_below_0() -> None:
    base = priority(standing(days_late=0), TODAY)
    assert priority(standing(days_late=None), TODAY) == base
    assert priority(standing(days_late=-12), TODAY) == base
    assert priority(standing(days_late=100), TODAY) == base * 2
    assert priority(standing(days_late=365), TODAY) == base * 2


def test_an_overdue_plan_instalment_without_a_dated_invoice_weighs_as_1_30_days() -> None:
    assert priority(standing(overdue=50_000, days=None), TODAY) == 500 * 1 * 100 * 2


def test_currencies_rank_in_whole_units_through_their_rates() -> None:
    yen = Standing("JPY", 1_500_000, TODAY - timedelta(days=10))
    dollars = Standing("USD", 1_500_000, TODAY - timedelta(days=10))
    assert priority(yen, TODAY) == 100 * priority(dollars, TODAY)  # 1:1 in whole units without a rate
    rates = parse_rates("JPY=0.0067")
    assert priority(yen, TODAY, rates) == 10_050 * 1 * 100 * 2  # ¥1,500,000 counts as 10,050
    assert priority(dollars, TODAY, rates) == 15_000 * 1 * 100 * 2


def test_three_decimal_currencies_and_huge_amounts_stay_within_64_bits() -> None:
    dinars = Standing(
        "KWD", 12_345_678, TODAY - timedelta(days=100), days_late=500, broken_on=TODAY - timedelta(days=1)
    )
    assert priority(dinars, TODAY) == 12_345 * 4 * 200 * 3
    whale = Standing("JPY", 10**17 - 1, TODAY - timedelta(days=100), days_late=500, broken_on=TODAY - timedelta(days=1))
    assert priority(whale, TODAY, {"JPY": 1000 * 10**6}) < 2**63


def test_the_why_of_the_issue_example() -> None:
    line = why(standing(days_late=38, broken_on=TODAY - timedelta(days=9)), TODAY)
    assert line == "12,400.00 USD overdue 45 days; pays 38 days late on average; promise broken last week"


def test_the_why_of_a_promised_customer_on_time_and_of_one_with_nothing_overdue() -> None:
    promised = why(standing(days=1, days_late=0, promised_until=date(2026, 12, 20)), TODAY)
    assert promised == "12,400.00 USD overdue 1 day; pays on time; promised to pay by 2026-12-20"
    assert why(standing(overdue=0, days=-3), TODAY) == "nothing overdue"
    assert why(Standing("JPY", 150_000, None), TODAY) == "150,000 JPY overdue"


def test_the_expected_payment_is_the_oldest_due_date_plus_the_days_late() -> None:
    assert expected_payment(standing(days=45, days_late=38)) == TODAY - timedelta(days=7)
    assert expected_payment(standing(days=-10, days_late=None)) == TODAY + timedelta(days=10)
    assert expected_payment(standing(days=None, days_late=38)) is None


@pytest.mark.parametrize("text", ["XXX=1", "EUR=abc", "EUR=0", "EUR=-1", "EUR=1001", "EUR=nan"])
def test_bad_rates_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(InvalidValue):
        parse_rates(text)


def test_rates_parse_in_millionths_with_spaces_and_lower_case() -> None:
    assert parse_rates(" eur = 1.08 , JPY=0.0067,") == {"EUR": 1_080_000, "JPY": 6_700}
    assert parse_rates("") == {}


def test_the_docs_worked_example_acme_12400_usd_45_days_before_beta_40000_usd_10_days() -> None:
    acme = Standing("USD", 1_240_000, date(2026, 10, 20), days_late=38, broken_on=date(2026, 11, 25))
    beta = Standing("USD", 4_000_000, date(2026, 11, 24), days_late=0)
    assert (priority(acme, TODAY), priority(beta, TODAY)) == (10_267_200, 8_000_000)
