"""Every page of the web workspace against what a careless or hostile client sends (TestClient, both
databases): anonymous requests go to the sign-in page and change nothing; a POST without its CSRF
token is a 403 that changes nothing; hostile values in every path parameter and form or query field
are a 4xx page or a normal answer, never a 500, and a refused POST leaves the database as it was.

`ROUTES` is the table of every route with sample valid input: a route added to the web router
without a row here fails `test_every_web_route_is_in_the_table`."""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from arrears.adapters.db.tables import metadata
from arrears.bootstrap import DEFAULT_WORKFLOWS
from arrears.services import accounts, calls, disputes, inbound_mail, tasks, users
from arrears.services.automation_ports import NewEmail
from tests.calls import tiny_wav
from tests.ledger import Ledger, csv_bytes, customer
from tests.web import THROTTLES, Site, csrf_of, open_site, password

# Not session pages: /webhooks/stripe has no sign-in or CSRF token (Stripe signs each body); its
# hostile input (no, forged or stale signature, bad or huge body) is tests/e2e/test_stripe_checkout.py's.
# The customer portal (/portal/TOKEN…) has no session either: its link is the principal, its forms
# carry their own CSRF check; its hostile input is tests/e2e/test_portal_pages.py's.
# /healthz and /readyz answer JSON to anyone and read nothing a request sends: tests/e2e/test_health.py.
NOT_WEB = ("/api", "/docs", "/openapi.json", "/static", "/redoc", "/webhooks/", "/portal/", "/healthz", "/readyz")
PUBLIC = {("GET", "/signin"), ("POST", "/signin")}


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    opened = open_site(db_url, tmp_path)
    opened.client().get("/signin")  # the first request stores the generated signing key: not under test
    yield opened
    opened.arrears.close()


def web_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every page route of the served app, however the routers are nested."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # FastAPI >= 0.16x keeps included routers as branches
                walk(inner.routes, prefix + getattr(getattr(route, "include_context", None), "prefix", ""))
            elif isinstance(route, APIRoute):
                path = prefix + route.path
                if not path.startswith(NOT_WEB):
                    found.update((method, path) for method in route.methods if method != "HEAD")

    walk(app.routes, "")
    return found


