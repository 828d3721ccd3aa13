"""Email transports against a real SMTP server on 127.0.0.1, and the file transport."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from arrears.adapters.email import EmailConfigError, FileTransport, SmtpTransport, transport_from_url
from arrears.domain.emails import PermanentFailure, TemporaryFailure
from tests.smtp import SmtpSink, free_port


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def message(to: str = "ap@customer.example") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "ar@example.com"
    msg["To"] = to
    msg["Subject"] = "Overdue: 100.00 on your account"
    msg["Message-ID"] = "<test-1@arrears.example>"
    msg.set_content("Please pay.")
    return msg


def test_smtp_delivers_to_a_real_server(sink: SmtpSink) -> None:
    transport = transport_from_url(sink.url)

    transport.send(message())

    assert [m["Subject"] for m in sink.received] == ["Overdue: 100.00 on your account"]


def test_a_server_that_is_down_is_a_temporary_failure() -> None:
    transport = SmtpTransport("127.0.0.1", free_port())

    with pytest.raises(TemporaryFailure, match="cannot reach"):
        transport.send(message())


def test_a_4xx_answer_is_temporary_and_a_5xx_answer_permanent(sink: SmtpSink) -> None:
    sink.recorder.answers = {
        "busy@customer.example": ["451 4.3.0 try again later"],
        "gone@customer.example": ["550 5.1.1 no such user"],
    }
    transport = transport_from_url(sink.url)

    with pytest.raises(TemporaryFailure, match="451"):
        transport.send(message("busy@customer.example"))
    with pytest.raises(PermanentFailure, match="550"):
        transport.send(message("gone@customer.example"))
    transport.send(message("busy@customer.example"))

    assert len(sink.received) == 1


def test_the_file_transport_writes_one_eml_per_message(tmp_path: Path) -> None:
    transport = transport_from_url(f"file://{tmp_path}/mail")

    transport.send(message())

    assert isinstance(transport, FileTransport)
    written = list((tmp_path / "mail").glob("*.eml"))
    assert len(written) == 1 and b"Subject: Overdue" in written[0].read_bytes()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example:2525", SmtpTransport("mail.example", 2525)),
        (
            "smtp://ar%40x.example:s%3Acret@mail.example:587?starttls=1",
            SmtpTransport("mail.example", 587, "ar@x.example", "s:cret", starttls=True),
        ),
        ("smtps://mail.example", SmtpTransport("mail.example", 465, tls=True)),
        ("file://mail", FileTransport(Path("mail"))),
    ],
)
def test_email_urls_of_the_contract(url: str, expected: object) -> None:
    assert transport_from_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "file://", "smtp://host:port"])
def test_a_bad_email_url_is_a_clear_error(url: str) -> None:
    with pytest.raises(EmailConfigError):
        transport_from_url(url)
