"""How far the imports started from the web's import page have read their files (the
`ImportProgress` port): in the database on PostgreSQL, so that the page's polls find it whichever
server process answers them; in this process's memory on SQLite, where no other connection may write
while the import's own transaction holds the database (with several processes on SQLite, a poll that
reaches another process finds nothing, and the page's bar waits for the next one)."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql

from ...services.ports import Clock
from . import tables as t

STALE = timedelta(days=1)  # a row left by a process that died mid-import is deleted after this


class SqlImportProgress:
    """Each call is a short transaction of its own, beside the import's."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def update(self, user_id: int, run: str, read: int, total: int) -> None:
        p, now = t.import_progress, self.clock.now()
        statement = postgresql.insert(p).values(user_id=user_id, run=run, read=read, total=total, updated_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["user_id", "run"], set_={"read": read, "total": total, "updated_at": now}
        )
        with self.engine.begin() as connection:
            connection.execute(statement)

    def get(self, user_id: int, run: str) -> tuple[int, int] | None:
        p = t.import_progress
        with self.engine.connect() as connection:
            row = connection.execute(select(p.c.read, p.c.total).where(p.c.user_id == user_id, p.c.run == run)).first()
        return None if row is None else (int(row.read), int(row.total))

    def finish(self, user_id: int, run: str) -> None:
        p = t.import_progress
        with self.engine.begin() as connection:
            connection.execute(delete(p).where(p.c.user_id == user_id, p.c.run == run))
            connection.execute(delete(p).where(p.c.updated_at < self.clock.now() - STALE))


class MemoryImportProgress:
    """This process's running imports, by (user id, run id)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: dict[tuple[int, str], tuple[int, int]] = {}

    def update(self, user_id: int, run: str, read: int, total: int) -> None:
        with self._lock:
            self._read[(user_id, run)] = (read, total)

    def get(self, user_id: int, run: str) -> tuple[int, int] | None:
        with self._lock:
            return self._read.get((user_id, run))

    def finish(self, user_id: int, run: str) -> None:
        with self._lock:
            self._read.pop((user_id, run), None)