@dataclass
class Sample:
    """One valid request to a route: its path parameters, query or form fields, and file."""

    params: dict[str, str] = field(default_factory=dict)
    fields: dict[str, str | list[str]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None


Make = Callable[[Site], Sample]


def _view(site: Site) -> str:
    return str(accounts.save_view(site.arrears.uow(), site.people["olivia"], "Everyone", {"assignee": "*"}).id)


def _other_session(site: Site) -> str:
    """A new session of olivia's (another browser of the owner's), its id."""
    users.start_session(site.arrears.uow(), site.people["olivia"])
    with site.arrears.engine.connect() as connection:
        return str(connection.execute(select(func.max(t.web_sessions.c.id))).scalar_one())


def _alert(site: Site) -> str:
    """A new open alert (a dispute's, as the dispute service raises it), its id."""
    with site.arrears.uow() as uow:
        key = f"sample:{len(uow.alerts.alerts(None, None, 10_000, 0).items)}"
        uow.alerts.raise_alert(
            "dispute_opened", key, "Acme disputes I2", customer_id=None, task_id=None, user_id=None, at=site.clock.now()
        )
        uow.commit()
    with site.arrears.uow() as uow:
        return str(max(alert.id for alert in uow.alerts.alerts("open", None, 500, 0).items))


def _token(site: Site) -> str:
    accounts.issue_token(site.arrears.uow(), "maria", "sample")
    return str(max(t.id for t in accounts.list_tokens(site.arrears.uow(), site.people["olivia"])))


def _dispute(site: Site) -> str:
    """The open dispute on B1 (opened on first use: an invoice holds one open dispute at a time)."""
    d = t.disputes
    with site.arrears.engine.connect() as connection:
        found = connection.execute(
            select(d.c.id)
            .join(t.invoices, t.invoices.c.id == d.c.invoice_id)
            .where(t.invoices.c.external_id == "B1", d.c.status == "open")
        ).scalar()
    if found is not None:
        return str(found)
    return str(disputes.open_dispute(site.arrears.uow(), site.people["olivia"], "B1", "pricing").id)


_SAMPLES = itertools.count()


def _contact(site: Site) -> str:
    with site.arrears.uow() as uow:
        return str(uow.ledger.ledger_records("contacts", 1, 0, customer_external_id="C1").items[0].id)


def _email(site: Site) -> str:
    with site.arrears.uow() as uow:
        customer = uow.ledger.customer("C1")
        assert customer is not None
        key = f"sample:{next(_SAMPLES)}"
        email_id = uow.outbox.queue_email(
            NewEmail(
                customer.id,
                key,
                ("pat@acme.test",),
                "Past due",
                "past_due",
                "{}",
                None,
                None,
                None,
                f"<{key}>",
                (),
                uow.clock.now(),
            )
        )
        uow.commit()
    return str(email_id)


def _received(site: Site) -> str:
    """A new unread reply from an address of Acme's record that no sample removes, with one
    attachment: its id."""
    n = next(_SAMPLES)
    raw = (
        f"From: Acme AP <{_recipient(site)}>\r\nTo: ar@example.com\r\nSubject: Re: Past due\r\n"
        f"Message-ID: <sample-{n}@acme.test>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nWe paid on Friday.\r\n"
        '--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename="page.html"\r\n\r\n'
        "<script>alert(1)</script>\r\n--b--\r\n"
    )
    received = inbound_mail.receive(site.arrears.uow(), raw.encode(), "pipe")
    assert received.id is not None
    return str(received.id)


def _attachment(site: Site) -> dict[str, str]:
    received_id = _received(site)
    with site.arrears.uow() as uow:
        row = uow.mail.received(int(received_id))
    assert row is not None and row.attachments
    return {"received_id": received_id, "attachment_id": str(row.attachments[0].id)}


def _template_form(action: str) -> dict[str, str | list[str]]:
    return {
        "subject": "Overdue: {{ total | money(currency) }}",
        "text": "Hello\n",
        "html": "<!doctype html><html><body><p>Hello</p></body></html>",
        "action": action,
    }


def _recipient(site: Site) -> str:
    """An address of C1's record that no other sample removes."""
    with site.arrears.uow() as uow:
        customer = uow.ledger.customer("C1")
        assert customer is not None
        uow.customer_records.add_contact(customer.id, "Robin Sample", "robin@acme.test", None, None)
        uow.commit()
    return "robin@acme.test"


def _call(site: Site) -> str:
    """A new open call on Acme for maria, with no recording yet."""
    new = tasks.NewTask("C1", "call", "Call Acme again", assignee="maria")
    return str(tasks.create_task(site.arrears.uow(), site.people["olivia"], new).id)


def _recorded(site: Site) -> str:
    """A new call on Acme with a recording."""
    task_id = _call(site)
    arrears = site.arrears
    calls.attach_recording(
        arrears.uow(), arrears.audio_store(), arrears.audio_probe(), site.people["olivia"], int(task_id),
        tiny_wav(), "call.wav", arrears.call_settings(),
    )  # fmt: skip
    return task_id


def _csv() -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("customers.csv", csv_bytes([customer("C9", "Gamma Co")]), "text/csv")}


LIST_QUERY: dict[str, str | list[str]] = {
    "tab": "open",
    "sort": "due_date",
    "assignee": "*",
    "q": "Acme",
    "today": "show",
    "type": ["call", "email"],
    "due_from": "2026-06-01",
    "due_to": "2026-07-31",
    "min_overdue": "10.00",
    "tag": "vip",
    "customer": "C1",
    "page": "1",
}

