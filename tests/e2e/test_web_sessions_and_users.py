"""Sessions that end when they should, and the owners' users page, through FastAPI's TestClient on
both databases: a cookie replayed after signing out is refused, deactivation and a new password end
sessions at once, "sign out everywhere", and roles, activity and passwords changed from the page;
each user's own sessions listed, and ended one by one or all but this browser's, with the password
typed again (counted by the sign-in throttle when wrong)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from arrears.services import users
from tests.web import Site, csrf_of, password, row_counts


def replay(site: Site, client: TestClient) -> TestClient:
    """Another browser holding a copy of `client`'s cookies."""
    copy = site.client()
    copy.cookies.update(client.cookies)
    return copy


def test_a_cookie_replayed_after_signing_out_is_refused(site: Site) -> None:
    client = site.signed_in("maria")
    stolen = replay(site, client)
    assert stolen.get("/tasks").status_code == 200

    client.post("/signout", data={"csrf": csrf_of(client.get("/tasks").text)})

    assert stolen.get("/tasks").status_code == 303  # to the sign-in page


def test_sign_out_everywhere_ends_the_other_browsers_too(site: Site) -> None:
    laptop, phone = site.signed_in("maria"), site.signed_in("maria")
    others = site.signed_in("sam")

    laptop.post("/signout/everywhere", data={"csrf": csrf_of(laptop.get("/tasks").text)})

    assert (laptop.get("/tasks").status_code, phone.get("/tasks").status_code) == (303, 303)
    assert others.get("/tasks").status_code == 200


def test_a_deactivated_user_is_signed_out_at_once_and_cannot_sign_in(site: Site) -> None:
    maria = site.signed_in("maria")
    owner = site.signed_in("olivia")
    page = owner.get("/admin/users")

    answer = owner.post("/admin/users/maria/deactivate", data={"csrf": csrf_of(page.text)})

    assert answer.status_code == 303
    assert maria.get("/tasks").status_code == 303
    again = site.client()
    form = again.get("/signin")
    refused = again.post("/signin", data={"name": "maria", "password": password("maria"), "csrf": csrf_of(form.text)})
    assert refused.status_code == 401
    assert "maria" in owner.get("/admin/users").text and "Deactivated" in owner.get("/admin/users").text


def test_an_owner_changes_a_role_and_resets_a_password_ending_the_users_sessions(site: Site) -> None:
    sam = site.signed_in("sam")
    owner = site.signed_in("olivia")
    token = csrf_of(owner.get("/admin/users").text)

    owner.post("/admin/users/sam/role", data={"csrf": token, "role": "manager"})
    owner.post("/admin/users/sam/password", data={"csrf": token, "password": "a brand new secret"})

    assert sam.get("/tasks").status_code == 303
    assert users.authenticate(site.arrears.uow(), site.arrears.hasher, "sam", "a brand new secret") is not None
    [account] = [a for a in users.accounts(site.arrears.uow(), site.people["olivia"]) if a.user.name == "sam"]
    assert account.user.role.value == "manager"


def test_an_owner_adds_someone_who_then_signs_in(site: Site) -> None:
    owner = site.signed_in("olivia")
    token = csrf_of(owner.get("/admin/users").text)

    fields = {"name": "nina", "email": "nina@example.com", "role": "contributor", "password": "a long secret phrase"}
    added = owner.post("/admin/users", data={"csrf": token, **fields})

    assert added.status_code == 303
    client = site.client()
    form = client.get("/signin")
    signed = client.post("/signin", data={"name": "nina", "password": fields["password"], "csrf": csrf_of(form.text)})
    assert signed.status_code == 303


@pytest.mark.parametrize(
    ("who", "path", "fields", "status", "says"),
    [
        ("morgan", "/admin/users/sam/deactivate", {}, 403, "may not manage users"),
        ("maria", "/admin/users/sam/role", {"role": "owner"}, 403, "may not manage users"),
        ("olivia", "/admin/users/olivia/role", {"role": "manager"}, 409, "last active owner"),
        ("olivia", "/admin/users/sam/password", {"password": "password1"}, 400, "first ones tried"),
        ("olivia", "/admin/users/sam/password", {"password": "sam-is-here-now"}, 400, "user name"),
        ("olivia", "/admin/users/nobody/activate", {}, 404, "no user named"),
        ("olivia", "/admin/users", {"name": "x y", "role": "contributor", "password": "long enough pw"}, 400, "valid"),
    ],
)
def test_what_is_refused_says_why_and_changes_nothing(
    site: Site, who: str, path: str, fields: dict[str, str], status: int, says: str
) -> None:
    client = site.signed_in(who)
    token = csrf_of(client.get("/tasks").text)
    before = row_counts(site)

    answer = client.post(path, data={"csrf": token, **fields})

    assert answer.status_code == status and says in answer.text
    assert row_counts(site) == before


def test_only_an_owner_sees_the_users_page_and_its_menu_link(site: Site) -> None:
    assert site.signed_in("morgan").get("/admin/users").status_code == 403
    assert "/admin/users" not in site.signed_in("morgan").get("/tasks").text
    assert '<a href="/admin/users">Users and roles</a>' in site.signed_in("olivia").get("/tasks").text


# -- one's own sessions: the list, and ending them with one's password (ASVS 3.3.4) -------------------

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Mobile/15E148 Safari/604.1"


def browser(site: Site, name: str, user_agent: str) -> TestClient:
    """`name` signed in from a browser that sends `user_agent`."""
    client = site.client()
    client.headers["user-agent"] = user_agent
    form = client.get("/signin")
    answer = client.post("/signin", data={"name": name, "password": password(name), "csrf": csrf_of(form.text)})
    assert answer.status_code == 303, answer.text
    return client


