"""The REST API under test: an app on one database with a fixed clock, users of every role with their
API tokens, and a small ledger with tasks, a dispute, a plan and an alert.

Test modules import the fixtures they use (`api`, `world`, `shared_world`) by their functions' names:
`from tests.api import World, world_fixture  # noqa: F401`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, text

from arrears.adapters.clock import FixedClock
from arrears.adapters.db.tables import metadata
from arrears.api.app import create_app
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.users import User
from arrears.services import accounts, disputes, ledger, plans, tasks, users
from tests.conftest import PG_URL
from tests.ledger import credit_note, customer, invoice, payment

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
PEOPLE = {"olivia": "owner", "morgan": "manager", "maria": "contributor", "sam": "contributor"}
ROLE_USER = {"owner": "olivia", "manager": "morgan", "contributor": "maria"}


def text_rows(rows: list[dict[str, object]]) -> list[dict[str, str]]:
    return [{key: "" if value is None else str(value) for key, value in row.items()} for row in rows]


def assert_error(answer: Any, status: int, code: str, *words: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]
    for word in words:
        assert word in error["message"], error["message"]
    return error


@dataclass
class Api:
    """`api.get("/tasks", as_="maria")`: a call to /api/v1 with that user's token (None: no token)."""

    arrears: Arrears
    client: TestClient
    clock: FixedClock
    tokens: dict[str, str] = field(default_factory=dict)
    people: dict[str, User] = field(default_factory=dict)

    def call(
        self, method: str, path: str, as_: str | None = "olivia", *, headers: dict[str, str] | None = None, **kw: Any
    ) -> Response:
        sent = dict(headers or {})
        if as_ is not None:
            sent["Authorization"] = f"Bearer {self.tokens[as_]}"
        url = path if path.startswith("/openapi") or path.startswith("/docs") else f"/api/v1{path}"
        return self.client.request(method, url, headers=sent, **kw)

    def get(self, path: str, as_: str | None = "olivia", **kw: Any) -> Response:
        return self.call("GET", path, as_, **kw)

    def post(self, path: str, body: Any = None, as_: str | None = "olivia", **kw: Any) -> Response:
        return self.call("POST", path, as_, json=body, **kw)

    def put(self, path: str, body: Any = None, as_: str | None = "olivia", **kw: Any) -> Response:
        return self.call("PUT", path, as_, json=body, **kw)

    def patch(self, path: str, body: Any = None, as_: str | None = "olivia", **kw: Any) -> Response:
        return self.call("PATCH", path, as_, json=body, **kw)

    def delete(self, path: str, as_: str | None = "olivia", **kw: Any) -> Response:
        return self.call("DELETE", path, as_, **kw)

    def load(self, kind: str, rows: list[dict[str, object]]) -> None:
        """Write ledger rows as the owner, through the service the API uses."""
        ledger.upsert_rows(self.arrears.uow(), self.people["olivia"], kind, text_rows(rows), kind)


def open_api(db_url: str, **settings: Any) -> Api:
    """The app on `db_url` at 09:00 UTC on TODAY, with olivia (owner), morgan (manager), and the
    contributors maria and sam, each with an API token; `settings` as ARREARS_* would set them."""
    clock = FixedClock(NOW)
    calls_dir = Path(tempfile.mkdtemp(prefix="arrears-calls-"))  # call recordings: never the working directory
    arrears = bootstrap(Settings(database_url=db_url, calls_dir=calls_dir, **settings), clock)
    api = Api(arrears, TestClient(create_app(arrears)), clock)
    for name, role in PEOPLE.items():
        api.people[name] = users.add_user(arrears.uow(), arrears.hasher, name, role, email=None, password=None)
        api.tokens[name] = accounts.issue_token(arrears.uow(), name)
    return api


@dataclass
class World:
    """What the seeded workspace holds, by name: task and dispute ids, the plan, the alert."""

    api: Api
    ids: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, name: str) -> int:
        return self.ids[name]


