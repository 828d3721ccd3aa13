"""Payment plans: instalments must add up to what the invoices owe; what is overdue on a plan; when
a plan is completed, active or defaulted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.errors import InvalidValue
from arrears.domain.plans import PlanStatus, check_instalments, overdue_on_plan, plan_status
from tests.unit.builders import PROPERTY, TODAY, days, instalment

JUNE, JULY, AUGUST = TODAY + days(30), TODAY + days(61), TODAY + days(92)  # 30 Jun, 31 Jul, 31 Aug 2026
THREE_HUNDRED = [instalment(JUNE, 10_000), instalment(JULY, 10_000), instalment(AUGUST, 10_000)]

# -- what a plan may be --------------------------------------------------------------------------


def test_instalments_adding_up_to_the_outstanding_are_accepted() -> None:
    refused = check_instalments(THREE_HUNDRED, outstanding_minor=30_000, currency="USD", today=TODAY)

    assert refused is None


def test_instalments_may_be_given_in_any_order() -> None:
    shuffled = [THREE_HUNDRED[2], THREE_HUNDRED[0], THREE_HUNDRED[1]]

    refused = check_instalments(shuffled, outstanding_minor=30_000, currency="USD", today=TODAY)

    assert refused is None


def test_a_plan_without_instalments_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_instalments([], outstanding_minor=30_000, currency="USD", today=TODAY)

    assert caught.value.message == "a payment plan needs at least one instalment"


@pytest.mark.parametrize("outstanding", [0, -500])
def test_a_plan_on_invoices_with_nothing_outstanding_is_refused(outstanding: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_instalments([instalment(JUNE, 100)], outstanding_minor=outstanding, currency="USD", today=TODAY)

    assert caught.value.message == "the invoices have nothing outstanding to put on a plan"


def test_two_instalments_on_the_same_date_are_refused() -> None:
    twice_in_june = [instalment(JUNE, 15_000), instalment(JUNE, 15_000)]

    with pytest.raises(InvalidValue) as caught:
        check_instalments(twice_in_june, outstanding_minor=30_000, currency="USD", today=TODAY)

    assert caught.value.message == "two instalments fall on the same date"


@pytest.mark.parametrize("amount", [0, -100])
def test_an_instalment_of_nothing_or_less_is_refused(amount: int) -> None:
    plan = [instalment(JUNE, amount), instalment(JULY, 30_000 - amount)]

    with pytest.raises(InvalidValue) as caught:
        check_instalments(plan, outstanding_minor=30_000, currency="USD", today=TODAY)

    assert caught.value.message == "the instalment of 2026-06-30 must be greater than zero"


def test_an_instalment_due_today_is_accepted() -> None:
    plan = [instalment(TODAY, 10_000), instalment(JUNE, 20_000)]

    refused = check_instalments(plan, outstanding_minor=30_000, currency="USD", today=TODAY)

    assert refused is None


def test_an_instalment_dated_yesterday_is_refused() -> None:
    plan = [instalment(TODAY - days(1), 10_000), instalment(JUNE, 20_000)]

    with pytest.raises(InvalidValue) as caught:
        check_instalments(plan, outstanding_minor=30_000, currency="USD", today=TODAY)

    assert caught.value.message == "the instalment date 2026-05-30 is in the past"


def test_instalments_one_cent_short_of_the_outstanding_are_refused_naming_both_totals() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_instalments(THREE_HUNDRED, outstanding_minor=30_001, currency="USD", today=TODAY)

    assert caught.value.message == "the instalments add up to 300.00 USD but the invoices have 300.01 USD outstanding"


def test_instalments_above_the_outstanding_are_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_instalments(THREE_HUNDRED, outstanding_minor=29_999, currency="USD", today=TODAY)

    assert caught.value.message == "the instalments add up to 300.00 USD but the invoices have 299.99 USD outstanding"


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("JPY", "the instalments add up to 30000 JPY but the invoices have 29999 JPY outstanding"),
        ("KWD", "the instalments add up to 30.000 KWD but the invoices have 29.999 KWD outstanding"),
    ],
)
def test_the_totals_are_written_with_the_currency_decimals(currency: str, message: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_instalments(THREE_HUNDRED, outstanding_minor=29_999, currency=currency, today=TODAY)

    assert caught.value.message == message


# -- overdue on a plan ---------------------------------------------------------------------------


def test_nothing_is_overdue_before_the_first_instalment_date() -> None:
    overdue = overdue_on_plan(THREE_HUNDRED, paid_minor=0, as_of=JUNE - days(1))

    assert overdue == 0


def test_an_instalment_due_today_is_not_yet_overdue() -> None:
    overdue = overdue_on_plan(THREE_HUNDRED, paid_minor=0, as_of=JUNE)

    assert overdue == 0


def test_an_instalment_is_overdue_the_day_after_its_date() -> None:
    overdue = overdue_on_plan(THREE_HUNDRED, paid_minor=0, as_of=JUNE + days(1))

    assert overdue == 10_000


def test_every_instalment_past_its_date_adds_to_what_is_overdue() -> None:
    overdue = overdue_on_plan(THREE_HUNDRED, paid_minor=0, as_of=AUGUST)

    assert overdue == 20_000


def test_payments_reduce_what_is_overdue() -> None:
    overdue = overdue_on_plan(THREE_HUNDRED, paid_minor=12_500, as_of=AUGUST)

    assert overdue == 7_500


def test_payments_ahead_of_the_instalments_leave_nothing_overdue() -> None:
    overdue = overdue_on_plan(THREE_HUNDRED, paid_minor=25_000, as_of=JULY + days(1))

    assert overdue == 0


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=10**9)), max_size=8),
    st.integers(min_value=0, max_value=10**10),
    st.integers(min_value=-10, max_value=250),
)
def test_what_is_overdue_is_never_negative_nor_more_than_what_fell_due(
    plan: list[tuple[int, int]], paid: int, day: int
) -> None:
    instalments = [instalment(TODAY + days(offset), amount) for offset, amount in plan]
    as_of = TODAY + days(day)

    overdue = overdue_on_plan(instalments, paid_minor=paid, as_of=as_of)

    fallen_due = sum(i.amount_minor for i in instalments if i.due_date < as_of)
    assert 0 <= overdue <= fallen_due
    assert overdue == max(0, fallen_due - paid)


# -- status of a plan ----------------------------------------------------------------------------


def test_a_plan_paid_in_full_is_completed_even_before_its_dates() -> None:
    status = plan_status(THREE_HUNDRED, paid_minor=30_000, as_of=TODAY)

    assert status is PlanStatus.COMPLETED


def test_a_plan_with_nothing_yet_due_is_active() -> None:
    status = plan_status(THREE_HUNDRED, paid_minor=0, as_of=TODAY)

    assert status is PlanStatus.ACTIVE


def test_a_plan_stays_active_while_an_unpaid_instalment_is_at_most_30_days_late() -> None:
    status = plan_status(THREE_HUNDRED, paid_minor=0, as_of=JUNE + days(30))

    assert status is PlanStatus.ACTIVE


def test_a_plan_defaults_when_an_instalment_is_unpaid_31_days_after_its_date() -> None:
    status = plan_status(THREE_HUNDRED, paid_minor=0, as_of=JUNE + days(31))

    assert status is PlanStatus.DEFAULTED


def test_a_partly_paid_instalment_still_counts_as_unpaid() -> None:
    status = plan_status(THREE_HUNDRED, paid_minor=9_999, as_of=JUNE + days(31))

    assert status is PlanStatus.DEFAULTED


def test_payments_pay_the_instalments_oldest_first() -> None:
    june_paid = 10_000

    status = plan_status(THREE_HUNDRED, paid_minor=june_paid, as_of=JULY + days(30))

    assert status is PlanStatus.ACTIVE  # June is covered; July is 30 days late, not yet defaulted


def test_payments_cover_the_oldest_instalment_whatever_the_order_given() -> None:
    shuffled = [THREE_HUNDRED[2], THREE_HUNDRED[1], THREE_HUNDRED[0]]

    status = plan_status(shuffled, paid_minor=10_000, as_of=JULY + days(31))

    assert status is PlanStatus.DEFAULTED  # June covered, July unpaid 31 days


def test_the_grace_before_a_default_can_be_tuned() -> None:
    one_day_late = JUNE + days(1)

    statuses = (
        plan_status(THREE_HUNDRED, paid_minor=0, as_of=one_day_late, default_after_days=0),
        plan_status(THREE_HUNDRED, paid_minor=0, as_of=one_day_late, default_after_days=1),
    )

    assert statuses == (PlanStatus.DEFAULTED, PlanStatus.ACTIVE)
