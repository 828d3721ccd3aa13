"""The web workspace under test: the served app (API and pages) on one database with a fixed clock,
users of every role with passwords, and a small ledger: Acme and a customer named like a script
for maria, Beta for sam. `Site.signed_in("maria")` is a TestClient with maria's session."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from arrears.adapters.clock import FixedClock
from arrears.bootstrap import Arrears, bootstrap
from arrears.cli.serve import server_app
from arrears.config import Settings
from arrears.domain.users import Role, User
from arrears.services import tasks
from tests.calls import FakeTranscriber
from tests.ledger import Ledger, contact, customer, invoice

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
PEOPLE = {"olivia": "owner", "morgan": "manager", "maria": "contributor", "sam": "contributor"}
SCRIPT = "<script>alert(1)</script>"
THROTTLES = ("failed_attempts", "rate_counts")  # what a refused request may write: the throttles' counts


def password(name: str) -> str:
    return f"{name}-secret-pw"


_HASHES: dict[str, str] = {}


def password_hash(arrears: Arrears, name: str) -> str:
    """The Argon2 hash of the user's password, made once per test run (Argon2 is slow on purpose)."""
    if name not in _HASHES:
        _HASHES[name] = arrears.hasher.hash(password(name))
    return _HASHES[name]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@dataclass
class Site:
    arrears: Arrears
    app: FastAPI
    clock: FixedClock
    people: dict[str, User] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="http://testserver", follow_redirects=False)

    def signed_in(self, name: str) -> TestClient:
        client = self.client()
        page = client.get("/signin")
        answer = client.post("/signin", data={"name": name, "password": password(name), "csrf": csrf_of(page.text)})
        assert answer.status_code == 303, answer.text
        return client

    def row(self, task_id: int) -> tasks.TaskRow:
        with self.arrears.uow() as uow:
            return uow.task_list.task_rows([task_id])[0]


def open_site(db_url: str, tmp_path: Path) -> Site:
    """The served app on `db_url` at 09:00 UTC on TODAY with olivia (owner), morgan (manager) and the
    collectors maria and sam. Acme (C1, maria) owes I1 100.00 (30 days late) and I2 250.00; the
    customer C3 is named `<script>alert(1)</script>` (maria); Beta (C2, EUR, sam) owes B1 40.00.
    Open call tasks: "acme" and "script" for maria, "beta" for sam."""
    clock = FixedClock(NOW)
    # Emails leave as files in the test's folder (tmp_path/mail), never in the working directory.
    arrears = bootstrap(
        Settings(database_url=db_url, email_url=f"file://{tmp_path / 'mail'}", calls_dir=tmp_path / "recordings"), clock
    )
    arrears.transcriber = FakeTranscriber()  # type: ignore[misc]  # the real model only where words matter
    site = Site(arrears, server_app(arrears), clock)
    for name, role in PEOPLE.items():
        with arrears.uow() as uow:
            site.people[name] = uow.users.add(name, Role(role), None, password_hash(arrears, name))
            uow.commit()
    ledger = Ledger(arrears, tmp_path)
    ledger.load(
        "customers",
        [
            customer("C1", "Acme Ltd", collector="maria", phone="+1 415 555 0100", credit_limit="5000.00"),
            customer("C2", "Beta GmbH", currency="EUR", collector="sam"),
            customer("C3", SCRIPT, collector="maria", phone="+1 415 555 0199"),
        ],
    )
    ledger.load("contacts", [contact("C1", "Pat Payables", phone="+1 415 555 0101", email="pat@acme.test")])
    ledger.load(
        "invoices",
        [
            invoice("I1", "C1", due=date(2026, 5, 31), amount="100.00", number="INV-1001"),
            invoice("I2", "C1", due=date(2026, 6, 15), amount="250.00", number="INV-1002"),
            invoice("S1", "C3", due=date(2026, 6, 1), amount="70.00", number=SCRIPT),
            invoice("B1", "C2", due=date(2026, 4, 30), amount="40.00"),
        ],
    )
    owner = site.people["olivia"]
    for key, customer_id, description, assignee in (
        ("acme", "C1", "Call Acme about INV-1001", "maria"),
        ("script", "C3", f"Chase {SCRIPT}", "maria"),
        ("beta", "C2", "Call Beta about B1", "sam"),
    ):
        new = tasks.NewTask(customer_id, "call", description, assignee=assignee, due_date=TODAY)
        site.tasks[key] = tasks.create_task(arrears.uow(), owner, new).id
    return site


def row_counts(site: Site) -> dict[str, int]:
    """How many rows every table holds: what "nothing changed" means (the throttles' count of failed
    attempts and the rate limits' counts aside: a refused attempt is counted, that is their point)."""
    with site.arrears.engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name not in THROTTLES]
        return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
