"""The AR mailbox over IMAP (ARREARS_IMAP_URL: `imap://user:pass@host:port/FOLDER`, `imaps://…`,
`?starttls=1`), through imap-tools. Messages are fetched whole with BODY.PEEK (nothing is marked
read in the mailbox), by UID after the last one stored: no SINCE date, so nothing is skipped after a
day of downtime."""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError
from imap_tools.query import A, U

from ..domain.errors import ArrearsError
from ..services.mail_ports import FetchedMessage

TIMEOUT_SECONDS = 60
_UID = re.compile(rb"UID (\d+)")


class MailboxError(ArrearsError):
    code = "mailbox"


@dataclass
class _Session:
    box: MailBox | MailBoxUnencrypted | MailBoxStartTls
    uidvalidity: int

    def uids_after(self, last_uid: int) -> list[int]:
        # `N:*` always names the newest message, even when its UID is below N: the caller filters.
        uids = self.box.uids(A(uid=U(str(last_uid + 1), "*")))
        return sorted(int(uid) for uid in uids)

    def fetch(self, uids: Sequence[int]) -> list[FetchedMessage]:
        """The messages' bytes as the mailbox holds them (never parsed and written out again)."""
        if not uids:
            return []
        status, data = self.box.client.uid("FETCH", ",".join(str(uid) for uid in uids), "(UID BODY.PEEK[])")
        if status != "OK":
            raise imaplib.IMAP4.error(f"UID FETCH answered {status}: {data!r}")
        found = []
        for index, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            head, body = item
            # the UID is before the message's literal, or (some servers) in the line after it
            after = data[index + 1] if index + 1 < len(data) and isinstance(data[index + 1], bytes) else b""
            uid = _UID.search(head) or _UID.search(after or b"")
            if uid is not None and isinstance(body, bytes):
                found.append(FetchedMessage(int(uid.group(1)), body))
        return sorted(found, key=lambda m: m.uid)


@dataclass(frozen=True)
class ImapMailbox:
    host: str
    port: int
    username: str
    password: str
    folder: str
    security: str  # tls, starttls, none

    @property
    def name(self) -> str:
        return f"{self.username}@{self.host}"

    @contextlib.contextmanager
    def open(self) -> Iterator[_Session]:
        box: MailBox | MailBoxUnencrypted | MailBoxStartTls
        try:
            if self.security == "tls":
                box = MailBox(self.host, self.port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context())
            elif self.security == "starttls":
                box = MailBoxStartTls(
                    self.host, self.port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
                )
            else:
                box = MailBoxUnencrypted(self.host, self.port, timeout=TIMEOUT_SECONDS)
            box.login(self.username, self.password, initial_folder=self.folder)
            status = box.folder.status(self.folder, ["UIDVALIDITY"])
        except MailboxLoginError:
            raise MailboxError(f"the mailbox {self.name} refused the user name or password") from None
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxError(f"cannot read the mailbox {self.name} ({self.folder}): {error}") from None
        try:
            yield _Session(box, int(status["UIDVALIDITY"]))
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxError(f"reading the mailbox {self.name} ({self.folder}) failed: {error}") from None
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                box.logout()


def mailbox_from_url(url: str) -> ImapMailbox:
    """`imap://user:pass@host:port/FOLDER` (plain, or `?starttls=1`), `imaps://…` (TLS); the folder
    defaults to INBOX, the port to 143 or 993."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise MailboxError(f"ARREARS_IMAP_URL {parts.scheme or '(empty)'}:// is not supported: use imap:// or imaps://")
    if not parts.hostname or not parts.username:
        raise MailboxError(
            "ARREARS_IMAP_URL needs a user and a host, e.g. imaps://ar%40example.com:secret@imap.example.com"
        )
    try:
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
    except ValueError:
        raise MailboxError("ARREARS_IMAP_URL has a port that is not a number") from None
    starttls = parse_qs(parts.query).get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
    return ImapMailbox(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
        security="tls" if parts.scheme == "imaps" else "starttls" if starttls else "none",
    )
