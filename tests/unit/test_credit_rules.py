"""Credit rules: flags, crossings (once per crossing), review dates, and the behavioural score on
worked examples (each test's name states its example)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from arrears.domain.credit import (
    CreditFlag,
    Crossing,
    History,
    InvoiceHistory,
    behavioural_score,
    crossing,
    flags,
    level_crossing,
    limit_level,
    next_review,
    score_low,
    score_percent,
    shrunk,
)

DAY = date(2026, 12, 3)


def test_a_score_is_a_percent_of_its_scale_or_of_100() -> None:
    assert score_percent(620, 850) == Decimal(62000) / 850
    assert score_percent(35, None) == 35


def test_a_score_below_40_percent_of_its_scale_is_low_and_no_score_is_not() -> None:
    assert score_low(339, 850, 40)  # 39.9 %
    assert not score_low(340, 850, 40)  # 40 % exactly
    assert not score_low(None, None, 40)


def test_the_limit_level_is_the_highest_share_reached_and_over_100_means_above_the_limit() -> None:
    levels = (80, 90, 100)

    assert limit_level(79_99, 100_00, levels) == 0
    assert limit_level(80_00, 100_00, levels) == 80
    assert limit_level(95_00, 100_00, levels) == 90
    assert limit_level(100_00, 100_00, levels) == 90  # at the limit is not over it
    assert limit_level(100_01, 100_00, levels) == 100
    assert limit_level(10**9, None, levels) == 0


def test_flags_name_over_limit_low_score_and_a_review_due_today_or_before() -> None:
    assert flags(exposure_minor=101, limit_minor=100, low=True, review_on=DAY, as_of=DAY) == (
        CreditFlag.OVER_LIMIT,
        CreditFlag.SCORE_BELOW_THRESHOLD,
        CreditFlag.REVIEW_DUE,
    )
    assert flags(exposure_minor=100, limit_minor=100, low=False, review_on=date(2026, 12, 4), as_of=DAY) == ()


def test_an_alert_is_raised_when_a_condition_begins_never_while_it_lasts_and_cleared_when_it_ends() -> None:
    assert crossing(False, True) is Crossing.RAISED
    assert crossing(True, True) is Crossing.NONE
    assert crossing(True, False) is Crossing.CLEARED
    assert crossing(False, False) is Crossing.NONE


def test_limit_levels_raise_on_each_higher_level_and_clear_only_below_all() -> None:
    assert level_crossing(0, 80) is Crossing.RAISED
    assert level_crossing(80, 90) is Crossing.RAISED
    assert level_crossing(90, 90) is Crossing.NONE
    assert level_crossing(100, 80) is Crossing.NONE  # still above a level: the alert stays
    assert level_crossing(80, 0) is Crossing.CLEARED


def test_a_review_falls_due_365_days_after_the_later_of_the_last_review_and_the_newest_score() -> None:
    assert next_review(date(2026, 1, 10), date(2026, 3, 1), 365, poor=False) == date(2027, 3, 1)
    assert next_review(None, date(2026, 3, 1), 365, poor=False) == date(2027, 3, 1)


def test_a_poor_score_is_reviewed_after_90_days_and_nothing_known_means_no_review_date() -> None:
    assert next_review(None, date(2026, 3, 1), 365, poor=True) == date(2026, 5, 30)
    assert next_review(None, None, 365, poor=True) is None


def test_few_invoices_are_pulled_toward_the_portfolio_mean_2_at_30_days_and_a_mean_of_10_make_15_7() -> None:
    assert shrunk(Decimal(30), 2, Decimal(10)) == (2 * Decimal(30) + 5 * Decimal(10)) / 7  # 15.71…


def test_a_prompt_payer_with_20_invoices_on_time_scores_100_and_pays_on_time() -> None:
    history = History.of([InvoiceHistory(100_00, 0, True) for _ in range(20)])

    score = behavioural_score(history, 0, Decimal(0))

    assert score.score == 100
    assert score.why() == "pays on time"


def test_worked_example_10_invoices_4_paid_20_days_late_one_broken_promise_one_open_60_days_past_due_scores_59() -> (
    None
):
    # amounts of 1,000.00; weighted days late = (4 × 20 + 60) / 10 = 14 (the open one counts, at 60)
    invoices = [InvoiceHistory(1000_00, 20, True) for _ in range(4)]
    invoices += [InvoiceHistory(1000_00, 0, True) for _ in range(5)]
    invoices += [InvoiceHistory(1000_00, 60, False)]
    history = History.of(invoices)

    score = behavioural_score(history, broken_promises=1, portfolio_days_late=Decimal(8))

    # lateness: (10 × 14 + 5 × 8) / 15 = 12.0; late share 4 of 9 → 8.9; promises 10; 60 days → 10
    assert [(part.name, part.points) for part in score.parts] == [
        ("lateness", Decimal("12.0")),
        ("late_share", Decimal("8.9")),
        ("broken_promises", Decimal("10.0")),
        ("days_past_due", Decimal("10.0")),
    ]
    assert score.score == 59
    assert "4 of 9 invoices paid late (-8.9)" in score.why()


def test_every_part_is_capped_so_a_chronic_payer_scores_0_and_not_below() -> None:
    history = History.of([InvoiceHistory(100_00, 200, True) for _ in range(30)] + [InvoiceHistory(1_00, 400, False)])

    score = behavioural_score(history, broken_promises=5, portfolio_days_late=Decimal(30))

    assert [part.points for part in score.parts] == [Decimal(40), Decimal(20), Decimal(20), Decimal(20)]
    assert score.score == 0


def test_a_new_customer_without_history_scores_what_the_portfolio_mean_costs() -> None:
    score = behavioural_score(History.of([]), 0, Decimal("12.5"))

    assert score.score == 88  # 100 − 12.5, rounded half up
    assert "pulled toward the portfolio's 12.5" in score.parts[0].why


def test_open_invoices_not_yet_due_say_nothing_about_lateness() -> None:
    history = History.of([InvoiceHistory(100_00, 0, False), InvoiceHistory(100_00, 10, True)])

    assert (history.counted, history.paid, history.oldest_open_days) == (1, 1, 0)
    assert history.days_late() == 10
