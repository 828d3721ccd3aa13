"""Changing a customer from its record (services/customer_admin.py), over fakes: contacts added,
edited (who receives the reminders), removed; the collector changed, with the open tasks the
previous one held. Every change is on the customer's timeline; a refused one changes nothing."""

from __future__ import annotations

import pytest

from arrears.domain.errors import InvalidValue, NotFound, PermissionDenied
from arrears.domain.users import Role, User
from arrears.services import customer_admin
from arrears.services.tasks import NewContact
from tests.fakes import FakeUnitOfWork, acme_desk
from tests.unit.builders import MARIA, MORGAN, SAM, make_task


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return acme_desk()


def contact(**fields: object) -> NewContact:
    values: dict[str, object] = {"name": "Ann Lee", "email": "ann@acme.example", "phone": None, "role": "AP"}
    return NewContact(**(values | fields))  # type: ignore[arg-type]


def test_a_collector_adds_a_contact_who_receives_no_reminders_unless_ticked(uow: FakeUnitOfWork) -> None:
    quiet = customer_admin.add_contact(uow, MARIA, "C1", contact())
    loud = customer_admin.add_contact(uow, MARIA, "C1", contact(name="Bo Ray", receives_reminders=True))

    stored = uow.customer_records.contacts
    assert (stored[quiet].receives_reminders, stored[loud].receives_reminders) == (False, True)
    assert uow.audit.actions()[-2:] == [("contact", str(quiet), "added"), ("contact", str(loud), "added")]
    assert uow.commits == 2


def test_switching_the_reminders_on_is_audited_with_before_and_after(uow: FakeUnitOfWork) -> None:
    contact_id = customer_admin.add_contact(uow, MARIA, "C1", contact())

    customer_admin.edit_contact(uow, MARIA, "C1", contact_id, contact(receives_reminders=True))

    entry = uow.audit.entries[-1]
    assert uow.customer_records.contacts[contact_id].receives_reminders is True
    assert (entry.action, entry.summary, entry.changes) == (
        "changed",
        "Contact Ann Lee now receives the reminders",
        {"receives_reminders": [False, True]},
    )


def test_an_edit_names_every_field_it_changed_and_an_unchanged_form_writes_nothing(uow: FakeUnitOfWork) -> None:
    contact_id = customer_admin.add_contact(uow, MARIA, "C1", contact())
    commits = uow.commits

    customer_admin.edit_contact(uow, MARIA, "C1", contact_id, contact())
    unchanged = (uow.commits, len(uow.audit.entries))
    customer_admin.edit_contact(uow, MARIA, "C1", contact_id, contact(email="ap@acme.example", phone="+1 555 0101"))

    assert unchanged == (commits, 1)
    assert uow.audit.entries[-1].summary == "Contact Ann Lee changed (email, phone)"
    assert uow.customer_records.contacts[contact_id].email == "ap@acme.example"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"receives_reminders": True, "email": None}, "needs an email address"),
        ({"email": "not an address"}, "email"),
        ({"name": "  "}, "a contact needs a name"),
    ],
)
def test_a_bad_edit_is_refused_and_changes_nothing(
    uow: FakeUnitOfWork, change: dict[str, object], message: str
) -> None:
    contact_id = customer_admin.add_contact(uow, MARIA, "C1", contact())
    before = uow.customer_records.contacts[contact_id]

    with pytest.raises(InvalidValue, match=message):
        customer_admin.edit_contact(uow, MARIA, "C1", contact_id, contact(**change))

    assert uow.customer_records.contacts[contact_id] == before


def test_a_contact_of_another_customer_is_not_found_through_this_one(uow: FakeUnitOfWork) -> None:
    betas = customer_admin.add_contact(uow, SAM, "C2", contact(name="Kai"))

    with pytest.raises(NotFound, match="no contact"):
        customer_admin.edit_contact(uow, MARIA, "C1", betas, contact())
    with pytest.raises(NotFound, match="no contact"):
        customer_admin.remove_contact(uow, MARIA, "C1", betas)

    assert betas in uow.customer_records.contacts


def test_a_removed_contact_is_gone_and_its_fields_stay_in_the_audit(uow: FakeUnitOfWork) -> None:
    contact_id = customer_admin.add_contact(uow, MARIA, "C1", contact())

    customer_admin.remove_contact(uow, MARIA, "C1", contact_id)

    assert contact_id not in uow.customer_records.contacts
    entry = uow.audit.entries[-1]
    assert (entry.action, entry.changes["email"]) == ("removed", "ann@acme.example")


def test_a_new_collector_takes_the_open_tasks_the_previous_one_held_on_the_account(uow: FakeUnitOfWork) -> None:
    marias = uow.tasks.add_task(make_task(id=None, customer_id=1, assignee=MARIA.id), None)
    sams = uow.tasks.add_task(make_task(id=None, customer_id=1, assignee=SAM.id), None)
    elsewhere = uow.tasks.add_task(make_task(id=None, customer_id=2, assignee=MARIA.id), None)

    moved = customer_admin.set_collector(uow, MORGAN, "C1", "sam")

    assert moved == 1
    assert uow.ledger.customer("C1").collector_id == SAM.id  # type: ignore[union-attr]
    assignees = {task_id: uow.tasks.rows[task_id].assignee_id for task_id in (marias, sams, elsewhere)}
    assert assignees == {marias: SAM.id, sams: SAM.id, elsewhere: MARIA.id}
    entry = uow.audit.entries[-1]
    assert entry.summary == "Collector changed from maria to sam; 1 open task moved"
    assert entry.changes == {"collector": ["maria", "sam"], "tasks_moved": 1}


def test_a_customer_can_be_left_without_a_collector_and_the_same_one_changes_nothing(uow: FakeUnitOfWork) -> None:
    assert customer_admin.set_collector(uow, MORGAN, "C1", "maria") == 0
    assert uow.audit.entries == []

    customer_admin.set_collector(uow, MORGAN, "C1", None)

    assert uow.ledger.customer("C1").collector_id is None  # type: ignore[union-attr]
    assert uow.audit.entries[-1].summary == "Collector changed from maria to nobody"


def test_only_managers_change_the_collector_and_only_to_an_active_user(uow: FakeUnitOfWork) -> None:
    uow.accounts.add_user(User(9, "gone", Role.CONTRIBUTOR, None), active=False)

    with pytest.raises(PermissionDenied):
        customer_admin.set_collector(uow, MARIA, "C1", "sam")
    with pytest.raises(InvalidValue, match="no user named 'gone'"):
        customer_admin.set_collector(uow, MORGAN, "C1", "gone")
    with pytest.raises(NotFound):
        customer_admin.set_collector(uow, MORGAN, "C9", "sam")

    assert uow.ledger.customer("C1").collector_id == MARIA.id  # type: ignore[union-attr]
