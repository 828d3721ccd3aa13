"""Promises to pay: pending until their date, kept when the payments reach the amount, broken the
day after their date otherwise; and what a valid promise is."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arrears.domain.errors import InvalidValue
from arrears.domain.tasks import PromiseState, check_promise, promise_state
from tests.unit.builders import PROPERTY, TODAY, dates, days, make_promise

DUE = TODAY  # the promised date


def test_an_unpaid_promise_is_pending_before_its_date() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=0, as_of=DUE - days(1))

    assert state is PromiseState.PENDING


def test_an_unpaid_promise_is_still_pending_on_its_date() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=0, as_of=DUE)

    assert state is PromiseState.PENDING


def test_an_unpaid_promise_is_broken_the_day_after_its_date() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=0, as_of=DUE + days(1))

    assert state is PromiseState.BROKEN


def test_a_promise_paid_in_full_before_its_date_is_kept_at_once() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=50_000, as_of=DUE - days(5))

    assert state is PromiseState.KEPT


def test_a_promise_paid_in_full_on_its_date_is_kept() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=50_000, as_of=DUE)

    assert state is PromiseState.KEPT


def test_a_promise_paid_more_than_promised_is_kept() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=75_000, as_of=DUE)

    assert state is PromiseState.KEPT


def test_a_kept_promise_stays_kept_long_after_its_date() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=50_000, as_of=DUE + days(365))

    assert state is PromiseState.KEPT


def test_a_promise_one_cent_short_is_pending_until_its_date() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=49_999, as_of=DUE)

    assert state is PromiseState.PENDING


def test_a_promise_one_cent_short_is_broken_the_day_after_its_date() -> None:
    promise = make_promise(amount_minor=50_000, due=DUE)

    state = promise_state(promise, paid_minor=49_999, as_of=DUE + days(1))

    assert state is PromiseState.BROKEN


def test_a_promise_of_one_cent_dated_today_is_accepted() -> None:
    refused = check_promise(amount_minor=1, currency="USD", customer_currency="USD", due=TODAY, today=TODAY)

    assert refused is None


def test_a_promise_of_nothing_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_promise(amount_minor=0, currency="USD", customer_currency="USD", due=TODAY, today=TODAY)

    assert caught.value.message == "the promised amount must be greater than zero"


def test_a_negative_promise_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"^the promised amount must be greater than zero$"):
        check_promise(amount_minor=-100, currency="USD", customer_currency="USD", due=TODAY, today=TODAY)


def test_a_promise_in_another_currency_than_the_account_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_promise(amount_minor=100, currency="EUR", customer_currency="USD", due=TODAY, today=TODAY)

    assert caught.value.message == "the promise is in EUR but the customer's account is in USD"


def test_a_promise_dated_yesterday_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_promise(amount_minor=100, currency="USD", customer_currency="USD", due=TODAY - days(1), today=TODAY)

    assert caught.value.message == "the promised date 2026-05-30 is in the past"


@PROPERTY
@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=0, max_value=10**6), dates)
def test_a_promise_is_kept_whenever_the_payments_reach_its_amount(amount: int, extra: int, as_of: date) -> None:
    promise = make_promise(amount_minor=amount, due=DUE)

    state = promise_state(promise, paid_minor=amount + extra, as_of=as_of)

    assert state is PromiseState.KEPT


@PROPERTY
@given(st.integers(min_value=1, max_value=10**12), st.data(), dates)
def test_a_promise_short_of_its_amount_is_broken_exactly_when_its_date_has_passed(
    amount: int, data: st.DataObject, as_of: date
) -> None:
    paid = data.draw(st.integers(min_value=0, max_value=amount - 1))
    promise = make_promise(amount_minor=amount, due=DUE)

    state = promise_state(promise, paid_minor=paid, as_of=as_of)

    assert state is (PromiseState.BROKEN if as_of > DUE else PromiseState.PENDING)
