"""Disputes (services/disputes.py), over fakes: opening one (reason codes from the settings, an
amount within what is owed, an alert at once), several at once for one customer, and closing one."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from arrears.domain.audit import Actor, AuditEntry
from arrears.domain.errors import Conflict, InvalidValue, NotFound, PermissionDenied
from arrears.services import disputes
from tests.fakes import ACME, FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, NOW, OLIVIA, SAM, TODAY


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def nothing_written(uow: FakeUnitOfWork) -> bool:
    return (
        uow.commits == 0
        and not uow.disputes.rows
        and not uow.alerts.rows
        and not uow.audit.entries
        and not any(i.disputed for i in uow.ledger.invoice_refs.values())
    )


# -- opening one -------------------------------------------------------------------------------------------


def test_a_dispute_is_on_the_whole_outstanding_and_owned_by_its_opener_unless_told(uow: FakeUnitOfWork) -> None:
    row = disputes.open_dispute(uow, MARIA, "I1", "pricing", note="Quoted 90.00")

    assert (row.invoice_external_id, row.customer_external_id, row.reason, row.amount_minor, row.currency) == (
        "I1",
        "C1",
        "pricing",
        100_00,
        "USD",
    )
    assert (row.owner, row.status, row.note, row.created_at) == ("maria", "open", "Quoted 90.00", NOW)
    assert uow.ledger.invoice("I1").disputed is True


def test_a_dispute_may_be_on_part_of_the_invoice(uow: FakeUnitOfWork) -> None:
    row = disputes.open_dispute(uow, MARIA, "I2", "quantity", amount="20.00")

    assert row.amount_minor == 20_00


def test_a_disputed_amount_above_what_is_owed_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="above the invoice's outstanding amount"):
        disputes.open_dispute(uow, MARIA, "I1", "pricing", amount="100.01")

    assert nothing_written(uow)


def test_a_reason_outside_the_workspaces_codes_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'bored' is not a dispute reason: use one of pricing, quantity"):
        disputes.open_dispute(uow, MARIA, "I1", "bored")

    assert nothing_written(uow)


def test_the_reason_codes_are_the_workspaces_own(uow: FakeUnitOfWork) -> None:
    uow.accounts.set_setting("rules", json.dumps({"dispute_reasons": ["wrong_site", "late_delivery"]}))

    row = disputes.open_dispute(uow, MARIA, "I1", "wrong_site")
    with pytest.raises(InvalidValue, match="use one of wrong_site, late_delivery"):
        disputes.open_dispute(uow, MARIA, "I2", "pricing")

    assert row.reason == "wrong_site"


def test_a_paid_invoice_has_nothing_to_dispute(uow: FakeUnitOfWork) -> None:
    uow.ledger.pay("I1", 100_00)

    with pytest.raises(InvalidValue, match="the invoice is paid with nothing outstanding"):
        disputes.open_dispute(uow, MARIA, "I1", "damaged")

    assert nothing_written(uow)


def test_an_invoice_in_dispute_cannot_be_disputed_again(uow: FakeUnitOfWork) -> None:
    disputes.open_dispute(uow, MARIA, "I1", "pricing", amount="20.00")

    with pytest.raises(Conflict, match="invoice 'I1' already has an open dispute"):
        disputes.open_dispute(uow, MARIA, "I1", "quantity")

    assert len(uow.disputes.rows) == 1


def test_disputing_an_unknown_invoice_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no invoice with external id 'I9'"):
        disputes.open_dispute(uow, MARIA, "I9", "pricing")

    assert nothing_written(uow)


def test_a_dispute_may_name_its_owner_and_the_alert_goes_to_the_customers_collector(uow: FakeUnitOfWork) -> None:
    row = disputes.open_dispute(uow, MORGAN, "B1", "pricing", owner="morgan")

    [alert] = uow.alerts.rows.values()
    assert (row.owner, alert.user_id) == ("morgan", SAM.id)  # Beta's collector (managers see every alert)


def test_the_alert_of_a_customer_without_a_collector_is_for_the_managers(uow: FakeUnitOfWork) -> None:
    uow.ledger.add_customer(replace(ACME, collector_id=None))

    disputes.open_dispute(uow, MARIA, "I1", "pricing")

    [alert] = uow.alerts.rows.values()
    assert alert.user_id is None


def test_the_list_narrows_by_reason_owner_and_customer(uow: FakeUnitOfWork) -> None:
    first = disputes.open_dispute(uow, MARIA, "I1", "pricing")
    second = disputes.open_dispute(uow, MARIA, "I2", "damaged", owner="morgan")
    beta = disputes.open_dispute(uow, SAM, "B1", "pricing")

    def ids(**options: object) -> list[int]:
        return [r.id for r in disputes.list_disputes(uow, MARIA, None, **options).items]  # type: ignore[arg-type]

    assert ids(reason="pricing") == [beta.id, first.id]
    assert ids(owner="morgan") == [second.id]
    assert ids(customer_external_id="C2") == [beta.id]
    assert disputes.list_disputes(uow, MARIA, "open").items[0].customer_name == "Beta GmbH"


@pytest.mark.parametrize(
    ("options", "reason"), [({"owner": "nobody"}, "no user named 'nobody'"), ({"customer_external_id": "NOPE"}, "NOPE")]
)
def test_the_list_refuses_an_unknown_owner_or_customer(
    uow: FakeUnitOfWork, options: dict[str, str], reason: str
) -> None:
    with pytest.raises((InvalidValue, NotFound), match=reason):
        disputes.list_disputes(uow, MARIA, None, **options)  # type: ignore[arg-type]


def test_an_unknown_owner_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="no user named 'nobody' to own the dispute"):
        disputes.open_dispute(uow, MARIA, "I1", "pricing", owner="nobody")

    assert nothing_written(uow)


def test_opening_a_dispute_raises_an_alert_at_once(uow: FakeUnitOfWork) -> None:
    row = disputes.open_dispute(uow, MARIA, "I1", "pricing")

    [alert] = uow.alerts.rows.values()
    assert (alert.kind, alert.key, alert.message, alert.customer_id, alert.task_id, alert.user_id) == (
        "dispute_opened",
        f"dispute:{row.id}",
        "Acme Ltd disputes invoice I1: pricing, 100.00 USD",
        1,
        None,
        MARIA.id,
    )


def test_opening_a_dispute_is_audited_and_refreshes_the_customers_balance(uow: FakeUnitOfWork) -> None:
    row = disputes.open_dispute(uow, MARIA, "I1", "pricing", note="Quoted 90.00")

    assert uow.audit.entries == [
        AuditEntry(
            NOW,
            Actor.of(MARIA),
            "dispute",
            str(row.id),
            "opened",
            "Dispute opened on invoice I1 (pricing, 100.00 USD)",
            1,
            {"reason": "pricing", "amount": "100.00 USD", "note": "Quoted 90.00"},
        )
    ]
    assert uow.balances.refreshes == [(TODAY, (1,))]


# -- several at once ---------------------------------------------------------------------------------------


def test_disputes_on_several_invoices_of_a_customer_open_together(uow: FakeUnitOfWork) -> None:
    rows = disputes.open_disputes(uow, SAM, "C1", ["I1", "I2", "I1"], "damaged")

    assert [(r.invoice_external_id, r.amount_minor, r.reason) for r in rows] == [
        ("I1", 100_00, "damaged"),
        ("I2", 250_00, "damaged"),
    ]
    assert len(uow.alerts.rows) == 2
    assert uow.balances.refreshes == [(TODAY, (1,))]
    assert uow.commits == 1


def test_one_invoice_of_another_customer_opens_none_of_the_disputes(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="invoice 'B1' belongs to another customer"):
        disputes.open_disputes(uow, MARIA, "C1", ["I1", "B1"], "damaged")

    assert nothing_written(uow)


def test_one_invoice_already_in_dispute_opens_none_of_the_others(uow: FakeUnitOfWork) -> None:
    disputes.open_dispute(uow, MARIA, "I2", "pricing")

    with pytest.raises(Conflict):
        disputes.open_disputes(uow, MARIA, "C1", ["I1", "I2"], "damaged")

    assert [d.invoice_id for d in uow.disputes.rows.values()] == [12]
    assert uow.ledger.invoice("I1").disputed is False


@pytest.mark.parametrize(
    ("invoices", "reason"),
    [([], "select one or more invoices to dispute"), ([f"I{n}" for n in range(1001)], "at most 1000 invoices")],
)
def test_one_to_a_thousand_invoices_are_disputed_at_once(uow: FakeUnitOfWork, invoices: list[str], reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        disputes.open_disputes(uow, MARIA, "C1", invoices, "damaged")

    assert nothing_written(uow)


def test_disputes_for_an_unknown_customer_are_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no customer with external id 'C9'"):
        disputes.open_disputes(uow, MARIA, "C9", ["I1"], "damaged")


# -- closing one -------------------------------------------------------------------------------------------


@pytest.fixture
def disputed(uow: FakeUnitOfWork) -> int:
    """The id of maria's dispute on I1, opened an hour ago."""
    row = disputes.open_dispute(uow, MARIA, "I1", "pricing")
    uow.clock.advance(timedelta(hours=1))
    uow.balances.refreshes.clear()
    return row.id


