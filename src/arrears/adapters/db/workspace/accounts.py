"""Users, workspace settings, saved views and API tokens."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from ....domain.users import Role, User
from ....services.workspace_ports import (
    SavedView,
    TokenRow,
)
from .. import tables as t
from .common import SqlArea, user_of


class SqlAccounts(SqlArea):
    def user(self, name: str) -> User | None:
        row = self.connection.execute(select(t.users).where(t.users.c.name == name, t.users.c.active)).first()
        return None if row is None else user_of(row)

    def user_by_id(self, user_id: int) -> User | None:
        row = self.connection.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return None if row is None else user_of(row)

    def managers(self) -> list[User]:
        rows = self.connection.execute(
            select(t.users).where(t.users.c.role.in_(("owner", "manager")), t.users.c.active)
        )
        return [user_of(row) for row in rows]

    def setting(self, key: str) -> str | None:
        s = t.app_settings
        value = self.connection.execute(select(s.c.value).where(s.c.key == key)).scalar()
        return None if value is None else str(value)

    def set_setting(self, key: str, value: str) -> None:
        statement = self._insert(t.app_settings).values(key=key, value=value)
        self.connection.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))

    def add_setting(self, key: str, value: str) -> str:
        statement = self._insert(t.app_settings).values(key=key, value=value)
        self.connection.execute(statement.on_conflict_do_nothing(index_elements=["key"]))
        stored = self.setting(key)
        assert stored is not None
        return stored

    def views(self, user_id: int) -> list[SavedView]:
        v = t.saved_views
        rows = self.connection.execute(select(v).where(v.c.user_id == user_id).order_by(v.c.name))
        return [SavedView(row.id, row.name, json.loads(row.filters), row.is_default) for row in rows]

    def save_view(self, user_id: int, name: str, filters: dict[str, Any], is_default: bool) -> SavedView:
        v = t.saved_views
        if is_default:
            self.connection.execute(update(v).where(v.c.user_id == user_id).values(is_default=False))
        statement = self._insert(v).values(
            user_id=user_id, name=name, filters=json.dumps(filters, default=str), is_default=is_default
        )
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "name"],
                set_={"filters": statement.excluded.filters, "is_default": statement.excluded.is_default},
            )
        )
        row = self.connection.execute(select(v).where(v.c.user_id == user_id, v.c.name == name)).one()
        return SavedView(row.id, row.name, json.loads(row.filters), row.is_default)

    def delete_view(self, user_id: int, view_id: int) -> bool:
        v = t.saved_views
        return bool(self.connection.execute(delete(v).where(v.c.id == view_id, v.c.user_id == user_id)).rowcount == 1)

    def add_token(self, user_id: int, token_hash: str, name: str | None) -> int:
        a = t.api_tokens
        return int(
            self.connection.execute(
                insert(a).values(user_id=user_id, token_hash=token_hash, name=name).returning(a.c.id)
            ).scalar_one()
        )

    def user_by_token(self, token_hash: str, at: datetime) -> User | None:
        a, u = t.api_tokens, t.users
        row = self.connection.execute(
            select(u, a.c.id.label("token_id"))
            .join(a, a.c.user_id == u.c.id)
            .where(a.c.token_hash == token_hash, a.c.revoked_at.is_(None), u.c.active)
        ).first()
        if row is None:
            return None
        self.connection.execute(update(a).where(a.c.id == row.token_id).values(last_used_at=at))
        return User(row.id, row.name, Role(row.role), row.email)

    def revoke_tokens(self, user_id: int, at: datetime) -> int:
        a = t.api_tokens
        return int(
            self.connection.execute(
                update(a).where(a.c.user_id == user_id, a.c.revoked_at.is_(None)).values(revoked_at=at)
            ).rowcount
        )

    def _token_rows(self, *where: Any) -> list[TokenRow]:
        a, u = t.api_tokens, t.users
        rows = self.connection.execute(
            select(a, u.c.name.label("user_name"), u.c.active.label("user_active"))
            .join(u, u.c.id == a.c.user_id)
            .where(*where)
            .order_by(a.c.revoked_at.is_not(None), a.c.created_at.desc(), a.c.id.desc())
        )
        return [
            TokenRow(row.id, row.user_name, row.user_active, row.name, row.created_at, row.last_used_at, row.revoked_at)
            for row in rows
        ]

    def list_tokens(self) -> list[TokenRow]:
        return self._token_rows()

    def token(self, token_id: int) -> TokenRow | None:
        found = self._token_rows(t.api_tokens.c.id == token_id)
        return found[0] if found else None

    def revoke_token(self, token_id: int, at: datetime) -> bool:
        a = t.api_tokens
        revoked = self.connection.execute(
            update(a).where(a.c.id == token_id, a.c.revoked_at.is_(None)).values(revoked_at=at)
        )
        return bool(revoked.rowcount == 1)