ROUTES: dict[tuple[str, str], Make] = {
    ("GET", "/"): lambda site: Sample(),
    ("GET", "/signin"): lambda site: Sample(fields={"next": "/dashboard"}),
    ("POST", "/signin"): lambda site: Sample(
        fields={"name": "olivia", "password": password("olivia"), "next": "/tasks"}
    ),
    ("POST", "/signout"): lambda site: Sample(),
    ("GET", "/tasks"): lambda site: Sample(fields=dict(LIST_QUERY)),
    ("POST", "/tasks/bulk"): lambda site: Sample(
        fields={
            "ids": [str(site.tasks["acme"])],
            "action": "move",
            "due": "2026-07-10",
            "to": "sam",
            "all_matching": "0",
            "back": "/tasks?tab=open",
            **{k: v for k, v in LIST_QUERY.items() if k not in ("page", "q", "tag", "type", "min_overdue")},
        }
    ),
    ("POST", "/tasks/views"): lambda site: Sample(
        fields={"name": "Acme calls", "default": "1", "tab": "open", "q": "Acme", "type": "call"}
    ),
    ("POST", "/tasks/views/{view_id}/delete"): lambda site: Sample(
        {"view_id": _view(site)}, {"back": "/tasks?tab=open"}
    ),
    ("POST", "/tasks/{task_id}/complete"): lambda site: Sample(
        {"task_id": str(site.tasks["acme"])},
        {
            "outcome": "answered",
            "note": "Will pay Friday",
            "follow_up_date": "2026-07-03",
            "follow_up_assignee": "maria",
            "back": "/tasks",
        },
    ),
    ("POST", "/tasks/{task_id}/recording"): lambda site: Sample(
        {"task_id": _call(site)}, {"back": "/tasks"}, files={"file": ("call.wav", tiny_wav(), "audio/wav")}
    ),
    ("GET", "/tasks/{task_id}/recording/audio"): lambda site: Sample({"task_id": _recorded(site)}),
    ("POST", "/tasks/{task_id}/reschedule"): lambda site: Sample(
        {"task_id": str(site.tasks["script"])}, {"to": "2026-07-03", "outcome": "not_answered", "back": "/tasks"}
    ),
    ("GET", "/customers/{external_id:path}"): lambda site: Sample({"external_id": "C1"}),
    ("POST", "/customers/{external_id:path}/promise"): lambda site: Sample(
        {"external_id": "C1"},
        {"amount": "50.00", "date": "2026-07-05", "invoices": "I1", "invoice": "I2", "back": "/customers/C1"},
    ),
    ("POST", "/customers/{external_id:path}/tasks"): lambda site: Sample(
        {"external_id": "C1"},
        {"invoice": ["I1", "I2"], "type": "call", "description": "Call about both", "due_date": "2026-07-02"}
        | {"assignee": "maria"},
    ),
    ("POST", "/customers/{external_id:path}/disputes"): lambda site: Sample(
        {"external_id": "C1"}, {"invoice": "I1", "reason": "pricing"}
    ),
    ("POST", "/customers/{external_id:path}/notes"): lambda site: Sample({"external_id": "C1"}, {"note": "Pays late"}),
    ("POST", "/customers/{external_id:path}/contacts"): lambda site: Sample(
        {"external_id": "C1"},
        {"name": "Dee Fox", "email": "dee@acme.test", "phone": "+1 555 0102", "role": "AP", "receives_reminders": "on"},
    ),
    ("POST", "/customers/{external_id:path}/contacts/{contact_id}"): lambda site: Sample(
        {"external_id": "C1", "contact_id": _contact(site)},
        {"name": "Pat Payables", "email": "pat@acme.test", "phone": "", "role": "AP", "receives_reminders": "on"},
    ),
    ("POST", "/customers/{external_id:path}/contacts/{contact_id}/remove"): lambda site: Sample(
        {"external_id": "C1", "contact_id": _contact(site)}
    ),
    ("POST", "/customers/{external_id:path}/collector"): lambda site: Sample(
        {"external_id": "C1"}, {"collector": "sam"}
    ),
    ("POST", "/customers/{external_id:path}/chasing"): lambda site: Sample({"external_id": "C1"}, {"paused": "1"}),
    ("POST", "/customers/{external_id:path}/portal-link"): lambda site: Sample({"external_id": "C1"}),
    ("POST", "/customers/{external_id:path}/portal-links/revoke"): lambda site: Sample({"external_id": "C1"}),
    ("POST", "/customers/{external_id:path}/invoices/{invoice_external_id}/excluded"): lambda site: Sample(
        {"external_id": "C1", "invoice_external_id": "I1"}, {"excluded": "1"}
    ),
    ("GET", "/customers/{external_id:path}/history"): lambda site: Sample(
        {"external_id": "C1"}, {"kind": "email", "invoice": "I1", "step": "reminder", "page": "1"}
    ),
    ("GET", "/customers/{external_id:path}/emails"): lambda site: Sample(
        {"external_id": "C1"}, {"status": "sent", "step": "reminder", "invoice": "I1", "page": "1"}
    ),
    ("GET", "/emails/{email_id}"): lambda site: Sample({"email_id": _email(site)}),
    ("GET", "/emails/{email_id}/body"): lambda site: Sample({"email_id": _email(site)}),
    ("GET", "/customers/{external_id:path}/email"): lambda site: Sample({"external_id": "C1"}),
    ("POST", "/customers/{external_id:path}/email"): lambda site: Sample(
        {"external_id": "C1"},
        {"key": "robustness-sample-form", "template": "past_due", "to": _recipient(site), "invoice": "I1"}
        | {"subject": "", "body": ""},
    ),
    ("GET", "/customers/{external_id:path}/statement.pdf"): lambda site: Sample({"external_id": "C1"}),
    ("GET", "/customers/{external_id:path}/invoices/{invoice_external_id:path}.pdf"): lambda site: Sample(
        {"external_id": "C1", "invoice_external_id": "I1"}
    ),
    ("GET", "/import"): lambda site: Sample(),
    ("POST", "/import"): lambda site: Sample(
        fields={"kind": "customers", "dry_run": "0", "ignore_unknown": "0", "run": "0" * 32}, files=_csv()
    ),
    ("GET", "/import/progress/{run}"): lambda site: Sample({"run": "0123456789abcdef" * 2}),
    ("GET", "/workflows"): lambda site: Sample(),
    ("POST", "/workflows"): lambda site: Sample(
        fields={"source": DEFAULT_WORKFLOWS.read_text(encoding="utf-8") + "\n# edited\n"}
    ),
    ("GET", "/workflows/preview"): lambda site: Sample(fields={"as_of": "2026-07-01"}),
    ("GET", "/templates"): lambda site: Sample(fields={"new": ""}),
    ("GET", "/templates/{name}"): lambda site: Sample({"name": "past_due"}),
    ("POST", "/templates/{name}"): lambda site: Sample({"name": "past_due"}, fields=_template_form("preview")),
    ("POST", "/templates/{name}/html"): lambda site: Sample({"name": "past_due"}, fields=_template_form("preview")),
    ("POST", "/templates/{name}/reset"): lambda site: Sample({"name": "past_due"}),
    ("GET", "/dashboard"): lambda site: Sample(),
    ("GET", "/alerts"): lambda site: Sample(fields={"status": "open", "kind": "dispute_opened", "page": "1"}),
    ("GET", "/customers"): lambda site: Sample(
        fields={
            "q": "acme",
            "collector": "maria",
            "overdue": "on",
            "on_hold": "",
            "disputed": "",
            "tag": "key",
            "sort": "-overdue",
            "page": "1",
        }
    ),
    ("GET", "/credit"): lambda site: Sample(
        fields={"flagged": "on", "on_hold": "", "over_limit": "on", "currency": "USD", "sort": "score", "page": "1"}
    ),
    ("POST", "/customers/{external_id:path}/credit-hold"): lambda site: Sample(
        {"external_id": "C1"}, {"hold": "1", "note": "over limit since May", "back": "/customers/C1"}
    ),
    ("GET", "/reports"): lambda site: Sample(fields={"from": "2026-04-01", "to": "2026-06-30", "currency": "USD"}),
    ("GET", "/reports/pack.pdf"): lambda site: Sample(fields={"month": "2026-05"}),
    ("GET", "/reports/{kind}.csv"): lambda site: Sample(
        {"kind": "dso"}, fields={"from": "2026-04-01", "to": "2026-06-30"}
    ),
    ("POST", "/alerts/{alert_id}/dismiss"): lambda site: Sample({"alert_id": _alert(site)}, {"back": "/alerts"}),
    ("POST", "/alerts/dismiss"): lambda site: Sample(fields={"ids": [_alert(site)], "back": "/alerts"}),
    ("POST", "/signout/everywhere"): lambda site: Sample(),
    ("GET", "/account/sessions"): lambda site: Sample(),
    ("POST", "/account/sessions/{session_id}/end"): lambda site: Sample(
        {"session_id": _other_session(site)}, {"password": password("olivia")}
    ),
    ("POST", "/account/sessions/end-others"): lambda site: Sample(fields={"password": password("olivia")}),
    ("GET", "/admin/users"): lambda site: Sample(),
    ("POST", "/admin/users"): lambda site: Sample(
        fields={"name": "nina", "email": "nina@example.com", "role": "contributor", "password": "a long secret phrase"}
    ),
    ("POST", "/admin/users/{name}/role"): lambda site: Sample({"name": "sam"}, {"role": "manager"}),
    ("POST", "/admin/users/{name}/deactivate"): lambda site: Sample({"name": "sam"}),
    ("POST", "/admin/users/{name}/activate"): lambda site: Sample({"name": "sam"}),
    ("POST", "/admin/users/{name}/password"): lambda site: Sample(
        {"name": "sam"}, {"password": "a long secret phrase"}
    ),
    ("GET", "/admin"): lambda site: Sample(),
    ("GET", "/admin/tokens"): lambda site: Sample(),
    ("POST", "/admin/tokens"): lambda site: Sample(fields={"user": "maria", "label": "erp-sync"}),
    ("POST", "/admin/tokens/{token_id}/revoke"): lambda site: Sample({"token_id": _token(site)}),
    ("GET", "/admin/settings"): lambda site: Sample(),
    ("POST", "/admin/settings"): lambda site: Sample(
        fields={
            "company_name": "Acme Collections",
            "timezone": "Europe/London",
            "locale": "en_GB",
            "email_from": "ar@acme.test",
        }
    ),
    ("GET", "/inbox"): lambda site: Sample(fields={"view": "all", "unread": "1", "offset": "0"}),
    ("GET", "/inbox/{received_id}"): lambda site: Sample({"received_id": _received(site)}),
    ("GET", "/inbox/{received_id}/attachments/{attachment_id}"): lambda site: Sample(_attachment(site)),
    ("POST", "/inbox/{received_id}/read"): lambda site: Sample({"received_id": _received(site)}, {"back": "/inbox"}),
    ("POST", "/inbox/{received_id}/unread"): lambda site: Sample({"received_id": _received(site)}, {"back": "/inbox"}),
    ("POST", "/inbox/{received_id}/reply"): lambda site: Sample(
        {"received_id": _received(site)},
        {"key": f"{next(_SAMPLES):032d}", "text": "Thank you, we see it."},
    ),
    ("POST", "/inbox/{received_id}/task"): lambda site: Sample(
        {"received_id": _received(site)}, {"type": "call", "due_date": "2026-07-02"}
    ),
    ("POST", "/inbox/{received_id}/assign"): lambda site: Sample(
        {"received_id": _received(site)}, {"customer": "C1", "add_contact": "on"}
    ),
    ("GET", "/disputes"): lambda site: Sample(
        fields={"status": "open", "reason": "pricing", "owner": "olivia", "customer": "C1", "page": "1"}
    ),
    ("POST", "/disputes/{dispute_id}/assign"): lambda site: Sample(
        {"dispute_id": _dispute(site)}, {"owner": "morgan", "back": "/disputes"}
    ),
    ("POST", "/disputes/{dispute_id}/{outcome}"): lambda site: Sample(
        {"dispute_id": _dispute(site), "outcome": "resolve"},
        {"resolution": "Credit note agreed", "credit_note": "10.00", "write_off": "", "back": "/disputes"},
    ),
}

