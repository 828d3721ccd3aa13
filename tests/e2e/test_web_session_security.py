"""What the security table (docs/security.md) claims of passwords and sessions and no other test
shows: passwords are stored as Argon2id hashes; the session cookie is Secure and named with the
`__Host-` prefix when the site is served over HTTPS, and each scheme reads only its own cookie;
signing in starts a new session (a cookie planted before it is not the signed-in one); a session
unused for 30 minutes ends, and one in use notes when it was last used; sign-in decisions are logged."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.web.sessions import IDLE_SECONDS, REFRESH_SECONDS
from tests.web import Site, csrf_of, password

# One backend is enough: nothing here depends on the database.
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_a_password_is_stored_as_an_argon2id_hash_that_checks_only_the_right_password(site: Site) -> None:
    hasher = site.arrears.hasher

    stored = hasher.hash("correct horse battery")

    assert stored.startswith("$argon2id$")
    assert "correct horse battery" not in stored
    assert hasher.verify(stored, "correct horse battery")
    assert not hasher.verify(stored, "correct horse batterY")
    with site.arrears.engine.connect() as connection:
        hashes = connection.execute(select(t.users.c.password_hash).where(t.users.c.password_hash.is_not(None)))
        assert all(value.startswith("$argon2id$") for (value,) in hashes)


def sign_in(client: TestClient, name: str) -> str:
    page = client.get("/signin")
    answer = client.post("/signin", data={"name": name, "password": password(name), "csrf": csrf_of(page.text)})
    assert answer.status_code == 303, answer.text
    return answer.headers["set-cookie"]


def test_the_session_cookie_is_secure_over_https_and_http_only_same_site_always(site: Site) -> None:
    over_https = TestClient(site.app, base_url="https://testserver", follow_redirects=False)

    secure = sign_in(over_https, "maria")
    plain = sign_in(site.client(), "maria")

    assert secure.startswith("__Host-arrears_session=")  # the prefix: Secure, Path=/, no Domain
    assert "Secure" in secure and "HttpOnly" in secure and "SameSite=lax" in secure
    assert "Path=/;" in secure and "Domain" not in secure
    assert plain.startswith("arrears_session=")  # a browser refuses the prefix without Secure
    assert "Secure" not in plain and "HttpOnly" in plain


def test_over_https_only_the_prefixed_cookie_is_read_and_signing_out_deletes_it(site: Site) -> None:
    over_https = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    sign_in(over_https, "maria")
    secure = over_https.cookies.get("__Host-arrears_session")
    plain_client = site.client()
    sign_in(plain_client, "maria")
    plain = plain_client.cookies.get("arrears_session")
    assert secure and plain

    https_with_plain_name = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    https_with_plain_name.cookies.set("arrears_session", plain)
    http_with_prefixed_name = site.client()
    http_with_prefixed_name.cookies.set("__Host-arrears_session", secure)

    assert https_with_plain_name.get("/tasks").status_code == 303
    assert http_with_prefixed_name.get("/tasks").status_code == 303
    assert over_https.get("/tasks").status_code == 200
    signed_out = over_https.post("/signout", data={"csrf": csrf_of(over_https.get("/tasks").text)})
    deleted = signed_out.headers["set-cookie"]
    assert deleted.startswith('__Host-arrears_session=""') and "Max-Age=0" in deleted and "Secure" in deleted
    assert over_https.get("/tasks").status_code == 303


def test_over_https_a_cookie_of_the_plain_name_left_from_before_is_deleted(site: Site) -> None:
    plain_client = site.client()
    sign_in(plain_client, "maria")
    plain = plain_client.cookies.get("arrears_session")
    over_https = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    over_https.cookies.set("arrears_session", plain)  # written before the prefix, say

    answer = over_https.get("/signin")

    written = answer.headers.get_list("set-cookie")
    assert any(c.startswith('arrears_session=""') and "Max-Age=0" in c for c in written), written
    over_http = plain_client.get("/tasks")  # over HTTP it is the cookie in use
    assert over_http.status_code == 200
    assert not any(c.startswith('arrears_session=""') for c in over_http.headers.get_list("set-cookie"))


def test_signing_in_replaces_the_cookie_a_visitor_had_before(site: Site) -> None:
    client = site.client()
    client.get("/signin")
    before = client.cookies.get("arrears_session")

    sign_in(client, "maria")

    after = client.cookies.get("arrears_session")
    assert before and after and after != before
    planted = site.client()
    planted.cookies.set("arrears_session", before)
    assert planted.get("/tasks").status_code == 303  # the anonymous cookie signs no one in


def test_every_sign_in_decision_is_logged_without_the_password(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    client = site.client()
    caplog.set_level(logging.INFO, logger="arrears.auth")

    sign_in(site.client(), "maria")
    for _ in range(6):
        page = client.get("/signin")
        client.post("/signin", data={"name": "sam\nforged line", "password": "guess-1234", "csrf": csrf_of(page.text)})

    lines = [record.getMessage() for record in caplog.records if record.name == "arrears.auth"]
    assert lines[0].startswith("signed in: maria (user ")
    assert lines[1] == "sign-in refused: name 'sam\\nforged line' from testclient: wrong name or password"
    assert lines[-1] == "sign-in throttled: name 'sam\\nforged line' from testclient"
    assert not any("guess-1234" in line or password("maria") in line for line in lines)
    assert all("\n" not in line for line in lines)


REAL_TIME = time.time


def later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The wall clock (what signs and checks the cookie), `seconds` after the real one."""
    monkeypatch.setattr(time, "time", lambda: REAL_TIME() + seconds)


def test_a_session_unused_for_30_minutes_signs_no_one_in(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    client = site.signed_in("maria")

    later(monkeypatch, IDLE_SECONDS + 60)
    answer = client.get("/tasks")

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")
    assert "arrears_session=" in answer.headers["set-cookie"]  # written again, without the session


def test_a_session_in_use_stays_signed_in_past_30_minutes(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    client = site.signed_in("maria")

    later(monkeypatch, IDLE_SECONDS - 60)
    first = client.get("/tasks")
    later(monkeypatch, 2 * IDLE_SECONDS - 120)
    second = client.get("/tasks")

    assert first.status_code == 200
    assert "arrears_session=" in first.headers["set-cookie"]  # re-signed: the idle time starts again
    assert second.status_code == 200


def last_use(site: Site) -> datetime:
    with site.arrears.engine.connect() as connection:
        seen: datetime = connection.execute(select(t.web_sessions.c.last_seen_at)).scalar_one()
    return seen


def test_a_session_notes_its_last_use_when_its_cookie_is_signed_again(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = site.signed_in("maria")
    signed_in = site.clock.at

    site.clock.at = signed_in + timedelta(seconds=REFRESH_SECONDS - 60)
    later(monkeypatch, REFRESH_SECONDS - 60)
    soon = client.get("/tasks")
    noted_soon = last_use(site)
    site.clock.at = signed_in + timedelta(seconds=REFRESH_SECONDS + 60)
    later(monkeypatch, REFRESH_SECONDS + 60)
    refreshed = client.get("/tasks")

    assert "set-cookie" not in soon.headers and noted_soon == signed_in  # not written on every page
    assert "set-cookie" in refreshed.headers
    assert last_use(site) == signed_in + timedelta(seconds=REFRESH_SECONDS + 60)


def test_a_sign_in_page_left_open_past_30_minutes_still_signs_in(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    client = site.client()
    page = client.get("/signin")

    later(monkeypatch, IDLE_SECONDS + 60)
    answer = client.post("/signin", data={"name": "maria", "password": password("maria"), "csrf": csrf_of(page.text)})

    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
