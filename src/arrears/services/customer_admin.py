"""What is changed on a customer from its record, beside the ledger the ERP sends: its contacts
(added, edited, removed, who receives the reminders) and its collector. Every change is audited on
the customer's timeline with what it was and what it became.

Contacts are kept by whoever works the account (a collector learns first that the AP clerk changed);
the collector is a manager's decision. A later import of the ERP's contacts or customers file still
wins for the columns it carries, as for every ledger record."""

from __future__ import annotations

from typing import Any

from ..domain.errors import NotFound
from ..domain.permissions import Action, require
from ..domain.users import User
from .ports import UnitOfWork
from .tasks import NewContact, checked_contact, customer_named, record_audit, user_id_named
from .workspace_ports import ContactRow, CustomerRef


def _contact(uow: UnitOfWork, customer: CustomerRef, contact_id: int) -> ContactRow:
    found = uow.customer_records.contact(customer.id, contact_id)
    if found is None:
        raise NotFound(f"no contact {contact_id} on customer {customer.external_id!r}")
    return found


def _fields(contact: NewContact | ContactRow) -> dict[str, Any]:
    return {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "role": contact.role,
        "receives_reminders": contact.receives_reminders,
    }


def add_contact(uow: UnitOfWork, user: User, external_id: str, new: NewContact) -> int:
    """A new contact of the customer (the existing one when the name is already a contact's)."""
    require(user, Action.CREATE_TASK)
    contact = checked_contact(new)
    with uow:
        customer = customer_named(uow, external_id)
        contact_id = uow.customer_records.add_contact(
            customer.id, contact.name, contact.email, contact.phone, contact.role, contact.receives_reminders
        )
        record_audit(
            uow, user, "contact", contact_id, "added", f"Contact {contact.name} added", customer.id, _fields(contact)
        )
        uow.commit()
    return contact_id


def edit_contact(uow: UnitOfWork, user: User, external_id: str, contact_id: int, change: NewContact) -> None:
    """Change a contact's name, email, phone, role, and whether the reminders go to them."""
    require(user, Action.CREATE_TASK)
    contact = checked_contact(change)
    with uow:
        customer = customer_named(uow, external_id)
        before = _fields(_contact(uow, customer, contact_id))
        after = _fields(contact)
        changes = {key: [before[key], value] for key, value in after.items() if before[key] != value}
        if not changes:
            return
        uow.customer_records.update_contact(
            contact_id, contact.name, contact.email, contact.phone, contact.role, contact.receives_reminders
        )
        reminders = changes.get("receives_reminders")
        what = (
            ("now receives the reminders" if reminders[1] else "no longer receives the reminders")
            if reminders is not None and len(changes) == 1
            else f"changed ({', '.join(key.replace('_', ' ') for key in changes)})"
        )
        record_audit(
            uow, user, "contact", contact_id, "changed", f"Contact {contact.name} {what}", customer.id, changes
        )
        uow.commit()


def remove_contact(uow: UnitOfWork, user: User, external_id: str, contact_id: int) -> None:
    """Remove a contact (the tasks that named it keep their notes)."""
    require(user, Action.CREATE_TASK)
    with uow:
        customer = customer_named(uow, external_id)
        before = _contact(uow, customer, contact_id)
        uow.customer_records.remove_contact(contact_id)
        record_audit(
            uow, user, "contact", contact_id, "removed", f"Contact {before.name} removed", customer.id, _fields(before)
        )
        uow.commit()


def set_collector(uow: UnitOfWork, user: User, external_id: str, collector: str | None) -> int:
    """Give the customer to another collector (None: to nobody). The open tasks on the account that
    the previous collector held move with it; returns how many moved."""
    require(user, Action.WRITE_LEDGER)
    with uow:
        customer = customer_named(uow, external_id)
        new_id = user_id_named(uow, collector, "collector") if collector else None  # active users only
        if new_id == customer.collector_id:
            return 0
        held = uow.accounts.user_by_id(customer.collector_id) if customer.collector_id is not None else None
        previous = held.name if held is not None else None
        uow.customer_records.set_collector(customer.id, new_id)
        tasks = uow.tasks.open_task_ids(customer.id, customer.collector_id) if customer.collector_id else []
        moved = uow.tasks.bulk_update(tasks, {"assignee_id": new_id}, uow.clock.now()) if tasks else 0
        record_audit(
            uow,
            user,
            "customer",
            customer.external_id,
            "collector",
            f"Collector changed from {previous or 'nobody'} to {collector or 'nobody'}"
            + (f"; {moved} open task{'s' if moved != 1 else ''} moved" if moved else ""),
            customer.id,
            {"collector": [previous, collector], "tasks_moved": moved},
        )
        uow.commit()
    return moved