HOSTILE_VALUES = [
    "9" * 40,  # a huge int
    "-1",
    "0",
    "ünïcødé ☃ 𝄞 مرحبا",
    "a\x00b",
    "x" * 10_000,
    "2026-02-30",  # a bad date
    "12.3.4",  # a bad decimal
    "NaN",
    "1e999",
    "not_a_known_value",  # an unknown enum value
    "",
    "//evil.test/x",
    '"><img src=x onerror=alert(1)>',
]
HOSTILE_PATHS = ["9" * 40, "-1", "0", "ünïcødé ☃", "a\x00b", "x" * 10_000, "%2e%2e%2fetc", "a/b", "C1/../C2"]


def fingerprint(site: Site) -> str:
    """A digest of every row of every table: equal before and after means nothing was written. The
    failed sign-ins are left out: a refused attempt is meant to be counted (the throttle). One
    statement reads every row as text (a query per table cost most of this file's time)."""
    engine = site.arrears.engine
    with engine.connect() as connection:
        rows = sorted(connection.exec_driver_sql(_every_row(engine.dialect.name)).scalars())
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


@functools.cache
def _every_row(dialect: str) -> str:
    """Each row of each table as one text, prefixed with its table's name: PostgreSQL's text of
    the row, or on SQLite each column's SQL literal (`quote`)."""
    selects = []
    for table in metadata.sorted_tables:
        if table.name in THROTTLES:
            continue
        if dialect == "postgresql":
            text = "r::text"
        else:
            text = " || ',' || ".join(f'quote(r."{column.name}")' for column in table.columns)
        selects.append(f"SELECT '{table.name}:' || {text} FROM \"{table.name}\" r")
    return "\nUNION ALL ".join(selects)


