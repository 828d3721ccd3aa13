"""`arrears mail receive|fetch` as a mail server's pipe or a user runs them, on both databases: a
message is stored once, exit 0 whether matched or not; what is not a message exits 1 and stores
nothing; fetching without a mailbox configured says how to configure one."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arrears.adapters.db import tables as t
from arrears.bootstrap import Arrears
from tests.e2e.conftest import Cli
from tests.ledger import Ledger, contact, customer


@pytest.fixture
def customers(ledger: Ledger) -> Ledger:
    ledger.load("customers", [customer("C1", "Acme Ltd"), customer("C2", "Globex")])
    ledger.load("contacts", [contact("C1", "Ann Lee", email="ann@acme.example")])
    return ledger


def _message(sender: str = "Ann Lee <ann@acme.example>", message_id: str = "<m1@acme.example>") -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "ar@example.com"
    mail["Subject"] = "Remittance for I1"
    mail["Message-ID"] = message_id
    mail.set_content("Paid today.")
    return bytes(mail)


def _stored(arrears: Arrears) -> list[tuple[int | None, str]]:
    r = t.received_emails
    with arrears.engine.connect() as connection:
        rows = connection.execute(select(r.c.customer_id, r.c.matched_by))
        return [(row.customer_id, row.matched_by) for row in rows]


def test_receive_stores_a_message_from_standard_input_threaded_by_its_sender(
    cli: Cli, customers: Ledger, arrears: Arrears
) -> None:
    result = cli("mail", "receive", input=_message())

    assert result.exit_code == 0, result.output
    assert "matched by from_address" in result.stderr
    with arrears.uow() as uow:
        acme = uow.ledger.customer("C1")
    assert acme is not None and _stored(arrears) == [(acme.id, "from_address")]


def test_receive_reads_a_file_and_a_second_delivery_changes_nothing(
    cli: Cli, customers: Ledger, arrears: Arrears, tmp_path: Path
) -> None:
    eml = tmp_path / "remit.eml"
    eml.write_bytes(_message(sender="someone@unknown.example"))

    first = cli("mail", "receive", str(eml))
    second = cli("mail", "receive", str(eml))

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "unmatched, for a manager to assign" in first.stderr
    assert "received before: nothing changed" in second.stderr
    assert _stored(arrears) == [(None, "unmatched")]


@pytest.mark.parametrize("junk", [b"", b"%PDF-1.4 not a mail", b"\x00\x01\x02"])
def test_what_is_not_a_mail_message_exits_1_and_stores_nothing(
    cli: Cli, customers: Ledger, arrears: Arrears, junk: bytes
) -> None:
    result = cli("mail", "receive", input=junk)

    assert result.exit_code == 1
    assert "not an email message" in result.stderr
    with arrears.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(t.received_emails)).scalar_one() == 0


def test_fetch_without_a_mailbox_says_which_setting_to_set(cli: Cli, customers: Ledger) -> None:
    result = cli("mail", "fetch")

    assert result.exit_code == 1
    assert "ARREARS_IMAP_URL" in result.stderr


def test_fetch_with_a_mailbox_url_of_another_scheme_is_a_clear_error(
    cli: Cli, customers: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARREARS_IMAP_URL", "pop3://ar:secret@mail.example.com")

    result = cli("mail", "fetch")

    assert result.exit_code == 1
    assert "use imap:// or imaps://" in result.stderr


def test_unflag_sends_reminders_to_a_flagged_address_again_and_says_when_it_was_not(
    cli: Cli, customers: Ledger, arrears: Arrears
) -> None:
    with arrears.uow() as uow:
        for _ in range(2):
            uow.mail.count_bounce("ann@acme.example", True, "550 5.1.1 user unknown", uow.clock.now(), 2)
        uow.commit()

    cleared = cli("mail", "unflag", "Ann@Acme.example")
    again = cli("mail", "unflag", "ann@acme.example")

    assert cleared.exit_code == 0, cleared.output
    assert cleared.stdout.strip() == "reminders go to ann@acme.example again"
    assert again.exit_code == 1 and "is not flagged" in again.stderr
    with arrears.uow() as uow:
        assert uow.mail.flagged_addresses(["ann@acme.example"]) == set()