@pytest.mark.parametrize("status", ["resolved", "rejected"])
def test_a_manager_closes_a_dispute_and_the_invoice_is_chased_again(
    uow: FakeUnitOfWork, disputed: int, status: str
) -> None:
    row = disputes.close_dispute(uow, MORGAN, disputed, status, "  Credit note issued ")

    assert (row.status, row.resolution, row.closed_at) == (status, "Credit note issued", NOW + timedelta(hours=1))
    assert uow.ledger.invoice("I1").disputed is False
    assert uow.balances.refreshes == [(TODAY, (1,))]


def test_closing_a_dispute_closes_its_alert_and_is_audited(uow: FakeUnitOfWork, disputed: int) -> None:
    disputes.close_dispute(uow, OLIVIA, disputed, "rejected", "Price was agreed in the PO")

    assert uow.alerts.open_keys() == []
    assert uow.audit.entries[-1] == AuditEntry(
        NOW + timedelta(hours=1),
        Actor.of(OLIVIA),
        "dispute",
        str(disputed),
        "rejected",
        "Dispute on invoice I1 rejected: Price was agreed in the PO",
        1,
    )


def test_contributors_do_not_close_disputes(uow: FakeUnitOfWork, disputed: int) -> None:
    with pytest.raises(PermissionDenied, match="a contributor may not manage disputes"):
        disputes.close_dispute(uow, MARIA, disputed, "resolved", "credit issued")

    assert uow.disputes.rows[disputed].status == "open"
    assert uow.commits == 1


