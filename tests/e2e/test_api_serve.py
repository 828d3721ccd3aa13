"""`arrears serve` as a user runs it: a real server on a local port answers the API with a token."""

from __future__ import annotations

import os
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
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Arrears"
    assert tasks.status_code == 200 and tasks.json() == {"items": [], "next": None}
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