def test_the_fingerprint_sees_any_write(site: Site) -> None:
    """What the checks below lean on: one changed field changes the digest, and changing it again does too."""
    before = fingerprint(site)
    with site.arrears.engine.begin() as connection:
        connection.execute(t.tasks.update().where(t.tasks.c.id == site.tasks["acme"]).values(description="Call x"))
    edited = fingerprint(site)
    with site.arrears.engine.begin() as connection:
        connection.execute(t.tasks.update().where(t.tasks.c.id == site.tasks["acme"]).values(description="Call y"))

    assert len({before, edited, fingerprint(site)}) == 3


def url(path: str, params: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda found: quote(params[found.group(1)], safe=""), path)


def send(
    client: TestClient,
    method: str,
    path: str,
    sample: Sample,
    csrf: str | None,
    fields: dict[str, str | list[str]] | None = None,
) -> Any:
    data: dict[str, Any] = dict(sample.fields if fields is None else fields)
    if method == "GET":
        return client.get(path, params=data)
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(path, data=data, files=sample.files)


def owner(site: Site) -> tuple[TestClient, str]:
    client = site.signed_in("olivia")
    return client, csrf_of(client.get("/import").text)


def test_every_web_route_is_in_the_table(site: Site) -> None:
    served = web_routes(site.app)

    assert served, "no page route found: the walk over the app's routes is broken"
    assert served - set(ROUTES) == set(), "web routes without sample input in ROUTES: add them"
    assert set(ROUTES) - served == set(), "ROUTES names routes the app does not serve"


