"""Alerts (services/alerts.py), over fakes: contributors see their own, managers and owners see all
and dismiss them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from arrears.domain.audit import Actor, AuditEntry
from arrears.domain.errors import InvalidValue, NotFound, PermissionDenied
from arrears.services import alerts
from arrears.services.workspace_ports import Page
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, NOW, OLIVIA, SAM


@pytest.fixture
def uow() -> FakeUnitOfWork:
    """Alert 1 for maria (a stale task), alert 2 for sam (a dispute) an hour later, alert 3 for nobody."""
    desk = acme_desk()
    raise_ = desk.alerts.raise_alert
    raise_("stale_task", "stale_task:7", "Task 7 is late", customer_id=1, task_id=7, user_id=MARIA.id, at=NOW)
    later = NOW + timedelta(hours=1)
    raise_("dispute_opened", "dispute:1", "Beta disputes B1", customer_id=2, task_id=None, user_id=SAM.id, at=later)
    raise_("email_failed", "email:4", "An email bounced", customer_id=None, task_id=None, user_id=None, at=later)
    return desk


def ids(page: Page) -> list[int]:
    return [alert.id for alert in page.items]


def test_a_contributor_sees_only_the_alerts_raised_for_them(uow: FakeUnitOfWork) -> None:
    page = alerts.list_alerts(uow, MARIA)

    [alert] = page.items
    assert (alert.id, alert.kind, alert.user, alert.customer_external_id, alert.customer_name, alert.task_id) == (
        1,
        "stale_task",
        "maria",
        "C1",
        "Acme Ltd",
        7,
    )


def test_managers_and_owners_see_every_alert_newest_first(uow: FakeUnitOfWork) -> None:
    assert ids(alerts.list_alerts(uow, MORGAN)) == [3, 2, 1]
    assert ids(alerts.list_alerts(uow, OLIVIA)) == [3, 2, 1]


def test_alerts_narrow_to_one_kind(uow: FakeUnitOfWork) -> None:
    assert ids(alerts.list_alerts(uow, MORGAN, kind="dispute_opened")) == [2]


def test_an_unknown_kind_of_alert_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="'fire' is not a kind of alert"):
        alerts.list_alerts(uow, MORGAN, kind="fire")


def test_closed_alerts_are_listed_apart_from_open_ones(uow: FakeUnitOfWork) -> None:
    alerts.dismiss_alert(uow, MORGAN, 2)

    assert ids(alerts.list_alerts(uow, MORGAN, "closed")) == [2]
    assert ids(alerts.list_alerts(uow, MORGAN, "open")) == [3, 1]
    assert ids(alerts.list_alerts(uow, MORGAN, None)) == [3, 2, 1]


def test_an_alert_status_outside_open_and_closed_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidValue, match="status is open or closed"):
        alerts.list_alerts(uow, MORGAN, "all")


def test_alerts_are_paged(uow: FakeUnitOfWork) -> None:
    page = alerts.list_alerts(uow, MORGAN, limit=2)

    assert (ids(page), page.next_offset) == ([3, 2], 2)


def test_a_manager_dismisses_an_alert_and_it_is_audited(uow: FakeUnitOfWork) -> None:
    alerts.dismiss_alert(uow, MORGAN, 1)

    assert (uow.alerts.rows[1].status, uow.alerts.rows[1].closed_at) == ("closed", NOW)
    assert uow.audit.entries == [AuditEntry(NOW, Actor.of(MORGAN), "alert", "1", "dismissed", "Alert dismissed", None)]


def test_a_contributor_may_not_dismiss_even_their_own_alert(uow: FakeUnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        alerts.dismiss_alert(uow, MARIA, 1)

    assert uow.alerts.rows[1].status == "open" and not uow.audit.entries


def test_dismissing_an_alert_already_closed_is_not_found_and_writes_nothing(uow: FakeUnitOfWork) -> None:
    alerts.dismiss_alert(uow, MORGAN, 1)

    with pytest.raises(NotFound, match="no open alert 1"):
        alerts.dismiss_alert(uow, MORGAN, 1)

    assert len(uow.audit.entries) == 1


def test_only_managers_and_owners_are_offered_the_dismiss_button() -> None:
    assert [alerts.may_dismiss(user) for user in (OLIVIA, MORGAN, MARIA)] == [True, True, False]


# -- many at once ------------------------------------------------------------------------------------


def stale(uow: FakeUnitOfWork, count: int) -> None:
    for n in range(count):
        uow.alerts.raise_alert(
            "stale_task", f"stale_task:{100 + n}", f"Task {100 + n} is late", customer_id=1, task_id=100 + n,
            user_id=MARIA.id, at=NOW,
        )  # fmt: skip


def test_every_open_alert_of_a_kind_is_dismissed_in_one_go_with_one_audit_entry(uow: FakeUnitOfWork) -> None:
    stale(uow, 445)

    count = alerts.dismiss_alerts(uow, MORGAN, kind="stale_task")

    assert count == 446
    assert alerts.open_counts(uow, MORGAN) == {"dispute_opened": 1, "email_failed": 1}
    [entry] = uow.audit.entries
    assert (entry.summary, len(entry.changes["ids"]), uow.commits) == (
        "446 alerts of kind stale_task dismissed",
        446,
        1,
    )


def test_the_alerts_selected_are_dismissed_and_a_closed_one_is_left_as_it_was(uow: FakeUnitOfWork) -> None:
    alerts.dismiss_alert(uow, MORGAN, 3)
    closed_at = uow.alerts.rows[3].closed_at
    uow.clock.advance(timedelta(minutes=5))

    count = alerts.dismiss_alerts(uow, OLIVIA, [1, 3, 999])

    assert count == 1
    assert [a.status for a in uow.alerts.rows.values()] == ["closed", "open", "closed"]
    assert uow.alerts.rows[3].closed_at == closed_at
    assert uow.audit.entries[-1].changes == {"ids": [1]}


@pytest.mark.parametrize(
    ("who", "ids", "kind", "error"),
    [
        (MARIA, [1], None, PermissionDenied),
        (MORGAN, [], None, InvalidValue),
        (MORGAN, None, None, InvalidValue),
        (MORGAN, None, "no_such_kind", InvalidValue),
        (MORGAN, list(range(1, 1002)), None, InvalidValue),
    ],
)
def test_a_bulk_dismissal_that_may_not_or_cannot_be_done_changes_nothing(
    uow: FakeUnitOfWork, who: object, ids: list[int] | None, kind: str | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        alerts.dismiss_alerts(uow, who, ids, kind=kind)  # type: ignore[arg-type]

    assert all(a.status == "open" for a in uow.alerts.rows.values())
    assert uow.audit.entries == []


def test_a_contributor_counts_only_her_open_alerts(uow: FakeUnitOfWork) -> None:
    assert alerts.open_counts(uow, MARIA) == {"stale_task": 1}
    assert alerts.open_counts(uow, OLIVIA) == {"stale_task": 1, "dispute_opened": 1, "email_failed": 1}
