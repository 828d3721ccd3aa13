"""The customer list: every customer with its collector and balances, searched and filtered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, literal_column, or_, select, union, union_all

from ....services.workspace_ports import CustomerFilter, CustomerListRow, Page
from .. import tables as t
from .common import SqlArea

SPACE: ColumnElement[str] = literal_column("' '")
EMPTY: ColumnElement[str] = literal_column("''")
COLLECTOR = t.users.c.id == t.customers.c.collector_id
# The sorts by an amount, largest first within each currency, and the column each sorts by.
AMOUNT_SORTS = {"-overdue": "overdue_minor", "-outstanding": "outstanding_minor"}


def customer_haystack(c: Any) -> ColumnElement[str]:
    """What a search reads of a customer, lower-cased; on PostgreSQL a trigram index holds the same
    expression (migration 0010), written with constants (no parameters) so that the planner matches it."""
    return func.lower(
        c.c.name
        + SPACE
        + c.c.external_id
        + SPACE
        + func.coalesce(c.c.email, EMPTY)
        + SPACE
        + func.coalesce(c.c.phone, EMPTY)
    )


def contact_haystack(k: Any) -> ColumnElement[str]:
    """What a search reads of a contact (its trigram index: migration 0010)."""
    return func.lower(k.c.name + SPACE + func.coalesce(k.c.email, EMPTY) + SPACE + func.coalesce(k.c.phone, EMPTY))


def _like_pattern(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlCustomerList(SqlArea):
    def customers(self, flt: CustomerFilter, sort: str, limit: int, offset: int) -> Page:
        query, order = self._query(flt, sort, offset + limit + 1)
        rows = list(self.connection.execute(query.order_by(*order).limit(limit + 1).offset(offset)))
        disputed = self._disputed([row.id for row in rows[:limit]])
        items = [
            CustomerListRow(
                row.id,
                row.external_id,
                row.name,
                row.currency,
                row.collector,
                int(row.open_invoice_count or 0),
                int(row.outstanding_minor or 0),
                int(row.overdue_minor or 0),
                bool(row.on_hold),
                tuple(tag for tag in (row.tags or "").split(";") if tag),
                disputed.get(row.id, 0),
                row.phone,
                row.email,
                bool(row.credit_hold),
            )
            for row in rows[:limit]
        ]
        return Page(items, offset + limit if len(rows) > limit else None)

    def _query(self, flt: CustomerFilter, sort: str, rows: int) -> tuple[Select[Any], tuple[Any, ...]]:
        """The list's statement and its order; `rows` is as many as the page reads (its offset, its
        rows and one more)."""
        c, b, u = t.customers, t.customer_balances, t.users
        if sort in AMOUNT_SORTS:
            return self._by_amount(flt, AMOUNT_SORTS[sort], rows)
        query = self._filtered(self._select(c.outerjoin(b, b.c.customer_id == c.c.id).outerjoin(u, COLLECTOR)), flt)
        sorts: dict[str, tuple[Any, ...]] = {
            "name": (c.c.name.asc(), c.c.id.asc()),
            "-name": (c.c.name.desc(), c.c.id.desc()),
            "external_id": (c.c.external_id.asc(),),
        }
        return query, sorts[sort]

    def _by_amount(self, flt: CustomerFilter, amount: str, rows: int) -> tuple[Select[Any], tuple[Any, ...]]:
        """Largest amount first, currency by currency (amounts compare within a currency), as one
        union: the customers with balances in their own currency, which PostgreSQL reads in order
        from the index on (currency, amount descending) (migration 0013) and stops after the page,
        and the few others (no balances yet, or balances still in a former currency), sorted on
        their own; a merge of the two yields the page. The same rows, in the same order, as sorting
        every customer by (currency, coalesce(amount, 0) descending, name, id)."""
        c, b, u = t.customers, t.customer_balances, t.users
        in_own_currency = c.join(b, and_(b.c.customer_id == c.c.id, b.c.currency == c.c.currency))
        others = c.outerjoin(b, b.c.customer_id == c.c.id)
        mine = b.alias("own_balances")
        own = select(mine.c.customer_id).where(mine.c.customer_id == c.c.id, mine.c.currency == c.c.currency).exists()
        first = self._filtered(self._select(in_own_currency.outerjoin(u, COLLECTOR), coalesce=False), flt)
        first = first.order_by(c.c.currency.asc(), b.c[amount].desc(), c.c.name.asc(), c.c.id.asc()).limit(rows)
        first_rows = first.subquery("in_own_currency")
        listed = union_all(
            select(*first_rows.c), self._filtered(self._select(others.outerjoin(u, COLLECTOR)), flt).where(~own)
        ).subquery("listed")
        order = (listed.c.currency.asc(), listed.c[amount].desc(), listed.c.name.asc(), listed.c.id.asc())
        return select(*listed.c), order

    @staticmethod
    def _select(joined: Any, coalesce: bool = True) -> Select[Any]:
        """The list's columns; a missing balance reads as nothing outstanding or overdue (an inner
        join to the balances leaves the amounts bare, so that their index can order them)."""
        c, b, u = t.customers, t.customer_balances, t.users

        def amount(column: Any) -> Any:
            return func.coalesce(column, 0) if coalesce else column

        return select(
            c.c.id,
            c.c.external_id,
            c.c.name,
            c.c.currency,
            u.c.name.label("collector"),
            b.c.outstanding_invoice_count.label("open_invoice_count"),
            amount(b.c.outstanding_minor).label("outstanding_minor"),
            amount(b.c.overdue_minor).label("overdue_minor"),
            c.c.on_hold,
            c.c.tags,
            c.c.phone,
            c.c.email,
            c.c.credit_hold,
        ).select_from(joined)

    def _filtered(self, query: Select[Any], flt: CustomerFilter) -> Select[Any]:
        c, b, i = t.customers, t.customer_balances, t.invoices
        if flt.q and flt.q.strip():
            query = query.where(c.c.id.in_(self._matching(flt.q.strip())))
        if flt.collector_id is not None:
            query = query.where(c.c.collector_id == flt.collector_id)
        if flt.unassigned:
            query = query.where(c.c.collector_id.is_(None))
        if flt.overdue:
            query = query.where(b.c.overdue_minor > 0)
        if flt.on_hold:
            query = query.where(c.c.on_hold.is_(True))
        if flt.disputed:
            query = query.where(
                select(i.c.id).where(i.c.customer_id == c.c.id, i.c.status == "open", i.c.disputed.is_(True)).exists()
            )
        if flt.tag:
            query = query.where((literal(";") + c.c.tags + literal(";")).contains(f";{flt.tag};", autoescape=True))
        return query

    def _disputed(self, customer_ids: list[int]) -> dict[int, int]:
        """How many open invoices in dispute each customer of a page has (read for the page alone,
        not for the rows an offset skips)."""
        if not customer_ids:
            return {}
        i = t.invoices
        rows = self.connection.execute(
            select(i.c.customer_id, func.count())
            .where(i.c.customer_id.in_(customer_ids), i.c.status == "open", i.c.disputed.is_(True))
            .group_by(i.c.customer_id)
        )
        return {int(customer_id): int(count) for customer_id, count in rows}

    def _matching(self, needle: str) -> Any:
        """The ids of the customers a search matches: by name, external id, email or phone (its own
        or a contact's, anywhere in them, any case), or by an invoice's number (any case) or external
        id, exactly. Each part reads its own index on PostgreSQL; their union is a few ids."""
        c, k, i = t.customers, t.contacts, t.invoices
        pattern = _like_pattern(needle.lower())
        return union(
            select(c.c.id).where(customer_haystack(c).like(pattern, escape="\\")),
            select(k.c.customer_id).where(contact_haystack(k).like(pattern, escape="\\")),
            select(i.c.customer_id).where(or_(func.lower(i.c.number) == needle.lower(), i.c.external_id == needle)),
        )
