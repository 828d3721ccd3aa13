"""`arrears demo` as a user runs it: the users and their password, then the aging; never twice."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

from arrears.cli.main import app

AS_OF = "2026-06-30"


def test_demo_prints_the_users_their_password_and_the_aging_in_each_currency(db_url: str) -> None:
    result = CliRunner().invoke(app, ["demo", "--customers", "12", "--as-of", AS_OF, "--database-url", db_url])

    assert result.exit_code == 0, result.output
    out = result.stdout
    for name, role in [("demo", "owner"), ("morgan", "manager"), ("alex", "contributor"), ("jordan", "contributor")]:
        assert any(name in line and role in line and "demo-password" in line for line in out.splitlines()), name
    for currency in ("EUR", "GBP", "USD"):
        assert f"Aging as of {AS_OF} - {currency}" in out
    assert "91+" in out
    assert "TOTAL" in out
    assert "(CUST-0001)" in out


def test_demo_into_a_database_with_customers_fails_with_status_1_and_says_what_to_do(db_url: str) -> None:
    runner = CliRunner()
    arguments = ["demo", "--customers", "6", "--as-of", AS_OF, "--database-url", db_url]
    assert runner.invoke(app, arguments).exit_code == 0

    again = runner.invoke(app, arguments)

    assert again.exit_code == 1
    assert "already holds 6 customers" in again.stderr
    assert "ARREARS_DATABASE_URL" in again.stderr
    assert "Aging" not in again.stdout


def test_demo_without_options_fills_arrears_db_in_the_working_directory(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("arrears")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}

    run = subprocess.run(
        [str(script), "demo", "--customers", "8", "--seed", "3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    assert (tmp_path / "arrears.db").is_file()
    assert "Loaded the demo ledger into sqlite:///arrears.db" in run.stdout
    assert "seed 3" in run.stdout


def test_demo_with_serve_ends_by_serving_the_workspace_and_says_where_and_as_whom(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("arrears")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARREARS_")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    arguments = [str(script), "demo", "--customers", "6", "--as-of", AS_OF, "--serve", "--port", str(port)]
    server = subprocess.Popen(arguments, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        printed = []
        for line in server.stdout:  # the address comes after the load, right before serving
            printed.append(line)
            if line.startswith("Ctrl-C stops the server"):
                break
        out = "".join(printed)
        assert f"The web workspace: http://127.0.0.1:{port}/" in out
        assert "Sign in as demo (owner)" in out
        assert "demo-password" in out
        signin = _get_when_up(f"http://127.0.0.1:{port}/signin")
        assert "Sign in" in signin
    finally:
        server.terminate()
        server.wait(20)


def _get_when_up(url: str) -> str:
    for _ in range(300):
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 - a local test URL
                return str(answer.read().decode())
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")
