"""Mail received: what a message is, the email of ours it answers, and the part worth reading."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from arrears.domain import inbound
from arrears.domain.inbound import MailKind, MatchedBy, NotAMessage, TooLarge, parse, strip_reply
from arrears.services import inbound_mail
from arrears.services.mail_ports import SentRef

TOKEN = "0123456789abcdef0123456789abcdef"
OUR_ID = f"<arrears-{TOKEN}@example.com>"


def message(
    body: str = "We paid last Friday.",
    *,
    sender: str = "Jane Buyer <Jane@Customer.example>",
    to: str = f"ar+{TOKEN}@example.com",
    subject: str = "Re: Overdue invoice",
    message_id: str | None = "<reply-1@customer.example>",
    **headers: str,
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    mail.set_content(body)
    return bytes(mail)


def dsn(action: str = "failed", status: str = "5.1.1", original: str = OUR_ID) -> bytes:
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: ar@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{action}-{status}@mx.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered to one or more recipients.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; Bob@Gone.example
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 {status} <bob@gone.example>: Recipient address rejected:
 User unknown in virtual mailbox table

--B
Content-Type: text/rfc822-headers

From: ar@example.com
To: bob@gone.example
Message-ID: {original}
Subject: Overdue invoice

--B--
""".encode()


# -- parsing -----------------------------------------------------------------------------------------


def test_a_reply_is_parsed_with_its_sender_lower_cased_and_the_addresses_it_came_to() -> None:
    parsed = parse(message(In_Reply_To=OUR_ID, Date="Thu, 03 Dec 2026 10:00:00 +0100", Cc="Other <o@x.example>"))

    assert parsed.kind is MailKind.REPLY
    assert parsed.from_address == "jane@customer.example"
    assert parsed.from_name == "Jane Buyer"
    assert parsed.to == (f"ar+{TOKEN}@example.com", "o@x.example")
    assert parsed.in_reply_to == (OUR_ID,)
    assert parsed.sent_at == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    assert parsed.text.strip() == "We paid last Friday."


def test_a_message_without_a_message_id_gets_one_made_from_its_bytes_so_a_second_delivery_is_the_same() -> None:
    raw = message(message_id=None)

    assert parse(raw).message_id == parse(raw).message_id
    assert parse(raw).message_id.endswith("@received.arrears.invalid>")


@pytest.mark.parametrize("raw", [b"", b"\x00\x01\x02binary", b"just some words\n", b"\n\n\n"])
def test_bytes_that_do_not_start_with_headers_are_not_a_message(raw: bytes) -> None:
    with pytest.raises(NotAMessage):
        parse(raw)


def test_a_message_larger_than_the_limit_is_refused() -> None:
    with pytest.raises(TooLarge):
        parse(b"From: a@b.example\n\n" + b"x" * inbound.MAX_RAW_BYTES)


def test_an_html_only_message_is_read_as_text_and_its_script_is_dropped() -> None:
    mail = EmailMessage()
    mail["From"] = "a@b.example"
    mail["Subject"] = "html"
    mail.set_content("<p>We <b>paid</b>.</p><script>alert(1)</script><p>Thanks</p>", subtype="html")

    parsed = parse(bytes(mail))

    assert parsed.text == "We paid.\n\nThanks"


def test_attachments_are_kept_with_a_safe_name() -> None:
    mail = EmailMessage()
    mail["From"] = "a@b.example"
    mail.set_content("see attached")
    mail.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="../../etc/remittance.pdf")
    mail.add_attachment(b"\x89PNG", maintype="image", subtype="png")

    parsed = parse(bytes(mail))

    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("remittance.pdf", "application/pdf", b"%PDF-1.4"),
        ("attachment-2.png", "image/png", b"\x89PNG"),
    ]


# -- auto-replies ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"X_Autoreply": "yes"},
        {"Precedence": "auto_reply"},
        {"Precedence": "bulk"},
        {"subject": "Out of Office: Overdue invoice"},
        {"subject": "Automatic reply: Overdue invoice"},
        {"subject": "Abwesenheitsnotiz: Rechnung"},
    ],
)
def test_an_auto_reply_is_recognised(headers: dict[str, str]) -> None:
    assert parse(message(**headers)).kind is MailKind.AUTO_REPLY


