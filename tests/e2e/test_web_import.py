"""The import page (TestClient, both databases): a good file shows its counts, a bad one every error by
line with nothing changed, a check changes nothing, only managers and owners import, and what cannot
be read is a 4xx page with a message."""

from __future__ import annotations

import html
import re
import threading
from datetime import date

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.bootstrap import bootstrap
from arrears.cli.serve import server_app
from arrears.services import imports
from arrears.web.routes import imports as import_page
from tests.ledger import csv_bytes, customer, invoice, ledger_state
from tests.web import SCRIPT, Site, csrf_of, row_counts


def upload(
    client: TestClient,
    kind: str,
    content: bytes,
    *,
    name: str = "file.csv",
    dry_run: bool = False,
    complete: bool = False,
    csrf: str | None = None,
) -> Response:
    form = {"kind": kind, "csrf": csrf_of(client.get("/import").text) if csrf is None else csrf}
    if dry_run:
        form["dry_run"] = "1"
    if complete:
        form["complete"] = "1"
    answer: Response = client.post("/import", data=form, files={"file": (name, content, "text/csv")})
    return answer


def visible(page: str) -> str:
    """The page's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


NEW_CUSTOMERS = csv_bytes(
    [
        customer("C1", "Acme Ltd", collector="maria", phone="+1 415 555 0100", credit_limit="5000.00"),
        customer("C9", "Nine Co"),
    ]
)


def test_a_manager_imports_a_good_file_and_sees_the_counts(site: Site) -> None:
    client = site.signed_in("morgan")

    answer = upload(client, "customers", NEW_CUSTOMERS, name="customers.csv")

    assert answer.status_code == 200
    shown = visible(answer.text)
    assert "Imported customers.csv" in shown
    assert "customers.csv: 2 customers rows: 1 created, 0 updated, 1 unchanged" in shown
    assert re.search(r"Created\s+1\b", shown)
    assert "C9" in {row.external_id for row in ledger_state(site.arrears.engine)["customers"]}


def test_an_owner_imports_invoices_too(site: Site) -> None:
    client = site.signed_in("olivia")
    content = csv_bytes([invoice("I9", "C2", amount="12.50")])

    answer = upload(client, "invoices", content, name="invoices.csv")

    assert answer.status_code == 200
    assert "1 created" in visible(answer.text)


def test_a_bad_file_shows_every_error_by_line_and_changes_nothing(site: Site) -> None:
    client = site.signed_in("morgan")
    content = csv_bytes(
        [
            invoice("I8", "C1", amount="10.00"),
            invoice("I9", "C1", amount="ten"),
            invoice("I10", "NOBODY", amount="5.00"),
        ]
    )
    before = row_counts(site)

    answer = upload(client, "invoices", content, name="bad.csv")

    assert answer.status_code == 422
    shown = visible(answer.text)
    assert "bad.csv was rejected" in shown
    assert "2 errors: nothing was imported" in shown
    assert re.search(r"bad\.csv:3: column 'amount': \S", shown), shown
    assert re.search(r"bad\.csv:4: column 'customer_external_id': \S", shown), shown
    assert row_counts(site) == before


def test_only_the_first_50_errors_are_listed_then_a_count(site: Site) -> None:
    client = site.signed_in("morgan")
    content = csv_bytes([invoice(f"X{n}", "C1", amount="not money") for n in range(60)])

    answer = upload(client, "invoices", content, name="many.csv")

    assert answer.status_code == 422
    assert answer.text.count("many.csv:") == 50
    assert "and 10 more errors" in visible(answer.text)


def test_a_check_only_counts_and_changes_nothing(site: Site) -> None:
    client = site.signed_in("morgan")
    before = row_counts(site)

    answer = upload(client, "customers", NEW_CUSTOMERS, name="customers.csv", dry_run=True)

    assert answer.status_code == 200
    shown = visible(answer.text)
    assert "Checked customers.csv" in shown
    assert "1 created, 0 updated, 1 unchanged (dry run: nothing was written)" in shown
    assert row_counts(site) == before


@pytest.mark.parametrize("who", ["maria", "sam"])
def test_a_contributor_may_not_import(site: Site, who: str) -> None:
    client = site.signed_in(who)
    page = client.get("/import")
    before = row_counts(site)

    answer = upload(client, "customers", NEW_CUSTOMERS, csrf=csrf_of(page.text))

    assert "Only managers and owners may import" in page.text
    assert 'type="file"' not in page.text
    assert answer.status_code == 403
    assert "a contributor may not write ledger" in answer.text
    assert row_counts(site) == before


def test_a_contributor_may_not_even_check_a_file(site: Site) -> None:
    client = site.signed_in("maria")

    answer = upload(client, "customers", NEW_CUSTOMERS, csrf=csrf_of(client.get("/tasks").text), dry_run=True)

    assert answer.status_code == 403


def test_an_anonymous_upload_is_sent_to_sign_in(site: Site) -> None:
    answer = site.client().post(
        "/import", data={"kind": "customers", "csrf": "x"}, files={"file": ("c.csv", NEW_CUSTOMERS, "text/csv")}
    )

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")


def test_an_upload_without_the_csrf_token_is_refused(site: Site) -> None:
    client = site.signed_in("morgan")
    before = row_counts(site)

    answer = upload(client, "customers", NEW_CUSTOMERS, csrf="")

    assert answer.status_code == 403
    assert "did not come from this site" in answer.text
    assert row_counts(site) == before


def test_a_file_over_the_limit_is_refused_with_413(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_page, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(import_page, "FORM_OVERHEAD", 0)
    client = site.signed_in("morgan")
    big = csv_bytes([customer(f"K{n}", f"Customer {n}") for n in range(200)])
    before = row_counts(site)

    answer = upload(client, "customers", big)

    assert answer.status_code == 413
    assert "the file is too large" in answer.text
    assert "the limit is 50 MB" in answer.text
    assert 'type="file"' in answer.text  # answered on the import page, ready for a smaller file
    assert row_counts(site) == before


def test_the_real_limit_is_50_mb(site: Site) -> None:
    client = site.signed_in("morgan")
    csrf = csrf_of(client.get("/import").text)

    answer = client.post(
        "/import",
        content=b"x" * 10,
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": str(51 * 1024 * 1024)},
    )

    assert csrf
    assert answer.status_code == 413
    assert "51.0 MB" in answer.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty: expected a header row with at least external_id, name"),
        (b"external_id,name\n", "the file has a header but no rows"),
        (
            b"external_id,name\nC7,Caf\xe9\n",
            "odd.csv:2: column 'name': is not UTF-8 text (byte 0xe9 at position 7); save the file as UTF-8",
        ),
    ],
    ids=["empty", "header-only", "not-utf8"],
)
def test_a_file_that_cannot_be_read_is_a_4xx_with_a_message(site: Site, content: bytes, reason: str) -> None:
    client = site.signed_in("morgan")
    before = row_counts(site)

    answer = upload(client, "customers", content, name="odd.csv")

    assert 400 <= answer.status_code < 500
    assert reason in visible(answer.text)
    assert row_counts(site) == before


def test_no_file_or_an_unknown_kind_is_a_400(site: Site) -> None:
    client = site.signed_in("morgan")
    csrf = csrf_of(client.get("/import").text)

    no_file = client.post(
        "/import", data={"kind": "customers", "csrf": csrf}, files={"other": ("x", b"", "text/plain")}
    )
    no_kind = upload(client, "dragons", NEW_CUSTOMERS)

    assert no_file.status_code == 400
    assert "choose a CSV file to import" in no_file.text
    assert no_kind.status_code == 400
    assert "choose what the file holds" in no_kind.text


def test_a_script_in_a_bad_row_is_shown_as_text(site: Site) -> None:
    client = site.signed_in("morgan")
    content = csv_bytes([invoice("I7", SCRIPT, amount="1.00"), invoice("I8", "C1", amount="<b>9</b>")])

    answer = upload(client, "invoices", content, name="<i>bad.csv")

    assert answer.status_code == 422
    assert "<script>" not in answer.text
    assert "<b>9" not in answer.text
    assert "<i>bad" not in answer.text
    assert "no customer with external id &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in answer.text
    assert "&lt;i&gt;bad.csv:2:" in answer.text


def test_the_page_can_poll_how_far_a_running_import_has_read(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()
    real = imports.import_csv_as

    def slow(*args: object, progress: imports.Progress, **options: object) -> imports.ImportSummary:
        progress(123)
        started.set()
        assert release.wait(20)
        return real(*args, progress=progress, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(imports, "import_csv_as", slow)
    uploader, poller, owner = site.signed_in("morgan"), site.signed_in("morgan"), site.signed_in("olivia")
    run = "0123456789abcdef" * 2
    form = {"kind": "customers", "csrf": csrf_of(uploader.get("/import").text), "run": run}
    answers: list[Response] = []
    files = {"file": ("customers.csv", NEW_CUSTOMERS, "text/csv")}
    thread = threading.Thread(target=lambda: answers.append(uploader.post("/import", data=form, files=files)))

    thread.start()
    assert started.wait(20)
    during = poller.get(f"/import/progress/{run}").json()
    someone_else = owner.get(f"/import/progress/{run}").json()
    release.set()
    thread.join(20)
    after = poller.get(f"/import/progress/{run}").json()

    assert during == {"read": 123, "total": len(NEW_CUSTOMERS)}
    assert someone_else == {"read": None, "total": None}  # another user's import is not theirs to watch
    assert after == {"read": None, "total": None}
    assert answers[0].status_code == 200
    assert "1 created" in visible(answers[0].text)


def test_on_postgresql_another_server_process_answers_the_polls_of_a_running_import(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    if site.arrears.engine.dialect.name != "postgresql":
        pytest.skip("on SQLite each process keeps its own imports' progress (docs/operations.md)")
    started, release = threading.Event(), threading.Event()
    real = imports.import_csv_as

    def slow(*args: object, progress: imports.Progress, **options: object) -> imports.ImportSummary:
        progress(123)
        started.set()
        assert release.wait(20)
        return real(*args, progress=progress, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(imports, "import_csv_as", slow)
    other = bootstrap(site.arrears.settings, site.clock)  # a second server process, in effect
    uploader = site.signed_in("morgan")
    poller = TestClient(server_app(other), cookies=site.signed_in("morgan").cookies, follow_redirects=False)
    run = "fedcba9876543210" * 2
    form = {"kind": "customers", "csrf": csrf_of(uploader.get("/import").text), "run": run}
    answers: list[Response] = []
    files = {"file": ("customers.csv", NEW_CUSTOMERS, "text/csv")}
    thread = threading.Thread(target=lambda: answers.append(uploader.post("/import", data=form, files=files)))

    try:
        thread.start()
        assert started.wait(20)
        during = poller.get(f"/import/progress/{run}").json()
        release.set()
        thread.join(20)
        after = poller.get(f"/import/progress/{run}").json()
    finally:
        release.set()
        other.close()

    assert during == {"read": 123, "total": len(NEW_CUSTOMERS)}
    assert after == {"read": None, "total": None}
    assert answers[0].status_code == 200


def invoice_statuses(site: Site) -> dict[str, str]:
    return {row.external_id: row.status for row in ledger_state(site.arrears.engine)["invoices"]}


def closing_entries(site: Site) -> list[tuple[str, str]]:
    """The audit log's "closed" entries: (invoice external id, who)."""
    a = t.audit_log
    query = select(a.c.entity_id, a.c.actor_name).where(a.c.action == "closed").order_by(a.c.entity_id)
    with site.arrears.engine.connect() as connection:
        return [(ref, who) for ref, who in connection.execute(query)]


