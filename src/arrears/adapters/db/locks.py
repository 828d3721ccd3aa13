"""Row locks that serialise writes to a customer's ledger (PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, Select, func, select

from . import tables as t


def lock_customers(ids: Select[Any] | CompoundSelect[Any]) -> Select[Any]:
    """The statement that locks the customers `ids` selects, in id order, until the transaction ends
    (`FOR NO KEY UPDATE`: rows that merely reference a customer can still be written); it returns
    their count, not the ids, so that a file of 100,000 customers sends one number back."""
    c = t.customers
    locked = select(c.c.id).where(c.c.id.in_(ids)).order_by(c.c.id).with_for_update(key_share=True).subquery()
    return select(func.count()).select_from(locked)
