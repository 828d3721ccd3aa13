"""Email transports (docs/settings.md, ARREARS_EMAIL_URL): SMTP, SMTP with STARTTLS, SMTPS, or a folder.

`send` raises TemporaryFailure for what is worth retrying (the server cannot be reached, a 4xx
answer) and PermanentFailure for what is not (a 5xx answer): the outbox decides what to do next.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..domain.emails import PermanentFailure, TemporaryFailure
from ..domain.errors import ArrearsError

TIMEOUT_SECONDS = 30


class EmailConfigError(ArrearsError):
    code = "email_config"


@dataclass(eq=True)
class SmtpTransport:
    """SMTP delivery. The connection stays open between messages (one TCP and TLS handshake per
    batch, not per email) until `close()`, and is opened again after any failure."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False  # SMTPS: TLS from the first byte
    starttls: bool = False
    _client: smtplib.SMTP | None = field(default=None, init=False, repr=False, compare=False)

    def _connect(self) -> smtplib.SMTP:
        client: smtplib.SMTP
        if self.tls:
            client = smtplib.SMTP_SSL(
                self.host, self.port, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
        if self.starttls:
            client.starttls(context=ssl.create_default_context())
        if self.username:
            client.login(self.username, self.password or "")
        return client

    def send(self, message: Message) -> None:
        try:
            if self._client is None:
                self._client = self._connect()
                refused = self._client.send_message(message)
            else:
                # A kept connection is used without probing it first (an RSET per message costs a
                # round trip). If the server has let it go (it closed it, or answered 421 to MAIL
                # FROM), the message goes again once on a new connection: no more than the retry a
                # TemporaryFailure would bring.
                try:
                    refused = self._client.send_message(message)
                except smtplib.SMTPServerDisconnected:
                    self._drop()
                    self._client = self._connect()
                    refused = self._client.send_message(message)
                except smtplib.SMTPSenderRefused as error:
                    if error.smtp_code != 421:
                        raise
                    self._drop()
                    self._client = self._connect()
                    refused = self._client.send_message(message)
            if refused:
                raise PermanentFailure(f"the server refused {', '.join(sorted(refused))}")
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            kind = TemporaryFailure if all(400 <= code < 500 for code in codes) else PermanentFailure
            raise kind(f"recipients refused: {_answers(error.recipients)}") from None
        except smtplib.SMTPResponseException as error:
            text = (
                error.smtp_error.decode(errors="replace")
                if isinstance(error.smtp_error, bytes)
                else str(error.smtp_error)
            )
            kind = TemporaryFailure if 400 <= error.smtp_code < 500 else PermanentFailure
            raise kind(f"{error.smtp_code} {text}") from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TemporaryFailure(f"cannot reach {self.host}:{self.port}: {error}") from None

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.close()

    def close(self) -> None:
        """Say QUIT and let the connection go."""
        client, self._client = self._client, None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


def _answers(recipients: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{address}: {code} {text.decode(errors='replace')}" for address, (code, text) in recipients.items()
    )


@dataclass(frozen=True)
class FileTransport:
    """Writes each message as DIR/<message id>.eml: for development, demos and tests."""

    folder: Path

    def close(self) -> None:
        return None

    def send(self, message: Message) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = (message["Message-ID"] or "message").strip("<>").replace("/", "_").replace("@", "_at_")
        path = self.folder / f"{name}.eml"
        path.write_bytes(bytes(message))


def transport_from_url(url: str) -> SmtpTransport | FileTransport:
    """`smtp://host:port`, `smtp://user:pass@host:port?starttls=1`, `smtps://…`, or `file://DIR`."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        folder = unquote(parts.netloc + parts.path)
        if not folder:
            raise EmailConfigError("ARREARS_EMAIL_URL file:// needs a folder, e.g. file://mail")
        return FileTransport(Path(folder))
    if parts.scheme not in ("smtp", "smtps"):
        raise EmailConfigError(
            f"ARREARS_EMAIL_URL {parts.scheme}:// is not supported: use smtp://, smtps:// or file://"
        )
    if not parts.hostname:
        raise EmailConfigError("ARREARS_EMAIL_URL needs a host, e.g. smtp://127.0.0.1:25")
    query = parse_qs(parts.query)
    starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise EmailConfigError("ARREARS_EMAIL_URL has a port that is not a number") from None
    return SmtpTransport(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "smtps",
        starttls=starttls,
    )