def test_auto_submitted_no_is_a_person_writing() -> None:
    assert parse(message(Auto_Submitted="no")).kind is MailKind.REPLY


# -- bounces -----------------------------------------------------------------------------------------


def test_a_dsn_with_5_1_1_is_a_permanent_failure_naming_our_email_and_the_address() -> None:
    parsed = parse(dsn())

    assert parsed.kind is MailKind.BOUNCE
    assert parsed.bounce == inbound.Bounce(
        failed=True,
        permanent=True,
        status="5.1.1",
        diagnostic="550 5.1.1 <bob@gone.example>: Recipient address rejected: User unknown in virtual mailbox table",
        recipients=("bob@gone.example",),
        original_message_id=OUR_ID,
    )


def test_a_dsn_that_gave_up_with_4_4_7_failed_but_not_permanently() -> None:
    bounce = parse(dsn(status="4.4.7")).bounce

    assert bounce is not None
    assert (bounce.failed, bounce.permanent, bounce.status) == (True, False, "4.4.7")


def test_a_dsn_of_a_delay_is_neither_failed_nor_permanent() -> None:
    bounce = parse(dsn(action="delayed", status="4.4.1")).bounce

    assert bounce is not None
    assert (bounce.failed, bounce.permanent) == (False, False)


def test_a_report_of_delivery_is_not_a_bounce() -> None:
    parsed = parse(dsn(action="delivered", status="2.0.0"))

    assert parsed.bounce is None
    assert parsed.kind is MailKind.AUTO_REPLY  # Auto-Submitted: auto-replied


def test_a_dsn_carrying_the_whole_original_message_names_it() -> None:
    raw = dsn().replace(b"Content-Type: text/rfc822-headers", b"Content-Type: message/rfc822")

    bounce = parse(raw).bounce

    assert bounce is not None and bounce.original_message_id == OUR_ID


# -- reply tokens ------------------------------------------------------------------------------------


def test_the_reply_token_is_the_random_part_of_our_message_id() -> None:
    assert inbound.token_of(OUR_ID) == TOKEN
    assert inbound.token_of("<someone-else@example.com>") is None


def test_the_reply_address_plus_addresses_the_sender_by_default_or_fills_a_template() -> None:
    assert inbound.reply_address("", "ar@example.com", TOKEN) == f"ar+{TOKEN}@example.com"
    assert inbound.reply_address("", "ar+old@example.com", TOKEN) == f"ar+{TOKEN}@example.com"
    assert inbound.reply_address("replies-{token}@in.example.com", "ar@example.com", TOKEN) == (
        f"replies-{TOKEN}@in.example.com"
    )
    assert inbound.reply_address("", "ar@example.com", None) == "ar@example.com"


def test_the_token_is_found_in_any_address_the_message_came_to_whatever_its_case() -> None:
    assert inbound.token_in(("someone@example.com", f"AR+{TOKEN.upper()}@Example.com")) == TOKEN
    assert inbound.token_in(("ar+notatoken@example.com", "ar@example.com")) is None


# -- what the sender wrote ---------------------------------------------------------------------------


def test_an_english_reply_loses_the_quoted_reminder_below_on_wrote() -> None:
    text = "We paid last Friday.\n\nJane\n\nOn Thu, 3 Dec 2026 at 06:00, AR Team <ar@example.com> wrote:\n> Overdue"

    assert strip_reply(text) == "We paid last Friday.\n\nJane"


def test_a_german_reply_loses_the_quote_below_am_schrieb() -> None:
    text = "Wir haben am Freitag bezahlt.\n\nAm 02.12.2026 um 09:00 schrieb AR Team <ar@example.com>:\n> Überfällig"

    assert strip_reply(text) == "Wir haben am Freitag bezahlt."


def test_a_quote_header_wrapped_over_two_lines_is_still_found() -> None:
    text = "Paid.\n\nOn Thu, 3 Dec 2026 at 06:00, AR Team <ar@example.com>\nwrote:\n> Overdue"

    assert strip_reply(text) == "Paid."


def test_outlooks_original_message_block_and_a_signature_are_cut() -> None:
    assert strip_reply("Paid.\n-----Original Message-----\nFrom: AR\nOverdue") == "Paid."
    assert strip_reply("Paid.\n\n-- \nJane Buyer\nAccounts Payable") == "Paid."
    assert strip_reply("Paid.\n\nSent from my iPhone") == "Paid."