def test_the_samples_are_valid_requests_that_an_owner_may_make(site: Site) -> None:
    """The control of the CSRF test below: with the token, each sample POST is accepted."""
    for (method, template), make in ROUTES.items():
        sample = make(site)
        client, csrf = owner(site) if (method, template) != ("POST", "/signin") else (site.client(), None)
        if csrf is None:
            csrf = csrf_of(client.get("/signin").text)
        answer = send(client, method, url(template, sample.params), sample, csrf)
        assert answer.status_code in (200, 303), f"{method} {template}: {answer.status_code} {answer.text[:400]}"


def test_anonymous_requests_go_to_the_sign_in_page_and_change_nothing(site: Site) -> None:
    for (method, template), make in ROUTES.items():
        if (method, template) in PUBLIC:
            continue
        sample = make(site)
        client = site.client()
        anonymous_csrf = csrf_of(client.get("/signin").text)  # a real token of an anonymous session
        before = fingerprint(site)

        answer = send(client, method, url(template, sample.params), sample, anonymous_csrf)

        assert answer.status_code == 303, f"{method} {template}: {answer.status_code}"
        assert answer.headers["location"].startswith("/signin"), f"{method} {template}"
        assert fingerprint(site) == before, f"anonymous {method} {template} changed the database"


def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    for (method, template), make in ROUTES.items():
        if method != "POST":
            continue
        sample = make(site)
        signed_in = site.client() if template == "/signin" else owner(site)[0]
        for token in (None, "", "forged-token"):
            before = fingerprint(site)

            answer = send(signed_in, method, url(template, sample.params), sample, token)

            assert answer.status_code == 403, f"{method} {template} with csrf={token!r}: {answer.status_code}"
            assert "text/html" in answer.headers["content-type"]
            assert "expired" in answer.text
            assert fingerprint(site) == before, f"{method} {template} without CSRF changed the database"


def check(site: Site, what: str, answer: Any, before: str | None) -> str | None:
    """Never a 500; a page answer is HTML; a refused POST wrote nothing. Returns the database's
    fingerprint when it is known to be unchanged (a POST refused), for the next request's `before`."""
    assert answer.status_code < 500, f"{what}: {answer.status_code} {answer.text[:300]}"
    if answer.status_code < 300 or answer.status_code >= 400:
        kind = answer.headers.get("content-type", "")
        pdf = "application/pdf" in kind and ".pdf " in what  # the statement and invoice downloads
        download = "/attachments/{attachment_id} " in what  # a received email's attachment, as it came
        download |= "text/csv" in kind and ".csv " in what  # a report's CSV
        download |= "/recording/audio " in what and kind.startswith("audio/")  # a call's audio
        assert "text/html" in kind or "/import/progress/" in what or pdf or download, f"{what}: {kind}"
        if "text/html" in kind:
            assert "<html" in answer.text, what
    if before is not None and answer.status_code >= 400:
        assert fingerprint(site) == before, f"{what}: refused ({answer.status_code}) but changed the database"
        return before
    return None


