"""`arrears serve`: the API, the web workspace and the customer portal over HTTP."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Annotated

import typer

from .app import DatabaseUrl, app, fails_cleanly, workspace

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ..bootstrap import Arrears


@app.command("serve")
@fails_cleanly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the web workspace (sign in at /), the API under /api/v1 (docs at /docs) and the customer
    portal (/portal/TOKEN, the links of `arrears portal link`) until Ctrl-C.

    Clients authenticate with a token from [bold]arrears users token NAME[/bold].

    Example: [bold]arrears serve --host 0.0.0.0 --port 8080[/bold]
    """
    with workspace(database_url) as arrears:
        run_server(arrears, host, port)


def run_server(arrears: Arrears, host: str, port: int, sign_in: str | None = None) -> None:
    """Serve until Ctrl-C, after saying where (and, for the demo, as whom) to sign in."""
    import uvicorn  # imported here, so that the other commands start without loading a web server

    log_config = arrears.logging_config()  # ARREARS_LOG_FORMAT checked before anything is said
    shown = f"[{host}]" if ":" in host else host
    where = f"http://{'127.0.0.1' if host == '0.0.0.0' else shown}:{port}/"  # noqa: S104 - only a display
    typer.echo(f"The web workspace: {where}  (the API: {where}api/v1, its docs: {where}docs)")
    if sign_in:
        typer.echo(sign_in)
    typer.echo("Ctrl-C stops the server.")
    app = server_app(arrears)
    settle_memory()
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_config=log_config)


def settle_memory() -> None:
    """Put what the server keeps for good (its modules, the app, the settings) out of the garbage
    collector's sight: a full collection scanned those 200,000 objects again every dozen requests, and
    added 150 to 250 ms to one page in ten (bench/portal.py)."""
    gc.collect()
    gc.freeze()


def server_app(arrears: Arrears) -> FastAPI:
    """What `arrears serve` serves: the API under /api/v1, the web workspace's pages beside it, and
    the customer portal under /portal (installed last: its error pages and headers win there)."""
    from ..api.app import create_app
    from ..portal.app import install as install_portal
    from ..web.app import install as install_web

    return install_portal(install_web(create_app(arrears), arrears), arrears)