def test_a_dispute_closes_only_as_resolved_or_rejected(uow: FakeUnitOfWork, disputed: int) -> None:
    with pytest.raises(InvalidValue, match="closes as resolved or rejected"):
        disputes.close_dispute(uow, MORGAN, disputed, "open", "still talking")

    assert uow.disputes.rows[disputed].status == "open"


@pytest.mark.parametrize(("status", "note", "said"), [("resolved", None, "Resolved"), ("rejected", "   ", "Rejected")])
def test_a_dispute_closed_without_a_note_says_how_it_closed(
    uow: FakeUnitOfWork, disputed: int, status: str, note: str | None, said: str
) -> None:
    row = disputes.close_dispute(uow, MORGAN, disputed, status, note)

    assert (row.status, row.resolution) == (status, said)
    assert uow.audit.entries[-1].summary == f"Dispute on invoice I1 {status}: {said}"


def test_a_rejected_dispute_records_no_credit_note_or_write_off(uow: FakeUnitOfWork, disputed: int) -> None:
    with pytest.raises(InvalidValue, match="a rejected dispute records no credit note or write-off"):
        disputes.close_dispute(uow, MORGAN, disputed, "rejected", "no", credit_note="10.00")

    assert uow.disputes.rows[disputed].status == "open"


@pytest.mark.parametrize(
    ("credit_note", "write_off", "message"),
    [
        ("100.01", None, "above the disputed amount"),
        ("60.00", "40.01", "above the disputed amount"),
        ("0", None, "greater than zero"),
        ("ten", None, "ten"),
        (None, "1.001", "1.001"),
    ],
)
def test_a_settlement_outside_the_disputed_amount_is_refused_and_nothing_closes(
    uow: FakeUnitOfWork, disputed: int, credit_note: str | None, write_off: str | None, message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        disputes.close_dispute(uow, MORGAN, disputed, "resolved", None, credit_note=credit_note, write_off=write_off)

    assert uow.disputes.rows[disputed].status == "open"


def test_a_reason_of_arrears_dispute_reasons_is_in_force(uow: FakeUnitOfWork) -> None:
    uow.dispute_reasons = ("warranty", "other")

    with pytest.raises(InvalidValue, match="'pricing' is not a dispute reason: use one of warranty, other"):
        disputes.open_dispute(uow, MARIA, "I1", "pricing")
    row = disputes.open_dispute(uow, MARIA, "I1", "warranty")

    assert row.reason == "warranty"


def test_a_closed_dispute_cannot_be_closed_again(uow: FakeUnitOfWork, disputed: int) -> None:
    disputes.close_dispute(uow, MORGAN, disputed, "resolved", "credited")

    with pytest.raises(Conflict, match=f"dispute {disputed} is already resolved"):
        disputes.close_dispute(uow, MORGAN, disputed, "rejected", "changed my mind")

    assert uow.disputes.rows[disputed].resolution == "credited"


def test_closing_an_unknown_dispute_is_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no dispute 9"):
        disputes.close_dispute(uow, MORGAN, 9, "resolved", "credited")


# -- reading them ------------------------------------------------------------------------------------------


def test_disputes_are_listed_newest_first_by_status(uow: FakeUnitOfWork) -> None:
    first = disputes.open_dispute(uow, MARIA, "I1", "pricing")
    second = disputes.open_dispute(uow, MARIA, "I2", "pricing")
    disputes.close_dispute(uow, MORGAN, first.id, "resolved", "credited")

    everything = disputes.list_disputes(uow, MARIA, None)
    still_open = disputes.list_disputes(uow, MARIA, "open")

    assert [d.id for d in everything.items] == [second.id, first.id]
    assert [d.id for d in still_open.items] == [second.id]


def test_a_status_outside_the_list_is_refused_when_listing(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="status is open, resolved or rejected"):
        disputes.list_disputes(uow, MARIA, "closed")


def test_an_unknown_dispute_reads_as_not_found(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound, match="no dispute 3"):
        disputes.get_dispute(uow, MARIA, 3)


# -- handing one to another owner ------------------------------------------------------------------------


def test_a_manager_hands_an_open_dispute_to_another_owner_and_it_is_audited(uow: FakeUnitOfWork, disputed: int) -> None:
    row = disputes.assign_dispute(uow, MORGAN, disputed, "sam")

    assert row.owner == "sam"
    entry = uow.audit.entries[-1]
    assert (entry.action, entry.summary, entry.changes) == (
        "assigned",
        "Dispute on invoice I1 now owned by sam",
        {"owner": ["maria", "sam"]},
    )


def test_naming_the_current_owner_changes_nothing(uow: FakeUnitOfWork, disputed: int) -> None:
    before = len(uow.audit.entries)

    row = disputes.assign_dispute(uow, MORGAN, disputed, "maria")

    assert row.owner == "maria"
    assert len(uow.audit.entries) == before


def test_handing_a_dispute_over_is_for_managers_and_needs_a_user_and_an_open_dispute(
    uow: FakeUnitOfWork, disputed: int
) -> None:
    with pytest.raises(PermissionDenied):
        disputes.assign_dispute(uow, MARIA, disputed, "sam")
    with pytest.raises(InvalidValue, match="no user named 'nobody' to own the dispute"):
        disputes.assign_dispute(uow, MORGAN, disputed, "nobody")
    disputes.close_dispute(uow, MORGAN, disputed, "rejected")
    with pytest.raises(Conflict, match="already rejected"):
        disputes.assign_dispute(uow, MORGAN, disputed, "sam")

    assert disputes.get_dispute(uow, MORGAN, disputed).owner == "maria"
