"""The email outbox: queued by the cycle in its transaction, taken one at a time by the send loop."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    Executable,
    Select,
    func,
    update,
)
from sqlalchemy.dialects import postgresql

from ....domain.audit import AuditEntry
from ....domain.inbound import token_of
from ....services.automation_ports import (
    NewEmail,
    OutboxEmail,
    Rendered,
)
from .. import tables as t
from .common import SqlAutomationArea, _audit_row, _id_given, _outbox, _reserved, _unnest_rows, _writes


class SqlOutbox(SqlAutomationArea):
    def queue_email(self, email: NewEmail) -> int | None:
        return self.queue_emails([email])[0]

    def queue_emails(self, emails: Sequence[NewEmail]) -> list[int | None]:
        if not emails:
            return []
        _reserved([email.id for email in emails])
        rows = [
            {
                **_id_given(email.id),
                "customer_id": email.customer_id,
                "dedupe_key": email.dedupe_key,
                "to_addresses": json.dumps(list(email.to)),
                "subject": email.subject,
                "html": "",  # rendered when sent
                "text": "",
                "template": email.template,
                "context": email.context,
                "workflow": email.workflow,
                "step": email.step,
                "cycle_date": email.cycle_date,
                "message_id": email.message_id,
                "reply_token": token_of(email.message_id),
                "in_reply_to": email.in_reply_to,
                "attach_invoice_id": email.attach_invoice_id,
                "next_attempt_at": email.queued_at,
                "created_at": email.queued_at,
                "updated_at": email.queued_at,
            }
            for email in emails
        ]
        # a dedupe key another run took returns no row: that email is not queued again
        if self.dialect == "postgresql":
            e = t.emails
            statement: Executable = (
                postgresql.insert(e)
                .from_select(list(rows[0]), _unnest_rows(e, rows))
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(e.c.id, e.c.dedupe_key)
            )
            result = self.connection.execute(statement)
        else:
            result = self.connection.execute(_writes(self.dialect).email, rows)
        ids = {row.dedupe_key: int(row.id) for row in result}
        tags = [
            {"email_id": ids[email.dedupe_key], "invoice_id": invoice_id}
            for email in emails
            if email.dedupe_key in ids
            for invoice_id in email.invoice_ids
        ]
        if tags:
            self._insert_pairs(t.email_invoices, "email_id", tags)
        return [ids.get(email.dedupe_key) for email in emails]

    def due_email(self, email_id: int, now: datetime) -> OutboxEmail | None:
        """One queued email by id (an email sent at once from a page), taken as `due_emails` takes them."""
        due = _outbox(self.dialect).due
        assert isinstance(due, Select)
        query = due.where(t.emails.c.id == email_id)
        return next(iter(self._taken(query, {"now": now, "limit": 1})), None)

    def due_emails(self, now: datetime, limit: int) -> list[OutboxEmail]:
        """Queued emails whose time has come, locked so that two workers never send the same one.

        On PostgreSQL, the transaction that takes them also commits without waiting for its WAL to
        reach the disk (`synchronous_commit = off` for this transaction only, set in the same round
        trip): a killed worker loses nothing by it; only a crash of the database server itself can
        lose the last fraction of a second of "sent" marks, and each email so lost goes once more."""
        return self._taken(_outbox(self.dialect).due, {"now": now, "limit": limit})

    def _taken(self, query: Executable, params: dict[str, object]) -> list[OutboxEmail]:
        return [
            OutboxEmail(
                row.id,
                row.customer_id,
                tuple(json.loads(row.to_addresses)),
                row.subject,
                row.template,
                row.context,
                row.html,
                row.text,
                row.message_id,
                row.attempts,
                row.attach_invoice_id,
                row.in_reply_to,
            )
            for row in self.connection.execute(query, params)
        ]

    def mark_sent(self, email_id: int, at: datetime, entry: AuditEntry, body: Rendered | None = None) -> bool:
        """Mark a queued email sent (keeping the body rendered at send time) and write `entry` on
        the audit log: one round trip on PostgreSQL. False (and no entry) if the email was not
        queued any more."""
        statements = _outbox(self.dialect)
        params = {
            "email_id": email_id,
            "marked_at": at,
            "sent_html": body.html if body else None,
            "sent_text": body.text if body else None,
            **_audit_row(entry),
        }
        if statements.sent_and_audit is not None:
            return len(self.connection.execute(statements.sent_and_audit, params).all()) == 1
        if self.connection.execute(statements.sent, params).rowcount != 1:
            return False
        self.connection.execute(statements.audit, params)
        return True

    def mark_retry(self, email_id: int, attempts: int, next_at: datetime, error: str) -> None:
        e = t.emails
        self.connection.execute(
            update(e)
            .where(e.c.id == email_id)
            .values(
                attempts=attempts, next_attempt_at=next_at, last_error=error[:2000], updated_at=func.current_timestamp()
            )
        )

    def mark_failed(self, email_id: int, attempts: int, error: str, at: datetime) -> None:
        e = t.emails
        self.connection.execute(
            update(e)
            .where(e.c.id == email_id)
            .values(status="failed", attempts=attempts, last_error=error[:2000], updated_at=at)
        )
