"""The customer portal's pages through `arrears serve`'s app (TestClient, both databases): what a
link's customer sees, what its forms do, and that a link that does not work, a form from elsewhere,
another customer's invoice or hostile text gets nothing.

The site is tests/web.py's: Acme (C1, USD) owes INV-1001 (100.00, 30 days late) and INV-1002
(250.00); Beta (C2, EUR) owes B1; C3 is named like a script and has an invoice numbered like one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears
from arrears.domain.errors import PaymentProviderError
from arrears.domain.portal import new_token
from arrears.services import disputes, plans, throttles
from arrears.services import portal as portal_service
from arrears.services.portal_ports import CheckoutRequest, CheckoutSession
from arrears.services.throttles import RateLimit
from tests.ledger import Ledger, invoice, payment
from tests.web import NOW, SCRIPT, TODAY, Site, open_site, row_counts

IMG = '"><img src=x onerror=alert(1)>'
SCRIPT_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMG_SHOWN = "&lt;img src=x onerror=alert(1)&gt;"
IBAN = "DE89 3704 0044 0532 0130 00"


@dataclass
class FakeGateway:
    """A payment provider that makes a checkout page for each request and remembers them."""

    requests: list[CheckoutRequest] = field(default_factory=list)

    def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
        self.requests.append(request)
        number = len(self.requests)
        return CheckoutSession(f"cs_test_{number}", f"https://checkout.stripe.test/c/pay/cs_test_{number}")


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """Acme's ledger with one invoice of each kind: I3 disputed, I4 being paid online by a bank
    debit (payment pending), I5 on a payment plan, I6 paid (not open: not shown), I7 not due yet."""
    opened = open_site(db_url, tmp_path)
    owner = opened.people["olivia"]
    Ledger(opened.arrears, tmp_path).load(
        "invoices",
        [
            invoice("I3", "C1", due=date(2026, 6, 10), amount="30.00", number="INV-1003"),
            invoice("I4", "C1", due=date(2026, 6, 12), amount="40.00", number="INV-1004"),
            invoice("I5", "C1", due=date(2026, 7, 15), amount="60.00", number="INV-1005"),
            invoice("I6", "C1", due=date(2026, 6, 1), amount="10.00", number="INV-1006"),
            invoice("I7", "C1", due=date(2026, 7, 20), amount="5.00", number="INV-1007"),
        ],
    )
    Ledger(opened.arrears, tmp_path).load("payments", [payment("P6", "C1", invoice="I6", amount="10.00")])
    disputes.open_dispute(opened.arrears.uow(), owner, "I3", "pricing")
    plans.create_plan(opened.arrears.uow(), owner, ["I5"], [(date(2026, 7, 15), "30.00"), (date(2026, 8, 15), "30.00")])
    with opened.arrears.engine.begin() as connection:
        connection.execute(update(t.invoices).where(t.invoices.c.external_id == "I4").values(payment_pending=True))
    yield opened
    opened.arrears.close()


def link(site: Site, customer: str = "C1") -> str:
    """A fresh portal token for `customer`, issued by its collector."""
    issued = portal_service.issue_link(site.arrears.uow(), site.people["olivia"], customer, days=30, base_url="x")
    return issued.url.rsplit("/", 1)[1]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form"
    return found.group(1)


def opened(client: TestClient, token: str) -> str:
    """The portal page, read as the customer's browser does (which sets the form cookie)."""
    answer = client.get(f"/portal/{token}")
    assert answer.status_code == 200, answer.text
    return answer.text


def post(
    client: TestClient, token: str, action: str, fields: dict[str, object], *, csrf: str | None = None
) -> Response:
    """A form of the page sent as the browser does: with the page's CSRF field unless `csrf` is given."""
    if csrf is None:
        csrf = csrf_of(opened(client, token))
    return client.post(f"/portal/{token}/{action}", data={"csrf": csrf, **fields})


