"""The demo ledger, loaded through the real import on each backend: the same for a seed, every kind
of payer visible in the aging, and never loaded twice."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.demo import Behaviour, generate
from arrears.domain.aging import BUCKETS
from arrears.domain.errors import Conflict
from arrears.domain.records import KINDS
from arrears.services import aging, exports, users
from arrears.services.demo import load_demo

AS_OF = date(2026, 6, 30)
SEED = 7
CUSTOMERS = 24  # small enough to load in a blink, large enough for every kind of payer

Aging = dict[str, dict[str, dict[str, str]]]  # currency -> customer external id -> amounts


class PlainHasher:
    """A fake of the password hasher: Argon2 is slow on purpose, and these tests are not about it."""

    def hash(self, password: str) -> str:
        return f"plain:{password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"plain:{password}"


def _load(app: Arrears, seed: int = SEED) -> None:
    load_demo(app.uow, PlainHasher(), seed, AS_OF, customers=CUSTOMERS)


def _exports(app: Arrears) -> dict[str, str]:
    out = {}
    for kind in KINDS:
        text = io.StringIO()
        exports.export(app.uow(), kind, text)
        out[kind] = text.getvalue()
    return out


def _aging(app: Arrears) -> Aging:
    out: Aging = {}
    for report in aging.aging_report(app.uow(), AS_OF):
        customers = report.as_dict()["customers"]
        assert isinstance(customers, list)
        out[report.currency] = {line["external_id"]: line for line in customers}
    return out


def _rows(exported: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(exported)))


@pytest.fixture
def demo(arrears: Arrears) -> Arrears:
    _load(arrears)
    return arrears


@pytest.fixture
def second_database(tmp_path: Path) -> Iterator[Arrears]:
    app = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'second.db'}")).ready()
    yield app
    app.close()


def test_the_same_seed_and_day_load_the_same_ledger_into_another_database(
    demo: Arrears, second_database: Arrears
) -> None:
    _load(second_database)

    assert _exports(second_database) == _exports(demo)
    assert _aging(second_database) == _aging(demo)


def test_the_ledger_has_three_currencies_and_every_aging_bucket_filled(demo: Arrears) -> None:
    report = _aging(demo)

    assert set(report) == {"EUR", "GBP", "USD"}
    customers = [line for lines in report.values() for line in lines.values()]
    for bucket in BUCKETS:
        assert any(Decimal(line[bucket]) > 0 for line in customers), bucket
    assert any(Decimal(line["unapplied_cash"]) > 0 for line in customers)


def test_each_kind_of_payer_shows_in_the_aging_as_it_pays(demo: Arrears) -> None:
    behaviours = generate(SEED, AS_OF, customers=CUSTOMERS).behaviours
    lines = {ref: line for per_currency in _aging(demo).values() for ref, line in per_currency.items()}
    of = defaultdict[Behaviour, list[dict[str, str]]](list)
    for ref, line in lines.items():
        of[behaviours[ref]].append(line)

    def owed(line: dict[str, str], *buckets: str) -> Decimal:
        return sum((Decimal(line[b]) for b in buckets), Decimal(0))

    assert all(owed(line, "1-30", "31-60", "61-90", "91+") == 0 for line in of[Behaviour.PROMPT])
    assert any(owed(line, "current") > 0 for line in of[Behaviour.PROMPT])
    assert all(owed(line, "61-90", "91+") == 0 for line in of[Behaviour.LATE])
    assert any(owed(line, "1-30", "31-60") > 0 for line in of[Behaviour.LATE])
    assert any(owed(line, "91+") > 0 for line in of[Behaviour.CHRONIC])
    assert any(owed(line, "1-30", "31-60", "61-90", "91+") > 0 for line in of[Behaviour.PARTIAL])


def test_some_invoices_are_partly_paid(demo: Arrears) -> None:
    exported = _exports(demo)
    amounts = {row["external_id"]: Decimal(row["amount"]) for row in _rows(exported["invoices"])}
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for row in _rows(exported["payments"]):
        if row["invoice_external_id"]:
            paid[row["invoice_external_id"]] += Decimal(row["amount"])

    assert any(0 < total < amounts[ref] for ref, total in paid.items())


def test_the_demo_adds_its_users_with_their_roles(demo: Arrears) -> None:
    people = {user.name: user.role.value for user in users.list_users(demo.uow())}

    assert people == {
        "demo": "owner",
        "morgan": "manager",
        "alex": "contributor",
        "sam": "contributor",
        "jordan": "contributor",
    }
    assert all(PlainHasher().verify(_password_hash(demo, name), "demo-password") for name in people)


def test_the_demo_password_is_hashed_with_the_real_hasher(arrears: Arrears) -> None:
    load_demo(arrears.uow, arrears.hasher, SEED, AS_OF, customers=4)

    assert arrears.hasher.verify(_password_hash(arrears, "demo"), "demo-password")
    assert not arrears.hasher.verify(_password_hash(arrears, "alex"), "another-password")


def _password_hash(app: Arrears, name: str) -> str:
    with app.engine.connect() as connection:
        value = connection.execute(select(t.users.c.password_hash).where(t.users.c.name == name)).scalar_one()
    assert isinstance(value, str)
    return value


def test_the_demo_refuses_to_load_twice_and_changes_nothing(demo: Arrears) -> None:
    before = _exports(demo)

    with pytest.raises(Conflict, match="ARREARS_DATABASE_URL") as refused:
        _load(demo, seed=SEED + 1)

    assert "already holds 24 customers" in refused.value.message
    assert _exports(demo) == before


def test_the_demo_refuses_a_database_where_its_users_exist(arrears: Arrears) -> None:
    users.add_user(arrears.uow(), arrears.hasher, "morgan", "owner", email=None, password=None)

    with pytest.raises(Conflict, match="morgan"):
        _load(arrears)

    assert _exports(arrears)["customers"].count("\n") == 1  # the header alone