# A PDF download takes no `page`: an unknown field is ignored like any other, so two values show it,
# instead of rendering the same PDF (the month's pack: a second each) once per hostile value.
UNKNOWN_ON_PDF = ["a\x00b", "9" * 40]


def hostile_requests(
    sample: Sample, template: str = ""
) -> Iterator[tuple[str, dict[str, str], dict[str, str | list[str]]]]:
    """(what, path params, fields) with one hostile value at a time, and every field repeated."""
    for key in sample.params:
        for value in HOSTILE_PATHS:
            yield f"path {key}={value[:20]!r}", {**sample.params, key: value}, sample.fields
    for key in [*sample.fields, "page"]:
        pdf_only_ignores = key == "page" and key not in sample.fields and template.endswith(".pdf")
        for value in UNKNOWN_ON_PDF if pdf_only_ignores else HOSTILE_VALUES:
            yield f"field {key}={value[:20]!r}", sample.params, {**sample.fields, key: value}
        yield f"field {key} repeated", sample.params, {**sample.fields, key: ["1", "two", "2026-01-01"]}


AREAS = {"/tasks": "tasks", "/customers": "customers", "/inbox": "inbox"}


@pytest.mark.parametrize("area", ["tasks", "customers", "inbox", "other"])
def test_hostile_input_is_a_4xx_or_a_page_never_a_500(site: Site, area: str) -> None:
    owner_client, owner_csrf = owner(site)
    for (method, template), make in ROUTES.items():
        mine = next((name for start, name in AREAS.items() if template.startswith(start)), "")
        if (mine or "other") != area or template in ("/signout", "/signout/everywhere"):
            continue
        sample = make(site)
        unchanged: str | None = None  # the fingerprint after a refused POST: still the database's
        for what, params, fields in hostile_requests(sample, template):
            client, csrf = owner_client, owner_csrf
            if template == "/signin":  # a fresh anonymous visitor each time (a success signs in)
                client = site.client()
                csrf = csrf_of(client.get("/signin").text)
            before = (unchanged or fingerprint(site)) if method == "POST" else None

            answer = send(client, method, url(template, params), sample, csrf, fields)

            unchanged = check(site, f"{method} {template} {what}", answer, before)


def test_a_customer_whose_id_holds_a_slash_has_a_record_page_and_its_forms_work(site: Site, tmp_path: Path) -> None:
    """External ids are free text ("ACME/01" is common): the record's address quotes the slash."""
    Ledger(site.arrears, tmp_path).load("customers", [customer("ACME/01", "Slash & Co", collector="maria")])
    client = site.signed_in("maria")

    page = client.get("/customers/ACME%2F01")
    answer = client.post("/customers/ACME%2F01/notes", data={"note": "Pays by cheque", "csrf": csrf_of(page.text)})

    assert page.status_code == 200
    assert "Slash &amp; Co" in page.text
    assert answer.status_code == 303
    assert answer.headers["location"] == "/customers/ACME%2F01#notes"
    assert "Pays by cheque" in client.get(answer.headers["location"]).text


def test_a_huge_least_overdue_amount_is_a_400_not_a_crash(site: Site) -> None:
    client = site.signed_in("olivia")

    answer = client.get("/tasks", params={"tab": "open", "min_overdue": "9" * 40})

    assert answer.status_code == 400
    assert "too large for the least overdue amount" in answer.text


def test_an_address_no_page_answers_is_an_html_404_but_the_api_keeps_json(site: Site) -> None:
    client = site.signed_in("maria")

    page = client.get("/tasks/views/a%2Fb/delete")
    api = client.get("/api/v1/nowhere")

    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"]
    assert "there is no such page" in page.text
    assert 'href="/tasks"' in page.text  # the page has the site's navigation: the user is signed in
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_a_view_name_with_a_nul_byte_is_a_400_on_both_databases(site: Site) -> None:
    client, csrf = owner(site)
    before = fingerprint(site)

    answer = client.post("/tasks/views", data={"name": "a\x00b", "tab": "open", "csrf": csrf})

    assert answer.status_code == 400
    assert "NUL byte" in answer.text
    assert fingerprint(site) == before


