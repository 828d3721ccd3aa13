"""Web sessions in the database (adapters/db/users.py) on SQLite and PostgreSQL: a session names its
active user until it ends or expires, ending them all, and rows over for a month forgotten; a user's
own open sessions listed (where, with what, when last used) and ended one by one or all but one,
never another user's."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.services import users
from tests.workspace import Desk

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile/15E148 Safari/604.1"


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


def _hash(token: str) -> str:
    """What the table keeps of a cookie's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(desk: Desk, name: str, address: str = "198.51.100.7", user_agent: str | None = FIREFOX) -> str:
    """A session of `name` started now, then a minute passes."""
    token = users.start_session(desk.uow(), desk[name], address=address, user_agent=user_agent)
    desk.clock.at += timedelta(minutes=1)
    return token


def test_a_users_open_sessions_newest_first_with_where_what_and_when(desk: Desk) -> None:
    signed_in = desk.clock.at
    laptop = sign_in(desk, "maria")
    ended = sign_in(desk, "maria")
    phone = sign_in(desk, "maria", "2001:db8::7", IPHONE)
    sign_in(desk, "sam")
    users.end_session(desk.uow(), ended)

    listed = users.my_sessions(desk.uow(), desk["maria"], phone)

    assert [(s.address, s.user_agent, s.current) for s in listed.shown] == [
        ("2001:db8::7", IPHONE, True),
        ("198.51.100.7", FIREFOX, False),
    ]
    assert listed.total == 2
    oldest = listed.shown[-1]
    assert (oldest.signed_in_at, oldest.last_seen_at) == (signed_in, signed_in)
    assert users.session_user(desk.uow(), laptop) == desk["maria"]


def test_a_long_list_is_the_newest_with_the_current_one_among_them(desk: Desk) -> None:
    current = sign_in(desk, "maria")
    for _ in range(4):
        sign_in(desk, "maria")

    with desk.uow() as uow:
        listed = uow.users.sessions_of(desk["maria"].id, desk.clock.at, _hash(current), 3)

    assert listed.total == 5
    assert [s.current for s in listed.shown] == [False, False, True]
    assert listed.shown[0].signed_in_at > listed.shown[1].signed_in_at > listed.shown[2].signed_in_at


def test_a_session_seen_moves_its_last_use_until_it_ends(desk: Desk) -> None:
    token = sign_in(desk, "maria")
    desk.clock.at += timedelta(minutes=6)
    users.session_seen(desk.uow(), token)
    seen = desk.clock.at

    users.end_session(desk.uow(), token)
    desk.clock.at += timedelta(minutes=6)
    users.session_seen(desk.uow(), token)

    with desk.arrears.engine.connect() as connection:
        stored = connection.execute(select(t.web_sessions.c.last_seen_at)).scalar_one()
    assert stored == seen


def test_ending_one_session_touches_only_the_users_own_other_ones(desk: Desk) -> None:
    here, there = sign_in(desk, "maria"), sign_in(desk, "maria")
    sams = sign_in(desk, "sam")
    ids = {s.current: s.id for s in users.my_sessions(desk.uow(), desk["maria"], here).shown}
    [sams_id] = [s.id for s in users.my_sessions(desk.uow(), desk["sam"], sams).shown]
    maria_id, at = desk["maria"].id, desk.clock.at

    with desk.uow() as uow:
        refused = [
            uow.users.end_session_of(maria_id, sams_id, at, _hash(here)),  # sam's
            uow.users.end_session_of(maria_id, ids[True], at, _hash(here)),  # this browser's
            uow.users.end_session_of(maria_id, 9999, at, _hash(here)),
        ]
        ended = uow.users.end_session_of(maria_id, ids[False], at, _hash(here))
        again = uow.users.end_session_of(maria_id, ids[False], at, _hash(here))
        uow.commit()

    assert refused == [False, False, False] and (ended, again) == (True, False)
    assert [users.session_user(desk.uow(), t) for t in (here, there, sams)] == [desk["maria"], None, desk["sam"]]


def test_ending_all_other_sessions_keeps_the_one_in_use(desk: Desk) -> None:
    first, second, third = sign_in(desk, "maria"), sign_in(desk, "maria"), sign_in(desk, "maria")
    sams = sign_in(desk, "sam")

    with desk.uow() as uow:
        ended = uow.users.end_sessions(desk["maria"].id, desk.clock.at, keep_hash=_hash(second))
        uow.commit()

    assert ended == 2
    alive = [users.session_user(desk.uow(), t) for t in (first, second, third, sams)]
    assert alive == [None, desk["maria"], None, desk["sam"]]
