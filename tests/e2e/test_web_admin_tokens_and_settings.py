"""The owners' API tokens and workspace settings pages, through FastAPI's TestClient on both
databases: a token shown once in the answer to its POST (never in a list, the session or a
redirect) that the API accepts until it is revoked; the company name, locale and sender stored over
the environment's, in force for the next email in this process and in another one (a worker);
a bad value refused with its field, nothing saved; only owners, who alone see "Admin" in the menu."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from httpx import Response
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.config import Settings
from tests.web import Site, csrf_of, row_counts

TOKEN = re.compile(r'value="(arr_[A-Za-z0-9_-]+)"')


def issue(site: Site, label: str = "erp-sync", user: str = "maria") -> tuple[str, Response]:
    owner = site.signed_in("olivia")
    answer = owner.post(
        "/admin/tokens", data={"csrf": csrf_of(owner.get("/admin/tokens").text), "user": user, "label": label}
    )
    found = TOKEN.search(answer.text)
    assert answer.status_code == 200 and found, answer.text[:500]
    return found.group(1), answer


def test_an_issued_token_is_shown_once_in_the_answer_and_works_until_revoked(site: Site) -> None:
    token, answer = issue(site)
    api = site.client()
    bearer = {"Authorization": f"Bearer {token}"}

    assert answer.headers["cache-control"] == "no-store"
    assert "shown only this once" in answer.text
    assert api.get("/api/v1/settings", headers=bearer).status_code == 200
    owner = site.signed_in("olivia")
    listed = owner.get("/admin/tokens")
    assert token not in listed.text and "erp-sync" in listed.text and "maria" in listed.text
    with site.arrears.engine.connect() as connection:
        [token_id] = connection.execute(select(t.api_tokens.c.id)).scalars()

    revoked = owner.post(f"/admin/tokens/{token_id}/revoke", data={"csrf": csrf_of(listed.text)})

    assert revoked.status_code == 303 and revoked.headers["location"] == "/admin/tokens"
    assert api.get("/api/v1/settings", headers=bearer).status_code == 401
    page = owner.get("/admin/tokens").text
    assert "Revoked" in page and f"API token {token_id} (erp-sync) of maria revoked" in page
    with site.arrears.engine.connect() as connection:
        actions = connection.execute(
            select(t.audit_log.c.action, t.audit_log.c.actor_name).where(t.audit_log.c.entity == "api_token")
        ).all()
    assert sorted(actions) == [("created", "olivia"), ("revoked", "olivia")]


def test_revoking_one_token_leaves_the_users_others_working(site: Site) -> None:
    first, _ = issue(site, "one")
    second, _ = issue(site, "two")
    owner = site.signed_in("olivia")

    owner.post("/admin/tokens/1/revoke", data={"csrf": csrf_of(owner.get("/admin/tokens").text)})

    api = site.client()
    assert api.get("/api/v1/settings", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert api.get("/api/v1/settings", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_a_token_without_a_label_is_not_issued(site: Site) -> None:
    owner = site.signed_in("olivia")
    before = row_counts(site)

    answer = owner.post(
        "/admin/tokens", data={"csrf": csrf_of(owner.get("/admin/tokens").text), "user": "maria", "label": " "}
    )

    assert answer.status_code == 400 and "label" in answer.text
    assert row_counts(site) == before


def test_only_owners_reach_the_admin_pages_and_see_admin_in_the_menu(site: Site) -> None:
    owner, manager = site.signed_in("olivia"), site.signed_in("morgan")

    assert 'href="/admin"' in owner.get("/tasks").text
    assert 'href="/admin"' not in manager.get("/tasks").text
    assert owner.get("/admin").headers["location"] == "/admin/users"
    for path in ("/admin", "/admin/tokens", "/admin/settings"):
        assert manager.get(path).status_code == 403, path
    page = owner.get("/admin/settings").text
    for link in ('href="/admin/users"', 'href="/admin/tokens"', 'href="/admin/settings"'):
        assert link in page


def test_stored_settings_win_over_the_environment_for_the_next_email_in_every_process(site: Site) -> None:
    owner = site.signed_in("olivia")
    fields = {
        "company_name": "Example Supplies Ltd",
        "timezone": "Europe/London",
        "locale": "de_DE",
        "email_from": "billing@example.org",
    }

    saved = owner.post("/admin/settings", data={"csrf": csrf_of(owner.get("/admin/settings").text), **fields})

    assert saved.status_code == 303
    context = {"total": Decimal("1234.50"), "currency": "EUR"}
    subject = site.arrears.mailer().templates.subject("past_due", context)
    assert subject == "Overdue: 1.234,50 € on your account with Example Supplies Ltd"  # de_DE
    assert site.arrears.mailer().sender_address == "billing@example.org"
    worker = bootstrap(Settings(database_url=str(site.arrears.engine.url.render_as_string(hide_password=False))))
    try:
        worker.ready()  # another process: it reads what was stored when it starts, a cycle or a send
        assert worker.mailer().templates.subject("past_due", context) == subject
        assert getattr(worker.clock, "timezone", None) == "Europe/London"  # what "today" is there
    finally:
        worker.close()
    page = owner.get("/admin/settings").text
    assert "Example Supplies Ltd" in page and "(stored here)" in page
    with site.arrears.engine.connect() as connection:
        [changes] = connection.execute(
            select(t.audit_log.c.changes).where(t.audit_log.c.entity == "settings")
        ).scalars()
    assert (json.loads(changes) if isinstance(changes, str) else changes)["company_name"] == [
        "Arrears Demo Co.",
        "Example Supplies Ltd",
    ]


def test_an_empty_field_goes_back_to_the_environments_value(site: Site) -> None:
    owner = site.signed_in("olivia")
    csrf = csrf_of(owner.get("/admin/settings").text)
    owner.post("/admin/settings", data={"csrf": csrf, "company_name": "Example Supplies Ltd"})

    owner.post("/admin/settings", data={"csrf": csrf, "company_name": ""})

    assert site.arrears.workspace.company_name == "Arrears Demo Co."


def test_a_bad_value_is_a_400_naming_the_field_and_nothing_is_saved(site: Site) -> None:
    owner = site.signed_in("olivia")
    before = row_counts(site)
    fields = {
        "company_name": "Example Supplies Ltd",
        "timezone": "Mars/Olympus_Mons",
        "locale": "en_GB",
        "email_from": "ar@example.com",
    }

    answer = owner.post("/admin/settings", data={"csrf": csrf_of(owner.get("/admin/settings").text), **fields})

    assert answer.status_code == 400
    assert "time zone: &#39;Mars/Olympus_Mons&#39; is not a time zone" in answer.text
    assert 'aria-invalid="true"' in answer.text and 'value="Mars/Olympus_Mons"' in answer.text
    assert row_counts(site) == before
    assert site.arrears.workspace.company_name == "Arrears Demo Co."
