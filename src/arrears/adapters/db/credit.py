"""Customers' credit: figures in batches, the history the behavioural score reads, hold, alert
states and computed scores (services/credit_ports.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite

from ...domain.credit import InvoiceHistory
from ...domain.tasks import TaskStatus, TaskType
from ...services.credit_ports import CreditRow, ScoreRow
from . import tables as t
from .receivables import exposure as exposure_of
from .receivables import is_open

COMPUTED = "arrears"  # the source of the scores Arrears computes


class SqlCredit:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name

    def credit_rows(self, *, after_id: int, limit: int, external_id: str | None = None) -> list[CreditRow]:
        c = t.customers
        query = self._customers().where(c.c.id > after_id).order_by(c.c.id).limit(limit)
        if external_id is not None:
            query = query.where(c.c.external_id == external_id)
        return self._credit_rows(self.connection.execute(query).all())

    def credit_page(
        self,
        *,
        order: str,
        currency: str | None = None,
        on_hold: bool = False,
        over_limit: bool = False,
        flagged_below: int | None = None,
        limit: int,
        offset: int,
    ) -> tuple[list[CreditRow], int | None]:
        """One page of the credit page: the customers in `order` (`credit_ports.CREDIT_ORDERS`),
        filtered; then each row's figures read for the page's ids alone, as `credit_rows` reads them.
        The exposure (receivables.exposure) and the score that counts are joined only when the order
        or a filter reads them."""
        c = t.customers
        owed = exposure_of().subquery("owed")
        exposure = func.coalesce(owed.c.exposure, 0)
        counts = self._counting_scores().subquery("counts")
        percent = counts.c.score * 100.0 / func.coalesce(func.nullif(counts.c.max_score, 0), 100)
        available = c.c.credit_limit_minor - exposure
        over = and_(c.c.credit_limit_minor.is_not(None), c.c.credit_limit_minor > 0, exposure > c.c.credit_limit_minor)
        orders: dict[str, tuple[Any, ...]] = {
            "-exposure": (c.c.currency.asc(), exposure.desc(), c.c.name.asc(), c.c.id.asc()),
            "available": (
                c.c.currency.asc(),
                case((c.c.credit_limit_minor.is_(None), 1), else_=0),
                available.asc(),
                c.c.name.asc(),
                c.c.id.asc(),
            ),
            "score": (case((counts.c.score.is_(None), 1), else_=0), percent.asc(), c.c.name.asc(), c.c.id.asc()),
            "name": (c.c.name.asc(), c.c.id.asc()),
            "-name": (c.c.name.desc(), c.c.id.desc()),
        }
        query = self._customers()
        if order in ("-exposure", "available") or over_limit or flagged_below is not None:
            query = query.outerjoin(owed, owed.c.customer_id == c.c.id)  # only when read: a pass over open invoices
        if order == "score" or flagged_below is not None:
            query = query.outerjoin(counts, counts.c.customer_id == c.c.id)
        query = query.order_by(*orders[order]).limit(limit + 1).offset(offset)
        if currency:
            query = query.where(c.c.currency == currency)
        if on_hold:
            query = query.where(c.c.credit_hold.is_(True))
        if over_limit:
            query = query.where(over)
        if flagged_below is not None:
            low = counts.c.score * 100 < flagged_below * func.coalesce(func.nullif(counts.c.max_score, 0), 100)
            query = query.where(or_(over, and_(counts.c.score.is_not(None), low)))
        customers = self.connection.execute(query).all()
        rows = self._credit_rows(customers[:limit])
        return rows, (offset + limit if len(customers) > limit else None)

    def currencies(self) -> list[str]:
        c = t.customers
        return list(self.connection.execute(select(c.c.currency).distinct().order_by(c.c.currency)).scalars())

    def hold_detail(self, customer_id: int) -> tuple[datetime | None, str | None]:
        c, u = t.customers, t.users
        row = self.connection.execute(
            select(c.c.credit_hold_at, u.c.name)
            .outerjoin(u, u.c.id == c.c.credit_hold_by)
            .where(c.c.id == customer_id, c.c.credit_hold.is_(True))
        ).first()
        return (None, None) if row is None else (row[0], row[1])

    @staticmethod
    def _customers() -> Select[Any]:
        c, st = t.customers, t.credit_states
        return select(
            c.c.id,
            c.c.external_id,
            c.c.name,
            c.c.currency,
            c.c.collector_id,
            c.c.credit_limit_minor,
            c.c.credit_hold,
            c.c.credit_hold_note,
            st.c.score_low,
            st.c.limit_level,
        ).select_from(c.outerjoin(st, st.c.customer_id == c.c.id))

    def _credit_rows(self, customers: Sequence[Any]) -> list[CreditRow]:
        ids = [row.id for row in customers]
        if not ids:
            return []
        owed = {row.customer_id: int(row.exposure or 0) for row in self.connection.execute(exposure_of(ids))}
        scores = self._newest_scores(ids)
        reported = self._reported(ids)
        behavioural = self._behavioural(ids)
        reviews = self._reviews(ids)
        return [
            CreditRow(
                customer_id=row.id,
                external_id=row.external_id,
                name=row.name,
                currency=row.currency,
                collector_id=row.collector_id,
                limit_minor=row.credit_limit_minor,
                exposure_minor=owed.get(row.id, 0),
                score=scores[row.id][0] if row.id in scores else None,
                max_score=scores[row.id][1] if row.id in scores else None,
                score_date=scores[row.id][2] if row.id in scores else None,
                score_source=scores[row.id][3] if row.id in scores else None,
                reported_on=reported.get(row.id),
                behavioural_score=behavioural.get(row.id),
                credit_hold=bool(row.credit_hold),
                hold_note=row.credit_hold_note,
                last_review=reviews.get(row.id, (None, False))[0],
                review_open=reviews.get(row.id, (None, False))[1],
                was_low=bool(row.score_low),
                was_level=int(row.limit_level or 0),
            )
            for row in customers
        ]

    @staticmethod
    def _counting_scores(ids: Sequence[int] | None = None) -> Select[Any]:
        """(customer_id, score, max_score, date, source) of the score that counts: the newest reported
        one (a bureau's, or entered), else the newest that Arrears computed."""
        s = t.credit_scores
        computed = case((s.c.source == COMPUTED, 1), else_=0)
        newest = func.row_number().over(
            partition_by=s.c.customer_id, order_by=(computed, s.c.date.desc(), s.c.id.desc())
        )
        ranked = select(s.c.customer_id, s.c.score, s.c.max_score, s.c.date, s.c.source, newest.label("n"))
        if ids is not None:
            ranked = ranked.where(s.c.customer_id.in_(ids))
        r = ranked.subquery()
        return select(r.c.customer_id, r.c.score, r.c.max_score, r.c.date, r.c.source).where(r.c.n == 1)

    def _newest_scores(self, ids: Sequence[int]) -> dict[int, tuple[int, int | None, date, str]]:
        rows = self.connection.execute(self._counting_scores(ids))
        return {row.customer_id: (row.score, row.max_score, row.date, row.source) for row in rows}

    def _reported(self, ids: Sequence[int]) -> dict[int, date]:
        """The date of the newest score not computed by Arrears: the last credit report."""
        s = t.credit_scores
        query = (
            select(s.c.customer_id, func.max(s.c.date))
            .where(s.c.customer_id.in_(ids), s.c.source != COMPUTED)
            .group_by(s.c.customer_id)
        )
        found: dict[int, date] = {}
        for customer_id, day in self.connection.execute(query):
            found[customer_id] = date.fromisoformat(day) if isinstance(day, str) else day
        return found

    def _behavioural(self, ids: Sequence[int]) -> dict[int, int]:
        s = t.credit_scores
        newest = func.row_number().over(partition_by=s.c.customer_id, order_by=(s.c.date.desc(), s.c.id.desc()))
        ranked = (
            select(s.c.customer_id, s.c.score, newest.label("n"))
            .where(s.c.customer_id.in_(ids), s.c.source == COMPUTED)
            .subquery()
        )
        return {row.customer_id: row.score for row in self.connection.execute(select(ranked).where(ranked.c.n == 1))}

    def _reviews(self, ids: Sequence[int]) -> dict[int, tuple[date | None, bool]]:
        k = t.tasks
        query = (
            select(
                k.c.customer_id,
                func.max(k.c.completed_at).filter(k.c.status == TaskStatus.DONE.value).label("done_at"),
                func.count().filter(k.c.status == TaskStatus.OPEN.value).label("open"),
            )
            .where(k.c.customer_id.in_(ids), k.c.type == TaskType.GET_CREDIT_REPORT.value)
            .group_by(k.c.customer_id)
        )
        found: dict[int, tuple[date | None, bool]] = {}
        for row in self.connection.execute(query):
            done_at = row.done_at
            if isinstance(done_at, str):  # SQLite's max() of a timestamp is its text
                done_at = datetime.fromisoformat(done_at)
            found[row.customer_id] = (done_at.date() if done_at is not None else None, row.open > 0)
        return found

    def set_hold(self, customer_id: int, hold: bool, note: str | None, user_id: int | None, at: datetime) -> None:
        c = t.customers
        self.connection.execute(
            update(c)
            .where(c.c.id == customer_id)
            .values(
                credit_hold=hold,
                credit_hold_note=note if hold else None,
                credit_hold_at=at if hold else None,
                credit_hold_by=user_id if hold else None,
                updated_at=at,
            )
        )

    def save_states(self, states: Sequence[tuple[int, bool, int]], at: datetime) -> None:
        if not states:
            return
        st = t.credit_states
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = insert(st)
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["customer_id"],
                set_={
                    "score_low": statement.excluded.score_low,
                    "limit_level": statement.excluded.limit_level,
                    "updated_at": statement.excluded.updated_at,
                },
            ),
            [
                {"customer_id": customer_id, "score_low": low, "limit_level": level, "updated_at": at}
                for customer_id, low, level in states
            ],
        )

    def invoice_histories(
        self, customer_ids: Sequence[int], since: date, as_of: date
    ) -> dict[int, list[InvoiceHistory]]:
        if not customer_ids:
            return {}
        i, p = t.invoices, t.payments
        paid_on = (
            select(p.c.invoice_id, func.max(p.c.date).label("paid_on"))
            .where(p.c.customer_id.in_(customer_ids), p.c.invoice_id.is_not(None))
            .group_by(p.c.invoice_id)
            .subquery()
        )
        query = (
            select(i.c.customer_id, i.c.amount_minor, i.c.due_date, i.c.status, paid_on.c.paid_on)
            .outerjoin(paid_on, paid_on.c.invoice_id == i.c.id)
            .where(
                i.c.customer_id.in_(customer_ids),
                or_(
                    and_(i.c.status == "paid", paid_on.c.paid_on >= since, paid_on.c.paid_on <= as_of),
                    is_open(i),
                ),
            )
        )
        found: dict[int, list[InvoiceHistory]] = defaultdict(list)
        for row in self.connection.execute(query):
            if row.status == "paid":
                found[row.customer_id].append(InvoiceHistory(row.amount_minor, (row.paid_on - row.due_date).days, True))
            else:
                found[row.customer_id].append(
                    InvoiceHistory(row.amount_minor, max(0, (as_of - row.due_date).days), False)
                )
        return found

    def broken_promises(self, customer_ids: Sequence[int], since: date) -> dict[int, int]:
        if not customer_ids:
            return {}
        k = t.tasks
        query = (
            select(k.c.customer_id, func.count())
            .where(
                k.c.customer_id.in_(customer_ids),
                k.c.type == TaskType.EXPECTED_PAYMENT.value,
                k.c.outcome == "broken",
                k.c.expected_date >= since,
            )
            .group_by(k.c.customer_id)
        )
        return {row[0]: int(row[1]) for row in self.connection.execute(query)}

    def computed_since(self, day: date) -> bool:
        s = t.credit_scores
        query = select(s.c.id).where(s.c.source == COMPUTED, s.c.date >= day).limit(1)
        return self.connection.execute(query).first() is not None

    def add_scores(self, scores: Sequence[tuple[int, date, int, str]], at: datetime) -> int:
        if not scores:
            return 0
        s = t.credit_scores
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = insert(s).on_conflict_do_nothing(index_elements=["customer_id", "date", "source"]).returning(s.c.id)
        result = self.connection.execute(
            statement,
            [
                {
                    "customer_id": customer_id,
                    "date": day,
                    "score": score,
                    "max_score": 100,
                    "source": COMPUTED,
                    "explanation": explanation,
                    "created_at": at,
                    "updated_at": at,
                }
                for customer_id, day, score, explanation in scores
            ],
        )
        return len(result.all())

    def score_history(self, customer_id: int, limit: int) -> list[ScoreRow]:
        s = t.credit_scores
        rows = self.connection.execute(
            select(s.c.date, s.c.score, s.c.max_score, s.c.source, s.c.explanation)
            .where(s.c.customer_id == customer_id, true())
            .order_by(s.c.date.desc(), s.c.id.desc())
            .limit(limit)
        ).all()
        return [ScoreRow(*row) for row in reversed(rows)]
