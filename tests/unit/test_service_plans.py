"""Payment plans (services/plans.py), over fakes: the invoices of one customer, open and on no other
plan, put on dated instalments that add up to what they owe, read again once the customer is locked."""

from __future__ import annotations

from datetime import date

import pytest

from arrears.domain.audit import Actor, AuditEntry
from arrears.domain.errors import InvalidValue, NotFound, PermissionDenied
from arrears.domain.plans import Instalment
from arrears.services import plans
from arrears.services.workspace_ports import PlanRow
from tests.fakes import FakeLedger, FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, NOW, TODAY

JULY, AUGUST = date(2026, 7, 1), date(2026, 8, 1)
IN_TWO = [(JULY, "150.00"), (AUGUST, "200.00")]  # I1 and I2 owe 350.00


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def nothing_written(uow: FakeUnitOfWork) -> bool:
    return (
        uow.commits == 0
        and not uow.plans.rows
        and not uow.audit.entries
        and all(i.plan_id is None for i in uow.ledger.invoice_refs.values())
    )


def test_a_plan_puts_the_invoices_of_one_customer_on_dated_instalments(uow: FakeUnitOfWork) -> None:
    plan = plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert plan == PlanRow(
        plan.id,
        "C1",
        "USD",
        "active",
        TODAY,
        350_00,
        0,
        ["I1", "I2"],
        [Instalment(JULY, 150_00), Instalment(AUGUST, 200_00)],
    )
    assert {uow.ledger.invoice(e).plan_id for e in ("I1", "I2")} == {plan.id}
    assert uow.ledger.invoice("I3").plan_id is None


def test_instalments_are_kept_in_date_order_whatever_order_they_come_in(uow: FakeUnitOfWork) -> None:
    plan = plans.create_plan(uow, MORGAN, ["I1", "I2"], [(AUGUST, "200.00"), (JULY, "150.00")])

    assert [i.due_date for i in uow.plans.rows[plan.id].instalments] == [JULY, AUGUST]


def test_an_invoice_named_twice_goes_on_the_plan_once(uow: FakeUnitOfWork) -> None:
    plan = plans.create_plan(uow, MORGAN, ["I1", "I1"], [(JULY, "100.00")])

    assert (plan.total_minor, uow.plans.rows[plan.id].invoice_ids) == (100_00, (11,))


def test_a_plan_is_audited_with_its_amount_and_instalments(uow: FakeUnitOfWork) -> None:
    plan = plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert uow.audit.entries == [
        AuditEntry(
            NOW,
            Actor.of(MORGAN),
            "payment_plan",
            str(plan.id),
            "created",
            "Payment plan of 350.00 USD in 2 instalments on I1, I2",
            1,
            {"instalments": [["2026-07-01", "150.00"], ["2026-08-01", "200.00"]]},
        )
    ]


def test_a_plan_refreshes_its_customers_balance(uow: FakeUnitOfWork) -> None:
    plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert uow.balances.refreshes == [(TODAY, (1,))]
    assert uow.balances.rows[1] == (3, 430_00, 0)  # nothing on the plan has fallen due


def test_contributors_do_not_create_plans(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied, match="a contributor may not write ledger"):
        plans.create_plan(uow, MARIA, ["I1"], [(JULY, "100.00")])

    assert nothing_written(uow)


def test_a_plan_needs_at_least_one_invoice(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="needs at least one invoice"):
        plans.create_plan(uow, MORGAN, [], [(JULY, "100.00")])

    assert nothing_written(uow)


def test_an_unknown_invoice_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no invoice with external id 'I9'"):
        plans.create_plan(uow, MORGAN, ["I1", "I9"], [(JULY, "100.00")])

    assert nothing_written(uow)


def test_the_invoices_of_two_customers_cannot_share_a_plan_and_nothing_is_locked(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="must belong to one customer"):
        plans.create_plan(uow, MORGAN, ["I1", "B1"], [(JULY, "140.00")])

    assert nothing_written(uow)
    assert uow.ledger.locks == []


@pytest.mark.parametrize("status", ["paid", "void", "written_off"])
def test_only_open_invoices_go_on_a_plan(uow: FakeUnitOfWork, status: str) -> None:
    uow.ledger.change_invoice("I2", status=status)

    with pytest.raises(InvalidValue, match=f"invoice 'I2' is {status}; only open invoices go on a plan"):
        plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert nothing_written(uow)


def test_an_invoice_already_on_a_plan_cannot_go_on_another(uow: FakeUnitOfWork) -> None:
    first = plans.create_plan(uow, MORGAN, ["I2"], [(JULY, "250.00")])

    with pytest.raises(InvalidValue, match=f"invoice 'I2' is already on payment plan {first.id}"):
        plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert list(uow.plans.rows) == [first.id]


@pytest.mark.parametrize(
    ("instalments", "reason"),
    [
        ([(JULY, "100.00")], "add up to 100.00 USD but the invoices have 350.00 USD outstanding"),
        ([(date(2026, 5, 30), "350.00")], "the instalment date 2026-05-30 is in the past"),
        ([(JULY, "175.00"), (JULY, "175.00")], "two instalments fall on the same date"),
        ([], "at least one instalment"),
        ([(JULY, "350.00"), (AUGUST, "0")], "greater than zero"),
        ([(JULY, "349.995")], "decimals"),
    ],
)
def test_instalments_that_do_not_add_up_to_what_is_owed_are_refused(
    uow: FakeUnitOfWork, instalments: list[tuple[date, str]], reason: str
) -> None:
    with pytest.raises(InvalidValue, match=reason):
        plans.create_plan(uow, MORGAN, ["I1", "I2"], instalments)

    assert nothing_written(uow)


def test_the_customer_is_locked_before_the_plan_is_written(uow: FakeUnitOfWork) -> None:
    plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert uow.ledger.locks == [(1,)]


def test_a_payment_that_lands_while_waiting_for_the_lock_counts_against_the_plan(uow: FakeUnitOfWork) -> None:
    def paid_meanwhile(ledger: FakeLedger) -> None:
        ledger.pay("I1", 50_00)

    uow.ledger.while_locking(paid_meanwhile)

    with pytest.raises(InvalidValue, match=r"add up to 350\.00 USD but the invoices have 300\.00 USD outstanding"):
        plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert not uow.plans.rows
    assert uow.ledger.invoice("I1").outstanding_minor == 50_00  # the other writer's payment stands


def test_a_plan_taken_by_another_writer_while_waiting_for_the_lock_is_seen(uow: FakeUnitOfWork) -> None:
    def planned_meanwhile(ledger: FakeLedger) -> None:
        ledger.change_invoice("I2", plan_id=77)

    uow.ledger.while_locking(planned_meanwhile)

    with pytest.raises(InvalidValue, match="invoice 'I2' is already on payment plan 77"):
        plans.create_plan(uow, MORGAN, ["I1", "I2"], IN_TWO)

    assert not uow.plans.rows


def test_a_plan_reads_back_by_its_id(uow: FakeUnitOfWork) -> None:
    created = plans.create_plan(uow, MORGAN, ["I1"], [(JULY, "100.00")])

    assert plans.get_plan(uow, MARIA, created.id) == created


def test_an_unknown_plan_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no payment plan 5"):
        plans.get_plan(uow, MARIA, 5)
