"""The app factory: `create_app(arrears)` builds the API around one Arrears; nothing happens at import."""

from __future__ import annotations

from fastapi import FastAPI

from .. import __version__
from ..bootstrap import Arrears
from . import errors
from .routers import (
    alerts,
    automation,
    contacts,
    credit_notes,
    customers,
    disputes,
    invoices,
    issues,
    payments,
    plans,
    settings,
    tasks,
    timeline,
    views,
)

PREFIX = "/api/v1"
ROUTERS = (
    tasks,
    customers,
    timeline,
    contacts,
    invoices,
    payments,
    credit_notes,
    disputes,
    plans,
    alerts,
    issues,
    views,
    settings,
    automation,
)


def create_app(arrears: Arrears) -> FastAPI:
    """The API (OpenAPI at /openapi.json, docs at /docs) over `arrears`, kept in `app.state.arrears`."""
    app = FastAPI(
        title="Arrears",
        version=__version__,
        summary="Accounts-receivable collections: tasks, the ledger, disputes, payment plans, alerts.",
        description="Authenticate with `Authorization: Bearer TOKEN` (`arrears users token NAME`). "
        'Errors are `{"error": {"code": ..., "message": ...}}`; money is a decimal string.',
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.arrears = arrears
    errors.install(app)
    for module in ROUTERS:
        app.include_router(module.router, prefix=PREFIX)
    return app
