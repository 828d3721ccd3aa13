"""The per-customer balances the task list, the dashboard and the customer record read: the count of
open invoices, their outstanding amount, and how much of it is overdue.

Writes keep them in step: the unit of work refreshes the customers a write moved (their ledger, a
plan, a dispute, a chasing flag) just before it commits. What moves them without a write is the
calendar (an invoice falls overdue at midnight): `roll_balances` carries them to today. The cycle
rolls them to its day; the worker and `arrears serve` roll them every minute (a no-op but for the
first minute of a day); a command that reads them from the terminal rolls them first. A read never
writes them.
"""

from __future__ import annotations

from datetime import date

from .ports import UnitOfWork


def refresh_balances(uow: UnitOfWork, as_of: date) -> int:
    """Every customer's balances as of `as_of` (the cycle's step, for the day it runs as of)."""
    with uow:
        count = uow.balances.refresh_balances(as_of)
        uow.commit()
    return count


def roll_balances(uow: UnitOfWork) -> int | None:
    """Carry the balances to today (the company's time zone) unless they are there already; returns
    how many customers were refreshed, or None when there was nothing to do."""
    with uow:
        today = uow.clock.today()
        if uow.balances.balances_as_of() == today:
            return None
        count = uow.balances.refresh_balances(today)
        uow.commit()
    return count
