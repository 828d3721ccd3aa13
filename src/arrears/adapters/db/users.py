"""The users of the workspace: their roles, passwords and whether they may sign in, and their web
sessions (a row each, named in the browser's cookie by a token whose SHA-256 only is stored)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, case, delete, func, insert, select, update

from ...domain.errors import Conflict
from ...domain.users import Role, User
from ...domain.web_sessions import OpenSessions, WebSession
from . import tables as t

KEEP_ENDED = timedelta(days=30)  # how long an ended or expired session's row stays


def _user(row: object) -> User:
    return User(row.id, row.name, Role(row.role), row.email)  # type: ignore[attr-defined]


class SqlUsers:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, name: str, role: Role, email: str | None, password_hash: str | None) -> User:
        if self.by_name(name) is not None:
            raise Conflict(f"a user named {name!r} already exists")
        new_id = self.connection.execute(
            insert(t.users)
            .values(name=name, role=role.value, email=email, password_hash=password_hash)
            .returning(t.users.c.id)
        ).scalar_one()
        return User(new_id, name, role, email)

    def by_name(self, name: str) -> User | None:
        """The user of that name, active or not."""
        row = self.connection.execute(select(t.users).where(t.users.c.name == name)).first()
        return None if row is None else _user(row)

    def password_hash(self, name: str) -> str | None:
        """The stored Argon2 hash of an active user's password; None for an unknown or deactivated
        user, or one without a password."""
        u = t.users
        value = self.connection.execute(select(u.c.password_hash).where(u.c.name == name, u.c.active)).scalar()
        return None if value is None else str(value)

    def all(self) -> list[User]:
        """The active users, by name."""
        rows = self.connection.execute(select(t.users).where(t.users.c.active).order_by(t.users.c.name))
        return [_user(row) for row in rows]

    def accounts(self) -> list[tuple[User, bool]]:
        """Every user, by name, with whether they are active."""
        rows = self.connection.execute(select(t.users).order_by(t.users.c.name))
        return [(_user(row), bool(row.active)) for row in rows]

    def is_active(self, user_id: int) -> bool:
        value = self.connection.execute(select(t.users.c.active).where(t.users.c.id == user_id)).scalar()
        return bool(value)

    def count(self) -> int:
        return int(self.connection.execute(select(func.count()).select_from(t.users)).scalar_one())

    def active_owners(self) -> int:
        u = t.users
        query = select(func.count()).select_from(u).where(u.c.role == Role.OWNER.value, u.c.active)
        return int(self.connection.execute(query).scalar_one())

    def set_role(self, user_id: int, role: Role) -> None:
        self.connection.execute(update(t.users).where(t.users.c.id == user_id).values(role=role.value))

    def set_active(self, user_id: int, active: bool) -> None:
        self.connection.execute(update(t.users).where(t.users.c.id == user_id).values(active=active))

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.connection.execute(update(t.users).where(t.users.c.id == user_id).values(password_hash=password_hash))

    # -- web sessions ----------------------------------------------------------------------------

    def start_session(
        self,
        user_id: int,
        token_hash: str,
        at: datetime,
        expires_at: datetime,
        *,
        address: str | None,
        user_agent: str | None,
    ) -> None:
        """A new session; the user's sessions over for a month are forgotten (the table keeps itself small)."""
        s = t.web_sessions
        self.connection.execute(
            delete(s).where(s.c.user_id == user_id, func.coalesce(s.c.ended_at, s.c.expires_at) < at - KEEP_ENDED)
        )
        self.connection.execute(
            insert(s).values(
                user_id=user_id,
                token_hash=token_hash,
                created_at=at,
                expires_at=expires_at,
                address=address,
                user_agent=user_agent,
                last_seen_at=at,
            )
        )

    def session_user(self, token_hash: str, at: datetime) -> User | None:
        """The active user of a session that has neither ended nor expired."""
        s, u = t.web_sessions, t.users
        row = self.connection.execute(
            select(u)
            .join(s, s.c.user_id == u.c.id)
            .where(s.c.token_hash == token_hash, s.c.ended_at.is_(None), s.c.expires_at > at, u.c.active)
        ).first()
        return None if row is None else _user(row)

    def session_seen(self, token_hash: str, at: datetime) -> None:
        """One UPDATE by the token's unique index; an ended session is left as it ended."""
        s = t.web_sessions
        self.connection.execute(
            update(s).where(s.c.token_hash == token_hash, s.c.ended_at.is_(None)).values(last_seen_at=at)
        )

    def sessions_of(self, user_id: int, at: datetime, current_hash: str, limit: int) -> OpenSessions:
        """The newest `limit` open sessions (the current one first picked, then shown in its place)."""
        s = t.web_sessions
        is_open = (s.c.user_id == user_id, s.c.ended_at.is_(None), s.c.expires_at > at)
        current = case((s.c.token_hash == current_hash, 1), else_=0)
        rows = self.connection.execute(
            select(s.c.id, s.c.created_at, s.c.last_seen_at, s.c.address, s.c.user_agent, current.label("current"))
            .where(*is_open)
            .order_by(current.desc(), s.c.created_at.desc(), s.c.id.desc())
            .limit(limit)
        ).all()
        total = self.connection.execute(select(func.count()).select_from(s).where(*is_open)).scalar_one()
        shown = sorted(
            (
                WebSession(row.id, row.created_at, row.last_seen_at, row.address, row.user_agent, bool(row.current))
                for row in rows
            ),
            key=lambda session: (session.signed_in_at, session.id),
            reverse=True,
        )
        return OpenSessions(tuple(shown), int(total))

    def end_session(self, token_hash: str, at: datetime) -> bool:
        s = t.web_sessions
        ended = self.connection.execute(
            update(s).where(s.c.token_hash == token_hash, s.c.ended_at.is_(None)).values(ended_at=at)
        )
        return bool(ended.rowcount)

    def end_session_of(self, user_id: int, session_id: int, at: datetime, keep_hash: str) -> bool:
        s = t.web_sessions
        ended = self.connection.execute(
            update(s)
            .where(
                s.c.id == session_id,
                s.c.user_id == user_id,
                s.c.token_hash != keep_hash,
                s.c.ended_at.is_(None),
                s.c.expires_at > at,
            )
            .values(ended_at=at)
        )
        return bool(ended.rowcount)

    def end_sessions(self, user_id: int, at: datetime, keep_hash: str | None = None) -> int:
        """End every open session of the user (but the one of `keep_hash`); how many there were."""
        s = t.web_sessions
        which = [s.c.user_id == user_id, s.c.ended_at.is_(None), s.c.expires_at > at]
        if keep_hash is not None:
            which.append(s.c.token_hash != keep_hash)
        ended = self.connection.execute(update(s).where(*which).values(ended_at=at))
        return int(ended.rowcount)

    def open_sessions(self, at: datetime) -> dict[int, int]:
        """How many sessions each user has open now."""
        s = t.web_sessions
        rows = self.connection.execute(
            select(s.c.user_id, func.count()).where(s.c.ended_at.is_(None), s.c.expires_at > at).group_by(s.c.user_id)
        )
        return {int(user_id): int(count) for user_id, count in rows}
