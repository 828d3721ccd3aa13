"""The customer list's use case (services/customers.py), over fakes: who may read it, what it asks
the read model for, and what it refuses."""

from __future__ import annotations

import pytest

from arrears.domain.errors import InvalidValue
from arrears.services import customers
from arrears.services.workspace_ports import CustomerFilter
from tests.fakes import FakeUnitOfWork, acme_desk, rolled
from tests.unit.builders import MARIA, MORGAN, SAM


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return rolled(acme_desk())


def test_every_role_reads_the_list_with_balances_and_collectors(uow: FakeUnitOfWork) -> None:
    page = customers.customer_list(uow, SAM)

    assert [(r.external_id, r.collector, r.overdue_minor) for r in page.items] == [
        ("C1", "maria", 350_00),
        ("C2", "sam", 40_00),
    ]
    assert page.next_offset is None


def test_the_filters_reach_the_read_model_with_the_collector_by_id(uow: FakeUnitOfWork) -> None:
    customers.customer_list(uow, MORGAN, q="  inv-2002 ", collector="sam", overdue=True, disputed=True, tag=" eu ")

    [(flt, sort, limit, offset)] = uow.customer_list.asked
    assert flt == CustomerFilter(q="inv-2002", collector_id=SAM.id, overdue=True, disputed=True, tag="eu")
    assert (sort, limit, offset) == ("name", 50, 0)


def test_a_dash_asks_for_the_customers_without_a_collector(uow: FakeUnitOfWork) -> None:
    page = customers.customer_list(uow, MARIA, collector="-")

    assert uow.customer_list.asked[0][0] == CustomerFilter(unassigned=True)
    assert page.items == []  # both desk customers have a collector


def test_a_page_and_the_next_one(uow: FakeUnitOfWork) -> None:
    first = customers.customer_list(uow, MARIA, limit=1)
    second = customers.customer_list(uow, MARIA, limit=1, offset=first.next_offset or 0)

    assert [r.external_id for r in (*first.items, *second.items)] == ["C1", "C2"]
    assert (first.next_offset, second.next_offset) == (1, None)


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"sort": "balance"}, "'balance' is not a sort"),
        ({"limit": 0}, "limit must be 1 to 200"),
        ({"limit": 201}, "limit must be 1 to 200"),
        ({"offset": -1}, "offset zero or more"),
        ({"q": "x" * 201}, "at most 200 characters"),
        ({"q": "a\x00b"}, "at most 200 characters"),
        ({"collector": "nobody"}, "no user named 'nobody'"),
    ],
)
def test_a_bad_request_is_refused_with_the_reason(uow: FakeUnitOfWork, options: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        customers.customer_list(uow, MARIA, **options)  # type: ignore[arg-type]
