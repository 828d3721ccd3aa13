"""What the processes of `arrears serve --workers N` share: the throttles' recent failures (sign-ins,
portal and API tokens) in tables.failed_attempts, and the rate limits' counts in tables.rate_counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from ...services.ports import RecentFailures
from . import tables as t


class SqlFailedAttempts:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def record_failure(
        self, kind: str, account: str | None, address: str, at: datetime, forget_before: datetime
    ) -> None:
        f = t.failed_attempts
        self.connection.execute(delete(f).where(f.c.failed_at < forget_before))
        self.connection.execute(insert(f).values(kind=kind, account=account, address=address, failed_at=at))

    def recent_failures(self, kind: str, account: str | None, address: str, since: datetime) -> RecentFailures:
        f = t.failed_attempts
        mine = f.c.account == account if account is not None else f.c.account.is_(None)
        here = f.c.address == address
        # Two index ranges ((kind, account, failed_at) and (kind, address, failed_at)), counted at once.
        query = select(
            func.count().filter(and_(mine, here)),
            func.count().filter(mine),
            func.count().filter(here),
        ).where(f.c.kind == kind, f.c.failed_at > since, or_(mine, here) if account is not None else here)
        both, by_account, by_address = self.connection.execute(query).one()
        if account is None:
            by_account = both = 0
        return RecentFailures(int(both), int(by_account), int(by_address))

    def forget_failures(self, kind: str, account: str, address: str) -> None:
        f = t.failed_attempts
        self.connection.execute(delete(f).where(f.c.kind == kind, f.c.account == account, f.c.address == address))


class SqlRateCounts:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def count(self, kind: str, key: str, window_start: datetime, forget_before: datetime) -> int:
        r = t.rate_counts
        dialect_insert = postgresql.insert if self.connection.dialect.name == "postgresql" else sqlite.insert
        statement = dialect_insert(r).values(kind=kind, key=key, window_start=window_start, count=1)
        # One statement, atomic on both databases: concurrent requests of one key each add their one.
        upsert = statement.on_conflict_do_update(
            index_elements=["kind", "key", "window_start"], set_={"count": r.c.count + 1}
        ).returning(r.c.count)
        count = int(self.connection.execute(upsert).scalar_one())
        if count == 1:
            self.connection.execute(delete(r).where(r.c.window_start < forget_before))
        return count