OFF_SITE = ["//evil.test/x", "https://evil.test/", "/\\evil.test", "/\t/evil.test", "/\n/evil.test", "/ /evil.test"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_next_and_back_never_lead_to_another_site(site: Site, target: str) -> None:
    visitor = site.client()
    signed_in = visitor.post(
        "/signin",
        data={
            "name": "olivia",
            "password": password("olivia"),
            "next": target,
            "csrf": csrf_of(visitor.get("/signin").text),
        },
    )
    again = visitor.get("/signin", params={"next": target})
    view = _view(site)
    deleted = visitor.post(
        f"/tasks/views/{view}/delete", data={"back": target, "csrf": csrf_of(visitor.get("/tasks").text)}
    )

    assert signed_in.headers["location"] == "/"  # where the role starts
    assert again.headers["location"] == "/"
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/tasks?tab=open"


def test_a_long_task_list_address_survives_signing_in(site: Site) -> None:
    """A shared link to a filtered task list is longer than 200 characters: it used to give a 400
    in place of the sign-in page."""
    wanted = "/tasks?" + "&".join([f"q={'Acme' * 45}", "tab=open", "assignee=*", "sort=customer"])
    visitor = site.client()

    sent = visitor.get(wanted)
    page = visitor.get(sent.headers["location"])
    signed_in = visitor.post(
        "/signin", data={"name": "maria", "password": password("maria"), "next": wanted, "csrf": csrf_of(page.text)}
    )

    assert sent.status_code == 303
    assert page.status_code == 200
    assert signed_in.headers["location"] == wanted


def test_a_bulk_form_with_thousands_of_ids_is_a_4xx_page(site: Site) -> None:
    client, csrf = owner(site)
    before = fingerprint(site)

    answer = client.post(
        "/tasks/bulk", data={"ids": [str(k) for k in range(1, 3000)], "action": "complete", "csrf": csrf}
    )

    assert 400 <= answer.status_code < 500
    assert "text/html" in answer.headers["content-type"]
    assert fingerprint(site) == before


def test_a_contributor_is_refused_what_her_role_does_not_allow_and_nothing_changes(site: Site) -> None:
    """The pages ask the services, which check the role: hiding a button is not the check."""
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/import").text)
    sams = str(site.tasks["beta"])
    refused: list[tuple[str, str, dict[str, str | list[str]], int]] = [
        ("POST", "/tasks/bulk", {"ids": sams, "action": "complete"}, 403),
        ("POST", "/tasks/bulk", {"ids": sams, "action": "reassign", "to": "maria"}, 403),
        ("POST", "/tasks/bulk", {"ids": sams, "action": "move", "due": "2026-07-09"}, 403),
        ("POST", f"/tasks/{sams}/complete", {"outcome": "answered"}, 403),
        ("POST", f"/tasks/{sams}/reschedule", {"to": "2026-07-03"}, 403),
        ("POST", f"/tasks/views/{_view(site)}/delete", {}, 404),  # olivia's view: not hers to see
        ("POST", f"/alerts/{_alert(site)}/dismiss", {}, 403),
        ("POST", "/workflows", {"source": "# nothing\n"}, 403),
        ("GET", "/workflows/preview", {}, 403),
        ("POST", "/templates/past_due", _template_form("save"), 403),
        ("POST", "/templates/past_due/reset", {}, 403),
        ("POST", "/customers/C1/credit-hold", {"hold": "1", "note": "mine"}, 403),
        ("GET", "/reports", {}, 403),
        ("GET", "/reports/productivity.csv", {}, 403),
        ("GET", "/reports/pack.pdf", {}, 403),
    ]
    for method, path, data, status in refused:
        before = fingerprint(site)
        sample = Sample(fields=data)
        answer = send(client, method, path, sample, csrf)

        assert answer.status_code == status, f"{method} {path} {data}: {answer.status_code}"
        assert "text/html" in answer.headers["content-type"]
        assert fingerprint(site) == before, f"{method} {path} changed the database"
    upload = client.post("/import", data={"kind": "customers", "csrf": csrf}, files=_csv())
    assert upload.status_code == 403
    assert "Gamma Co" not in client.get("/customers/C9").text