def test_the_page_offers_the_complete_file_option_and_explains_it(site: Site) -> None:
    page = site.signed_in("morgan").get("/import").text

    assert 'name="complete"' in page
    assert 'data-for-kind="invoices"' in page
    shown = visible(page)
    assert "Invoices only: the file lists every invoice of its customers" in shown
    assert "is closed as void, recorded in the audit log and listed in the result" in shown


def test_a_complete_invoice_file_closes_its_customers_open_invoices_it_leaves_out_and_lists_them(site: Site) -> None:
    client = site.signed_in("morgan")
    content = csv_bytes([invoice("I1", "C1", due=date(2026, 5, 31), amount="100.00", number="INV-1001")])

    answer = upload(client, "invoices", content, name="erp.csv", complete=True)

    assert answer.status_code == 200, answer.text
    shown = visible(answer.text)
    assert "1 closed as not in the file (I2)" in shown
    assert "Closed as not in the file: 1 invoice" in shown
    assert "<li><code>I2</code></li>" in answer.text
    assert invoice_statuses(site) == {"I1": "open", "I2": "void", "S1": "open", "B1": "open"}
    assert closing_entries(site) == [("I2", "morgan")]


def test_a_complete_check_lists_what_would_close_and_closes_nothing(site: Site) -> None:
    client = site.signed_in("morgan")
    content = csv_bytes([invoice("I1", "C1", due=date(2026, 5, 31), amount="100.00", number="INV-1001")])
    before = row_counts(site)

    answer = upload(client, "invoices", content, name="erp.csv", complete=True, dry_run=True)

    assert answer.status_code == 200
    assert "Would be closed as not in the file: 1 invoice" in visible(answer.text)
    assert "<li><code>I2</code></li>" in answer.text
    assert set(invoice_statuses(site).values()) == {"open"}
    assert row_counts(site) == before


def test_without_the_option_an_invoice_file_closes_nothing(site: Site) -> None:
    client = site.signed_in("morgan")
    content = csv_bytes([invoice("I1", "C1", due=date(2026, 5, 31), amount="100.00", number="INV-1001")])

    answer = upload(client, "invoices", content, name="erp.csv")

    assert answer.status_code == 200
    assert "closed as not in the file" not in visible(answer.text).lower()
    assert set(invoice_statuses(site).values()) == {"open"}
    assert closing_entries(site) == []


def test_the_complete_option_with_another_kind_is_refused_and_changes_nothing(site: Site) -> None:
    client = site.signed_in("morgan")
    before = row_counts(site)

    answer = upload(client, "customers", NEW_CUSTOMERS, complete=True)

    assert answer.status_code == 400
    assert "is for invoices only" in visible(answer.text)
    assert row_counts(site) == before
