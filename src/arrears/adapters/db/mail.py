"""Received mail, the emails it answers, bounced addresses and mailbox progress (services/mail_ports.py)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, true, union, update
from sqlalchemy.dialects import postgresql, sqlite

from ...services.mail_ports import AttachmentInfo, InboxPage, NewReceived, ReceivedRow, SentRef
from . import tables as t


class SqlMail:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name

    # -- threading -----------------------------------------------------------------------------------
    def sent_by_token(self, token: str) -> SentRef | None:
        e = t.emails
        row = self.connection.execute(
            select(e.c.id, e.c.customer_id, e.c.message_id).where(e.c.reply_token == token)
        ).first()
        return None if row is None else SentRef(*row)

    def sent_by_message_ids(self, message_ids: Sequence[str]) -> SentRef | None:
        wanted = list(dict.fromkeys(message_ids))[:50]
        if not wanted:
            return None
        e = t.emails
        found = {
            row.message_id: SentRef(row.id, row.customer_id, row.message_id)
            for row in self.connection.execute(
                select(e.c.id, e.c.customer_id, e.c.message_id).where(e.c.message_id.in_(wanted))
            )
        }
        return next((found[m] for m in wanted if m in found), None)

    def received_customer(self, message_ids: Sequence[str]) -> int | None:
        wanted = list(dict.fromkeys(message_ids))[:50]
        if not wanted:
            return None
        r = t.received_emails
        found = {
            row.message_id: row.customer_id
            for row in self.connection.execute(
                select(r.c.message_id, r.c.customer_id).where(r.c.message_id.in_(wanted), r.c.customer_id.is_not(None))
            )
        }
        return next((found[m] for m in wanted if m in found), None)

    def customers_with_address(self, address: str) -> list[int]:
        c, k = t.customers, t.contacts
        query = union(
            select(c.c.id.label("customer_id")).where(func.lower(c.c.email) == address),
            select(k.c.customer_id.label("customer_id")).where(func.lower(k.c.email) == address),
        ).limit(2)
        return [int(row.customer_id) for row in self.connection.execute(query)]

    def has_address(self, customer_id: int, address: str) -> bool:
        c, k = t.customers, t.contacts
        own = select(c.c.id).where(c.c.id == customer_id, func.lower(c.c.email) == address)
        contact = select(k.c.id).where(k.c.customer_id == customer_id, func.lower(k.c.email) == address)
        return self.connection.execute(union(own, contact).limit(1)).first() is not None

    # -- storing -------------------------------------------------------------------------------------
    def store(self, message: NewReceived) -> int | None:
        r = t.received_emails
        values: dict[str, Any] = {
            "message_id": message.message_id[:500],
            "customer_id": message.customer_id,
            "email_id": message.email_id,
            "kind": message.kind,
            "matched_by": message.matched_by,
            "from_address": message.from_address[:320],
            "from_name": message.from_name[:200],
            "to_addresses": json.dumps(list(message.to)),
            "subject": message.subject,
            "sent_at": message.sent_at,
            "received_at": message.received_at,
            "text": message.text,
            "reply_text": message.reply_text,
            "raw": message.raw,
            "raw_size": message.raw_size,
            "source": message.source,
            "bounce_status": message.bounce_status,
            "bounce_diagnostic": message.bounce_diagnostic,
            "read_at": message.read_at,
        }
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = (
            dialect_insert(r).values(**values).on_conflict_do_nothing(index_elements=["message_id"]).returning(r.c.id)
        )
        received_id = self.connection.execute(statement).scalar()
        if received_id is None:
            return None
        if message.attachments:
            self.connection.execute(
                insert(t.received_attachments),
                [
                    {
                        "received_email_id": received_id,
                        "filename": a.filename[:255],
                        "content_type": a.content_type[:100],
                        "size": len(a.data),
                        "data": a.data,
                    }
                    for a in message.attachments
                ],
            )
        return int(received_id)

    def mark_bounced(self, email_id: int, diagnostic: str, at: datetime) -> bool:
        e = t.emails
        result = self.connection.execute(
            update(e)
            .where(e.c.id == email_id, e.c.status == "sent")
            .values(status="bounced", last_error=diagnostic[:2000], updated_at=at)
        )
        return bool(result.rowcount)

    def count_bounce(self, address: str, permanent: bool, diagnostic: str, at: datetime, flag_after: int) -> bool:
        b = t.bounced_addresses
        address = address.lower()[:320]
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        statement = dialect_insert(b).values(
            address=address, permanent_bounces=0, last_bounce_at=at, last_diagnostic=diagnostic[:2000]
        )
        self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=["address"],
                set_={"last_bounce_at": at, "last_diagnostic": diagnostic[:2000]},
            )
        )
        if not permanent:
            return False
        row = self.connection.execute(
            update(b)
            .where(b.c.address == address)
            .values(permanent_bounces=b.c.permanent_bounces + 1)
            .returning(b.c.permanent_bounces, b.c.flagged_at)
        ).one()
        if row.flagged_at is None and row.permanent_bounces >= flag_after:
            self.connection.execute(update(b).where(b.c.address == address).values(flagged_at=at))
            return True
        return False

    def flagged_addresses(self, addresses: Sequence[str]) -> set[str]:
        wanted = sorted({a.lower() for a in addresses if a})
        if not wanted:
            return set()
        b = t.bounced_addresses
        query = select(b.c.address).where(b.c.address.in_(wanted), b.c.flagged_at.is_not(None))
        return {row.address for row in self.connection.execute(query)}

    def clear_flag(self, address: str) -> bool:
        b = t.bounced_addresses
        result = self.connection.execute(
            update(b)
            .where(b.c.address == address.lower(), b.c.flagged_at.is_not(None))
            .values(flagged_at=None, permanent_bounces=0)
        )
        return bool(result.rowcount)

    # -- reading -------------------------------------------------------------------------------------
    def _rows(self) -> Any:
        r, c, e, u = t.received_emails, t.customers, t.emails, t.users
        return (
            select(
                r.c.id,
                r.c.message_id,
                r.c.customer_id,
                c.c.external_id,
                c.c.name,
                c.c.collector_id,
                r.c.email_id,
                e.c.subject.label("email_subject"),
                r.c.kind,
                r.c.matched_by,
                r.c.from_address,
                r.c.from_name,
                r.c.to_addresses,
                r.c.subject,
                r.c.sent_at,
                r.c.received_at,
                r.c.text,
                r.c.reply_text,
                r.c.read_at,
                u.c.name.label("read_by"),
                r.c.bounce_status,
                r.c.bounce_diagnostic,
            )
            .select_from(r)
            .outerjoin(c, c.c.id == r.c.customer_id)
            .outerjoin(e, e.c.id == r.c.email_id)
            .outerjoin(u, u.c.id == r.c.read_by)
        )

    def _made(self, rows: Sequence[Any], attachments: dict[int, list[AttachmentInfo]]) -> list[ReceivedRow]:
        return [
            ReceivedRow(
                id=row.id,
                message_id=row.message_id,
                customer_id=row.customer_id,
                customer_external_id=row.external_id,
                customer_name=row.name,
                collector_id=row.collector_id,
                email_id=row.email_id,
                email_subject=row.email_subject,
                kind=row.kind,
                matched_by=row.matched_by,
                from_address=row.from_address,
                from_name=row.from_name,
                to=tuple(json.loads(row.to_addresses)),
                subject=row.subject,
                sent_at=row.sent_at,
                received_at=row.received_at,
                text=row.text,
                reply_text=row.reply_text,
                read_at=row.read_at,
                read_by=row.read_by,
                bounce_status=row.bounce_status,
                bounce_diagnostic=row.bounce_diagnostic,
                attachments=tuple(attachments.get(row.id, ())),
            )
            for row in rows
        ]

    def _attachments(self, received_ids: Sequence[int]) -> dict[int, list[AttachmentInfo]]:
        if not received_ids:
            return {}
        a = t.received_attachments
        found: dict[int, list[AttachmentInfo]] = defaultdict(list)
        for row in self.connection.execute(
            select(a.c.received_email_id, a.c.id, a.c.filename, a.c.content_type, a.c.size)
            .where(a.c.received_email_id.in_(list(received_ids)))
            .order_by(a.c.id)
        ):
            found[row.received_email_id].append(AttachmentInfo(row.id, row.filename, row.content_type, row.size))
        return found

    def received(self, received_id: int) -> ReceivedRow | None:
        rows = self.connection.execute(self._rows().where(t.received_emails.c.id == received_id)).all()
        made = self._made(rows, self._attachments([received_id] if rows else []))
        return made[0] if made else None

    def attachment(self, received_id: int, attachment_id: int) -> tuple[AttachmentInfo, bytes] | None:
        a = t.received_attachments
        row = self.connection.execute(
            select(a.c.id, a.c.filename, a.c.content_type, a.c.size, a.c.data).where(
                a.c.id == attachment_id, a.c.received_email_id == received_id
            )
        ).first()
        return None if row is None else (AttachmentInfo(row.id, row.filename, row.content_type, row.size), row.data)

    def inbox(
        self, *, collector_id: int | None, unmatched: bool, unread_only: bool, limit: int, offset: int
    ) -> InboxPage:
        r, c = t.received_emails, t.customers
        query = self._rows()
        if unmatched:
            query = query.where(r.c.customer_id.is_(None))
        else:
            query = query.where(r.c.customer_id.is_not(None))
            if collector_id is not None:
                query = query.where(c.c.collector_id == collector_id)
        if unread_only:
            query = query.where(r.c.read_at.is_(None))
        rows = self.connection.execute(
            query.order_by(r.c.received_at.desc(), r.c.id.desc()).limit(limit + 1).offset(offset)
        ).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = self._made(rows, self._attachments([row.id for row in rows]))
        return InboxPage(tuple(items), offset + limit if more else None)

    def customer_mail(self, customer_id: int, limit: int) -> list[ReceivedRow]:
        r = t.received_emails
        rows = self.connection.execute(
            self._rows()
            .where(r.c.customer_id == customer_id)
            .order_by(r.c.received_at.desc(), r.c.id.desc())
            .limit(limit)
        ).all()
        return self._made(rows, self._attachments([row.id for row in rows]))

    def unread_counts(self, collector_id: int | None) -> tuple[int, int]:
        r, c = t.received_emails, t.customers
        mine = r.c.customer_id.is_not(None) if collector_id is None else c.c.collector_id == collector_id
        query = (
            select(
                func.count().filter(mine).label("mine"),
                func.count().filter(r.c.customer_id.is_(None)).label("unmatched"),
            )
            .select_from(r.outerjoin(c, c.c.id == r.c.customer_id))
            .where(r.c.read_at.is_(None))
        )
        row = self.connection.execute(query).one()
        return int(row.mine), int(row.unmatched)

    # -- changing ------------------------------------------------------------------------------------
    def mark_read(self, received_id: int, user_id: int | None, at: datetime | None) -> bool:
        r = t.received_emails
        changed = r.c.read_at.is_(None) if at is not None else r.c.read_at.is_not(None)
        result = self.connection.execute(
            update(r).where(r.c.id == received_id, changed).values(read_at=at, read_by=user_id if at else None)
        )
        return bool(result.rowcount)

    def assign(self, received_id: int, customer_id: int) -> bool:
        r = t.received_emails
        result = self.connection.execute(
            update(r).where(r.c.id == received_id).values(customer_id=customer_id, matched_by="assigned")
        )
        return bool(result.rowcount)

    # -- mailboxes -----------------------------------------------------------------------------------
    def hold_folder(self, mailbox: str, folder: str) -> tuple[int, int]:
        m = t.mailbox_folders
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        self.connection.execute(
            dialect_insert(m)
            .values(mailbox=mailbox, folder=folder)
            .on_conflict_do_nothing(index_elements=["mailbox", "folder"])
        )
        query = select(m.c.uidvalidity, m.c.last_uid).where(m.c.mailbox == mailbox, m.c.folder == folder)
        if self.dialect == "postgresql":
            query = query.with_for_update()
        else:  # SQLite: a write takes the database's lock until the transaction ends
            self.connection.execute(
                update(m).where(m.c.mailbox == mailbox, m.c.folder == folder, true()).values(last_uid=m.c.last_uid)
            )
        row = self.connection.execute(query).one()
        return int(row.uidvalidity), int(row.last_uid)

    def save_folder(self, mailbox: str, folder: str, uidvalidity: int, last_uid: int, at: datetime) -> None:
        m = t.mailbox_folders
        self.connection.execute(
            update(m)
            .where(m.c.mailbox == mailbox, m.c.folder == folder)
            .values(uidvalidity=uidvalidity, last_uid=last_uid, fetched_at=at)
        )
