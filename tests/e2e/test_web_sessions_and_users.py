"""Sessions that end when they should, and the owners' users page, through FastAPI's TestClient on
both databases: a cookie replayed after signing out is refused, deactivation and a new password end
sessions at once, "sign out everywhere", and roles, activity and passwords changed from the page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

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
