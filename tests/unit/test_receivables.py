"""The receivables rules (domain/receivables.py): outstanding, status, chaseable, overdue, exposure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from arrears.domain.errors import CurrencyMismatch
from arrears.domain.money import Money
from arrears.domain.plans import Instalment, PlanStatus
from arrears.domain.receivables import (
    Allocation,
    Customer,
    Invoice,
    InvoiceStatus,
    Plan,
    exposure,
    first_match,
    invoice_status,
    is_chaseable,
    is_promised,
    outstanding,
    overdue_amount,
    paid_on_plan,
)
from arrears.domain.tasks import Promise, Task, TaskStatus, TaskType
from arrears.domain.workflows import Step, Workflow

AS_OF = date(2026, 6, 30)
YESTERDAY = AS_OF - timedelta(days=1)
ACME = Customer(1, "USD")


def make_invoice(**fields: Any) -> Invoice:
    values: dict[str, Any] = {
        "id": 10,
        "customer_id": ACME.id,
        "currency": "USD",
        "amount_minor": 10_000,
        "due_date": AS_OF - timedelta(days=30),
    }
    values.update(fields)
    return Invoice(**values)


def make_promise(
    due: date = AS_OF, invoice_ids: tuple[int, ...] = (10,), *, customer_id: int = 1, **fields: Any
) -> Task:
    return Task(
        id=1,
        customer_id=customer_id,
        type=fields.pop("type", TaskType.EXPECTED_PAYMENT),
        description="",
        assignee_id=None,
        due_date=due,
        invoice_ids=invoice_ids,
        promise=Promise(5_000, "USD", due, AS_OF - timedelta(days=7)),
        **fields,
    )


def make_plan(*instalments: tuple[date, int], **fields: Any) -> Plan:
    values: dict[str, Any] = {
        "id": 7,
        "customer_id": ACME.id,
        "status": PlanStatus.ACTIVE,
        "start_date": AS_OF - timedelta(days=60),
        "invoice_ids": frozenset({10}),
        "instalments": tuple(Instalment(due, minor) for due, minor in instalments),
    }
    values.update(fields)
    return Plan(**values)


def workflow(name: str, *tags: str) -> Workflow:
    return Workflow(name, (Step("s", days=0, email="past_due"),), tags)


# -- outstanding -------------------------------------------------------------------------------------


def test_outstanding_is_the_amount_when_nothing_is_allocated() -> None:
    assert outstanding(make_invoice()) == Money.of("100.00", "USD")


def test_a_partial_payment_lowers_what_is_outstanding() -> None:
    assert outstanding(make_invoice(paid_minor=2_550)) == Money.of("74.50", "USD")


def test_credits_and_write_offs_lower_it_as_payments_do() -> None:
    invoice = make_invoice(paid_minor=1_000, credited_minor=2_000, written_off_minor=3_000)

    assert outstanding(invoice) == Money.of("40.00", "USD")


def test_outstanding_is_in_the_invoices_currency_and_its_minor_units() -> None:
    invoice = make_invoice(currency="JPY", amount_minor=12_000, paid_minor=500)

    assert outstanding(invoice) == Money.of("11500", "JPY")


# -- status ------------------------------------------------------------------------------------------


def test_an_invoice_with_something_left_is_open() -> None:
    assert invoice_status(make_invoice(paid_minor=9_999)) is InvoiceStatus.OPEN


def test_an_invoice_paid_in_full_is_paid() -> None:
    assert invoice_status(make_invoice(paid_minor=6_000, credited_minor=4_000)) is InvoiceStatus.PAID


def test_an_invoice_settled_with_a_write_off_is_written_off() -> None:
    assert invoice_status(make_invoice(paid_minor=9_000, written_off_minor=1_000)) is InvoiceStatus.WRITTEN_OFF


def test_a_write_off_that_leaves_something_owed_keeps_the_invoice_open() -> None:
    assert invoice_status(make_invoice(written_off_minor=1_000)) is InvoiceStatus.OPEN


def test_void_wins_over_everything() -> None:
    assert invoice_status(make_invoice(is_void=True, paid_minor=10_000, written_off_minor=1)) is InvoiceStatus.VOID


def test_an_invoice_of_zero_is_paid() -> None:
    assert invoice_status(make_invoice(amount_minor=0)) is InvoiceStatus.PAID


# -- chaseable ---------------------------------------------------------------------------------------


def test_an_open_invoice_of_a_customer_in_good_standing_is_chaseable() -> None:
    assert is_chaseable(make_invoice(), ACME, [], AS_OF)


def test_an_invoice_not_yet_due_is_chaseable_too_the_steps_decide_when() -> None:
    assert is_chaseable(make_invoice(due_date=AS_OF + timedelta(days=10)), ACME, [], AS_OF)


@pytest.mark.parametrize(
    "fields",
    [
        {"paid_minor": 10_000},
        {"written_off_minor": 10_000},
        {"is_void": True},
        {"disputed": True},
        {"excluded": True},
        {"paused": True},
        {"plan_id": 7},
        {"payment_pending": True},
    ],
    ids=["paid", "written_off", "void", "disputed", "excluded", "paused", "on_a_plan", "payment_pending"],
)
def test_an_invoice_held_back_is_not_chaseable(fields: dict[str, Any]) -> None:
    assert not is_chaseable(make_invoice(**fields), ACME, [], AS_OF)


def test_a_customer_on_hold_is_not_chased() -> None:
    assert not is_chaseable(make_invoice(), replace(ACME, on_hold=True), [], AS_OF)


def test_a_paused_customer_is_not_chased() -> None:
    assert not is_chaseable(make_invoice(), replace(ACME, paused=True), [], AS_OF)


def test_a_promise_due_today_still_covers_the_invoice() -> None:
    assert not is_chaseable(make_invoice(), ACME, [make_promise(AS_OF)], AS_OF)


def test_a_promise_due_yesterday_no_longer_covers_it() -> None:
    assert is_chaseable(make_invoice(), ACME, [make_promise(YESTERDAY)], AS_OF)


def test_a_promise_on_another_invoice_does_not_cover_it() -> None:
    assert is_chaseable(make_invoice(), ACME, [make_promise(invoice_ids=(11,))], AS_OF)


def test_a_promise_naming_no_invoice_covers_the_whole_account() -> None:
    assert not is_chaseable(make_invoice(), ACME, [make_promise(invoice_ids=())], AS_OF)


def test_a_promise_on_another_customers_account_does_not_cover_it() -> None:
    assert not is_promised(make_invoice(), [make_promise(invoice_ids=(), customer_id=2)], AS_OF)


def test_a_kept_or_broken_promise_covers_nothing() -> None:
    closed = make_promise(status=TaskStatus.DONE)

    assert is_chaseable(make_invoice(), ACME, [closed], AS_OF)


def test_a_task_that_is_not_a_promise_covers_nothing() -> None:
    call = make_promise(type=TaskType.CALL)

    assert is_chaseable(make_invoice(), ACME, [call], AS_OF)


def test_a_workflow_with_tags_chases_only_customers_with_one_of_them() -> None:
    files = (workflow("enterprise", "enterprise", "key"),)

    assert is_chaseable(make_invoice(), replace(ACME, tags=("key",)), [], AS_OF, workflows=files, index=0)
    assert not is_chaseable(make_invoice(), replace(ACME, tags=("smb",)), [], AS_OF, workflows=files, index=0)


def test_a_customer_falls_to_the_first_workflow_that_matches_it() -> None:
    files = (workflow("enterprise", "enterprise"), workflow("everyone"))
    big, small = replace(ACME, tags=("enterprise",)), replace(ACME, tags=())

    assert [first_match(files, k, big) for k in (0, 1)] == [True, False]
    assert [first_match(files, k, small) for k in (0, 1)] == [False, True]


# -- overdue -----------------------------------------------------------------------------------------


def test_an_invoice_due_yesterday_is_overdue() -> None:
    overdue = overdue_amount(ACME, [make_invoice(due_date=YESTERDAY, paid_minor=2_500)], [], [], AS_OF)

    assert overdue == Money.of("75.00", "USD")


def test_an_invoice_due_today_is_not_overdue_yet() -> None:
    assert overdue_amount(ACME, [make_invoice(due_date=AS_OF)], [], [], AS_OF) == Money.zero("USD")


@pytest.mark.parametrize(
    "fields",
    [{"excluded": True}, {"disputed": True}, {"plan_id": 7}, {"paid_minor": 10_000}, {"is_void": True}],
    ids=["excluded", "disputed", "on_a_plan", "paid", "void"],
)
def test_an_invoice_held_back_or_settled_is_not_overdue(fields: dict[str, Any]) -> None:
    assert overdue_amount(ACME, [make_invoice(**fields)], [], [], AS_OF) == Money.zero("USD")


def test_a_paused_invoice_is_still_overdue() -> None:
    invoices = [make_invoice(id=10, paused=True), make_invoice(id=11)]

    assert overdue_amount(ACME, invoices, [], [], AS_OF) == Money.of("200.00", "USD")


def test_a_customer_on_hold_has_nothing_overdue() -> None:
    assert overdue_amount(replace(ACME, on_hold=True), [make_invoice()], [], [], AS_OF) == Money.zero("USD")


def test_another_customers_invoices_do_not_count() -> None:
    assert overdue_amount(ACME, [make_invoice(customer_id=2)], [], [], AS_OF) == Money.zero("USD")


def test_on_a_plan_only_the_instalments_fallen_due_count() -> None:
    plan = make_plan((YESTERDAY, 4_000), (AS_OF, 6_000))

    assert overdue_amount(ACME, [make_invoice(plan_id=7)], [plan], [], AS_OF) == Money.of("40.00", "USD")


def test_payments_on_the_plan_pay_its_instalments_first() -> None:
    plan = make_plan((YESTERDAY - timedelta(days=30), 4_000), (YESTERDAY, 6_000))
    paid = [Allocation(10, plan.start_date, 5_000)]

    assert overdue_amount(ACME, [], [plan], paid, AS_OF) == Money.of("50.00", "USD")


def test_a_credit_note_on_the_plan_counts_as_a_payment() -> None:
    plan = make_plan((YESTERDAY, 4_000))
    credited = [Allocation(10, AS_OF - timedelta(days=3), 4_000)]

    assert overdue_amount(ACME, [], [plan], credited, AS_OF) == Money.zero("USD")


def test_what_was_paid_before_the_plan_started_or_on_other_invoices_does_not_count() -> None:
    plan = make_plan((YESTERDAY, 4_000))
    moves = [Allocation(10, plan.start_date - timedelta(days=1), 4_000), Allocation(11, AS_OF, 4_000)]

    assert paid_on_plan(plan, moves) == 0


def test_a_plan_paid_ahead_is_overdue_by_nothing_not_less() -> None:
    plan = make_plan((YESTERDAY, 4_000), (AS_OF + timedelta(days=30), 6_000))
    paid = [Allocation(10, AS_OF, 9_000)]

    assert overdue_amount(ACME, [make_invoice(id=11)], [plan], paid, AS_OF) == Money.of("100.00", "USD")


@pytest.mark.parametrize("status", [PlanStatus.COMPLETED, PlanStatus.DEFAULTED])
def test_a_plan_no_longer_active_adds_nothing(status: PlanStatus) -> None:
    plan = make_plan((YESTERDAY, 4_000), status=status)

    assert overdue_amount(ACME, [], [plan], [], AS_OF) == Money.zero("USD")


def test_the_overdue_amount_is_in_the_customers_currency() -> None:
    tokyo = Customer(2, "JPY")
    invoice = make_invoice(customer_id=2, currency="JPY", amount_minor=12_000, due_date=YESTERDAY)

    assert overdue_amount(tokyo, [invoice], [], [], AS_OF) == Money.of("12000", "JPY")


def test_an_invoice_in_another_currency_than_the_account_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        overdue_amount(ACME, [make_invoice(currency="EUR")], [], [], AS_OF)


# -- exposure ----------------------------------------------------------------------------------------


def test_exposure_is_the_outstanding_of_every_open_invoice_held_back_or_not() -> None:
    invoices = [
        make_invoice(id=10, paid_minor=1_000),
        make_invoice(id=11, disputed=True),
        make_invoice(id=12, plan_id=7, due_date=AS_OF + timedelta(days=30)),
        make_invoice(id=13, excluded=True, credited_minor=5_000),
    ]

    assert exposure(ACME, invoices) == Money.of("340.00", "USD")


def test_exposure_leaves_out_paid_written_off_and_void_invoices() -> None:
    invoices = [
        make_invoice(id=10, paid_minor=10_000),
        make_invoice(id=11, paid_minor=5_000, written_off_minor=5_000),
        make_invoice(id=12, is_void=True),
    ]

    assert exposure(ACME, invoices) == Money.zero("USD")


def test_exposure_counts_a_customer_on_hold_in_full() -> None:
    assert exposure(replace(ACME, on_hold=True), [make_invoice()]) == Money.of("100.00", "USD")


def test_exposure_of_a_customer_in_kuwaiti_dinars_keeps_three_decimals() -> None:
    kuwait = Customer(3, "KWD")
    invoice = make_invoice(customer_id=3, currency="KWD", amount_minor=1_234_567, paid_minor=1)

    assert exposure(kuwait, [invoice]) == Money.of("1234.566", "KWD")
