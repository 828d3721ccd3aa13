"""The email template parts saved from the templates page, and the version that says they changed."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, insert, select

from ....domain.email_templates import StoredPart
from .. import tables as t
from .common import SqlAutomationArea

VERSION_KEY = "email_templates_version"


class SqlEmailTemplates(SqlAutomationArea):
    def version(self) -> str | None:
        """One read by primary key: what a cycle, a send or a preview pays when nothing changed."""
        s = t.app_settings
        value = self.connection.execute(select(s.c.value).where(s.c.key == VERSION_KEY)).scalar()
        return None if value is None else str(value)

    def sources(self) -> dict[tuple[str, str], str]:
        e = t.email_templates
        rows = self.connection.execute(select(e.c.name, e.c.part, e.c.source))
        return {(row.name, row.part): row.source for row in rows}

    def stored(self) -> list[StoredPart]:
        e, u = t.email_templates, t.users
        rows = self.connection.execute(
            select(e.c.name, e.c.part, e.c.source, u.c.name.label("by"), e.c.updated_at)
            .select_from(e.outerjoin(u, u.c.id == e.c.updated_by))
            .order_by(e.c.name, e.c.part)
        )
        return [StoredPart(row.name, row.part, row.source, row.by, row.updated_at) for row in rows]

    def save(self, name: str, parts: Mapping[str, str], by: int | None, at: datetime) -> None:
        e = t.email_templates
        self.connection.execute(delete(e).where(e.c.name == name))
        if parts:
            rows = [
                {"name": name, "part": p, "source": s, "updated_by": by, "updated_at": at} for p, s in parts.items()
            ]
            self.connection.execute(insert(e), rows)
        self._new_version()

    def reset(self, name: str) -> int:
        e = t.email_templates
        removed = self.connection.execute(delete(e).where(e.c.name == name)).rowcount
        self._new_version()
        return int(removed or 0)

    def _new_version(self) -> None:
        """A random token, not a counter: two saves at once each leave a version no process has seen."""
        statement = self._insert(t.app_settings).values(key=VERSION_KEY, value=secrets.token_hex(8))
        self.connection.execute(
            statement.on_conflict_do_update(index_elements=["key"], set_={"value": statement.excluded.value})
        )