def seed(api: Api) -> World:
    """Acme (C1, USD, collector maria) with contact K1 and invoices I1 100.00 (due 31 May), I2 250.00
    (15 June), I3 80.00 (15 July), I4 50.00 (paid by PAY1), I5 300.00 (on a plan of two instalments);
    credit note CN1 10.00 on I2. Beta (C2, EUR, collector sam): B1 40.00 due 30 April, disputed (an
    alert is open for it). Tasks: a call on Acme for maria, a call on Beta for sam."""
    world = World(api)
    api.load(
        "customers",
        [
            customer("C1", "Acme Ltd", collector="maria", phone="+1 415 555 0100"),
            customer("C2", "Beta GmbH", currency="EUR", collector="sam"),
        ],
    )
    api.load("contacts", [{"customer_external_id": "C1", "external_id": "K1", "name": "Pat Payables"}])
    api.load(
        "invoices",
        [
            invoice("I1", "C1", due=date(2026, 5, 31), amount="100.00"),
            invoice("I2", "C1", due=date(2026, 6, 15), amount="250.00"),
            invoice("I3", "C1", due=date(2026, 7, 15), amount="80.00"),
            invoice("I4", "C1", due=date(2026, 6, 1), amount="50.00"),
            invoice("I5", "C1", due=date(2026, 6, 10), amount="300.00"),
            invoice("B1", "C2", due=date(2026, 4, 30), amount="40.00"),
        ],
    )
    api.load("payments", [payment("PAY1", "C1", invoice="I4", on=date(2026, 6, 5), amount="50.00")])
    api.load("credit-notes", [credit_note("CN1", "C1", invoice="I2", on=date(2026, 6, 6), amount="10.00")])
    owner = api.people["olivia"]
    uow = api.arrears.uow
    world.ids["task_maria"] = tasks.create_task(
        uow(), owner, tasks.NewTask("C1", "call", "Call Acme about I1", invoice_external_ids=("I1",))
    ).id
    world.ids["task_sam"] = tasks.create_task(uow(), owner, tasks.NewTask("C2", "call", "Call Beta")).id
    world.ids["dispute"] = disputes.open_dispute(uow(), owner, "B1", "pricing").id
    world.ids["plan"] = plans.create_plan(
        uow(), owner, ["I5"], [(date(2026, 7, 10), "150.00"), (date(2026, 8, 10), "150.00")]
    ).id
    with uow() as unit:
        world.ids["alert"] = unit.alerts.alerts("open", None, 1, 0).items[0].id
    for name in PEOPLE:
        world.ids[f"view:{name}"] = accounts.save_view(uow(), api.people[name], f"{name}'s view", {"status": "all"}).id
    return world


@pytest.fixture(name="api")
def api_fixture(db_url: str) -> Iterator[Api]:
    """The API on an empty ledger (each backend in turn), with users of every role and their tokens."""
    opened = open_api(db_url)
    with opened.client:
        yield opened
    opened.arrears.close()


@pytest.fixture(name="world")
def world_fixture(api: Api) -> World:
    """The API on the seeded workspace of `seed`."""
    return seed(api)


def _empty_postgres(engine: Engine) -> None:
    names = ", ".join(table.name for table in metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(
    name="shared_world", scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared_world_fixture(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[World]:
    """One seeded workspace per backend for a whole module, for tests that change nothing (or only
    what they arranged themselves). A module using it must not also use `db_url`, which empties the
    PostgreSQL database before each test."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("api") / "arrears.db"
        path.write_bytes(sqlite_template.read_bytes())
        db_url = f"sqlite:///{path}"
    else:
        _empty_postgres(request.getfixturevalue("postgres_engine"))
        db_url = PG_URL
    # The clock stands still, so a whole module's calls fall in one minute: no rate limit here (its
    # tests: test_api_rate_limits.py).
    opened = open_api(db_url, api_rate_limit=0)
    with opened.client:
        yield seed(opened)
    opened.arrears.close()