def session_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr data-session="(\d+)"', page)]


def failed_sign_ins(site: Site) -> int:
    with site.arrears.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.failed_attempts)).scalar_one())


def test_the_user_menu_leads_to_my_open_sessions_this_browser_marked_in_the_workspaces_time(site: Site) -> None:
    owner = site.signed_in("olivia")
    settings = {"company_name": "Acme Collections", "timezone": "Europe/Paris", "locale": "en_US"}
    owner.post("/admin/settings", data={"csrf": csrf_of(owner.get("/admin/settings").text), **settings})
    laptop = browser(site, "maria", FIREFOX)
    site.clock.at += timedelta(minutes=5)
    phone = browser(site, "maria", IPHONE)
    ended = browser(site, "maria", IPHONE)
    ended.post("/signout", data={"csrf": csrf_of(ended.get("/tasks").text)})
    browser(site, "sam", "sam's own browser")

    menu = laptop.get("/tasks").text
    page = laptop.get("/account/sessions")

    assert '<a href="/account/sessions">Your sessions</a>' in menu
    assert page.status_code == 200
    rows = re.findall(r'<tr data-session="\d+".*?</tr>', page.text, re.S)
    assert len(rows) == 2  # maria's open ones: not the one signed out, not sam's
    assert "Safari on iPhone" in rows[0] and "2026-06-30 11:05" in rows[0] and "this browser" not in rows[0]
    assert "Firefox on Windows" in rows[1] and "2026-06-30 11:00" in rows[1] and "this browser" in rows[1]
    assert "testclient" in rows[1]  # the address the sign-in came from
    assert "sam&#39;s own browser" not in page.text
    assert "this browser" in phone.get("/account/sessions").text


def test_ending_another_session_needs_my_password_and_signs_that_browser_out(site: Site) -> None:
    laptop, phone = browser(site, "maria", FIREFOX), browser(site, "maria", IPHONE)
    page = laptop.get("/account/sessions").text
    [other] = [n for n in session_ids(page) if f'action="/account/sessions/{n}/end"' in page]
    counted = failed_sign_ins(site)

    wrong = laptop.post(f"/account/sessions/{other}/end", data={"csrf": csrf_of(page), "password": "a guess"})

    assert wrong.status_code == 403 and "The password is wrong: no session was ended." in wrong.text
    assert failed_sign_ins(site) == counted + 1  # as a failed sign-in: the sign-in throttle counts it
    assert phone.get("/tasks").status_code == 200
    right = laptop.post(f"/account/sessions/{other}/end", data={"csrf": csrf_of(page), "password": password("maria")})
    assert right.status_code == 303 and right.headers["location"] == "/account/sessions"
    assert phone.get("/tasks").status_code == 303  # that browser's cookie signs no one in any more
    assert laptop.get("/tasks").status_code == 200
    assert session_ids(laptop.get("/account/sessions").text) == [n for n in session_ids(page) if n != other]


def test_a_session_of_another_user_is_not_found_and_stays_open(site: Site) -> None:
    sam = browser(site, "sam", FIREFOX)
    [sams] = session_ids(sam.get("/account/sessions").text)
    maria = browser(site, "maria", FIREFOX)
    before = row_counts(site)

    answer = maria.post(
        f"/account/sessions/{sams}/end",
        data={"csrf": csrf_of(maria.get("/tasks").text), "password": password("maria")},
    )

    assert answer.status_code == 404 and "not one of your other open sessions" in answer.text
    assert sam.get("/tasks").status_code == 200
    assert row_counts(site) == before


def test_ending_all_other_sessions_keeps_this_browser(site: Site) -> None:
    laptop, phone, tablet = (
        browser(site, "maria", FIREFOX),
        browser(site, "maria", IPHONE),
        browser(site, "maria", ""),
    )
    sam = browser(site, "sam", FIREFOX)
    token = csrf_of(phone.get("/account/sessions").text)

    refused = phone.post("/account/sessions/end-others", data={"csrf": token, "password": password("sam")})
    ended = phone.post("/account/sessions/end-others", data={"csrf": token, "password": password("maria")})

    assert refused.status_code == 403
    assert ended.status_code == 303
    assert "2 other sessions ended" in phone.get(ended.headers["location"]).text
    statuses = [client.get("/tasks").status_code for client in (laptop, phone, tablet, sam)]
    assert statuses == [303, 200, 303, 200]
    assert len(session_ids(phone.get("/account/sessions").text)) == 1


def test_guessing_the_password_on_the_sessions_page_is_throttled_like_signing_in(site: Site) -> None:
    laptop, phone = browser(site, "maria", FIREFOX), browser(site, "maria", IPHONE)
    token = csrf_of(laptop.get("/account/sessions").text)

    guesses = [
        laptop.post("/account/sessions/end-others", data={"csrf": token, "password": f"guess {n}"}).status_code
        for n in range(6)
    ]
    right = laptop.post("/account/sessions/end-others", data={"csrf": token, "password": password("maria")})

    assert guesses == [403] * 5 + [429]
    assert right.status_code == 429 and "Too many wrong passwords" in right.text
    assert phone.get("/tasks").status_code == 200
    signing_in = site.client()
    form = signing_in.get("/signin")
    again = signing_in.post(
        "/signin", data={"name": "maria", "password": password("maria"), "csrf": csrf_of(form.text)}
    )
    assert again.status_code == 429  # the same count blocks signing in from this address
