"""`arrears serve`: the API (and, as they arrive, the web app and the portal) over HTTP."""

from __future__ import annotations

from typing import Annotated

import typer

from .main import DatabaseUrl, app, fails_cleanly, workspace


@app.command("serve")
@fails_cleanly
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    database_url: DatabaseUrl = None,
) -> None:
    """Serve the API under /api/v1 (OpenAPI at /openapi.json, docs at /docs) until Ctrl-C.

    Clients authenticate with a token from [bold]arrears users token NAME[/bold].

    Example: [bold]arrears serve --host 0.0.0.0 --port 8080[/bold]
    """
    import uvicorn  # imported here, so that the other commands start without loading a web server

    from ..api.app import create_app

    with workspace(database_url) as arrears:
        uvicorn.run(create_app(arrears), host=host, port=port, proxy_headers=True)
