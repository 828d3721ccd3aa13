"""Mail received from customers: what a message is (a person's reply, an auto-reply, a bounce),
which email of ours it answers, and the part of it worth reading on a timeline.

Pure: a message is parsed from its bytes with the standard library's `email` package; what it is
matched against (the emails sent, the contacts' addresses) is the service's business.

Threading, in order (`MatchedBy`): the reply token in the address it was sent to (every email we
send has a Reply-To of `ar+TOKEN@…`, TOKEN being the random part of its Message-ID), then the
`In-Reply-To` header, then `References`, then the sender being a known address; else the message
waits, unmatched, for a manager to assign it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from enum import StrEnum
from html.parser import HTMLParser

MAX_RAW_BYTES = 5_000_000  # a message larger than this is refused (`TooLarge`)
KEPT_RAW_BYTES = 2_000_000  # the raw message is kept for re-reading up to this size
MAX_ATTACHMENT_BYTES = 10_000_000
MAX_TEXT = 200_000  # characters of body kept
BOUNCES_TO_FLAG = 2  # permanent failures after which an address gets no more reminders

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_OUR_ID = re.compile(r"^<arrears-([0-9a-f]{32})@[^>]+>$")
_MESSAGE_ID = re.compile(r"<[^<>\s]{1,500}>")


class NotAMessage(ValueError):
    """The bytes are not an email message (no headers a message has)."""


class TooLarge(ValueError):
    """The message is larger than MAX_RAW_BYTES."""


class MailKind(StrEnum):
    REPLY = "reply"  # written by a person
    AUTO_REPLY = "auto_reply"  # out of office, a ticket system's receipt: stored, never left unread
    BOUNCE = "bounce"  # a delivery-status notification about a message we sent


class MatchedBy(StrEnum):
    TOKEN = "token"  # noqa: S105 (a way of matching, not a secret)
    IN_REPLY_TO = "in_reply_to"
    REFERENCES = "references"
    BOUNCED = "bounced"  # a delivery report, by the copy of our email it carries
    FROM_ADDRESS = "from_address"
    ASSIGNED = "assigned"  # by a manager, from the unmatched mail
    UNMATCHED = "unmatched"


@dataclass(frozen=True, slots=True)
class Bounce:
    failed: bool  # the server gave up on the message (False: only delayed, it keeps trying)
    permanent: bool  # a 5.x.x failure: the address will not work (counts towards flagging it)
    status: str  # the enhanced status code, e.g. 5.1.1
    diagnostic: str  # the server's words, for the alert and the email's page
    recipients: tuple[str, ...]  # the addresses that failed
    original_message_id: str | None  # the Message-ID of our email, from the report's copy of it


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    message_id: str  # the message's own, or one made from its bytes' hash when it has none
    from_address: str  # lower-cased
    from_name: str
    to: tuple[str, ...]  # every address it was delivered to (To, Cc, Delivered-To, X-Original-To)
    subject: str
    sent_at: datetime | None  # its Date header, in UTC
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    text: str  # the body as plain text (from its HTML part when it has no text part)
    attachments: tuple[Attachment, ...]
    kind: MailKind
    bounce: Bounce | None


def token_of(message_id: str) -> str | None:
    """The reply token of a Message-ID we made (`<arrears-HEX@domain>`), None for another's."""
    found = _OUR_ID.match(message_id.strip())
    return found.group(1) if found else None


def reply_address(template: str, sender: str, token: str | None) -> str:
    """The Reply-To of an email: `template` with its `{token}` filled in; an empty template
    plus-addresses the sender (`ar@example.com` -> `ar+TOKEN@example.com`); no token, the sender."""
    if token is None:
        return sender
    if template:
        return template.replace("{token}", token)
    local, at, domain = sender.rpartition("@")
    if not at or not local:
        return sender
    return f"{local.partition('+')[0]}+{token}@{domain}"


def token_in(addresses: tuple[str, ...]) -> str | None:
    """The reply token in the addresses a message was delivered to (`anything+TOKEN@…`)."""
    for address in addresses:
        local = address.rpartition("@")[0]
        _, plus, tag = local.rpartition("+")
        if plus and _TOKEN.match(tag.lower()):
            return tag.lower()
    return None


def message_ids(header: str | None) -> tuple[str, ...]:
    """The Message-IDs a header names (In-Reply-To, References), in order."""
    return tuple(_MESSAGE_ID.findall(header or ""))