def row_of(html: str, number: str) -> str:
    found = re.search(rf"<tr>((?:(?!</tr>).)*>{re.escape(number)}<(?:(?!</tr>).)*)</tr>", html, re.S)
    assert found, f"no row for {number}"
    return found.group(1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def with_gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    gateway = FakeGateway()
    monkeypatch.setattr(Arrears, "payment_gateway", lambda self: gateway)
    return gateway


# -- what the customer sees -------------------------------------------------------------------------


def test_the_page_lists_only_that_customers_open_invoices_with_their_markers_and_totals(site: Site) -> None:
    token = link(site)

    html = opened(site.client(), token)

    assert "<h1>Acme Ltd</h1>" in html
    for number in ("INV-1001", "INV-1002", "INV-1003", "INV-1004", "INV-1005"):
        assert f">{number}<" in html
    assert "INV-1006" not in html  # paid
    assert "Beta GmbH" not in html and ">B1<" not in html and SCRIPT_SHOWN not in html  # other customers
    assert "Disputed" in row_of(html, "INV-1003")
    assert "Payment processing" in row_of(html, "INV-1004")
    assert "On a payment plan" in row_of(html, "INV-1005")
    late = text_of(row_of(html, "INV-1001"))
    assert "Overdue" in late and " 30 " in late and "$100.00" in late and "May 31, 2026" in late
    assert "Not due yet" in row_of(html, "INV-1007") and "Overdue" not in row_of(html, "INV-1007")
    assert "<dt>USD</dt><dd>$485.00</dd>" in html  # 100 + 250 + 30 + 40 + 60 + 5
    assert 'href="/portal/' + token + '/statement.pdf"' in html
    assert 'href="/portal/' + token + '/invoices/I1.pdf"' in html


def test_amounts_and_dates_are_written_in_the_browsers_language_else_the_workspaces(site: Site) -> None:
    token = link(site)
    client = site.client()

    german = client.get(f"/portal/{token}", headers={"accept-language": "tlh, de-DE;q=0.9, en;q=0.5"}).text
    unknown = client.get(f"/portal/{token}", headers={"accept-language": "tlh, *"}).text

    assert "100,00" in row_of(german, "INV-1001") and "31.05.2026" in row_of(german, "INV-1001")
    assert "$100.00" in row_of(unknown, "INV-1001") and "May 31, 2026" in row_of(unknown, "INV-1001")


def test_the_statement_and_an_invoice_come_as_pdf(site: Site) -> None:
    token = link(site)
    client = site.client()

    statement = client.get(f"/portal/{token}/statement.pdf")
    one = client.get(f"/portal/{token}/invoices/I1.pdf")

    for answer in (statement, one):
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/pdf"
        assert answer.content.startswith(b"%PDF")
    assert "attachment" in one.headers["content-disposition"]


def test_an_invoice_of_another_customer_is_not_found_on_every_route_that_names_one(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = with_gateway(monkeypatch)
    token = link(site)
    client = site.client()
    csrf = csrf_of(opened(client, token))
    before = row_counts(site)

    answers = {
        "pdf": client.get(f"/portal/{token}/invoices/B1.pdf"),
        "dispute": post(client, token, "disputes", {"invoice_external_id": "B1", "reason": "pricing"}, csrf=csrf),
        "promise": post(
            client, token, "promises", {"date": "2026-07-10", "amount": "1", "invoice_external_ids": ["B1"]}, csrf=csrf
        ),
        "unknown": client.get(f"/portal/{token}/invoices/NOPE.pdf"),
    }
    paying = post(client, token, "pay", {"invoice_external_ids": ["B1"]}, csrf=csrf)

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(answers, 404)
    assert paying.status_code == 404 and "no invoice" in paying.text
    for answer in [*answers.values(), paying]:
        assert "Beta GmbH" not in answer.text and "€" not in answer.text
    assert row_counts(site) == before
    assert gateway.requests == []


def test_a_link_that_does_not_work_gets_404_and_nothing_of_the_customer_on_every_route(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_gateway(monkeypatch)
    client = site.client()
    expired, revoked, kept = link(site), link(site, "C3"), link(site, "C2")
    csrf_expired = csrf_of(opened(client, expired))
    csrf_revoked = csrf_of(opened(client, revoked))
    portal_service.revoke_links(site.arrears.uow(), site.people["olivia"], "C3")
    site.clock.at = NOW + timedelta(days=31)  # the first link has expired
    before = row_counts(site)
    forms = {
        "disputes": {"invoice_external_id": "I1", "reason": "pricing"},
        "promises": {"date": "2026-08-10", "amount": "10.00"},
        "pay": {"invoice_external_ids": ["I1"]},
    }

    answers = []
    tried = ((expired, csrf_expired), (revoked, csrf_revoked), (new_token(), "x"), ("short", "x"), ("x" * 5000, "x"))
    for number, (token, csrf) in enumerate(tried):
        # Each from an address of its own (the throttle would step in after 20), with the cookie.
        from_address = TestClient(site.app, cookies=client.cookies, client=(f"192.0.2.{number}", 50000))
        for path in ("", "/statement.pdf", "/invoices/I1.pdf", "/transfer-qr.svg"):
            answers.append(from_address.get(f"/portal/{token}{path}"))
        for action, fields in forms.items():
            answers.append(from_address.post(f"/portal/{token}/{action}", data={"csrf": csrf, **fields}))

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    for answer in answers:
        assert answer.headers["content-type"].startswith("text/html")
        for shown in ("Acme", "INV-100", "script", "Beta", "$"):
            assert shown not in answer.text
        assert "not available" in answer.text
    assert row_counts(site) == before
    assert client.get(f"/portal/{kept}").status_code == 404  # expired too: 30 days


def test_opening_the_page_twice_changes_nothing_but_when_the_link_was_last_seen(site: Site) -> None:
    token = link(site)
    client = site.client()
    opened(client, token)

    def state() -> dict[str, object]:
        with site.arrears.engine.connect() as connection:
            links = connection.execute(select(t.portal_links).order_by(t.portal_links.c.id)).all()
            audit = connection.execute(select(t.audit_log.c.id)).all()
        return {"counts": row_counts(site), "links": [row._asdict() for row in links], "audit": audit}

    before = state()
    site.clock.at = NOW + timedelta(minutes=5)
    opened(client, token)
    after = state()

    assert after["counts"] == before["counts"] and after["audit"] == before["audit"]
    changed = [
        {k for k in row if row[k] != old[k]}
        for row, old in zip(after["links"], before["links"], strict=True)  # type: ignore[call-overload]
    ]
    assert set().union(*changed) <= {"last_seen_at"}


# -- the forms ---------------------------------------------------------------------------------------


def test_a_dispute_from_the_portal_opens_one_from_the_portal_and_alerts_the_collector(site: Site) -> None:
    token = link(site)
    client = site.client()

    answer = post(client, token, "disputes", {"invoice_external_id": "I1", "reason": "pricing", "message": "Wrong"})

    assert answer.status_code == 303 and answer.headers["location"] == f"/portal/{token}"
    with site.arrears.engine.connect() as connection:
        dispute = connection.execute(
            select(t.disputes)
            .join(t.invoices, t.invoices.c.id == t.disputes.c.invoice_id)
            .where(t.invoices.c.external_id == "I1")
        ).one()
        alerts = connection.execute(select(t.alerts).where(t.alerts.c.kind == "dispute_opened")).all()
    assert dispute.source == "portal" and dispute.reason == "pricing" and dispute.note == "Wrong"
    assert any("I1" in alert.message and alert.user_id == site.people["maria"].id for alert in alerts)
    shown = client.get(f"/portal/{token}").text
    assert "your dispute was received" in shown and "Disputed" in row_of(shown, "INV-1001")
    assert "your dispute was received" not in client.get(f"/portal/{token}").text  # once


def test_a_promise_from_the_portal_is_an_expected_payment_and_holds_back_chasing(site: Site) -> None:
    token = link(site)
    client = site.client()

    workflows = site.arrears.workflows()

    def chased() -> set[str]:
        with site.arrears.uow() as uow:
            acme = uow.ledger.customer("C1")
            assert acme is not None
            return {due.number for due in uow.selection.chaseable_invoices(acme.id, workflows, 0, TODAY)}

    assert "INV-1001" in chased()
    answer = post(client, token, "promises", {"date": "2026-07-10", "amount": "", "invoice_external_ids": ["I1", "I2"]})

    assert answer.status_code == 303
    with site.arrears.engine.connect() as connection:
        task = connection.execute(select(t.tasks).where(t.tasks.c.type == "expected_payment")).one()
    assert task.source == "portal" and task.expected_date == date(2026, 7, 10)
    assert task.expected_amount_minor == 35000  # the selected invoices in full: 100 + 250
    assert task.assignee_id == site.people["maria"].id
    assert "INV-1001" not in chased()
    assert "your promise to pay was noted" in client.get(f"/portal/{token}").text


def test_a_refused_form_shows_the_page_again_with_the_error_beside_it_and_the_input_kept(site: Site) -> None:
    token = link(site)
    client = site.client()
    csrf = csrf_of(opened(client, token))
    before = row_counts(site)

    bad_date = post(
        client, token, "promises", {"date": "someday", "amount": "12.34", "invoice_external_ids": "I2"}, csrf=csrf
    )
    past = post(client, token, "promises", {"date": "2026-01-01", "amount": "12.34"}, csrf=csrf)
    twice = post(
        client, token, "disputes", {"invoice_external_id": "I3", "reason": "pricing", "message": "Again"}, csrf=csrf
    )

    assert bad_date.status_code == 400
    assert 'role="alert" id="selected-error">give the date' in bad_date.text
    assert 'value="12.34"' in bad_date.text and re.search(r'value="I2" id="pick-\d+" checked', bad_date.text)
    assert not re.search(r'value="I1" id="pick-\d+" checked', bad_date.text)
    assert past.status_code == 400 and 'id="selected-error"' in past.text
    assert twice.status_code == 409 and 'id="dispute-error"' in twice.text and ">Again</textarea>" in twice.text
    assert row_counts(site) == before


def test_paying_online_goes_to_the_providers_checkout_and_records_the_payment(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = with_gateway(monkeypatch)
    token = link(site)
    client = site.client()
    assert "Pay online" in opened(client, token)

    answer = post(client, token, "pay", {"invoice_external_ids": ["I1", "I2"], "amount": "120.00"})

    assert answer.status_code == 303
    assert answer.headers["location"] == "https://checkout.stripe.test/c/pay/cs_test_1"
    [request] = gateway.requests
    assert request.customer_external_id == "C1" and request.invoice_external_ids == ("I1", "I2")
    assert request.amount_minor == 12000 and request.currency == "USD"
    assert request.success_url.endswith(f"/portal/{token}?paid=1")
    assert request.cancel_url.endswith(f"/portal/{token}?cancelled=1")
    with site.arrears.engine.connect() as connection:
        [row] = connection.execute(select(t.online_payments)).all()
    assert row.amount_minor == 12000 and row.checkout_session_id == "cs_test_1"
    back = client.get(f"/portal/{token}?paid=1").text
    assert "your payment is on its way" in back and "Your online payments" in back and "Processing" in back
    assert "nothing was charged" in client.get(f"/portal/{token}?cancelled=1").text


def test_an_amount_paid_without_choosing_invoices_goes_to_the_oldest_it_reaches(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = with_gateway(monkeypatch)
    token = link(site)

    answer = post(site.client(), token, "pay", {"amount": "150.00"})

    assert answer.status_code == 303
    [request] = gateway.requests
    assert request.invoice_external_ids == ("I1", "I2") and request.amount_minor == 15000


def test_paying_more_than_is_owed_or_in_two_currencies_is_refused_beside_the_form(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = with_gateway(monkeypatch)
    token = link(site)

    answer = post(site.client(), token, "pay", {"invoice_external_ids": ["I1"], "amount": "100.01"})

    assert answer.status_code == 400 and 'id="selected-error"' in answer.text and 'value="100.01"' in answer.text
    assert gateway.requests == []


def test_a_payment_provider_that_fails_is_a_502_beside_the_form_saying_nothing_was_paid(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Down:
        def create_checkout_session(self, request: CheckoutRequest) -> CheckoutSession:
            raise PaymentProviderError("the payment provider did not answer: nothing was paid; try again later")

    monkeypatch.setattr(Arrears, "payment_gateway", lambda self: Down())
    token = link(site)

    answer = post(site.client(), token, "pay", {"invoice_external_ids": ["I1"]})

    assert answer.status_code == 502
    assert 'id="selected-error">the payment provider did not answer: nothing was paid' in answer.text
    with site.arrears.engine.connect() as connection:
        assert connection.execute(select(t.online_payments.c.status)).scalars().all() == ["failed"]


def test_an_invoice_whose_id_has_a_slash_links_to_its_pdf(site: Site, tmp_path: Path) -> None:
    Ledger(site.arrears, tmp_path).load("invoices", [invoice("2026/7", "C1", due=TODAY, amount="9.00", number="A/7")])
    token = link(site)
    client = site.client()

    html = opened(client, token)
    answer = client.get(f"/portal/{token}/invoices/2026%2F7.pdf")

    assert f'href="/portal/{token}/invoices/2026%2F7.pdf"' in html
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")


def test_without_a_payment_provider_there_is_no_pay_form_and_paying_is_not_found(site: Site) -> None:
    token = link(site)
    client = site.client()
    html = opened(client, token)

    answer = post(client, token, "pay", {"invoice_external_ids": ["I1"]}, csrf=csrf_of(html))

    assert "Pay online" not in html and "/pay" not in html
    assert answer.status_code == 404


@pytest.mark.parametrize("csrf", [None, "", "0" * 64, "other link"])
def test_a_form_without_this_pages_csrf_field_and_cookie_is_refused_and_changes_nothing(
    site: Site, csrf: str | None
) -> None:
    token = link(site)
    client = site.client()
    html = opened(client, token)
    fields: dict[str, object] = {"invoice_external_id": "I1", "reason": "pricing"}
    if csrf == "other link":  # a field made for another link, with this browser's cookie
        fields["csrf"] = csrf_of(opened(client, link(site, "C2")))
    elif csrf is not None:
        fields["csrf"] = csrf
    before = row_counts(site)

    answer = client.post(f"/portal/{token}/disputes", data=fields)
    no_cookie = site.client().post(f"/portal/{token}/disputes", data={**fields, "csrf": csrf_of(html)})

    assert answer.status_code == 403 and no_cookie.status_code == 403
    assert "reload the page" in answer.text
    assert row_counts(site) == before


def test_a_link_that_sent_too_many_forms_of_late_is_429_and_changes_nothing_while_others_go_on(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttles, "PORTAL_FORM_LIMIT", RateLimit(3, timedelta(minutes=15)))
    token, other = link(site), link(site, "C2")
    client = site.client()
    csrf = csrf_of(opened(client, token))
    refused = [post(client, token, "promises", {"date": "2026-01-01"}, csrf=csrf).status_code for _ in range(3)]
    before = row_counts(site)

    over = post(client, token, "disputes", {"invoice_external_id": "I7", "reason": "pricing"}, csrf=csrf)

    assert refused == [400] * 3  # a refused form counts too: the limit is on sending, not on success
    assert over.status_code == 429
    assert "Too many forms were sent from this page of late: try again in 15 minute(s)." in over.text
    assert over.headers["retry-after"] == "900"
    assert row_counts(site) == before
    elsewhere = post(site.client(), other, "promises", {"date": "2026-01-01"})
    assert elsewhere.status_code == 400  # another customer's link is counted apart
    assert client.get(f"/portal/{token}").status_code == 200  # reading the page is not limited
    site.clock.at += timedelta(minutes=15)
    again = post(client, token, "disputes", {"invoice_external_id": "I7", "reason": "pricing"}, csrf=csrf)
    assert again.status_code == 303


def test_a_nul_byte_in_a_form_or_the_address_is_refused(site: Site) -> None:
    token = link(site)
    client = site.client()
    csrf = csrf_of(opened(client, token))
    before = row_counts(site)

    in_form = post(
        client, token, "disputes", {"invoice_external_id": "I1", "reason": "pricing", "message": "a\x00b"}, csrf=csrf
    )
    in_query = client.get(f"/portal/{token}?paid=%00")

    assert in_form.status_code == 400 and in_query.status_code == 400
    assert "NUL" in in_form.text
    assert row_counts(site) == before


def test_a_form_too_large_is_refused(site: Site) -> None:
    token = link(site)

    answer = post(site.client(), token, "disputes", {"message": "x" * 70_000})

    assert answer.status_code == 413


def test_an_unexpected_error_is_a_page_saying_so_without_a_trace(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = link(site)

    def broken(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(portal_service, "view", broken)
    answer = site.client().get(f"/portal/{token}")

    assert answer.status_code == 500
    assert "secret internals" not in answer.text and "Traceback" not in answer.text
    assert "went wrong on our side" in answer.text
    assert token not in caplog.text and "secret internals" in caplog.text


# -- hostile text, headers, the throttle, the transfer QR ---------------------------------------------


def test_every_customer_supplied_string_is_shown_as_text(site: Site, tmp_path: Path) -> None:
    hostile = f"{SCRIPT}{IMG}"
    site.arrears.workspace = replace(site.arrears.workspace, company_name=hostile)
    site.arrears.settings = site.arrears.settings.model_copy(update={"bank_details": f"Pay to {hostile}\n{IBAN}"})
    Ledger(site.arrears, tmp_path).load(
        "invoices", [invoice("S2", "C3", due=date(2026, 6, 20), amount="30.00", number=IMG)]
    )
    token = link(site, "C3")

    html = opened(site.client(), token)
    missing = site.client().get("/portal/" + new_token())

    assert html.count(SCRIPT_SHOWN) >= 4 and IMG_SHOWN in html  # name, number, company, bank details
    for page in (html, missing.text):
        assert "<script>" not in page and "<img src=x" not in page
    assert SCRIPT_SHOWN in missing.text  # the company name, on the page of a link that does not work


def test_portal_answers_carry_each_security_header_once(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    token = link(site)
    client = site.client()

    answers = [
        client.get(f"/portal/{token}"),
        client.get(f"/portal/{new_token()}"),
        client.get(f"/portal/{token}/nothing/here"),
        client.get(f"/portal/{token}/statement.pdf"),
    ]
    with_gateway(monkeypatch)
    paying = client.get(f"/portal/{token}")
    css = client.get("/portal-static/portal.css")

    for answer in [*answers, paying]:
        for name in ("content-security-policy", "referrer-policy", "cache-control", "x-robots-tag", "x-frame-options"):
            assert len(answer.headers.get_list(name)) == 1, (answer.url, name)
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-robots-tag"].startswith("noindex")
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        assert "script-src 'self'" in answer.headers["content-security-policy"]
    assert "form-action 'self';" in answers[0].headers["content-security-policy"]
    assert "form-action 'self' https://checkout.stripe.com;" in paying.headers["content-security-policy"]
    assert answers[2].status_code == 404 and "not available" in answers[2].text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert len(css.headers.get_list("content-security-policy")) == 1
    assert site.client().get("/signin").headers["referrer-policy"] == "same-origin"  # the workspace's own


def test_the_form_cookie_is_http_only_strict_and_scoped_to_the_portal(site: Site) -> None:
    answer = site.client().get(f"/portal/{link(site)}")

    over_https = TestClient(site.app, base_url="https://testserver").get(f"/portal/{link(site)}")

    cookie = answer.headers["set-cookie"]
    assert "arrears_portal_csrf=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/portal" in cookie
    assert "Secure" not in cookie and "Secure" in over_https.headers["set-cookie"]


def test_an_address_that_tries_too_many_links_that_do_not_work_is_refused_for_a_while(site: Site) -> None:
    token = link(site)
    guesser = site.client()
    neighbour = TestClient(site.app, base_url="http://testserver", client=("192.0.2.7", 50000))
    opened(guesser, token)  # valid links do not count
    opened(guesser, token)

    answers = [guesser.get(f"/portal/{new_token()}").status_code for _ in range(21)]
    valid_after = guesser.get(f"/portal/{token}")

    assert answers == [404] * 20 + [429]
    assert valid_after.status_code == 429 and "Acme" not in valid_after.text
    assert neighbour.get(f"/portal/{token}").status_code == 200


def test_a_euro_balance_with_an_iban_in_the_bank_details_gets_a_transfer_qr_code(site: Site, tmp_path: Path) -> None:
    site.arrears.settings = site.arrears.settings.model_copy(
        update={"bank_details": f"Example Bank\nIBAN: {IBAN}\nBIC: COBADEFFXXX"}
    )
    Ledger(site.arrears, tmp_path).load("invoices", [invoice("B2", "C2", due=date(2026, 6, 1), amount="60.00")])
    disputes.open_dispute(site.arrears.uow(), site.people["olivia"], "B2", "pricing")
    euro, dollar = link(site, "C2"), link(site, "C1")
    client = site.client()

    euro_page = opened(client, euro)
    dollar_page = opened(client, dollar)
    qr = client.get(f"/portal/{euro}/transfer-qr.svg")

    assert f'src="/portal/{euro}/transfer-qr.svg"' in euro_page
    assert "IBAN: DE89 3704 0044 0532 0130 00\nBIC: COBADEFFXXX" in euro_page  # as written, lines kept
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    assert qr.content.startswith(b"<svg")
    assert "(€40.00: the invoices in euros that are not disputed" in euro_page  # B2 (disputed) left out
    assert 'Reference: <strong class="reference">C2: B1</strong>' in euro_page
    assert "transfer-qr.svg" not in dollar_page and "IBAN: DE89" in dollar_page
    assert client.get(f"/portal/{dollar}/transfer-qr.svg").status_code == 404


def test_a_reference_too_long_for_a_transfer_is_the_customers_id_alone(site: Site, tmp_path: Path) -> None:
    site.arrears.settings = site.arrears.settings.model_copy(update={"bank_details": f"IBAN: {IBAN}"})
    many = [invoice(f"B{n}", "C2", due=TODAY, amount="1.00", number=f"BETA-2026-{n:04}") for n in range(2, 14)]
    Ledger(site.arrears, tmp_path).load("invoices", many)

    html = opened(site.client(), link(site, "C2"))

    assert 'Reference: <strong class="reference">C2</strong>' in html  # 13 numbers: over 140 characters
    assert "transfer-qr.svg" in html
