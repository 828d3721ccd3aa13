"""The web workspace through its pages (FastAPI's TestClient, both databases): signing in, CSRF,
throttling, roles, escaping and security headers, as a browser would meet them."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from arrears.services import signing_key
from tests.web import SCRIPT, Site, csrf_of, password


def sign_in(client: TestClient, name: str, secret: str) -> int:
    page = client.get("/signin")
    return client.post("/signin", data={"name": name, "password": secret, "csrf": csrf_of(page.text)}).status_code


def action_form(client: TestClient) -> dict[str, str]:
    return {"csrf": csrf_of(client.get("/tasks").text)}


@pytest.mark.parametrize("path", ["/", "/tasks", "/tasks?tab=done", "/customers/C1"])
def test_an_anonymous_visitor_is_sent_to_the_sign_in_page(site: Site, path: str) -> None:
    answer = site.client().get(path)

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")


def test_an_anonymous_post_changes_nothing(site: Site) -> None:
    answer = site.client().post(f"/tasks/{site.tasks['acme']}/complete", data={"csrf": "x"})

    assert answer.status_code in (303, 403)
    assert site.row(site.tasks["acme"]).status == "open"


def test_signing_in_sets_an_http_only_same_site_cookie_and_opens_my_task_list(site: Site) -> None:
    client = site.client()
    page = client.get("/signin")

    answer = client.post(
        "/signin", data={"name": "maria", "password": password("maria"), "csrf": csrf_of(page.text), "next": "/tasks"}
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/tasks"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    tasks_page = client.get("/tasks").text
    assert "Acme Ltd" in tasks_page
    assert "Beta GmbH" not in tasks_page  # sam's task: not mine
    assert 'href="tel:+14155550100"' in tasks_page


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(site: Site) -> None:
    client = site.client()

    wrong_password = sign_in(client, "maria", "not-her-password")
    unknown_user = sign_in(client, "nobody", "whatever-pw")

    assert wrong_password == unknown_user == 401
    assert client.get("/tasks").status_code == 303


def test_after_five_failures_the_name_is_throttled_even_with_the_right_password(site: Site) -> None:
    client = site.client()
    for _ in range(5):
        assert sign_in(client, "maria", "guess-guess") == 401

    throttled = sign_in(client, "maria", password("maria"))
    other_user = sign_in(site.client(), "sam", password("sam"))

    assert throttled == 429
    assert other_user == 303


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(site: Site, token: str | None) -> None:
    client = site.signed_in("maria")
    data = {"follow_up_date": "2026-07-03"} | ({"csrf": token} if token else {})

    answer = client.post(f"/tasks/{site.tasks['acme']}/complete", data=data)

    assert answer.status_code == 403
    assert "expired" in answer.text
    assert site.row(site.tasks["acme"]).status == "open"


def test_signing_in_needs_the_csrf_token_too(site: Site) -> None:
    client = site.client()

    answer = client.post("/signin", data={"name": "maria", "password": password("maria")})

    assert answer.status_code == 403
    assert client.get("/tasks").status_code == 303


def test_a_contributor_is_refused_on_another_collectors_task(site: Site) -> None:
    client = site.signed_in("maria")
    beta = site.tasks["beta"]

    completing = client.post(f"/tasks/{beta}/complete", data=action_form(client))
    rescheduling = client.post(f"/tasks/{beta}/reschedule", data={**action_form(client), "to": "2026-07-02"})

    assert completing.status_code == rescheduling.status_code == 403
    assert "only the tasks assigned to them" in completing.text
    assert "Nothing was changed" in completing.text
    row = site.row(beta)
    assert (row.status, row.due_date.isoformat()) == ("open", "2026-06-30")


def test_a_manager_may_act_on_anyones_task(site: Site) -> None:
    client = site.signed_in("morgan")

    answer = client.post(f"/tasks/{site.tasks['beta']}/complete", data=action_form(client))

    assert answer.status_code == 303
    assert site.row(site.tasks["beta"]).status == "done"


def test_completing_with_a_follow_up_date_opens_a_follow_up_and_says_so(site: Site) -> None:
    client = site.signed_in("maria")
    data = {**action_form(client), "outcome": "answered", "follow_up_date": "2026-07-03", "back": "/tasks"}

    answer = client.post(f"/tasks/{site.tasks['acme']}/complete", data=data)
    page = client.get(answer.headers["location"]).text

    assert answer.status_code == 303
    assert "Follow-up due 2026-07-03 for maria" in page
    assert '<time datetime="2026-07-03">' in page
    assert site.row(site.tasks["acme"]).outcome == "answered"


def test_a_call_result_and_a_new_date_reschedule_the_call(site: Site) -> None:
    client = site.signed_in("maria")
    data = {**action_form(client), "outcome": "left_voicemail", "to": "2026-07-01"}

    answer = client.post(f"/tasks/{site.tasks['acme']}/reschedule", data=data)
    timeline = client.get("/customers/C1").text

    assert answer.status_code == 303
    row = site.row(site.tasks["acme"])
    assert (row.status, row.due_date.isoformat()) == ("open", "2026-07-01")
    assert "Rescheduled to 2026-07-01 after a call: left voicemail" in timeline
    assert "call task rescheduled to 2026-07-01 after a call: left_voicemail" in timeline


def test_a_promise_to_pay_is_an_expected_payment_task(site: Site) -> None:
    client = site.signed_in("maria")
    data = {**action_form(client), "amount": "100.00", "date": "2026-07-10", "invoices": "I1"}

    answer = client.post("/customers/C1/promise", data=data)
    page = client.get("/customers/C1").text

    assert answer.status_code == 303
    assert "Promise to pay recorded" in page
    assert "Promise to pay 100.00 by 2026-07-10" in page


def test_bad_form_values_are_a_page_with_the_reason_not_a_crash(site: Site) -> None:
    client = site.signed_in("maria")

    answer = client.post(f"/tasks/{site.tasks['acme']}/reschedule", data={**action_form(client), "to": "soon"})

    assert answer.status_code == 400
    assert "is not a date" in answer.text


@pytest.mark.parametrize("path", ["/tasks", "/tasks?assignee=*", "/customers/C3", "/tasks?q=script"])
def test_a_customer_named_like_a_script_is_shown_as_text(site: Site, path: str) -> None:
    client = site.signed_in("maria")

    page = client.get(path).text

    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert re.findall(r"<script[^>]*>", page, re.IGNORECASE) == ['<script src="/static/app.js" defer>']


def test_the_customer_page_shows_header_invoices_contacts_and_timeline(site: Site) -> None:
    client = site.signed_in("maria")

    page = client.get("/customers/C1").text

    for text in ("Acme Ltd", "$350.00", "$5,000.00", "maria", "INV-1001", "Pat Payables", "call task created"):
        assert text in page, text
    assert '<td data-label="Days past due" class="num">30</td>' in page


def test_an_unknown_customer_is_a_404_page(site: Site) -> None:
    answer = site.signed_in("maria").get("/customers/NOPE")

    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]


@pytest.mark.parametrize("path", ["/signin", "/tasks", "/customers/C1", "/customers/NOPE"])
def test_pages_carry_the_security_headers(site: Site, path: str) -> None:
    answer = site.signed_in("maria").get(path)

    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp  # only the site's own script file: nothing inline, no eval
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_api_keeps_its_json_errors_and_its_own_csp_not_the_pages(site: Site) -> None:
    answer = site.client().get("/api/v1/no/such/thing")

    assert answer.status_code in (401, 404)
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_pages_hold_no_secret_and_no_password_hash(site: Site) -> None:
    client = site.signed_in("maria")
    with site.arrears.uow() as uow:
        key = uow.accounts.setting(signing_key.KEY)
        stored_hash = uow.users.password_hash("maria")

    pages = client.get("/tasks").text + client.get("/customers/C1").text

    assert key and stored_hash
    assert key not in pages
    assert stored_hash not in pages
    assert password("maria") not in pages


def test_the_secret_key_is_generated_once_and_stored_unless_configured(site: Site) -> None:
    first = signing_key.secret_key(site.arrears.uow(), None)
    second = signing_key.secret_key(site.arrears.uow(), None)
    configured = signing_key.secret_key(site.arrears.uow(), "k" * 40)

    assert first == second
    assert len(first) >= signing_key.MIN_LENGTH
    assert configured == "k" * 40


def test_signing_out_ends_the_session(site: Site) -> None:
    client = site.signed_in("maria")

    answer = client.post("/signout", data=action_form(client))

    assert answer.status_code == 303
    assert client.get("/tasks").status_code == 303


def test_a_tampered_cookie_is_no_session(site: Site) -> None:
    client = site.signed_in("maria")
    cookie = client.cookies.get("arrears_session")
    assert cookie
    # Replaced, not added beside it: a second cookie of the same name would leave the signed one sent.
    client.cookies.clear()
    client.cookies.set("arrears_session", cookie[:-3] + ("xyz" if not cookie.endswith("xyz") else "abc"))

    answer = client.get("/tasks")
    assert answer.request.headers["cookie"].endswith(("xyz", "abc"))
    assert answer.status_code == 303


def test_the_completed_tab_can_hide_what_was_completed_today(site: Site) -> None:
    client = site.signed_in("maria")
    client.post(f"/tasks/{site.tasks['acme']}/complete", data=action_form(client))

    shown = client.get("/tasks?tab=done").text
    hidden = client.get("/tasks?tab=done&today=hide").text

    assert "Call Acme about INV-1001" in shown
    assert "Call Acme about INV-1001" not in hidden


@pytest.mark.parametrize(("wanted", "landing"), [("/customers/C1", "/customers/C1"), ("//evil.test/x", "/")])
def test_signing_in_returns_to_the_page_asked_for_on_this_site_only(site: Site, wanted: str, landing: str) -> None:
    client = site.client()
    page = client.get("/signin")

    answer = client.post(
        "/signin", data={"name": "maria", "password": password("maria"), "csrf": csrf_of(page.text), "next": wanted}
    )

    assert answer.headers["location"] == landing


def test_the_assignee_picker_shows_anyones_tasks_or_everyones(site: Site) -> None:
    client = site.signed_in("maria")

    sams = client.get("/tasks?assignee=sam").text
    everyone = client.get("/tasks?assignee=*").text

    assert "Beta GmbH" in sams
    assert "Acme Ltd" not in sams
    assert all(name in everyone for name in ("Beta GmbH", "Acme Ltd", "&lt;script&gt;"))


def test_quick_search_sort_and_pages(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("arrears.web.routes.tasks.PAGE_SIZE", 1)
    client = site.signed_in("maria")

    searched = client.get("/tasks?q=INV-1001").text
    ascending = [client.get(f"/tasks?sort=customer&page={n}").text for n in (1, 2)]
    descending = client.get("/tasks?sort=-customer").text

    assert "Acme Ltd" in searched
    assert "&lt;script&gt;" not in searched
    assert ("Acme Ltd" in ascending[0]) != ("Acme Ltd" in ascending[1])
    assert ("Acme Ltd" in descending) == ("Acme Ltd" in ascending[1])
    assert 'rel="next"' in ascending[0]
    assert 'rel="prev"' in ascending[1]
    assert 'rel="next"' not in ascending[1]


def test_a_defect_in_a_page_is_an_html_500_page_that_says_it_was_logged(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client = site.signed_in("maria")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a defect")

    monkeypatch.setattr("arrears.services.customer_record.customer_record", broken)
    answer = client.get("/customers/C1")

    assert answer.status_code == 500
    assert "text/html" in answer.headers["content-type"]
    assert "it has been logged" in answer.text
    assert "a defect" not in answer.text  # the trace goes to the log, never to the page
    assert any(record.exc_info and "a defect" in str(record.exc_info[1]) for record in caplog.records)
