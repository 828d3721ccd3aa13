"""`arrears serve`: the API, the web workspace and the customer portal over HTTP, in one process or
several (`--workers N`), behind the proxies whose forwarded headers it believes."""

from __future__ import annotations

import gc
import os
from typing import TYPE_CHECKING, Annotated

import typer

from .app import DatabaseUrl, app, fails_cleanly, workspace

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..bootstrap import Arrears

# How long a stopping server (Ctrl-C, SIGTERM) lets the requests under way finish before it cuts them.
GRACEFUL_SECONDS = 30
# How long an idle kept-alive connection stays open. Longer than the clients' and proxies' own idle
# timeouts (nginx keeps an upstream connection 60 s), so that they close first: uvicorn's 5 s let a
# client reuse a connection just as the server closed it, and the request was lost without an
# answer (the load test's "connection closed without response" under load).
KEEP_ALIVE_SECONDS = 75


@app.command("serve")
@fails_cleanly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="How many server processes answer requests (on one port).")
    ] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="The proxies (comma-separated addresses or networks, * for any) whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed (default: $ARREARS_FORWARDED_ALLOW_IPS, else none).",
            show_default=False,
        ),
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the web workspace (sign in at /), the API under /api/v1 (docs at /docs) and the customer
    portal (/portal/TOKEN, the links of `arrears portal link`) until Ctrl-C.

    Clients authenticate with a token from [bold]arrears users token NAME[/bold].

    Example: [bold]arrears serve --host 0.0.0.0 --port 8080 --workers 4 --forwarded-allow-ips 10.0.0.5[/bold]
    """
    with workspace(database_url) as arrears:
        if forwarded_allow_ips is not None:
            arrears.settings = arrears.settings.model_copy(update={"forwarded_allow_ips": forwarded_allow_ips})
        run_server(arrears, host, port, workers=workers)


def run_server(arrears: Arrears, host: str, port: int, sign_in: str | None = None, *, workers: int = 1) -> None:
    """Serve until Ctrl-C or SIGTERM, after saying where (and, for the demo, as whom) to sign in. With
    several workers, each process builds its own app from the environment (`app_of_environment`),
    given this process's database and proxies."""
    import uvicorn  # imported here, so that the other commands start without loading a web server

    log_config = arrears.logging_config()  # ARREARS_LOG_FORMAT checked before anything is said
    shown = f"[{host}]" if ":" in host else host
    where = f"http://{'127.0.0.1' if host == '0.0.0.0' else shown}:{port}/"  # noqa: S104 - only a display
    typer.echo(f"The web workspace: {where}  (the API: {where}api/v1, its docs: {where}docs)")
    if sign_in:
        typer.echo(sign_in)
    typer.echo("Ctrl-C stops the server.")
    # The proxy headers are read by the app itself (api/proxies.py), from ARREARS_FORWARDED_ALLOW_IPS
    # only: uvicorn's own reading (which believes 127.0.0.1 by default) stays off.
    options = {
        "host": host,
        "port": port,
        "proxy_headers": False,
        "log_config": log_config,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
    }
    if workers == 1:
        served = server_app(arrears)
        settle_memory()
        uvicorn.run(served, timeout_graceful_shutdown=GRACEFUL_SECONDS, **options)  # type: ignore[arg-type]
        return
    # The workers start afresh (spawned): they read their settings from the environment, so this
    # process's --database-url and --forwarded-allow-ips go there. The schema is checked (or created)
    # here, once, before they start.
    os.environ["ARREARS_DATABASE_URL"] = arrears.settings.database_url
    os.environ["ARREARS_FORWARDED_ALLOW_IPS"] = arrears.settings.forwarded_allow_ips
    uvicorn.run(
        "arrears.cli.serve:app_of_environment",
        factory=True,
        workers=workers,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        **options,  # type: ignore[arg-type]
    )


def app_of_environment() -> FastAPI:
    """The app one worker process of `arrears serve --workers N` serves: built from the environment's
    settings, on the database every worker shares (which holds all that they must agree on: sessions,
    the throttles' counts, the signing key)."""
    from ..bootstrap import bootstrap
    from ..config import Settings

    arrears = bootstrap(Settings()).ready()
    served = server_app(arrears)
    settle_memory()
    return served


def settle_memory() -> None:
    """Put what the server keeps for good (its modules, the app, the settings) out of the garbage
    collector's sight: a full collection scanned those 200,000 objects again every dozen requests, and
    added 150 to 250 ms to one page in ten (bench/portal.py)."""
    gc.collect()
    gc.freeze()


def server_app(arrears: Arrears) -> FastAPI:
    """What `arrears serve` serves: the API under /api/v1, the web workspace's pages beside it, and
    the customer portal under /portal (installed last: its error pages and headers win there), behind
    the proxies of ARREARS_FORWARDED_ALLOW_IPS (their forwarded headers read first of all)."""
    from ..api.app import create_app
    from ..api.proxies import behind_proxies
    from ..portal.app import install as install_portal
    from ..web.app import install as install_web

    served = install_portal(install_web(create_app(arrears), arrears), arrears)
    return behind_proxies(served, arrears.settings.forwarded_allow_ips)
