"""What the processes of `arrears serve --workers N` share: the throttles' recent failures (sign-ins,
portal tokens) in tables.failed_attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, or_, select

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
