"""The served app behind a proxy, as clients meet it: forwarded headers believed only from the
configured proxies (ARREARS_FORWARDED_ALLOW_IPS), a sign-in throttle that neither a forged
X-Forwarded-For escapes nor a shared office address turns into everyone's lockout, the throttle's
counts shared by two app instances (two server processes) on one database, Secure cookies named with
the `__Host-` prefix and HSTS when the proxy says the request came over HTTPS, and the address a
user's list of sessions shows is the one the throttle counts."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from arrears.bootstrap import bootstrap
from arrears.cli.serve import server_app
from arrears.domain.users import Role
from tests.web import Site, csrf_of, password, password_hash


def behind(site: Site, proxies: str) -> FastAPI:
    """The site's app as `arrears serve --forwarded-allow-ips PROXIES` serves it."""
    site.arrears.settings = site.arrears.settings.model_copy(update={"forwarded_allow_ips": proxies})
    return server_app(site.arrears)


def client_at(app: FastAPI, address: str, base_url: str = "http://testserver") -> TestClient:
    return TestClient(app, base_url=base_url, client=(address, 50000), follow_redirects=False)


def sign_in(client: TestClient, name: str, secret: str, headers: dict[str, str] | None = None) -> int:
    page = client.get("/signin", headers=headers)
    data = {"name": name, "password": secret, "csrf": csrf_of(page.text)}
    return client.post("/signin", data=data, headers=headers).status_code


def test_a_local_client_forging_x_forwarded_for_is_throttled_when_no_proxy_is_configured(site: Site) -> None:
    client = client_at(behind(site, ""), "127.0.0.1")

    wrong = [sign_in(client, "maria", "guess", {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(30)]
    right = sign_in(client, "maria", password("maria"), {"X-Forwarded-For": "198.51.100.200"})

    assert wrong == [401] * 5 + [429] * 25
    assert right == 429


def test_a_client_beside_a_trusted_proxy_gains_nothing_by_changing_x_forwarded_for_each_time(site: Site) -> None:
    """127.0.0.1 trusted (a proxy on the same host): the forged addresses are believed, each one new,
    yet the account itself is blocked after ten failures, from wherever they come."""
    client = client_at(behind(site, "127.0.0.1"), "127.0.0.1")

    wrong = [sign_in(client, "maria", "guess", {"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(30)]
    right = sign_in(client, "maria", password("maria"), {"X-Forwarded-For": "198.51.100.200"})

    assert wrong == [401] * 10 + [429] * 20
    assert right == 429


def test_fifty_users_behind_one_proxy_are_not_locked_out_by_one_persons_typos(site: Site) -> None:
    for n in range(46):
        with site.arrears.uow() as uow:
            uow.users.add(f"clerk{n}", Role.CONTRIBUTOR, None, password_hash(site.arrears, "sam"))
            uow.commit()
    names = [*(f"clerk{n}" for n in range(46)), "sam", "olivia", "morgan"]
    secrets = {name: password("sam") if name.startswith("clerk") else password(name) for name in names}
    app = behind(site, "10.0.0.5")
    office = {"X-Forwarded-For": "203.0.113.9"}  # the office's one public address, as the proxy saw it
    typist = client_at(app, "10.0.0.5")

    typos = [sign_in(typist, "maria", "oops", office) for _ in range(30)]
    colleagues = {}
    for name in names:
        colleague = client_at(app, "10.0.0.5")
        sign_in(colleague, name, "a typo", office)  # everyone mistypes once too
        colleagues[name] = sign_in(colleague, name, secrets[name], office)

    assert typos == [401] * 5 + [429] * 25
    assert colleagues == dict.fromkeys(names, 303)


def test_two_app_instances_on_one_database_share_the_throttle(site: Site) -> None:
    other = bootstrap(site.arrears.settings, site.clock)  # a second server process, in effect
    try:
        first = client_at(server_app(site.arrears), "192.0.2.10")
        second = client_at(server_app(other), "192.0.2.10")

        wrong = [sign_in(first, "maria", "guess") for _ in range(5)]
        right_elsewhere = sign_in(second, "maria", password("maria"))

        assert wrong == [401] * 5
        assert right_elsewhere == 429
    finally:
        other.close()


def test_over_https_through_the_trusted_proxy_cookies_are_secure_and_hsts_is_sent(site: Site) -> None:
    app = behind(site, "10.0.0.5")
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}

    page = client_at(app, "10.0.0.5").get("/signin", headers=https)  # its cookie holds the form's CSRF token
    portal = client_at(app, "10.0.0.5").get("/portal/" + "x" * 43, headers=https)

    assert page.status_code == 200
    assert page.headers["set-cookie"].startswith("__Host-arrears_session=")
    assert "secure" in page.headers["set-cookie"].lower()
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    assert portal.headers["strict-transport-security"] == "max-age=31536000"


def test_a_client_that_is_not_the_proxy_cannot_pass_for_https(site: Site) -> None:
    app = behind(site, "10.0.0.5")
    direct = client_at(app, "198.51.100.7")
    https = {"X-Forwarded-Proto": "https"}

    page = direct.get("/signin", headers=https)
    answer = direct.post(
        "/signin", data={"name": "maria", "password": password("maria"), "csrf": csrf_of(page.text)}, headers=https
    )

    assert answer.status_code == 303
    assert answer.headers["set-cookie"].startswith("arrears_session=")  # plain HTTP: no prefix
    assert "secure" not in answer.headers["set-cookie"].lower()
    assert "strict-transport-security" not in answer.headers


def test_the_sessions_list_shows_the_address_the_trusted_proxy_forwarded_and_no_forged_one(site: Site) -> None:
    app = behind(site, "10.0.0.5")
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    through_proxy = client_at(app, "10.0.0.5", base_url="https://testserver")
    direct = client_at(app, "192.0.2.44")
    forged = {"X-Forwarded-For": "203.0.113.66"}
    assert sign_in(through_proxy, "maria", password("maria"), https) == 303
    assert sign_in(direct, "maria", password("maria"), forged) == 303

    page = through_proxy.get("/account/sessions", headers=https).text

    assert "198.51.100.7" in page and "192.0.2.44" in page
    assert "203.0.113.66" not in page and "10.0.0.5" not in page


def test_a_request_straight_over_https_gets_hsts_and_one_over_http_does_not(site: Site) -> None:
    over_https = client_at(site.app, "198.51.100.7", base_url="https://testserver").get("/signin")
    over_http = client_at(site.app, "198.51.100.7").get("/signin")

    assert over_https.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in over_http.headers