def parse(raw: bytes) -> ReceivedMessage:
    """A received message, as Arrears stores it. Raises NotAMessage or TooLarge."""
    if len(raw) > MAX_RAW_BYTES:
        raise TooLarge(f"the message is {len(raw):,} bytes; at most {MAX_RAW_BYTES:,} are accepted")
    head = raw[:4096].lstrip()
    if not head or b":" not in head.split(b"\n", 1)[0]:
        raise NotAMessage("this is not an email message: it does not start with headers")
    try:
        return _parse(raw)
    except NotAMessage:
        raise
    # a message broken in a way the standard library trips on: refused, so it cannot block a mailbox
    except (ValueError, LookupError, UnicodeError, IndexError, TypeError, AttributeError) as error:
        raise NotAMessage(f"this message cannot be read ({type(error).__name__}: {error})") from None


def _parse(raw: bytes) -> ReceivedMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    if not _header(message, "From") and not _header(message, "Message-ID"):
        raise NotAMessage("this is not an email message: it has neither a From nor a Message-ID header")
    name, address = parseaddr(_header(message, "From"))
    message_id = _first_id(_header(message, "Message-ID")) or _made_id(raw)
    bounce = parse_bounce(message)
    kind = MailKind.BOUNCE if bounce is not None else MailKind.AUTO_REPLY if is_auto_reply(message) else MailKind.REPLY
    text, attachments = _body(message) if bounce is None else (_bounce_text(message), ())
    return ReceivedMessage(
        message_id=message_id,
        from_address=address.lower()[:320],
        from_name=name[:200],
        to=_delivered_to(message),
        subject=" ".join(_header(message, "Subject").split())[:1000],
        sent_at=_date(_header(message, "Date")),
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        text=text[:MAX_TEXT],
        attachments=attachments,
        kind=kind,
        bounce=bounce,
    )


def _clean(text: str) -> str:
    """Text a database can store: bytes the parser could not decode (kept as surrogates) become
    U+FFFD, and NUL characters (which PostgreSQL refuses) go."""
    if text.isascii():
        return text.replace("\x00", "")
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace").replace("\x00", "")


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a header the parser cannot make sense of
        value = None
    return _clean(str(value)) if value is not None else ""


def _first_id(value: str) -> str | None:
    found = message_ids(value)
    return found[0] if found else None


def _made_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()}@received.arrears.invalid>"