def test_a_reply_written_under_the_quote_is_kept_whole() -> None:
    text = "> Overdue\nPaid yesterday."

    assert strip_reply(text) == "Paid yesterday."
    assert strip_reply("> only a quote") == "> only a quote"


# -- threading, in order -----------------------------------------------------------------------------


class Mail:
    """Just what `thread` reads: the emails sent (by token and Message-ID), the messages received
    before, and the customers' addresses."""

    def __init__(self) -> None:
        self.sent: dict[str, SentRef] = {}
        self.received: dict[str, int] = {}
        self.addresses: dict[str, list[int]] = {}

    def add_sent(self, email_id: int, customer_id: int, token: str) -> None:
        self.sent[token] = SentRef(email_id, customer_id, f"<arrears-{token}@example.com>")

    def sent_by_token(self, token: str) -> SentRef | None:
        return self.sent.get(token)

    def sent_by_message_ids(self, message_ids: Sequence[str]) -> SentRef | None:
        by_id = {ref.message_id: ref for ref in self.sent.values()}
        return next((by_id[m] for m in message_ids if m in by_id), None)

    def received_customer(self, message_ids: Sequence[str]) -> int | None:
        return next((self.received[m] for m in message_ids if m in self.received), None)

    def customers_with_address(self, address: str) -> list[int]:
        return self.addresses.get(address, [])[:2]


OTHER = "fedcba9876543210fedcba9876543210"


def test_the_token_wins_over_in_reply_to_and_the_sender() -> None:
    mail = Mail()
    mail.add_sent(1, 10, TOKEN)
    mail.add_sent(2, 20, OTHER)
    mail.addresses["jane@customer.example"] = [30]

    found = inbound_mail.thread(mail, parse(message(In_Reply_To=f"<arrears-{OTHER}@example.com>")))

    assert found == (10, 1, MatchedBy.TOKEN)


def test_without_a_token_in_reply_to_then_references_thread_the_message() -> None:
    mail = Mail()
    mail.add_sent(2, 20, OTHER)
    their = f"<arrears-{OTHER}@example.com>"

    by_reply = inbound_mail.thread(mail, parse(message(to="ar@example.com", In_Reply_To=their)))
    by_references = inbound_mail.thread(
        mail,
        parse(message(to="ar@example.com", References=f"<x@y.example> {their}")),
    )

    assert by_reply == (20, 2, MatchedBy.IN_REPLY_TO)
    assert by_references == (20, 2, MatchedBy.REFERENCES)


def test_a_reply_to_a_message_received_before_goes_where_that_one_went() -> None:
    mail = Mail()
    mail.received["<earlier@customer.example>"] = 40

    found = inbound_mail.thread(mail, parse(message(to="ar@example.com", In_Reply_To="<earlier@customer.example>")))

    assert found == (40, None, MatchedBy.IN_REPLY_TO)


def test_a_bounce_is_threaded_by_the_copy_of_our_email_it_carries() -> None:
    mail = Mail()
    mail.add_sent(1, 10, TOKEN)

    assert inbound_mail.thread(mail, parse(dsn())) == (10, 1, MatchedBy.BOUNCED)


def test_a_known_sender_threads_a_new_message_onto_their_customer_but_an_ambiguous_one_waits() -> None:
    mail = Mail()
    mail.addresses["jane@customer.example"] = [30]
    mail.addresses["shared@group.example"] = [31, 32]

    known = inbound_mail.thread(mail, parse(message(to="ar@example.com")))
    shared = inbound_mail.thread(mail, parse(message(to="ar@example.com", sender="shared@group.example")))
    stranger = inbound_mail.thread(mail, parse(message(to="ar@example.com", sender="who@nowhere.example")))

    assert known == (30, None, MatchedBy.FROM_ADDRESS)
    assert shared == (None, None, MatchedBy.UNMATCHED)
    assert stranger == (None, None, MatchedBy.UNMATCHED)


def test_an_unknown_token_falls_through_to_the_next_way() -> None:
    mail = Mail()
    mail.addresses["jane@customer.example"] = [30]

    assert inbound_mail.thread(mail, parse(message())) == (30, None, MatchedBy.FROM_ADDRESS)
