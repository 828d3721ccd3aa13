"""Holding back the chasing of a customer or an invoice (services/chasing.py), over fakes: managers
and owners pause and resume, exclude and include; each change is audited and refreshes the balance."""

from __future__ import annotations

import pytest

from arrears.domain.audit import Actor, AuditEntry
from arrears.domain.errors import InvalidValue, NotFound, PermissionDenied
from arrears.services.chasing import set_chasing
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, NOW, OLIVIA, TODAY


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def test_pausing_a_customer_pauses_its_workflows(uow: FakeUnitOfWork) -> None:
    set_chasing(uow, MORGAN, "customer", "C2", "paused", True)

    assert uow.ledger.flag("customer", "C2", "workflow_paused") is True
    assert uow.audit.entries == [
        AuditEntry(NOW, Actor.of(MORGAN), "customer", "C2", "paused:True", "Customer C2 paused", 2)
    ]


def test_resuming_a_customer_says_so(uow: FakeUnitOfWork) -> None:
    set_chasing(uow, MORGAN, "customer", "C2", "paused", True)

    set_chasing(uow, MORGAN, "customer", "C2", "paused", False)

    assert uow.ledger.flag("customer", "C2", "workflow_paused") is False
    assert [e.summary for e in uow.audit.entries] == ["Customer C2 paused", "Customer C2 resumed"]


def test_pausing_an_invoice_pauses_it_alone(uow: FakeUnitOfWork) -> None:
    set_chasing(uow, OLIVIA, "invoice", "I2", "paused", True)

    assert uow.ledger.flags == {("invoice", "I2"): {"workflow_paused": True}}


def test_excluding_an_invoice_takes_it_out_of_the_overdue_amount(uow: FakeUnitOfWork) -> None:
    set_chasing(uow, MORGAN, "invoice", "I1", "excluded", True)

    assert uow.audit.entries[0].summary == "Invoice I1 excluded from chasing"
    assert uow.audit.entries[0].customer_id == 1
    assert uow.balances.refreshes == [(TODAY, (1,))]
    assert uow.balances.rows[1][2] == 250_00  # I2 only


def test_an_excluded_invoice_can_be_included_again(uow: FakeUnitOfWork) -> None:
    set_chasing(uow, MORGAN, "invoice", "I1", "excluded", True)

    set_chasing(uow, MORGAN, "invoice", "I1", "excluded", False)

    assert uow.audit.entries[-1].summary == "Invoice I1 included in chasing again"
    assert uow.balances.rows[1][2] == 350_00


def test_only_an_invoice_is_excluded(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="only an invoice is excluded"):
        set_chasing(uow, MORGAN, "customer", "C1", "excluded", True)

    assert uow.ledger.flags == {} and uow.commits == 0


def test_chasing_is_held_back_for_a_customer_or_an_invoice_only(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="paused for a customer or an invoice"):
        set_chasing(uow, MORGAN, "payment", "P1", "paused", True)


def test_an_unknown_flag_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue):
        set_chasing(uow, MORGAN, "invoice", "I1", "on_hold", True)

    assert uow.commits == 0


def test_holding_back_an_unknown_invoice_is_not_found_and_writes_nothing(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no invoice with external id 'I9'"):
        set_chasing(uow, MORGAN, "invoice", "I9", "paused", True)

    assert not uow.audit.entries and uow.commits == 0


def test_contributors_do_not_hold_back_chasing(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        set_chasing(uow, MARIA, "customer", "C1", "paused", True)

    assert uow.ledger.flags == {} and not uow.audit.entries
