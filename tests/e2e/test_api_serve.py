"""`arrears serve` as a user runs it: a real server on a local port answers the API with a token; with
`--workers 2` its processes share the sign-in throttle, and SIGTERM stops them all cleanly."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from arrears.services import accounts, users
from tests.api import Api, api_fixture  # noqa: F401


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_arrears_serve_answers_the_api_on_the_given_port(api: Api, tmp_path: Path) -> None:
    users.add_user(api.arrears.uow(), api.arrears.hasher, "ops", "owner", email=None, password=None)
    token = accounts.issue_token(api.arrears.uow(), "ops")
    port = free_port()
    script = Path(sys.executable).with_name("arrears")
    env = {**os.environ, "ARREARS_DATABASE_URL": str(api.arrears.settings.database_url)}
    server = subprocess.Popen(
        [str(script), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                schema = httpx.get(f"{base}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                assert server.poll() is None, "the server stopped"
                time.sleep(0.2)

        tasks = httpx.get(f"{base}/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        anonymous = httpx.get(f"{base}/api/v1/tasks", timeout=10)
        kept_alive = two_requests_on_one_connection(port, pause=6)  # uvicorn's own default closes after 5 s
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Arrears"
    assert tasks.status_code == 200 and tasks.json() == {"items": [], "next": None}
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    assert kept_alive == [b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK"]


def two_requests_on_one_connection(port: int, pause: float) -> list[bytes]:
    """The status lines of two requests sent on one kept-alive connection, `pause` seconds apart
    (b"" for the second if the server closed the connection while it was idle)."""
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    lines = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        answers = connection.makefile("rb")
        for number in range(2):
            if number:
                time.sleep(pause)
            try:
                connection.sendall(request)
                status, length = answers.readline().rstrip(), 0
                while (line := answers.readline()) not in (b"\r\n", b""):  # the headers, to the blank line
                    name, _, value = line.partition(b":")
                    length = int(value) if name.strip().lower() == b"content-length" else length
                answers.read(length)  # the body, read whole
            except OSError:
                status = b""
            lines.append(status)
    return lines


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux: read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether the process runs still (a zombie, ended but not yet reaped by whoever adopted it, has not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_arrears_serve_with_two_workers_shares_the_throttle_and_stops_cleanly(api: Api, tmp_path: Path) -> None:
    users.add_user(
        api.arrears.uow(), api.arrears.hasher, "pat", "contributor", email=None, password="staple-horse-battery"
    )
    port = free_port()
    script = Path(sys.executable).with_name("arrears")
    env = {**os.environ, "ARREARS_DATABASE_URL": str(api.arrears.settings.database_url)}
    server = subprocess.Popen(
        [str(script), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"

    def sign_in(secret: str) -> int:
        with httpx.Client(base_url=base, timeout=10) as browser:  # a new connection: either worker may answer
            page = browser.get("/signin")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None
            return browser.post("/signin", data={"name": "pat", "password": secret, "csrf": csrf[1]}).status_code

    workers: list[int] = []

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                ready = httpx.get(f"{base}/readyz", timeout=2)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            assert server.poll() is None, "the server stopped"
            time.sleep(0.2)
        workers = children_of(server.pid)

        wrong = [sign_in("not-the-password") for _ in range(6)]
        right = sign_in("staple-horse-battery")
    finally:
        server.send_signal(signal.SIGTERM)  # what a service manager sends
        status = server.wait(timeout=60)
        gone_by = time.monotonic() + 10  # the resource tracker leaves just after its parent
        while any(running(pid) for pid in workers) and time.monotonic() < gone_by:
            time.sleep(0.1)
    stderr = server.stderr.read().decode() if server.stderr else ""

    assert len(workers) >= 2, stderr  # the workers (and, on some Pythons, a resource tracker)
    assert wrong == [401] * 5 + [429]
    assert right == 429
    assert status == 0, stderr
    assert [pid for pid in workers if running(pid)] == [], stderr
