"""A real IMAP server on 127.0.0.1 (pymap's in-memory backend) for tests and benchmarks.

One server per test process (`imap_server`, session-scoped): each pytest-xdist worker and each run
starts its own on a free port, so none sees another's messages. Each test gets a folder of its own
(`imap`): the server starts with an empty INBOX, and a test never sees another test's messages.
`imap.url` is what ARREARS_IMAP_URL would be; `imap.append(raw)` delivers a message as a mail
server would, through imaplib.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smtp import free_port

USER = "ar"
PASSWORD = "secret"  # the throwaway server's
STARTUP_SECONDS = 20


def _pymap() -> list[str]:
    script = Path(sys.executable).with_name("pymap")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pymap"]


class ImapServer:
    """`pymap --no-tls dict` as a subprocess, with one user (ar / secret) and an empty INBOX."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(tempfile.mkstemp(prefix="pymap-", suffix=".log")[1])

    def start(self) -> ImapServer:
        # A free port can be taken between our asking and pymap binding it: then pymap exits, and
        # another port is tried.
        for _ in range(5):
            self.port = free_port()
            options = ["--host", "127.0.0.1", "--port", str(self.port), "--no-tls"]
            backend = ["dict", "--demo-user", USER, "--demo-password", PASSWORD]
            with self.log.open("ab") as log:
                self.process = subprocess.Popen([*_pymap(), *options, *backend], stdout=log, stderr=subprocess.STDOUT)
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"pymap did not start; its log: {self.log.read_text(errors='replace')[-2000:]}")

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib connection."""
        connection = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        # imaplib writes an APPEND's literal and its closing CRLF apart: without this, each append
        # waits out a delayed ACK (40 ms on Linux).
        connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            connection.login(USER, PASSWORD)
            yield connection
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                connection.logout()


@dataclass
class ImapFolder:
    """A folder of its own on the test process's server: what a test appends to and fetches from."""

    server: ImapServer
    folder: str

    @property
    def url(self) -> str:
        return self.server.url(self.folder)

    def append(self, raw: bytes, folder: str | None = None) -> int:
        """Deliver `raw` to the folder (this test's own unless named); its UID."""
        return self.append_all([raw], folder)[0]

    def append_all(self, raws: list[bytes], folder: str | None = None) -> list[int]:
        """Deliver each of `raws`, over one connection; their UIDs."""
        uids = []
        with self.server.client() as connection:
            for raw in raws:
                status, data = connection.append(folder or self.folder, None, None, raw)
                assert status == "OK", data
                found = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
                uids.append(int(found.group(1)) if found else 0)
        return uids

    def create(self, folder: str | None = None) -> None:
        with self.server.client() as connection:
            status, data = connection.create(folder or self.folder)
            assert status == "OK", data

    def delete(self, folder: str | None = None) -> None:
        with self.server.client() as connection:
            status, data = connection.delete(folder or self.folder)
            assert status == "OK", data

    def uidvalidity(self, folder: str | None = None) -> int:
        with self.server.client() as connection:
            status, data = connection.status(folder or self.folder, "(UIDVALIDITY)")
            assert status == "OK", data
            found = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
            assert found is not None, data
            return int(found.group(1))

    def flags(self, folder: str | None = None) -> dict[int, set[str]]:
        """Each message's flags by UID, as another mail client would see them."""
        with self.server.client() as connection:
            status, data = connection.select(folder or self.folder, readonly=True)
            assert status == "OK", data
            status, data = connection.uid("FETCH", "1:*", "(FLAGS)")
            assert status == "OK", data
        found: dict[int, set[str]] = {}
        for item in data:
            if not isinstance(item, bytes):
                continue
            uid = re.search(rb"UID (\d+)", item)
            flags = re.search(rb"FLAGS \(([^)]*)\)", item)
            if uid is not None:
                found[int(uid.group(1))] = set((flags.group(1) if flags else b"").decode().split())
        return found


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    """This test process's pymap, stopped when the process's tests are done."""
    server = ImapServer().start()
    yield server
    server.stop()
    server.log.unlink(missing_ok=True)


@pytest.fixture
def imap(imap_server: ImapServer) -> Iterator[ImapFolder]:
    """An empty folder of this test's own on the IMAP server, deleted afterwards."""
    folder = ImapFolder(imap_server, f"test-{uuid.uuid4().hex[:12]}")
    folder.create()
    yield folder
    with contextlib.suppress(AssertionError, OSError, imaplib.IMAP4.error):
        folder.delete()