def _date(value: str) -> datetime | None:
    """The Date header in UTC; None when it is missing or not a date Python can hold in UTC."""
    try:
        when = parsedate_to_datetime(value) if value else None
        if when is None:
            return None
        return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _delivered_to(message: Message) -> tuple[str, ...]:
    values = [_header(message, name) for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")]
    found = [address.lower() for _, address in getaddresses([v for v in values if v]) if "@" in address]
    return tuple(dict.fromkeys(found))


def is_auto_reply(message: Message) -> bool:
    """RFC 3834 and what mail systems do instead: `Auto-Submitted` other than `no`, the
    X-Autoreply / X-Autorespond headers, `Precedence: bulk|junk|list|auto_reply`, Microsoft's
    `X-Auto-Response-Suppress` on an out-of-office, or a subject that says so."""
    submitted = _header(message, "Auto-Submitted").strip().lower()
    if submitted and submitted != "no":
        return True
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond") or _header(message, "X-Autoresponse"):
        return True
    if _header(message, "Precedence").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return True
    subject = _header(message, "Subject").strip().lower()
    return subject.startswith(("auto:", "automatic reply", "out of office", "abwesenheitsnotiz", "autoreply"))


# -- bounces ---------------------------------------------------------------------------------------


def parse_bounce(message: Message) -> Bounce | None:
    """What a delivery-status notification (RFC 3464) reports: a failure (`failed`: the server gave
    up; `permanent` when its status is 5.x.x) or a delay; None for another message, or a report of
    messages delivered."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "", header="content-type")).lower() != "delivery-status":
        return None
    failed: list[tuple[str, str, str, str]] = []  # (recipient, action, status, diagnostic)
    original: str | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            failed.extend(_failures(part))
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _original_id(part)
    if not failed:
        return None
    gave_up = [f for f in failed if f[1] == "failed"]
    permanent = [f for f in gave_up if f[2].startswith("5")]
    chosen = (permanent or gave_up or failed)[0]
    return Bounce(
        failed=bool(gave_up),
        permanent=bool(permanent),
        status=chosen[2],
        diagnostic=chosen[3][:1000] or f"delivery {'failed' if gave_up else 'delayed'} ({chosen[2]})",
        recipients=tuple(dict.fromkeys(f[0] for f in (permanent or gave_up or failed) if f[0])),
        original_message_id=original,
    )


def _failures(part: Message) -> list[tuple[str, str, str, str]]:
    """The per-recipient fields of a delivery-status part whose action is `failed` or `delayed`
    (a status with no action, as some servers write, is a failure when 5.x.x, else a delay)."""
    payload = part.get_payload()
    blocks: list[str] = []
    if isinstance(payload, list):  # the parser splits the fields into one message per block
        blocks = [_clean(str(block)) for block in payload]
    elif isinstance(payload, str):
        blocks = re.split(r"\r?\n\r?\n", _clean(payload))
    found = []
    for block in blocks:
        fields = _fields(block)
        action = fields.get("action", "").lower()
        status = fields.get("status", "").split()[0] if fields.get("status") else ""
        if not action and status[:1] in ("4", "5"):
            action = "failed" if status.startswith("5") else "delayed"
        if action in ("failed", "delayed"):
            recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
            address = recipient.partition(";")[2].strip() or recipient.strip()
            default = "5.0.0" if action == "failed" else "4.0.0"
            found.append((address.strip("<>").lower(), action, status or default, fields.get("diagnostic-code", "")))
    return found


def _fields(block: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    name = ""
    for line in block.splitlines():
        if line[:1] in (" ", "\t") and name:
            fields[name] += " " + line.strip()
            continue
        key, colon, value = line.partition(":")
        if colon:
            name = key.strip().lower()
            fields[name] = value.strip()
    if "diagnostic-code" in fields:
        fields["diagnostic-code"] = fields["diagnostic-code"].partition(";")[2].strip() or fields["diagnostic-code"]
    return fields


def _original_id(part: Message) -> str | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        inner = payload[0]
        return _first_id(_header(inner, "Message-ID")) if isinstance(inner, Message) else None
    if isinstance(payload, str):
        headers = message_from_bytes(payload.encode("utf-8", "replace"))
        return _first_id(_header(headers, "Message-ID"))
    return None


def _bounce_text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            return _decoded(part)
    return ""


# -- bodies ----------------------------------------------------------------------------------------


def _decoded(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return _clean(data.decode(charset, errors="replace"))
    except LookupError:  # a charset Python does not know
        return _clean(data.decode("utf-8", errors="replace"))


def _body(message: Message) -> tuple[str, tuple[Attachment, ...]]:
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = part.get_filename()
        if disposition == "attachment" or filename or not kind.startswith("text/"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and len(data) <= MAX_ATTACHMENT_BYTES:
                attachments.append(Attachment(_safe_name(filename, kind, len(attachments) + 1), kind, data))
            continue
        if kind == "text/plain" and text is None:
            text = _decoded(part)
        elif kind == "text/html" and html is None:
            html = _decoded(part)
    body = text if text is not None else html_to_text(html) if html is not None else ""
    return body.replace("\r\n", "\n"), tuple(attachments)


def _safe_name(filename: str | None, kind: str, position: int) -> str:
    name = (filename or "").replace("\\", "/").rpartition("/")[2].strip().strip(".")
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    if name:
        return name
    extension = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(kind, ".bin")
    return f"attachment-{position}{extension}"


class _Text(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "table"})
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """The words of an HTML body, block by block: never shown as HTML (a customer wrote it)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.out)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# -- the part of a reply worth reading -------------------------------------------------------------

# A line that introduces the quoted message: "On Tue, 3 Dec 2026 at 10:00, AR <ar@x> wrote:",
# "Am 03.12.2026 um 10:00 schrieb AR <ar@x>:", Outlook's "-----Original Message-----" or its
# "From: …" block, and the French/Spanish/Dutch forms.
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"On\b.{0,300}\bwrote:?"
    r"|Am\b.{0,300}\bschrieb.{0,200}:?"
    r"|Le\b.{0,300}\ba écrit\s?:?"
    r"|El\b.{0,300}\bescribió:?"
    r"|Op\b.{0,300}\bschreef.{0,200}:?"
    r"|-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}"
    r"|_{10,}"
    r"|(?:From|Von|De):\s.+"
    r")\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^(?:-- ?|Sent from my .+|Von meinem .+ gesendet|Gesendet von .+)$", re.IGNORECASE)


def strip_reply(text: str) -> str:
    """What the sender wrote: the text above the quoted message and the signature. A quote header
    may wrap over two lines ("On …, AR <ar@x>\\nwrote:"); `>` lines are quotes wherever they are.
    When stripping would leave nothing (a reply written below the quote), the text as it came."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        joined = f"{line} {lines[index + 1]}" if index + 1 < len(lines) else line
        if _QUOTE_HEADER.match(line) or (
            _QUOTE_HEADER.match(joined) and re.match(r"^\s*(On|Am|Le|El|Op)\b", line, re.IGNORECASE)
        ):
            break
        if _SIGNATURE.match(line.rstrip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    stripped = "\n".join(kept).strip()
    return stripped or text.strip()
