"""The customer record page through FastAPI's TestClient, on both databases: the header with the aging
bar and the credit-limit flag, invoices with dispute and plan markers, "create task for selected" (and
a promise for selected), account notes, open issues, emails with their delivery state, bounded lists
and a fixed number of queries, escaping, and what a contributor may do here."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from arrears.adapters.db import tables as t
from arrears.adapters.db.workspace.balances import SqlBalances
from arrears.domain.audit import SYSTEM, AuditEntry
from arrears.services import customer_record, disputes, plans, task_list, tasks
from arrears.services.automation_ports import NewEmail
from tests.ledger import Ledger, customer, invoice
from tests.web import NOW, SCRIPT, TODAY, Site, csrf_of

NOTE = "<img src=x onerror=alert(1)>"


def form_of(client: TestClient, external_id: str = "C1") -> dict[str, str]:
    return {"csrf": csrf_of(client.get(f"/customers/{external_id}").text)}


def invoice_row(page: str, external_id: str) -> str:
    found = re.search(rf'<tr data-invoice="{re.escape(external_id)}">(.*?)</tr>', page, re.DOTALL)
    assert found, f"no row for invoice {external_id}"
    return found.group(1)


def section(page: str, heading_id: str) -> str:
    """The page from the heading with that id to the next h2."""
    start = page.index(f'id="{heading_id}"')
    end = page.find("<h2", start)
    return page[start : end if end != -1 else len(page)]


def tasks_of(site: Site, external_id: str) -> list[tasks.TaskRow]:
    owner = site.people["olivia"]
    flt = task_list.task_filter(site.arrears.uow(), owner, everyone=True, customer_external_id=external_id)
    return list(task_list.list_tasks(site.arrears.uow(), owner, flt, limit=100).items)


def spread_acme(site: Site, tmp_path: Path) -> None:
    """Acme owes in three buckets: I3 50.00 not yet due, I1 + I2 350.00 at 1-30 days, I4 400.00 at 121."""
    Ledger(site.arrears, tmp_path).load(
        "invoices",
        [
            invoice("I3", "C1", due=date(2026, 7, 15), amount="50.00", number="INV-1003"),
            invoice("I4", "C1", due=date(2026, 3, 1), amount="400.00", number="INV-0904"),
            invoice("V1", "C1", due=date(2026, 5, 1), amount="80.00", number="INV-VOID", status="void"),
        ],
    )


def queue_email(site: Site, key: str, subject: str, queued_at_minutes: int) -> int:
    with site.arrears.uow() as uow:
        customer_id = uow.ledger.customer("C1")
        assert customer_id is not None
        email_id = uow.outbox.queue_email(
            NewEmail(
                customer_id.id,
                key,
                ("pat@acme.test",),
                subject,
                "reminder",
                "{}",
                None,
                None,
                None,
                f"<{key}@arrears.test>",
                (),
                NOW + timedelta(minutes=queued_at_minutes),
            )
        )
        uow.commit()
    assert email_id is not None
    return email_id


# -- the header and the aging bar --------------------------------------------------------------------


def test_the_header_shows_balance_overdue_credit_limit_collector_and_hold(site: Site) -> None:
    page = site.signed_in("maria").get("/customers/C1").text

    header = page[page.index('<dl class="header">') : page.index("</dl>")]
    for text in ("Balance", "$350.00", "Overdue", "Credit limit", "$5,000.00", "Collector", "maria", "On hold"):
        assert text in header, text
    assert "Over credit limit" not in page
    assert "exceeded" not in header


def test_a_balance_above_the_credit_limit_is_flagged_in_words(site: Site, tmp_path: Path) -> None:
    Ledger(site.arrears, tmp_path).load(
        "customers", [customer("C1", "Acme Ltd", collector="maria", phone="+1 415 555 0100", credit_limit="300.00")]
    )

    page = site.signed_in("maria").get("/customers/C1").text

    assert '<span class="badge badge-bad">Over credit limit</span>' in page
    assert '$300.00 <span class="flag">exceeded</span>' in page


def test_a_customer_on_hold_says_so_in_the_heading_and_the_header(site: Site) -> None:
    with site.arrears.engine.begin() as connection:
        connection.execute(t.customers.update().where(t.customers.c.external_id == "C1").values(on_hold=True))

    page = site.signed_in("maria").get("/customers/C1").text

    assert '<span class="badge badge-hold">On hold</span>' in page[: page.index("</h1>")]
    assert "<div><dt>On hold</dt><dd>Yes</dd></div>" in page


def test_the_aging_bar_splits_the_outstanding_into_the_aging_buckets(site: Site, tmp_path: Path) -> None:
    spread_acme(site, tmp_path)

    page = site.signed_in("maria").get("/customers/C1").text

    aging = section(page, "aging-heading")
    # 800.00 in all: 50.00 current, 350.00 at 1-30 days, nothing at 31-90, 400.00 at 91+ (the rest of the bar).
    rects = re.findall(r'<rect class="seg-(\d)" x="(\d+)" y="0" width="(\d+)" height="24">', aging)
    assert rects == [("0", "0", "62"), ("1", "62", "437"), ("4", "499", "501")]
    legend = dict(re.findall(r'<li data-bucket="([^"]+)">.*?<strong>([^<]+)</strong>', aging, re.DOTALL))
    assert legend == {
        "current": "$50.00",
        "1-30": "$350.00",
        "31-60": "$0.00",
        "61-90": "$0.00",
        "91+": "$400.00",
    }
    assert 'role="img"' in aging
    assert "style=" not in page


def test_a_customer_who_owes_nothing_has_no_bar_but_says_so(site: Site) -> None:
    with site.arrears.engine.begin() as connection:  # an edit behind the unit of work's back: refresh as it would
        connection.execute(t.invoices.update().where(t.invoices.c.external_id == "B1").values(status="void"))
        SqlBalances(connection).refresh_balances(TODAY, [2])

    page = site.signed_in("sam").get("/customers/C2").text

    assert "Nothing outstanding." in section(page, "aging-heading")
    assert "<rect" not in page


# -- invoices: markers and selection -------------------------------------------------------------------


def test_invoices_show_dispute_and_plan_markers_as_text(site: Site) -> None:
    owner = site.people["olivia"]
    disputes.open_dispute(site.arrears.uow(), site.people["maria"], "I1", "pricing")
    plans.create_plan(site.arrears.uow(), owner, ["I2"], [(date(2026, 7, 15), "125.00"), (date(2026, 8, 15), "125.00")])

    page = site.signed_in("maria").get("/customers/C1").text

    assert '<span class="badge badge-dispute">Disputed</span>' in invoice_row(page, "I1")
    assert "On plan" not in invoice_row(page, "I1")
    assert '<span class="badge badge-plan">On plan</span>' in invoice_row(page, "I2")
    assert "Disputed" not in invoice_row(page, "I2")
    assert '<td data-label="Days past due" class="num">30</td>' in invoice_row(page, "I1")


def test_each_open_invoice_has_a_checkbox_and_a_void_one_has_none(site: Site, tmp_path: Path) -> None:
    spread_acme(site, tmp_path)

    page = site.signed_in("maria").get("/customers/C1").text

    for external_id in ("I1", "I2", "I3", "I4"):
        assert f'name="invoice" value="{external_id}"' in invoice_row(page, external_id)
    assert 'type="checkbox"' not in invoice_row(page, "V1")
    numbers = re.findall(r'<td data-label="Number">([^<]+?)\s*<', page)
    assert numbers == ["INV-0904", "INV-1001", "INV-1002", "INV-1003", "INV-VOID"]  # open first, oldest due first


def test_create_task_for_selected_creates_one_task_tagged_with_those_invoices(site: Site) -> None:
    client = site.signed_in("maria")
    data = {
        **form_of(client),
        "invoice": ["I1", "I2"],
        "type": "validate_invoice",
        "description": "Check the PO numbers",
        "due_date": "2026-07-03",
        "assignee": "sam",
    }

    answer = client.post("/customers/C1/tasks", data=data)
    page = client.get("/customers/C1").text

    assert answer.status_code == 303
    assert answer.headers["location"] == "/customers/C1#open-tasks"
    created = [row for row in tasks_of(site, "C1") if row.type == "validate_invoice"]
    assert len(created) == 1
    row = created[0]
    assert (row.description, row.due_date, row.assignee) == ("Check the PO numbers", date(2026, 7, 3), "sam")
    assert sorted(row.invoice_external_ids) == ["I1", "I2"]
    assert "Validate invoice task created on 2 invoices, due 2026-07-03 for sam." in page
    open_tasks = section(page, "open-tasks")
    assert "Check the PO numbers" in open_tasks
    assert "invoices INV-1001, INV-1002" in open_tasks


def test_a_task_for_selected_goes_to_the_collector_by_default(site: Site) -> None:
    client = site.signed_in("olivia")

    answer = client.post("/customers/C1/tasks", data={**form_of(client), "invoice": "I2", "type": "call"})

    assert answer.status_code == 303
    created = [row for row in tasks_of(site, "C1") if row.invoice_external_ids == ["I2"]]
    assert [(row.assignee, row.due_date) for row in created] == [("maria", TODAY)]


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"due_date": "next week"}, 400, "is not a date"),
        ({"due_date": "2026-02-30"}, 400, "is not a date"),
        ({"invoice": ["I1", "B1"]}, 400, "belongs to another customer"),
        ({"invoice": ["I1", "NOPE"]}, 400, "no invoice with external id"),
        ({"invoice": []}, 400, "select one or more open invoices"),
        ({"type": "séance"}, 400, "séance"),
        ({"assignee": "nobody"}, 400, "no user named"),
        ({"csrf": "forged"}, 403, "form has expired"),
    ],
)
def test_a_bad_task_for_selected_is_a_4xx_page_and_creates_nothing(
    site: Site, change: dict[str, object], status: int, message: str
) -> None:
    client = site.signed_in("maria")
    data: dict[str, object] = {**form_of(client), "invoice": ["I1"], "type": "call", "due_date": "2026-07-03"}
    before = len(tasks_of(site, "C1"))

    answer = client.post("/customers/C1/tasks", data={**data, **change})

    assert answer.status_code == status
    assert message in answer.text
    assert "text/html" in answer.headers["content-type"]
    assert len(tasks_of(site, "C1")) == before


def test_a_promise_to_pay_for_selected_tags_the_selected_invoices(site: Site) -> None:
    client = site.signed_in("maria")
    data = {**form_of(client), "invoice": ["I1", "I2"], "amount": "350.00", "date": "2026-07-10", "back": "/x"}

    answer = client.post("/customers/C1/promise", data=data)

    assert answer.status_code == 303
    promises = [row for row in tasks_of(site, "C1") if row.type == "expected_payment"]
    assert [(sorted(row.invoice_external_ids), row.expected_amount_minor) for row in promises] == [
        (["I1", "I2"], 35000)
    ]


def open_disputes(site: Site) -> list[tuple[str, str]]:
    with site.arrears.engine.connect() as connection:
        query = (
            select(t.invoices.c.external_id, t.disputes.c.reason)
            .join(t.invoices, t.invoices.c.id == t.disputes.c.invoice_id)
            .order_by(t.invoices.c.external_id)
        )
        return [(row[0], row[1]) for row in connection.execute(query)]


def test_dispute_selected_opens_a_dispute_on_each_selected_invoice(site: Site) -> None:
    client = site.signed_in("maria")

    answer = client.post(
        "/customers/C1/disputes", data={**form_of(client), "invoice": ["I1", "I2"], "reason": "damaged"}
    )
    page = client.get("/customers/C1").text

    assert answer.status_code == 303
    assert open_disputes(site) == [("I1", "damaged"), ("I2", "damaged")]
    assert "Dispute opened (damaged) on I1, I2" in page
    assert "Disputed" in invoice_row(page, "I1") and "Disputed" in invoice_row(page, "I2")
    assert "$0.00" in page[page.index("<dt>Overdue</dt>") :][:80]  # disputed invoices are not chased


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"invoice": ["I1", "I2"], "reason": "bad_mood"}, 400, "is not a dispute reason"),
        ({"invoice": ["I2", "B1"], "reason": "pricing"}, 400, "belongs to another customer"),
        ({"invoice": ["I2", "I1"], "reason": "pricing"}, 409, "already has an open dispute"),
        ({"invoice": [], "reason": "pricing"}, 400, "select one or more open invoices"),
    ],
)
def test_a_bad_dispute_selected_opens_none(site: Site, data: dict[str, object], status: int, message: str) -> None:
    if status == 409:
        disputes.open_dispute(site.arrears.uow(), site.people["maria"], "I1", "quantity")
    before = open_disputes(site)
    client = site.signed_in("maria")

    answer = client.post("/customers/C1/disputes", data={**form_of(client), **data})

    assert answer.status_code == status
    assert message in answer.text
    assert open_disputes(site) == before


# -- notes, issues, emails -----------------------------------------------------------------------------


def test_a_note_is_added_to_the_account_and_its_timeline_as_text(site: Site) -> None:
    client = site.signed_in("maria")

    answer = client.post("/customers/C3/notes", data={**form_of(client, "C3"), "note": f"  {NOTE}\nsecond line "})
    page = client.get("/customers/C3").text

    assert answer.status_code == 303
    assert answer.headers["location"] == "/customers/C3#notes"
    assert NOTE not in page
    assert SCRIPT not in page
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    assert f"<p>{escaped}\nsecond line</p>" in section(page, "notes")
    assert f"Note: {escaped}" in page[page.index('<ol class="timeline">') :]
    assert "Note added to the account." in page
    assert re.findall(r"<(?:script|img)[^>]*>", page, re.IGNORECASE) == ['<script src="/static/app.js" defer>']


def test_the_standing_account_notes_show_escaped(site: Site) -> None:
    with site.arrears.engine.begin() as connection:
        connection.execute(t.customers.update().where(t.customers.c.external_id == "C1").values(notes=NOTE))

    page = site.signed_in("maria").get("/customers/C1").text

    assert '<p class="standing-notes">&lt;img src=x onerror=alert(1)&gt;</p>' in page
    assert NOTE not in page


@pytest.mark.parametrize(("note", "message"), [("   ", "write the note"), ("x" * 5001, "at most 5000 characters")])
def test_an_empty_or_huge_note_is_refused(site: Site, note: str, message: str) -> None:
    client = site.signed_in("maria")

    answer = client.post("/customers/C1/notes", data={**form_of(client), "note": note})

    assert answer.status_code == 400
    assert message in answer.text
    with site.arrears.engine.connect() as connection:
        assert connection.execute(select(func.count()).where(t.audit_log.c.action == "note")).scalar_one() == 0


def test_open_issues_are_listed_with_their_state(site: Site) -> None:
    owner = site.people["olivia"]
    new = tasks.NewTask("C1", "call", "Call about the overdue", issue_title="30 days past due balance")
    tasks.create_task(site.arrears.uow(), owner, new)

    page = site.signed_in("maria").get("/customers/C1").text

    issues = section(page, "issues")
    assert "30 days past due balance" in issues
    assert '<span class="badge">open</span> · 1 open task ·' in issues
    assert 'opened <time datetime="2026-06-30T09:00:00+00:00">2026-06-30</time>' in issues  # the site's clock
    assert "No open issues." in section(site.signed_in("maria").get("/customers/C3").text, "issues")


def test_marking_an_email_sent_says_whether_it_was_still_queued(site: Site) -> None:
    email_id = queue_email(site, "e1", "First reminder", 1)
    entry = AuditEntry(NOW, SYSTEM, "email", str(email_id), "sent", "Email sent: First reminder")
    with site.arrears.uow() as uow:
        first = uow.outbox.mark_sent(email_id, NOW, entry)
        again = uow.outbox.mark_sent(email_id, NOW, entry)
        uow.commit()

    assert (first, again) == (True, False)
    with site.arrears.engine.connect() as connection:
        sent = t.audit_log.c.action == "sent"
        assert connection.execute(select(func.count()).where(sent)).scalar_one() == 1


def test_emails_show_their_delivery_state_newest_first(site: Site) -> None:
    queued = queue_email(site, "e1", "First reminder", 1)
    sent = queue_email(site, "e2", "Second reminder", 2)
    failed = queue_email(site, "e3", "Third reminder", 3)
    with site.arrears.uow() as uow:
        entry = AuditEntry(NOW, SYSTEM, "email", str(sent), "sent", "Email sent: Second reminder")
        uow.outbox.mark_sent(sent, NOW + timedelta(minutes=5), entry)
        uow.outbox.mark_failed(failed, 5, "550 <mailbox> unavailable", NOW + timedelta(minutes=6))
        uow.commit()

    page = site.signed_in("maria").get("/customers/C1").text

    emails = section(page, "emails")
    assert re.findall(r'<tr data-email="(\d+)">', emails) == [str(failed), str(sent), str(queued)]
    rows = dict(re.findall(r'<tr data-email="(\d+)">(.*?)</tr>', emails, re.DOTALL))
    assert '<span class="badge badge-failed">Failed</span>' in rows[str(failed)]
    assert "5 attempts" in rows[str(failed)]
    assert "550 &lt;mailbox&gt; unavailable" in rows[str(failed)]
    assert '<span class="badge badge-sent">Sent</span>' in rows[str(sent)]
    assert '<span class="badge badge-queued">Queued</span>' in rows[str(queued)]
    assert "Third reminder" in rows[str(failed)]
    assert "pat@acme.test" in rows[str(queued)]
    assert "No emails to this customer yet." in section(site.signed_in("maria").get("/customers/C3").text, "emails")


# -- bounds and cost -------------------------------------------------------------------------------------


def test_the_invoice_list_is_bounded_and_says_where_the_rest_is(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spread_acme(site, tmp_path)
    monkeypatch.setattr(customer_record, "MAX_ROWS", 2)

    page = site.signed_in("maria").get("/customers/C1").text

    assert re.findall(r'<td data-label="Number">([^<]+?)\s*<', page) == ["INV-0904", "INV-1001"]
    assert "all 5 are in the API and the export" in page
    assert '<h2 id="invoices">Invoices <span class="muted">5</span></h2>' in page


def test_the_page_costs_the_same_queries_for_few_or_many_invoices(site: Site, tmp_path: Path) -> None:
    client = site.signed_in("maria")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries() -> int:
        statements.clear()
        event.listen(site.arrears.engine, "before_cursor_execute", count)
        try:
            assert client.get("/customers/C1").status_code == 200
        finally:
            event.remove(site.arrears.engine, "before_cursor_execute", count)
        return len(statements)

    client.get("/customers/C1")
    few = queries()
    many = [invoice(f"M{n}", "C1", due=TODAY - timedelta(days=n), amount="10.00") for n in range(60)]
    Ledger(site.arrears, tmp_path).load("invoices", many)
    disputes.open_dispute(site.arrears.uow(), site.people["maria"], "M5", "pricing")
    client.get("/customers/C1")

    assert queries() == few
    # one statement per section of the record, whatever it holds (with the menu's unread mail count
    # and the record's mail received, three each with their transaction's BEGIN; the credit panel,
    # ten: its line read as the credit report reads a batch, its scores over time and its hold)
    assert few <= 45, statements


# -- who may do what ---------------------------------------------------------------------------------------


def test_a_contributor_may_note_and_create_tasks_on_another_collectors_customer(site: Site) -> None:
    client = site.signed_in("maria")
    data = form_of(client, "C2")

    noted = client.post("/customers/C2/notes", data={**data, "note": "Spoke to Beta's CFO"})
    tasked = client.post("/customers/C2/tasks", data={**data, "invoice": "B1", "type": "call"})

    assert (noted.status_code, tasked.status_code) == (303, 303)
    assert [row.assignee for row in tasks_of(site, "C2") if row.invoice_external_ids == ["B1"]] == ["sam"]
    assert "Spoke to Beta&#39;s CFO" in client.get("/customers/C2").text


def test_the_record_offers_actions_on_the_tasks_the_user_may_update(site: Site) -> None:
    def offered(name: str, customer: str, task: str) -> bool:
        page = site.signed_in(name).get(f"/customers/{customer}").text
        return f'action="/tasks/{site.tasks[task]}/complete"' in page

    assert offered("maria", "C1", "acme")
    assert not offered("maria", "C2", "beta")
    assert offered("sam", "C2", "beta")
    assert offered("morgan", "C2", "beta")


def test_a_contributor_is_refused_on_another_collectors_task_from_the_record(site: Site) -> None:
    client = site.signed_in("maria")
    page = client.get("/customers/C2").text
    beta = page.split(f'data-task="{site.tasks["beta"]}"', 1)[1].split("</li>", 1)[0]
    assert "Actions" not in beta and "/complete" not in beta  # not offered; forced, it is refused:

    answer = client.post(f"/tasks/{site.tasks['beta']}/complete", data={"csrf": csrf_of(page), "back": "/customers/C2"})

    assert answer.status_code == 403
    assert "only the tasks assigned to them" in answer.text
    assert site.row(site.tasks["beta"]).status == "open"


def test_an_anonymous_post_is_sent_to_sign_in_and_changes_nothing(site: Site) -> None:
    client = site.client()

    answers = [
        client.post("/customers/C1/notes", data={"note": "hi", "csrf": "x"}),
        client.post("/customers/C1/tasks", data={"invoice": "I1", "csrf": "x"}),
    ]

    assert [a.status_code for a in answers] == [303, 303]
    assert all(a.headers["location"].startswith("/signin") for a in answers)
    assert len(tasks_of(site, "C1")) == 1


# -- a refused form stays on the record -------------------------------------------------------------------


def test_a_refused_promise_shows_the_record_again_with_the_error_beside_it_and_the_input_kept(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/customers/C1").text)
    before = len(tasks_of(site, "C1"))

    answer = client.post(
        "/customers/C1/promise",
        data={"csrf": csrf, "amount": "1,000", "date": "2026-07-10", "invoice": ["I1", "I2"], "back": "/customers/C1"},
    )

    assert answer.status_code == 400
    page = answer.text
    fieldset = page.split('class="promise-for-selected"')[1].split("</fieldset>")[0]
    assert 'class="error" role="alert" id="error-promise"' in fieldset and "1,000" in fieldset
    assert 'value="1,000"' in fieldset and 'value="2026-07-10"' in fieldset
    assert 'value="I1" aria-label="Select invoice INV-1001" checked' in page
    assert 'value="I2" aria-label="Select invoice INV-1002" checked' in page
    assert 'id="error-task"' not in page and 'id="error-dispute"' not in page
    assert len(tasks_of(site, "C1")) == before


def test_a_task_for_no_invoice_is_refused_beside_its_form_keeping_its_description(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/customers/C1").text)

    answer = client.post(
        "/customers/C1/tasks",
        data={"csrf": csrf, "type": "email", "description": "Send the statement", "due_date": "2026-07-01"},
    )

    assert answer.status_code == 400
    fieldset = answer.text.split('class="task-for-selected"')[1].split("</fieldset>")[0]
    assert "select one or more open invoices for the task" in fieldset
    assert 'value="Send the statement"' in fieldset and 'value="email" selected' in fieldset


def test_a_promise_refused_from_the_task_list_still_answers_with_the_error_page(site: Site) -> None:
    client = site.signed_in("maria")
    csrf = csrf_of(client.get("/tasks").text)

    answer = client.post(
        "/customers/C1/promise",
        data={"csrf": csrf, "amount": "", "date": "2026-07-10", "invoices": "I1", "back": "/tasks"},
    )

    assert answer.status_code == 400
    assert "give the promised amount" in answer.text
    assert 'class="promise-for-selected"' not in answer.text
