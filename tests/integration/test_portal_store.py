"""The portal's store on SQLite and PostgreSQL (adapters/db/portal.py): links by token hash, the
online payments unique on session and payment intent, and the `payment_pending` flag that holds
back the chasing of an invoice while a bank debit is on its way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from arrears.adapters.clock import FixedClock
from arrears.adapters.db import tables as t
from arrears.adapters.db.receivables import is_chaseable
from arrears.bootstrap import Arrears, bootstrap
from arrears.config import Settings
from arrears.domain.portal import new_token, token_hash
from arrears.domain.users import TERMINAL
from arrears.services import portal
from tests.ledger import AS_OF, Ledger, customer, invoice

NOW = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)


@pytest.fixture
def app(db_url: str) -> Iterator[Arrears]:
    arrears = bootstrap(Settings(database_url=db_url), clock=FixedClock(NOW))
    yield arrears
    arrears.close()


@pytest.fixture
def ledger(app: Arrears, tmp_path: object) -> Ledger:
    ledger = Ledger(app, tmp_path)  # type: ignore[arg-type]
    ledger.load("customers", [customer("C1"), customer("C2", name="Other Co")])
    ledger.load(
        "invoices",
        [
            invoice("I1", due=AS_OF - timedelta(days=20)),
            invoice("I2", due=AS_OF - timedelta(days=5), amount="250.00"),
            invoice("J1", "C2"),
        ],
    )
    return ledger


def ids(app: Arrears, *external_ids: str) -> list[int]:
    with app.uow() as uow:
        return [i.id for i in uow.ledger.invoices(list(external_ids))]


def chaseable(app: Arrears) -> set[str]:
    i, c = t.invoices, t.customers
    with app.engine.connect() as connection:
        query = select(i.c.external_id).join(c, c.c.id == i.c.customer_id).where(is_chaseable(AS_OF))
        return set(connection.execute(query).scalars())


def test_a_link_is_found_by_its_tokens_hash_and_the_token_itself_is_nowhere(app: Arrears, ledger: Ledger) -> None:
    url = portal.issue_link(app.uow(), TERMINAL, "C1", days=3, base_url="http://x").url
    token = url.rsplit("/", 1)[1]

    with app.uow() as uow:
        found = uow.portal.link(token_hash(token))
        assert uow.portal.link(token_hash(new_token())) is None
    assert found is not None and found.expires_at == NOW + timedelta(days=3)
    with app.engine.connect() as connection:
        stored = [tuple(str(v) for v in row) for row in connection.execute(select(t.portal_links))]
    assert stored and not any(token in value for row in stored for value in row)


def test_a_link_seen_again_within_the_quiet_time_is_not_a_new_opening(app: Arrears, ledger: Ledger) -> None:
    url = portal.issue_link(app.uow(), TERMINAL, "C1", days=3, base_url="http://x").url
    with app.uow() as uow:
        link = uow.portal.link(token_hash(url.rsplit("/", 1)[1]))
        assert link is not None
        seen = [
            uow.portal.mark_seen(link.id, NOW, 3600),
            uow.portal.mark_seen(link.id, NOW + timedelta(minutes=59), 3600),
            uow.portal.mark_seen(link.id, NOW + timedelta(minutes=118), 3600),
            uow.portal.mark_seen(link.id, NOW + timedelta(minutes=178), 3600),
        ]
    assert seen == [True, False, False, True]  # each look pushes the quiet time on


def test_revoking_touches_only_that_customers_unrevoked_links(app: Arrears, ledger: Ledger) -> None:
    for customer_id in ("C1", "C1", "C2"):
        portal.issue_link(app.uow(), TERMINAL, customer_id, days=3, base_url="http://x")

    assert portal.revoke_links(app.uow(), TERMINAL, "C1") == 2
    assert portal.revoke_links(app.uow(), TERMINAL, "C1") == 0
    assert (portal.active_links(app.uow(), TERMINAL, "C1"), portal.active_links(app.uow(), TERMINAL, "C2")) == (0, 1)


def test_a_pending_payment_holds_back_chasing_of_its_invoices_until_it_succeeds_or_fails(
    app: Arrears, ledger: Ledger
) -> None:
    i1, i2 = ids(app, "I1", "I2")
    assert {"I1", "I2"} <= chaseable(app)
    with app.uow() as uow:
        first = uow.portal.add_payment("stripe", 1, "USD", 350_00, [i1, i2], NOW, checkout_session_id="cs_1")
        second = uow.portal.add_payment("stripe", 1, "USD", 100_00, [i1], NOW, checkout_session_id="cs_2")
        uow.portal.update_payment(first, "pending", NOW, payment_intent_id="pi_1", event_id="evt_1")
        uow.portal.update_payment(second, "pending", NOW, payment_intent_id="pi_2")
        uow.commit()
    assert not {"I1", "I2"} & chaseable(app)

    with app.uow() as uow:
        uow.portal.update_payment(first, "failed", NOW, error="insufficient funds")
        uow.commit()
        stored = uow.portal.payment(first)
    assert "I2" in chaseable(app) and "I1" not in chaseable(app)  # the second payment still names I1
    assert stored is not None and (stored.status, stored.payment_intent_id, stored.invoice_ids, stored.error) == (
        "failed",
        "pi_1",
        (i1, i2),
        "insufficient funds",
    )

    with app.uow() as uow:
        uow.portal.update_payment(second, "succeeded", NOW)
        uow.commit()
        assert [p.id for p in uow.portal.customer_payments(1, 10)] == [second, first]
    assert {"I1", "I2"} <= chaseable(app)


def test_a_payment_is_found_by_its_session_else_its_intent(app: Arrears, ledger: Ledger) -> None:
    with app.uow() as uow:
        made = uow.portal.add_payment("stripe", 1, "USD", 10_00, [], NOW, payment_intent_id="pi_9")
        uow.portal.set_checkout_session(made, "cs_9", NOW)
        by_session = uow.portal.payment_for_update("stripe", checkout_session_id="cs_9")
        by_intent = uow.portal.payment_for_update("stripe", checkout_session_id="cs_x", payment_intent_id="pi_9")
        other_provider = uow.portal.payment_for_update("paypal", payment_intent_id="pi_9")
    assert by_session is not None and by_intent is not None and by_session.id == by_intent.id == made
    assert other_provider is None


@pytest.mark.parametrize("key", ["checkout_session_id", "payment_intent_id"])
def test_two_payments_of_one_session_or_intent_cannot_both_be_stored(app: Arrears, ledger: Ledger, key: str) -> None:
    with app.uow() as uow:
        uow.portal.add_payment("stripe", 1, "USD", 10_00, [], NOW, **{key: "same"})  # type: ignore[arg-type]
        with pytest.raises(IntegrityError):
            uow.portal.add_payment("stripe", 1, "USD", 10_00, [], NOW, **{key: "same"})  # type: ignore[arg-type]
