"""The customer list: every account, found by what a collector has at hand (a name, an invoice
number, the email of the person on the phone), filtered and sorted, a page at a time."""

from __future__ import annotations

from ..domain.errors import InvalidValue
from ..domain.permissions import Action, require
from ..domain.users import User
from .ports import UnitOfWork
from .tasks import user_id_named
from .workspace_ports import CustomerFilter, Page

SORTS = ("name", "-name", "external_id", "-overdue", "-outstanding")
MAX_PAGE = 200
MAX_QUERY = 200
UNASSIGNED = "-"  # the collector filter's value for customers without a collector


def customer_list(
    uow: UnitOfWork,
    user: User,
    *,
    q: str | None = None,
    collector: str | None = None,
    overdue: bool = False,
    on_hold: bool = False,
    disputed: bool = False,
    tag: str | None = None,
    sort: str = "name",
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """One page of the customers matching the filters, each with its collector, open invoices,
    outstanding and overdue amounts (as of the balances' last roll), hold and disputes.

    `q` finds a customer by its name, external id, email or phone, or a contact's (any part, any
    case), or by one of its invoices' number (any case) or external id (exactly). `collector` is a
    user name, or `-` for the customers without one. Amounts sort within a currency."""
    require(user, Action.READ)
    if sort not in SORTS:
        raise InvalidValue(f"{sort!r} is not a sort: use one of {', '.join(SORTS)}")
    if not 1 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidValue(f"limit must be 1 to {MAX_PAGE} and offset zero or more")
    needle = (q or "").strip()
    if len(needle) > MAX_QUERY or "\x00" in needle:
        raise InvalidValue(f"search for at most {MAX_QUERY} characters")
    with uow:
        collector_id = None
        if collector and collector != UNASSIGNED:
            collector_id = user_id_named(uow, collector, "collector")
        flt = CustomerFilter(
            q=needle or None,
            collector_id=collector_id,
            unassigned=collector == UNASSIGNED,
            overdue=overdue,
            on_hold=on_hold,
            disputed=disputed,
            tag=(tag or "").strip() or None,
        )
        return uow.customer_list.customers(flt, sort, limit, offset)
