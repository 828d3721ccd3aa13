"""Web sessions in the database (adapters/db/users.py) on SQLite and PostgreSQL: a session names its
active user until it ends or expires, ending them all, and rows over for a month forgotten."""

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.db import tables as t
from arrears.services import users
from tests.workspace import Desk


def test_a_session_until_it_ends_expires_or_its_user_is_deactivated(desk: Desk) -> None:
    maria, sam = desk["maria"], desk["sam"]
    first, second, sams = (
        users.start_session(desk.uow(), maria),
        users.start_session(desk.uow(), maria),
        users.start_session(desk.uow(), sam),
    )

    assert users.session_user(desk.uow(), first) == maria
    users.end_session(desk.uow(), first)
    assert users.session_user(desk.uow(), first) is None
    assert users.session_user(desk.uow(), second) == maria
    users.set_active(desk.uow(), desk["olivia"], "maria", False)
    assert users.session_user(desk.uow(), second) is None
    desk.clock.at += timedelta(hours=12)
    assert users.session_user(desk.uow(), sams) is None


def test_ended_sessions_are_forgotten_after_a_month(desk: Desk) -> None:
    old = users.start_session(desk.uow(), desk["maria"])
    users.end_session(desk.uow(), old)
    desk.clock.at += timedelta(days=31)

    users.start_session(desk.uow(), desk["maria"])

    assert desk.count(t.web_sessions) == 1
    assert users.end_every_session(desk.uow(), desk["maria"]) == 1
